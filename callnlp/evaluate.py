"""Scoring a scorer: accuracy, F1, a confusion table and a rank AUC on a labeled file.

A labeled file is tab-separated UTF-8, one text a row: either two columns (text, label) or
a header naming its columns, with `sentence`, the label column (`label`, or `sentiment` /
`hedge` as in corpora/labeled/) and optionally `split` and `lang`. Sentiment labels are
positive, negative, neutral. Hedge labels are yes or no (`1` / `0` alike), or graded: a
file whose hedge column holds any `2` reads 0 (assertive), 1 (somewhat hedged), 2 (strongly
hedged), and F1 counts 1 and 2 as hedged.

The F1s judge the scorer's labels; the rank AUC judges its continuous score: how often a
row of a higher grade (positive over negative, hedged over not, 2 over 1 over 0) scores
higher than a row of a lower grade. The lexicon scorer reads one sentence at a time, so a
text of several sentences gets the score `text_score` makes of theirs: its document tone,
its most hedged sentence.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

from callnlp.errors import InputNotFoundError, LabeledDataError, OptionError
from callnlp.record import Language, Sentence

if TYPE_CHECKING:
    from callnlp.scoring import LexiconScorer
    from callnlp.transformer import TransformerSentiment


class Task(StrEnum):
    """What a labeled file is scored for."""

    SENTIMENT = "sentiment"
    HEDGING = "hedging"


LABELS = {Task.SENTIMENT: ("positive", "negative", "neutral"), Task.HEDGING: ("yes", "no")}
GRADES = ("0", "1", "2")
"""The graded hedge labels: assertive, somewhat hedged, strongly hedged."""
LANGUAGES = (Language.ZH.value, Language.EN.value)
"""The values `--lang` and a file's `lang` column select rows by."""
# Where each label stands for the rank AUC; neutral has no place between positive and
# negative that a tone score should respect, so it is left out.
_RANK = {"positive": 1, "negative": 0, "yes": 1, "no": 0, "0": 0, "1": 1, "2": 2}
_COLUMNS = {
    Task.SENTIMENT: ("label", "sentiment", "tone"),
    Task.HEDGING: ("label", "hedge", "hedged", "hedging"),
}
# "2" only ever stands in a graded file, whose grades F1 reads as yes or no through this too.
_SYNONYMS = {"true": "yes", "1": "yes", "2": "yes", "hedged": "yes", "false": "no", "0": "no",
             "pos": "positive", "neg": "negative", "neu": "neutral"}  # fmt: skip


@dataclass(frozen=True)
class Evaluation:
    """How a scorer did on a labeled file.

    Attributes:
        task: sentiment or hedging.
        n: rows scored (a row may hold a few sentences).
        accuracy: share of rows labeled right.
        macro_f1: the mean F1 over the labels.
        f1: F1 of each label (for hedging, `f1["yes"]` is the hedge F1; graded 1 and 2
            count as yes).
        confusion: confusion[gold][predicted] counts.
        auc: the rank AUC of the continuous score (see `rank_auc`), or None when the rows
            hold fewer than two ranked labels.
    """

    task: Task
    n: int
    accuracy: float
    macro_f1: float
    f1: dict[str, float]
    confusion: dict[str, dict[str, int]]
    auc: float | None = None

    def table(self) -> str:
        """The figures and the confusion table as readable text."""
        labels = list(self.f1)
        width = max(map(len, labels)) + 2
        auc = "n/a" if self.auc is None else f"{self.auc:.3f}"
        out = [
            f"{self.task.value}: {self.n} sentences, accuracy {self.accuracy:.3f}, "
            f"macro-F1 {self.macro_f1:.3f}, rank AUC {auc}",
            "F1 " + ", ".join(f"{label} {f:.3f}" for label, f in self.f1.items()),
            "",
            "gold \\ predicted".ljust(18) + "".join(label.rjust(width) for label in labels),
        ]
        for gold in labels:
            row = "".join(str(self.confusion[gold][p]).rjust(width) for p in labels)
            out.append(gold.ljust(18) + row)
        return "\n".join(out)


def read_text(path: Path, what: str, rows: str) -> str:
    """The text of a labeled .tsv file (UTF-8, a BOM allowed).

    Raises:
        InputNotFoundError: there is no such file.
        LabeledDataError: it is not UTF-8 text.
    """
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise LabeledDataError(f"{path}: the {what} is not UTF-8 text; save it as UTF-8") from None
    except (OSError, ValueError):  # none there, a folder, a name the system refuses
        raise InputNotFoundError(f"{path}: no such {what}; give a .tsv of {rows} rows") from None


