"""The `callnlp` command: a thin layer over the Python API.

Each command makes one API call; a `CallnlpError` becomes one line on stderr and exit
code 1, a usage mistake exit code 2.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import signal
import sys
import threading
import time
import traceback
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, NoReturn, TypeVar

from callnlp import __version__
from callnlp.collector import gc_paused
from callnlp.embed import ENV_MODEL, configured
from callnlp.errors import CallnlpError, OptionError, OutputError
from callnlp.evaluate import Task
from callnlp.record import CallAnalysis, Role, Scope, Section
from callnlp.store import DEFAULT_DB, ENV_DB, EventStore
from callnlp.text import DEFAULT_MAX_BYTES

if TYPE_CHECKING:
    from callnlp.ingest import IngestReport, Progress
    from callnlp.transformer import TransformerSentiment

_T = TypeVar("_T")

# Each command imports what it runs when it runs: `callnlp search` is a process a user
# starts for one query, and the whole pipeline took a fifth of its time to import.

_ANALYZE_EXAMPLE = """\
A sidecar FILE.json next to the transcript ({"company": ..., "ticker": ..., "date": ...,
"period": "2025Q1"}) overrides what the text says, as in `callnlp ingest`.

examples:
  callnlp analyze corpora/calls/en_fool_helios_q2_2025.txt
  callnlp analyze transcript.txt --json > record.json
  callnlp analyze calls/ --json --compact > records.jsonl   # JSON Lines, in the files' order
  callnlp analyze 'calls/**/*.txt' --workers 1              # one process, one file at a time
  cat transcript.txt | callnlp analyze -
  callnlp analyze call.txt --sentiment-model ./finbert   # needs torch and transformers
"""

_DEBUG_HELP = "on an error, print the traceback too (for a bug report)"
_DB_HELP = f"the store: an SQLite file or postgresql://USER@HOST/DB (default: ${ENV_DB}, else ./{DEFAULT_DB})"
_COMPACT_HELP = "with --json: the record on one line, a quarter smaller (a call a line in a .jsonl file)"

_INGEST_EXAMPLE = """\
Every call is stored whole in its own transaction; files already stored (same bytes) are
skipped, so re-running a batch, or resuming an interrupted one, only does new work. A
sidecar FILE.json next to a transcript ({"company": ..., "ticker": ..., "date": ...,
"period": ...}) overrides what the text says; --company and --date override both.
The exit code is 1 when any file failed (each is named with its reason), 130 when
interrupted.

--scheduler analyzes on the workers of a Dask cluster instead of local processes (needs:
pip install 'callnlp[dask]' here, on the scheduler and on every worker). This process
still reads the files, sends each worker a file's bytes (the workers need not see the
files) and writes the store; a worker lost mid-batch only costs the re-run of its calls.

examples:
  callnlp ingest corpora/calls                      # a folder, recursively
  callnlp ingest 'transcripts/**/*.txt' --workers 2 # a glob (quoted)
  callnlp ingest new_call.txt --company CoreWeave --date 2025-05-14
  callnlp ingest calls/ --db postgresql://me@dbhost/calls
  callnlp ingest calls/ --scheduler tcp://10.0.0.5:8786 --db postgresql://me@dbhost/calls
"""

_CALLS_EXAMPLE = """\
examples:
  callnlp calls
  callnlp calls --company CoreWeave --db team.db
"""

_SHOW_EXAMPLE = """\
CALL is a call id (or its first characters, as `callnlp calls` prints them) or the path
the call was ingested from.

examples:
  callnlp show 3f2a9c1b
  callnlp show corpora/calls/en_fool_helios_q2_2025.txt --json
"""

_SEARCH_EXAMPLE = """\
Every word of the query counts (BM25, Chinese segmented as the index is), words found
close together count more, and a topic widens across languages at a lower weight
(models/topics.tsv and the metric glossary): capex also finds 资本支出, 关税 finds
tariffs, lumpy finds 不稳定. Amounts are matched by value, in any scale or language:
"capex 200亿美元" finds "capital expenditures of $20 billion". Quotes and operators are
read as plain words.

By default the best sentences of the whole store are shown, grouped by call. --calls
ranks calls instead (which call said this?), by the whole call's words, its best
passage and the amounts it states, each with its best passages.

