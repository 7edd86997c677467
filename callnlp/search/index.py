"""The search index of an SQLite store: Tantivy, in a folder beside the database file.

Why Tantivy and not SQLite's FTS5 (measured on a store of 10,000 calls, 1,028,000
sentences, docs/ARCHITECTURE.md): FTS5 computes BM25 for every match before it sorts,
so a query of six ordinary words took 140 ms and eight 265 ms; Tantivy's top-k
(block-max WAND) answers the same queries in 2-3 ms, over the whole store, with no
cut-off. The index is 45 MB beside 1.4 GB of store.

The database stays the truth and the index is derived from it: `EventStore.add` records
each stored call in `search_pending` in the call's own transaction, and `sync` indexes the
pending calls (from the stored rows, no re-analysis) and then clears them. A crash between
the two leaves the call pending, never lost; an index folder that is missing, from an
older release, or made for another database is rebuilt from the store.

Each call is one document of its own (`body`, for call-level BM25) besides its sentences
(`terms`), so both rankings come from one index and one commit.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import tantivy

from callnlp.errors import StoreError
from callnlp.search.query import (
    ALIAS_WEIGHT,
    PAIR_SLOP,
    PAIR_WEIGHT,
    Query,
    search_terms,
    topic_term,
    topics_in,
)

INDEX_VERSION = 2
"""The layout of the index's documents; an index of another version is rebuilt."""
INDEX_STAMP = "callnlp-index.json"
"""The file in an index folder that says which store and version it was made for."""
WRITER_HEAP = 64_000_000
LOCK_WAIT_S = 60.0
"""How long `sync(wait=True)` waits for another process's writer (an ingest) to finish."""
BATCH = 200
"""Calls read from the store per round when indexing."""
KINDS = ("call", "sentence")
BROAD = ("lang", "section", "role")
"""Filters of sentences only."""
PENDING_DDL = (
    "CREATE TABLE IF NOT EXISTS search_pending "
    "(seq INTEGER PRIMARY KEY AUTOINCREMENT, call_id VARCHAR(64) NOT NULL)"
)


