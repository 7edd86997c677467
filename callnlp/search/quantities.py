"""Amounts in a query matched against stored figures by value, in any scale or language.

`$1.82 billion`, `18.2亿美元` and `1,820 million dollars` are one value (1.82e9 USD) once
the figure parser has read them, so a query's amounts are looked up in the figures table
by unit and value, not as words. Two values match within the rounding of the less precise
one (`$1.8 billion` matches a stored 1.82e9); a range matches a range it overlaps, a value
inside it, or a value at either end. A match is weighted like a rare word: by how few of
the store's calls hold it.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from typing import Any

from callnlp.record import Figure, Unit
from callnlp.store import EventStore

BAND = 0.05
"""Stored values within 5% of a query's are fetched, and then checked for rounding."""
SPAN = 10.0
"""A stored range is found when its low end is at most this many times below the value
looked for (`$50 million to $2 billion` is no statement of $1 billion)."""
MAX_FOUND = 2000
"""An amount stated in more sentences than this (`10%`, `$1 million`) is too common to
tell calls apart, and is left out rather than read in full."""
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass(frozen=True)
class Matches:
    """Which stored figures a query's amounts matched.

    Attributes:
        calls: call id -> the summed weight of the query's amounts the call states.
        sentences: (call id, sentence) -> the summed weight of those its sentence states.
        texts: call id -> the stored figures' texts that matched, as written.
        langs: (call id, sentence) -> the sentence's language.
    """

    calls: dict[str, float]
    sentences: dict[tuple[str, int], float]
    texts: dict[str, list[str]]
    langs: dict[tuple[str, int], str | None]


def match_figures(
    store: EventStore, figures: tuple[Figure, ...], filters: dict[str, Any], sentences: int
) -> Matches:
    """The stored figures, in sentences the filters pass, that match the query's `figures`.

    An amount weighs what a word held by as many calls (for a call's score) or sentences
    (for a sentence's) would: log(1 + (N - n + 0.5) / (n + 0.5)), BM25's inverse document
    frequency.

    Args:
        store: the store.
        figures: the query's amounts (`Query.figures`).
        filters: search filters, as `EventStore.filtered` takes them.
        sentences: how many sentences the store holds.
    """
    if not any(f.unit for f in figures):
        return Matches({}, {}, {}, {})
    calls = store.call_count()
    by_call: dict[str, float] = defaultdict(float)
    by_sentence: dict[tuple[str, int], float] = defaultdict(float)
    texts: dict[str, list[str]] = defaultdict(list)
    langs: dict[tuple[str, int], str | None] = {}
    select = (
        "SELECT f.call_id, f.sentence, f.value, f.low, f.high, f.text, s.lang FROM figures f "
        'JOIN sentences s ON s.call_id = f.call_id AND s."index" = f.sentence'
    )
    # both halves walk an index on (unit, value) or (unit, low), not every figure of a unit
    values, params = store.filtered(select, filters, "f.unit = :unit AND f.value BETWEEN :lo AND :hi")
    ranges, _ = store.filtered(
        select,
        filters,
        "f.unit = :unit AND f.low BETWEEN :floor AND :hi AND f.high >= :lo AND f.value IS NULL",
    )
    sql = f"{values} UNION ALL {ranges} LIMIT {MAX_FOUND + 1}"
    for f in figures:
        if f.unit is None:
            continue
        low, high = (f.value, f.value) if f.value is not None else (f.low, f.high)
        if low is None or high is None:
            continue
        found = []
        for unit, factor in [(f.unit.value, 1.0), *_convertible().get(f.unit.value, [])]:
            lo, hi = sorted((low * factor, high * factor))
            band = {"unit": unit, "lo": lo - abs(lo) * BAND, "hi": hi + abs(hi) * BAND}
            band["floor"] = band["lo"] / SPAN if lo > 0 else band["lo"] * SPAN
            found += [(row, factor) for row in store.rows(sql, {**params, **band})]
        if len(found) > MAX_FOUND:
            continue
        precision = _precision(f)
        hits = [
            row
            for row, factor in found
            if _agree(
                f, factor, row["value"], row["low"], row["high"], max(precision * factor, _precision_of(row))
            )
        ]
        called = {row["call_id"] for row in hits}
        said = {(row["call_id"], row["sentence"]) for row in hits if row["sentence"] is not None}
        for cid in called:
            by_call[cid] += _idf(calls, len(called))
        for key in said:
            by_sentence[key] += _idf(sentences, len(said))
        for row in hits:
            texts[row["call_id"]].append(row["text"])
            langs[row["call_id"], row["sentence"]] = row["lang"]
    return Matches(dict(by_call), dict(by_sentence), dict(texts), langs)


def _idf(total: int, holding: int) -> float:
    total = max(total, holding)  # a total that is an estimate (PostgreSQL's) may lag
    return math.log(1 + (total - holding + 0.5) / (holding + 0.5))


@cache
def _convertible() -> dict[str, list[tuple[str, float]]]:
    """Units whose values may be stated in another: (other unit, factor) by unit. 1 pp is
    100 bp; an amount per share is often read without its `per share` (`$34.3 million or
    $0.50 per diluted share`), and the other way round."""
    same = {Unit.BP.value: [(Unit.PP.value, 0.01)], Unit.PP.value: [(Unit.BP.value, 100.0)]}
    for unit in Unit:
        if unit.value.endswith("_per_share"):
            same[unit.value] = [(unit.value.removesuffix("_per_share"), 1.0)]
            same[unit.value.removesuffix("_per_share")] = [(unit.value, 1.0)]
    return same


def _agree(f: Figure, factor: float, value, low, high, tolerance: float) -> bool:
    def near(a: float, b: float) -> bool:
        return abs(a - b) <= tolerance / 2 + 1e-9 * max(abs(a), abs(b))

    if value is None and abs(high) >= SPAN * abs(low):
        return False  # a vague amount (数十亿, tens of millions) states no amount to match
    if f.value is not None:
        v = f.value * factor
        return near(v, value) if value is not None else low - tolerance / 2 <= v <= high + tolerance / 2
    lo, hi = sorted((f.low * factor, f.high * factor))
    if value is not None:  # a stored value at either end of the query's range
        return near(lo, value) or near(hi, value)
    return lo <= high + tolerance / 2 and low <= hi + tolerance / 2


def _precision(f: Figure) -> float:
    """The step of the last digit the query wrote: `$1.8 billion` is precise to 0.1e9."""
    return _step(f.text, f.value if f.value is not None else f.low)


def _precision_of(row) -> float:
    return _step(row["text"] or "", row["value"] if row["value"] is not None else row["low"])


def _step(written: str, value: float | None) -> float:
    m = _NUMBER.search(written)
    if m is None or value is None:
        return 0.0
    digits = m.group().replace(",", "")
    try:
        shown = float(digits)
    except ValueError:
        return 0.0
    if shown == 0:
        return 0.0
    decimals = len(digits.partition(".")[2])
    return abs(value / shown) * 10.0**-decimals
