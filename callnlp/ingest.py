"""Batch ingest: analyze transcripts in worker processes, store each call whole.

Files whose bytes the store already holds are skipped before any analysis (the call id
is the sha256 of the bytes), so a re-run only does new work and an interrupted run
resumes where it stopped. Worker processes analyze and turn each record into the store's
rows; the calling process is the one writer and commits each call in its own transaction,
so an interruption (Ctrl-C, kill) never leaves half a call behind. A file that fails is
reported with its reason and the batch goes on.
"""

from __future__ import annotations

import datetime
import glob
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from callnlp.embed import Embedder
from callnlp.errors import CallnlpError, InputError, OptionError
from callnlp.schema import Rows, rows
from callnlp.search.index import INDEX_STAMP
from callnlp.store import EventStore
from callnlp.text import call_id

SIDECAR_KEYS = ("company", "ticker", "date", "period")
"""What a sidecar FILE.json next to a transcript may set."""
SYNC_EVERY = 500
"""Stored calls are made searchable every this many during an ingest, and at its end."""


@dataclass(frozen=True)
class Failure:
    """A file that could not be ingested, and why."""

    path: str
    reason: str


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
    """

    ingested: tuple[str, ...]
    unchanged: tuple[str, ...]
    failed: tuple[Failure, ...]
    seconds: float
    bytes: int
    interrupted: bool = False

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

    Returns:
        An `IngestReport`; failures are in it, not raised.

    Example:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "call.txt").write_text("CoreWeave一季度营收9.816亿美元。", encoding="utf-8")
        >>> report = ingest([folder], str(folder / "calls.db"), workers=1)
        >>> len(report.ingested), len(ingest([folder], str(folder / "calls.db"), workers=1).unchanged)
        (1, 1)
    """
    started = time.perf_counter()
    if date is not None:
        _check_date(date)
    own = not isinstance(store, EventStore)
    store = EventStore(store) if own else store
    files, failed = expand(paths)
    state = Progress(total=len(files) + len(failed), failed=len(failed), started=started)
    ingested: list[str] = []
    unchanged: list[str] = []
    interrupted = False
    try:
        todo = _new_files(files, store, force, unchanged, failed)
        state.unchanged = len(unchanged)
        state.failed = len(failed)
        state.done = len(unchanged) + len(failed)
        overrides = {"company": company, "date": date}
        for path, size, result in _analyze_all(todo, overrides, workers, embed_model):
            state.done += 1
            state.bytes += size
            if isinstance(result, Failure):
                failed.append(result)
                state.failed += 1
            elif store.add(result, replace=force):
                ingested.append(path)
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
    )


def expand(paths: Iterable[str | os.PathLike]) -> tuple[list[Path], list[Failure]]:
    """The transcript files that `paths` name, in order, without repeats.

    Directories are searched recursively; hidden files, sidecar .json files and search
    index folders are left out. A path or pattern that names nothing is a failure.
    """
    files: dict[Path, None] = {}
    failed: list[Failure] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            files[path] = None
        elif path.is_dir():
            # a store kept in the folder has its search index beside it: not transcripts
            indexes = {stamp.parent for stamp in path.rglob(INDEX_STAMP)}
            for found in sorted(path.rglob("*")):
                rel = found.relative_to(path).parts
                if (
                    found.is_file()
                    and not any(p.startswith(".") for p in rel)
                    and found.suffix != ".json"
                    and indexes.isdisjoint(found.parents)
                ):
                    files[found] = None
        elif glob.has_magic(str(raw)):
            matches = sorted(Path(m) for m in glob.glob(str(raw), recursive=True) if Path(m).is_file())
            if not matches:
                failed.append(Failure(str(raw), "the pattern matches no file"))
            files.update(dict.fromkeys(matches))
        else:
            failed.append(Failure(str(raw), "no such file or directory"))
    return list(files), failed


