"""Figure extraction on real English calls: are the amounts of the summary bullets among the
figures the pipeline reads from the call, with the metric, kind and range the bullet has?

Reads a folder in the layout of ../shared/dev/ectsum-val (calls/NAME.txt, one sentence a
line, and summaries/NAME.txt, one summary bullet a line, lower-case). Takes the first
--calls calls in sorted name order and:

  1. analyzes each call once with `callnlp.analyze(path)` (2 worker processes);
  2. reads each non-blank bullet's figures with `FigureExtractor()(bullet)` (no period
     context) and keeps those with a unit (`f.unit is not None`): the bullet figures;
  3. looks each bullet figure up among its call's figures with the rule of amount search
     (callnlp/search/quantities.py): the call figure's unit is the bullet figure's or one
     convertible to it (USD_per_share <-> USD and the like, at 1; pp <-> bp, at 100); it
     passes the 5% band search fetches with (a stored value within 5% of the bullet's value
     or range; a stored range whose low end is at most 10 times below and whose high end
     reaches the bullet's low end); and the values agree within the rounding of the less
     precise of the two (`$1.8 billion` is precise to 0.1e9): `quantities.statement`. A single
     bullet value matches a stored single value, or lies in a stored range; a bullet range
     matches a stored range it overlaps, or a stored single value at either end. The bullet
     figure is FOUND when some call figure matches. Among several, the chosen one is the
     first in the call, preferring (in this order) one whose metric is the bullet figure's,
     one whose kind is guidance when the bullet is a guidance bullet, one that is a range
     when the bullet figure is a range, and one that states the very amount (the same
     value, or a range with both ends agreeing, rather than one merely overlapping).

A bullet is a GUIDANCE bullet when it holds one of these words (whole words, any case):
expects, expected, sees, guidance, outlook, forecast, forecasts, targets, anticipates,
projects, reaffirms, raises, lowers, narrows, maintains.

Four figures, each with its counts and its bar:

  recall     found / bullet figures whose numbers the call writes somewhere      >= 0.97
             (a summary also states figures the transcript never says: consensus
             estimates, press-release totals; extraction cannot find those, so they
             are counted apart, as "recall, all")
  metric     among found bullet figures whose metric is not "other": the share
             whose chosen call figure has the same metric                        >= 0.90
  guidance   among found bullet figures of guidance bullets: the share whose
             chosen call figure has kind guidance                                >= 0.90
  ranges     among found bullet figures that are ranges (low and high set) and that
             the call writes: the share whose chosen call figure is a range with
             both ends agreeing                                                  >= 0.95

Then up to --examples failures of each: the bullet and its figure (text, value, unit,
metric); for recall failures the first call line that writes the bullet figure's numbers
with the same scale or percent word, or "no" (so an amount the pipeline missed or misread
shows apart from one the summary took from elsewhere, such as the press release or the
consensus), and how many of them no line writes; for the others the chosen call figure
(text, metric, kind) and the call sentence it came from.

    python bench/figures_dev.py                         # ../shared/dev/ectsum-val, 60 calls
    python bench/figures_dev.py --calls 249 --examples 20
    python bench/figures_dev.py --json                  # the four figures only, as JSON
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/ holds tokenize.py, which shadows the standard library's `tokenize` (that inspect
# and linecache import) while bench/ is first on sys.path.
if str(Path(__file__).resolve().parent) in sys.path:
    sys.path.remove(str(Path(__file__).resolve().parent))

import argparse
import json
import re
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from callnlp import analyze
from callnlp.figures import FigureExtractor
from callnlp.record import Figure, Kind
from callnlp.search.quantities import statement

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "dev" / "ectsum-val"
WORKERS = 2
BARS = {"recall": 0.97, "metric": 0.90, "guidance": 0.90, "ranges": 0.95}
GUIDANCE_WORDS = (
    "expects|expected|sees|guidance|outlook|forecast|forecasts|targets|anticipates|projects|"
    "reaffirms|raises|lowers|narrows|maintains"
)
GUIDANCE_BULLET = re.compile(rf"\b(?:{GUIDANCE_WORDS})\b", re.IGNORECASE)
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
WORDS = ("%|percent", "trillion|tn", "billion|bln|bn|b", "million|mln|mn|m", "thousand|k")
"""Scale and percent words that must follow a number for a call line to write it."""


@dataclass(frozen=True)
class CallFigures:
    """What the bench keeps of one call's analysis: its figures and their sentences' text."""

    name: str
    figures: tuple[Figure, ...]
    sentences: dict[int, str]
    text: str


@dataclass
class Outcome:
    """One bullet figure and what the call held for it."""

    call: str
    bullet: str
    figure: Figure
    guidance_bullet: bool
    chosen: Figure | None = None
    factor: float = 1.0
    tolerance: float = 0.0

    @property
    def is_range(self) -> bool:
        return self.figure.low is not None and self.figure.high is not None


def read_call(path: Path) -> CallFigures:
    """Analyze one call (in a worker process)."""
    analysis = analyze(path)
    used = {f.sentence for f in analysis.figures if f.sentence is not None}
    sentences = {s.index: s.text for s in analysis.sentences if s.index in used}
    return CallFigures(path.stem, analysis.figures, sentences, path.read_text(encoding="utf-8"))


def matches(bullet: Figure, stored: Figure) -> tuple[float, float] | None:
    """(factor, tolerance) when `stored` matches the bullet figure as amount search would."""
    unit = stored.unit.value if stored.unit else None
    return statement(bullet, unit, stored.value, stored.low, stored.high, stored.text)


def look_up(outcome: Outcome, call: CallFigures) -> None:
    """Fill in the chosen call figure of a bullet figure, when one matches."""
    best, best_key = None, None
    for stored in call.figures:
        found = matches(outcome.figure, stored)
        if found is None:
            continue
        key = (
            stored.metric == outcome.figure.metric,
            outcome.guidance_bullet and stored.kind is Kind.GUIDANCE,
            outcome.is_range and stored.value is None,
            same_amount(outcome.figure, stored, *found),
        )
        if best_key is None or key > best_key:
            best, best_key = (stored, found), key
    if best is not None:
        outcome.chosen, (outcome.factor, outcome.tolerance) = best


def same_amount(bullet: Figure, stored: Figure, factor: float, tolerance: float) -> bool:
    """Whether `stored` states the bullet figure's very amount: the same single value, or a
    range with both ends agreeing (not merely overlapping or holding it)."""

    def near(x: float, y: float) -> bool:
        return abs(x - y) <= tolerance / 2 + 1e-9 * max(abs(x), abs(y))

    if bullet.value is not None:
        return stored.value is not None and near(bullet.value * factor, stored.value)
    if bullet.low is None or bullet.high is None or stored.low is None or stored.high is None:
        return False
    lo, hi = sorted((bullet.low * factor, bullet.high * factor))
    stored_lo, stored_hi = sorted((stored.low, stored.high))  # a negated range may run high to low
    return near(lo, stored_lo) and near(hi, stored_hi)


def both_ends(outcome: Outcome) -> bool:
    """Whether the chosen call figure is a range whose two ends agree with the bullet's."""
    if outcome.chosen is None or not outcome.is_range:
        return False
    return same_amount(outcome.figure, outcome.chosen, outcome.factor, outcome.tolerance)


