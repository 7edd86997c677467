"""Vector search inside the stores (callnlp.vectors): sqlite-vec in SQLite, pgvector in PostgreSQL."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from dataclasses import replace

import pytest
from conftest import CORPORA, ROOT, postgres

from callnlp import analyze, vectors
from callnlp.errors import MissingDependencyError, StoreError
from callnlp.search import search
from callnlp.store import EventStore

np = pytest.importorskip("numpy")
DIM = 384
COPIES = 8
"""Copies of the corpora/ calls in the larger store (each its own id, company and date)."""


def _needs_sqlite_vec() -> None:
    if vectors.sqlite_module() is None:
        pytest.skip(f"sqlite-vec is not installed: {vectors.INSTALL}")


@pytest.fixture(scope="module")
def records():
    return [analyze(p) for p in sorted((CORPORA / "calls").glob("*.txt"))]


def copy_of(record, i: int):
    """The i-th copy of a record: its own call id, company and date."""
    call = replace(
        record.call,
        id=hashlib.sha256(f"{record.call.id}:{i}".encode()).hexdigest(),
        company=f"{record.call.company} #{i}",
        date=f"{2023 + i % 4}-0{1 + i % 9}-15" if i % 5 else None,
    )
    return replace(record, call=call)


def embedded(n: int, rng) -> np.ndarray:
    """n unit vectors shaped as all-MiniLM-L6-v2's of real sentences are: a spectrum that
    falls as 1/sqrt(rank) around a common mean of norm 0.5 (on random isotropic vectors,
    sign bits tell too little for any index of them)."""
    v = (rng.standard_normal((n, DIM)) * SPECTRUM) @ BASIS.T
    v = v / np.linalg.norm(v, axis=1, keepdims=True) + 0.5 * MEAN
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


_space = np.random.default_rng(0)
BASIS = np.linalg.qr(_space.standard_normal((DIM, DIM)))[0]
SPECTRUM = np.arange(1, DIM + 1) ** -0.5
MEAN = _space.standard_normal(DIM) / np.sqrt(DIM)


def _open(engine: str, tmp_path) -> EventStore:
    if engine == "sqlite":
        _needs_sqlite_vec()
        return EventStore(tmp_path / "calls.db")
    return EventStore(postgres())


def _fill(store: EventStore, records, copies: int, rng) -> None:
    for i in range(copies):
        for r in records:
            c = copy_of(r, i)
            store.add(c, vectors=embedded(len(c.sentences), rng))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(request, records, tmp_path_factory):
    """COPIES copies of the corpora/ calls, each sentence with a random vector."""
    with _open(request.param, tmp_path_factory.mktemp("vectors")) as s:
        _fill(s, records, COPIES, np.random.default_rng(7))
        yield s


def brute_force(store: EventStore, filters: dict, query: np.ndarray, limit: int) -> list[tuple[str, int]]:
    """The exact answer, in numpy over every stored vector the filters pass."""
    sql, params = store.filtered(
        f'SELECT s.call_id, s."index" AS sentence, e.vector FROM {vectors.EMBEDDED}', filters
    )
    if store.file is None:  # pgvector's text form
        sql = sql.replace("e.vector", "e.vector::text AS vector")
    rows = store.rows(sql, params)
    if not rows:
        return []
    as_array = [
        np.frombuffer(r["vector"], dtype=np.float32)
        if isinstance(r["vector"], bytes)
        else np.array(r["vector"].strip("[]").split(","), dtype=np.float32)
        for r in rows
    ]
    scores = np.stack(as_array) @ query
    return [(rows[i]["call_id"], rows[i]["sentence"]) for i in np.argsort(-scores)[:limit]]


FILTERS = [
    {},
    {"company": "helios grid systems #3"},
    {"since": "2024-01-01", "until": "2025-12-31"},
    {"since": "2024-01-01", "undated": True},
    {"until": "2024-06-30"},
    {"role": "analyst"},
    {"section": "qa", "lang": "en"},
    {"role": "executive", "section": "prepared", "since": "2025-01-01"},
]


def _filters(**given) -> dict:
    return {k: None for k in ("company", "since", "until", "role", "section", "lang", "undated")} | given


@pytest.mark.parametrize("given", FILTERS, ids=lambda f: ",".join(f) or "none")
def test_vectors_nearest_matches_brute_force(store, given) -> None:
    filters, rng = _filters(**given), np.random.default_rng(11)
    hits = total = 0
    for query in embedded(20, rng):
        exact = brute_force(store, filters, query, 10)
        found = [(cid, n) for cid, n, _ in store.nearest(query, filters, 10)]
        assert len(found) == len(exact)
        hits += len(set(found) & set(exact))
        total += len(exact)
    assert total
    assert hits / total >= 0.9  # recall@10 of the approximate index


def test_vectors_nearest_is_exact_when_the_pool_holds_every_candidate(tmp_path, records) -> None:
    # a pool of at least vectors.MIN_POOL sentences is ranked by exact cosine
    with _open("sqlite", tmp_path) as s:
        s.add(records[0], vectors=embedded(len(records[0].sentences), np.random.default_rng(3)))
        assert len(records[0].sentences) <= vectors.MIN_POOL
        for query in embedded(5, np.random.default_rng(4)):
            found = s.nearest(query, _filters(), 10)
            assert [(cid, n) for cid, n, _ in found] == brute_force(s, _filters(), query, 10)
            assert [c for _, _, c in found] == sorted((c for _, _, c in found), reverse=True)


RARE = [
    {"company": "helios grid systems #5", "role": "analyst"},
    {"company": "northwind logistics #2", "section": "qa"},
    {"company": "tianlan technology #6", "lang": "en", "role": "interpreter"},
    {"company": "quanta ridge software, inc. #1", "role": "operator"},
    {"company": "景泓新能源 #7", "section": "prepared"},
]
"""Filters that leave a few sentences of one call among the store's 40."""


