from __future__ import annotations

import pytest
from conftest import CORPORA, postgres, seed_paths

from callnlp import analyze
from callnlp.errors import OptionError
from callnlp.search import search
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
def test_search_malformed_queries_never_error(store, query: str) -> None:
    result = search(store, query)
    assert isinstance(result.hits, tuple)


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