def sidecar(path: Path) -> dict[str, str]:
    """The metadata of a sidecar FILE.json (call.json or call.txt.json) next to `path`.

    Raises:
        InputError: the sidecar is not a JSON object of known keys.
    """
    for candidate in (path.with_suffix(".json"), path.with_name(path.name + ".json")):
        if candidate.is_file() and candidate != path:
            try:
                data = json.loads(candidate.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise InputError(f"{candidate}: the sidecar is not valid JSON ({exc})") from None
            if not isinstance(data, dict) or not set(data) <= set(SIDECAR_KEYS):
                raise InputError(
                    f"{candidate}: a sidecar is a JSON object with keys among {', '.join(SIDECAR_KEYS)}"
                )
            if data.get("date") is not None:
                try:
                    _check_date(str(data["date"]))
                except OptionError as exc:
                    raise InputError(f"{candidate}: {exc}") from None
            return {k: str(v) for k, v in data.items() if v is not None}
    return {}


def _check_date(text: str) -> None:
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        raise OptionError(f"date {text!r} is not a date; give it as YYYY-MM-DD, e.g. 2025-05-14") from None


def _new_files(
    files: list[Path], store: EventStore, force: bool, unchanged: list[str], failed: list[Failure]
) -> list[tuple[Path, int]]:
    """The files to analyze, with their sizes; those already stored go to `unchanged`."""
    ids: dict[Path, str] = {}
    sizes: dict[Path, int] = {}
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            failed.append(Failure(str(path), f"cannot be read ({exc.strerror})"))
            continue
        ids[path] = call_id(data)
        sizes[path] = len(data)
    known = set() if force else store.known(set(ids.values()))
    todo: list[tuple[Path, int]] = []
    queued: set[str] = set()
    for path, cid in ids.items():
        if cid in known or cid in queued:  # stored, or the same bytes twice in this batch
            unchanged.append(str(path))
        else:
            queued.add(cid)
            todo.append((path, sizes[path]))
    return todo


def _analyze_all(
    todo: list[tuple[Path, int]], overrides: dict[str, str | None], workers: int | None, embed: str | None
) -> Iterator[tuple[str, int, Rows | Failure]]:
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(todo) <= 1:
        for path, size in todo:
            yield str(path), size, _analyze_one(path, overrides, embed)
        return
    # Workers fork from this process: load the dictionaries once here, not once in each.
    _analyze_one(None, {}, embed)
    # A bounded window of files in flight keeps memory flat however long the batch is.
    window = 4 * workers
    queue = iter(todo)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        running: dict[Future, tuple[Path, int]] = {}
        try:
            for path, size in queue:
                running[pool.submit(_analyze_one, path, overrides, embed)] = (path, size)
                if len(running) >= window:
                    break
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    path, size = running.pop(future)
                    yield str(path), size, future.result()
                    nxt = next(queue, None)
                    if nxt is not None:
                        running[pool.submit(_analyze_one, nxt[0], overrides, embed)] = nxt
        finally:
            for future in running:
                future.cancel()


def _analyze_one(path: Path | None, overrides: dict[str, str | None], embed: str | None) -> Rows | Failure:
    """Analyze one file in a worker: the store's rows of the record (and of its sentence
    embeddings), or a `Failure` for every expected failure. With no path, only load what
    analysis needs."""
    from callnlp.pipeline import analyze

    if path is None:
        # Not the embedding model: torch's thread pools do not survive a fork (workers hang).
        analyze("预热 warm-up。".encode())
        return Failure("", "")
    try:
        result = analyze(path, embedder=_embedder(embed) if embed else None)
        meta = {**sidecar(path), **{k: v for k, v in overrides.items() if v}}
        if meta:
            result = replace(result, call=replace(result.call, **meta))
        vectors = _embedder(embed).encode([s.text for s in result.sentences]) if embed else None
        return rows(result, vectors)
    except CallnlpError as exc:
        return Failure(str(path), str(exc).removeprefix(f"{path}: "))
    except Exception as exc:  # a bug must not stop the batch; the reason names it
        return Failure(str(path), f"could not be analyzed ({type(exc).__name__}: {exc}); please report this")


@cache
def _embedder(model: str) -> Embedder:
    """One embedding model per process, loaded on first use."""
    return Embedder(model)
