"""The event store's tables, and how an analysis record maps onto their rows.

Column names are the record's field names. `SCHEMA_VERSION` is the layout this release
writes; a store made by an older release is brought up to it by `MIGRATIONS` when opened.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from functools import cache
from typing import Any

from callnlp.record import (
    Aggregate,
    Call,
    CallAnalysis,
    Cue,
    CueKind,
    Figure,
    Kind,
    Language,
    QAPair,
    Qualifier,
    Relation,
    Role,
    Scope,
    Section,
    Sentence,
    Tone,
    Turn,
    Unit,
)

SCHEMA_VERSION = 6
"""The layout this release writes. Opening an older store runs `MIGRATIONS` up to it."""
VECTORS_VERSION = 6
"""The first layout that searches sentence embeddings in the store's own vector index."""


def _add_search(conn) -> None:
    """Version 2: the terms search indexes. Old rows get theirs by tokenizing their text."""
    from callnlp.tokenize import default_tokenizer, terms, words

    conn.exec_driver_sql("ALTER TABLE sentences ADD COLUMN terms TEXT")
    tok = default_tokenizer()
    rows = conn.exec_driver_sql('SELECT call_id, "index", text FROM sentences').fetchall()
    updates = [(terms(words(tok(text))), cid, index) for cid, index, text in rows]
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    if updates:
        conn.exec_driver_sql(
            f'UPDATE sentences SET terms = {mark} WHERE call_id = {mark} AND "index" = {mark}', updates
        )


def _drop_flat_indexes(conn) -> None:
    """Version 3: no indexes on sentences.section and cues.kind. A handful of values each,
    so no query read fewer rows through them, and every call paid for keeping them: a
    sixth of the pages it writes at commit, 0.9 ms of its 5.4."""
    conn.exec_driver_sql("DROP INDEX IF EXISTS sentences_section")
    conn.exec_driver_sql("DROP INDEX IF EXISTS cues_kind")


def _search_index(conn) -> None:
    """Version 4: search ranks over a Tantivy index beside an SQLite file (callnlp.search.index)
    instead of FTS5 tables, and matches amounts through an index of figure values. Every
    stored call is indexed at the first search."""
    for statement in search_ddl(conn.dialect.name):
        conn.exec_driver_sql(statement)
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("DROP TABLE IF EXISTS sentence_meta")
        conn.exec_driver_sql("DROP TABLE IF EXISTS sentence_fts")
        conn.exec_driver_sql("INSERT INTO search_pending (call_id) SELECT id FROM calls")


def _answer_scores(conn) -> None:
    """Version 5: how directly and specifically each answer answers, and its evasion cues
    (a JSON list of cues); the call's document tone. Calls stored before keep them empty
    until they are ingested again."""
    for column, kind in (("directness", "FLOAT"), ("specificity", "FLOAT"), ("evasion_cues", "TEXT")):
        conn.exec_driver_sql(f"ALTER TABLE qa_pairs ADD COLUMN {column} {kind}")
    conn.exec_driver_sql("ALTER TABLE aggregates ADD COLUMN document_tone FLOAT")


def _vector_index(conn) -> None:
    """Version 6: sentence embeddings are searched in the store's own vector index instead
    of a scan of every vector (callnlp.vectors). SQLite keeps the float32 vectors in
    `embeddings`, the record any SQLite reads and the index is built from, and indexes
    them in sqlite-vec; PostgreSQL's bytea column becomes a pgvector column with an HNSW
    index. A store without embeddings changes nothing (its index is made with its first)."""
    from callnlp.vectors import index_stored

    index_stored(conn)


MIGRATIONS: dict[int, Callable[[Any], None]] = {
    2: _add_search,
    3: _drop_flat_indexes,
    4: _search_index,
    5: _answer_scores,
    VECTORS_VERSION: _vector_index,
}
"""version -> the step that brings a store from version-1 to it, run in one transaction."""


