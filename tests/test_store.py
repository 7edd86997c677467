from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import replace

import pytest
from conftest import postgres

from callnlp import analyze
from callnlp.errors import OptionError, StoreError
from callnlp.record import QAPair
from callnlp.schema import SCHEMA_VERSION
from callnlp.search import search
from callnlp.store import EventStore, resolve_url


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    url = str(tmp_path / "calls.db") if request.param == "sqlite" else postgres()
    with EventStore(url) as s:
        yield s


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    from conftest import CORPORA

    return [analyze(p) for p in sorted((CORPORA / "calls").glob("*.txt"))]


def test_store_round_trips_every_record(store, records) -> None:
    for r in records:
        assert store.add(r)
    for r in records:
        back = store.get(r.call.id)
        assert back == r
        assert back.to_json() == r.to_json()


def test_store_is_idempotent_and_replaces_on_request(store, records) -> None:
    r = records[0]
    assert store.add(r) is True
    assert store.add(r) is False
    assert store.add(r, replace=True) is True
    assert len(store.calls()) == 1
    assert store.get(r.call.id) == r


def test_store_lists_and_finds_calls(store, records) -> None:
    for r in records:
        store.add(r)
    rows = store.calls()
    assert [row["date"] for row in rows] == sorted((row["date"] for row in rows), reverse=True)
    helios = store.calls(company="helios grid systems")
    assert len(helios) == 1
    assert helios[0]["figures"] == len(
        next(r for r in records if r.call.company == "Helios Grid Systems").figures
    )
    cid = helios[0]["id"]
    assert store.find(cid[:8]) == cid
    assert store.find(helios[0]["source"]) == cid
    with pytest.raises(StoreError, match="no stored call matches"):
        store.find("ffffffffff")
    assert store.known([cid, "nope"]) == {cid}


def test_store_frames_for_research(store, records) -> None:
    for r in records:
        store.add(r)
    revenue = store.figures(metric="revenue")
    assert len(revenue) == sum(1 for r in records for f in r.figures if f.metric == "revenue")
    assert {"company", "date", "call_period", "metric", "value", "unit", "kind", "line"} <= set(
        revenue.columns
    )
    qa = store.sentences(company="Tianlan Technology", section="qa")
    assert len(qa) == sum(1 for r in records if r.call.company == "Tianlan Technology" for s in r.sentences
                          if s.section.value == "qa")  # fmt: skip
    assert qa["hedging"].between(0, 1).all()


BEFORE_V5 = (
    *(f"ALTER TABLE qa_pairs DROP COLUMN {c}" for c in ("directness", "specificity", "evasion_cues")),
    "ALTER TABLE aggregates DROP COLUMN document_tone",
)
"""What takes a store back to before version 5, which added these columns."""


def _age(path, version: int, *statements: str) -> None:
    """Make the store at `path` look as release `version` wrote it: no search index beside
    it (before version 4 there was none), no answer scores (before version 5), and
    `statements` undone what came later."""
    import shutil

    shutil.rmtree(f"{path}.search")
    with closing(sqlite3.connect(path)) as db, db:  # closed: a connection left open ends with the test
        db.execute("DROP TABLE search_pending")
        db.execute("DROP INDEX figures_value")
        for statement in (*BEFORE_V5, *statements):
            db.execute(statement)
        db.execute(f"UPDATE callnlp_meta SET value = '{version}' WHERE key = 'schema_version'")


