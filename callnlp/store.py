"""EventStore: every part of the analysis record, in SQLite (default) or PostgreSQL.

One table per part of the record (calls, turns, sentences, cues, figures, qa_pairs,
aggregates, signals); every table but calls has a `call_id` column pointing at
`calls.id`, the sha256 of the transcript's bytes, so users can query it with plain SQL.
Column names are the record's field names (`index`, `start` and `end` need quoting in
SQL: `"end"`). Each call is written in one transaction: a store never holds half a call.

SQLite runs in WAL mode with `BEGIN IMMEDIATE` writes and a busy timeout, so several
ingest processes can write one file at once; PostgreSQL (SQLAlchemy Core over psycopg 3)
gives a team one shared store.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any

from callnlp import schema
from callnlp.errors import MissingDependencyError, OptionError, StoreError
from callnlp.record import CallAnalysis

DEFAULT_DB = "callnlp.db"
ENV_DB = "CALLNLP_DB"
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
    if db.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + db.split("://", 1)[1]
    if db.startswith(("postgresql+psycopg://", "sqlite://")):
        return db
    if "://" in db:
        raise OptionError(
            f"unsupported store URL {db!r}; give a file path, sqlite:///PATH or postgresql://USER@HOST/DB"
        )
    return f"sqlite:///{Path(db).expanduser().resolve()}"


class EventStore:
    """The store of analyzed calls.

    Args:
        url: an SQLite file path, `sqlite:///PATH`, or `postgresql://user@host/db`; None
            for $CALLNLP_DB or ./callnlp.db.

    Example:
        >>> import tempfile, callnlp
        >>> store = EventStore(tempfile.mkdtemp() + "/calls.db")
        >>> record = callnlp.analyze("CoreWeave (CRWV) 一季度营收9.816亿美元。".encode())
        >>> store.add(record), store.add(record)
        (True, False)
        >>> store.get(record.call.id) == record
        True
    """

    def __init__(self, url: str | os.PathLike | None = None) -> None:
        self.url = resolve_url(url)
        self._engine = _engine(self.url)
        self._tables = schema.tables()
        self._migrate()

    def __repr__(self) -> str:
        return f"EventStore({self._engine.url.render_as_string(hide_password=True)!r})"

    def close(self) -> None:
        """Release the store's connections."""
        self._engine.dispose()

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing

    def add(self, analysis: CallAnalysis, *, replace: bool = False) -> bool:
        """Store one call in one transaction.

        Args:
            analysis: the record to store.
            replace: store it again over an existing copy (re-analysis).

        Returns:
            True when stored, False when the call was already there (and `replace` is off).
        """
        t = self._tables
        cid = analysis.call.id
        with self._write() as conn:
            if replace:
                for table in reversed(t.sorted):
                    key = table.c.id if table.name == "calls" else table.c.call_id
                    conn.execute(table.delete().where(key == cid))
            inserted = conn.execute(
                _insert_ignore(conn, t.calls).returning(t.calls.c.id), schema.call_row(analysis)
            )
            if inserted.first() is None:
                return False  # another process stored it first: its copy is whole
            for table, rows in schema.child_rows(analysis):
                if rows:
                    _insert_many(conn, t[table], rows)
        return True

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
                ids = list(
                    conn.execute(q.where(t.calls.c.source.in_([ref, str(Path(ref).resolve())]))).scalars()
                )
        if len(ids) == 1:
            return ids[0]
        if not ids:
            raise StoreError(
                f"no stored call matches {ref!r}; `callnlp calls` lists them (give an id prefix)"
            )
        raise StoreError(f"{ref!r} matches {len(ids)} calls; give more of the id")

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

    def sentences(self, company: str | None = None, section: str | None = None):
        """Every stored sentence with its scores and its call's company and date, as a DataFrame."""
        return self._frame(self._tables.sentences, company, {"section": section})

    def _frame(self, table, company: str | None, where: dict[str, str | None]):
        try:
            import pandas as pd
        except ImportError:
            raise MissingDependencyError(
                "DataFrames need pandas; install it with: pip install pandas"
            ) from None
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
            result = conn.execute(q)
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()))

    # --- plumbing

    @contextmanager
    def _write(self) -> Iterator[Any]:
        with self._engine.connect().execution_options(callnlp_write=True) as conn, conn.begin():
            yield conn

    def _migrate(self) -> None:
        from sqlalchemy.exc import OperationalError

        meta = self._tables.meta
        try:
            with self._write() as conn:
                self._tables.metadata.create_all(conn)
                version = conn.execute(meta.select().where(meta.c.key == "schema_version")).mappings().first()
                if version is None:
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
                    for statement in schema.MIGRATIONS[step]:
                        conn.exec_driver_sql(statement)
                if current < schema.SCHEMA_VERSION:
                    conn.execute(
                        meta.update().where(meta.c.key == "schema_version"),
                        {"value": str(schema.SCHEMA_VERSION)},
                    )
        except OperationalError as exc:
            raise StoreError(f"cannot open the store {self}: {str(exc.orig).splitlines()[0]}") from None


def _engine(url: str):
    try:
        from sqlalchemy import create_engine, event
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
        return create_engine(url, pool_pre_ping=True)
    path = url.removeprefix("sqlite:///")
    if path and path != ":memory:" and not Path(path).parent.is_dir():
        raise StoreError(f"cannot create the store {path}: its folder does not exist")
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _connect(dbapi, _record) -> None:
        dbapi.isolation_level = None  # SQLAlchemy's begin event decides how to begin
        dbapi.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")
        dbapi.execute("PRAGMA journal_mode = WAL")
        dbapi.execute("PRAGMA synchronous = NORMAL")  # WAL stays consistent on a crash

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        # A writer takes the write lock up front: a deferred transaction that upgrades
        # later can fail at once with "database is locked" instead of waiting its turn.
        write = conn.get_execution_options().get("callnlp_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _insert_many(conn, table, rows: list[dict[str, Any]]) -> None:
    """Insert rows through the driver's executemany: a call has thousands of rows, and
    SQLAlchemy's per-row parameter processing cost more than the database's own work."""
    names = [c.name for c in table.columns]
    quote = conn.dialect.identifier_preparer.quote
    marks = ", ".join(["?" if conn.dialect.paramstyle == "qmark" else "%s"] * len(names))
    sql = f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, names))}) VALUES ({marks})"
    conn.exec_driver_sql(sql, list(map(itemgetter(*names), rows)))


def _insert_ignore(conn, table):
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing()