def search_ddl(dialect: str) -> list[str]:
    """What search needs beside the tables, which SQLAlchemy's metadata cannot say: in
    PostgreSQL a generated tsvector of `sentences.terms` with a GIN index; in SQLite the
    queue of calls the Tantivy index has yet to take. Both: figures by value, for amounts."""
    values = [
        "CREATE INDEX IF NOT EXISTS figures_value ON figures (unit, value)",
        "CREATE INDEX IF NOT EXISTS figures_low ON figures (unit, low)",
    ]
    if dialect == "postgresql":
        return [
            "ALTER TABLE sentences ADD COLUMN IF NOT EXISTS tsv tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple', coalesce(terms, ''))) STORED",
            "CREATE INDEX IF NOT EXISTS sentences_tsv ON sentences USING gin (tsv)",
            *values,
        ]
    from callnlp.search.index import PENDING_DDL

    return [PENDING_DDL, *values]


class _Tables:
    def __init__(self) -> None:
        from sqlalchemy import (
            Boolean,
            Column,
            Float,
            ForeignKey,
            Index,
            Integer,
            LargeBinary,
            MetaData,
            String,
            Table,
            Text,
        )

        md = MetaData()
        self.metadata = md

        def owned(name: str, *columns, keys: tuple[str, ...]) -> Table:
            table = Table(
                name,
                md,
                Column("call_id", String(64), ForeignKey("calls.id"), primary_key=True),
                *columns,
            )
            self.order[name] = [table.c[k] for k in keys]
            return table

        self.order: dict[str, list] = {}
        self.meta = Table(
            "callnlp_meta", md, Column("key", String(64), primary_key=True), Column("value", Text)
        )
        self.calls = Table(
            "calls",
            md,
            Column("id", String(64), primary_key=True),
            Column("source", Text),
            Column("language", String(8), nullable=False),
            Column("company", Text),
            Column("date", String(10)),
            Column("period", String(8)),
            Column("encoding", String(32)),
            Column("tokens", Integer),
            Column("warnings", Text),
            Column("ticker", String(16)),
            Column("ingested_at", String(32)),
            Index("calls_company_date", "company", "date"),
            Index("calls_period", "period"),
        )
        self.turns = owned(
            "turns",
            Column("index", Integer, primary_key=True),
            Column("speaker", Text),
            Column("role", String(16)),
            Column("title", Text),
            Column("firm", Text),
            Column("section", String(16)),
            Column("translates", Integer),
            Column("line", Integer),
            Column("start", Integer),
            Column("end", Integer),
            Index("turns_role", "role"),
            keys=("index",),
        )
        self.sentences = owned(
            "sentences",
            Column("index", Integer, primary_key=True),
            Column("turn", Integer),
            Column("line", Integer),
            Column("start", Integer),
            Column("end", Integer),
            Column("text", Text, nullable=False),
            Column("lang", String(8)),
            Column("sentiment", Float),
            Column("tone", String(8)),
            Column("hedging", Float),
            Column("hedged", Boolean),
            Column("forward_looking", Boolean),
            Column("section", String(16)),
            Column("tokens", Integer),
            Column("terms", Text),
            keys=("index",),
        )
        self.cues = owned(
            "cues",
            Column("sentence", Integer, primary_key=True),
            Column("position", Integer, primary_key=True),
            Column("text", Text),
            Column("kind", String(16)),
            Column("start", Integer),
            Column("end", Integer),
            keys=("sentence", "position"),
        )
        self.figures = owned(
            "figures",
            Column("index", Integer, primary_key=True),
            Column("metric", String(48)),
            Column("value", Float),
            Column("low", Float),
            Column("high", Float),
            Column("unit", String(24)),
            Column("kind", String(16)),
            Column("relation", String(8)),
            Column("period", String(16)),
            Column("qualifier", String(16)),
            Column("text", Text),
            Column("line", Integer),
            Column("start", Integer),
            Column("end", Integer),
            Column("turn", Integer),
            Column("sentence", Integer),
            Index("figures_metric", "metric", "kind"),
            keys=("index",),
        )
        self.qa_pairs = owned(
            "qa_pairs",
            Column("index", Integer, primary_key=True),
            Column("question", Integer),
            Column("answers", Text),
            Column("directness", Float),
            Column("specificity", Float),
            Column("evasion_cues", Text),
            keys=("index",),
        )
        self.aggregates = owned(
            "aggregates",
            Column("index", Integer, primary_key=True),
            Column("scope", String(8)),
            Column("key", Text),
            Column("sentences", Integer),
            Column("tokens", Integer),
            Column("net_tone", Float),
            Column("hedging_density", Float),
            Column("hedged_share", Float),
            Column("forward_share", Float),
            Column("document_tone", Float),
            Index("aggregates_scope", "scope", "key"),
            keys=("index",),
        )
        self.embeddings = owned(
            "embeddings",
            Column("sentence", Integer, primary_key=True),
            Column("vector", LargeBinary),
            keys=("sentence",),
        )
        self.signals = owned(
            "signals",
            Column("name", String(64), primary_key=True),
            Column("value", Text),
            Column("position", Integer),
            keys=("position",),
        )
        self.sorted = [
            self.calls,
            self.turns,
            self.sentences,
            self.cues,
            self.figures,
            self.qa_pairs,
            self.aggregates,
            self.signals,
            self.embeddings,
        ]

    def __getitem__(self, name: str):
        return getattr(self, name)


