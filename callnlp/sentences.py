"""Sentence splitting for Chinese, English and text that mixes them.

Works on normalized text (half-width punctuation: `。` stays, `！？；` have become `!?;`).
A line break ends a sentence unless it only wraps an English line. `。!?` end a sentence;
`;` and `...` do when they sit in Chinese; `.` does unless it is a decimal point, an
abbreviation's, or followed by a lowercase word. Closing quotes and brackets after the stop
belong to the sentence.
"""

from __future__ import annotations

import re
from functools import cache

from callnlp.normalize import HAN_CHAR
from callnlp.resources import lines

MAX_CHARS = 1000
"""A longer run without a stop (a table, a page of noise) is cut at a comma or space."""

_CLOSE = "\"')\\]」』》〉】"
_STOP = re.compile(rf"(?:[。!?]+|\.{{2,}}|[.;])[{_CLOSE}]*")
_WORD_BEFORE = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]?\.?$|[A-Za-z]+\.$")
_NEXT_WORD = re.compile(r"\s*([A-Za-z]+)")
# "a." "3." "iv." opening a line number a list item: their period ends nothing.
_LIST_MARKER = re.compile(r"\s*(?:[A-Za-z]|\d{1,2}|[ivxIVX]{1,4})")
_SOFT_BREAK = re.compile(r"[,,、:]\s*|\s+")


@cache
def _abbreviations() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    kinds: dict[str, set[str]] = {"title": set(), "name": set(), "opener": set()}
    for word, kind in lines("abbreviations.tsv"):
        kinds[kind].add(word.lower() if kind != "opener" else word)
    return frozenset(kinds["title"]), frozenset(kinds["name"]), frozenset(kinds["opener"])


def split_sentences(text: str, max_chars: int = MAX_CHARS) -> list[tuple[int, int]]:
    """Split text into sentences.

    Args:
        text: normalized text (see `callnlp.normalize`).
        max_chars: longest sentence; a longer one is cut at its last comma or space.

    Returns:
        (start, end) spans into `text`, in order, without surrounding whitespace.

    Example:
        >>> t = "营收为9.816亿美元。We beat the U.S. consensus. Next, approx. 5% growth."
        >>> [t[s:e] for s, e in split_sentences(t)]
        ['营收为9.816亿美元。', 'We beat the U.S. consensus.', 'Next, approx. 5% growth.']
    """
    spans: list[tuple[int, int]] = []
    for start, end in _paragraphs(text):
        begin = start
        for m in _STOP.finditer(text, start, end):
            if _is_boundary(text, m, end) and not _LIST_MARKER.fullmatch(text, begin, m.start()):
                _emit(text, begin, m.end(), spans, max_chars)
                begin = m.end()
        _emit(text, begin, end, spans, max_chars)
    return spans


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """Line spans, joining an English line that wraps onto a line starting in lowercase."""
    spans = []
    start = 0
    for m in re.finditer(r"\n", text):
        nxt = text[m.end() : m.end() + 1]
        prev = text[m.start() - 1 : m.start()]
        if nxt.islower() and nxt.isascii() and (prev.isascii() and (prev.isalnum() or prev == ",")):
            continue
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return spans


def _is_boundary(text: str, m: re.Match[str], end: int) -> bool:
    stop = m.group().rstrip(_CLOSE)
    after = text[m.end() : m.end() + 1]
    if stop[0] in "。":
        return True
    if stop[0] in "!?":
        # "?" glued to letters or digits is mojibake or a URL, not a question mark.
        return not (after.isascii() and after.isalnum())
    nxt = _next_char(text, m.end(), end)
    if stop == ";":
        return bool(HAN_CHAR.match(text[m.start() - 1 : m.start()]) or HAN_CHAR.match(nxt))
    if len(stop) >= 2:  # an ellipsis
        return not nxt or bool(HAN_CHAR.match(nxt)) or (nxt.isupper() and after.isspace())
    return _period_ends(text, m.start(), m.end(), after, nxt)


def _period_ends(text: str, dot: int, stop_end: int, after: str, nxt: str) -> bool:
    before = text[dot - 1 : dot]
    if before.isdigit() and after.isdigit():
        return False  # 9.816
    if not nxt or HAN_CHAR.match(nxt):
        return True
    if after.isalnum() or after in ",;:-" or nxt.islower() or nxt in ",;:":
        return False  # U.S-based, e.g., www.x.com, "approx. five"
    word = _WORD_BEFORE.search(text, max(0, dot - 12), dot + 1)
    if word is None:
        return True
    titles, names, openers = _abbreviations()
    token = word.group().lower()
    if token in titles:
        return False
    initial = len(token) == 2 and text[dot - 1].isupper() and (dot < 2 or text[dot - 2] in " (\n")
    if token in names or initial:
        # "Acme Inc. We expect" ends here, "Acme Inc. shares" or "J. Smith" does not.
        following = _NEXT_WORD.match(text, stop_end)
        return bool(following and following.group(1) in openers and len(token) > 2)
    return True


def _next_char(text: str, pos: int, end: int) -> str:
    while pos < end and text[pos].isspace():
        pos += 1
    return text[pos] if pos < end else ""


def _emit(text: str, start: int, end: int, spans: list[tuple[int, int]], max_chars: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    while end - start > max_chars:
        cut = start + max_chars
        soft = None
        for m in _SOFT_BREAK.finditer(text, start + max_chars // 2, cut):
            soft = m
        cut = soft.end() if soft else cut
        _emit(text, start, cut, spans, max_chars)
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        spans.append((start, end))