def describe(f: Figure) -> str:
    amount = f"{f.value:g}" if f.value is not None else f"{f.low:g} to {f.high:g}"
    unit = f.unit.value if f.unit is not None else None
    return f"{f.text!r} = {amount} {unit}, metric {f.metric}, kind {f.kind.value}"


def written_in(call: CallFigures, figure: Figure) -> str | None:
    """The first call line that writes the bullet figure's numbers (as numbers: 5.90 is 5.9;
    both ends of a range), followed by the same scale or percent sign when the bullet has
    one (`$3.3 bln` is written by `$3.3 billion`, `22%` does not write `$22.0 billion`);
    None when no line does."""
    wanted = [number(n) for n in NUMBER.findall(figure.text)]
    if not wanted or None in wanted:
        return None
    word = re.search(r"\d\s?(%|percent|[a-z]+)", figure.text.lower())
    same = next((w for w in WORDS if word and re.fullmatch(w, word.group(1))), None)
    scaled = re.compile(rf"{NUMBER.pattern}(?=\s?(?:{same})(?![a-z]))", re.IGNORECASE) if same else None
    for line in call.text.splitlines():
        written = scaled.findall(line) if scaled else NUMBER.findall(line)
        if all(w in {number(n) for n in written} for w in wanted):
            return line.strip()
    return None


def number(written: str) -> float | None:
    try:
        return float(written.replace(",", ""))
    except ValueError:
        return None


