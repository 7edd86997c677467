"""What callnlp costs inside spaCy: `callnlp.analyze` against the same analysis as a spaCy
pipeline (`spacy.blank("zh")` with the `callnlp_tokenizer` and the `callnlp` component).

Runs both on the same documents in the same run (the seed transcripts in ../shared/seeds,
or the transcripts in corpora/ when the seeds are absent, repeated to at least --mb MB),
each round every contender once in turn, and prints the median CPU seconds of the rounds
and the pipeline's overhead over analyze, the median of the rounds' ratios (target: at
most 25%). CPU time of this process and ratios within a round: on a VM whose cores other
work shares, wall time drifts by tens of percent between minutes.

    python bench/spacy_overhead.py            # needs the spacy extra: pip install -e '.[spacy]'
    python bench/spacy_overhead.py --rounds 5 --mb 2

Rows:
  callnlp analyze     `callnlp.analyze(bytes)`: the record, as the Python API makes it
  spaCy pipeline      `nlp(text)`: the Doc with its tokens, spans, sentences and the record
  spaCy tokenizer     `nlp.tokenizer(text)` alone (part of the pipeline's time)
  spaCy, zh chars     spaCy's own Chinese tokenizer (one token a character) and the component:
                      the analysis tokenizes the text itself
"""

from __future__ import annotations

import argparse
import runpy
import statistics
import time
from collections.abc import Callable
from pathlib import Path

# The corpus of bench/tokenize.py, so both benches read the same documents. Running it also
# drops bench/ from sys.path: its name shadows the standard library's tokenize, which
# spaCy's imports read (through torch and linecache).
_TOKENIZE = runpy.run_path(str(Path(__file__).resolve().parent / "tokenize.py"))
corpus, consume = _TOKENIZE["corpus"], _TOKENIZE["consume"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the median is kept")
    parser.add_argument("--mb", type=float, default=1.0, help="corpus size in MB (default 1)")
    args = parser.parse_args()

    import spacy

    from callnlp import analyze

    docs = corpus(args.mb)
    texts = [d.decode("utf-8") for d in docs]
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "callnlp_tokenizer"}}})
    nlp.add_pipe("callnlp")
    chars = spacy.blank("zh")
    chars.add_pipe("callnlp")
    # a first call loads the dictionary, the lexicons and spaCy's tables
    analyze(docs[0])
    nlp(texts[0])
    chars(texts[0])

    contenders: list[tuple[str, Callable[[], object]]] = [
        # results are dropped as they come, as a batch would
        ("callnlp analyze", lambda: consume(analyze(d) for d in docs)),
        ("spaCy pipeline", lambda: consume(nlp(t) for t in texts)),
        ("spaCy tokenizer", lambda: consume(nlp.tokenizer(t) for t in texts)),
        ("spaCy, zh chars", lambda: consume(chars(t) for t in texts)),
    ]
    rounds: dict[str, list[float]] = {name: [] for name, _ in contenders}
    for _ in range(args.rounds):
        for name, fn in contenders:
            start = time.process_time()
            fn()
            rounds[name].append(time.process_time() - start)
    mb = sum(map(len, docs)) / 1e6
    print(f"{len(docs)} documents, {mb:.2f} MB, median of {args.rounds} rounds (CPU seconds)\n")
    reference = rounds["callnlp analyze"]
    for name, times in rounds.items():
        seconds = statistics.median(times)
        ratio = statistics.median(t / r for t, r in zip(times, reference, strict=True))
        print(f"{name:<18} {seconds:7.2f} s  {mb / seconds:5.2f} MB/s  {ratio:5.2f}x analyze")
    overhead = statistics.median(t / r for t, r in zip(rounds["spaCy pipeline"], reference, strict=True)) - 1
    print(f"\nspaCy pipeline overhead over analyze: {overhead:+.1%} (target <= +25%)")


if __name__ == "__main__":
    main()
