"""Known-item search quality on real calls, against plain document-level BM25 in the same run.

Reads a folder in the layout of ../shared/dev/ectsum-val (calls/NAME.txt, one sentence a
line, and summaries/NAME.txt, one summary bullet a line). Ingests every call into an
SQLite store with `callnlp.ingest` (2 workers), or reuses --db when it exists. Then picks
--queries calls at random (`random.Random(seed).sample` of the sorted call names) and one
non-blank bullet of each (`rng.choice`, the same rng), writes them as a queries file
(bullet<TAB>NAME.txt) and measures, each query looking for the call its bullet summarizes:

  callnlp            `callnlp.evaluate_search` on that file: the feature itself (what
                     `callnlp eval search` prints), ranking calls with `search_calls`
  plain BM25         Okapi BM25 (k1 1.2, b 0.75) over the raw call files as whole
                     documents, lower-cased `[a-z]+|\\d+(?:\\.\\d+)?` tokens, idf
                     log(1 + (N - df + 0.5) / (df + 0.5)): the floor any topic search must beat

MRR@10 (1/rank of the call when in the first ten, else 0, averaged), hit@1 and hit@5 of
each, the MRR difference, and the median wall time of `callnlp search QUERY --db DB
--calls` run as its own process (the venv's `callnlp`, so Python start-up, imports and
opening the index are counted) over the first 10 queries, after one untimed run. Then
whether the bars are met: MRR@10 >= 0.80, at least plain BM25's + 0.08, process median
< 300 ms. Last, the queries callnlp did not rank first.

    python bench/search_quality.py                          # ../shared/dev/ectsum-val, 80 queries
    python bench/search_quality.py --queries 40 --seed 3
    python bench/search_quality.py --db /tmp/ectsum.db      # builds it once, reuses it next time
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/ holds tokenize.py, which shadows the standard library's `tokenize` (that inspect
# and linecache import) while bench/ is first on sys.path.
if str(Path(__file__).resolve().parent) in sys.path:
    sys.path.remove(str(Path(__file__).resolve().parent))

import argparse
import math
import random
import re
import statistics
import subprocess
import tempfile
import time
from collections import Counter

from callnlp import EventStore, evaluate_search, ingest
from callnlp.embed import configured
from callnlp.search.evaluate import Result, measure

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "dev" / "ectsum-val"
LIMIT = 10
TIMED = 10
BAR_MRR = 0.80
BAR_OVER_PLAIN = 0.08
BAR_PROCESS_MS = 300.0
TOKEN = re.compile(r"[a-z]+|\d+(?:\.\d+)?")


def pick_queries(data: Path, n: int, seed: int) -> list[tuple[str, str]]:
    """(bullet, NAME.txt) of n calls picked at random, one random summary bullet each."""
    names = sorted(p.stem for p in (data / "calls").glob("*.txt"))
    rng = random.Random(seed)
    picked = []
    for name in rng.sample(names, min(n, len(names))):
        lines = (data / "summaries" / f"{name}.txt").read_text(encoding="utf-8").splitlines()
        picked.append((rng.choice([b.strip() for b in lines if b.strip()]), f"{name}.txt"))
    return picked


def write_queries(queries: list[tuple[str, str]], folder: Path) -> Path:
    path = folder / "queries.tsv"
    rows = ["query\texpected", *(f"{q.replace(chr(9), ' ')}\t{name}" for q, name in queries)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def build(db: Path, data: Path, embed_model: str | None) -> str:
    """Ingest the calls into `db` unless it exists; says what was done."""
    if db.exists():
        return f"reused {db}"
    report = ingest([data / "calls"], str(db), workers=2, embed_model=embed_model)
    if report.failed:
        sys.exit(f"ingest failed for {len(report.failed)} files, first: {report.failed[0]}")
    return f"ingested {len(report.ingested)} calls into {db} in {report.seconds:.1f} s"


class PlainBM25:
    """Okapi BM25 over whole documents: no segmentation, no topics, no amounts."""

    def __init__(self, texts: dict[str, str], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.docs = {name: Counter(TOKEN.findall(text.lower())) for name, text in texts.items()}
        self.lengths = {name: sum(tf.values()) for name, tf in self.docs.items()}
        self.avgdl = statistics.fmean(self.lengths.values())
        df = Counter(term for tf in self.docs.values() for term in tf)
        n = len(self.docs)
        self.idf = {term: math.log(1 + (n - d + 0.5) / (d + 0.5)) for term, d in df.items()}

    def rank(self, query: str, limit: int = LIMIT) -> list[str]:
        """The names of the best `limit` documents for `query`, best first."""
        terms = TOKEN.findall(query.lower())
        scores = {}
        for name, tf in self.docs.items():
            norm = self.k1 * (1 - self.b + self.b * self.lengths[name] / self.avgdl)
            score = sum(self.idf[t] * tf[t] * (self.k1 + 1) / (tf[t] + norm) for t in terms if t in tf)
            if score > 0:
                scores[name] = score
        return sorted(scores, key=lambda name: -scores[name])[:limit]


def plain_results(data: Path, queries: list[tuple[str, str]]) -> list[Result]:
    """(query, expected, rank, first) of plain BM25 for each query."""
    bm25 = PlainBM25({p.name: p.read_text(encoding="utf-8") for p in sorted((data / "calls").glob("*.txt"))})
    results = []
    for query, name in queries:
        ranked = bm25.rank(query)
        rank = ranked.index(name) + 1 if name in ranked else None
        results.append((query, name, rank, ranked[0] if ranked else None))
    return results


def process_ms(db: Path, queries: list[str], embed_model: str | None) -> list[float]:
    """Wall times of `callnlp search --calls` as its own process."""
    command = [str(Path(sys.executable).parent / "callnlp"), "search", "--calls", "--db", str(db)]
    if embed_model:
        command += ["--embed-model", embed_model]

    def run(query: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([*command, query], capture_output=True)

    run(queries[0])  # untimed: the file cache
    times = []
    for query in queries:
        start = time.perf_counter()
        done = run(query)
        times.append(1000 * (time.perf_counter() - start))
        if done.returncode != 0:
            sys.exit(f"callnlp search failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DATA, help=f"the data folder (default {DATA})")
    parser.add_argument("--queries", type=int, default=80, help="queries, one per call picked (default 80)")
    parser.add_argument("--seed", type=int, default=14, help="seed of the random picks (default 14)")
    parser.add_argument("--db", type=Path, help="build the store here (kept, and reused if it exists)")
    parser.add_argument("--embed-model", metavar="NAME|PATH", help="also rank by meaning with this model")
    args = parser.parse_args()
    data = args.data.resolve()
    if not (data / "calls").is_dir() or not (data / "summaries").is_dir():
        print(f"no data to measure: {data} has no calls/ and summaries/ folders (see --data)")
        return

    with tempfile.TemporaryDirectory() as tmp:
        db = args.db.resolve() if args.db else Path(tmp) / "calls.db"
        built = build(db, data, args.embed_model)
        queries = pick_queries(data, args.queries, args.seed)
        with EventStore(db) as store:
            ours = evaluate_search(
                write_queries(queries, Path(tmp)), store, embedder=configured(args.embed_model), limit=LIMIT
            )
        plain = measure(plain_results(data, queries), LIMIT)
        times = process_ms(db, [q for q, _ in queries[:TIMED]], args.embed_model)

    median = statistics.median(times)
    over = ours.mrr - plain.mrr
    calls_total = len(list((data / "calls").glob("*.txt")))
    print(f"data: {data}: {calls_total} calls; {built}")
    print(f"queries: {ours.n} summary bullets (seed {args.seed}), each looking for its own call")
    print(f"{'':<14}{f'MRR@{LIMIT}':>8}{'hit@1':>8}{'hit@5':>8}")
    for name, e in (("callnlp", ours), ("plain BM25", plain)):
        print(f"{name:<14}{e.mrr:>8.3f}{e.hit1:>8.3f}{e.hit5:>8.3f}")
    print(f"MRR difference: {over:+.3f}")
    print(
        f"`callnlp search --calls` process: median {median:.0f} ms over {len(times)} queries "
        f"(min {min(times):.0f}, max {max(times):.0f})"
    )
    bars = [
        (f"MRR@{LIMIT} >= {BAR_MRR:.2f}", ours.mrr >= BAR_MRR, f"{ours.mrr:.3f}"),
        (f"MRR >= plain + {BAR_OVER_PLAIN:.2f}", over >= BAR_OVER_PLAIN, f"{over:+.3f}"),
        (f"process median < {BAR_PROCESS_MS:.0f} ms", median < BAR_PROCESS_MS, f"{median:.0f} ms"),
    ]
    for name, met, value in bars:
        print(f"bar {name}: {'met' if met else 'NOT met'} ({value})")
    print()
    print(ours.table())


if __name__ == "__main__":
    main()
