"""Ingest on a Dask cluster: its workers analyze, the calling process stores.

`ingest(..., client=...)` sends each new file's bytes, name and metadata to the cluster,
so its workers need not see the files; a worker analyzes them with the function a local
worker process runs and sends back the store's rows (plain tuples), and the calling
process writes each call in its own transaction, as without a cluster. A few tasks per
worker thread are in flight at a time, so memory stays flat over a long batch.

A worker lost mid-batch costs only the analysis of its calls: Dask runs its tasks again
on the other workers, and gives a task up (KilledWorker) only when the workers it ran on
died `distributed.scheduler.allowed-failures` times (3 by default), a file that kills
whatever analyzes it, which is then reported failed. A file that fails analysis is a
`Failure` its task returns, not an error for Dask to retry. dask is imported when a
cluster is used, not before.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from callnlp.errors import ClusterError, MissingDependencyError
from callnlp.files import Failure
from callnlp.ingest import _analyze_one, _Job, _windowed
from callnlp.schema import Rows

if TYPE_CHECKING:
    from distributed import Client

INSTALL = "pip install 'callnlp[dask]'"
CONNECT_SECONDS = 10.0
"""How long `connect` tries to reach the scheduler."""
RETRIES = 2
"""Runs again of a task that raised on its worker (a connection broken under it). Tasks of a
worker that died are run again by Dask itself, without counting against these."""
TASKS_PER_THREAD = 4
"""Tasks in flight per worker thread: each worker has its next file while a result travels."""
RESIZE_SECONDS = 2.0
"""How often the number of tasks in flight follows the cluster's size."""


def connect(address: str, timeout: float = CONNECT_SECONDS) -> Client:
    """A client of the Dask scheduler at `address`, for `ingest(..., client=...)`.

    Raises:
        MissingDependencyError: dask is not installed.
        ClusterError: no scheduler answers at `address` within `timeout` seconds.

    Example:
        >>> from callnlp import ingest
        >>> with connect("tcp://scheduler.local:8786") as client:  # doctest: +SKIP
        ...     report = ingest(["calls/"], "postgresql://me@dbhost/calls", client=client)
    """
    try:
        from distributed import Client
    except ImportError:
        raise MissingDependencyError(
            f"ingest on a Dask cluster needs dask; install it with: {INSTALL}"
        ) from None
    try:
        return Client(address, timeout=timeout)
    except (OSError, ValueError) as exc:  # no answer, or an address that is not HOST:PORT
        raise ClusterError(
            f"cannot connect to the Dask scheduler at {address} ({exc}); check the address "
            "(tcp://HOST:8786) and that `dask scheduler` runs there"
        ) from None


def analyze_on(
    client: Client, jobs: Iterable[_Job | Failure], embed: str | None
) -> Iterator[tuple[str, int, Rows | Failure]]:
    """(name, size, rows or failure) of each job as the cluster's workers finish it.

    Raises:
        ClusterError: the connection to the scheduler was lost.
    """
    from distributed.client import ClosedClientError, FutureCancelledError
    from distributed.scheduler import KilledWorker

    address = client.scheduler.address

    def lost() -> ClusterError:
        return ClusterError(
            f"lost the connection to the Dask scheduler at {address}; "
            "every stored call is whole: run the batch again to resume"
        )

    def submit(job: _Job) -> Any:
        try:
            return client.submit(_analyze_one, job, embed=embed, retries=RETRIES, pure=False)
        except ClosedClientError:  # a scheduler that shuts down closes its clients
            raise lost() from None

    def outcome(future: Any, name: str) -> Rows | Failure:
        try:
            return future.result()
        except KilledWorker:
            return Failure(
                name,
                "the workers that analyzed it died each time (Dask's KilledWorker); "
                "their logs say why (too little memory for this file?)",
            )
        except FutureCancelledError:
            if client.status != "running":
                raise lost() from None
            return Failure(name, "the cluster dropped its analysis (restarted?); run the batch again")
        except Exception as exc:  # raised outside the analysis (retries spent), or by the scheduler
            said = " ".join(str(exc).split())  # dask's messages run over several lines
            return Failure(
                name,
                f"the cluster could not run its analysis ({type(exc).__name__}: {said}); check that "
                "the scheduler and every worker have this version of callnlp installed",
            )

    return _windowed(jobs, submit, _window(client), outcome)


def _window(client: Client) -> Callable[[], int]:
    """Tasks to keep in flight: `TASKS_PER_THREAD` per thread of the cluster's workers, asked
    of the scheduler every `RESIZE_SECONDS` at most, so that workers joining mid-batch (an
    adaptive cluster starts with few) get work."""
    asked, size = -RESIZE_SECONDS, TASKS_PER_THREAD

    def window() -> int:
        nonlocal asked, size
        if time.monotonic() - asked >= RESIZE_SECONDS and client.status == "running":
            asked = time.monotonic()
            size = TASKS_PER_THREAD * max(sum(client.nthreads().values()), 1)
        return size

    return window
