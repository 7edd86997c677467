from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CORPORA, seed_paths, workers_of

from callnlp import analyze
from callnlp.errors import OptionError
from callnlp.ingest import ingest
from callnlp.store import EventStore

ZH = "景泓新能源（JHNE）2025年第二季度业绩说明会\n主持人：欢迎参加。\n问（中信证券 李明）：毛利率为何下降？\n答（王建国）：原材料成本上升了8%，我们预计下半年会有波动。\n"
EN = "Helios Grid Systems (HGRD) Q2 2025 Earnings Call\nAugust 7, 2025\n\nOperator: Welcome.\nJane Doe: Revenue grew 12% to $1.2 billion, but demand may be lumpy.\n"


def cli(*args: str, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callnlp", *args], capture_output=True, text=True, timeout=600, **kw
    )


def calls(db: Path) -> list[tuple[str, int]]:
    """(call id, sentences stored) of every call, straight from SQLite."""
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT c.id, (SELECT count(*) FROM sentences s WHERE s.call_id = c.id) FROM calls c ORDER BY c.id"
        ).fetchall()


def test_ingest_bad_files_are_named_and_good_ones_stored(tmp_path: Path) -> None:
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "zh_gbk.txt").write_bytes(ZH.encode("gbk"))
    (batch / "en_utf16.txt").write_bytes(EN.encode("utf-16"))
    (batch / "zh_utf8.txt").write_bytes((ZH + "补充说明。\n").encode())
    (batch / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (batch / "empty.txt").write_bytes(b"")
    (batch / "cut.txt").write_bytes((EN + "净亏损扩大").encode()[:-1])  # the last character cut in half
    (batch / ".hidden.txt").write_text("ignored", encoding="utf-8")
    db = tmp_path / "calls.db"
    report = ingest([batch], str(db), workers=2)
    failed = {Path(f.path).name: f.reason for f in report.failed}
    assert set(failed) == {"image.png", "empty.txt"}
    assert "PNG image, not text" in failed["image.png"]
    assert "empty" in failed["empty.txt"]
    stored = {Path(p).name for p in report.ingested}
    assert stored == {"zh_gbk.txt", "en_utf16.txt", "zh_utf8.txt", "cut.txt"}
    with EventStore(db) as store:
        by_name = {Path(r["source"]).name: r for r in store.calls()}
        assert json.loads(by_name["cut.txt"]["warnings"])  # stored, with a warning naming the damage
        assert by_name["zh_gbk.txt"]["encoding"] in ("gb18030", "gbk")
        for r in by_name.values():
            assert store.get(r["id"]) == analyze(r["source"])  # each stored call is whole
    assert len(calls(db)) == 4


def test_ingest_twice_stores_nothing_new_and_show_matches_analyze(tmp_path: Path) -> None:
    db = tmp_path / "calls.db"
    sources = [str(CORPORA / "calls"), *map(str, seed_paths())]
    first = cli("ingest", *sources, "--db", str(db))
    assert first.returncode == 0, first.stderr
    n = len(list((CORPORA / "calls").glob("*.txt"))) + len(seed_paths())
    assert f"{n} ingested, 0 unchanged, 0 failed" in first.stdout
    second = cli("ingest", *sources, "--db", str(db))
    assert second.returncode == 0
    assert f"0 ingested, {n} unchanged, 0 failed" in second.stdout
    assert "nothing new to store" in second.stdout
    with EventStore(db) as store:
        rows = store.calls()
    assert len(rows) == n
    for row in rows:
        shown = cli("show", row["id"][:10], "--db", str(db), "--json")
        analyzed = cli("analyze", row["source"], "--json")
        assert shown.stdout == analyzed.stdout, row["source"]


def _batch(folder: Path, n: int) -> list[Path]:
    """n distinct transcripts made from the corpus (a different last line each)."""
    folder.mkdir()
    texts = [p.read_text(encoding="utf-8") for p in sorted((CORPORA / "calls").glob("*.txt"))]
    paths = []
    for i in range(n):
        path = folder / f"call_{i:03d}.txt"
        path.write_text(texts[i % len(texts)] + f"\nCopy {i}.\n", encoding="utf-8")
        paths.append(path)
    return paths


@pytest.mark.parametrize(
    ("stop", "workers", "code", "said"),
    [
        (signal.SIGKILL, "1", -signal.SIGKILL, ""),
        (signal.SIGTERM, "1", 143, "interrupted; every stored call is whole, run again to resume"),
        (signal.SIGTERM, "2", 143, "interrupted; every stored call is whole, run again to resume"),
        (signal.SIGINT, "1", 130, "interrupted; every stored call is whole, run again to resume"),
        # a worker killed, not the ingest (the kernel's out-of-memory killer picks the largest)
        (-signal.SIGKILL, "2", 1, "error: a worker process died (killed, or out of memory?)"),
    ],
)
def test_ingest_stopped_midway_leaves_whole_calls_and_resumes(
    tmp_path: Path, stop: int, workers: str, code: int, said: str
) -> None:
    paths = _batch(tmp_path / "batch", 40)
    db = tmp_path / "calls.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "callnlp", "ingest", str(tmp_path / "batch"), "--db", str(db), "--workers", workers],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.time() + 300
    while time.time() < deadline and (not db.exists() or len(_safe_calls(db)) < 3):
        time.sleep(0.05)
    os.kill(workers_of(proc.pid)[0] if stop < 0 else proc.pid, abs(stop))
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code
    assert said in err
    assert "Traceback" not in err
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    stored = calls(db)
    assert 3 <= len(stored) < len(paths), "the kill came too late to test anything"
    expected = {analyze(p).call.id: len(analyze(p).sentences) for p in paths}
    for cid, sentences in stored:
        assert sentences == expected[cid]  # no half-written call
    with sqlite3.connect(db) as conn:
        orphans = conn.execute("SELECT count(*) FROM sentences WHERE call_id NOT IN (SELECT id FROM calls)")
        assert orphans.fetchone() == (0,)
    report = ingest([tmp_path / "batch"], str(db), workers=2)
    assert len(report.unchanged) == len(stored)
    assert len(report.ingested) == len(paths) - len(stored)
    assert dict(calls(db)) == expected


def _safe_calls(db: Path) -> list[tuple[str, int]]:
    try:
        return calls(db)
    except sqlite3.OperationalError:  # the tables are not made yet
        return []


def test_ingest_two_processes_share_one_sqlite_store(tmp_path: Path) -> None:
    paths = _batch(tmp_path / "batch", 24)
    db = tmp_path / "calls.db"
    args = [
        sys.executable,
        "-m",
        "callnlp",
        "ingest",
        str(tmp_path / "batch"),
        "--db",
        str(db),
        "--workers",
        "1",
    ]
    procs = [
        subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        assert "locked" not in err
    stored = calls(db)
    assert len(stored) == len(paths)
    assert len({cid for cid, _ in stored}) == len(paths)


def test_ingest_metadata_overrides(tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "a.txt").write_text(EN, encoding="utf-8")
    (folder / "b.txt").write_text(ZH, encoding="utf-8")
    (folder / "b.json").write_text('{"ticker": "JHNE.SZ", "date": "2025-08-12"}', encoding="utf-8")
    db = str(tmp_path / "calls.db")
    ingest([folder], db, workers=1)
    with EventStore(db) as store:
        rows = {Path(r["source"]).name: r for r in store.calls()}
    assert (rows["a.txt"]["company"], rows["a.txt"]["date"]) == ("Helios Grid Systems", "2025-08-07")
    assert (rows["b.txt"]["ticker"], rows["b.txt"]["date"]) == ("JHNE.SZ", "2025-08-12")
    with EventStore(db) as store:  # analyzing the file reads its sidecar as ingest did
        assert store.get(rows["b.txt"]["id"]) == analyze(folder / "b.txt")
    ingest([folder], db, workers=1, force=True, company="Override Co", date="2026-01-02")
    with EventStore(db) as store:
        assert {(r["company"], r["date"]) for r in store.calls()} == {("Override Co", "2026-01-02")}


@pytest.mark.parametrize(
    ("sidecar", "reason"),
    [("{not json", "not valid JSON"), ('{"ceo": "x"}', "the keys are company, ticker, date, period"),
     ('{"date": "May 5"}', "YYYY-MM-DD"), ('{"period": "Q1 2025"}', "YYYYQn")],
)  # fmt: skip
def test_ingest_bad_sidecar_fails_that_file(tmp_path: Path, sidecar: str, reason: str) -> None:
    (tmp_path / "a.txt").write_text(EN, encoding="utf-8")
    (tmp_path / "a.json").write_text(sidecar, encoding="utf-8")
    report = ingest([tmp_path / "a.txt"], str(tmp_path / "calls.db"), workers=1)
    assert len(report.failed) == 1
    assert reason in report.failed[0].reason


def test_ingest_refuses_a_date_that_is_none(tmp_path: Path) -> None:
    _batch(tmp_path / "b", 3)
    with pytest.raises(OptionError, match="YYYY-MM-DD"):
        ingest([tmp_path / "b"], str(tmp_path / "c.db"), date="5/14/2025")


def test_ingest_cli_exit_codes_and_listing(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(EN, encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    db = str(tmp_path / "calls.db")
    done = cli("ingest", str(tmp_path / "good.txt"), str(tmp_path / "empty.txt"), "--db", db)
    assert done.returncode == 1
    assert "failed: " in done.stderr
    assert "empty.txt" in done.stderr
    assert "1 ingested, 0 unchanged, 1 failed" in done.stdout
    listing = cli("calls", "--db", db)
    assert "Helios Grid Systems" in listing.stdout
    shown = cli("show", str(tmp_path / "good.txt"), "--db", db)
    assert "company    Helios Grid Systems (HGRD)" in shown.stdout
    missing = cli("show", "ffff", "--db", db)
    assert missing.returncode == 1
    assert "no stored call matches 'ffff'" in missing.stderr
    empty = tmp_path / "empty.db"
    EventStore(empty).close()
    assert "no calls stored yet" in cli("calls", "--db", str(empty)).stdout
    typo = cli("calls", "--db", str(tmp_path / "new.db"))  # a reader never makes a store
    assert typo.returncode == 1
    assert f"no store at {tmp_path / 'new.db'}" in typo.stderr
    assert not (tmp_path / "new.db").exists()


def _limit_file_size(size: int):
    """For a child process: files may not grow past `size` bytes, and a write past it fails
    (EFBIG) instead of killing the process, as on a full disk."""

    def limit() -> None:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return limit


def test_ingest_on_a_full_disk_stops_cleanly_and_resumes(tmp_path: Path) -> None:
    paths = _batch(tmp_path / "batch", 12)
    db = tmp_path / "calls.db"
    stopped = subprocess.run(
        [sys.executable, "-m", "callnlp", "ingest", str(tmp_path / "batch"), "--db", str(db), "--workers", "1"],
        capture_output=True, text=True, timeout=600, preexec_fn=_limit_file_size(400_000),
    )  # fmt: skip
    assert stopped.returncode == 1
    assert f"callnlp: error: cannot write to the store {db}" in stopped.stderr
    assert "free space and run again" in stopped.stderr
    assert len(stopped.stderr.strip().splitlines()) == 1
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    stored = calls(db)
    assert len(stored) < len(paths), "the limit came too late to test anything"
    expected = {analyze(p).call.id: len(analyze(p).sentences) for p in paths}
    assert all(sentences == expected[cid] for cid, sentences in stored)  # whole calls only
    report = ingest([tmp_path / "batch"], str(db), workers=1)
    assert len(report.ingested) == len(paths) - len(stored)
    assert dict(calls(db)) == expected


def test_ingest_survives_a_postgresql_restart(tmp_path: Path) -> None:
    import shutil

    from conftest import postgres

    url = postgres()
    if shutil.which("pg_ctlcluster") is None or os.geteuid() != 0:
        pytest.skip("restarting the server needs pg_ctlcluster as root (.ci/postgres's server)")
    paths = _batch(tmp_path / "batch", 30)
    proc = subprocess.Popen(
        [sys.executable, "-m", "callnlp", "ingest", str(tmp_path / "batch"), "--db", url, "--workers", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    store = EventStore(url)
    deadline = time.time() + 300
    while time.time() < deadline and store.call_count() < 3:
        time.sleep(0.1)
    store.close()
    subprocess.run(["pg_ctlcluster", "15", "main", "restart"], check=True, timeout=120)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert f"{len(paths)} ingested" in out
    with EventStore(url) as store:
        stored = {c["id"]: c["sentences"] for c in store.calls()}
    assert stored == {analyze(p).call.id: len(analyze(p).sentences) for p in paths}
