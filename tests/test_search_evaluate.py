from __future__ import annotations

import doctest
import importlib.util
import os
from pathlib import Path

import pytest
from conftest import CORPORA, ROOT

from callnlp import analyze
from callnlp.cli import main
from callnlp.embed import ENV_MODEL
from callnlp.errors import InputNotFoundError, LabeledDataError
from callnlp.search import evaluate as evaluate_module
from callnlp.search.evaluate import evaluate_search, measure
from callnlp.store import EventStore

CALLS = CORPORA / "calls"
ECTSUM = Path(__file__).resolve().parents[2] / "shared" / "dev" / "ectsum-val"

# A distinctive fact of each transcript, asked in Chinese and in English, and the file it is in.
FOUND = [
    ("每股收益1.14美元", "en_colon_northwind_q1_2026.txt"),
    ("warehouse automation rollout 12 sites", "en_colon_northwind_q1_2026.txt"),
    ("利息支出", "en_fool_helios_q2_2025.txt"),
    ("data-center orders grew 41%", "en_fool_helios_q2_2025.txt"),
    ("剩余履约义务39亿美元", "en_sa_quantaridge_q3_2025.txt"),
    ("seat compression", "en_sa_quantaridge_q3_2025.txt"),
    ("天岚视觉大模型部署86个客户", "interpreted_tianlan_2025q3.txt"),
    ("Tianlan Vision large model 86 customer sites", "interpreted_tianlan_2025q3.txt"),
    ("钠离子电池中试线", "zh_qa_style_jinghong_2025q2.txt"),
    ("ESG", "zh_qa_style_jinghong_2025q2.txt"),  # the Chinese call writes it so
]
# Only the Tianlan call plans teams in Mexico and Vietnam: Northwind cannot come back.
MISSED = ("Mexico Vietnam delivery team", "en_colon_northwind_q1_2026.txt")


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("evaluate") / "calls.db"
    with EventStore(path) as store:
        for transcript in sorted(CALLS.glob("*.txt")):
            store.add(analyze(transcript))
    return path


@pytest.fixture(scope="module")
def store(db: Path):
    with EventStore(db) as s:
        yield s


def write(tmp_path: Path, rows: list[tuple[str, str]] | str) -> Path:
    path = tmp_path / "queries.tsv"
    text = rows if isinstance(rows, str) else "".join(f"{q}\t{e}\n" for q, e in rows)
    path.write_text(text, encoding="utf-8")
    return path


def test_evaluate_search_finds_every_call_in_both_languages(store, tmp_path: Path) -> None:
    result = evaluate_search(write(tmp_path, FOUND), store)
    assert (result.n, result.mrr, result.hit1, result.hit5, result.failed) == (10, 1.0, 1.0, 1.0, ())
    assert "every query ranked its call first" in result.table()


def test_evaluate_search_lists_the_query_that_misses(store, tmp_path: Path) -> None:
    result = evaluate_search(write(tmp_path, [*FOUND, MISSED]), store)
    assert (result.n, result.mrr, result.hit1, result.hit5) == (11, 0.9091, 0.9091, 0.9091)
    assert result.failed == ((*MISSED, None, str(CALLS / "interpreted_tianlan_2025q3.txt")),)
    table = result.table()
    assert "MRR@10 0.909, hit@1 0.909, hit@5 0.909" in table
    assert f"   -  Mexico Vietnam delivery team -> {MISSED[1]}; first: " in table


@pytest.mark.parametrize(
    "name",
    [
        lambda call_id, path: call_id,
        lambda call_id, path: call_id[:6],
        lambda call_id, path: call_id[:12].upper(),
        lambda call_id, path: str(path),  # as ingested
        lambda call_id, path: os.path.relpath(path),  # the same file by another path
        lambda call_id, path: path.name,  # unique in the store
    ],
    ids=["id", "id prefix", "upper-case prefix", "path", "relative path", "file name"],
)
def test_evaluate_search_expected_names_a_call(store, tmp_path: Path, name) -> None:
    path = CALLS / "en_sa_quantaridge_q3_2025.txt"
    call_id = next(c["id"] for c in store.calls() if c["source"] == str(path))
    assert evaluate_search(write(tmp_path, [("seat compression", name(call_id, path))]), store).mrr == 1.0