--since/--until leave out calls without a date (the note says how many); --undated
keeps them. --embed-model fuses similarity of meaning in; loading the model takes
seconds in each process, so for many queries use the Python API, where it stays loaded.

examples:
  callnlp search capex
  callnlp search 关税 --since 2025-01-01 --role executive
  callnlp search "interest expense" --section qa --limit 5
  callnlp search "sees fy2021 adjusted eps of $3.00 to $3.25" --calls
  callnlp search "GPU supply" --company CoreWeave --json
"""

_SIGNALS_EXAMPLE = """\
One row per stored call with company, date, period, language, tone and hedging by role
and section, forward-looking share, figures per 1,000 tokens, questions, analysts,
answer/question length, guidance midpoints (revenue, capex, operating income) and the
change of each against the company's previous call; the README lists every column.
--long writes every figure and every hedge cue with its provenance instead.

examples:
  callnlp signals -o signals.csv
  callnlp signals -o signals.parquet --company CoreWeave   # parquet needs: pip install pyarrow
  callnlp signals --long -o evidence.csv
"""

_REPORT_EXAMPLE = """\
examples:
  callnlp report 3f2a9c1b -o report.html
  callnlp report corpora/calls/interpreted_tianlan_2025q3.txt -o tianlan.html
"""

_SERVE_EXAMPLE = """\
Browse, search and compare the stored calls in a web browser: search with filters, each
call's report and transcript, a company's signals over time and its guidance, the signal
table (CSV, Parquet), and a JSON API behind each page (/api/search?q=..., /api/calls,
/api/calls/ID, /api/companies/NAME, /api/signals). The store is only read. It listens on
127.0.0.1 (this machine only) unless --host says otherwise; Ctrl-C stops it. Needs:
pip install 'callnlp[serve]'

examples:
  callnlp serve --db calls.db                  # then open http://127.0.0.1:8000/
  callnlp serve --db calls.db --port 8080
  callnlp serve --db calls.db --host 0.0.0.0   # others on the network can read the store too
"""

_EVAL_EXAMPLE = """\
For sentiment and hedging the file is tab-separated: sentence<TAB>label rows, or a header
naming `sentence`, the label column (label, sentiment or hedge) and optionally `split` and
`lang`. Sentiment labels: positive, negative, neutral; hedging labels: yes, no, or graded
0 (assertive), 1 (somewhat hedged), 2 (strongly hedged) in a file holding any 2, where F1
counts 1 and 2 as hedged. The lexicon scores a row of several sentences by their mean
sentiment and their highest hedging (a --sentiment-model reads the row whole). Next to
macro-F1 is the rank AUC of the continuous score: the chance that a row of a higher grade
(positive over negative, hedged over not, 2 over 1 over 0) scores higher than one of a
lower grade; 0.5 is chance.

For search it is query<TAB>expected rows, `expected` naming the call the query should find:
a call id (or its first 6+ characters) or the transcript it was ingested from (its path, or
its file name when unique). Each query ranks the stored calls as the API's search_calls does;
printed are MRR@10, hit@1, hit@5 and the queries whose call did not come first.

examples:
  callnlp eval sentiment corpora/labeled/en.tsv --split test
  callnlp eval hedging corpora/labeled/zh.tsv
  callnlp eval hedging corpora/labeled/answers.tsv --split test --lang en   # graded 0/1/2
  callnlp eval sentiment my_labels.tsv --sentiment-model ./finbert
  callnlp eval search queries.tsv --db calls.db
