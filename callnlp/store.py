"""EventStore: every part of the analysis record, in SQLite (default) or PostgreSQL.

One table per part of the record (calls, turns, sentences, cues, figures, qa_pairs,
aggregates, signals); every table but calls has a `call_id` column pointing at
`calls.id`, the sha256 of the transcript's bytes, so users can query it with plain SQL.
Column names are the record's field names (`index`, `start` and `end` need quoting in
SQL: `"end"`). Each call is written in one transaction, its sentence embeddings included:
a store never holds half a call. Embeddings are searched where they are stored (a
sqlite-vec index in the file, or pgvector: callnlp.vectors).

SQLite runs in WAL mode with `BEGIN IMMEDIATE` writes and a busy timeout, so several
ingest processes can write one file at once; PostgreSQL (SQLAlchemy Core over psycopg 3)
gives a team one shared store.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from callnlp import schema
from callnlp.collector import gc_paused
from callnlp.errors import MissingDependencyError, OptionError, StoreError
from callnlp.record import CallAnalysis

DEFAULT_DB = "callnlp.db"
ENV_DB = "CALLNLP_DB"
PG_CONNECT_SECONDS = 10
"""How long to wait for a PostgreSQL server to answer."""
PG_RETRY_SECONDS = 60
"""How long a write waits for a PostgreSQL server that dropped its connection (a restart)."""
SQLITE_BUSY_MS = 60_000
"""How long a writer waits for another process's transaction before giving up."""


def resolve_url(db: str | os.PathLike | None = None) -> str:
    """The store URL from `--db`, else $CALLNLP_DB, else ./callnlp.db.

    A plain path means an SQLite file; `sqlite:///...` and `postgresql://...` URLs are
    taken as they are.

    Example:
        >>> resolve_url("postgresql://me@db.local/calls")
        'postgresql+psycopg://me@db.local/calls'
    """
    db = str(db or os.environ.get(ENV_DB) or DEFAULT_DB)
    if "\x00" in db:
        raise OptionError(f"store {db!r} holds a NUL character; give a file path or a postgresql:// URL")
    if db.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + db.split("://", 1)[1]
    if db.startswith(("postgresql+psycopg://", "sqlite://")):
        return db
    if "://" in db:
        raise OptionError(
            f"unsupported store URL {db!r}; give a file path, sqlite:///PATH or postgresql://USER@HOST/DB"
        )
    try:
        return f"sqlite:///{Path(db).expanduser().resolve()}"
    except (RuntimeError, OSError) as exc:  # ~nobody/..., a name the system refuses
        raise OptionError(f"store {db!r} is no usable path ({exc}); give a file path") from None


