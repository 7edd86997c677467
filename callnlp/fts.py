"""The SQLite full-text index: FTS5 rows, and queries that filter inside the index.

Joining every full-text match to its call and turn before ranking made a filtered search
of 10,000 calls take hundreds of milliseconds. So each FTS5 row also carries its filter
values as words in a `tags` column (`langzh secqa roleanalyst co3f2a9c1b2d y2025 m202503
d20250312`), and a filter is one more condition of the MATCH: the engine intersects it
with the query's words before anything is ranked.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from functools import cache

DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS sentence_fts "
    "USING fts5(terms, tags, call_id UNINDEXED, sentence UNINDEXED)"
)
INSERT = "INSERT INTO sentence_fts (terms, tags, call_id, sentence) VALUES (?, ?, ?, ?)"
# bm25 weights per column: the tags must not rank anything
RANK = "bm25(sentence_fts, 1.0, 0.0)"
RANKED = 10_000
"""At most this many matches are ranked: the most recently stored. FTS5 computes BM25 for
every match before it can sort, about 1 µs each; a common word (revenue, 收入) matches
100,000 sentences of a 10,000-call store, which took 150-200 ms a query. Ranking the newest
10,000 of them takes about 10 ms, and in a store fed as calls come out the newest are the
calls research looks at first."""

SEARCH = (
    f"SELECT call_id, sentence, -{RANK} AS score FROM sentence_fts WHERE sentence_fts MATCH :q "
    "AND rowid >= coalesce((SELECT rowid FROM sentence_fts WHERE sentence_fts MATCH :q "
    "ORDER BY rowid DESC LIMIT 1 OFFSET :ranked), 0) "
    f"ORDER BY {RANK} LIMIT :limit"
)
"""The ranked search: BM25 over the newest `RANKED` matches (rowids grow as calls are stored)."""


@cache
def tags(lang: str | None, section: str, role: str | None, company: str | None, day: str | None) -> str:
    """The filter words of one sentence (FTS5's default tokenizer keeps letters and digits)."""
    out = [f"lang{lang or 'none'}", f"sec{section}", f"role{role or 'none'}"]
    if company:
        out.append(f"co{_company_key(company)}")
    if day:
        out += [f"y{day[:4]}", f"m{day[:4]}{day[5:7]}", f"d{day.replace('-', '')}"]
    return " ".join(out)


def match(phrases: list[tuple[str, ...]], every: bool, filters: dict[str, str | None], dates) -> str | None:
    """The MATCH expression for `phrases` with `filters`; None when the filters exclude all.

    Args:
        phrases: the phrases, each a tuple of index words.
        every: all words of the single phrase must occur (else any phrase).
        filters: company, since, until, role, section, lang (None: no filter).
        dates: (first, last) call date in the store, for an open date range.
    """
    if every:
        words = " ".join(_quote(w) for w in phrases[0])
    else:
        words = " OR ".join(_quote(" ".join(p)) for p in phrases)
    parts = [f"terms : ({words})"]
    for key, prefix in (("lang", "lang"), ("section", "sec"), ("role", "role")):
        if filters.get(key):
            parts.append(f"tags : {prefix}{filters[key]}")
    if filters.get("company"):
        parts.append(f"tags : co{_company_key(filters['company'])}")
    if filters.get("since") or filters.get("until"):
        span = _date_words(filters.get("since") or dates[0], filters.get("until") or dates[1])
        if not span:
            return None
        parts.append(f"tags : ({' OR '.join(span)})")
    return " AND ".join(parts)


def _quote(text: str) -> str:
    """An FTS5 string: every word inside double quotes, so none is read as an operator."""
    return '"' + text.replace('"', '""') + '"'


def _company_key(company: str) -> str:
    return hashlib.sha1(company.strip().lower().encode()).hexdigest()[:10]


def _date_words(since: str | None, until: str | None) -> list[str]:
    """Month words for the whole months of [since, until], day words for the rest."""
    if not since or not until:
        return []
    try:
        first, last = date.fromisoformat(since[:10]), date.fromisoformat(until[:10])
    except ValueError:
        return []
    words = []
    day = first
    while day <= last:
        month_end = (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        if day.day == 1 and month_end <= last:
            words.append(f"m{day:%Y%m}")
            day = month_end + timedelta(days=1)
        else:
            words.append(f"d{day:%Y%m%d}")
            day += timedelta(days=1)
    return words