class SearchIndex:
    """The Tantivy index of one SQLite store, in the folder `DB.search` beside its file.

    It reads the store through the standard library's sqlite3, not SQLAlchemy: a search
    is a process of its own, and importing SQLAlchemy took a third of its time.

    Args:
        db: the store's SQLite file.
    """

    def __init__(self, db: Path) -> None:
        self.db = db
        self.path = Path(f"{db}.search")
        self.rebuilt = False

    @contextmanager
    def _connect(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """A connection to the store; with `write`, in a transaction that holds the write
        lock (as the store's writers take it), committed at the end."""
        conn = sqlite3.connect(self.db, timeout=LOCK_WAIT_S, isolation_level=None)
        try:
            if write:
                conn.execute("BEGIN IMMEDIATE")
            yield conn
            if write:
                conn.execute("COMMIT")
        finally:
            conn.close()

    @cached_property
    def _indexes(self) -> dict[str, Any]:
        """The two Tantivy indexes, `call` and `sentence`: BM25 counts its statistics (how
        many documents, how long on average) per index, so calls and sentences each get
        their own."""
        with self._connect() as conn:
            key = conn.execute(_STORE_KEY).fetchone()
        if key and self._stamp() == _stamp_of(key[0]):
            try:
                return self._open(False, _stamp_of(key[0]))
            except (OSError, ValueError):
                pass  # derived data: a damaged index is made again from the store
        # under the store's write lock: two processes opening a new store make it once
        with self._connect(write=True) as conn:
            key = conn.execute(_STORE_KEY).fetchone()
            if key is None:
                key = (uuid.uuid4().hex,)
                conn.execute("INSERT INTO callnlp_meta (key, value) VALUES ('store_key', ?)", key)
            want = _stamp_of(key[0])
            try:
                return self._open(self._stamp() != want, want)
            except (OSError, ValueError):
                pass
            try:
                return self._open(True, want)
            except (OSError, ValueError) as exc:
                raise StoreError(
                    f"cannot open the search index {self.path} ({exc}); check that its folder is "
                    "writable, or delete it to have it made again"
                ) from None

    def _stamp(self) -> Any:
        """What the index folder says it was made for (None when it says nothing)."""
        try:
            return json.loads((self.path / INDEX_STAMP).read_text())
        except (OSError, ValueError):
            return None

    def _open(self, fresh: bool, stamp: dict[str, Any]) -> dict[str, Any]:
        if fresh:
            shutil.rmtree(self.path, ignore_errors=True)
            for kind in KINDS:
                (self.path / kind).mkdir(parents=True)
            self.rebuilt = True
        indexes = {
            kind: tantivy.Index(_schema(kind), path=str(self.path / kind), reuse=True) for kind in KINDS
        }
        if fresh:
            (self.path / INDEX_STAMP).write_text(json.dumps(stamp))
        return indexes

    # --- writing

    def sync(self, wait: bool) -> int:
        """Index the calls stored since the last sync; the number of calls left pending.

        Args:
            wait: wait for another process that is indexing (an ingest) to finish; without
                it, a busy index is left as it is and the pending calls are counted.
        """
        indexes = self._indexes  # opening them tells whether they were rebuilt
        if self.rebuilt:  # a new index: every stored call is pending
            with self._connect(write=True) as conn:
                conn.execute("INSERT INTO search_pending (call_id) SELECT id FROM calls")
            self.rebuilt = False
        with self._connect() as conn:
            pending = dict(conn.execute("SELECT call_id, max(seq) FROM search_pending GROUP BY call_id"))
        if not pending:
            return 0
        writers = self._writers(wait)
        if writers is None:
            return len(pending)
        try:
            ids = list(pending)
            for n in range(0, len(ids), BATCH):
                self._replace(writers, ids[n : n + BATCH])
            for writer in writers.values():
                writer.commit()
                writer.wait_merging_threads()
        finally:
            del writers  # releases the locks
        for index in indexes.values():
            index.reload()
        with self._connect(write=True) as conn:
            # a call stored again meanwhile keeps its newer mark, and is indexed next time
            conn.executemany("DELETE FROM search_pending WHERE call_id = ? AND seq <= ?", pending.items())
        return 0

    def _writers(self, wait: bool) -> dict[str, Any] | None:
        """The indexes' writers, or None when another process holds them and `wait` is off
        (or it held them for `LOCK_WAIT_S`)."""
        deadline = time.monotonic() + (LOCK_WAIT_S if wait else 0.0)
        writers: dict[str, Any] = {}
        while True:
            try:
                for kind in KINDS:  # always in this order: two processes never hold one each
                    if kind not in writers:
                        writers[kind] = self._indexes[kind].writer(heap_size=WRITER_HEAP, num_threads=1)
                return writers
            except ValueError as exc:
                if "LockBusy" not in str(exc):
                    raise StoreError(f"cannot write the search index {self.path}: {exc}") from None
                if time.monotonic() >= deadline:
                    return None
                time.sleep(0.05)

    def _replace(self, writers: dict[str, Any], ids: list[str]) -> None:
        """Put the stored calls `ids` in the index in place of their old copies (a call no
        longer stored is only removed)."""
        marks = ", ".join("?" * len(ids))
        with self._connect() as conn:
            calls = conn.execute(f"SELECT id, company, date FROM calls WHERE id IN ({marks})", ids)
            fields = {cid: _call_fields(company, day) for cid, company, day in calls}
            sentences = conn.execute(
                f'SELECT s.call_id, s."index", s.terms, s.lang, s.section, t.role FROM sentences s '
                f'LEFT JOIN turns t ON t.call_id = s.call_id AND t."index" = s.turn '
                f'WHERE s.call_id IN ({marks}) ORDER BY s.call_id, s."index"',
                ids,
            ).fetchall()
        for cid in ids:
            for writer in writers.values():
                writer.delete_documents_by_term("call", cid)
        bodies: dict[str, list[str]] = {cid: [] for cid in fields}
        for cid, index, terms, lang, section, role in sentences:
            cut = search_terms(terms or "")
            # a sentence's terms hold the topics it names too, so that a topic is ranked
            # like a word: 资本支出 in a short sentence counts as much as capex in one
            cut += map(topic_term, topics_in(cut))
            bodies[cid] += cut
            doc = {"call": cid, "sentence": index, "terms": " ".join(cut)}
            for key, value in (("lang", lang), ("section", section), ("role", role)):
                if value:
                    doc[key] = value
            writers["sentence"].add_document(tantivy.Document(**doc, **fields[cid]))
        for cid, body in bodies.items():
            writers["call"].add_document(tantivy.Document(call=cid, terms=" ".join(body), **fields[cid]))

    # --- reading

    def sentences(
        self, query: Query, filters: dict[str, Any], limit: int, calls: Sequence[str] | None = None
    ) -> list[tuple[str, int, float]]:
        """(call id, sentence, BM25) of the best sentences of the whole store (or of `calls`)."""
        musts = _filters(filters, "sentence")
        if calls is not None:
            musts.append(tantivy.Query.term_set_query(_schema("sentence"), "call", list(calls)))
        searcher, hits = self._search("sentence", _ranked(query, "sentence"), musts, limit)
        return [
            (d["call"][0], d["sentence"][0], score) for score, d in ((s, searcher.doc(a)) for s, a in hits)
        ]

    def scores(
        self, query: Query, filters: dict[str, Any], keys: Sequence[tuple[str, int]]
    ) -> list[tuple[str, int, float]]:
        """(call id, sentence, BM25) of those of the sentences `keys` that match `query`."""
        schema = _schema("sentence")
        term = tantivy.Query.term_query
        each = [
            tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Must, term(schema, "call", cid)),
                    (tantivy.Occur.Must, term(schema, "sentence", index)),
                ]
            )
            for cid, index in keys
        ]
        musts = [
            *_filters(filters, "sentence"),
            tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in each]),
        ]
        searcher, hits = self._search(
            "sentence", _ranked(query, "sentence"), musts if each else [], len(each)
        )
        return [
            (d["call"][0], d["sentence"][0], score) for score, d in ((s, searcher.doc(a)) for s, a in hits)
        ]

    def sentence_count(self) -> int:
        """How many sentences the index holds."""
        return self._indexes["sentence"].searcher().num_docs

    def calls(
        self, query: Query, filters: dict[str, Any], limit: int, calls: Sequence[str] | None = None
    ) -> list[tuple[str, float]]:
        """(call id, BM25 of the whole call) of the best calls of the store (or of `calls`)."""
        musts = _filters(filters, "call")
        if calls is not None:
            musts.append(tantivy.Query.term_set_query(_schema("call"), "call", list(calls)))
        searcher, hits = self._search("call", _ranked(query, "call"), musts, limit)
        return [(searcher.doc(a)["call"][0], score) for score, a in hits]

    def _search(self, kind: str, ranked: Any, musts: list[Any], limit: int) -> tuple[Any, list]:
        searcher = self._indexes[kind].searcher()
        if ranked is None or limit < 1:
            return searcher, []
        # filters add nothing to the score: BM25s of calls and sentences are summed later
        clauses = [(tantivy.Occur.Must, ranked)]
        clauses += [(tantivy.Occur.Must, tantivy.Query.const_score_query(q, 0.0)) for q in musts]
        return searcher, searcher.search(tantivy.Query.boolean_query(clauses), limit, count=False).hits


