"""Ingest throughput and memory, as ratios against analysis alone measured in the same run.

Generates distinct transcripts from the corpora/ templates (each copy gets its own last
line, so its bytes and call id differ), then measures on the same files:

  analyze only       `analyze()` of every file in this process, one after the other: the
                     work ingest cannot avoid (the sum of the files' analysis times)
  analyze, 2 procs   the same in a pool of 2 processes, results dropped: analysis alone
                     in the layout of a 2-worker ingest (two processes sharing 2 cores run
                     slower each, which CPU time shows as more seconds)
  ingest, 1 worker   `callnlp ingest --workers 1` into a new SQLite store: everything
                     (reading, hashing, analysis, rows, inserts, commits) in this process
  ingest, 2 workers  `callnlp ingest --workers 2` into a new SQLite store
  ingest, cluster    `ingest(..., client=...)` on a Dask LocalCluster of 2 worker
                     processes into a new SQLite store: the files' bytes sent to Dask
                     workers instead of a local pool (the cluster is started, and its
                     workers have loaded the dictionaries, before any timing; the row is
                     left out when dask is not installed)

Each round runs the rows one after the other (a burst of load on a shared machine then
hits every row alike) and times each run in wall time and in CPU time: this process's
and its reaped children's (the 2-worker pool is shut down, so reaped, before `ingest`
returns), and for the cluster row its workers' too, as they count it (the scheduler runs
in this process, so its CPU time is counted there). The medians of --rounds rounds are
printed, then storage overhead against analysis alone (target <= 25%): the issue's
measure, ingest with 2 workers against the sum of the files' analysis times, in wall
time; the CPU time of ingest with 2 workers, workers included, against analysis in 2
processes and against analysis in one; and the strict one, ingest with 1 worker, where
every step runs in one process, in wall and CPU time. Then the speed-up of 2 workers
over 1 (target >= 1.6x on 2 cores), and calls per second of the 2-worker pool and of the
2-worker cluster side by side. Then it ingests a long batch (default 5,000 files) with 2
workers in a child process and reports the peak RSS of the writer and of the workers
after the first 500 files and at the end (flat means the batch does not grow memory).

    python bench/ingest.py                  # 300 files for speed, 5,000 for memory
    python bench/ingest.py --files 100 --memory-files 1000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def generate(folder: Path, n: int) -> list[Path]:
    templates = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpora" / "calls").glob("*.txt"))]
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"call_{i:05d}.txt"
        path.write_text(f"{templates[i % len(templates)]}\nGenerated copy {i}.\n", encoding="utf-8")
        paths.append(path)
    return paths


def cpu_seconds() -> float:
    """CPU seconds of this process and of its children that have been reaped."""
    return sum(
        r.ru_utime + r.ru_stime
        for r in (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
    )


def timed(fn, elsewhere: Callable[[], float]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of `fn`; `elsewhere` gives the CPU seconds so
    far of processes that are not children this process reaps (a cluster's workers)."""
    wall, cpu = time.perf_counter(), cpu_seconds() + elsewhere()
    fn()
    return time.perf_counter() - wall, cpu_seconds() + elsewhere() - cpu