def read_labeled(
    path: str | Path, task: Task | str, split: str | None = None, lang: str | None = None
) -> list[tuple[str, str]]:
    """The (text, label) rows of a labeled file, of one split and one language when given.

    Hedge labels come back as yes or no, or as 0, 1 or 2 when the file is graded (its hedge
    column holds a 2 in any row, of any split).

    Raises:
        InputNotFoundError: there is no such file.
        LabeledDataError: a row or the header is malformed; the message names the line.
        OptionError: `lang` is not one of `LANGUAGES`.

    Example:
        >>> import tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "a.tsv"
        >>> _ = f.write_text("lang\\tsentence\\thedge\\nzh\\t不好说。\\t2\\nen\\tWe will.\\t0\\n", "utf-8")
        >>> read_labeled(f, Task.HEDGING, lang="en")
        [('We will.', '0')]
    """
    task, path = _task(task), Path(path)
    if lang is not None and lang not in LANGUAGES:
        raise OptionError(f"unknown language {lang!r}; valid languages: {', '.join(LANGUAGES)}")
    text = read_text(path, "labeled file", "sentence<TAB>label")
    lines = io.StringIO(text, newline="")
    rows = [r for r in csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE) if any(r)]
    if not rows:
        raise LabeledDataError(f"{path}: the file holds no rows")
    sentence, label, split_col, lang_col, first = 0, 1, None, None, 0
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
        lang_col = header.index("lang") if "lang" in header else None
    for option, value, column in (("split", split, split_col), ("lang", lang, lang_col)):
        if value is not None and column is None:
            raise LabeledDataError(f"{path}: --{option} {value} given but the file has no `{option}` column")
    body = []
    for number, row in enumerate(rows[first:], start=first + 1):
        if len(row) <= max(sentence, label, split_col or 0, lang_col or 0):
            raise LabeledDataError(f"{path}, line {number}: expected tab-separated columns, got {row!r}")
        body.append((number, row))
    graded = task is Task.HEDGING and any(row[label].strip() == "2" for _, row in body)
    if graded:
        valid, named = GRADES, f"{', '.join(GRADES)} (the file is graded: it holds a 2)"
    else:
        valid = LABELS[task]
        named = ", ".join(valid + (GRADES if task is Task.HEDGING else ()))
    out = []
    for number, row in body:
        if split is not None and row[split_col] != split:
            continue
        if lang is not None and row[lang_col].strip().lower() != lang:
            continue
        value = row[label].strip().lower()
        if not graded:
            value = _SYNONYMS.get(value, value)
        if value not in valid:
            raise LabeledDataError(f"{path}, line {number}: label {row[label]!r} is not one of {named}")
        out.append((row[sentence], value))
    if not out:
        chosen = " and ".join(
            f"{name} {value!r}" for name, value in (("split", split), ("lang", lang)) if value
        )
        raise LabeledDataError(f"{path}: no rows{f' in {chosen}' if chosen else ''} to evaluate")
    return out


def evaluate(
    path: str | Path,
    task: Task | str,
    *,
    scorer: LexiconScorer | None = None,
    sentiment: TransformerSentiment | None = None,
    split: str | None = None,
    lang: str | None = None,
) -> Evaluation:
    """Score a labeled file with the lexicon scorer, or with a transformer for sentiment.

    Args:
        path: the labeled .tsv file.
        task: "sentiment" or "hedging".
        scorer: the lexicon scorer (a default one when None).
        sentiment: a transformer backend; when given, it decides sentiment, reading each
            row whole.
        split: only the rows of this split (the `split` column), e.g. "test".
        lang: only the rows of this language (the `lang` column): "zh" or "en".

    Example:
        >>> import tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "s.tsv"
        >>> _ = f.write_text("净亏损扩大。\\tnegative\\nRevenue grew 20%.\\tpositive\\n", encoding="utf-8")
        >>> result = evaluate(f, "sentiment")
        >>> result.accuracy, result.auc
        (1.0, 1.0)
    """
    task = _task(task)
    rows = read_labeled(path, task, split, lang)
    texts = [s for s, _ in rows]
    if task is Task.SENTIMENT and sentiment is not None:
        # A model reads a text of a few sentences whole: its tone of the text is the one to judge.
        scored = [(value, tone.value) for value, tone in sentiment(texts)]
    else:
        scored = _lexicon(texts, task, scorer)
    return _measure(task, [g for _, g in rows], scored)


