from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys

import pytest

from callnlp import cli
from callnlp.cli import main
from callnlp.pipeline import Analyzer
from callnlp.store import EventStore

ZH = "营收同比增长420%。净亏损扩大至3.146亿美元。"


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "callnlp", *args], input=stdin, capture_output=True, timeout=120
    )


def test_cli_analyze_prints_a_summary(tmp_path, capsys) -> None:
    path = tmp_path / "call.txt"
    path.write_text(ZH, encoding="utf-8")
    assert main(["analyze", str(path)]) == 0
    out = capsys.readouterr().out
    assert "language   zh" in out
    assert "sentences  2" in out
    assert "tokens" in out


def test_cli_analyze_json_is_the_record(tmp_path, capsys) -> None:
    path = tmp_path / "call.txt"
    path.write_bytes(ZH.encode("gb18030"))
    assert main(["analyze", str(path), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["call"]["encoding"] == "gb18030"
    assert record["sentences"][1]["text"] == "净亏损扩大至3.146亿美元。"


@pytest.mark.parametrize("text", [ZH, "Revenue grew 20% to $1.2 billion. We don't guide quarterly."])
def test_cli_analyze_compact_json_is_the_same_record_on_one_line(tmp_path, capsys, text: str) -> None:
    path = tmp_path / "call.txt"
    path.write_text(text, encoding="utf-8")
    assert main(["analyze", str(path), "--json"]) == 0
    indented = capsys.readouterr().out
    assert main(["analyze", str(path), "--json", "--compact"]) == 0
    compact = capsys.readouterr().out
    assert compact.count("\n") == 1  # a line of a .jsonl file
    assert json.loads(compact) == json.loads(indented)
    assert len(compact) < len(indented)


@pytest.mark.parametrize("command", ["analyze", "show", "report"])
def test_cli_record_commands_collect_nothing_between_making_the_record_and_using_it(
    tmp_path, capsys, monkeypatch, command: str
) -> None:
    # Resumed in between, the collector's passes walked the whole record (on 2 MB, 5% of
    # `analyze --json`, a fifth of `show --json` and of `report`); paused until the record
    # is used and freed, they walk none of it.
    from callnlp import report

    path = tmp_path / "call.txt"
    path.write_text((ZH + "Revenue grew 20% to $1.2 billion.\n") * 200, encoding="utf-8")
    db = str(tmp_path / "calls.db")
    args, owner, name, user, use = (
        ["analyze", str(path), "--json"],
        Analyzer,
        "__call__",
        cli,
        "_print_record",
    )
    if command != "analyze":
        assert main(["ingest", str(path), "--db", db, "--quiet", "--workers", "1"]) == 0
        args, owner, name = [command, str(path), "--db", db], EventStore, "get"
        args += ["--json"] if command == "show" else ["--output", str(tmp_path / "report.html")]
        user, use = (cli, "_print_record") if command == "show" else (report, "render_report")
    capsys.readouterr()
    events: list[str] = []
    make, used = getattr(owner, name), getattr(user, use)
    monkeypatch.setattr(owner, name, lambda self, *a, **k: events.append("made") or make(self, *a, **k))
    monkeypatch.setattr(user, use, lambda *a: (used(*a), events.append("used"))[0])

    def collected(phase: str, info: dict) -> None:
        if phase == "start":
            events.append("collection")

    enabled = gc.isenabled()
    gc.enable()
    gc.callbacks.append(collected)
    try:
        assert main(args) == 0
    finally:
        gc.callbacks.remove(collected)
        if not enabled:
            gc.disable()
    out = capsys.readouterr().out
    if command == "report":
        assert "Notable sentences" in (tmp_path / "report.html").read_text(encoding="utf-8")
    else:
        assert json.loads(out)["call"]["language"] == "mixed"
    between = events[events.index("made") : events.index("used")]
    assert between == ["made"]
    assert gc.isenabled()


def test_cli_analyze_compact_without_json_says_so(tmp_path, capsys) -> None:
    path = tmp_path / "call.txt"
    path.write_text(ZH, encoding="utf-8")
    assert main(["analyze", str(path), "--compact"]) == 1
    assert "give --json too" in capsys.readouterr().err


def test_cli_reads_standard_input() -> None:
    done = run("analyze", "-", "--json", stdin=ZH.encode())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["call"]["source"] == "<stdin>"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(200)), "PNG image"),
        (bytes(range(256)) * 4, "binary"),
    ],
)
def test_cli_bad_input_is_one_line_naming_the_file(tmp_path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad input.txt"
    path.write_bytes(content)
    done = run("analyze", str(path))
    assert done.returncode == 1
    err = done.stderr.decode()
    assert err.count("\n") == 1
    assert err.startswith(f"callnlp: error: {path}: ")
    assert reason in err
    assert "Traceback" not in err


def test_cli_missing_file_and_too_large(tmp_path) -> None:
    done = run("analyze", str(tmp_path / "nope.txt"))
    assert done.returncode == 1
    assert "no such file" in done.stderr.decode()
    big = tmp_path / "big.txt"
    big.write_bytes(b"revenue " * 200_000)
    done = run("analyze", str(big), "--max-mb", "1")
    assert done.returncode == 1
    assert "over the 1.0 MB limit" in done.stderr.decode()


def test_cli_warns_on_stderr_and_still_analyzes(tmp_path) -> None:
    path = tmp_path / "cut.txt"
    path.write_bytes(ZH.encode()[:-1])
    done = run("analyze", str(path))
    assert done.returncode == 0
    assert "warning" in done.stderr.decode()
    assert "cut.txt" in done.stderr.decode()


def test_cli_help_teaches_with_examples() -> None:
    done = run("analyze", "--help")
    assert done.returncode == 0
    assert "examples:" in done.stdout.decode()
    assert run().returncode == 2


def test_cli_outline_lists_turns_with_role_firm_section(capsys) -> None:
    from conftest import CORPORA

    assert main(["analyze", str(CORPORA / "calls" / "zh_qa_style_jinghong_2025q2.txt")]) == 0
    out = capsys.readouterr().out
    assert "question-answer pairs" in out
    rows = [line for line in out.splitlines() if " qa " in f" {line} "]
    analyst = next(line for line in rows if "analyst" in line and "中金公司" in line)
    assert "张磊" in analyst
    assert any("prepared" in line and "executive" in line and "董事长" in line for line in out.splitlines())


def test_cli_lists_figures_in_a_table(tmp_path, capsys) -> None:
    path = tmp_path / "call.txt"
    path.write_text(
        "2025年第一季度营收为9.816亿美元,同比增长420%。公司预计第二季度收入在10.6亿美元至11亿美元。",
        encoding="utf-8",
    )
    assert main(["analyze", str(path)]) == 0
    rows = [
        line.split() for line in capsys.readouterr().out.splitlines() if "亿美元" in line or "420%" in line
    ]
    assert ["1", "revenue", "981.6M", "USD", "actual", "level", "2025Q1", "9.816亿美元"] in rows
    assert ["1", "revenue", "420", "percent", "actual", "yoy", "2025Q1", "420%"] in rows
    assert [
        "1",
        "revenue",
        "1.06B",
        "to",
        "1.1B",
        "USD",
        "guidance",
        "level",
        "2025Q2",
        "10.6亿美元至11亿美元",
    ] in rows


def test_cli_analyze_shows_tone_by_section(tmp_path, capsys) -> None:
    path = tmp_path / "call.txt"
    path.write_text("收入和资本支出可能会“不稳定”。Revenue grew 20%.", encoding="utf-8")
    assert main(["analyze", str(path)]) == 0
    out = capsys.readouterr().out
    assert "hedges/100 tokens" in out
    assert "whole call" in out


def test_cli_eval_prints_scores_and_confusion(tmp_path, capsys) -> None:
    path = tmp_path / "labels.tsv"
    path.write_text("可能会波动。\tyes\nRevenue grew 20%.\tno\n", encoding="utf-8")
    assert main(["eval", "hedging", str(path)]) == 0
    out = capsys.readouterr().out
    assert "hedging: 2 sentences, accuracy 1.000" in out
    assert "gold \\ predicted" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["eval", "sentiment", "missing.tsv"], "missing.tsv: no such labeled file"),
        (
            ["eval", "sentiment", "x.tsv", "--sentiment-labels", "a=1"],
            "--sentiment-labels needs --sentiment-model",
        ),
    ],
)
def test_cli_eval_errors_are_one_line(args: list[str], message: str, capsys) -> None:
    assert main(args) == 1
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> str:
    from conftest import CORPORA

    db = str(tmp_path_factory.mktemp("cli") / "calls.db")
    assert main(["ingest", str(CORPORA / "calls"), "--db", db, "--quiet", "--workers", "1"]) == 0
    return db


