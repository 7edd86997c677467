from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import CORPORA

from callnlp.cli import main
from callnlp.errors import InputNotFoundError, LabeledDataError, OptionError
from callnlp.evaluate import Task, evaluate, rank_auc, read_labeled, text_score
from callnlp.record import Sentence, Tone

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


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("可能会波动。\tmaybe\n", r"labels.tsv, line 1: label 'maybe' is not one of yes, no, 0, 1, 2$"),
        ("Revenue grew.\t3\n", r"labels.tsv, line 1: label '3' is not one of yes, no, 0, 1, 2$"),
        (
            "很难说。\t2\nRevenue grew.\tno\n",
            r"line 2: label 'no' is not one of 0, 1, 2 \(the file is graded: it holds a 2\)",
        ),
        (
            "sentence\thedge\n很难说。\t2\nWe'll see.\tyes\n",
            r"line 3: label 'yes' is not one of 0, 1, 2 \(the file is graded",
        ),
    ],
)
def test_evaluate_names_bad_hedge_values(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(LabeledDataError, match=message):
        evaluate(write(tmp_path, text), "hedging")


def test_evaluate_errors_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(InputNotFoundError, match="no such labeled file"):
        evaluate(tmp_path / "missing.tsv", "sentiment")
    with pytest.raises(OptionError, match="valid tasks: sentiment, hedging"):
        evaluate(write(tmp_path, "x\tyes\n"), "tone")


@pytest.mark.parametrize(
    ("rows", "auc"),
    [
        ([(0, 0.1), (1, 0.9)], 1.0),  # perfect ranking
        ([(0, 0.1), (0, 0.2), (1, 0.3), (1, 0.4)], 1.0),
        ([(0, 0.9), (1, 0.1)], 0.0),  # reversed
        ([(0, 0.4), (0, 0.3), (1, 0.2), (1, 0.1)], 0.0),
        ([(0, 0.5), (1, 0.5)], 0.5),  # ties count one half
        ([(0, 0.0), (1, 0.0), (2, 0.0)], 0.5),
        # 0<1: 1; 0<2: 1 and 1; 1<2: 1 and a tie 0.5 -> 4.5 of 5 pairs
        ([(0, 0.1), (1, 0.4), (2, 0.4), (2, 0.9)], 0.9),
        # 0<1: 0.2<0.6 and 0.7>0.6 -> 1; 0<2: (0.2,0.7)<0.8 -> 2; 1<2: 0.6<0.8 -> 1: 4 of 5 pairs
        ([(0, 0.2), (0, 0.7), (1, 0.6), (2, 0.8)], 0.8),
        # 0<1: 0.3>0.1, a tie at 0.3 -> 0.5; 0<2: 0.3<0.9, 0.3>0.2 -> 1; 1<2: 0.1 below both,
        # 0.3 below 0.9 only -> 3: 4.5 of 8 pairs
        ([(0, 0.3), (1, 0.1), (1, 0.3), (2, 0.9), (2, 0.2)], 0.5625),
        ([(1, 0.2), (1, 0.8)], None),  # one grade: no pair to rank
        ([], None),
    ],
)
def test_evaluate_rank_auc_known_answers(rows: list[tuple[int, float]], auc: float | None) -> None:
    assert rank_auc(rows) == auc
    assert rank_auc(reversed(rows)) == auc  # the order of the rows does not matter


def _sentences(*scores: tuple[float, float]) -> list[Sentence]:
    tone = {True: "neutral", False: "positive"}
    return [
        Sentence(n, None, 1, 0, 1, "x.", None, v, tone[abs(v) < 0.3], h) for n, (v, h) in enumerate(scores)
    ]


@pytest.mark.parametrize(
    ("task", "scores", "pooled"),
    [
        (
            Task.SENTIMENT,
            [(0.5, 0.0), (-0.25, 0.0)],
            (3 * 0.5 - 0.25) / 4,
        ),  # headline x3, the next x2, neutral x0.5
        (Task.SENTIMENT, [(0.8, 0.0)], 0.8),
        (Task.HEDGING, [(0.0, 0.0), (0.0, 0.75), (0.0, 0.5)], 0.75),  # the max: its most hedged sentence
        (Task.HEDGING, [(0.0, 0.0)], 0.0),
    ],
)
def test_evaluate_text_score_pools_sentences(
    task: Task, scores: list[tuple[float, float]], pooled: float
) -> None:
    assert text_score(_sentences(*scores), task) == pytest.approx(pooled, abs=1e-4)


# (sentiment, hedging) of each sentence, as the fake scorer gives them
SCORES = {"好。": (0.8, 0.0), "差。": (-0.4, 0.0), "难说。": (0.0, 0.9), "Firm.": (0.0, 0.0),
          "Hard to say.": (0.0, 0.9), "Good.": (0.8, 0.0)}  # fmt: skip


class FakeScorer:
    """A scorer that knows its sentences' scores, so a text's score is known exactly."""

    tone_threshold = 0.3
    hedge_threshold = 0.5

    def __call__(self, sentence: str) -> SimpleNamespace:
        sentiment, hedging = SCORES[sentence]
        tone = "positive" if sentiment >= 0.3 else "negative" if sentiment <= -0.3 else "neutral"
        return SimpleNamespace(sentiment=sentiment, tone=tone, hedging=hedging)


@pytest.mark.parametrize(
    ("task", "text", "label", "predicted"),
    [
        (
            Task.SENTIMENT,
            "差。好。\tpositive\n差。\tnegative\n",
            "positive",
            "neutral",
        ),  # headline weighs most
        (Task.SENTIMENT, "Good. Good.\tpositive\n差。\tnegative\n", "positive", "positive"),
        (Task.HEDGING, "Firm. 难说。\t2\nFirm.\t0\n", "yes", "yes"),  # max 0.9, the mean 0.45 is not
        (Task.HEDGING, "Firm. Firm. Hard to say.\tyes\nFirm.\tno\n", "yes", "yes"),
    ],
)
def test_evaluate_scores_a_text_by_its_sentences(
    tmp_path: Path, task: Task, text: str, label: str, predicted: str
) -> None:
    result = evaluate(write(tmp_path, text), task, scorer=FakeScorer())
    assert result.confusion[label][predicted] == 1
    assert result.auc == 1.0


def test_evaluate_transformer_reads_each_row_whole(tmp_path: Path) -> None:
    seen: list[list[str]] = []

    def model(texts: list[str]) -> list[tuple[float, Tone]]:
        seen.append(list(texts))
        return [(0.9, Tone.POSITIVE) if "好" in t else (-0.6, Tone.NEGATIVE) for t in texts]

    result = evaluate(write(tmp_path, "好。差。\tpositive\n差。\tnegative\n"), "sentiment", sentiment=model)
    assert seen == [["好。差。", "差。"]]  # one batch, one text a row
    assert (result.accuracy, result.auc) == (1.0, 1.0)


def test_evaluate_reads_graded_files(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "id\tlang\tsentence\thedge\tsplit\n"
        "1\tzh\t目前来看还不好说。\t2\ttune\n"
        "2\ten\tI think we'll land around the midpoint.\t1\ttest\n"
        "3\tzh\t我们明年将新开40家门店。\t0\ttest\n",
    )
    # a 2 in any split makes the whole file graded
    assert read_labeled(path, Task.HEDGING, "test") == [
        ("I think we'll land around the midpoint.", "1"),
        ("我们明年将新开40家门店。", "0"),
    ]
    result = evaluate(path, "hedging")
    assert result.n == 3
    assert sum(result.confusion["yes"].values()) == 2  # F1 counts 1 and 2 as hedged
    assert sum(result.confusion["no"].values()) == 1
    assert result.auc is not None


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        ("可能会波动。\t1\nRevenue grew.\t0\n", ["yes", "no"]),  # no 2: 0 and 1 are no and yes
        ("可能会波动。\tyes\nRevenue grew.\tfalse\n", ["yes", "no"]),
        ("可能会波动。\t2\nRevenue grew.\t0\n", ["2", "0"]),
    ],
)
def test_evaluate_reads_yes_no_and_graded_labels(tmp_path: Path, text: str, labels: list[str]) -> None:
    assert [label for _, label in read_labeled(write(tmp_path, text), Task.HEDGING)] == labels