@cache
def tables() -> _Tables:
    """The tables, made on first use (SQLAlchemy is imported then)."""
    return _Tables()


_WARNINGS = 8
"""The place of `warnings` in a calls row (the columns of `calls` above, in order)."""


@dataclass(frozen=True)
class Rows:
    """One call as the store's rows, in column order, every value a plain str, number,
    bool, bytes or None.

    Ingest workers make these and send them to the writer: a record crosses the process
    pipe about nine times slower (unpickling rebuilds its enums one by one), and the
    writer, which shares the cores with the workers, is left with the inserts alone.
    """

    call: tuple
    """The calls row."""
    children: tuple[tuple[str, list[tuple]], ...]
    """(table, rows) of every other table."""

    @property
    def call_id(self) -> str:
        return self.call[0]

    @property
    def warnings(self) -> tuple[str, ...]:
        """What had to be repaired to read the call's file (the calls row's JSON list)."""
        return tuple(json.loads(self.call[_WARNINGS]))


def rows(a: CallAnalysis, vectors: Any = None) -> Rows:
    """The rows of a record, and of its sentence embeddings (one float32 row per sentence;
    `EventStore.add` stores and indexes them with callnlp.vectors)."""
    # `_value_`, not `.value`: the enum property costs 0.3 µs, and a call has a thousand
    c, cid = a.call, a.call.id
    stored = datetime.now(UTC).isoformat(timespec="seconds")
    call = (cid, c.source, c.language._value_, c.company, c.date, c.period, c.encoding, c.tokens,
            json.dumps(list(c.warnings)), c.ticker, stored)  # fmt: skip
    sentences, cues = [], []
    for s in a.sentences:
        lang, section = _text(s.lang), s.section._value_
        sentences.append(
            (cid, s.index, s.turn, s.line, s.start, s.end, s.text, lang, s.sentiment, _text(s.tone),
             s.hedging, s.hedged, s.forward_looking, section, s.tokens, s.terms)
        )  # fmt: skip
        cues += [(cid, s.index, n, x.text, x.kind._value_, x.start, x.end) for n, x in enumerate(s.cues)]
    turns = [
        (cid, t.index, t.speaker, t.role._value_, t.title, t.firm, t.section._value_, t.translates, t.line,
         t.start, t.end)
        for t in a.turns
    ]  # fmt: skip
    figures = [
        (cid, n, f.metric, f.value, f.low, f.high, _text(f.unit), f.kind._value_, f.relation._value_,
         f.period, _text(f.qualifier), f.text, f.line, f.start, f.end, f.turn, f.sentence)
        for n, f in enumerate(a.figures)
    ]  # fmt: skip
    aggregates = [
        (cid, n, g.scope._value_, g.key, g.sentences, g.tokens, g.net_tone, g.hedging_density, g.hedged_share,
         g.forward_share, g.document_tone)
        for n, g in enumerate(a.aggregates)
    ]  # fmt: skip
    children = (
        ("turns", turns),
        ("sentences", sentences),
        ("cues", cues),
        ("figures", figures),
        ("qa_pairs", [_qa_row(cid, n, q) for n, q in enumerate(a.qa_pairs)]),
        ("aggregates", aggregates),
        ("signals", [(cid, k, json.dumps(v), n) for n, (k, v) in enumerate(a.signals.items())]),
        ("embeddings", [] if vectors is None else [(cid, n, v.tobytes()) for n, v in enumerate(vectors)]),
    )
    return Rows(call, children)


