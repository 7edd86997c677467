"""Do callnlp's signals predict a stock's volatility after its call, beyond past volatility?

A study a user can copy: join `callnlp signals` with a labels file by call, and report the
test split's mean squared error of two regressions, for each horizon tau: past volatility
alone, and past volatility plus the signals, with the signals that carry the most weight.

How it fits, so that signals carrying nothing cost (almost) nothing:

1. a ridge regression of the target on the past volatility columns (the floor);
2. a ridge regression of what the floor leaves (its out-of-fold residuals) on the signals:
   standardized, counts as log(1 + n), a missing value set to the mean;
3. each ridge strength is chosen by 10-fold cross-validation over the calls of the train
   and dev splits, and both are then fitted on those calls;
4. how sure the change is: its 95% interval over the test calls resampled (bootstrap). An
   interval that holds 0 is a change the test split cannot tell from none.

    callnlp ingest ../shared/dev/maec15/calls --db maec.db
    callnlp signals --db maec.db -o maec.csv
    python examples/volatility_study.py maec.csv ../shared/dev/maec15/labels.csv

The labels file has one row per call: `ticker`, `date` (YYYY-MM-DD, the key the signals
are joined on), `split` (train, dev, test), the past volatility columns `past_*` and the
targets `future_<tau>`. The test split is read once, for the final score: nothing is
fitted or chosen on it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from callnlp.signals import dtypes

TAUS = (3, 7, 15, 30)
ALPHAS = tuple(10.0**k for k in range(-2, 7))
"""Ridge strengths tried (on standardized features); the largest all but ignores them."""
FOLDS = 10
MIN_FILLED = 0.5
"""A signal is used when at least this share of the fitting calls has it: a column most
calls leave empty (guidance of one metric, changes against a previous call) is mostly
imputation."""
MIN_SUPPORT = 0.05
"""A signal is used when at least this share of the fitting calls differ from its commonest
value: an event two calls in six hundred mention cannot be learned, and standardized it
puts a large weight on those two calls."""
KEY = ["ticker", "date"]
RESAMPLES = 2000
"""Bootstrap resamples of the test calls for the interval of the change in MSE."""


def read_signals(path: Path) -> pd.DataFrame:
    """The signal table `callnlp signals` wrote, as CSV or Parquet, with its types."""
    frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    types = {c: t for c, t in dtypes().items() if c in frame.columns}
    return frame.astype(types)


def signal_matrix(data: pd.DataFrame, fitting: pd.Series) -> pd.DataFrame:
    """The numeric signals (not their changes) that at least MIN_FILLED of the fitting calls
    have and that vary in at least MIN_SUPPORT of them, counts as log(1 + n), standardized on
    the fitting calls, missing as 0."""
    types = dtypes()
    columns = [
        c
        for c, t in types.items()
        if t != "string" and not c.endswith("_change") and c in data.columns
        and data.loc[fitting, c].notna().mean() >= MIN_FILLED
        and _support(data.loc[fitting, c]) >= MIN_SUPPORT
    ]  # fmt: skip
    x = data[columns].astype(float)
    counts = [c for c in columns if types[c] == "Int64"]
    x[counts] = np.log1p(x[counts])
    return ((x - x[fitting].mean()) / x[fitting].std()).fillna(0.0)


def _support(values: pd.Series) -> float:
    """The share of values other than the commonest one."""
    counts = values.dropna().value_counts()
    return 1 - counts.iloc[0] / len(values) if len(counts) else 0.0


def change_interval(
    y: np.ndarray, floor: np.ndarray, both: np.ndarray, resamples: np.ndarray
) -> tuple[float, float]:
    """The 95% interval of the relative change in MSE from `floor` to `both` over the rows
    of `resamples` (each a resample of the calls, drawn with replacement)."""
    floor_error, both_error = (y - floor) ** 2, (y - both) ** 2
    changes = both_error[resamples].mean(axis=1) / floor_error[resamples].mean(axis=1) - 1
    low, high = np.percentile(changes, [2.5, 97.5])
    return float(low), float(high)


def ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, float]:
    """Coefficients and intercept of a ridge regression of y on standardized x."""
    intercept = float(y.mean())
    coef = np.linalg.solve(x.T @ x + alpha * np.eye(x.shape[1]), x.T @ (y - intercept))
    return coef, intercept


def out_of_fold(x: np.ndarray, y: np.ndarray, alpha: float, folds: np.ndarray) -> np.ndarray:
    """Each call's prediction by a ridge fitted without its fold."""
    predicted = np.empty_like(y)
    for k in np.unique(folds):
        coef, intercept = ridge(x[folds != k], y[folds != k], alpha)
        predicted[folds == k] = x[folds == k] @ coef + intercept
    return predicted