"""


def run() -> NoReturn:
    """The `callnlp` command (and `python -m callnlp`): `main`, then the process exits."""
    code = main()
    # The system takes back the memory as the process ends; the collector's last pass over
    # what is left (the loaded dictionaries, lexicons and modules) cost every command 0.06 s.
    gc.freeze()
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    debug = getattr(args, "debug", False)
    terminated = _stop_on_sigterm()
    try:
        code = args.run(args)
    except CallnlpError as exc:
        if debug:
            traceback.print_exc()
        _say("error", str(exc))
        return 1
    except KeyboardInterrupt:
        print("callnlp: interrupted", file=sys.stderr)
        code = INTERRUPTED
    except BrokenPipeError:
        return 0  # the reader (head, less) closed the pipe: nothing left to say
    except Exception as exc:  # a bug: one line, and the way to the traceback
        if debug:
            raise
        _say(
            "error",
            f"unexpected {type(exc).__name__}: {exc}; run again with --debug for the traceback, "
            "and please report it",
        )
        return 1
    # a run stopped by SIGTERM ends as the shell expects of a terminated process
    return TERMINATED if code == INTERRUPTED and terminated else code


_CONTROL = {
    i: f"\\x{i:02x}" if i < 256 else f"\\u{i:04x}"
    for i in (*range(32), *range(127, 160), 0x2028, 0x2029)  # what ends a line, to Python or a terminal
    if chr(i) != "\t"
}


def _say(kind: str, text: str) -> None:
    """One line on stderr: `callnlp: KIND: TEXT`, control characters in it (of a path, a
    query) shown escaped so that a message stays one line."""
    print(f"callnlp: {kind}: {text.translate(_CONTROL)}", file=sys.stderr)


INTERRUPTED = 130
"""The exit code after Ctrl-C (128 + SIGINT)."""
TERMINATED = 143
"""The exit code after SIGTERM (128 + SIGTERM)."""


def _stop_on_sigterm() -> list[bool]:
    """SIGTERM stops a command as Ctrl-C does (an ingest stores whole calls only and says
    so); the list returned holds True once it came."""
    came: list[bool] = []

    def stop(signum: int, frame: object) -> None:
        came.append(True)
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():  # signals reach the main thread only
        signal.signal(signal.SIGTERM, stop)
    return came


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="callnlp",
        description="Turn earnings-call transcripts (Chinese, English or mixed) into structured records.",
        epilog="Run 'callnlp COMMAND --help' for a command's options and examples.",
    )
    parser.add_argument("--version", action="version", version=f"callnlp {__version__}")
    parser.add_argument("--debug", action="store_true", help=_DEBUG_HELP)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    p = _command(
        commands,
        "analyze",
        help="analyze transcripts and print a summary or the full record of each",
        description="Analyze transcript files (UTF-8/16, GB18030, Big5, HTML...) and print "
        "a readable summary of each, or with --json the whole analysis record (with several "
        "files, --json --compact: one record a line, JSON Lines). Several files are analyzed "
        "in worker processes, a file each, and printed in the files' order. A file that cannot "
        "be read is named with its reason and the rest go on (exit 1).",
        epilog=_ANALYZE_EXAMPLE,
    )
    p.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="transcript files, folders (recursively) or globs; - reads one from standard input",
    )
    p.add_argument("--json", action="store_true", help="print the full record as JSON")
    p.add_argument("--compact", action="store_true", help=_COMPACT_HELP)
    _workers_option(p, "with several files, ")
    _max_mb_option(p)
    _sentiment_options(p)
    p.set_defaults(run=_analyze)

    p = _command(
        commands,
        "eval",
        help="score the scorer (accuracy, macro-F1, rank AUC) or search (MRR@10, hit@1) on a labeled file",
        description="Score sentiment or hedging decisions against a labeled .tsv file and print "
        "accuracy, macro-F1, the rank AUC of the score, F1 per label and the confusion table; or "
        "search against a .tsv of queries and the calls they should find, and print MRR@10, "
        "hit@1, hit@5 and the misses.",
        epilog=_EVAL_EXAMPLE,
    )
    p.add_argument("task", choices=[*(t.value for t in Task), "search"], help="what the labels are for")
    p.add_argument("file", help="the labeled .tsv file")
    p.add_argument("--split", metavar="NAME", help="only rows whose `split` column is NAME (e.g. test)")
    p.add_argument("--lang", metavar="zh|en", help="only rows whose `lang` column is this language")
    _sentiment_options(p)
    p.add_argument("--db", metavar="URL", help=_DB_HELP)
    _embed_option(p)
    p.set_defaults(run=_eval)

    p = _command(
        commands,
        "ingest",
        help="analyze transcripts in parallel and store every call",
        description="Analyze files, folders (recursively) and globs in worker processes and store "
        "each call in the event store.",
        epilog=_INGEST_EXAMPLE,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="transcript files, folders or glob patterns")
    p.add_argument("--db", metavar="URL", help=_DB_HELP)
    _workers_option(p)
    p.add_argument(
        "--scheduler",
        metavar="tcp://HOST:8786",
        help="analyze on this Dask scheduler's workers instead of local processes (not with --workers)",
    )
    p.add_argument("--force", action="store_true", help="analyze and store again files already stored")
    p.add_argument("--company", help="the company of every call in the batch")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="the call date of every call in the batch")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _max_mb_option(p)
    _embed_option(p)
    p.set_defaults(run=_ingest)

    p = _command(
        commands,
        "search",
        help="search what was said across stored calls, in both languages",
        description="Search stored calls in either language: the best sentences, or with --calls the "
        "best calls, ranked by every word of the query (BM25), topics and amounts.",
        epilog=_SEARCH_EXAMPLE,
    )
    p.add_argument("query", help="words to search for (quote several words)")
    p.add_argument("--db", metavar="URL", help=_DB_HELP)
    p.add_argument("--company", help="only this company's calls")
    p.add_argument("--since", metavar="YYYY-MM-DD", help="only calls on or after this date")
    p.add_argument("--until", metavar="YYYY-MM-DD", help="only calls on or before this date")
    p.add_argument("--role", choices=[r.value for r in Role], help="only sentences said by this role")
    p.add_argument("--section", choices=[s.value for s in Section], help="only prepared remarks or Q&A")
    p.add_argument("--lang", choices=["zh", "en"], help="only sentences in this language")
    p.add_argument("--undated", action="store_true", help="with --since/--until, keep calls without a date")
    p.add_argument("--calls", action="store_true", help="rank calls, each with its best passages")
    p.add_argument(
        "--limit",
        type=int,
        metavar="N",
        help="at most N sentences (default 20), or N calls with --calls (10)",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    _embed_option(p)
    p.set_defaults(run=_search)

    p = _command(
        commands,
        "signals",
        help="export the per-call signal table (CSV or Parquet) for research",
        description="Write one row of signals per stored call, or with --long every figure and hedge cue.",
        epilog=_SIGNALS_EXAMPLE,
    )
    p.add_argument("--db", metavar="URL", help=_DB_HELP)
    p.add_argument("-o", "--output", metavar="FILE", help="a .csv or .parquet file (default: CSV on stdout)")
    p.add_argument("--company", help="only this company's calls")
    p.add_argument("--long", action="store_true", help="every figure and hedge cue, one row each")
    p.set_defaults(run=_signals)

    p = _command(
        commands,
        "report",
        help="write one stored call as a self-contained HTML page with a tone and hedging chart",
        description="Write an HTML report of a stored call: outline, figures, and tone and hedging "
        "through the call (prepared remarks, then each question and its answers).",
        epilog=_REPORT_EXAMPLE,
    )
    p.add_argument("call", metavar="CALL", help="a call id or id prefix, or the path it was ingested from")
    p.add_argument("-o", "--output", metavar="FILE", required=True, help="the .html file to write")
    p.add_argument("--db", metavar="URL", help=_DB_HELP)
    p.set_defaults(run=_report)

    p = _command(
        commands,
        "calls",
        help="list the stored calls",
        description="List the calls in the event store, newest first.",
        epilog=_CALLS_EXAMPLE,
    )
    p.add_argument("--db", metavar="URL", help=_DB_HELP)
    p.add_argument("--company", help="only this company's calls")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.set_defaults(run=_calls)

    p = _command(
        commands,
        "show",
        help="print one stored call: outline, tone, figures (from the store, no re-analysis)",
        description="Print a stored call as `analyze` does, read from the event store.",
        epilog=_SHOW_EXAMPLE,
    )
    p.add_argument("call", metavar="CALL", help="a call id or id prefix, or the path it was ingested from")
    p.add_argument("--db", metavar="URL", help=_DB_HELP)
    p.add_argument("--json", action="store_true", help="print the full record as JSON")
    p.add_argument("--compact", action="store_true", help=_COMPACT_HELP)
    p.set_defaults(run=_show)

    p = _command(
        commands,
        "serve",
        help="browse, search and compare stored calls in a web page (needs the serve extra)",
        description="Serve a web page over the store: search, call reports, company signals and a JSON API.",
        epilog=_SERVE_EXAMPLE,
    )
    p.add_argument("--db", metavar="URL", help=_DB_HELP)
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1)")
    p.add_argument(
        "--port", type=_port, default=8000, metavar="N", help="the port to listen on (default: 8000)"
    )
    p.set_defaults(run=_serve)
    return parser


def _command(commands, name: str, **kw: str) -> argparse.ArgumentParser:
    """A subcommand whose epilog (its examples) keeps its line breaks; `--debug` may follow
    its name too."""
    p = commands.add_parser(name, formatter_class=argparse.RawDescriptionHelpFormatter, **kw)
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=_DEBUG_HELP)
    return p


def _megabytes(text: str) -> int:
    """A --max-mb value as bytes."""
    try:
        mb = float(text)
    except ValueError:
        mb = math.nan
    if not math.isfinite(mb) or mb <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size in MB; give a positive number, e.g. 32")
    return int(mb * 1024 * 1024)


def _processes(text: str) -> int:
    """A --workers value."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes; give 1 or more, e.g. 2")
    return int(text)