def measure(calls: dict[str, CallFigures], bullets: dict[str, list[str]]) -> list[Outcome]:
    fx = FigureExtractor()
    outcomes = []
    for name, lines in bullets.items():
        for bullet in lines:
            guidance = GUIDANCE_BULLET.search(bullet) is not None
            for figure in fx(bullet):
                if figure.unit is None:
                    continue
                outcome = Outcome(name, bullet, figure, guidance)
                look_up(outcome, calls[name])
                outcomes.append(outcome)
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DATA, help=f"the data folder (default {DATA})")
    parser.add_argument("--calls", type=int, default=60, help="the first N calls by name (default 60)")
    parser.add_argument("--examples", type=int, default=8, help="failures shown of each kind (default 8)")
    parser.add_argument("--json", action="store_true", help="print the four figures as JSON only")
    args = parser.parse_args()
    data = args.data.resolve()
    if not (data / "calls").is_dir() or not (data / "summaries").is_dir():
        print(f"no data to measure: {data} has no calls/ and summaries/ folders (see --data)")
        return

    paths = sorted((data / "calls").glob("*.txt"), key=lambda p: p.name)[: args.calls]
    bullets = {}
    for path in paths:
        summary = data / "summaries" / path.name
        lines = summary.read_text(encoding="utf-8").splitlines() if summary.exists() else []
        bullets[path.stem] = [b.strip() for b in lines if b.strip()]
    start = time.perf_counter()
    with ProcessPoolExecutor(WORKERS) as pool:
        calls = {c.name: c for c in pool.map(read_call, paths)}
    seconds = time.perf_counter() - start
    outcomes = measure(calls, bullets)

    found = [o for o in outcomes if o.chosen is not None]
    written = [o for o in outcomes if written_in(calls[o.call], o.figure) is not None]
    named = [o for o in found if o.figure.metric != "other"]
    guided = [o for o in found if o.guidance_bullet]
    ranged = [o for o in found if o.is_range and o in written]
    failures = {
        "recall": [o for o in written if o.chosen is None],
        "metric": [o for o in named if o.chosen.metric != o.figure.metric],
        "guidance": [o for o in guided if o.chosen.kind is not Kind.GUIDANCE],
        "ranges": [o for o in ranged if not both_ends(o)],
    }
    totals = {"recall": written, "metric": named, "guidance": guided, "ranges": ranged}
    results = {}
    for key, total in totals.items():
        good = len(total) - len(failures[key])
        share = good / len(total) if total else 0.0
        results[key] = {
            "value": round(share, 4),
            "good": good,
            "of": len(total),
            "bar": BARS[key],
            "met": share >= BARS[key],
        }
    if args.json:
        print(json.dumps({"calls": len(paths), **results}, indent=2))
        return

    n_bullets = sum(len(b) for b in bullets.values())
    stating = len({(o.call, o.bullet) for o in outcomes})
    print(f"data: {data}: first {len(paths)} of {len(list((data / 'calls').glob('*.txt')))} calls")
    print(
        f"analyzed in {seconds:.1f} s ({WORKERS} workers); {sum(len(c.figures) for c in calls.values())} "
        f"call figures; {n_bullets} bullets, {stating} with a figure that has a unit; "
        f"{len(outcomes)} bullet figures"
    )
    meaning = {
        "recall": "bullet figures the call writes, found among its figures",
        "metric": "found, metric not 'other': call figure has the same metric",
        "guidance": "found, from guidance bullets: call figure has kind guidance",
        "ranges": "found ranges the call writes: call figure is a range, both ends agreeing",
    }
    for key, r in results.items():
        bar = f"bar >= {r['bar']:.2f}: {'met' if r['met'] else 'NOT met'}"
        print(f"{key:<9} {r['value']:.3f} ({r['good']:>4}/{r['of']:<4}) {bar:<22} {meaning[key]}")
    share = len(found) / len(outcomes)
    print(f"recall, all: {share:.3f} ({len(found)}/{len(outcomes)}): of every bullet figure")

    for key, failed in failures.items():
        if not failed or args.examples <= 0:
            continue
        print()
        shown = f"first {min(args.examples, len(failed))}"
        print(f"--- {key} failures: {len(failed)} ({shown})")
        for o in failed[: args.examples]:
            print(f"[{o.call}] {o.bullet}")
            print(f"    bullet figure: {describe(o.figure)}")
            if o.chosen is None:
                line = written_in(calls[o.call], o.figure)
                print(f"    written in the call: {'no' if line is None else line[:300]}")
                continue
            sentence = calls[o.call].sentences.get(o.chosen.sentence, "?")
            print(f"    call figure:   {describe(o.chosen)}")
            print(f"    call sentence: {sentence[:300]}")


if __name__ == "__main__":
    main()
