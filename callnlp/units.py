"""Currencies, scales and measure words in both languages, and the regular-expression pieces
built from them. The tokenizer (to keep quantities whole) and the figure extractor (to
read their values) share these, so both always agree on what a quantity is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from callnlp.record import Unit

CURRENCY_PREFIX = {
    "US$": Unit.USD, "HK$": Unit.HKD, "RMB": Unit.CNY, "USD": Unit.USD, "CNY": Unit.CNY,
    "HKD": Unit.HKD, "EUR": Unit.EUR, "GBP": Unit.GBP, "JPY": Unit.JPY, "人民币": Unit.CNY,
    "$": Unit.USD, "€": Unit.EUR, "£": Unit.GBP, "¥": Unit.CNY,
}  # fmt: skip
CURRENCY_SUFFIX = {
    "美元": Unit.USD, "美金": Unit.USD, "元人民币": Unit.CNY, "人民币": Unit.CNY, "元": Unit.CNY,
    "港元": Unit.HKD, "港币": Unit.HKD, "欧元": Unit.EUR, "英镑": Unit.GBP, "日元": Unit.JPY,
}  # fmt: skip
SCALE_ZH = {
    "万亿": 1e12, "千亿": 1e11, "百亿": 1e10, "十亿": 1e9, "亿": 1e8, "千万": 1e7, "百万": 1e6,
    "十万": 1e5, "万": 1e4, "千": 1e3,
}  # fmt: skip
SCALE_EN = {
    "trillion": 1e12, "tn": 1e12, "billion": 1e9, "bn": 1e9, "b": 1e9, "million": 1e6,
    "mn": 1e6, "mm": 1e6, "m": 1e6, "thousand": 1e3, "k": 1e3,
}  # fmt: skip
MEASURE_ZH = {
    "%": Unit.PERCENT, "个百分点": Unit.PP, "百分点": Unit.PP, "个基点": Unit.BP, "基点": Unit.BP,
    "倍": Unit.MULTIPLE, "兆瓦时": Unit.MWH, "兆瓦": Unit.MW, "吉瓦时": Unit.GWH, "吉瓦": Unit.GW,
}  # fmt: skip
MEASURE_EN = {
    "percentage points": Unit.PP, "percentage point": Unit.PP, "per cent": Unit.PERCENT,
    "percent": Unit.PERCENT, "basis points": Unit.BP, "basis point": Unit.BP, "bps": Unit.BP,
    "bp": Unit.BP, "pp": Unit.PP, "pts": Unit.PP, "times": Unit.MULTIPLE, "x": Unit.MULTIPLE,
    "MWh": Unit.MWH, "GWh": Unit.GWH, "MW": Unit.MW, "GW": Unit.GW,
}  # fmt: skip
PER_SHARE = {
    Unit.USD: Unit.USD_PER_SHARE, Unit.CNY: Unit.CNY_PER_SHARE, Unit.HKD: Unit.HKD_PER_SHARE,
    Unit.EUR: Unit.EUR_PER_SHARE, Unit.GBP: Unit.GBP_PER_SHARE, Unit.JPY: Unit.JPY_PER_SHARE,
}  # fmt: skip


def trie_pattern(words: list[str]) -> str:
    """A regex matching any of `words`, built as a trie ("收入|收入待确认金额" ->
    "收入(?:待确认金额)?"): Python's regex engine tries plain alternatives one by one at
    every position, a trie only the branches that fit.

    Example:
        >>> trie_pattern(["收入", "收入待确认金额", "营收"])
        '(?:收入(?:待确认金额)?|营收)'
    """
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _trie_regex(trie)


def keywords(words: str | Iterable[str], whole: str | Iterable[str] = (), boundary: str = r"\w") -> str:
    """A regex matching any of `words` anywhere, or of `whole` as whole words (no `boundary`
    character either side), in any case (compile it without re.IGNORECASE). A string is
    read as words between `|`.

    Every branch opens with one literal character, each case of a first letter a branch of
    its own, and folds case only after it: Python's regex engine then scans for those
    characters and skips a branch on its first character. Led by a lookahead, or under
    re.IGNORECASE with Latin letters, it tried a match at every position instead (thirty
    guidance words: 4.6 µs a sentence as an alternation, 1.5 µs as a lookahead-led trie,
    0.7 µs so).

    Example:
        >>> keywords("预计|预期|guide", whole=["from"])
        '(?:F(?<!\\\\w.)(?i:rom)(?!\\\\w)|f(?<!\\\\w.)(?i:rom)(?!\\\\w)|G(?i:uide)|g(?i:uide)|预(?i:(?:期|计)))'
    """
    words = words.split("|") if isinstance(words, str) else list(words)
    whole = whole.split("|") if isinstance(whole, str) else list(whole)
    anywhere: dict[str, list[str]] = {}
    bounded: dict[str, list[str]] = {}
    for found, group in ((words, anywhere), (whole, bounded)):
        for w in found:
            group.setdefault(w[0].lower(), []).append(w[1:])
    branches = []
    for first in sorted(anywhere.keys() | bounded.keys()):
        for case in sorted(_cases(first)):
            lead = re.escape(case)
            if first in bounded:
                branches.append(rf"{lead}(?<!{boundary}.)(?i:{trie_pattern(bounded[first])})(?!{boundary})")
            if first in anywhere:
                rest = trie_pattern(anywhere[first])
                branches.append(f"{lead}(?i:{rest})" if rest else lead)
    return "(?:" + "|".join(branches) + ")"


def _cases(ch: str) -> set[str]:
    return {ch} | {c for c in (ch.lower(), ch.upper()) if len(c) == 1}


def _trie_regex(node: dict) -> str:
    end = "" in node
    branches = [re.escape(ch) + _trie_regex(child) for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 and not end else "(?:" + "|".join(branches) + ")"
    if end:
        body = f"{body}?" if body.startswith("(?:") else f"(?:{body})?"
    return body


def alternation(words: object) -> str:
    """A regex alternation of `words`, longest first, escaped."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))  # type: ignore[arg-type]


CURRENCY_RE = rf"(?:{alternation(CURRENCY_PREFIX)})"
ZH_SCALE_RE = rf"(?:{alternation(SCALE_ZH)})"
ZH_UNIT_RE = rf"(?:{alternation(CURRENCY_SUFFIX)})"
ZH_MEASURE_RE = rf"(?:{alternation(k for k in MEASURE_ZH if k != '%')})"
# Single-letter scales (m, b, k) only touch the number: "5m", never "5 m". A word ends
# where no Latin letter or digit follows, not at \b: Han is a word character, and Chinese
# text runs straight on ("$5 million的收入").
_END = "(?![A-Za-z0-9])"
# In any case: news and slides write $10M, $1.2B, $500K, $3 Billion as often as 10m or 3 billion.
EN_SCALE_RE = (
    rf"(?i:\s?(?:{alternation(k for k in SCALE_EN if len(k) > 1)}){_END}|"
    rf"(?:{alternation(k for k in SCALE_EN if len(k) == 1)}){_END})"
)
EN_MEASURE_RE = (
    rf"(?:\s?(?:{alternation(k.replace(' ', '_') for k in MEASURE_EN if k != 'x')}){_END}|x{_END})".replace(
        "_", r"\s"
    )
)
ARABIC_RE = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