def _workers_option(p: argparse.ArgumentParser, when: str = "") -> None:
    p.add_argument(
        "--workers",
        type=_processes,
        metavar="N",
        help=f"{when}analysis processes, each a file at a time (default: the number of cores)",
    )


def _max_mb_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--max-mb",
        type=_megabytes,
        default=DEFAULT_MAX_BYTES,
        dest="max_bytes",
        metavar="MB",
        help=f"refuse files larger than this (default {DEFAULT_MAX_BYTES // 1024 // 1024})",
    )


def _embed_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--embed-model",
        metavar="NAME|PATH",
        default=os.environ.get(ENV_MODEL),
        help=f"a sentence-transformers model for semantic search (default: ${ENV_MODEL}; none: "
        "lexical only), and for a learned tone/hedging head fitted with it (python -m callnlp.head). "
        "Chinese needs a multilingual one, e.g. sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2",
    )


def _sentiment_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--sentiment-model",
        metavar="NAME|PATH",
        help="a sequence-classification model that decides sentiment instead of the lexicon "
        "(Hugging Face name or local directory; needs: pip install torch==2.13.0 transformers)",
    )
    p.add_argument(
        "--sentiment-labels",
        metavar="LABEL=VALUE,...",
        help="place each model label on the sentiment scale, e.g. LABEL_0=-1,LABEL_1=0,LABEL_2=1 "
        "(default: read from label names such as positive/negative/neutral)",
    )


