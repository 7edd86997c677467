"""Search latency over a store of many calls, against a plain FTS5 query measured in the same run.

Builds an SQLite store of N calls (default 10,000) from the corpora/ transcripts: each
template is analyzed once, then stored N/templates times, each copy with its own call id,
company (`Helios Grid Systems #17`) and date (spread over 2023-2026), so the full-text
index, the joins and the filters see N distinct calls. Then it runs 50 fixed queries,
half Chinese and half English (single words, phrases, some with company, date, role,
section or language filters), once to warm up and then --rounds times each, every
timing kept, and prints:

  callnlp search     `callnlp.search.search(store, query, **filters)`: tokenizing, topic
                     expansion across languages (one ranked FTS5 query per language),
                     filters as words of the index (callnlp/fts.py), the fallback to any
                     word, and the hit rows
  plain FTS5         the sqlite3 module on the same file: `SELECT call_id, sentence FROM
                     sentence_fts WHERE sentence_fts MATCH ? ORDER BY bm25(sentence_fts)
                     LIMIT 20` with the query's words quoted (callnlp's tokenizer, lower
                     case, punctuation dropped). No expansion, no joins, no filters: the
                     floor of the index lookup itself

with p50/p95 latency in ms, the hits per query, the ratio callnlp/plain, the slowest
queries, the store's size, and whether the target (p95 < 50 ms, lexical) is met.

    python bench/search.py                          # 10,000 calls in a temp dir
    python bench/search.py --calls 2000 --rounds 3
    python bench/search.py --db /tmp/calls10k.db    # builds it once, reuses it next time
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
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 50.0
LIMIT = 20
PLAIN_SQL = (
    "SELECT call_id, sentence FROM sentence_fts WHERE sentence_fts MATCH ? "
    "ORDER BY bm25(sentence_fts) LIMIT ?"
)

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


def build(db: Path, n: int, paths: list[Path]) -> tuple[float, float, int]:
    """Store n copies of the templates in `db`, skipping those it holds already.

    Returns (seconds analyzing, seconds storing, calls added).
    """
    from callnlp import analyze
    from callnlp.store import EventStore

    start = time.perf_counter()
    records = [analyze(p) for p in paths]
    analyzing = time.perf_counter() - start
    copies = [(i, records[i % len(records)]) for i in range(n)]
    with EventStore(db) as store:
        have = store.known(copy_of(r, i).call.id for i, r in copies)
        todo = [(i, r) for i, r in copies if copy_of(r, i).call.id not in have]
        if have:
            print(f"{db}: {len(have)} of the {n} calls are stored already", file=sys.stderr)
        start = time.perf_counter()
        for done, (i, record) in enumerate(todo, start=1):
            store.add(copy_of(record, i))
            if done % 1000 == 0 or done == len(todo):
                elapsed = time.perf_counter() - start
                rate = 1000 * elapsed / done
                print(f"  stored {done}/{len(todo)}, {elapsed:.1f} s ({rate:.1f} ms/call)", file=sys.stderr)
        storing = time.perf_counter() - start
    return analyzing, storing, len(todo)


def store_size(db: Path) -> tuple[int, int, float]:
    """(calls, sentences, MB on disk including the WAL)."""
    with sqlite3.connect(db) as conn:
        calls = conn.execute("SELECT count(*) FROM calls").fetchone()[0]
        sentences = conn.execute("SELECT count(*) FROM sentences").fetchone()[0]
    mb = sum(p.stat().st_size for p in (db, Path(f"{db}-wal")) if p.exists()) / 1e6
    return calls, sentences, mb


def plain_query(query: str) -> str:
    """The query's words, each quoted, for FTS5 (implicit AND)."""
    from callnlp.tokenize import default_tokenizer, words

    return " ".join('"' + w.replace('"', '""') + '"' for w in words(default_tokenizer()(query)))