_STORE_KEY = "SELECT value FROM callnlp_meta WHERE key = 'store_key'"
"""A random key made with the store: an index made for another file is rebuilt."""


def _stamp_of(store_key: str) -> dict[str, Any]:
    return {"version": INDEX_VERSION, "store": store_key}


def _ranked(query: Query, kind: str) -> Any:
    """The scoring part of a query: every content word, and at lower weights the topics it
    names and its pairs (in sentences only: a call's text is indexed without positions)."""
    schema = _schema(kind)
    term = tantivy.Query.term_query
    should = [term(schema, "terms", t) for t in query.terms]
    should += [
        tantivy.Query.boost_query(term(schema, "terms", topic_term(t)), ALIAS_WEIGHT) for t in query.topics
    ]
    if kind == "sentence":
        should += [
            tantivy.Query.boost_query(
                tantivy.Query.phrase_query(schema, "terms", list(p), PAIR_SLOP), PAIR_WEIGHT
            )
            for p in query.pairs
        ]
    if not should:
        return None
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in should])


def _filters(filters: dict[str, Any], kind: str) -> list[Any]:
    schema = _schema(kind)
    musts = []
    if filters.get("company"):
        musts.append(tantivy.Query.term_query(schema, "company", _company_key(filters["company"])))
    since, until = filters.get("since"), filters.get("until")
    if since or until:
        dated = tantivy.Query.range_query(
            schema, "date", tantivy.FieldType.Integer, _day(since) if since else None,
            _day(until, end=True) if until else None,
        )  # fmt: skip
        if filters.get("undated"):
            undated = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, tantivy.Query.all_query()),
                 (tantivy.Occur.MustNot, tantivy.Query.exists_query("date"))]
            )  # fmt: skip
            dated = tantivy.Query.boolean_query(
                [(tantivy.Occur.Should, dated), (tantivy.Occur.Should, undated)]
            )
        musts.append(dated)
    if kind == "sentence":
        musts += [tantivy.Query.term_query(schema, key, filters[key]) for key in BROAD if filters.get(key)]
    return musts


def _call_fields(company: str | None, day: str | None) -> dict[str, Any]:
    """The filter fields every document of a call carries."""
    fields: dict[str, Any] = {}
    if company:
        fields["company"] = _company_key(company)
    if day and _day(day):
        fields["date"] = _day(day)
    return fields


def _company_key(company: str) -> str:
    return company.strip().casefold()


def _day(day: str, end: bool = False) -> int | None:
    """YYYY-MM-DD, YYYY-MM or YYYY as the integer YYYYMMDD (of its last day with `end`)."""
    digits = day[:10].replace("-", "")
    if not digits.isdigit():
        return None
    return int(digits.ljust(8, "9" if end else "0"))


@cache
def _schema(kind: str) -> Any:
    b = tantivy.SchemaBuilder()
    b.add_text_field("call", tokenizer_name="raw", stored=True, index_option="basic")
    # terms are cut and lower-cased by callnlp (search_terms), so the index splits on spaces only
    if kind == "sentence":
        b.add_integer_field("sentence", stored=True, indexed=True)
        b.add_text_field("terms", tokenizer_name="whitespace", index_option="position")
        for name in BROAD:
            b.add_text_field(name, tokenizer_name="raw", index_option="basic")
    else:
        b.add_text_field("terms", tokenizer_name="whitespace", index_option="freq")
    b.add_text_field("company", tokenizer_name="raw", index_option="basic")
    b.add_integer_field("date", indexed=True, fast=True)
    return b.build()