def test_store_migrates_a_version_1_store(tmp_path, records) -> None:
    # Version 1 (the first release) had no search at all.
    path = tmp_path / "old.db"
    with EventStore(path) as s:
        for r in records:
            s.add(r)
        s.sync_search()
    _age(path, 1, "ALTER TABLE sentences DROP COLUMN terms")
    with EventStore(path) as s:
        for r in records:
            back = s.get(r.call.id)
            assert back.call == r.call
            same = sum(a.terms == b.terms for a, b in zip(back.sentences, r.sentences, strict=True))
            assert same >= 0.95 * len(r.sentences)  # re-tokenized one sentence at a time
        assert {h.call_id for h in search(s, "revenue", limit=50).hits} == {r.call.id for r in records}
    with sqlite3.connect(path) as db:
        version = db.execute("SELECT value FROM callnlp_meta WHERE key = 'schema_version'").fetchone()
        assert version == (str(SCHEMA_VERSION),)
    with EventStore(path) as s:  # migrated once: a second open runs nothing (it would fail)
        assert len(s.calls()) == len(records)
        pairs = [p for r in records for p in s.get(r.call.id).qa_pairs]
        assert pairs
        assert all(p.directness is None and p.evasion_cues == () for p in pairs)


def test_store_migrates_a_version_3_store(tmp_path, records) -> None:
    # Version 3 searched FTS5 tables inside the file; version 4 a Tantivy index beside it.
    path = tmp_path / "old.db"
    with EventStore(path) as s:
        for r in records:
            s.add(r)
        s.sync_search()
    _age(
        path,
        3,
        "CREATE VIRTUAL TABLE sentence_fts USING fts5(terms, tags, call_id UNINDEXED, sentence UNINDEXED)",
        "CREATE TABLE sentence_meta (rowid INTEGER PRIMARY KEY, lang TEXT, section TEXT, role TEXT)",
    )
    with EventStore(path) as s:
        assert {h.call_id for h in search(s, "revenue", limit=50).hits} == {r.call.id for r in records}
    with sqlite3.connect(path) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        assert "sentence_fts" not in tables
        assert {"search_pending", "figures_value"} <= tables
        assert db.execute("SELECT count(*) FROM search_pending").fetchone() == (0,)


def test_store_migrates_a_version_2_store(tmp_path, records) -> None:
    # Version 2 indexed sentences.section and cues.kind.
    path = tmp_path / "old.db"
    with EventStore(path) as s:
        for r in records[:2]:
            s.add(r)
    with sqlite3.connect(path) as db:
        db.execute("CREATE INDEX sentences_section ON sentences (section)")
        db.execute("CREATE INDEX cues_kind ON cues (kind)")
        for statement in BEFORE_V5:
            db.execute(statement)
        db.execute("UPDATE callnlp_meta SET value = '2' WHERE key = 'schema_version'")
    with EventStore(path) as s:
        for r in records[2:]:
            assert s.add(r)
        for r in records[2:]:
            assert s.get(r.call.id) == r
        for r in records[:2]:  # stored before answers and documents were scored: unscored
            unscored = tuple(QAPair(p.question, p.answers) for p in r.qa_pairs)
            plain = tuple(replace(g, document_tone=None) for g in r.aggregates)
            assert s.get(r.call.id) == replace(r, qa_pairs=unscored, aggregates=plain)
        assert search(s, "revenue").hits
    with sqlite3.connect(path) as db:
        indexes = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert not indexes & {"sentences_section", "cues_kind"}
        version = db.execute("SELECT value FROM callnlp_meta WHERE key = 'schema_version'").fetchone()
        assert version == (str(SCHEMA_VERSION),)


