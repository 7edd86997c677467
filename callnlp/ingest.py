"""Batch ingest: analyze transcripts in worker processes, store each call whole.

Files whose bytes the store already holds are skipped before any analysis (the call id
is the sha256 of the bytes), so a re-run only does new work and an interrupted run
resumes where it stopped. The calling process reads each file and its sidecar and sends
the bytes to a worker (a local process, or one of a Dask cluster's: see
`callnlp.distributed`), which analyzes them and turns the record into the store's rows;
the calling process is the one writer and commits each call in its own transaction, so
an interruption (Ctrl-C, kill) never leaves half a call behind. A file that fails is
reported with its reason and the batch goes on.
"""

from __future__ import annotations

import os
import queue
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callnlp.embed import Embedder
from callnlp.errors import CallnlpError, InputError, OptionError, WorkerError
from callnlp.files import Failure, expand
from callnlp.metadata import check_date, sidecar
from callnlp.schema import Rows, rows
from callnlp.store import EventStore
from callnlp.text import DEFAULT_MAX_BYTES, call_id, read_file
from callnlp.workers import WARM_UP, WINDOW, default_signals

if TYPE_CHECKING:
    from distributed import Client

SYNC_EVERY = 500
"""Stored calls are made searchable every this many during an ingest, and at its end."""


@dataclass(frozen=True)
class _Job:
    """All a worker needs to analyze one file, so it reads nothing itself."""

    name: str
    data: bytes
    meta: dict[str, str]
    """What the sidecar, then the batch's overrides, say of the call."""
    max_bytes: int = DEFAULT_MAX_BYTES
    """A larger file is refused (`InputTooLargeError`)."""


@dataclass
class Progress:
    """Where a running ingest stands; passed to the progress callback after each file."""

    total: int
    done: int = 0
    ingested: int = 0
    unchanged: int = 0
    failed: int = 0
    bytes: int = 0
    started: float = field(default_factory=time.perf_counter)


@dataclass(frozen=True)
class IngestReport:
    """What an ingest did.

    Attributes:
        ingested: paths stored by this run.
        unchanged: paths whose bytes the store already held.
        failed: the files that failed, each with its reason.
        seconds: wall time of the run.
        bytes: size of the files analyzed.
        interrupted: the run was stopped before it finished (everything stored is whole).
        warnings: what had to be repaired to read the files stored (each names its file).
    """

    ingested: tuple[str, ...]
    unchanged: tuple[str, ...]
    failed: tuple[Failure, ...]
    seconds: float
    bytes: int
    interrupted: bool = False
    warnings: tuple[str, ...] = ()

    @property
    def mb_per_second(self) -> float:
        """Throughput over the files analyzed, in MB (10^6 bytes) per second."""
        return self.bytes / 1e6 / self.seconds if self.seconds else 0.0


