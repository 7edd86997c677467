"""A task run over many items in forked worker processes, results in the items' order.

The task is handed to the workers by fork, not pickled: an `Analyzer` holds loaded
dictionaries (and the rjieba segmenter, which cannot be pickled), and forked workers share
what the parent loaded instead of loading it again each.
"""

from __future__ import annotations

import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from callnlp.errors import WorkerError

WINDOW = 4
"""Items in flight per worker, here and in ingest's pool: enough to keep every worker busy,
few enough that memory stays flat however long the batch."""
WARM_UP = "预热 warm-up。".encode()
"""A transcript in both scripts: analyzing it before the workers fork loads what analysis
loads (jieba's dictionary, the lexicons, opencc), which the workers then share."""

_task: Callable[[Any], Any] | None = None
"""The task of this worker process, set once as it starts."""


def in_order(task: Callable[[Any], Any], items: Iterable[Any], workers: int) -> Iterator[Any]:
    """`map(task, items)`, run in `workers` forked processes, each result as soon as it and
    all before it are done.

    Where processes cannot fork (Windows), the items are run here, one by one: the results
    are the same. A worker that dies (killed, out of memory) raises `WorkerError`; the
    results given until then are whole.

    Example:
        >>> list(in_order(len, ["a", "bb", "ccc"], workers=2))
        [1, 2, 3]
    """
    # imported here: a single `callnlp analyze` (the pipeline imports this module) spent
    # 0.04 s of its start importing the pool
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    if "fork" not in multiprocessing.get_all_start_methods():
        yield from map(task, items)
        return
    pool = ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("fork"), initializer=_adopt, initargs=(task,)
    )
    pending: deque = deque()
    try:
        for item in items:
            pending.append(pool.submit(_run, item))
            if len(pending) >= WINDOW * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    except BrokenProcessPool:
        raise WorkerError(
            "a worker process died (killed, or out of memory?); what was given until then is "
            "whole: run the rest again, with fewer workers if memory is short"
        ) from None
    finally:
        # a caller that stops early (Ctrl-C, an error, a break) leaves no queued work behind
        pool.shutdown(cancel_futures=True)


def default_signals() -> None:
    """A pool worker's start: SIGTERM ends it, whatever the parent made of it (the CLI turns
    it into an interrupt). A pool stops the workers left when one dies with SIGTERM, and one
    that took it as an interrupt stayed blocked on the queue the dead one held."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _adopt(task: Callable[[Any], Any]) -> None:
    global _task
    default_signals()
    _task = task


def _run(item: Any) -> Any:
    return _task(item)  # type: ignore[misc]  # set by _adopt as the worker started