class EventStore:
    """The store of analyzed calls.

    Args:
        url: an SQLite file path, `sqlite:///PATH`, or `postgresql://user@host/db`; None
            for $CALLNLP_DB or ./callnlp.db.
        create: make a new SQLite store where there is none; False for readers, which
            a mistyped path must not leave an empty store behind.

    Raises:
        StoreError: the file is not a store, is damaged, cannot be reached or created, or
            (with `create=False`) does not exist; the message says what to do.

    Example:
        >>> import tempfile, callnlp
        >>> store = EventStore(tempfile.mkdtemp() + "/calls.db")
        >>> record = callnlp.analyze("CoreWeave (CRWV) 一季度营收9.816亿美元。".encode())
        >>> store.add(record), store.add(record)
        (True, False)
        >>> store.get(record.call.id) == record
        True
    """

    def __init__(self, url: str | os.PathLike | None = None, *, create: bool = True) -> None:
        self.url = resolve_url(url)
        self.file = None if self.url.startswith("postgresql") else Path(self.url.removeprefix("sqlite:///"))
        if self.file is not None and str(self.file) in ("", ":memory:"):
            raise OptionError("an SQLite store is a file (its search index sits beside it): give a path")
        if self.file is not None:
            _check_file(self.file, create)
        self._vectors = False
        """Whether an SQLite engine loads sqlite-vec: the store holds vectors, or is given some."""
        self._migrate()

    def __repr__(self) -> str:
        shown = self.url if self.file else self._engine.url.render_as_string(hide_password=True)
        return f"EventStore({shown!r})"

    def close(self) -> None:
        """Release the store's connections."""
        if "_engine" in self.__dict__:
            self._engine.dispose()

    @cached_property
    def _engine(self):
        """SQLAlchemy's engine, made when first needed: a search reads an SQLite store
        through the standard library (see `rows`), as SQLAlchemy's import alone took a third
        of a search's process time. Without the `vectors` extra, a store that holds vectors
        is read and written without them (replacing a call that has some says what to install)."""
        if self.file is not None and self._vectors:
            from callnlp.vectors import sqlite_module

            return _engine(self.url, sqlite_module() is not None)
        return _engine(self.url)

    @property
    def _tables(self) -> schema._Tables:
        return schema.tables()

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing

    def add(
        self, analysis: CallAnalysis | schema.Rows, *, replace: bool = False, vectors: Any = None
    ) -> bool:
        """Store one call in one transaction.

        Args:
            analysis: the record to store, or its `schema.rows` (what ingest workers send).
            replace: store it again over an existing copy (re-analysis).
            vectors: sentence embeddings (one float32 row per sentence) for semantic search,
                with a record.

        Returns:
            True when stored, False when the call was already there (and `replace` is off).

        Raises:
            StoreError: the store cannot be written (a full disk, a damaged file, a
                PostgreSQL server gone for longer than `PG_RETRY_SECONDS`); every call
                stored before is whole, and this one is not stored.
        """
        rows = analysis if isinstance(analysis, schema.Rows) else schema.rows(analysis, vectors)
        embedded = dict(rows.children)["embeddings"]
        if self.file is not None and (embedded or (replace and self._vectors)):
            self._load_vectors()
        from sqlalchemy.exc import DBAPIError

        deadline = time.monotonic() + PG_RETRY_SECONDS
        while True:
            errors = (DBAPIError, self._engine.dialect.dbapi.Error)
            try:
                return self._insert(rows, replace, embedded)
            except errors as exc:
                # a PostgreSQL server that restarts drops its connections: the transaction
                # was rolled back, so the call is stored again from the start
                lost = self.file is None and "Operational" in type(exc).__name__
                if not lost or time.monotonic() > deadline:
                    raise StoreError(
                        f"cannot write to the store {self.file or self}: {_first_line(exc)}; if the disk "
                        "is full (or a file size limit was hit), free space and run again: every call "
                        "stored so far is whole"
                    ) from None
                self._engine.dispose()
                time.sleep(1)

    def _insert(self, rows: schema.Rows, replace: bool, embedded: list[tuple]) -> bool:
        """`add`'s one transaction."""
        from callnlp.vectors import index_of

        with self._write() as conn:
            # the driver's own cursor: SQLAlchemy's per-statement and per-row work cost more
            # than the database's (a call has thousands of rows)
            cursor = conn.connection.cursor()
            try:
                index = index_of(conn.dialect.name)
                if replace:
                    index.delete(cursor, rows.call_id)
                    for table in reversed(self._tables.sorted):
                        key = "id" if table.name == "calls" else "call_id"
                        cursor.execute(f"DELETE FROM {table.name} WHERE {key} = {index.mark}", [rows.call_id])
                sql = _inserts(conn.dialect.name)
                cursor.execute(sql["calls"], rows.call)
                if not cursor.fetchall():
                    return False  # another process stored it first: its copy is whole
                for table, table_rows in rows.children:
                    if table_rows and table != "embeddings":
                        cursor.executemany(sql[table], table_rows)
                if embedded:
                    index.add(cursor, rows.call_id, embedded)
                if conn.dialect.name == "sqlite":  # for the search index: see sync_search
                    cursor.execute("INSERT INTO search_pending (call_id) VALUES (?)", (rows.call_id,))
            finally:
                cursor.close()
        return True

    def drop_vectors(self) -> None:
        """Delete every stored sentence embedding and the index over them, so that the
        store takes embeddings of another model (of another dimension) next.

        Example:
            >>> import tempfile, callnlp
            >>> store = EventStore(tempfile.mkdtemp() + "/calls.db")
            >>> store.drop_vectors()
            >>> store.has_embeddings()
            False
        """
        from callnlp.vectors import index_of

        if self.file is not None:
            self._load_vectors()
        with self._write() as conn:
            cursor = conn.connection.cursor()
            try:
                index = index_of(conn.dialect.name)
                index.clear(cursor)
                cursor.execute(f"DELETE FROM callnlp_meta WHERE key = {index.mark}", ("vector_dim",))
            finally:
                cursor.close()

    def known(self, ids: Iterable[str]) -> set[str]:
        """The ids among `ids` the store already holds."""
        ids = list(ids)
        found: set[str] = set()
        with self._engine.connect() as conn:
            for i in range(0, len(ids), 500):
                q = self._tables.calls.select().with_only_columns(self._tables.calls.c.id)
                found |= set(conn.execute(q.where(self._tables.calls.c.id.in_(ids[i : i + 500]))).scalars())
        return found

    # --- reading

    def calls(self, company: str | None = None) -> list[dict[str, Any]]:
        """Every stored call (newest date first) with its sentence and figure counts."""
        from sqlalchemy import func, select

        t = self._tables
        sentences = select(func.count()).where(t.sentences.c.call_id == t.calls.c.id).scalar_subquery()
        figures = select(func.count()).where(t.figures.c.call_id == t.calls.c.id).scalar_subquery()
        q = select(t.calls, sentences.label("sentences"), figures.label("figures"))
        if company:
            q = q.where(func.lower(t.calls.c.company) == company.lower())
        q = q.order_by(t.calls.c.date.desc(), t.calls.c.company)
        with self._engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def find(self, ref: str) -> str:
        """The id of the one call that `ref` names: an id, an id prefix, or a source path.

        Raises:
            StoreError: no call, or several, match.
        """
        t = self._tables
        with self._engine.connect() as conn:
            q = t.calls.select().with_only_columns(t.calls.c.id)
            ids = list(conn.execute(q.where(t.calls.c.id.startswith(ref.lower()))).scalars())
            if not ids:
                ids = list(conn.execute(q.where(t.calls.c.source.in_(_as_paths(ref)))).scalars())
        if len(ids) == 1:
            return ids[0]
        if not ids:
            raise StoreError(
                f"no stored call matches {ref!r}; `callnlp calls` lists them (give an id prefix)"
            )
        raise StoreError(f"{ref!r} matches {len(ids)} calls; give more of the id")

    @gc_paused
    def get(self, call_id: str) -> CallAnalysis:
        """The stored record of one call, as `analyze` made it.

        Raises:
            StoreError: the store holds no such call.
        """
        t = self._tables
        with self._engine.connect() as conn:
            call = conn.execute(t.calls.select().where(t.calls.c.id == call_id)).mappings().first()
            if call is None:
                raise StoreError(f"the store holds no call {call_id!r}; `callnlp calls` lists them")
            rows = {
                name: conn.execute(
                    t[name].select().where(t[name].c.call_id == call_id).order_by(*t.order[name])
                )
                .mappings()
                .all()
                for name in ("turns", "sentences", "cues", "figures", "qa_pairs", "aggregates", "signals")
            }
        return schema.record_of(call, rows)

    def figures(self, company: str | None = None, metric: str | None = None, kind: str | None = None):
        """Every stored figure with its call's company, date and period, as a DataFrame.

        Example:
            >>> import tempfile, callnlp
            >>> store = EventStore(tempfile.mkdtemp() + "/calls.db")
            >>> _ = store.add(callnlp.analyze("CoreWeave (CRWV) 一季度营收9.816亿美元。".encode()))
            >>> store.figures(metric="revenue")[["company", "metric", "value", "unit"]].values.tolist()
            [['CoreWeave', 'revenue', 981600000.0, 'USD']]
        """
        t = self._tables
        return self._frame(t.figures, company, {"metric": metric, "kind": kind})

    def signals(self, company: str | None = None):
        """One row per stored call: company, ticker, date, period, language and every signal
        of `callnlp.signals.COLUMNS`, with its change against the company's previous call.

        Example:
            >>> import tempfile, callnlp
            >>> store = EventStore(tempfile.mkdtemp() + "/calls.db")
            >>> _ = store.add(callnlp.analyze("Acme (ACM) Q1 2025\\nRevenue grew 20%.".encode()))
            >>> store.signals()[["company", "period", "questions"]].values.tolist()
            [['Acme', '2025Q1', 0]]
        """
        import pandas as pd

        from callnlp.signals import COLUMNS, HEAD, call_signals, dtypes, with_changes

        calls = self.calls(company=company)
        stored: dict[str, dict[str, Any]] = {}
        with self._engine.connect() as conn:
            for row in conn.execute(self._tables.signals.select()).mappings():
                stored.setdefault(row["call_id"], {})[row["name"]] = json.loads(row["value"])
        rows = []
        for c in calls:
            values = stored.get(c["id"], {})
            if not values.keys() >= COLUMNS.keys():  # stored by a release with fewer signals
                values = call_signals(self.get(c["id"]))
            head = {k: c[k] for k in HEAD[1:]}
            rows.append({"call_id": c["id"], **head, **{k: values.get(k) for k in COLUMNS}})
        types = dtypes()
        return pd.DataFrame(with_changes(rows), columns=list(types)).astype(types)

    def evidence(self, company: str | None = None):
        """Every figure and every hedge cue with its provenance, one row each (long format),
        for users who build their own signals."""
        from sqlalchemy import text

        from callnlp.scoring import HEDGE_KINDS

        figures, params = self.filtered(
            "SELECT s.call_id, c.company, c.date, c.period, 'figure' AS type, s.\"index\" AS sentence, "
            's.line, f.start, f."end", f.text, f.metric, f.value, f.low, f.high, f.unit, f.kind, f.period '
            "AS figure_period, t.speaker, t.role, s.section FROM figures f "
            'JOIN sentences s ON s.call_id = f.call_id AND s."index" = f.sentence',
            {"company": company},
        )
        cues, _ = self.filtered(
            "SELECT s.call_id, c.company, c.date, c.period, 'hedge' AS type, s.\"index\" AS sentence, "
            's.line, x.start, x."end", x.text, NULL, NULL, NULL, NULL, NULL, x.kind, NULL, '
            "t.speaker, t.role, s.section FROM cues x "
            'JOIN sentences s ON s.call_id = x.call_id AND s."index" = x.sentence',
            {"company": company},
            f"x.kind IN ({', '.join(repr(k.value) for k in HEDGE_KINDS)})",
        )
        with self._engine.connect() as conn:
            return _dataframe(conn.execute(text(f"{figures} UNION ALL {cues} ORDER BY 1, 6, 8"), params))

    def sentences(self, company: str | None = None, section: str | None = None):
        """Every stored sentence with its scores and its call's company and date, as a DataFrame."""
        return self._frame(self._tables.sentences, company, {"section": section})

    def _frame(self, table, company: str | None, where: dict[str, str | None]):
        from sqlalchemy import func, select

        calls = self._tables.calls
        q = select(
            calls.c.company, calls.c.ticker, calls.c.date, calls.c.period.label("call_period"), table
        ).join_from(table, calls, table.c.call_id == calls.c.id)
        if company:
            q = q.where(func.lower(calls.c.company) == company.lower())
        for column, value in where.items():
            if value is not None:
                q = q.where(table.c[column] == value)
        with self._engine.connect() as conn:
            return _dataframe(conn.execute(q))

    # --- search (callnlp.search builds on these)

    def sync_search(self, wait: bool = True) -> int:
        """Bring the search index up to date with the stored calls; the calls left unindexed.

        An SQLite store's index (a Tantivy folder beside the file, see callnlp.search.index)
        takes the calls stored since the last sync; `search` syncs first, and `ingest` as it
        goes. PostgreSQL indexes each sentence as it is stored: nothing to do.

        Args:
            wait: wait while another process (an ingest) is writing the index; without it,
                return at once and count what is still pending.
        """
        index = self.search_index
        return 0 if index is None else index.sync(wait)

    @cached_property
    def search_index(self):
        """The Tantivy index of an SQLite store (None for PostgreSQL)."""
        if self.file is None:
            return None
        from callnlp.search.index import SearchIndex

        return SearchIndex(self.file)

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The rows of one read-only SQL query (with named `:parameters`), as dicts."""
        if self.file is None:
            from sqlalchemy import text

            with self._engine.connect() as conn:
                return [dict(r) for r in conn.execute(text(sql), params or {}).mappings()]
        with closing(sqlite3.connect(self.file, timeout=SQLITE_BUSY_MS / 1000)) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute(sql, params or {})]

    def call_count(self) -> int:
        """How many calls the store holds."""
        return self.rows("SELECT count(*) AS n FROM calls")[0]["n"]

    def undated(self, company: str | None = None) -> int:
        """How many stored calls (of `company`) have no date."""
        where = " AND lower(company) = :company" if company else ""
        sql = f"SELECT count(*) AS n FROM calls WHERE date IS NULL{where}"
        return self.rows(sql, {"company": (company or "").lower()})[0]["n"]

    @staticmethod
    def filtered(select: str, filters: dict[str, str | None], condition: str = "1 = 1") -> tuple[str, dict]:
        """`select` (over sentences `s`) joined with its call and turn, and the filters applied
        (company, since, until, role, section, lang; with `undated`, calls without a date pass
        the date filters)."""
        params: dict[str, Any] = {}
        where = [condition]
        for key, clause in _FILTERS.items():
            if filters.get(key) is not None:
                params[key] = filters[key].lower() if key == "company" else filters[key]
                undated = key in ("since", "until") and filters.get("undated")
                where.append(f"({clause} OR c.date IS NULL)" if undated else clause)
        joins = (
            "JOIN calls c ON c.id = s.call_id "
            'LEFT JOIN turns t ON t.call_id = s.call_id AND t."index" = s.turn'
        )
        return f"{select} {joins} WHERE {' AND '.join(where)}", params

    def nearest(
        self, vector: Any, filters: dict[str, Any], limit: int | None = None, calls: list[str] | None = None
    ) -> list[tuple[str, int, float]]:
        """(call id, sentence, cosine) of the stored sentence embeddings nearest `vector`,
        best first, at most `limit` (of `calls` only, when given), the filters applied
        before the top `limit` is taken.

        The store's own index: sqlite-vec (bits, then exact cosine of the nearest pool) or
        pgvector's HNSW; over `calls` (a handful), the exact cosine of each of their vectors.

        Raises:
            MissingDependencyError: an SQLite store, without the `vectors` extra.
        """
        from callnlp import vectors

        if self.file is not None:
            self._load_vectors("semantic search of an SQLite store")
        if self.file is not None and calls is None and limit is not None:
            with vectors.connect(self.file, SQLITE_BUSY_MS / 1000) as conn:
                return vectors.nearest(conn, vector, filters, limit)
        within = "1 = 1"
        if calls is not None:
            within = f"s.call_id IN ({', '.join(f':k{n}' for n in range(len(calls)))})" if calls else "1 = 0"
        distance = vectors.POSTGRES_DISTANCE if self.file is None else vectors.SQLITE_DISTANCE
        sql, params = self.filtered(
            f'SELECT s.call_id, s."index" AS sentence, 1 - {distance} AS cosine FROM {vectors.EMBEDDED}',
            filters,
            within,
        )
        sql += f" ORDER BY {distance}" + ("" if limit is None else " LIMIT :limit")
        params |= {f"k{n}": cid for n, cid in enumerate(calls or ())}
        params |= {"q": vectors.query_param("sqlite" if self.file else "postgresql", vector), "limit": limit}
        if self.file is None:
            rows = vectors.postgres_rows(self._engine, sql, params, limit)
        else:
            with vectors.connect(self.file, SQLITE_BUSY_MS / 1000) as conn:
                rows = conn.execute(sql, params).fetchall()
        # pgvector's iterative scan returns them in relaxed order
        found = [(r["call_id"], int(r["sentence"]), float(r["cosine"])) for r in rows]
        return sorted(found, key=lambda r: -r[2])

    def has_embeddings(self) -> bool:
        """Whether any stored sentence has an embedding."""
        return bool(self.rows("SELECT 1 AS one FROM embeddings LIMIT 1"))

    def hit_rows(self, keys: list[tuple[str, int]]) -> dict[tuple[str, int], dict[str, Any]]:
        """What a search hit shows, for (call id, sentence) keys."""
        if not keys:
            return {}
        # one query for all hits: the 20 hits of a search often come from 20 calls
        wanted = " OR ".join(f'(s.call_id = :c{n} AND s."index" = :i{n})' for n in range(len(keys)))
        params = {f"{k}{n}": v for n, (cid, index) in enumerate(keys) for k, v in (("c", cid), ("i", index))}
        sql = (
            'SELECT s.call_id, c.company, c.date, c.period, c.source, s."index" AS sentence, s.line, s.text, '
            "t.speaker, t.role, s.section, s.lang FROM sentences s JOIN calls c ON c.id = s.call_id "
            f'LEFT JOIN turns t ON t.call_id = s.call_id AND t."index" = s.turn WHERE {wanted}'
        )
        return {(row["call_id"], row["sentence"]): row for row in self.rows(sql, params)}

    # --- plumbing

    @contextmanager
    def _write(self) -> Iterator[Any]:
        with self._engine.connect().execution_options(callnlp_write=True) as conn, conn.begin():
            yield conn

    def _meta(self) -> dict[str, int]:
        """The store's schema version and vector dimension, as far as they are recorded
        (nothing for a new store)."""
        errors: tuple[type[Exception], ...] = (sqlite3.Error,)
        if self.file is None:
            from sqlalchemy.exc import DBAPIError

            errors = (DBAPIError,)
        try:
            found = self.rows(
                "SELECT key, value FROM callnlp_meta WHERE key IN ('schema_version', 'vector_dim')"
            )
        except errors as exc:
            if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
                raise _damaged(self.file, exc) from None
            return {}  # no such table: a new store
        return {r["key"]: int(r["value"]) for r in found}

    def _load_vectors(self, why: str = "storing or replacing sentence embeddings") -> None:
        """Make this SQLite store's engine one that loads sqlite-vec (the next it makes):
        where that is sqlean's copy of SQLite, no connection of the standard library's may
        stay open in its pool, as closing one copy's last connection ends the file's WAL
        under the other's."""
        from callnlp.vectors import require

        require(why)
        if not self._vectors:
            self.close()
            self.__dict__.pop("_engine", None)
            self._vectors = True

    def _migrate(self) -> None:
        recorded = self._meta()
        version = recorded.get("schema_version")
        self._vectors = "vector_dim" in recorded
        # a store of this release's layout (the usual case) is opened without a write
        if version == schema.SCHEMA_VERSION:
            return
        from sqlalchemy.exc import DatabaseError, OperationalError

        older = self.file is not None and version is not None and version < schema.VECTORS_VERSION
        if older and self.rows("SELECT 1 AS one FROM embeddings LIMIT 1"):  # to index now
            from callnlp.vectors import require

            require(f"opening {self}, whose sentence embeddings this release searches in the store,")
            self._vectors = True

        meta = self._tables.meta
        try:
            with self._write() as conn:
                self._tables.metadata.create_all(conn)
                version = conn.execute(meta.select().where(meta.c.key == "schema_version")).mappings().first()
                if version is None:
                    for statement in schema.search_ddl(conn.dialect.name):
                        conn.exec_driver_sql(statement)
                    conn.execute(
                        meta.insert(), {"key": "schema_version", "value": str(schema.SCHEMA_VERSION)}
                    )
                    return
                current = int(version["value"])
                if current > schema.SCHEMA_VERSION:
                    raise StoreError(
                        f"the store at {self} was written by a newer callnlp (schema {current}, this "
                        f"release reads up to {schema.SCHEMA_VERSION}); "
                        "upgrade callnlp: pip install -U callnlp"
                    )
                for step in range(current + 1, schema.SCHEMA_VERSION + 1):
                    schema.MIGRATIONS[step](conn)
                if current < schema.SCHEMA_VERSION:
                    conn.execute(
                        meta.update().where(meta.c.key == "schema_version"),
                        {"value": str(schema.SCHEMA_VERSION)},
                    )
        except OperationalError as exc:
            raise StoreError(f"cannot open the store {self}: {_first_line(exc.orig)}") from None
        except DatabaseError as exc:  # the file's pages are not SQLite's: it was damaged
            raise _damaged(self.file, exc.orig) from None