def _sentiment(args: argparse.Namespace) -> TransformerSentiment | None:
    from callnlp.transformer import TransformerSentiment

    if not args.sentiment_model:
        if args.sentiment_labels:
            raise OptionError("--sentiment-labels needs --sentiment-model; give the model too")
        return None
    labels = None
    if args.sentiment_labels:
        labels = {}
        for item in args.sentiment_labels.split(","):
            name, _, value = item.partition("=")
            try:
                labels[name.strip()] = float(value)
            except ValueError:
                raise OptionError(
                    f"--sentiment-labels: {item!r} is not LABEL=VALUE with a number, e.g. LABEL_0=-1"
                ) from None
    return TransformerSentiment(args.sentiment_model, labels=labels)


def _analyze(args: argparse.Namespace) -> int:
    import glob

    from callnlp.files import Failure
    from callnlp.pipeline import Analyzer

    _check_record_options(args)
    files = args.files
    if "-" in files and len(files) > 1:
        raise OptionError("- reads one transcript from standard input: give it alone, or give only files")
    one = len(files) == 1 and (files[0] == "-" or not (os.path.isdir(files[0]) or glob.has_magic(files[0])))
    if not one and args.json and not args.compact:
        raise OptionError("several files give several records: add --compact to print one record a line")
    analyzer = Analyzer(max_bytes=args.max_bytes, sentiment=_sentiment(args))
    if one:
        source = sys.stdin.buffer.read() if files[0] == "-" else files[0]
        name = "<stdin>" if files[0] == "-" else None
        _use_record(lambda: analyzer(source, name=name), lambda record: _print_record(record, args))
        return 0
    # a count on the terminal while the records go to a file or a pipe
    counting = sys.stderr.isatty() and not sys.stdout.isatty()
    printed = failed = 0
    for result in analyzer.each(files, workers=args.workers):  # each record printed when it is made
        if counting:
            sys.stderr.write("\r\x1b[K")  # the count's line is cleared before a message
        if isinstance(result, Failure):
            _say("failed", f"{result.path}: {result.reason}")
            failed += 1
        else:
            if printed and not args.json:
                print()
            _print_record(result, args)
            printed += 1
        if counting:
            sys.stderr.write(f"{printed} analyzed, {failed} failed")
            sys.stderr.flush()
    if counting:
        sys.stderr.write("\n")
    if not printed and not failed:
        raise OptionError(f"{' '.join(files)}: no transcript file there (hidden and .json files are skipped)")
    return 1 if failed else 0