@pytest.mark.parametrize(
    ("text", "task", "auc"),
    [
        ("可能会波动。\tyes\nRevenue grew 20%.\tno\n", Task.HEDGING, 1.0),
        ("Revenue grew 20%.\tyes\n可能会波动。\tno\n", Task.HEDGING, 0.0),
        ("Revenue grew 20%.\tyes\n收入增长20%。\tno\n", Task.HEDGING, 0.5),  # both score 0
        ("可能会波动。\tyes\n不确定。\tyes\n", Task.HEDGING, None),  # one grade only
        # neutral rows stay out of the sentiment AUC, however they score
        (
            "净亏损扩大。\tnegative\n收入增长20%。\tpositive\nRevenue grew 20%.\tneutral\n",
            Task.SENTIMENT,
            1.0,
        ),
        ("净亏损扩大。\tpositive\nRevenue grew 20%.\tnegative\n", Task.SENTIMENT, 0.0),
    ],
)
def test_evaluate_reports_rank_auc(tmp_path: Path, text: str, task: Task, auc: float | None) -> None:
    result = evaluate(write(tmp_path, text), task)
    assert result.auc == auc
    assert f"rank AUC {'n/a' if auc is None else f'{auc:.3f}'}" in result.table().splitlines()[0]


LANG_FILE = (
    "id\tlang\tsentence\thedge\tsplit\n"
    "1\tzh\t目前来看还不好说，还需要再观察一段时间。\t2\ttune\n"
    "2\ten\tIt's hard to say, it really depends on how the market evolves.\t2\ttune\n"
    "3\tzh\t我们明年将新开40家门店。\t0\ttest\n"
    "4\ten\tWe will open 40 stores next year.\t0\ttest\n"
    "5\ten\tI think we'll land around the midpoint.\t1\ttest\n"
)


