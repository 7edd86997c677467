"""The command line under random use: every subcommand, its options with odd values, and
random paths and bytes as files. The only outcomes allowed are success, a usage error from
argparse, or one of our errors printed in a line or two; never a traceback, and a store
that a command only reads is never changed."""

from __future__ import annotations

import argparse
import io
import sqlite3
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from conftest import subcommands
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callnlp.cli import main

ZH = "主持人:欢迎参加CoreWeave 2025年第一季度业绩电话会。\n首席财务官:一季度营收9.816亿美元,同比增长420%。资本支出可能会不稳定。\n"
EN = "Operator: Welcome to the Helios Q2 2025 call.\nCFO: Revenue grew 20% to $1.2 billion. We don't guide quarterly.\n"
WRITERS = {"ingest"}
"""Commands that may change the store they are given."""
SKIPPED = {"serve"}
"""Commands that run until stopped."""


@pytest.fixture(scope="module")
def place(tmp_path_factory) -> dict[str, str]:
    """Files of every kind a user might name, and a store with two calls."""
    root = tmp_path_factory.mktemp("fuzz")
    (root / "calls").mkdir()
    files = {
        "zh": root / "calls" / "zh.txt",
        "en": root / "calls" / "en.txt",
        "empty": root / "empty.txt",
        "binary": root / "image.png",
        "notes": root / "notes.txt",
        "corrupt": root / "corrupt.db",
        "gb18030": root / "gb.txt",
    }
    files["zh"].write_text(ZH, encoding="utf-8")
    files["en"].write_text(EN, encoding="utf-8")
    files["empty"].write_bytes(b"")
    files["binary"].write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    files["notes"].write_text("capex notes, not a database\n", encoding="utf-8")
    files["corrupt"].write_bytes(b"SQLite format 3\x00" + b"\x13" * 3000)
    files["gb18030"].write_bytes(ZH.encode("gb18030"))
    store = root / "calls.db"
    assert main(["ingest", str(root / "calls"), "--db", str(store), "--workers", "1", "--quiet"]) == 0
    labels = root / "labels.tsv"
    labels.write_text("text\tlabel\n营收增长\tpositive\nRevenue fell\tnegative\n", encoding="utf-8")
    return {
        **{k: str(v) for k, v in files.items()},
        "store": str(store),
        "folder": str(root / "calls"),
        "labels": str(labels),
        "missing": str(root / "no" / "such.db"),
        "typo": str(root / "nonexist.db"),
        "out": str(root / "out.html"),
        "out_csv": str(root / "out.csv"),
        "dir": str(root),
        "glob": str(root / "calls" / "*.txt"),
    }


COMMANDS = {name: p for name, p in subcommands().items() if name not in SKIPPED}


def _value(place: dict[str, str], action: argparse.Action) -> st.SearchStrategy[str]:
    """Values for an option or positional: its own choices, the files above, and odd text."""
    odd = st.sampled_from(
        ["0", "-1", "3", "1e9", "nan", "", " ", "2025-13-01", "2025-02-30", "2026-01-05", "2024-12-31",
         "postgresql://nobody@127.0.0.1:1/none", "sqlite:///", "mysql://x", "-", "--", "资本支出", "capex",
         "zh", "en", "mixed", "test", "ceo", "<script>", "a" * 300, "../..", "\x00"]
    )  # fmt: skip
    options = [odd, st.sampled_from(sorted(place.values())), st.text(max_size=12)]
    if action.choices:
        options.insert(0, st.sampled_from(list(action.choices)))
    return st.one_of(options)


@st.composite
def invocations(draw: st.DrawFn, place: dict[str, str]) -> list[str]:
    name = draw(st.sampled_from(sorted(COMMANDS)))
    parser = COMMANDS[name]
    argv = [name]
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if not action.option_strings:  # positional: usually given, sometimes not
            count = 1 if action.nargs is None else draw(st.integers(0 if action.nargs == "*" else 1, 3))
            if draw(st.integers(0, 9)) == 0:
                count = 0
            argv += [draw(_value(place, action)) for _ in range(count)]
        elif draw(st.booleans()):
            argv.append(draw(st.sampled_from(action.option_strings)))
            if action.nargs != 0:
                argv.append(draw(_value(place, action)))
    if name in WRITERS and "--workers" not in argv:
        argv += ["--workers", "1"]  # a process pool per example would make the test slow
    return argv


def _calls(store: str) -> list[str]:
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
        return sorted(row[0] for row in db.execute("SELECT id FROM calls"))


def invoke(argv: list[str], stdin: bytes) -> tuple[int, str]:
    """Run the command line in this process: (exit code, what it printed on stderr)."""
    out, err = io.TextIOWrapper(io.BytesIO()), io.StringIO()
    stdin_stream = io.TextIOWrapper(io.BytesIO(stdin))
    with redirect_stdout(out), redirect_stderr(err), pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdin", stdin_stream)
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse: --help or --version (0), a usage error (2)
            code = exc.code
    return int(code or 0), err.getvalue()


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_cli_fuzz_every_command_succeeds_or_fails_cleanly(place, data, tmp_path, monkeypatch) -> None:
    # a default ./callnlp.db or output lands here, not in the repo; two levels down, so the
    # odd path ../.. stays in this test's folder (it had ingested every test's files)
    work = tmp_path / "home" / "user"
    work.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(work)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("CALLNLP_DB", raising=False)
    argv = data.draw(invocations(place))
    stdin = data.draw(st.binary(max_size=200))
    before = _calls(place["store"])
    code, err = invoke(argv, stdin)
    assert "Traceback" not in err or "--debug" in argv, argv
    assert "unexpected" not in err, (argv, err)  # how main reports a bug it caught
    assert code in (0, 1, 2), (argv, err)
    if code == 1:
        # one of our errors, or an ingest's files that failed, one line each
        lines = err.strip().splitlines()
        said = lines[-1:] if "--debug" in argv else lines  # with --debug, after the traceback
        assert all(line.startswith("callnlp: ") for line in said), (argv, err)
    if argv[0] not in WRITERS or place["store"] not in argv:
        assert _calls(place["store"]) == before, argv
    assert not Path(place["missing"]).parent.exists(), argv  # no command makes a store's folder