def measure(run: Callable[[int], int], rounds: int) -> tuple[list[list[float]], list[int]]:
    """Per query, `rounds` timings in ms (after one warm-up run) and its hit count."""
    hits = [run(q) for q in range(len(QUERIES))]
    times: list[list[float]] = [[] for _ in QUERIES]
    for _ in range(rounds):
        for q in range(len(QUERIES)):
            start = time.perf_counter()
            run(q)
            times[q].append(1000 * (time.perf_counter() - start))
    return times, hits


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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=10_000, help="calls in the store (default 10000)")
    parser.add_argument("--rounds", type=int, default=5, help="timed runs of each query (default 5)")
    parser.add_argument("--db", type=Path, help="build the store here (kept, and reused if already built)")
    parser.add_argument("--seeds", action="store_true", help="also use ../shared/seeds/*.txt as templates")
    parser.add_argument("--slowest", type=int, default=5, help="list this many slowest queries (default 5)")
    args = parser.parse_args()
    if args.calls < 10:
        parser.error("--calls must be at least 10 (the company filters name copies #0 to #4)")

    from callnlp.search import search
    from callnlp.store import EventStore

    with tempfile.TemporaryDirectory() as tmp:
        db = args.db.resolve() if args.db else Path(tmp) / "calls.db"
        paths = templates(args.seeds)
        print(f"building {db} from {len(paths)} templates ...", file=sys.stderr)
        analyzing, storing, added = build(db, args.calls, paths)
        calls, sentences, mb = store_size(db)
        stored = (
            f"{added} calls stored in {storing:.1f} s ({1000 * storing / added:.1f} ms/call)"
            if added
            else f"all {args.calls} calls were in {db} already"
        )
        print(f"build: {len(paths)} templates analyzed in {analyzing:.2f} s; {stored}")
        print(f"store: {calls} calls, {sentences} sentences, {mb:.1f} MB on disk (SQLite, with WAL)")
        if calls != args.calls:
            print(f"note: the store holds {calls} calls, not the {args.calls} asked for")

        store = EventStore(db)
        conn = sqlite3.connect(db)
        plain = [plain_query(q) for q, _ in QUERIES]

        def callnlp_run(q: int) -> int:
            query, filters = QUERIES[q]
            return len(search(store, query, limit=LIMIT, **filters).hits)

        def plain_run(q: int) -> int:
            return len(conn.execute(PLAIN_SQL, (plain[q], LIMIT)).fetchall())

        results = {
            "callnlp search": measure(callnlp_run, args.rounds),
            "plain FTS5": measure(plain_run, args.rounds),
        }
        conn.close()
        store.close()

    n = len(QUERIES)
    zh = sum(any(c >= "\u3400" for c in q) for q, _ in QUERIES)
    filtered = sum(bool(f) for _, f in QUERIES)
    print(
        f"queries: {n} ({zh} Chinese, {n - zh} English, {filtered} with filters), limit {LIMIT}; "
        f"1 warm-up + {args.rounds} timed runs each, all {n * args.rounds} timings kept"
    )
    print(f"{'':<16}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'mean ms':>9}   hits/query min/median/max")
    summary = {}
    for name, (times, hits) in results.items():
        flat = [t for per_query in times for t in per_query]
        p50, p95 = percentile(flat, 50), percentile(flat, 95)
        summary[name] = p50, p95
        print(
            f"{name:<16}{p50:>9.2f}{p95:>9.2f}{max(flat):>9.2f}{statistics.fmean(flat):>9.2f}   "
            f"{min(hits)}/{statistics.median(hits):g}/{max(hits)}, {hits.count(0)} with no hit"
        )
    (ours50, ours95), (ref50, ref95) = summary["callnlp search"], summary["plain FTS5"]
    print(f"callnlp / plain FTS5: p50 {ours50 / ref50:.1f}x, p95 {ours95 / ref95:.1f}x")

    ours, ref = results["callnlp search"], results["plain FTS5"]
    medians = [statistics.median(t) for t in ours[0]]
    slowest = sorted(range(n), key=lambda q: -medians[q])[: args.slowest]
    if slowest:
        print(f"slowest callnlp queries (median ms of {args.rounds}; plain FTS5 median; hits):")
        for q in slowest:
            query, filters = QUERIES[q]
            print(
                f"  {medians[q]:>8.2f}  {statistics.median(ref[0][q]):>7.2f}  "
                f"{ours[1][q]:>3}  {describe(query, filters)}"
            )
    verdict = "met" if ours95 < TARGET_P95_MS else "NOT met"
    print(f"target: p95 < {TARGET_P95_MS:g} ms lexical: {verdict} (p95 {ours95:.2f} ms at {calls} calls)")


if __name__ == "__main__":
    main()