class _Embedder:
    """Encodes any query as one fixed vector."""

    def __init__(self, vector) -> None:
        self.vector = vector

    def encode(self, texts):
        return [self.vector for _ in texts]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_store_migrates_a_version_5_store_with_embeddings(engine, tmp_path, records) -> None:
    # Version 5 scanned every stored vector (float32 blobs, bytea in PostgreSQL); version 6
    # searches them in the store's own index: sqlite-vec beside them, or a pgvector column.
    np = pytest.importorskip("numpy")
    from callnlp import vectors

    if engine == "sqlite" and vectors.sqlite_module() is None:
        pytest.skip(f"sqlite-vec is not installed: {vectors.INSTALL}")
    rng = np.random.default_rng(0)
    stored = {r.call.id: rng.standard_normal((len(r.sentences), 384)).astype(np.float32) for r in records}
    queries = rng.standard_normal((3, 384)).astype(np.float32)
    unfiltered = {k: None for k in ("company", "since", "until", "role", "section", "lang", "undated")}
    # enough for every sentence to be in the pool: the exact answer, which aging keeps
    enough = sum(len(r.sentences) for r in records)
    url = str(tmp_path / "old.db") if engine == "sqlite" else postgres()

    def semantic(s):
        found = [s.nearest(q, unfiltered | {"section": "qa"}, enough) for q in queries]
        hits = [search(s, "revenue", limit=10, embedder=_Embedder(q)) for q in queries]
        assert all(h.semantic for h in hits)
        return found, [[(h.call_id, h.sentence) for h in result.hits] for result in hits]

    with EventStore(url) as s:
        for r in records:
            s.add(r, vectors=stored[r.call.id] / np.linalg.norm(stored[r.call.id], axis=1, keepdims=True))
        s.sync_search()
        before = semantic(s)
    if engine == "sqlite":
        with vectors.connect(tmp_path / "old.db", 5) as db:
            db.execute("DROP TABLE vector_index")
            db.commit()
        _age(
            tmp_path / "old.db",
            3,
            "DROP TABLE vector_calls",
            "DELETE FROM callnlp_meta WHERE key = 'vector_dim'",
        )
    else:
        import psycopg

        with psycopg.connect(url, autocommit=True) as db:
            blobs = dict(
                db.execute("SELECT call_id || ':' || sentence, vector::text FROM embeddings").fetchall()
            )
            db.execute("DROP INDEX embeddings_hnsw")
            db.execute("ALTER TABLE embeddings ALTER COLUMN vector TYPE bytea USING NULL")
            for k, text in blobs.items():
                cid, n = k.split(":")
                blob = np.array(text.strip("[]").split(","), dtype=np.float32).tobytes()
                db.execute(
                    "UPDATE embeddings SET vector = %s WHERE call_id = %s AND sentence = %s",
                    (blob, cid, int(n)),
                )
            db.execute("DELETE FROM callnlp_meta WHERE key = 'vector_dim'")
            db.execute("UPDATE callnlp_meta SET value = '5' WHERE key = 'schema_version'")
    with EventStore(url) as s:
        after = semantic(s)
        assert s.rows("SELECT value FROM callnlp_meta WHERE key = 'vector_dim'") == [{"value": "384"}]
    assert [[(c, n) for c, n, _ in q] for q in after[0]] == [[(c, n) for c, n, _ in q] for q in before[0]]
    assert after[1] == before[1]


def test_store_refuses_a_newer_store(tmp_path, monkeypatch) -> None:
    from callnlp import schema as module

    path = tmp_path / "new.db"
    monkeypatch.setattr(module, "SCHEMA_VERSION", 9)
    EventStore(path).close()
    monkeypatch.setattr(module, "SCHEMA_VERSION", 2)
    with pytest.raises(StoreError, match=r"newer callnlp.*pip install -U callnlp"):
        EventStore(path)


@pytest.mark.parametrize(
    ("given", "url"),
    [
        ("postgresql://me@host/db", "postgresql+psycopg://me@host/db"),
        ("postgres://me@host/db", "postgresql+psycopg://me@host/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_store_urls(given: str, url: str) -> None:
    assert resolve_url(given) == url


def test_store_url_defaults(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CALLNLP_DB", raising=False)
    assert resolve_url() == f"sqlite:///{tmp_path / 'callnlp.db'}"
    monkeypatch.setenv("CALLNLP_DB", str(tmp_path / "team.db"))
    assert resolve_url() == f"sqlite:///{tmp_path / 'team.db'}"
    with pytest.raises(OptionError, match="unsupported store URL 'mysql://x'"):
        resolve_url("mysql://x")


def test_store_folder_must_exist(tmp_path) -> None:
    with pytest.raises(StoreError, match="folder does not exist"):
        EventStore(tmp_path / "missing" / "calls.db")
