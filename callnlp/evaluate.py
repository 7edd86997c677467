"""Scoring a scorer: accuracy, F1 and a confusion table on a labeled file.

A labeled file is tab-separated UTF-8, one sentence a row: either two columns
(sentence, label) or a header naming its columns, with `sentence`, the label column
(`label`, or `sentiment` / `hedge` as in corpora/labeled/) and optionally `split`.
Sentiment labels are positive, negative, neutral; hedge labels yes or no.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from callnlp.errors import InputNotFoundError, LabeledDataError, OptionError

if TYPE_CHECKING:
    from callnlp.scoring import LexiconScorer
    from callnlp.transformer import TransformerSentiment


class Task(StrEnum):
    """What a labeled file is scored for."""

    SENTIMENT = "sentiment"
    HEDGING = "hedging"


LABELS = {Task.SENTIMENT: ("positive", "negative", "neutral"), Task.HEDGING: ("yes", "no")}
_COLUMNS = {
    Task.SENTIMENT: ("label", "sentiment", "tone"),
    Task.HEDGING: ("label", "hedge", "hedged", "hedging"),
}
_SYNONYMS = {"true": "yes", "1": "yes", "hedged": "yes", "false": "no", "0": "no", "pos": "positive",
             "neg": "negative", "neu": "neutral"}  # fmt: skip


@dataclass(frozen=True)
class Evaluation:
    """How a scorer did on a labeled file.

    Attributes:
        task: sentiment or hedging.
        n: sentences scored.
        accuracy: share of sentences labeled right.
        macro_f1: the mean F1 over the labels.
        f1: F1 of each label (for hedging, `f1["yes"]` is the hedge F1).
        confusion: confusion[gold][predicted] counts.
    """

    task: Task
    n: int
    accuracy: float
    macro_f1: float
    f1: dict[str, float]
    confusion: dict[str, dict[str, int]]

    def table(self) -> str:
        """The figures and the confusion table as readable text."""
        labels = list(self.f1)
        width = max(map(len, labels)) + 2
        out = [
            f"{self.task.value}: {self.n} sentences, accuracy {self.accuracy:.3f}, "
            f"macro-F1 {self.macro_f1:.3f}",
            "F1 " + ", ".join(f"{label} {f:.3f}" for label, f in self.f1.items()),
            "",
            "gold \\ predicted".ljust(18) + "".join(label.rjust(width) for label in labels),
        ]
        for gold in labels:
            row = "".join(str(self.confusion[gold][p]).rjust(width) for p in labels)
            out.append(gold.ljust(18) + row)
        return "\n".join(out)


def read_labeled(path: str | Path, task: Task, split: str | None = None) -> list[tuple[str, str]]:
    """The (sentence, label) rows of a labeled file, of one split when `split` is given.

    Raises:
        InputNotFoundError: there is no such file.
        LabeledDataError: a row or the header is malformed; the message names the line.
    """
    path = Path(path)
    if not path.is_file():
        raise InputNotFoundError(f"{path}: no such labeled file; give a .tsv of sentence<TAB>label rows")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = [r for r in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if any(r)]
    if not rows:
        raise LabeledDataError(f"{path}: the file holds no rows")
    sentence, label, split_col, first = 0, 1, None, 0
    header = [c.strip().lower() for c in rows[0]]
    if "sentence" in header:
        names = [c for c in _COLUMNS[task] if c in header]
        if not names:
            raise LabeledDataError(
                f"{path}: the header has no {task.value} label column; "
                f"name one of {', '.join(_COLUMNS[task])}"
            )
        sentence, label, first = header.index("sentence"), header.index(names[0]), 1
        split_col = header.index("split") if "split" in header else None
    if split is not None and split_col is None:
        raise LabeledDataError(f"{path}: --split {split} given but the file has no `split` column")
    out = []
    for number, row in enumerate(rows[first:], start=first + 1):
        if len(row) <= max(sentence, label, split_col or 0):
            raise LabeledDataError(f"{path}, line {number}: expected tab-separated columns, got {row!r}")
        if split is not None and row[split_col] != split:
            continue
        value = row[label].strip().lower()
        value = _SYNONYMS.get(value, value)
        if value not in LABELS[task]:
            raise LabeledDataError(
                f"{path}, line {number}: label {row[label]!r} is not one of {', '.join(LABELS[task])}"
            )
        out.append((row[sentence], value))
    if not out:
        raise LabeledDataError(f"{path}: no rows{f' in split {split!r}' if split else ''} to evaluate")
    return out


def evaluate(
    path: str | Path,
    task: Task | str,
    *,
    scorer: LexiconScorer | None = None,
    sentiment: TransformerSentiment | None = None,
    split: str | None = None,
) -> Evaluation:
    """Score a labeled file with the lexicon scorer, or with a transformer for sentiment.

    Args:
        path: the labeled .tsv file.
        task: "sentiment" or "hedging".
        scorer: the lexicon scorer (a default one when None).
        sentiment: a transformer backend; when given, it decides sentiment labels.
        split: only the rows of this split (the `split` column), e.g. "test".

    Example:
        >>> import tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "s.tsv"
        >>> _ = f.write_text("净亏损扩大。\\tnegative\\nRevenue grew 20%.\\tpositive\\n", encoding="utf-8")
        >>> evaluate(f, "sentiment").accuracy
        1.0
    """
    task = _task(task)
    rows = read_labeled(path, task, split)
    texts = [s for s, _ in rows]
    if task is Task.SENTIMENT and sentiment is not None:
        predicted = [tone.value for _, tone in sentiment(texts)]
    else:
        from callnlp.scoring import LexiconScorer

        scorer = scorer or LexiconScorer()
        scores = [scorer(t) for t in texts]
        if task is Task.SENTIMENT:
            predicted = [s.tone.value for s in scores]
        else:
            predicted = ["yes" if s.hedged else "no" for s in scores]
    return _measure(task, [g for _, g in rows], predicted)


def _task(task: Task | str) -> Task:
    try:
        return Task(task)
    except ValueError:
        raise OptionError(f"unknown task {task!r}; valid tasks: {', '.join(t.value for t in Task)}") from None


def _measure(task: Task, gold: list[str], predicted: list[str]) -> Evaluation:
    labels = LABELS[task]
    pairs = Counter(zip(gold, predicted, strict=True))
    confusion = {g: {p: pairs[g, p] for p in labels} for g in labels}
    f1 = {}
    for label in labels:
        tp = pairs[label, label]
        guessed = sum(pairs[g, label] for g in labels)
        actual = sum(pairs[label, p] for p in labels)
        f1[label] = round(2 * tp / (guessed + actual), 4) if guessed + actual else 0.0
    accuracy = sum(pairs[label, label] for label in labels) / len(gold)
    return Evaluation(
        task, len(gold), round(accuracy, 4), round(sum(f1.values()) / len(f1), 4), f1, confusion
    )