def text_score(sentences: Sequence[Sentence], task: Task) -> float:
    """A text's score from its scored sentences: its document tone for sentiment, its most
    hedged sentence for hedging.

    A text's tone is what it says on the whole, as a reader weighs it (`callnlp.tone`: the
    headline and lead, conclusions and events count more, neutral detail less); an answer
    is as hedged as its most hedged sentence, so one "it's hard to say" is not diluted by
    the firm sentences around it.

    Example:
        >>> from callnlp.record import Sentence
        >>> s = [Sentence(0, None, 1, 0, 5, "Good.", None, 0.8, "positive", 0.0),
        ...      Sentence(1, None, 1, 6, 18, "Hard to say.", None, 0.0, "neutral", 0.75)]
        >>> text_score(s, Task.SENTIMENT), text_score(s, Task.HEDGING)
        (0.6545, 0.75)
    """
    if task is Task.HEDGING:
        return max(s.hedging or 0.0 for s in sentences)
    # here, not at the top: the command line imports this module for `Task`, and the tone
    # brings the phrase lists and the figures into every `callnlp search`
    from callnlp.tone import document_tone

    return document_tone(sentences) or 0.0


def rank_auc(rows: Iterable[tuple[int, float]]) -> float | None:
    """The chance that a row of a higher grade scores higher than a row of a lower grade.

    Counted over every pair of rows whose grades differ, a tie in score as one half: the
    pairwise concordance, which for two grades is the ROC AUC. 1.0 ranks every pair right,
    0.5 is chance, 0.0 ranks every pair the wrong way round.

    Args:
        rows: (grade, score) of each row.

    Returns:
        The AUC rounded to 4 places, or None when no two rows differ in grade.

    Example:
        >>> rank_auc([(0, 0.1), (1, 0.4), (2, 0.4), (2, 0.9)])  # 4.5 of 5 pairs
        0.9
    """
    below: Counter[int] = Counter()  # grades of the rows that scored lower
    won = 0.0
    # Sorted by score, each row wins against the lower grades below it, and half a pair
    # against the lower grades that tie with it.
    for _, tied in groupby(sorted(rows, key=itemgetter(1)), key=itemgetter(1)):
        grades = Counter(g for g, _ in tied)
        for grade, n in grades.items():
            won += n * sum(c for g, c in below.items() if g < grade)
            won += n * sum(c for g, c in grades.items() if g < grade) / 2
        below.update(grades)
    total = below.total()
    pairs = (total * total - sum(c * c for c in below.values())) // 2
    return round(won / pairs, 4) if pairs else None


def _lexicon(texts: list[str], task: Task, scorer: LexiconScorer | None) -> list[tuple[float, str]]:
    """Each text's score (`text_score` over its sentences) and the label it gives."""
    from callnlp.normalize import normalize
    from callnlp.scoring import LexiconScorer, tone_of
    from callnlp.sentences import split_sentences
    from callnlp.text import Source

    scorer = scorer or LexiconScorer()
    out = []
    for text in texts:
        # the scorer reads one normalized sentence at a time, as the pipeline gives it one
        norm = normalize(Source(text, id="")).text
        spans = split_sentences(norm) or [(0, len(norm))]
        sentences = []
        for n, (start, end) in enumerate(spans):
            score = scorer(norm[start:end])
            sentences.append(
                Sentence(
                    n, None, 1, start, end, norm[start:end], None, score.sentiment, score.tone, score.hedging
                )
            )
        value = text_score(sentences, task)
        if task is Task.SENTIMENT:
            label = tone_of(value, scorer.tone_threshold).value
        else:
            label = "yes" if value >= scorer.hedge_threshold else "no"
        out.append((value, label))
    return out


def _task(task: Task | str) -> Task:
    try:
        return Task(task)
    except ValueError:
        raise OptionError(f"unknown task {task!r}; valid tasks: {', '.join(t.value for t in Task)}") from None


def _measure(task: Task, gold: list[str], scored: list[tuple[float, str]]) -> Evaluation:
    labels = LABELS[task]
    auc = rank_auc((_RANK[g], value) for g, (value, _) in zip(gold, scored, strict=True) if g in _RANK)
    decided = [_SYNONYMS.get(g, g) for g in gold]  # graded 1 and 2 are hedged, 0 is not
    pairs = Counter(zip(decided, (label for _, label in scored), strict=True))
    confusion = {g: {p: pairs[g, p] for p in labels} for g in labels}
    f1 = {}
    for label in labels:
        tp = pairs[label, label]
        guessed = sum(pairs[g, label] for g in labels)
        actual = sum(pairs[label, p] for p in labels)
        f1[label] = round(2 * tp / (guessed + actual), 4) if guessed + actual else 0.0
    accuracy = sum(pairs[label, label] for label in labels) / len(gold)
    return Evaluation(
        task, len(gold), round(accuracy, 4), round(sum(f1.values()) / len(f1), 4), f1, confusion, auc
    )
