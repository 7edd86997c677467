from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CORPORA

from callnlp.errors import InputNotFoundError, LabeledDataError, OptionError
from callnlp.evaluate import Task, evaluate, read_labeled

LABELED = CORPORA / "labeled"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "labels.tsv"
    path.write_text(text, encoding="utf-8")
    return path


def test_evaluate_counts_a_confusion_table(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "净亏损扩大。\tnegative\n收入增长20%。\tpositive\nRevenue grew 20%.\tnegative\n下一个问题。\tneutral\n",
    )
    result = evaluate(path, "sentiment")
    assert result.n == 4
    assert result.accuracy == 0.75
    assert result.confusion["negative"]["positive"] == 1
    assert result.f1 == {"positive": 0.6667, "negative": 0.6667, "neutral": 1.0}
    assert "gold \\ predicted" in result.table()


def test_evaluate_reads_headers_and_splits(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "id\tsentence\tsentiment\thedge\tsplit\n1\t可能会波动。\tneutral\tyes\ttest\n2\tRevenue grew.\tpositive\tno\ttune\n",
    )
    assert read_labeled(path, Task.HEDGING, "test") == [("可能会波动。", "yes")]
    assert read_labeled(path, Task.SENTIMENT) == [("可能会波动。", "neutral"), ("Revenue grew.", "positive")]


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        (
            "收入增长。\tgood\n",
            LabeledDataError,
            r"line 1: label 'good' is not one of positive, negative, neutral",
        ),
        ("收入增长。\n", LabeledDataError, r"line 1: expected tab-separated columns"),
        ("", LabeledDataError, r"holds no rows"),
        ("sentence\ttext\nx\ty\n", LabeledDataError, r"no sentiment label column"),
    ],
)
def test_evaluate_names_bad_rows(tmp_path: Path, text: str, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        evaluate(write(tmp_path, text), "sentiment")


def test_evaluate_errors_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(InputNotFoundError, match="no such labeled file"):
        evaluate(tmp_path / "missing.tsv", "sentiment")
    with pytest.raises(OptionError, match="valid tasks: sentiment, hedging"):
        evaluate(write(tmp_path, "x\tyes\n"), "tone")


# The bars of the labeled set, on the held-out split (every third row; see its README).
BARS = [
    ("zh", Task.SENTIMENT, "macro", 0.80),
    ("en", Task.SENTIMENT, "macro", 0.80),
    ("zh", Task.HEDGING, "yes", 0.85),
    ("en", Task.HEDGING, "yes", 0.85),
]


@pytest.mark.parametrize(("lang", "task", "measure", "bar"), BARS)
def test_evaluate_labeled_set_held_out(lang: str, task: Task, measure: str, bar: float) -> None:
    result = evaluate(LABELED / f"{lang}.tsv", task, split="test")
    assert result.n == 140
    value = result.macro_f1 if measure == "macro" else result.f1["yes"]
    assert value >= bar


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_evaluate_labeled_set_shape(lang: str) -> None:
    rows = (LABELED / f"{lang}.tsv").read_text(encoding="utf-8").splitlines()
    header, body = rows[0].split("\t"), [r.split("\t") for r in rows[1:]]
    assert header == ["id", "sentence", "sentiment", "hedge", "split"]
    assert len(body) >= 300
    for n, row in enumerate(body, start=1):
        assert row[4] == ("test" if n % 3 == 0 else "tune")