def _check_record_options(args: argparse.Namespace) -> None:
    """Refuse options that shape no record, before any work (analyze, show)."""
    if args.compact and not args.json:
        raise OptionError("--compact shapes the JSON record; give --json too")


@gc_paused
def _use_record(make: Callable[[], CallAnalysis], use: Callable[[CallAnalysis], _T]) -> _T:
    """`use(make())`, the collector paused until the record is used and freed: resumed in
    between, its passes walked the whole record (on a 2 MB call, 5% of `analyze --json`, a
    fifth of `show --json` and of `report`)."""
    return use(make())


def _print_record(result: CallAnalysis, args: argparse.Namespace) -> None:
    """The record as the options ask (the summary, or JSON, indented or on one line), after
    what had to be repaired to read its file."""
    for warning in result.call.warnings:
        _say("warning", warning)
    if not args.json:
        print(summary(result))
        return
    sys.stdout.flush()
    sys.stdout.buffer.write(result.to_json_bytes(indent=None if args.compact else 2))
    sys.stdout.buffer.write(b"\n")


def _ingest(args: argparse.Namespace) -> int:
    import logging
    from contextlib import nullcontext

    from callnlp.distributed import connect  # imports dask only when called
    from callnlp.ingest import ingest

    if args.scheduler and args.workers is not None:
        raise OptionError(
            "--workers sizes the local pool and --scheduler analyzes on a Dask cluster instead; drop one"
        )
    bar = None if args.quiet or not sys.stderr.isatty() else _bar
    with connect(args.scheduler) if args.scheduler else nullcontext() as client:
        if client is not None:  # dask logs a lost scheduler as tracebacks; a ClusterError's line says it
            for name in ("distributed", "distributed.client"):
                logging.getLogger(name).setLevel(logging.CRITICAL)
        report = ingest(
            args.paths, args.db, workers=args.workers, force=args.force, company=args.company,
            date=args.date, progress=bar, embed_model=args.embed_model, client=client,
            max_bytes=args.max_bytes,
        )  # fmt: skip
    if bar:
        print(file=sys.stderr)
    for warning in report.warnings:
        _say("warning", warning)
    for failure in report.failed:
        _say("failed", f"{failure.path}: {failure.reason}")
    print(_ingest_summary(report))
    if report.interrupted:
        print("callnlp: interrupted; every stored call is whole, run again to resume", file=sys.stderr)
        return INTERRUPTED
    return 1 if report.failed else 0


def _bar(p: Progress) -> None:
    width = 30
    filled = width * p.done // max(p.total, 1)
    rate = p.bytes / 1e6 / max(time.perf_counter() - p.started, 1e-9)
    sys.stderr.write(
        f"\r[{'#' * filled}{'-' * (width - filled)}] {p.done}/{p.total} files, "
        f"{p.ingested} new, {p.unchanged} unchanged, {p.failed} failed, {rate:.2f} MB/s "
    )
    sys.stderr.flush()


def _ingest_summary(r: IngestReport) -> str:
    parts = [f"{len(r.ingested)} ingested", f"{len(r.unchanged)} unchanged", f"{len(r.failed)} failed"]
    line = f"{', '.join(parts)} in {r.seconds:.1f} s ({r.mb_per_second:.2f} MB/s analyzed)"
    if not r.ingested and not r.failed and r.unchanged:
        line += "; nothing new to store"
    return line


