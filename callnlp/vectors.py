"""Sentence embeddings searched where they are stored: sqlite-vec in SQLite, pgvector in PostgreSQL.

SQLite: each sentence's float32 vector stays in `embeddings` (plain rows any SQLite
reads), and the `vec0` table `vector_index` holds its sign bits (binary quantization)
with what the filters read: the call's company (a key of its lower-cased name) and date,
the sentence's role (of its turn), section and language. A search takes the sentences
nearest in Hamming distance, the filters applied inside the KNN scan, as a pool, and
ranks the pool by exact cosine from `embeddings`. Why bits and no floats in the index
(10,000 calls, 1,028,000 sentences, bench/search.py): an exact float KNN in vec0 took
0.5-0.6 s; a bit KNN costs the scan (~30 ms) plus a selection that grows with k times
the rows the filters pass (a pool of 240 took 0.2-0.8 s), so the scan is cut first to
the distance that a sample shard (`shard = 0` of SHARDS, a partition key: its own
chunks) puts its pool at: the rows that near are at least that shard's, so the cut
loses nothing. A vec0 row's id is its call's `vector_calls.seq` << 20 | its sentence.

PostgreSQL: `embeddings.vector` is a pgvector column with an HNSW index (cosine); the
filters join in the same query before `ORDER BY vector <=> q LIMIT k`, with pgvector
0.8's iterative scan, so a selective filter still fills k.

Both: the first vectors stored fix the dimension (`callnlp_meta.vector_dim`); a call's
vectors are written in the call's own transaction. Needs the `vectors` extra (sqlite-vec,
and sqlean.py where the standard library's sqlite3 cannot load extensions), or pgvector
on the server; a store without embeddings never imports either.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from array import array
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache, lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from callnlp.errors import MissingDependencyError, StoreError

INSTALL = "pip install 'callnlp[vectors]'"
PGVECTOR = "vector"
"""The PostgreSQL extension (pgvector)."""
SHARDS = 16
"""Partitions of the SQLite index; one of them is the sample that cuts a scan short."""
OVERSAMPLE = 2
"""The Hamming pool is this many times the sentences asked for (at least MIN_POOL)."""
SAMPLE = 2
"""The sample shard's nearest are this many pools' worth of the whole: its farthest is the cut."""
MIN_POOL = 100
MAX_POOL = 4096
"""vec0's largest k."""
SENTENCE_BITS = 20
"""A vec0 row id holds its sentence's index in this many low bits."""
CLEAR = "EventStore(DB).drop_vectors()"
SQLITE_DISTANCE = "vec_distance_cosine(e.vector, :q)"
EMBEDDED = 'embeddings e JOIN sentences s ON s.call_id = e.call_id AND s."index" = e.sentence'
"""The stored vectors with their sentences (for `EventStore.filtered`)."""
POSTGRES_DISTANCE = "(e.vector <=> CAST(:q AS vector))"


@cache
def sqlite_module() -> ModuleType | None:
    """The sqlite3 module that loads sqlite-vec: the standard library's where it can load
    extensions, else sqlean.py's (wheels for Linux, macOS and Windows; pysqlite3-binary
    has Linux x86-64 ones only); None without the `vectors` extra."""
    try:
        import sqlite_vec  # noqa: F401
    except ImportError:
        return None
    if hasattr(sqlite3.Connection, "enable_load_extension"):
        return sqlite3
    try:
        import sqlean
    except ImportError:
        return None
    return sqlean


def require(why: str) -> ModuleType:
    """`sqlite_module()`, or a MissingDependencyError that says `why` it is needed."""
    module = sqlite_module()
    if module is None:
        raise MissingDependencyError(f"{why} needs sqlite-vec; install it with: {INSTALL}")
    return module


def load(conn: Any) -> None:
    """Load sqlite-vec into an SQLite connection of `sqlite_module()`."""
    import sqlite_vec

    conn.enable_load_extension(True)
    sqlite_vec.load(conn)
    conn.enable_load_extension(False)


@contextmanager
def connect(file: Path, timeout: float) -> Iterator[Any]:
    """A read connection to an SQLite store with sqlite-vec loaded, closed after use (where
    it is sqlean's, no connection of the standard library's copy of SQLite may hold the
    file's locks at the same time: closing one drops the other's)."""
    conn = require("semantic search of an SQLite store").connect(file, timeout=timeout)
    try:
        conn.row_factory = sqlite_module().Row
        load(conn)
        yield conn
    finally:
        conn.close()


@contextmanager
def _extension(what: str) -> Iterator[None]:
    """Say what to install when a connection without sqlite-vec meets the index."""
    try:
        yield
    except Exception as exc:
        if "no such module: vec0" in str(exc) or "no such function: vec_" in str(exc):
            raise MissingDependencyError(
                f"{what}: the store holds sentence embeddings, indexed with sqlite-vec; install it with: "
                f"{INSTALL}"
            ) from None
        raise