def _qa_row(cid: str, n: int, q: QAPair) -> tuple:
    cues = [[c.text, c.start, c.end] for c in q.evasion_cues]
    return cid, n, q.question, json.dumps(list(q.answers)), q.directness, q.specificity, json.dumps(cues)


def _qa_pair(q: Any) -> QAPair:
    cues = json.loads(q["evasion_cues"] or "[]")
    return QAPair(
        q["question"],
        tuple(json.loads(q["answers"])),
        q["directness"],
        q["specificity"],
        tuple(Cue(text, CueKind.EVASION, start, end) for text, start, end in cues),
    )


def _text(value: Enum | None) -> str | None:
    return None if value is None else value._value_


def _enum(kind, value):
    return None if value is None else kind(value)


def record_of(call: Any, rows: dict[str, list]) -> CallAnalysis:
    """The record that a calls row and its child rows (by table name) hold."""
    cues: dict[int, list[Cue]] = {}
    for c in rows["cues"]:
        cues.setdefault(c["sentence"], []).append(Cue(c["text"], CueKind(c["kind"]), c["start"], c["end"]))
    return CallAnalysis(
        call=Call(
            id=call["id"],
            source=call["source"],
            language=Language(call["language"]),
            company=call["company"],
            date=call["date"],
            period=call["period"],
            encoding=call["encoding"],
            tokens=call["tokens"],
            warnings=tuple(json.loads(call["warnings"] or "[]")),
            ticker=call["ticker"],
        ),
        sentences=tuple(
            Sentence(
                s["index"],
                s["turn"],
                s["line"],
                s["start"],
                s["end"],
                s["text"],
                _enum(Language, s["lang"]),
                s["sentiment"],
                _enum(Tone, s["tone"]),
                s["hedging"],
                s["hedged"],
                s["forward_looking"],
                tuple(cues.get(s["index"], ())),
                Section(s["section"]),
                s["tokens"],
                s["terms"] or "",
            )
            for s in rows["sentences"]
        ),
        turns=tuple(
            Turn(
                t["index"],
                t["speaker"],
                Role(t["role"]),
                t["title"],
                t["firm"],
                Section(t["section"]),
                t["translates"],
                t["line"],
                t["start"],
                t["end"],
            )
            for t in rows["turns"]
        ),
        qa_pairs=tuple(_qa_pair(q) for q in rows["qa_pairs"]),
        figures=tuple(
            Figure(
                f["metric"],
                f["value"],
                f["low"],
                f["high"],
                _enum(Unit, f["unit"]),
                Kind(f["kind"]),
                Relation(f["relation"]),
                f["period"],
                _enum(Qualifier, f["qualifier"]),
                f["text"],
                f["line"],
                f["start"],
                f["end"],
                f["turn"],
                f["sentence"],
            )
            for f in rows["figures"]
        ),
        signals={s["name"]: json.loads(s["value"]) for s in rows["signals"]},
        aggregates=tuple(
            Aggregate(
                Scope(g["scope"]),
                g["key"],
                g["sentences"],
                g["tokens"],
                g["net_tone"],
                g["hedging_density"],
                g["hedged_share"],
                g["forward_share"],
                g["document_tone"],
            )
            for g in rows["aggregates"]
        ),
    )