def _search(args: argparse.Namespace) -> int:
    from callnlp.search import search, search_calls

    find, limit = (search_calls, 10) if args.calls else (search, 20)
    with EventStore(args.db, create=False) as store:
        result = find(
            store, args.query, company=args.company, since=args.since, until=args.until, role=args.role,
            section=args.section, lang=args.lang, undated=args.undated,
            limit=limit if args.limit is None else args.limit,
            embedder=configured(args.embed_model),
        )  # fmt: skip
    for note in result.notes:
        _say("note", note)
    if args.json:
        print(json.dumps(asdict(result), ensure_ascii=False, indent=2))
        return 0
    if not result.phrases:
        print("nothing to search for: the query holds no words")
        return 0
    searched = ", ".join(_fit(p, 40).rstrip() for p in result.phrases[:8])
    if result.amounts:
        searched += f"; amounts: {', '.join(result.amounts)}"
    if not result.hits and not result.calls:
        print(f"no {'call' if args.calls else 'sentence'} matches (searched: {searched})")
        return 0
    print(f"searched: {searched}{' ...' if len(result.phrases) > 8 else ''}")
    if args.calls:
        for rank, c in enumerate(result.calls, start=1):
            figures = f"  amounts: {', '.join(c.figures[:4])}" if c.figures else ""
            head = f"{c.company or '-'}  {c.date or '-'}  {c.period or '-'}  {c.source or c.call_id[:12]}"
            print(f"\n{rank}. {head}"
                  f"  score {c.score:.2f}{figures}")  # fmt: skip
            _print_hits(c.passages)
    else:
        for group in result.by_call():
            first = group[0]
            print(f"\n{first.company or '-'}  {first.date or '-'}  {first.period or '-'}  "
                  f"{first.source or first.call_id[:12]}")  # fmt: skip
            _print_hits(group)
    return 0


def _print_hits(hits) -> None:
    bold, plain = ("\033[1m", "\033[0m") if sys.stdout.isatty() else ("«", "»")
    for h in hits:
        who = f"{h.speaker or '-'} ({h.role})" if h.role else "-"
        text = h.text
        for start, end in reversed(h.highlights):
            text = f"{text[:start]}{bold}{text[start:end]}{plain}{text[end:]}"
        print(f"  line {h.line:<5} {h.section:<8} {who}: {text}")


def _signals(args: argparse.Namespace) -> int:
    from callnlp.export import write_table

    with EventStore(args.db, create=False) as store:
        frame = store.evidence(args.company) if args.long else store.signals(args.company)
    write_table(frame, args.output)
    if args.output:
        print(f"wrote {len(frame)} rows to {args.output}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from callnlp.export import output_path
    from callnlp.report import render_report

    output = output_path(args.output, "report.html")
    with EventStore(args.db, create=False) as store:
        page = _use_record(lambda: store.get(store.find(args.call)), render_report)
    try:
        output.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"{args.output}: cannot write the report ({exc.strerror})") from None
    print(f"wrote {args.output}")
    return 0


def _calls(args: argparse.Namespace) -> int:
    with EventStore(args.db, create=False) as store:
        rows = store.calls(company=args.company)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("no calls stored yet; add some with: callnlp ingest PATH")
        return 0
    print(
        f"{'call':<12} {'date':<10} {'period':<7} {'lang':<5} {_fit('company', 28)} "
        f"{'sent.':>6} {'fig.':>5}  source"
    )
    for r in rows:
        print(
            f"{r['id'][:12]} {r['date'] or '-':<10} {r['period'] or '-':<7} {r['language']:<5} "
            f"{_fit(r['company'] or '-', 28)} {r['sentences']:>6} {r['figures']:>5}  {r['source'] or '-'}"
        )
    return 0


def _show(args: argparse.Namespace) -> int:
    _check_record_options(args)
    with EventStore(args.db, create=False) as store:
        _use_record(lambda: store.get(store.find(args.call)), lambda record: _print_record(record, args))
    return 0


def _port(text: str) -> int:
    """A --port value: a TCP port number."""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port; give a number from 1 to 65535, e.g. 8000")
    return int(text)


def _serve(args: argparse.Namespace) -> int:
    from callnlp.web import serve

    EventStore(args.db, create=False).close()  # a wrong path is one line, before the server starts
    print(f"serving {args.db or 'the store'} at http://{args.host}:{args.port}/ (Ctrl-C stops)", flush=True)
    serve(args.db, args.host, args.port)
    return 0


def _eval(args: argparse.Namespace) -> int:
    from callnlp.evaluate import evaluate
    from callnlp.search.evaluate import evaluate_search

    if args.task != "search":
        if args.db:
            raise OptionError(f"--db is for `eval search`, not `eval {args.task}`; drop it")
        from callnlp.scoring import LexiconScorer

        scorer = LexiconScorer(embedder=configured(args.embed_model))  # for a head fitted with embeddings
        result = evaluate(
            args.file, args.task, scorer=scorer, sentiment=_sentiment(args), split=args.split, lang=args.lang
        )
        print(result.table())
        return 0
    if args.split or args.lang or args.sentiment_model or args.sentiment_labels:
        raise OptionError(
            "--split, --lang and --sentiment-* are for `eval sentiment` and `eval hedging`; drop them"
        )
    with EventStore(args.db, create=False) as store:
        print(evaluate_search(args.file, store, embedder=configured(args.embed_model)).table())
    return 0


