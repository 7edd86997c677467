"""Tokenizer throughput against plain jieba, plain rjieba and spaCy's zh+jieba pipeline.

Tokenizes the five seed documents (../shared/seeds, or the transcripts in corpora/ when the
seeds are absent) repeated to at least 2 MB, each contender on the same documents in the
same run, and prints the median MB/s of several rounds with ratios against plain jieba.

    python bench/tokenize.py            # needs the bench extra: pip install -e '.[bench]'
    python bench/tokenize.py --rounds 5 --mb 4

Rows:
  callnlp tokenize   callnlp's tokenizer on normalized text: tokens with offsets into the
                     ORIGINAL text, quantities merged (normalization not counted)
  callnlp structure  speaker turns, roles, sections, Q&A pairs on normalized text
  callnlp figures    figure extraction over every sentence, with each one's period context
                     (`FigureExtractor.each`; sentence splitting not counted)
  callnlp scoring    lexicon tone and hedging of every sentence, from its tokens
  scoring, cold      the same with the verdict cache emptied before each document, as on
                     distinct transcripts (the repeated seeds otherwise find every pattern)
  callnlp text layer load + normalize + sentence split + tokenize, from bytes
  callnlp analyze    the whole `callnlp analyze` pipeline, from bytes
  analyze --json     the same, and the record written as `callnlp analyze --json` prints it
  jieba.cut          the jieba package, plain segmentation (list of strings)
  rjieba.cut         rjieba, plain segmentation (list of strings)
  spaCy zh+jieba     spacy.blank("zh") with the jieba segmenter (Doc objects)

Then the same corpus as one file, each contender a whole process as a user runs it
(start-up, dictionary loads and output included; both from bytecode, which this bench
first writes for callnlp as pip install does), alternating, median of --rounds, in wall
time, in CPU time (user + system: less swayed by other load on the machine) and in peak
memory (each process's own, from wait4):

  callnlp analyze --json FILE > /dev/null
  python -c "list(jieba.cut(open(FILE).read()))"
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file's name is the one the issue asks for, and it shadows the standard library's
# `tokenize` for anything imported while bench/ is first on sys.path.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import argparse
import logging
import statistics
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable

ROOT = Path(__file__).resolve().parent.parent


def corpus(min_mb: float) -> list[bytes]:
    seeds = sorted((ROOT.parent / "shared" / "seeds").glob("*.txt"))
    paths = seeds or sorted((ROOT / "corpora" / "calls").glob("*.txt"))
    if not paths:
        sys.exit("no seed or corpus transcripts found")
    docs = [p.read_bytes() for p in paths]
    out: list[bytes] = []
    while sum(map(len, out)) < min_mb * 1e6:
        out.extend(docs)
    return out


def consume(results: Iterable[object]) -> None:
    for _ in results:
        pass


def timed(fn: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def whole_processes(docs: list[bytes], rounds: int) -> None:
    """`callnlp analyze --json` against plain jieba.cut of the same file, as processes."""
    import compileall
    import os
    import subprocess
    import tempfile

    # jieba runs from the bytecode pip wrote when it installed it; so does callnlp installed
    # with pip, but an editable install under PYTHONDONTWRITEBYTECODE (set on these machines)
    # would compile every module of callnlp from source in every process
    compileall.compile_dir(ROOT / "callnlp", quiet=1)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "corpus.txt"
        path.write_bytes(b"\n\n".join(docs))
        callnlp = Path(sys.executable).with_name("callnlp")
        commands = {
            "callnlp analyze --json": [str(callnlp), "analyze", "--json", str(path)],
            "jieba.cut": [
                sys.executable, "-c",
                "import jieba, logging, sys; jieba.setLogLevel(logging.WARNING); "
                "list(jieba.cut(open(sys.argv[1], encoding='utf-8').read()))",
                str(path),
            ],
        }  # fmt: skip
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        peak: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(rounds):  # alternating: a burst of load on the machine hits both
            for name, command in commands.items():
                start = time.perf_counter()
                child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                _, status, usage = os.wait4(child.pid, 0)  # this child's own CPU time and peak
                times[name].append(time.perf_counter() - start)
                child.returncode = os.waitstatus_to_exitcode(status)
                if child.returncode:
                    raise subprocess.CalledProcessError(child.returncode, command)
                cpu[name].append(usage.ru_utime + usage.ru_stime)
                peak[name].append(usage.ru_maxrss / 1024)  # KiB on Linux
    mb = sum(map(len, docs)) / 1e6
    base, base_cpu = statistics.median(times["jieba.cut"]), statistics.median(cpu["jieba.cut"])
    print(f"\nwhole processes on one {mb:.2f} MB file, median of {rounds} alternating runs")
    print("(both from bytecode: callnlp's modules are compiled first, as pip install does;")
    print(" CPU is user + system time, the page faults of a larger heap included; peak is RSS)")
    print(f"{'':<24}{'seconds':>8}{'MB/s':>8}{'x jieba':>10}{'CPU s':>8}{'x jieba':>10}{'peak MB':>9}")
    for name, runs in times.items():
        median, median_cpu = statistics.median(runs), statistics.median(cpu[name])
        print(
            f"{name:<24}{median:>8.2f}{mb / median:>8.2f}{base / median:>10.2f}"
            f"{median_cpu:>8.2f}{base_cpu / median_cpu:>10.2f}{statistics.median(peak[name]):>9.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds per contender; the median is kept")
    parser.add_argument("--mb", type=float, default=2.0, help="corpus size in MB (default 2)")
    parser.add_argument("--no-spacy", action="store_true", help="skip spaCy (its round takes ~15 s)")
    args = parser.parse_args()

    import jieba
    import rjieba

    from callnlp import Tokenizer, analyze, load, normalize, scoring, split_sentences
    from callnlp.figures import FigureExtractor
    from callnlp.scoring import LexiconScorer
    from callnlp.structure import StructureParser

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    docs = corpus(args.mb)
    texts = [d.decode("utf-8") for d in docs]
    normalized = [normalize(load(d)) for d in docs]
    tok = Tokenizer()
    parser = StructureParser()
    extract = FigureExtractor(2025, 1)
    sentences = {id(d): [d.text[s:e] for s, e in split_sentences(d.text)] for d in normalized}

    scorer = LexiconScorer(tok)
    scorer("预热")
    tokens = {id(d): tok(d.text) for d in normalized}
    bounds = {}
    for d in normalized:
        starts = [t.start for t in tokens[id(d)]]
        bounds[id(d)] = [(bisect_left(starts, s), bisect_left(starts, e)) for s, e in split_sentences(d.text)]

    def score_cold() -> None:
        for d in normalized:
            scoring._verdict.cache_clear()
            scorer.score(tokens[id(d)], bounds[id(d)])

    def figures(doc: object) -> None:
        # one group for the whole document: a period named anywhere before a sentence can
        # be its context, the longest walk back `each` may take (the pipeline's are turns)
        texts = sentences[id(doc)]
        extract.each(texts, [0] * len(texts))

    tok("预热")
    # its own instance: callnlp's tokenizer adds the finance words to rjieba's default one
    plain_rjieba = rjieba.Jieba()
    plain_rjieba.cut("预热")
    mb = sum(map(len, docs)) / 1e6

    def text_layer() -> None:
        for d in docs:
            doc = normalize(load(d))
            split_sentences(doc.text)
            tok(doc.text, doc.offsets)

    contenders: list[tuple[str, Callable[[], object]]] = [
        # Results are dropped as they come, as a batch would: a list holding them all
        # would make Python's cyclic GC rescan them and time the GC, not the work.
        ("callnlp tokenize", lambda: consume(tok(d.text, d.offsets) for d in normalized)),
        ("callnlp structure", lambda: consume(parser(d) for d in normalized)),
        ("callnlp figures", lambda: consume(figures(d) for d in normalized)),
        ("callnlp scoring", lambda: consume(scorer.score(tokens[id(d)], bounds[id(d)]) for d in normalized)),
        ("scoring, cold", score_cold),
        ("callnlp text layer", text_layer),
        ("callnlp analyze", lambda: consume(analyze(d) for d in docs)),
        ("analyze --json", lambda: consume(analyze(d).to_json() for d in docs)),
        ("jieba.cut", lambda: consume(list(jieba.cut(t)) for t in texts)),
        ("rjieba.cut", lambda: consume(plain_rjieba.cut(t) for t in texts)),
    ]
    if not args.no_spacy:
        import spacy

        nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
        nlp("预热")
        contenders.append(("spaCy zh+jieba", lambda: consume(nlp(t) for t in texts)))

    print(f"corpus: {len(docs)} documents, {mb:.2f} MB; median of {args.rounds} rounds, one core")
    results = {name: mb / timed(fn, args.rounds) for name, fn in contenders}
    base = results["jieba.cut"]
    spacy_speed = results.get("spaCy zh+jieba")
    print(f"{'':<20}{'MB/s':>8}{'x jieba':>10}{'x spaCy':>10}")
    for name, speed in results.items():
        vs_spacy = f"{speed / spacy_speed:>10.1f}" if spacy_speed else f"{'-':>10}"
        print(f"{name:<20}{speed:>8.2f}{speed / base:>10.2f}{vs_spacy}")
    tokenize_time = 1 / results["callnlp tokenize"]
    for stage in ("callnlp structure", "callnlp figures", "scoring, cold", "callnlp scoring"):
        print(f"{stage} adds {100 / results[stage] / tokenize_time:.1f}% to tokenization time")
    whole_processes(docs, args.rounds)


if __name__ == "__main__":
    main()