def _as_paths(ref: str) -> list[str]:
    """`ref` as given and as an absolute path, the two ways a call's source may be stored."""
    try:
        return [ref, str(Path(ref).resolve())]
    except (ValueError, OSError):  # a NUL, a name too long: no file, so only as given
        return [ref]


SQLITE_HEADER = b"SQLite format 3\x00"
"""How every SQLite database file begins."""


def _check_file(file: Path, create: bool) -> None:
    """Refuse a path that holds no store before SQLite reads it (its own errors name
    neither the file nor the fix)."""
    try:
        _check_store_file(file, create)
    except OSError as exc:  # a name too long, a folder that may not be read
        raise StoreError(f"cannot use {file} as a store ({exc.strerror or exc})") from None


def _check_store_file(file: Path, create: bool) -> None:
    if file.is_dir():
        raise StoreError(f"{file} is a folder, not a store; give the store's file, e.g. {file / DEFAULT_DB}")
    if not file.is_file() or file.stat().st_size == 0:
        if not create:
            raise StoreError(
                f"no store at {file}; check the path (--db or ${ENV_DB}), or make one with: "
                f"callnlp ingest FILES --db {file}"
            )
        if not file.parent.is_dir():
            raise StoreError(f"cannot create the store {file}: its folder does not exist")
        return
    with file.open("rb") as f:
        head = f.read(len(SQLITE_HEADER))
    if head != SQLITE_HEADER:
        raise StoreError(
            f"{file} is not a callnlp store (not an SQLite database); give the store's path with "
            "--db, or the name of a new file to make one"
        )


