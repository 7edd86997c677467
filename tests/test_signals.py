from __future__ import annotations

import pytest
from conftest import CORPORA

from callnlp import analyze
from callnlp.signals import COLUMNS, call_signals, with_changes
from callnlp.store import EventStore

GUIDE = "Acme (ACM) Q1 2025 Earnings Call\nApril 20, 2025\n\nOperator: Welcome.\nJane Doe: {text}\n"


def test_signals_seed_000_hedges_more_in_answers_than_in_the_script(seed) -> None:
    s = call_signals(analyze(seed("000")))
    assert s["hedging_mgmt_qa"] > s["hedging_mgmt_prepared"]
    assert s["hedging_qa"] > s["hedging_prepared"]
    assert s["questions"] == 13
    assert s["guidance_revenue_quarter"] == pytest.approx(1.08e9)  # 10.6亿美元至11亿美元
    assert s["guidance_revenue_quarter_period"] == "2025Q2"
    assert s["guidance_revenue_year"] == pytest.approx(5.0e9)  # 49亿美元至51亿美元
    assert s["guidance_revenue_year_period"] == "FY2025"


@pytest.mark.parametrize(
    ("text", "column", "value", "period"),
    [
        ("We expect Q2 revenue of $10 million to $12 million.", "guidance_revenue_quarter", 11e6, "2025Q2"),
        ("我们预计第二季度收入为1亿元至1.2亿元。", "guidance_revenue_quarter", 1.1e8, "2025Q2"),
        ("For the full year we expect capex of $300 million.", "guidance_capex_year", 3e8, "FY2025"),
        ("我们预计2025财年资本支出约为20亿元。", "guidance_capex_year", 2e9, "FY2025"),
    ],
)
def test_signals_guidance_midpoints(text: str, column: str, value: float, period: str) -> None:
    s = call_signals(analyze(GUIDE.format(text=text).encode()))
    assert s[column] == pytest.approx(value)
    assert s[f"{column}_period"] == period


def test_signals_every_column_is_documented_and_filled() -> None:
    s = call_signals(analyze(CORPORA / "calls" / "en_fool_helios_q2_2025.txt"))
    assert list(s) == list(COLUMNS)
    assert s["analysts"] == 4
    assert s["questions"] == 5
    assert s["answer_to_question_length"] > 1
    assert 0 < s["figures_per_1k_tokens"] < 100


def test_signals_interpreters_are_not_counted_twice() -> None:
    record = analyze(CORPORA / "calls" / "interpreted_tianlan_2025q3.txt")
    interpreted = {t.index for t in record.turns if t.translates is not None}
    assert interpreted
    s = call_signals(record)
    own = [f for f in record.figures if f.turn not in interpreted]
    tokens = sum(x.tokens for x in record.sentences if x.turn not in interpreted)
    assert s["figures_per_1k_tokens"] == round(1000 * len(own) / tokens, 4)


def test_signals_changes_against_the_previous_call() -> None:
    rows = [
        {"company": "Acme", "date": "2025-07-20", "hedging_qa": 3.0, "guidance_revenue_year": 120.0,
         "guidance_revenue_year_period": "FY2025", "guidance_revenue_year_unit": "USD"},
        {"company": "Acme", "date": "2025-04-20", "hedging_qa": 2.0, "guidance_revenue_year": 100.0,
         "guidance_revenue_year_period": "FY2025", "guidance_revenue_year_unit": "USD"},
        {"company": "Acme", "date": "2025-10-20", "hedging_qa": 2.5, "guidance_revenue_year": 140.0,
         "guidance_revenue_year_period": "FY2026", "guidance_revenue_year_unit": "USD"},
        {"company": "Other", "date": "2025-05-01", "hedging_qa": 9.0},
    ]  # fmt: skip
    out = {(r["company"], r["date"]): r for r in with_changes(rows)}
    assert out["Acme", "2025-04-20"]["hedging_qa_change"] is None
    assert out["Acme", "2025-07-20"]["hedging_qa_change"] == 1.0
    assert out["Acme", "2025-07-20"]["guidance_revenue_year_change"] == 20.0  # raised
    assert out["Acme", "2025-10-20"]["guidance_revenue_year_change"] is None  # another fiscal year
    assert out["Other", "2025-05-01"]["hedging_qa_change"] is None


def test_signals_chain_changes_only_within_one_known_company() -> None:
    rows = [
        {"ticker": "ABM", "company": None, "date": None, "period": "2021Q1", "hedging_qa": 1.0},
        {"ticker": "ABM", "company": None, "date": None, "period": "2021Q2", "hedging_qa": 3.0},
        {"ticker": None, "company": None, "date": "2021-05-01", "period": None, "hedging_qa": 2.0},
        {"ticker": None, "company": None, "date": "2021-08-01", "period": None, "hedging_qa": 5.0},
    ]  # fmt: skip
    out = {(r["ticker"], r["period"], r["date"]): r for r in with_changes(rows)}
    assert out["ABM", "2021Q2", None]["hedging_qa_change"] == 2.0  # one ticker, one company
    assert out[None, None, "2021-08-01"]["hedging_qa_change"] is None  # no known company: no chain


def test_signals_table_and_evidence_from_the_store(tmp_path) -> None:
    store = EventStore(tmp_path / "calls.db")
    for path in sorted((CORPORA / "calls").glob("*.txt")):
        store.add(analyze(path))
    table = store.signals()
    assert len(table) == 5
    assert {"company", "date", "period", "language", *COLUMNS} <= set(table.columns)
    assert {f"{c}_change" for c in COLUMNS if not c.endswith(("_period", "_unit"))} <= set(table.columns)
    evidence = store.evidence()
    records = [analyze(p) for p in sorted((CORPORA / "calls").glob("*.txt"))]
    assert (evidence["type"] == "figure").sum() == sum(len(r.figures) for r in records)
    hedges = sum(
        1 for r in records for s in r.sentences for c in s.cues if c.kind.value in ("hedge", "weak_modal")
    )
    assert (evidence["type"] == "hedge").sum() == hedges
    assert evidence[["call_id", "line", "start", "end", "text"]].notna().all().all()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_signals_columns_keep_their_types_whatever_the_data(tmp_path, suffix: str) -> None:
    import pandas as pd

    from callnlp.export import write_table
    from callnlp.signals import dtypes

    # a call with no guidance, no Q&A and no company: whole columns stay empty
    store = EventStore(tmp_path / "calls.db")
    store.add(analyze("Revenue grew 5% in the quarter. 收入增长5%。".encode()))
    frame = store.signals()
    assert {c: str(t) for c, t in frame.dtypes.items()} == dtypes()
    write_table(frame, tmp_path / f"signals{suffix}")
    back = (
        pd.read_parquet(tmp_path / "signals.parquet")
        if suffix == ".parquet"
        else pd.read_csv(tmp_path / "signals.csv")
    )
    empty = [c for c in frame.columns if frame[c].isna().all()]
    assert empty  # the case this test is about
    assert not [c for c in back.columns if back[c].dtype == object and dtypes()[c] != "string"]