def test_evaluate_search_skips_header_comments_and_blank_lines(store, tmp_path: Path) -> None:
    text = (
        "Query\tExpected\n# why these queries\n\n  \nseat compression\ten_sa_quantaridge_q3_2025.txt\tnote\n"
    )
    assert evaluate_search(write(tmp_path, text), store).n == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("seat compression\n", r"queries\.tsv, line 1: no tab; write each row as query<TAB>expected"),
        ("query\texpected\n\ten_sa_quantaridge_q3_2025.txt\n", r"queries\.tsv, line 2: the query is empty"),
        ("# nothing yet\n", r"queries\.tsv: the file holds no queries"),
        (
            "\nseat compression\tnowhere.txt\n",
            r"queries\.tsv, line 2: 'nowhere\.txt' names no stored call; give a call id",
        ),
        ("seat compression\tabcdef\n", r"line 1: 'abcdef' names no stored call"),
        ("seat compression\t\n", r"line 1: '' names no stored call"),
        ("seat compression\t资本支出\n", r"line 1: '资本支出' names no stored call"),
    ],
)
def test_evaluate_search_names_the_bad_line(store, tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(LabeledDataError, match=message):
        evaluate_search(write(tmp_path, text), store)


def test_evaluate_search_file_errors_name_the_fix(store, tmp_path: Path) -> None:
    with pytest.raises(InputNotFoundError, match=r"missing\.tsv: no such queries file; give a \.tsv"):
        evaluate_search(tmp_path / "missing.tsv", store)
    path = tmp_path / "queries.tsv"
    path.write_bytes("资本支出\tx.txt\n".encode("gb18030"))
    with pytest.raises(
        LabeledDataError, match=r"queries\.tsv: the queries file is not UTF-8 text; save it as UTF-8"
    ):
        evaluate_search(path, store)


def test_evaluate_search_file_name_shared_by_two_calls_is_ambiguous(tmp_path: Path) -> None:
    for folder, text in (("a", "Capex was $20 billion."), ("b", "Revenue grew 5%.")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "call.txt").write_text(text, encoding="utf-8")
    with EventStore(tmp_path / "calls.db") as store:
        for folder in ("a", "b"):
            store.add(analyze(tmp_path / folder / "call.txt"))
        with pytest.raises(LabeledDataError, match=r"line 1: 'call\.txt' names 2 stored calls"):
            evaluate_search(write(tmp_path, [("capex", "call.txt")]), store)
        assert (
            evaluate_search(write(tmp_path, [("capex", str(tmp_path / "a" / "call.txt"))]), store).mrr == 1.0
        )


@pytest.mark.parametrize(
    ("ranks", "limit", "figures"),
    [
        ([1, 2, None, 5], 10, (0.425, 0.25, 0.75)),
        ([1, 12], 10, (0.5, 0.5, 0.5)),  # beyond the limit is not found
        ([3, 6], 5, (0.1667, 0.0, 0.5)),
        ([], 10, (0.0, 0.0, 0.0)),
    ],
)
def test_evaluate_search_measure_figures(ranks: list[int | None], limit: int, figures: tuple) -> None:
    result = measure([("q", "e", rank, "top") for rank in ranks], limit)
    assert (result.mrr, result.hit1, result.hit5) == figures


def test_evaluate_search_table_shows_at_most_20_misses_cut_to_80_characters() -> None:
    table = measure([("资本支出" * 30, "a.txt", None, "b.txt")] * 25).table()
    lines = table.splitlines()
    assert "25 not ranked first" in table
    assert len(lines) == 3 + 20 + 1
    assert lines[3] == f"   -  {'资本支出' * 19}资本支… -> a.txt; first: b.txt"
    assert lines[-1] == "      ... and 5 more"


def test_evaluate_search_docstring_examples_run() -> None:
    assert doctest.testmod(evaluate_module, optionflags=doctest.ELLIPSIS).failed == 0


def test_evaluate_search_cli_prints_mrr(db: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv(ENV_MODEL, raising=False)
    assert main(["eval", "search", str(write(tmp_path, [*FOUND, MISSED])), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("search: 11 queries, MRR@10 0.909, hit@1 0.909, hit@5 0.909\n")
    assert "Mexico Vietnam delivery team" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["eval", "search", "x.tsv", "--split", "test"],
            "--split, --lang and --sentiment-* are for `eval sentiment` and `eval hedging`",
        ),
        (["eval", "hedging", "x.tsv", "--db", "calls.db"], "--db is for `eval search`, not `eval hedging`"),
        (["eval", "search", "missing.tsv"], "no store at"),  # a reader never makes a store
    ],
)
def test_evaluate_search_cli_errors_are_one_line(
    args: list[str], message: str, tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ENV_MODEL, raising=False)
    assert main(args) == 1
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1
    assert not (tmp_path / "callnlp.db").exists()


@pytest.mark.slow
def test_evaluate_search_known_items_of_ectsum(tmp_path: Path) -> None:
    if not ECTSUM.is_dir():
        pytest.skip(f"the ECTSum dev set is not at {ECTSUM} (see bench/search_quality.py)")
    spec = importlib.util.spec_from_file_location("search_quality", ROOT / "bench" / "search_quality.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)  # the bench's own picking of queries, so both measure the same thing
    bench.build(tmp_path / "calls.db", ECTSUM, None)
    queries = bench.write_queries(bench.pick_queries(ECTSUM, 40, seed=14), tmp_path)
    with EventStore(tmp_path / "calls.db") as store:
        result = evaluate_search(queries, store)
    assert result.n == 40
    assert result.mrr >= 0.75, result.table()