def ingest(
    paths: Iterable[str | os.PathLike],
    store: EventStore | str | None = None,
    *,
    workers: int | None = None,
    force: bool = False,
    company: str | None = None,
    date: str | None = None,
    progress: Callable[[Progress], None] | None = None,
    embed_model: str | None = None,
    client: Client | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> IngestReport:
    """Analyze transcripts and store every call.

    Args:
        paths: files, directories (searched recursively) and glob patterns.
        store: an `EventStore` or its URL (None: $CALLNLP_DB or ./callnlp.db).
        workers: analysis processes (default: the number of cores; 1 analyzes in-process).
        force: analyze and store again files the store already holds.
        company, date: override what the text says, for every file of the batch.
        progress: called after each file with a `Progress`.
        embed_model: a sentence-transformers model (name or path) whose embeddings of
            every sentence are stored for semantic search.
        client: a `dask.distributed.Client`: analyze on its cluster's workers instead of
            local processes (which need not see these files: they are sent their bytes).
            This process still writes the store, each call whole; a worker lost mid-batch
            only costs the re-run of its calls. Not with `workers`.
        max_bytes: files larger than this fail (`InputTooLargeError`'s reason) unread.

    Returns:
        An `IngestReport`; failures are in it, not raised.

    Raises:
        OptionError: `date` is not a date, `workers` is below 1, or both `workers` and
            `client` are given.
        ClusterError: the connection to the Dask scheduler was lost (what was stored is
            whole: run again to resume).

    Example:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "call.txt").write_text("CoreWeave一季度营收9.816亿美元。", encoding="utf-8")
        >>> report = ingest([folder], str(folder / "calls.db"), workers=1)
        >>> len(report.ingested), len(ingest([folder], str(folder / "calls.db"), workers=1).unchanged)
        (1, 1)

        On a Dask cluster (pip install 'callnlp[dask]'):

        >>> from distributed import Client  # doctest: +SKIP
        >>> report = ingest(["calls/"], "postgresql://me@dbhost/calls",
        ...                 client=Client("tcp://scheduler:8786"))  # doctest: +SKIP
    """
    started = time.perf_counter()
    if date is not None:
        check_date(date)
    if workers is not None and workers < 1:
        raise OptionError(f"workers must be at least 1, not {workers}")
    if client is not None and workers is not None:
        raise OptionError(
            "workers= sizes the local pool, client= analyzes on a Dask cluster: give one of them"
        )
    own = not isinstance(store, EventStore)
    store = EventStore(store) if own else store
    files, failed = expand(paths)
    state = Progress(total=len(files) + len(failed), failed=len(failed), started=started)
    ingested: list[str] = []
    unchanged: list[str] = []
    warnings: list[str] = []
    interrupted = False
    try:
        todo = _new_files(files, store, force, max_bytes, unchanged, failed)
        state.unchanged = len(unchanged)
        state.failed = len(failed)
        state.done = len(unchanged) + len(failed)
        overrides = {"company": company, "date": date}
        jobs = (_job(path, overrides, max_bytes) for path in todo)
        for path, size, result in _analyze_all(jobs, len(todo), workers, embed_model, client):
            state.done += 1
            if isinstance(result, Failure):
                failed.append(result)
                state.failed += 1
            else:
                state.bytes += size  # the speed is of analysis: a refused file is not counted
                if store.add(result, replace=force):
                    ingested.append(path)
                    warnings += result.warnings
                    state.ingested += 1
                else:
                    unchanged.append(path)
                    state.unchanged += 1
            if progress:
                progress(state)
            if len(ingested) % SYNC_EVERY == 0 and ingested:
                store.sync_search(wait=False)
        store.sync_search()
    except KeyboardInterrupt:
        interrupted = True  # what was stored stays pending, and the next search indexes it
    finally:
        if own:
            store.close()
    return IngestReport(
        tuple(ingested),
        tuple(unchanged),
        tuple(failed),
        time.perf_counter() - started,
        state.bytes,
        interrupted,
        tuple(warnings),
    )


def _new_files(
    files: list[Path],
    store: EventStore,
    force: bool,
    max_bytes: int,
    unchanged: list[str],
    failed: list[Failure],
) -> list[Path]:
    """The files to analyze; those already stored go to `unchanged`."""
    ids: dict[Path, str] = {}
    for path in files:
        data = _read(path, max_bytes)
        if isinstance(data, Failure):
            failed.append(data)
        else:
            ids[path] = call_id(data)
    known = set() if force else store.known(set(ids.values()))
    todo: list[Path] = []
    queued: set[str] = set()
    for path, cid in ids.items():
        if cid in known or cid in queued:  # stored, or the same bytes twice in this batch
            unchanged.append(str(path))
        else:
            queued.add(cid)
            todo.append(path)
    return todo


def _read(path: Path, max_bytes: int) -> bytes | Failure:
    """The file's bytes, or why it cannot be read (a file over the limit is not read)."""
    try:
        return read_file(path, max_bytes)
    except InputError as exc:
        return Failure(str(path), str(exc).removeprefix(f"{path}: "))


def _job(path: Path, overrides: dict[str, str | None], max_bytes: int) -> _Job | Failure:
    """What a worker needs to analyze `path`. The file is read again rather than kept from
    hashing: holding every file's bytes until its turn would grow memory with the batch."""
    data = _read(path, max_bytes)
    if isinstance(data, Failure):
        return data
    try:
        meta = sidecar(path)
    except InputError as exc:
        return Failure(str(path), str(exc))
    return _Job(str(path), data, {**meta, **{k: v for k, v in overrides.items() if v}}, max_bytes)


def _analyze_all(
    jobs: Iterable[_Job | Failure], count: int, workers: int | None, embed: str | None, client: Client | None
) -> Iterator[tuple[str, int, Rows | Failure]]:
    """(name, size, rows or failure) of each of `count` jobs, as their analyses finish."""
    if client is not None:
        from callnlp.distributed import analyze_on

        yield from analyze_on(client, jobs, embed)
        return
    workers = workers or os.cpu_count() or 1
    # Load what analysis imports and reads (dictionaries, opencc) before the first file:
    # workers that fork from here then hold it once, and a Ctrl-C or SIGTERM cannot land in
    # a library's import mid-batch (opencc turns an interrupt during its import into an
    # ImportError, and every later Chinese file failed instead of the batch stopping).
    # Not the embedding model: torch's thread pools do not survive a fork (workers hang).
    _analyze_one(_Job("warm-up", WARM_UP, {}), None)
    if workers == 1 or count <= 1:
        yield from _windowed(jobs, lambda job: _finished(_analyze_one(job, embed)), lambda: 1)
        return
    try:
        with ProcessPoolExecutor(max_workers=workers, initializer=default_signals) as pool:
            yield from _windowed(
                jobs, lambda job: pool.submit(_analyze_one, job, embed), lambda: WINDOW * workers
            )
    except BrokenProcessPool:
        raise WorkerError(
            "a worker process died (killed, or out of memory?); every stored call is whole: run "
            "again to go on (stored calls are skipped), with fewer --workers if memory is short"
        ) from None


def _windowed(
    jobs: Iterable[_Job | Failure],
    submit: Callable[[_Job], Any],
    window: Callable[[], int],
    outcome: Callable[[Any, str], Rows | Failure] = lambda future, _: future.result(),
) -> Iterator[tuple[str, int, Rows | Failure]]:
    """(name, size, rows or failure) of each job as its analysis finishes.

    `submit` starts a job and gives its future: of a local pool, or of a Dask cluster (both
    call their done callbacks from another thread); `outcome` reads a finished one. A
    bounded window of jobs in flight, `window()` after each submission, keeps memory flat
    however long the batch is.
    """
    finished: queue.SimpleQueue = queue.SimpleQueue()
    running: dict[Any, _Job] = {}

    def take(limit: int) -> Iterator[tuple[str, int, Rows | Failure]]:
        while len(running) > limit:
            future = finished.get()
            job = running.pop(future)
            yield job.name, len(job.data), outcome(future, job.name)

    try:
        for job in jobs:
            if isinstance(job, Failure):
                yield job.path, 0, job
                continue
            future = submit(job)
            running[future] = job
            future.add_done_callback(finished.put)
            yield from take(window() - 1)
        yield from take(0)
    finally:
        for future in running:
            # a Dask future is released when dropped; its cancel() would wait on a scheduler
            # that may be gone
            if isinstance(future, Future):
                future.cancel()


def _finished(result: Rows | Failure) -> Future:
    """A future already holding `result`: analysis in this process, through `_windowed`."""
    future: Future = Future()
    future.set_result(result)
    return future


def _analyze_one(job: _Job, embed: str | None) -> Rows | Failure:
    """Analyze one file in a worker: the store's rows of the record (and of its sentence
    embeddings), or a `Failure` for every expected failure."""
    from callnlp.pipeline import analyze

    try:
        embedder = _embedder(embed) if embed else None
        result = analyze(
            job.data, name=job.name, max_bytes=job.max_bytes, embedder=embedder, metadata=job.meta
        )
        vectors = embedder.encode([s.text for s in result.sentences]) if embedder else None
        return rows(result, vectors)
    except CallnlpError as exc:
        return Failure(job.name, str(exc).removeprefix(f"{job.name}: "))
    except Exception as exc:  # a bug must not stop the batch; the reason names it
        return Failure(job.name, f"could not be analyzed ({type(exc).__name__}: {exc}); please report this")


@cache
def _embedder(model: str) -> Embedder:
    """One embedding model per process, loaded on first use."""
    return Embedder(model)