def _damaged(file: Path | None, exc: BaseException) -> StoreError:
    return StoreError(
        f"{file} is damaged ({_first_line(exc)}); restore it from a backup, or ingest the "
        "transcripts again into a new file"
    )


def _first_line(exc: BaseException) -> str:
    """What a database error says, without SQLAlchemy's statement and background link."""
    return str(getattr(exc, "orig", None) or exc).splitlines()[0]


_FILTERS = {
    "company": "lower(c.company) = :company",
    "since": "c.date >= :since",
    "until": "c.date <= :until",
    "role": "t.role = :role",
    "section": "s.section = :section",
    "lang": "s.lang = :lang",
}


def _engine(url: str, vectors: bool = False):
    """SQLAlchemy's engine of a store; for SQLite with `vectors`, of the sqlite3 module that
    loads sqlite-vec into each connection it opens."""
    try:
        from sqlalchemy import URL, create_engine, event
    except ImportError:
        raise MissingDependencyError(
            "the store needs SQLAlchemy; install it with: pip install sqlalchemy"
        ) from None
    if url.startswith("postgresql"):
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise MissingDependencyError(
                "a PostgreSQL store needs psycopg 3; install it with: pip install 'callnlp[postgres]'"
            ) from None
        # a server that does not answer fails in seconds, not after the system's TCP timeout
        return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": PG_CONNECT_SECONDS})
    module = sqlite3
    if vectors:
        from sqlalchemy.pool import NullPool

        from callnlp.vectors import load, require

        module = require("a store that holds sentence embeddings")
    # sqlean's is another copy of SQLite in this process: no connection of it is kept open,
    # as closing one copy's file handle drops the locks the other holds on the file
    pool = {} if module is sqlite3 else {"module": module, "poolclass": NullPool}
    # the file as SQLAlchemy's URL object: in a URL string, `?` or `#` in a file name would
    # start a query or a fragment, and the engine would open another file than `self.file`
    file = URL.create("sqlite", database=url.removeprefix("sqlite:///"))
    engine = create_engine(file, **pool)

    @event.listens_for(engine, "connect")
    def _connect(dbapi, _record) -> None:
        dbapi.isolation_level = None  # SQLAlchemy's begin event decides how to begin
        dbapi.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")
        _wal(dbapi, module.OperationalError)
        if vectors:
            load(dbapi)
        dbapi.execute("PRAGMA synchronous = NORMAL")  # WAL stays consistent on a crash
        # a checkpoint (the only fsync in WAL with synchronous=NORMAL) every 40 MB, not every
        # 4 MB: a batch ingest spent a tenth of its wall time waiting on them
        dbapi.execute("PRAGMA wal_autocheckpoint = 10000")

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        # A writer takes the write lock up front: a deferred transaction that upgrades
        # later can fail at once with "database is locked" instead of waiting its turn.
        write = conn.get_execution_options().get("callnlp_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _wal(dbapi, error: type[Exception] = sqlite3.OperationalError) -> None:
    """Put the database in WAL mode, which the file keeps: whichever process opens a new store
    first sets it. Setting it needs the database to itself, and SQLite answers another process
    doing the same at that moment with "database is locked" at once, whatever the busy
    timeout (two `callnlp ingest` runs started together on a new store): so wait for it as the
    busy timeout would."""
    deadline = time.monotonic() + SQLITE_BUSY_MS / 1000
    while True:
        try:
            if dbapi.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                dbapi.execute("PRAGMA journal_mode = WAL")
            return
        except error as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(WAL_RETRY_S)


WAL_RETRY_S = 0.01


def _dataframe(result):
    """A query's rows as a pandas DataFrame (pandas is imported here, when first needed)."""
    import pandas as pd

    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


@cache
def _inserts(dialect: str) -> dict[str, str]:
    """INSERT statements by table name, values in column order; the calls row's returns its
    id only when it was not stored yet."""
    from sqlalchemy.dialects import postgresql, sqlite

    quote = (postgresql if dialect == "postgresql" else sqlite).dialect().identifier_preparer.quote
    mark = "%s" if dialect == "postgresql" else "?"
    sql = {}
    for table in schema.tables().sorted:
        names = ", ".join(quote(c.name) for c in table.columns)
        sql[table.name] = (
            f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join([mark] * len(table.columns))})"
        )
    sql["calls"] += " ON CONFLICT DO NOTHING RETURNING id"
    return sql