def company_key(company: str | None) -> int:
    """The index's key of a company: its lower-cased name, hashed to a signed 64-bit integer
    (vec0 compares integers faster than names longer than 12 bytes); 0 for none."""
    if company is None:
        return 0
    digest = hashlib.blake2b(company.lower().encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def literal(data: bytes) -> str:
    """float32 bytes as pgvector's text form, `[0.1,0.2]` (each value round-trips exactly)."""
    return "[" + ",".join(map(repr, array("f", data).tolist())) + "]"


def query_param(dialect: str, vector: Any) -> Any:
    """The query vector as the store's SQL takes it: float32 bytes, or pgvector's text."""
    import numpy as np

    data = np.asarray(vector, dtype=np.float32).tobytes()
    return data if dialect == "sqlite" else literal(data)


def held(cursor: Any, mark: str) -> int | None:
    """The dimension of the store's vectors (None before the first are stored)."""
    cursor.execute(f"SELECT value FROM callnlp_meta WHERE key = {mark}", ("vector_dim",))
    found = cursor.fetchone()
    return None if found is None else int(found[0])


def _check(cursor: Any, mark: str, dim: int) -> bool:
    """Whether the store has yet to fix its dimension; a StoreError when it holds another."""
    have = held(cursor, mark)
    if have is not None and have != dim:
        raise StoreError(
            f"the store holds {have}-dimensional sentence embeddings and these are {dim}-dimensional "
            "(another embedding model): embed with the model the store was built with, ingest into a new "
            f"store (--db), or clear its embeddings ({CLEAR}) and ingest again with --embed-model and --force"
        )
    return have is None


def _fix(cursor: Any, mark: str, dim: int) -> None:
    cursor.execute(f"INSERT INTO callnlp_meta (key, value) VALUES ({mark}, {mark})", ("vector_dim", str(dim)))


class SqliteVectors:
    """The sqlite-vec index of an SQLite store's `embeddings`."""

    mark = "?"

    def add(self, cursor: Any, call_id: str, rows: Sequence[tuple]) -> None:
        """Store a call's vectors (rows of call id, sentence, float32 bytes) and index them."""
        dim = len(rows[0][2]) // 4
        with _extension("storing sentence embeddings"):
            if _check(cursor, self.mark, dim):
                self._create(cursor, dim)
            cursor.executemany("INSERT INTO embeddings (call_id, sentence, vector) VALUES (?, ?, ?)", rows)
            self._index(cursor, call_id)

    def delete(self, cursor: Any, call_id: str) -> None:
        """Take a call's vectors out of the index (before its `embeddings` rows go)."""
        if held(cursor, self.mark) is None:
            return
        cursor.execute("SELECT seq FROM vector_calls WHERE call_id = ?", (call_id,))
        found = cursor.fetchone()
        if found is None:
            return
        seq = found[0] << SENTENCE_BITS
        cursor.execute("SELECT sentence FROM embeddings WHERE call_id = ?", (call_id,))
        ids = [(seq | sentence,) for (sentence,) in cursor.fetchall()]
        with _extension("replacing a call"):
            cursor.executemany("DELETE FROM vector_index WHERE rowid = ?", ids)
        cursor.execute("DELETE FROM vector_calls WHERE call_id = ?", (call_id,))

    def index_stored(self, cursor: Any) -> None:
        """Index the vectors an older release stored (schema version 6)."""
        cursor.execute("SELECT length(vector) FROM embeddings LIMIT 1")
        found = cursor.fetchone()
        if found is None:
            return
        with _extension("opening a store of an older release"):
            self._create(cursor, found[0] // 4)
            cursor.execute("SELECT DISTINCT call_id FROM embeddings")
            for (call_id,) in cursor.fetchall():
                self._index(cursor, call_id)

    def clear(self, cursor: Any) -> None:
        """Drop every vector and the index."""
        with _extension("clearing the embeddings"):
            cursor.execute("DROP TABLE IF EXISTS vector_index")
        cursor.execute("DROP TABLE IF EXISTS vector_calls")
        cursor.execute("DELETE FROM embeddings")

    @staticmethod
    def _create(cursor: Any, dim: int) -> None:
        if dim % 8:
            raise StoreError(
                f"sentence embeddings of {dim} dimensions cannot be indexed (their sign bits fill no whole "
                "byte): use a model whose dimension is a multiple of 8"
            )
        cursor.execute(
            f"CREATE VIRTUAL TABLE vector_index USING vec0(bits bit[{dim}], shard INTEGER PARTITION KEY, "
            "company INTEGER, date TEXT, role TEXT, section TEXT, lang TEXT)"
        )
        cursor.execute("CREATE TABLE vector_calls (seq INTEGER PRIMARY KEY, call_id VARCHAR(64) UNIQUE)")
        _fix(cursor, "?", dim)

    @staticmethod
    def _index(cursor: Any, call_id: str) -> None:
        """Put a call's stored vectors in the index, with what the filters read."""
        cursor.execute("INSERT INTO vector_calls (call_id) VALUES (?)", (call_id,))
        seq = cursor.lastrowid << SENTENCE_BITS
        from callnlp.store import EventStore

        sql, _ = EventStore.filtered(
            f"SELECT e.sentence, e.vector, c.company, c.date, t.role, s.section, s.lang FROM {EMBEDDED}",
            {},
            "e.call_id = :call",
        )
        cursor.execute(sql, {"call": call_id})
        rows = []
        for sentence, vector, company, date, role, section, lang in cursor.fetchall():
            if sentence >> SENTENCE_BITS:
                raise StoreError(f"call {call_id} has more than {1 << SENTENCE_BITS} sentences to index")
            rowid = seq | sentence
            # vec0 takes no NULL metadata (and a failed insert leaves half a row): '' for none
            meta = (company_key(company), date or "", role or "", section, lang or "")
            rows.append((rowid, vector, _shard(rowid), *meta))
        cursor.executemany(
            "INSERT INTO vector_index (rowid, bits, shard, company, date, role, section, lang) "
            "VALUES (?, vec_quantize_binary(?), ?, ?, ?, ?, ?, ?)",
            rows,
        )


def _shard(rowid: int) -> int:
    """A row's shard: Fibonacci hashing of its id, so no call, sentence or date goes to one."""
    return ((rowid * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF) >> 60


def nearest(conn: Any, vector: Any, filters: dict[str, Any], limit: int) -> list[tuple[str, int, float]]:
    """(call id, sentence, cosine) of the `limit` sentences of an SQLite store nearest
    `vector` that the filters pass (`EventStore.filtered`'s): a Hamming pool of
    OVERSAMPLE times that many, ranked by exact cosine."""
    q = query_param("sqlite", vector)
    pool = min(MAX_POOL, max(MIN_POOL, OVERSAMPLE * limit))
    found: dict[int, float] = {}
    for where, params in _constraints(filters):
        found.update(_knn(conn, {**params, "q": q}, where, pool))
    best = sorted(found, key=found.__getitem__)[:pool]
    mask = (1 << SENTENCE_BITS) - 1
    rows = conn.execute(
        f"SELECT v.call_id, p.value & {mask} AS sentence, 1 - {SQLITE_DISTANCE} AS cosine "
        f"FROM json_each(:ids) p JOIN vector_calls v ON v.seq = p.value >> {SENTENCE_BITS} "
        f"JOIN embeddings e ON e.call_id = v.call_id AND e.sentence = p.value & {mask} "
        "ORDER BY cosine DESC LIMIT :limit",
        {"q": q, "ids": json.dumps(best), "limit": limit},
    )
    return [(r["call_id"], int(r["sentence"]), float(r["cosine"])) for r in rows]


def _knn(conn: Any, params: dict[str, Any], where: str, pool: int) -> list[tuple[int, float]]:
    """(row id, Hamming distance) of the `pool` rows nearest, `where` applied in the scan."""
    sql = "SELECT rowid, distance FROM vector_index WHERE bits MATCH vec_quantize_binary(:q) AND k = :k"
    sample_k = max(1, SAMPLE * pool // SHARDS)
    sample = conn.execute(f"{sql}{where} AND shard = 0", {**params, "k": sample_k}).fetchall()
    if len(sample) == sample_k:
        cut = {**params, "k": pool, "cut": sample[-1][1]}
        found = conn.execute(f"{sql}{where} AND distance <= :cut", cut).fetchall()
        if len(found) == pool:
            return found
    return conn.execute(sql + where, {**params, "k": pool}).fetchall()


def _constraints(filters: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The filters as vec0 constraints: one conjunction, or two (dated calls in range, and
    undated ones) when `undated` keeps calls without a date, since vec0 has no OR."""
    where, params = "", {}
    for name in ("company", "role", "section", "lang"):
        if filters.get(name) is not None:
            value = company_key(filters[name]) if name == "company" else filters[name]
            where += f" AND {name} = :{name}"
            params[name] = value
    dates, since, until = "", filters.get("since"), filters.get("until")
    if since is not None:
        dates += " AND date >= :since"
        params["since"] = since
    if until is not None:
        dates += " AND date <= :until AND date != ''"
        params["until"] = until
    if dates and filters.get("undated"):
        return [(where + dates, params), (f"{where} AND date = ''", params)]
    return [(where + dates, params)]


class PostgresVectors:
    """Embeddings in a pgvector column with an HNSW index."""

    mark = "%s"

    def add(self, cursor: Any, call_id: str, rows: Sequence[tuple]) -> None:
        """Store a call's vectors (rows of call id, sentence, float32 bytes)."""
        dim = len(rows[0][2]) // 4
        if _check(cursor, self.mark, dim):
            # two writers storing the first vectors at once: one makes the column, the other waits
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('callnlp.vector_dim'))")
            if _check(cursor, self.mark, dim):
                self._create(cursor, dim)
        cursor.executemany(
            "INSERT INTO embeddings (call_id, sentence, vector) VALUES (%s, %s, %s::vector)",
            [(cid, n, literal(blob)) for cid, n, blob in rows],
        )

    def delete(self, cursor: Any, call_id: str) -> None:
        """Nothing beyond the `embeddings` rows: the HNSW index follows its table."""

    def index_stored(self, cursor: Any) -> None:
        """Make the vectors an older release stored (bytea) a pgvector column (version 6)."""
        cursor.execute("SELECT octet_length(vector) FROM embeddings LIMIT 1")
        found = cursor.fetchone()
        if found is not None:
            self._create(cursor, found[0] // 4)

    def clear(self, cursor: Any) -> None:
        """Drop every vector and the index: the column is bytea again, of no dimension."""
        cursor.execute("DROP INDEX IF EXISTS embeddings_hnsw")
        cursor.execute("DELETE FROM embeddings")
        cursor.execute("ALTER TABLE embeddings ALTER COLUMN vector TYPE bytea USING NULL")

    @staticmethod
    def _create(cursor: Any, dim: int) -> None:
        """The bytea column SQLAlchemy makes (pgvector may be missing) as vector(dim), with
        the rows it holds converted, and its HNSW index."""
        import psycopg

        try:
            cursor.execute(f"CREATE EXTENSION IF NOT EXISTS {PGVECTOR}")
        except psycopg.Error as exc:
            raise MissingDependencyError(
                "storing sentence embeddings in PostgreSQL needs the pgvector extension "
                f"({str(exc).splitlines()[0]}): install it on the server (Debian: apt-get install "
                "postgresql-15-pgvector, or build it from source) and run CREATE EXTENSION vector in the "
                "database as a superuser"
            ) from None
        cursor.execute("ALTER TABLE embeddings RENAME COLUMN vector TO blob")
        cursor.execute(f"ALTER TABLE embeddings ADD COLUMN vector vector({dim})")
        cursor.execute("SELECT DISTINCT call_id FROM embeddings")
        for (call_id,) in cursor.fetchall():
            cursor.execute("SELECT sentence, blob FROM embeddings WHERE call_id = %s", (call_id,))
            cursor.executemany(
                "UPDATE embeddings SET vector = %s::vector WHERE call_id = %s AND sentence = %s",
                [(literal(bytes(blob)), call_id, n) for n, blob in cursor.fetchall()],
            )
        cursor.execute("ALTER TABLE embeddings DROP COLUMN blob")
        cursor.execute("CREATE INDEX embeddings_hnsw ON embeddings USING hnsw (vector vector_cosine_ops)")
        _fix(cursor, "%s", dim)


def index_of(dialect: str) -> SqliteVectors | PostgresVectors:
    """The vector side of a store of `dialect`."""
    return SqliteVectors() if dialect == "sqlite" else PostgresVectors()


def index_stored(conn: Any) -> None:
    """Schema version 6: index the vectors the store already holds (a SQLAlchemy connection)."""
    cursor = conn.connection.cursor()
    try:
        index_of(conn.dialect.name).index_stored(cursor)
    finally:
        cursor.close()


def postgres_rows(engine: Any, sql: str, params: dict[str, Any], k: int | None) -> list[dict[str, Any]]:
    """The rows of a nearest-vector query on PostgreSQL: pgvector 0.8's iterative index scan
    goes on past `hnsw.ef_search` candidates until k rows pass the query's filters."""
    from sqlalchemy import text

    with engine.connect() as conn:
        if k is not None:
            if _iterative_scan(engine):
                conn.exec_driver_sql("SET LOCAL hnsw.iterative_scan = relaxed_order")
            conn.exec_driver_sql(f"SET LOCAL hnsw.ef_search = {min(1000, max(40, 2 * k))}")
        return [dict(r) for r in conn.execute(text(sql), params).mappings()]


@lru_cache(maxsize=8)  # bounded: a process may open many stores, each with its engine
def _iterative_scan(engine: Any) -> bool:
    """Whether the server's pgvector (0.8 or later) scans its index on until k rows pass the
    filters; asked once an engine, not on every search."""
    with engine.connect() as conn:
        version = conn.exec_driver_sql(
            f"SELECT extversion FROM pg_extension WHERE extname = '{PGVECTOR}'"
        ).scalar()
    return bool(version) and tuple(int(p) for p in version.split(".")[:2]) >= (0, 8)
