from __future__ import annotations

import gc

import pytest
from conftest import CORPORA

from callnlp import analyze
from callnlp.collector import gc_paused
from callnlp.errors import EmptyInputError

CALLS = sorted((CORPORA / "calls").glob("*.txt"))


@pytest.fixture
def collector_on():
    enabled = gc.isenabled()
    gc.enable()
    yield
    if not enabled:
        gc.disable()


@pytest.mark.parametrize("path", [CALLS[0], next(p for p in CALLS if p.name.startswith("zh"))], ids=str)
def test_collector_analysis_leaves_no_reference_cycles(path, collector_on) -> None:
    # What makes pausing the collector safe: an analysis creates no garbage cycles.
    analyze(path)  # lazy loads (dictionaries, compiled patterns) happen once, here
    gc.collect()
    result = analyze(path)
    assert gc.isenabled()
    del result
    assert gc.collect() == 0


def test_collector_runs_again_after_a_failure(collector_on) -> None:
    with pytest.raises(EmptyInputError):
        analyze(b"")
    assert gc.isenabled()


def test_collector_keeps_a_callers_pause(collector_on) -> None:
    seen = []
    gc.disable()
    try:
        gc_paused(lambda: seen.append(gc.isenabled()))()
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert seen == [False]