@pytest.mark.parametrize(
    ("args", "n"),
    [
        (["--lang", "zh"], 2),
        (["--lang", "en"], 3),
        (["--lang", "en", "--split", "test"], 2),
        ([], 5),
    ],
)
def test_evaluate_lang_selects_rows(tmp_path: Path, args: list[str], n: int, capsys) -> None:
    assert main(["eval", "hedging", str(write(tmp_path, LANG_FILE)), *args]) == 0
    assert f"hedging: {n} sentences" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        (LANG_FILE, ["--lang", "fr"], "unknown language 'fr'; valid languages: zh, en"),
        ("可能会波动。\tyes\n", ["--lang", "zh"], "--lang zh given but the file has no `lang` column"),
        (LANG_FILE, ["--lang", "zh", "--split", "dev"], "no rows in split 'dev' and lang 'zh' to evaluate"),
    ],
)
def test_evaluate_lang_errors_are_one_line(
    tmp_path: Path, text: str, args: list[str], message: str, capsys
) -> None:
    assert main(["eval", "hedging", str(write(tmp_path, text)), *args]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_evaluate_lang_is_not_for_search(capsys) -> None:
    assert main(["eval", "search", "queries.tsv", "--lang", "zh"]) == 1
    assert (
        "--split, --lang and --sentiment-* are for `eval sentiment` and `eval hedging`"
        in capsys.readouterr().err
    )


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


def test_evaluate_news_and_answer_sets_shape() -> None:
    """zh_news.tsv and answers.tsv: their columns, sizes, labels and the split rule (see the README)."""
    shapes = [
        ("zh_news.tsv", ["id", "sentence", "sentiment", "hedge", "split"], "zhn"),
        ("answers.tsv", ["id", "lang", "sentence", "hedge", "split"], "ans"),
    ]
    for name, columns, prefix in shapes:
        rows = (LABELED / name).read_text(encoding="utf-8").splitlines()
        header, body = rows[0].split("\t"), [dict(zip(columns, r.split("\t"), strict=True)) for r in rows[1:]]
        assert header == columns
        for n, row in enumerate(body, start=1):
            assert row["id"] == f"{prefix}-{n:03d}"
            assert row["split"] == ("test" if n % 3 == 0 else "tune")
    news = read_labeled(LABELED / "zh_news.tsv", Task.SENTIMENT)
    assert len(news) >= 240
    assert {label for _, label in news} == {"positive", "negative", "neutral"}
    for lang in ("zh", "en"):
        grades = [label for _, label in read_labeled(LABELED / "answers.tsv", Task.HEDGING, lang=lang)]
        assert len(grades) == 110
        assert all(35 <= grades.count(g) <= 38 for g in "012")
