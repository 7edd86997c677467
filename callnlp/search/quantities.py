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
        "SELECT f.call_id, f.sentence, f.unit, f.value, f.low, f.high, f.text, s.lang FROM figures f "
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
        ends = _ends(f)
        if ends is None:
            continue
        found = []
        for unit, factor in _units(f):
            found += store.rows(sql, {**params, "unit": unit, **_band(*ends, factor)})
        if len(found) > MAX_FOUND:
            continue
        hits = [r for r in found if statement(f, r["unit"], r["value"], r["low"], r["high"], r["text"])]
        called = {row["call_id"] for row in hits}
        said = {(row["call_id"], row["sentence"]) for row in hits if row["sentence"] is not None}
        for cid in called:
            by_call[cid] += idf(calls, len(called))
        for key in said:
            by_sentence[key] += idf(sentences, len(said))
        for row in hits:
            texts[row["call_id"]].append(row["text"])
            langs[row["call_id"], row["sentence"]] = row["lang"]
    return Matches(dict(by_call), dict(by_sentence), dict(texts), langs)


def statement(
    query: Figure,
    unit: str | None,
    value: float | None,
    low: float | None,
    high: float | None,
    text: str | None,
) -> tuple[float, float] | None:
    """(factor, tolerance) when a stored figure (its unit, value or range, and text) states
    the query's amount as amount search reads it, else None: `factor` puts the query's
    value in the stored unit, `tolerance` is the step of the less precise of the two.

    Example:
        >>> from callnlp.figures import FigureExtractor
        >>> q = FigureExtractor()("$1.8 billion")[0]
        >>> statement(q, "USD", 1.82e9, None, None, "$1.82 billion")
        (1.0, 100000000.0)
    """
    ends = _ends(query)
    factor = next((x for u, x in _units(query) if u == unit), None)
    if ends is None or factor is None:
        return None
    band = _band(*ends, factor)
    if value is not None:
        inside = band["lo"] <= value <= band["hi"]
    else:
        inside = (
            low is not None and high is not None and band["floor"] <= low <= band["hi"] and high >= band["lo"]
        )
    if not inside:
        return None
    tolerance = max(
        _precision(query.text, query.value, query.low) * factor, _precision(text or "", value, low)
    )
    return (factor, tolerance) if _agree(query, factor, value, low, high, tolerance) else None


def idf(total: int, holding: int) -> float:
    """BM25's inverse document frequency of something `holding` of `total` documents hold."""
    total = max(total, holding)  # a total that is an estimate (PostgreSQL's) may lag
    return math.log(1 + (total - holding + 0.5) / (holding + 0.5))


def _ends(f: Figure) -> tuple[float, float] | None:
    """The amount a figure states as (low, high), the same twice for a single value."""
    low, high = (f.value, f.value) if f.value is not None else (f.low, f.high)
    return None if f.unit is None or low is None or high is None else (low, high)


def _units(f: Figure) -> list[tuple[str, float]]:
    """The units a figure's amount may be stored in, with the factor into each."""
    return [(f.unit.value, 1.0), *_convertible().get(f.unit.value, [])] if f.unit else []


def _band(low: float, high: float, factor: float) -> dict[str, float]:
    """The values fetched for an amount: within `BAND` of it; a range's low end from
    `SPAN` times below it (`floor`)."""
    lo, hi = sorted((low * factor, high * factor))
    band = {"lo": lo - abs(lo) * BAND, "hi": hi + abs(hi) * BAND}
    band["floor"] = band["lo"] / SPAN if lo > 0 else band["lo"] * SPAN
    return band


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


def _precision(written: str, value: float | None, low: float | None) -> float:
    """The step of the last digit an amount was written with: `$1.8 billion` is precise to
    0.1e9 (of its value, or of its range's low end)."""
    value = value if value is not None else low
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
