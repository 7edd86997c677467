"""The SQLite full-text index: FTS5 rows, and queries that filter without joins.

Joining every full-text match to its call and turn before ranking made a filtered search
of 10,000 calls take hundreds of milliseconds. So the index keeps what the filters need
next to it:

- a selective filter (a company, a date range) is words of the row's `tags` column
  (`co3f2a9c1b2d y2025 m202503 d20250312`), one more condition of the MATCH, so the engine
  intersects it with the query's words before anything is ranked;
- a broad filter (section, language, role: half the rows may pass) is a column of
  `sentence_meta`, keyed by the FTS5 rowid and checked after the MATCH: a word held by
  half the index made BM25 read its positions for every match (42 ms against 14 ms).
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from functools import cache

DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS sentence_fts "
    "USING fts5(terms, tags, call_id UNINDEXED, sentence UNINDEXED)",
    "CREATE TABLE IF NOT EXISTS sentence_meta "
    "(rowid INTEGER PRIMARY KEY, lang TEXT, section TEXT, role TEXT)",
)
INSERT = "INSERT INTO sentence_fts (rowid, terms, tags, call_id, sentence) VALUES (?, ?, ?, ?, ?)"
INSERT_META = "INSERT INTO sentence_meta (rowid, lang, section, role) VALUES (?, ?, ?, ?)"
DELETE = (
    "DELETE FROM sentence_meta WHERE rowid IN (SELECT rowid FROM sentence_fts WHERE call_id = ?)",
    "DELETE FROM sentence_fts WHERE call_id = ?",
)
BROAD = ("lang", "section", "role")
# bm25 weights per column: the tags must not rank anything
RANK = "bm25(sentence_fts, 1.0, 0.0)"
RANKED = 10_000
"""At most this many matches are ranked: the most recently stored. FTS5 computes BM25 for
every match before it can sort, about 1 µs each; a common word (revenue, 收入) matches
100,000 sentences of a 10,000-call store, which took 150-200 ms a query. Ranking the newest
10,000 of them takes about 10 ms, and in a store fed as calls come out the newest are the
calls research looks at first."""


def insert(cursor, sentences: list[tuple]) -> None:
    """Index sentences given as (terms, tags, call id, sentence, lang, section, role)
    tuples, through a DB-API cursor inside the writer's transaction."""
    first = cursor.execute("SELECT coalesce(max(rowid), 0) + 1 FROM sentence_fts").fetchone()[0]
    rowids = range(first, first + len(sentences))
    cursor.executemany(INSERT, [(n, *s[:4]) for n, s in zip(rowids, sentences, strict=True)])
    cursor.executemany(INSERT_META, [(n, *s[4:]) for n, s in zip(rowids, sentences, strict=True)])


def search_sql(broad: dict[str, str]) -> str:
    """The ranked search: BM25 over the newest `RANKED` matches (rowids grow as calls are
    stored), then the broad filters (their values bound as :lang, :section, :role)."""
    join, where = "", ""
    if broad:
        join = " JOIN sentence_meta m ON m.rowid = f.rowid"
        where = "".join(f" AND m.{key} = :{key}" for key in broad)
    return (
        f"SELECT f.call_id, f.sentence, -{RANK} AS score FROM sentence_fts f{join} "
        "WHERE sentence_fts MATCH :q AND f.rowid >= coalesce((SELECT rowid FROM sentence_fts "
        f"WHERE sentence_fts MATCH :q ORDER BY rowid DESC LIMIT 1 OFFSET :ranked), 0){where} "
        f"ORDER BY {RANK} LIMIT :limit"
    )


@cache
def tags(company: str | None, day: str | None) -> str:
    """The selective filter words of a call (FTS5's default tokenizer keeps letters and digits)."""
    out = []
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
        filters: company, since, until (None: no filter); the broad ones are `search_sql`'s.
        dates: (first, last) call date in the store, for an open date range.
    """
    if every:
        words = " ".join(_quote(w) for w in phrases[0])
    else:
        words = " OR ".join(_quote(" ".join(p)) for p in phrases)
    parts = [f"terms : ({words})"]
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
    """Year words for the whole years of [since, until], month words for the whole months,
    day words for the rest."""
    if not since or not until:
        return []
    try:
        first, last = date.fromisoformat(since[:10]), date.fromisoformat(until[:10])
    except ValueError:
        return []
    words = []
    day = first
    while day <= last:
        if day.month == 1 and day.day == 1 and date(day.year, 12, 31) <= last:
            words.append(f"y{day.year}")  # fewer words in the OR: a year is one, not twelve
            day = date(day.year + 1, 1, 1)
            continue
        month_end = (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        if day.day == 1 and month_end <= last:
            words.append(f"m{day:%Y%m}")
            day = month_end + timedelta(days=1)
        else:
            words.append(f"d{day:%Y%m%d}")
            day += timedelta(days=1)
    return words