def summary(result: CallAnalysis) -> str:
    """A human-readable summary of an analysis: the call, then an outline of its turns."""
    call = result.call
    sections = Counter(t.section.value for t in result.turns)
    who = " ".join(x for x in (call.company, f"({call.ticker})" if call.ticker else None) if x)
    rows = [
        ("call", call.id),
        ("source", call.source or "-"),
        ("company", who or "-"),
        ("date", call.date or "-"),
        ("period", call.period or "-"),
        ("language", call.language.value),
        ("encoding", call.encoding),
        ("sentences", f"{len(result.sentences):,}"),
        ("tokens", f"{call.tokens:,}"),
        (
            "turns",
            f"{len(result.turns)} ({', '.join(f'{n} {s}' for s, n in sections.items())}), "
            f"{len(result.qa_pairs)} question-answer pairs",
        ),
    ]
    lines = [f"{key:<10} {value}" for key, value in rows]
    tone = _tone_table(result)
    if tone:
        lines += ["", tone]
    if result.turns:
        lines += ["", _outline(result)]
    if result.figures:
        lines += ["", _figure_table(result)]
    return "\n".join(lines)


def _tone_table(result: CallAnalysis) -> str:
    """Tone and hedging of the call, its sections and its roles."""
    shown = [a for a in result.aggregates if a.scope in (Scope.CALL, Scope.SECTION, Scope.ROLE)]
    if not shown:
        return ""
    rows = [
        f"{'tone of':<22}{'sentences':>10}{'net tone':>10}{'hedges/100 tokens':>19}"
        f"{'hedged':>8}{'forward':>9}"
    ]
    for a in shown:
        name = "whole call" if a.scope is Scope.CALL else f"{a.scope.value} {a.key}"
        rows.append(
            f"{name:<22}{a.sentences:>10}{a.net_tone:>+10.2f}{a.hedging_density:>19.2f}"
            f"{a.hedged_share:>8.0%}{a.forward_share:>9.0%}"
        )
    return "\n".join(rows)


def _figure_table(result: CallAnalysis) -> str:
    from callnlp.figures import format_amount

    rows = [
        f"{'line':>5}  {'metric':<26}{'amount':>24} {'unit':<14}{'kind':<10}{'relation':<9}{'period':<8} text"
    ]
    for f in result.figures:
        amount = format_amount(f)
        unit = f.unit.value if f.unit else "-"
        rows.append(
            f"{f.line:>5}  {f.metric:<26}{amount:>24} {unit:<14}{f.kind.value:<10}{f.relation.value:<9}"
            f"{f.period or '-':<8} {f.text}"
        )
    return "\n".join(rows)


def _outline(result: CallAnalysis) -> str:
    first: dict[int, str] = {}
    for sentence in result.sentences:
        if sentence.turn is not None:
            first.setdefault(sentence.turn, sentence.text)
    header = f"{'#':>3} {'line':>5}  {'section':<9}{'role':<13}{_fit('speaker', 34)}  first words"
    rows = [header]
    for t in result.turns:
        who = t.speaker or "-"
        detail = t.firm or t.title
        if detail:
            who = f"{who} ({detail})"
        if t.translates is not None:
            who = f"{who} -> #{t.translates}"
        words = _fit(" ".join(first.get(t.index, "").split()), 40).rstrip()
        rows.append(
            f"{t.index:>3} {t.line:>5}  {t.section.value:<9}{t.role.value:<13}{_fit(who, 34)}  {words}"
        )
    return "\n".join(rows)


def _fit(text: str, width: int) -> str:
    """Cut or pad `text` to `width` terminal columns (a Chinese character takes two)."""
    out, used = [], 0
    for ch in text:
        w = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if used + w > width:
            if out and used + 1 <= width:
                out.append("…")
                used += 1
            break
        out.append(ch)
        used += w
    return "".join(out) + " " * (width - used)
