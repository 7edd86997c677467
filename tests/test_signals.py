from __future__ import annotations

import pytest
from conftest import CORPORA

from callnlp import analyze
from callnlp.signals import COLUMNS, call_signals, dtypes, with_changes
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
    assert {f"{c}_change" for c, t in dtypes().items() if c in COLUMNS and t != "string"} <= set(
        table.columns
    )
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


# (sentence, the event columns it must count 1 in; every other event column stays 0)
EVENT_CASES = [
    ("We are raising our full-year revenue guidance.", {"guidance_raised"}),
    ("我们上调了全年收入指引。", {"guidance_raised"}),
    ("Our outlook has been raised twice this year.", set()),  # no passive row for outlook
    ("We are lowering our guidance for the second half.", {"guidance_cut"}),
    ("公司下调2025年利润预测。", {"guidance_cut"}),
    ("We are withdrawing our full-year outlook.", {"guidance_withdrawn"}),
    ("鉴于不确定性，公司暂停提供全年指引。", {"guidance_withdrawn"}),
    ("We reaffirm our 2025 guidance.", {"guidance_maintained"}),
    ("我们维持全年收入指引不变。", {"guidance_maintained"}),
    ("Results came in well ahead of consensus expectations.", {"beats"}),
    ("本季度净利润超预期。", {"beats"}),
    ("EPS was $0.06 above the high end of our guidance.", {"beats"}),
    ("Revenue fell short of our expectations.", {"misses"}),
    ("本季度收入不及预期。", {"misses"}),
    # words of an event without the event
    ("We landed at the lower end of our guidance range.", set()),
    ("我们处于指引区间的下限。", set()),
    ("We expect to raise capital next year.", set()),
    ("Our guidance includes an expected rate increase.", set()),
    ("我们对全年指引充满信心。", set()),
]
EVENT_COLUMNS = (
    "guidance_raised",
    "guidance_cut",
    "guidance_withdrawn",
    "guidance_maintained",
    "beats",
    "misses",
)


@pytest.mark.parametrize(("sentence", "events"), EVENT_CASES)
def test_signals_events_count_what_a_sentence_says(sentence: str, events: set[str]) -> None:
    s = call_signals(analyze(sentence.encode()))
    assert {c for c in EVENT_COLUMNS if s[c]} == events
    assert all(s[c] in (0, 1) for c in EVENT_COLUMNS)


@pytest.mark.parametrize(
    ("text", "beats", "misses"),
    [
        ("Analysts expected revenue of $10 million. Revenue was $12 million.", 1, 0),
        ("市场一致预期收入为10亿元。本季度收入为9亿元。", 0, 1),
        ("Consensus expected a net loss of $5 million. Our net loss was $3 million.", 1, 0),
    ],
)
def test_signals_figures_against_the_consensus_the_call_states(text: str, beats: int, misses: int) -> None:
    record = analyze(text.encode())
    assert {f.kind.value for f in record.figures} == {"consensus", "actual"}  # what this test reads
    s = call_signals(record)
    assert (s["beats"], s["misses"]) == (beats, misses)


def test_signals_whole_call_versions_on_a_call_without_speakers() -> None:
    # one sentence a line, no speaker names: the layout of stripped transcripts (MAEC)
    lines = [
        "Good afternoon and thank you for joining our fourth quarter call.",
        "Revenue grew 12% and margins expanded to a record.",
        "Demand was strong across every region.",
        "We are raising our full-year guidance.",
        "Orders were lumpy and pricing may remain volatile.",
        "We don't guide to quarterly margins.",
        "Costs rose sharply and the outlook is uncertain.",
        "It is too early to say when demand recovers.",
        "Churn worsened in the last month.",
    ]
    s = call_signals(analyze("\n".join(lines).encode()))
    assert s["sections_seen"] is None
    assert s["roles_seen"] is None
    assert s["mgmt_tone_prepared"] is None  # needs roles: says nothing rather than guess
    assert s["tone_call"] is not None
    assert s["tone_trend"] < 0  # the first third is good news, the last third is not
    assert s["negative_share"] > 0
    assert s["hedging_call"] > 0
    assert s["evasion_per_1k_tokens"] > 0  # over the whole call: no answers to read
    assert s["guidance_raised"] == 1
    assert s["directness"] is None  # no question-answer pairs


def test_signals_answer_signals_aggregate_the_pairs() -> None:
    record = analyze(CORPORA / "calls" / "zh_qa_style_jinghong_2025q2.txt")
    s = call_signals(record)
    pairs = [p for p in record.qa_pairs if p.directness is not None]
    assert s["sections_seen"] == "prepared,qa"
    assert s["directness"] == pytest.approx(sum(p.directness for p in pairs) / len(pairs), abs=1e-4)
    assert s["evasive_answers"] == pytest.approx(
        sum(bool(p.evasion_cues) for p in pairs) / len(pairs), abs=1e-4
    )
    assert 0 < s["evasive_answers"] < 1


def test_signals_guidance_revision_against_the_previous_call() -> None:
    def row(date: str, revenue: float, capex: float | None) -> dict:
        return {
            "ticker": "ACM", "date": date,
            "guidance_revenue_year": revenue, "guidance_revenue_year_period": "FY2025",
            "guidance_revenue_year_unit": "USD",
            "guidance_capex_year": capex, "guidance_capex_year_period": "FY2025" if capex else None,
            "guidance_capex_year_unit": "USD" if capex else None,
        }  # fmt: skip

    out = {r["date"]: r for r in with_changes([row("2025-02-01", 100, 50), row("2025-05-01", 120, 40),
                                               row("2025-08-01", 130, None)])}  # fmt: skip
    assert out["2025-02-01"]["guidance_revision"] is None  # nothing to compare with
    assert out["2025-05-01"]["guidance_revision"] == 0  # revenue raised, capex cut
    assert out["2025-08-01"]["guidance_revision"] == 1  # revenue raised; capex not guided


def test_signals_readme_table_is_written_from_the_code() -> None:
    from callnlp.signals import markdown

    readme = (CORPORA.parent / "README.md").read_text(encoding="utf-8")
    assert markdown() in readme, "README's signal table is stale: paste `python -m callnlp.signals`"


def test_signals_of_a_call_stored_by_an_older_release_are_computed_whole(tmp_path) -> None:
    import sqlite3

    store = EventStore(tmp_path / "calls.db")
    record = analyze(CORPORA / "calls" / "en_fool_helios_q2_2025.txt")
    store.add(record)
    store.close()
    with sqlite3.connect(tmp_path / "calls.db") as db:  # as a release before the new columns stored it
        db.execute("DELETE FROM signals WHERE name IN ('tone_document', 'guidance_raised', 'directness')")
    with EventStore(tmp_path / "calls.db") as again:
        row = again.signals().iloc[0]
    assert row["tone_document"] == pytest.approx(record.signals["tone_document"])
    assert row["directness"] == pytest.approx(record.signals["directness"])
    assert row["guidance_raised"] == record.signals["guidance_raised"]