def fit(x: np.ndarray, y: np.ndarray, folds: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """The ridge of the strength that cross-validates best: coefficients, intercept, and
    its out-of-fold predictions."""
    best = min(ALPHAS, key=lambda a: float(np.mean((y - out_of_fold(x, y, a, folds)) ** 2)))
    return *ridge(x, y, best), out_of_fold(x, y, best, folds)


def study(signals: pd.DataFrame, labels: pd.DataFrame, top: int = 5) -> str:
    """The report: test MSE per tau, past-only against past + signals, and the heaviest signals."""
    labels = labels.astype({"ticker": "string", "date": "string"})
    data = labels.merge(signals.drop_duplicates(KEY), on=KEY, how="inner")
    if data.empty:
        raise SystemExit("no call of the labels file is in the signals (joined on ticker and date)")
    fitting = data["split"] != "test"
    past_columns = [c for c in labels.columns if c.startswith("past_")]
    past = data[past_columns].to_numpy(dtype=float)
    past = (past - past[fitting].mean(axis=0)) / past[fitting].std(axis=0)
    signal_frame = signal_matrix(data, fitting)
    text = signal_frame.to_numpy()
    folds = np.random.default_rng(0).permutation(int(fitting.sum())) % FOLDS
    fit_rows, test_rows = fitting.to_numpy(), ~fitting.to_numpy()
    tested = int(test_rows.sum())
    resamples = np.random.default_rng(1).integers(0, tested, size=(RESAMPLES, tested))
    lines = [
        f"{len(data)} of {len(labels)} labelled calls have signals "
        f"({', '.join(f'{s} {n}' for s, n in data['split'].value_counts().items())}); "
        f"{text.shape[1]} signals used",
        "",
        "| tau | past volatility only (MSE) | past + callnlp signals | change | 95% interval |",
        "|---|---|---|---|---|",
    ]
    weights = None
    for tau in TAUS:
        y = data[f"future_{tau}"].to_numpy(dtype=float)
        coef, intercept, floor_oof = fit(past[fit_rows], y[fit_rows], folds)
        floor = past @ coef + intercept
        text_coef, text_intercept, _ = fit(text[fit_rows], y[fit_rows] - floor_oof, folds)
        both = floor + text @ text_coef + text_intercept
        base, mixed = (float(np.mean((y[test_rows] - p[test_rows]) ** 2)) for p in (floor, both))
        low, high = change_interval(y[test_rows], floor[test_rows], both[test_rows], resamples)
        lines.append(
            f"| {tau} | {base:.4f} | {mixed:.4f} | {100 * (mixed / base - 1):+.1f}% "
            f"| {100 * low:+.1f}% to {100 * high:+.1f}% |"
        )
        if weights is None:
            weights = pd.Series(text_coef, index=signal_frame.columns)
    assert weights is not None
    heaviest = weights.abs().sort_values(ascending=False).head(top).index
    lines += ["", f"signals with the most weight at tau = {TAUS[0]} (coefficient per standard deviation):"]
    lines += [f"  {name:<28} {weights[name]:+.4f}" for name in heaviest]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("signals", type=Path, help="the .csv or .parquet file `callnlp signals` wrote")
    parser.add_argument("labels", type=Path, help="labels.csv: ticker, date, split, past_*, future_*")
    parser.add_argument("--top", type=int, default=5, help="how many of the heaviest signals to list")
    args = parser.parse_args(argv)
    for path in (args.signals, args.labels):
        if not path.is_file():
            sys.exit(f"{path}: no such file")
    print(study(read_signals(args.signals), pd.read_csv(args.labels), args.top))


if __name__ == "__main__":
    main()
