from __future__ import annotations

import pytest

from callnlp.fts import _date_words, match, tags


@pytest.mark.parametrize(
    ("since", "until", "words"),
    [
        ("2025-03-01", "2025-04-30", ["m202503", "m202504"]),
        ("2024-12-01", "2026-01-31", ["m202412", "y2025", "m202601"]),
        ("2025-03-30", "2025-05-01", ["d20250330", "d20250331", "m202504", "d20250501"]),
        ("2024-02-28", "2024-03-01", ["d20240228", "d20240229", "d20240301"]),  # a leap year
        ("2025-05-02", "2025-05-01", []),
        ("05/02/2025", "2025-05-01", []),
    ],
)
def test_fts_date_ranges_become_words(since: str, until: str, words: list[str]) -> None:
    assert _date_words(since, until) == words


def test_fts_tags_and_match() -> None:
    assert tags("CoreWeave", "2025-05-14").split()[1:] == ["y2025", "m202505", "d20250514"]
    assert tags("coreweave ", None) == tags("CoreWeave", None)
    q = match([("资本支出",), ("capital", "expenditure")], False, {"company": "CoreWeave"}, (None, None))
    assert q == f'terms : ("资本支出" OR "capital expenditure") AND tags : {tags("CoreWeave", None)}'
    assert match([('a"b',)], True, {}, (None, None)) == 'terms : ("a""b")'
    assert match([("x",)], True, {"since": "2030-01-01"}, ("2025-01-01", "2026-01-01")) is None


def test_fts_ranks_the_newest_matches_of_a_common_word(tmp_path, monkeypatch) -> None:
    from callnlp import analyze, fts
    from callnlp.search import search
    from callnlp.store import EventStore

    store = EventStore(tmp_path / "calls.db")
    for name in ("Alpha", "Beta", "Gamma"):  # stored in this order: Gamma is the newest
        store.add(analyze(f"{name} (ABC) Q1 2025 call\nOur backlog grew.".encode()))
    assert {h.company for h in search(store, "backlog").hits} == {"Alpha", "Beta", "Gamma"}
    monkeypatch.setattr(fts, "RANKED", 2)
    assert {h.company for h in search(store, "backlog").hits} == {"Beta", "Gamma"}
