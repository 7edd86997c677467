"""The runnable examples: examples/volatility_study.py measures what it claims to, on data
whose answer is known, and runs end to end on MAEC 2015 when ../shared is present."""

from __future__ import annotations

import importlib.util
import re

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from callnlp.signals import dtypes

MAEC = ROOT.parent / "shared" / "dev" / "maec15"


def _study():
    spec = importlib.util.spec_from_file_location(
        "volatility_study", ROOT / "examples" / "volatility_study.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _changes(report: str) -> dict[int, float]:
    """tau -> the percent change the report's table shows."""
    return {
        int(t): float(c)
        for t, c in re.findall(r"^\| (\d+) \| [\d.]+ \| [\d.]+ \| ([-+][\d.]+)%", report, re.M)
    }


def _intervals(report: str) -> dict[int, tuple[float, float]]:
    """tau -> the 95% interval of the change the report's table shows, in percent."""
    found = re.findall(r"^\| (\d+) \|.*\| ([-+][\d.]+)% to ([-+][\d.]+)% \|$", report, re.M)
    return {int(t): (float(low), float(high)) for t, low, high in found}


def _synthetic(weight: float, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Labels whose future volatility is past volatility plus `weight` x one signal plus
    noise, and the signal table `callnlp signals` would write for them."""
    rng = np.random.default_rng(seed)
    n = 600
    past = rng.normal(-4, 0.5, size=(n, 30)).cumsum(axis=1) / np.arange(1, 31)
    signal, noise = rng.normal(size=n), rng.normal(size=n)
    labels = pd.DataFrame(
        {
            "ticker": [f"T{i}" for i in range(n)],
            "date": "2015-05-01",
            "split": np.where(np.arange(n) < 400, "train", np.where(np.arange(n) < 460, "dev", "test")),
            **{f"past_{k}": past[:, k] for k in range(30)},
        }
    )
    for tau in (3, 7, 15, 30):
        labels[f"future_{tau}"] = past[:, -1] + weight * signal + rng.normal(0, 0.3, n)
    signals = pd.DataFrame({c: pd.Series(dtype=t) for c, t in dtypes().items()})
    signals = signals.reindex(range(n))
    signals["ticker"], signals["date"] = labels["ticker"], labels["date"]
    signals["hedging_call"], signals["tone_call"] = signal, noise
    return signals.astype(dtypes()), labels


def test_examples_study_finds_a_signal_that_carries_information() -> None:
    report = _study().study(*_synthetic(weight=0.3))
    assert all(change < -20 for change in _changes(report).values()), report
    intervals = _intervals(report)
    assert len(intervals) == 4
    assert all(low < _changes(report)[tau] < high < -10 for tau, (low, high) in intervals.items()), report
    assert "hedging_call" in report.split("most weight")[1].splitlines()[1]


def test_examples_study_costs_nothing_for_signals_that_carry_none() -> None:
    report = _study().study(*_synthetic(weight=0.0))
    changes = _changes(report)
    assert len(changes) == 4
    assert all(change <= 1.0 for change in changes.values()), changes
    assert all(low <= 0.05 and high >= -0.05 for low, high in _intervals(report).values()), report


@pytest.mark.slow
def test_examples_study_runs_on_maec15(tmp_path) -> None:
    if not MAEC.is_dir():
        pytest.skip(f"MAEC 2015 is not at {MAEC}")
    from callnlp import ingest
    from callnlp.store import EventStore

    ingest([MAEC / "calls"], str(tmp_path / "maec.db"))
    with EventStore(tmp_path / "maec.db") as store:
        signals = store.signals()
    study = _study()
    report = study.study(signals, pd.read_csv(MAEC / "labels.csv"))
    assert report.startswith("761 of 765 labelled calls have signals"), report
    changes = _changes(report)
    assert sorted(changes) == [3, 7, 15, 30]
    assert all(change <= 1.0 for change in changes.values()), report  # never worse than the floor