@pytest.mark.parametrize("given", RARE, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()))
@pytest.mark.parametrize("limit", [3, 1000])
def test_vectors_filters_apply_before_the_top_k(store, given, limit: int) -> None:
    """A filter that leaves a few rare sentences still returns them: every one of them when
    fewer than `limit` pass, `limit` of them otherwise, never the store's nearest cut down."""
    filters = _filters(**given)
    passing = brute_force(store, filters, np.ones(DIM, dtype=np.float32), 100_000)
    assert passing
    query = embedded(1, np.random.default_rng(5))[0]
    found = [(cid, n) for cid, n, _ in store.nearest(query, filters, limit)]
    assert len(found) == min(limit, len(passing))
    assert set(found) <= set(passing)


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)  # pgvector's own feature
def test_vectors_postgres_iterative_scan_fills_k_through_the_index(store) -> None:
    """pgvector 0.8's iterative scan: through the HNSW index, a filter that 1 row in 40
    passes still gives k rows (the planner takes the exact path for such a filter where it
    can, as the store's own queries do; this one has no other index to take)."""
    from sqlalchemy import text

    q = vectors.literal(embedded(1, np.random.default_rng(9))[0].tobytes())
    sql = "SELECT call_id FROM embeddings WHERE sentence % 40 = 7 ORDER BY vector <=> CAST(:q AS vector) LIMIT 20"
    found = {}
    for scan in ("off", "relaxed_order"):
        with store._engine.connect() as conn:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            conn.exec_driver_sql(f"SET LOCAL hnsw.iterative_scan = {scan}")
            plan = "\n".join(r[0] for r in conn.execute(text(f"EXPLAIN {sql}"), {"q": q}))
            assert "embeddings_hnsw" in plan
            found[scan] = len(conn.execute(text(sql), {"q": q}).all())
    assert found == {"off": found["off"], "relaxed_order": 20}
    assert found["off"] < 20  # ef_search (40) candidates, of which about 1 passes


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_vectors_replace_replaces_the_vectors(engine, tmp_path, records) -> None:
    rng = np.random.default_rng(1)
    r = records[1]
    first, second = embedded(len(r.sentences), rng), embedded(len(r.sentences), rng)
    with _open(engine, tmp_path) as s:
        s.add(records[0], vectors=embedded(len(records[0].sentences), rng))
        s.add(r, vectors=first)
        assert s.add(r, replace=True, vectors=second)
        filters = _filters()
        for n in (0, len(r.sentences) // 2):
            (cid, index, cosine), *_ = s.nearest(second[n], filters, 5)
            assert (cid, index) == (r.call.id, n)
            assert cosine == pytest.approx(1.0, abs=1e-5)
            assert all(c < 0.999 for _, _, c in s.nearest(first[n], filters, 5))
        counted = s.rows("SELECT count(*) AS n FROM embeddings WHERE call_id = :c", {"c": r.call.id})
        assert counted[0]["n"] == len(r.sentences)
        s.add(r, replace=True)  # again, without vectors: none of its vectors are left
        assert all(cid != r.call.id for cid, _, _ in s.nearest(second[0], filters, 50))
        if engine == "sqlite":
            with vectors.connect(s.file, 5) as conn:
                indexed = conn.execute("SELECT count(*) FROM vector_index").fetchone()[0]
            assert indexed == len(records[0].sentences)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_vectors_another_dimension_is_a_store_error(engine, tmp_path, records) -> None:
    rng = np.random.default_rng(2)
    with _open(engine, tmp_path) as s:
        s.add(records[0], vectors=embedded(len(records[0].sentences), rng))
        other = rng.standard_normal((len(records[1].sentences), 128)).astype(np.float32)
        with pytest.raises(
            StoreError, match=r"holds 384-dimensional .* these are 128-dimensional.*--db.*--force"
        ):
            s.add(records[1], vectors=other)
        assert {c["id"] for c in s.calls()} == {records[0].call.id}  # not half a call
        s.drop_vectors()
        assert not s.has_embeddings()
        assert s.add(records[1], vectors=other)
        assert s.nearest(other[0], _filters(), 1)[0][:2] == (records[1].call.id, 0)


def test_vectors_without_the_extra_say_what_to_install(tmp_path, records, monkeypatch) -> None:
    monkeypatch.setattr(vectors, "sqlite_module", lambda: None)
    with EventStore(tmp_path / "calls.db") as s:
        assert s.add(records[0])  # a store without vectors works as ever
        assert search(s, "revenue").hits
        with pytest.raises(
            MissingDependencyError, match=r"sqlite-vec; install it with: pip install 'callnlp\[vectors\]'"
        ):
            s.add(records[1], vectors=embedded(len(records[1].sentences), np.random.default_rng(0)))
        with pytest.raises(MissingDependencyError, match=r"pip install 'callnlp\[vectors\]'"):
            s.nearest(np.ones(DIM, dtype=np.float32), _filters(), 5)
        assert len(s.calls()) == 1


def test_vectors_lexical_search_imports_no_vector_package(tmp_path, records) -> None:
    with EventStore(tmp_path / "calls.db") as s:
        s.add(records[0])
    code = (
        "import sys; from callnlp.store import EventStore; from callnlp.search import search; "
        f"store = EventStore({str(tmp_path / 'calls.db')!r}); assert search(store, 'revenue').hits; "
        "print(sorted(m for m in ('sqlite_vec', 'sqlean', 'psycopg') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]"


def test_vectors_postgres_without_pgvector_names_it(tmp_path, records, monkeypatch) -> None:
    monkeypatch.setattr(vectors, "PGVECTOR", "vector_not_installed")
    with EventStore(postgres()) as s:
        assert s.add(records[0])  # without vectors, as ever
        with pytest.raises(MissingDependencyError, match=r"pgvector extension .*CREATE EXTENSION vector"):
            s.add(records[1], vectors=embedded(len(records[1].sentences), np.random.default_rng(0)))
        assert [c["id"] for c in s.calls()] == [records[0].call.id]
