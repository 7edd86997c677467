from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time

import pytest

from callnlp.errors import WorkerError
from callnlp.workers import in_order

pytestmark = pytest.mark.timeout(60, method="thread")  # a hung pool ends the run, not CI hours later


def _slow_first(item: int) -> tuple[int, int]:
    time.sleep(0.3 if item == 0 else 0.01)  # the first item finishes last
    return item, os.getpid()


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_workers_keep_the_items_order(workers) -> None:
    results = list(in_order(_slow_first, range(12), workers))
    assert [item for item, _ in results] == list(range(12))
    assert len({pid for _, pid in results}) == workers
    assert os.getpid() not in {pid for _, pid in results}


def test_workers_get_their_task_by_fork_not_pickle() -> None:
    lock = threading.Lock()  # a lock cannot be pickled, so neither can a task holding one

    def task(item: str) -> str:
        with lock:
            return item.upper()

    assert list(in_order(task, ["营收", "capex", "lumpy"], workers=2)) == ["营收", "CAPEX", "LUMPY"]


def _dies_at_five(item: int) -> int:
    if item == 5:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.05 if item > 5 else 0)
    return item


def test_workers_a_killed_worker_is_a_clear_error_after_whole_results() -> None:
    given: list[int] = []
    with pytest.raises(WorkerError, match="a worker process died"):
        given.extend(in_order(_dies_at_five, range(40), workers=2))
    assert given == list(range(len(given)))  # whatever came before is whole and in order
    assert len(given) <= 5
    assert not multiprocessing.active_children()


def test_workers_stopping_early_leaves_no_process_behind() -> None:
    results = in_order(_slow_first, range(100), workers=2)
    assert next(results)[0] == 0
    results.close()
    assert not multiprocessing.active_children()