def test_cli_search_groups_hits_and_highlights(stored: str, capsys) -> None:
    assert main(["search", "capex", "--db", stored, "--limit", "5"]) == 0
    out = capsys.readouterr()
    assert "searched: capex, 资本支出" in out.out
    assert "«" in out.out  # not a terminal: matches marked with guillemets
    assert "lexical search only" in out.err


@pytest.mark.parametrize("query", ['"unbalanced', "zyxw AND (", "🚀", "x" * 10_000])
def test_cli_search_malformed_queries_say_no_hits(stored: str, query: str, capsys) -> None:
    assert main(["search", query, "--db", stored]) == 0
    out = capsys.readouterr().out
    assert "no sentence matches" in out or "nothing to search for" in out


def test_cli_search_json(stored: str, capsys) -> None:
    assert main(["search", "关税", "--db", stored, "--json", "--lang", "en"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["hits"]
    assert all(h["lang"] == "en" for h in result["hits"])


def test_cli_signals_and_report(stored: str, tmp_path, capsys) -> None:
    assert main(["signals", "--db", stored, "-o", str(tmp_path / "s.csv")]) == 0
    lines = (tmp_path / "s.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("call_id,company,ticker,date,period,language,mgmt_tone_prepared")
    assert len(lines) == 6
    assert main(["signals", "--db", stored, "--long", "-o", str(tmp_path / "e.parquet")]) == 0
    capsys.readouterr()
    assert main(["calls", "--db", stored, "--json"]) == 0
    first = json.loads(capsys.readouterr().out)[0]["id"]
    assert main(["report", first[:10], "--db", stored, "-o", str(tmp_path / "r.html")]) == 0
    assert 'id="tone-chart"' in (tmp_path / "r.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("data", "warning"),
    [
        (
            "营收增长10%。".encode() + b"\xff\xfe" + "净利润下降。\n".encode(),
            "2 invalid UTF-8 byte sequence(s)",
        ),
        (b"Revenue grew 10%. Net income fell.\n\xe5\x87", "the last character is cut off"),
    ],
)
def test_cli_show_repeats_the_warnings_of_its_file(tmp_path, capsys, data: bytes, warning: str) -> None:
    path = tmp_path / "damaged.txt"
    path.write_bytes(data)
    db = str(tmp_path / "calls.db")
    assert main(["ingest", str(path), "--db", db, "--quiet", "--workers", "1"]) == 0
    assert f"callnlp: warning: {path}: {warning}" in capsys.readouterr().err
    assert main(["show", str(path), "--db", db]) == 0
    assert f"callnlp: warning: {path}: {warning}" in capsys.readouterr().err


BAD_INVOCATIONS = [
    # (arguments, what the one line says); {db} is a store of two calls, {dir} a folder
    (["search", "capex", "--db", "{dir}/notes.txt"], "is not a callnlp store"),
    (["calls", "--db", "{dir}/notes.txt"], "is not a callnlp store"),
    (["ingest", "{dir}/calls", "--db", "{dir}/notes.txt"], "is not a callnlp store"),
    (["calls", "--db", "{dir}/corrupt.db"], "damaged"),
    (["calls", "--db", "{dir}/nonexist.db"], "no store at"),
    (["show", "abc", "--db", "{dir}/nonexist.db"], "no store at"),
    (["search", "capex", "--db", "postgresql://nobody@127.0.0.1:1/none"], "cannot open the store"),
    (["search", "capex", "--db", "{db}", "--since", "2025-13-01"], "not '2025-13-01'"),
    (["search", "capex", "--db", "{db}", "--until", "2025-02-30"], "not '2025-02-30'"),
    (["search", "capex", "--db", "{db}", "--since", "2025-06-01", "--until", "2025-01-01"], "swap them"),
    (["search", "capex", "--db", "{db}", "--role", "ceo"], "invalid choice: 'ceo'"),
    (["search", "capex", "--db", "{db}", "--limit", "0"], "at least 1"),
    (["signals", "--db", "{db}", "-o", "{dir}"], "is a folder"),
    (["report", "zh", "--db", "{db}", "-o", "{dir}"], "is a folder"),
    (["signals", "--db", "{db}", "-o", "{dir}/no/such/folder/x.csv"], "does not exist"),
    (["show", "ffffffff", "--db", "{db}"], "no stored call matches"),
    (["analyze", "-"], "<stdin>: the file is empty"),
    (["analyze", "{dir}/calls/zh.txt", "--max-mb", "0"], "not a size in MB"),
    (["analyze", "{dir}/calls", "--workers", "0"], "'0' is not a number of processes"),
    (["ingest", "{dir}/calls", "--db", "{db}", "--workers", "two"], "'two' is not a number of processes"),
    (["analyze", "{dir}/calls/zh.txt", "--sentiment-model", "./no-such-model"], "no such directory"),
    (["eval", "search", "{dir}/calls/zh.txt", "--db", "{db}"], "callnlp: error:"),
    (["analyze", "{dir}/calls", "--json"], "add --compact"),
    (["analyze", "-", "{dir}/calls/zh.txt"], "give it alone"),
    (["analyze", "{dir}/calls/*.md"], "the pattern matches no file"),
]


@pytest.fixture(scope="module")
def bad_place(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    (root / "calls").mkdir()
    (root / "calls" / "zh.txt").write_text(ZH, encoding="utf-8")
    (root / "calls" / "en.txt").write_text(
        "Revenue grew 20% to $1.2 billion. Demand may be lumpy.", encoding="utf-8"
    )
    (root / "notes.txt").write_text("capex notes\n", encoding="utf-8")
    (root / "corrupt.db").write_bytes(b"SQLite format 3\x00" + b"\x00\x10\x01\x01" + b"\x13" * 4000)
    db = root / "calls.db"
    assert main(["ingest", str(root / "calls"), "--db", str(db), "--quiet", "--workers", "1"]) == 0
    return root, db


@pytest.mark.parametrize(("args", "said"), BAD_INVOCATIONS)
def test_cli_bad_invocations_fail_cleanly_and_keep_the_store(bad_place, args, said, capsys) -> None:
    root, db = bad_place
    before = {p.name: p.read_bytes() for p in root.iterdir() if p.is_file()}
    result = run(*(a.format(db=db, dir=root) for a in args), stdin=b"")
    err = result.stderr.decode()
    assert result.returncode in (1, 2), err
    assert said in err
    assert "Traceback" not in err
    # one or two lines; argparse's usage errors end with theirs
    assert len(err.strip().splitlines()) <= 2 or result.returncode == 2, err
    after = {p.name: p.read_bytes() for p in root.iterdir() if p.is_file()}
    assert after == before  # nothing made, nothing changed
    assert not (root / "nonexist.db").exists()


def test_cli_analyze_several_files_print_json_lines_and_name_each_failure(tmp_path, capsys) -> None:
    # Chinese and English side by side in one folder, with a file that cannot be read
    (tmp_path / "a_zh.txt").write_text(ZH, encoding="utf-8")
    (tmp_path / "b_en.txt").write_text(
        "Revenue grew 20% to $1.2 billion. Demand may be lumpy.", encoding="utf-8"
    )
    (tmp_path / "c_empty.txt").write_bytes(b"")
    (tmp_path / "b_en.json").write_text('{"company": "Helios"}', encoding="utf-8")  # a sidecar, no call
    assert main(["analyze", str(tmp_path), "--json", "--compact"]) == 1
    batch = capsys.readouterr()
    [failed] = batch.err.splitlines()
    assert failed.startswith(f"callnlp: failed: {tmp_path / 'c_empty.txt'}: the file is empty")
    lines = batch.out.splitlines()
    assert [json.loads(line)["call"]["company"] for line in lines][1] == "Helios"
    for name, line in zip(["a_zh.txt", "b_en.txt"], lines, strict=True):  # each as analyzed alone
        assert main(["analyze", str(tmp_path / name), "--json", "--compact"]) == 0
        assert capsys.readouterr().out.splitlines() == [line]


def test_cli_analyze_several_files_print_a_summary_each(tmp_path, capsys) -> None:
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text(ZH, encoding="utf-8")
    assert main(["analyze", str(tmp_path / "a.txt"), str(tmp_path / "b.txt")]) == 0
    out = capsys.readouterr().out
    assert out.count("language   zh") == 2
    assert "\n\n" in out  # a blank line between the two


def test_cli_analyze_several_files_count_on_a_terminal(tmp_path, capsys, monkeypatch) -> None:
    (tmp_path / "a.txt").write_text(ZH, encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"")
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)  # records to a file, the count to a terminal
    assert main(["analyze", str(tmp_path), "--json", "--compact"]) == 1
    err = capsys.readouterr().err
    assert err.endswith("1 analyzed, 1 failed\n")
    assert f"\r\x1b[Kcallnlp: failed: {tmp_path / 'b.txt'}: the file is empty" in err


@pytest.mark.skipif(sys.platform != "linux", reason="finds the workers in Linux's /proc")
def test_cli_analyze_a_killed_worker_ends_the_batch_clearly(tmp_path) -> None:
    from conftest import CORPORA, workers_of

    texts = [p.read_text(encoding="utf-8") for p in sorted((CORPORA / "calls").glob("*.txt"))]
    for i in range(60):  # Chinese, English and interpreted calls, each a little different
        (tmp_path / f"call_{i:03d}.txt").write_text(
            texts[i % len(texts)] + f"\nCopy {i}.\n", encoding="utf-8"
        )
    proc = subprocess.Popen(
        [sys.executable, "-m", "callnlp", "analyze", str(tmp_path), "--json", "--compact", "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    lines = [proc.stdout.readline() for _ in range(3)]
    os.kill(workers_of(proc.pid)[0], signal.SIGKILL)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert err.decode().strip().splitlines()[-1].startswith("callnlp: error: a worker process died")
    records = [json.loads(line) for line in [*lines, *out.splitlines()]]  # every record printed is whole
    assert 3 <= len(records) < 60
    assert [r["call"]["source"] for r in records] == [
        str(tmp_path / f"call_{i:03d}.txt") for i in range(len(records))
    ]
