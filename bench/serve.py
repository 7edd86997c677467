"""Latency of `callnlp serve`'s search and call pages over a store of many calls, in process.

Builds an SQLite store of N calls (default 10,000) as bench/search.py does (its `build`:
each corpora/ template analyzed once, then stored N/templates times, each copy with its
own id, company and date), or reuses --db; brings its search index up to date; then
times, through Starlette's TestClient (the whole app: routing, the store, templates,
no network):

  search page    GET /search?q=... for the queries below (some with filters), each
                 --rounds times after one warm-up
  call page      GET /calls/ID for --pages random calls (seeded), each --rounds times
                 after one warm-up: the stored record read, its report rendered, and
                 with spaCy installed its figures and cues marked by callnlp.display

and prints p50/p95/max in ms for each, and whether the target (p95 < 100 ms) is met
for both.

    python bench/serve.py --db /tmp/w/serve10k.db     # builds it once, reuses it next time
    python bench/serve.py --calls 1000 --rounds 3     # a temp store
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/ holds tokenize.py, which shadows the standard library's `tokenize` while bench/
# is first on sys.path
if str(Path(__file__).resolve().parent) in sys.path:
    sys.path.remove(str(Path(__file__).resolve().parent))

import argparse
import importlib.util
import random
import tempfile
import time
from typing import Any

HERE = Path(__file__).resolve().parent
TARGET_P95_MS = 100.0
QUERIES: list[dict[str, str]] = [
    {"q": "capex"},
    {"q": "资本支出"},
    {"q": "guidance"},
    {"q": "gross margin"},
    {"q": "free cash flow"},
    {"q": "关税"},
    {"q": "毛利率"},
    {"q": "capex 200亿美元"},
    {"q": "GPU supply", "section": "qa"},
    {"q": "pricing", "role": "executive"},
    {"q": "backlog", "since": "2025-01-01", "until": "2025-12-31"},
    {"q": "guidance", "company": "Helios Grid Systems #1"},
    {"q": "收入", "lang": "zh"},
    {"q": "demand", "role": "analyst", "since": "2026-01-01"},
]


def bench_search() -> Any:
    """bench/search.py as a module, for its store builder."""
    spec = importlib.util.spec_from_file_location("bench_search", HERE / "search.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed(client: Any, urls: list[tuple[str, dict | None]], rounds: int) -> list[float]:
    """ms of each GET of each (path, query), `rounds` times after one warm-up; any answer
    but 200 stops the bench."""
    times = []
    for url, params in urls:
        for n in range(rounds + 1):
            start = time.perf_counter()
            r = client.get(url, params=params)
            elapsed = 1000 * (time.perf_counter() - start)
            if r.status_code != 200:
                sys.exit(f"{url}: {r.status_code} {r.text[:200]}")
            if n:
                times.append(elapsed)
    return times


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=10_000, help="calls in the store (default 10000)")
    parser.add_argument("--db", help="build the store here (kept, and reused if already built)")
    parser.add_argument("--rounds", type=int, default=5, help="timed runs of each page (default 5)")
    parser.add_argument("--pages", type=int, default=30, help="random calls whose page is timed (default 30)")
    args = parser.parse_args()

    from starlette.testclient import TestClient

    from callnlp.store import EventStore
    from callnlp.web import create_app

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(args.db).resolve() if args.db else Path(tmp) / "calls.db"
        search = bench_search()
        print(f"building {db} ...", file=sys.stderr)
        search.build(str(db), args.calls, search.templates(False), None)
        with EventStore(db, create=False) as store:
            start = time.perf_counter()
            store.sync_search()
            print(f"search index up to date in {time.perf_counter() - start:.1f} s", file=sys.stderr)
            ids = [r["id"] for r in store.rows("SELECT id FROM calls ORDER BY id")]
        client = TestClient(create_app(str(db)))
        calls = random.Random(0).sample(ids, min(args.pages, len(ids)))
        rows = {
            "search page": timed(client, [("/search", q) for q in QUERIES], args.rounds),
            "call page": timed(client, [(f"/calls/{cid}", None) for cid in calls], args.rounds),
        }
    print(f"{len(ids):,} calls; {args.rounds} rounds; {len(QUERIES)} queries, {len(calls)} calls")
    print(f"{'':<14}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}")
    for name, times in rows.items():
        p50, p95 = percentile(times, 50), percentile(times, 95)
        print(f"{name:<14}{p50:>8.1f}{p95:>8.1f}{max(times):>8.1f}")
    met = all(percentile(t, 95) < TARGET_P95_MS for t in rows.values())
    print(f"target p95 < {TARGET_P95_MS:.0f} ms for both: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