@contextmanager
def local_cluster() -> Iterator:
    """A client of a Dask LocalCluster of 2 single-threaded worker processes, or None
    without dask."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        print("no cluster row: dask is not installed (pip install 'callnlp[dask]')")
        yield None
        return
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        yield client


def _analyze_quietly(path: Path) -> None:
    from callnlp import analyze

    analyze(path)


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def memory_child(folder: str, db: str, checkpoint: int) -> None:
    """Runs in a child process: ingest with 2 workers, recording peak RSS as it goes."""
    from callnlp.ingest import ingest

    me = os.getpid()
    peaks = {"writer": 0, "worker": 0}
    seen: dict[str, dict[str, int]] = {}

    def progress(p) -> None:
        peaks["writer"] = max(peaks["writer"], _rss_kb(me))
        peaks["worker"] = max([peaks["worker"], *map(_rss_kb, _children(me))])
        if p.done == checkpoint:
            seen["at_checkpoint"] = dict(peaks)

    report = ingest([folder], db, workers=2, progress=progress)
    seen["at_end"] = dict(peaks)
    seen["files"] = len(report.ingested)
    print(json.dumps(seen))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=300, help="files for the speed rows (default 300)")
    parser.add_argument(
        "--memory-files", type=int, default=5000, help="files for the memory run (default 5000)"
    )
    parser.add_argument("--checkpoint", type=int, default=500, help="report memory after this many files")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each speed row; the median is kept")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        memory_child(args.child[0], args.child[1], int(args.child[2]))
        return

    from callnlp import analyze
    from callnlp.ingest import ingest

    with tempfile.TemporaryDirectory() as tmp, local_cluster() as client:
        tmp = Path(tmp)
        paths = generate(tmp / "speed", args.files)
        mb = sum(p.stat().st_size for p in paths) / 1e6
        analyze(paths[0])  # load the dictionaries before timing
        stores = iter(range(1_000_000))

        def fresh(**options):  # a new store each run: ingest into a used one stores nothing
            return lambda: ingest([tmp / "speed"], str(tmp / f"{next(stores)}.db"), **options)

        def pooled() -> None:
            with ProcessPoolExecutor(max_workers=2) as pool:
                list(pool.map(_analyze_quietly, paths))

        rows = {
            "analyze only": lambda: [analyze(p) for p in paths],
            "analyze, 2 procs": pooled,
            "ingest, 1 worker": fresh(workers=1),
            "ingest, 2 workers": fresh(workers=2),
        }
        elsewhere: dict[str, Callable[[], float]] = {}
        if client is not None:
            client.run(_analyze_quietly, paths[0])  # the workers load the dictionaries
            rows["ingest, cluster"] = fresh(client=client)
            elsewhere["ingest, cluster"] = lambda: sum(client.run(time.process_time).values())
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in rows}
        for _ in range(args.rounds):
            for name, fn in rows.items():
                runs[name].append(timed(fn, elsewhere.get(name, lambda: 0.0)))
        wall = {name: statistics.median(w for w, _ in r) for name, r in runs.items()}
        cpu = {name: statistics.median(c for _, c in r) for name, r in runs.items()}
        print(
            f"speed: {len(paths)} files, {mb:.2f} MB, {os.cpu_count()} cores, median of {args.rounds} rounds"
        )
        print(f"{'':<20}{'seconds':>9}{'MB/s':>8}{'CPU s':>8}")
        for name in rows:
            print(f"{name:<20}{wall[name]:>9.2f}{mb / wall[name]:>8.2f}{cpu[name]:>8.2f}")
        analysis, _, one, two = (wall[name] for name in list(rows)[:4])
        analysis_cpu, pooled_cpu, one_cpu, two_cpu = (cpu[name] for name in list(rows)[:4])
        print(
            "ingest with 2 workers against the sum of analysis times, wall: "
            f"{100 * (two / analysis - 1):+.1f}%  (target <= 25%)"
        )
        print(
            "storage overhead, CPU time of ingest with 2 workers (this process and its workers) over "
            f"analysis in 2 processes: {100 * (two_cpu / pooled_cpu - 1):+.1f}%, "
            f"over analysis in one: {100 * (two_cpu / analysis_cpu - 1):+.1f}%"
        )
        print(
            f"storage overhead, 1 worker in-process over analysis alone: {100 * (one / analysis - 1):+.1f}%"
            f" wall, {100 * (one_cpu / analysis_cpu - 1):+.1f}% CPU"
        )
        print(f"2 workers over 1 worker: {one / two:.2f}x  (target >= 1.6x)")
        if client is not None:
            cluster = wall["ingest, cluster"]
            print(
                f"calls/s with 2 workers: local pool {len(paths) / two:.1f}, "
                f"Dask LocalCluster {len(paths) / cluster:.1f} ({two / cluster:.2f}x the pool's)"
            )

        generate(tmp / "memory", args.memory_files)
        child = [sys.executable, __file__, "--child", str(tmp / "memory"), str(tmp / "mem.db")]
        out = subprocess.run(
            [*child, str(args.checkpoint)],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        seen = json.loads(out.strip().splitlines()[-1])
        print(f"memory: {seen['files']} files ingested with 2 workers; peak RSS in MB")
        print(f"{'':<20}{'writer':>9}{'worker':>9}")
        for label, key in (
            (f"after {args.checkpoint}", "at_checkpoint"),
            (f"after {seen['files']}", "at_end"),
        ):
            peaks = seen.get(key, {"writer": 0, "worker": 0})
            print(f"{label:<20}{peaks['writer'] / 1024:>9.1f}{peaks['worker'] / 1024:>9.1f}")


if __name__ == "__main__":
    main()
