"""Normalization: the clean, Simplified, half-width text every later stage analyzes.

All edits are found on the original text and applied in one pass, so the `OffsetMap` of
the result points straight back into the original: HTML tags and entities, inline pinyin
annotations (`領(lǐng)域` -> `領域`), NFKC (full-width to half-width, ideographic and
no-break spaces), curly quotes, zero-width and private-use characters, CR line ends, and
the single space of any kind that web text puts between Han and a number or a Latin word
("pangu" spacing: `营收仅 1600 万美元` -> `营收仅1600万美元`). Traditional -> Simplified
conversion (OpenCC t2s) is character for character and so does not move any offset.
"""

from __future__ import annotations

import bisect
import html
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, cached_property
from operator import itemgetter

from callnlp.offsets import Edit, OffsetMap
from callnlp.text import Source

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
# A syllable with a tone mark, or one of the neutral-tone particles that annotated pages
# spell without one (的(de), 们(men) ...). Plain words in brackets such as (MoE) or (GW)
# have no tone mark and stay.
_SYLLABLE = rf"(?:[a-zü]{{0,5}}[{_TONED}][a-zü]{{0,4}}|de|le|men|me|zi|zhe|ne|ma|ba|ge)"
_PINYIN = re.compile(rf"(?<=[{HAN}])[(（]\s?{_SYLLABLE}(?:\s{_SYLLABLE}){{0,3}}\s?[)）]")

# Characters that may change: everything but ASCII and the main Han blocks, plus CR.
_CANDIDATE = re.compile(r"[^\x00-\x0c\x0e-\x7f\u3400-\u4dbf\u4e00-\u9fff]")

_DROP = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}
_EXTRA = {
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u2028": "\n", "\u2029": "\n", "\x85": "\n",
    "\u2212": "-", "\u301c": "~",  # a typeset minus is a sign, a wave dash links a range
}  # fmt: skip

_HTML_DROP = re.compile(r"<(script|style|noscript|template)\b[^>]{0,500}>.*?</\1\s*>|<!--.*?-->", re.S | re.I)
_HTML_BLOCK = re.compile(
    r"</?(?:p|div|br|hr|li|ul|ol|tr|table|h[1-6]|section|article|header|footer|blockquote|pre|dt|dd)\b[^<>]{0,2000}>",
    re.I,
)
_HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9:-]{0,30}\b[^<>]{0,2000}>|<![^<>]{0,2000}>")
# Outside HTML pages only the inline tags that copy-paste leaves behind are removed, so
# text such as "a <b> c" or "x<y" in a plain transcript is never touched.
_INLINE_TAG = re.compile(r"</?(?:strong|b|i|em|u|span|font|sup|sub|a|br)(?:\s[^<>]{0,500})?/?>", re.I)
# Mojibake often eats the byte before an entity or a tag, leaving "?ldquo;" or "?/strong>".
_MANGLED = re.compile(
    r"\?(?:(ldquo|rdquo|lsquo|rsquo|quot|nbsp|hellip|mdash|ndash|amp);|/?(?:strong|em|span|p)>)"
)
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")


@dataclass(frozen=True)
class Document:
    """A normalized transcript and the way back to its original.

    Attributes:
        source: the original as loaded.
        text: the normalized text that is analyzed.
        offsets: normalized offset -> original offset.
        noise: how many unreadable characters (mojibake, private-use) were dropped.
    """

    source: Source
    text: str
    offsets: OffsetMap
    noise: int = 0

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the normalized span [start, end)."""
        return self.offsets.span(start, end)

    def line(self, start: int) -> int:
        """The 1-based original line of the normalized offset `start`."""
        return self.source.line(self.offsets.start(start))

    @cached_property
    def warnings(self) -> tuple[str, ...]:
        """What loading and normalization had to repair, each naming the file."""
        extra = ()
        if self.noise:
            extra = (f"{self.source.name}: {self.noise} unreadable character(s) (mojibake) were dropped",)
        return self.source.warnings + extra


def normalize(source: Source) -> Document:
    """Normalize a loaded transcript for analysis.

    Args:
        source: what `callnlp.text.load` returned.

    Returns:
        The `Document`, whose offsets map back into `source.text`.

    Example:
        >>> from callnlp.text import load
        >>> doc = normalize(load("營(yíng)收增長２０％，“不穩定”".encode()))
        >>> doc.text
        '营收增长20%,"不稳定"'
        >>> doc.source.text[slice(*doc.span(0, 2))]
        '營(yíng)收'
    """
    text = source.text
    edits = _markup_edits(text, source.is_html)
    edits += [(m.start(), m.end(), "") for m in _PINYIN.finditer(text)]
    noise = 0
    for m in _CANDIDATE.finditer(text):
        ch = m.group()
        new = _char(ch)
        if ch == "\r":
            new = "" if text.startswith("\n", m.end()) else "\n"
        if new != ch:
            if new == "" and ch not in _DROP and ch != "\r":
                noise += 1
            edits.append((m.start(), m.end(), new))
    edits = _resolve(edits)
    normalized, offsets = OffsetMap.edit(text, edits)
    unspaced = _unspaced(edits, normalized, offsets)
    if unspaced is not None:
        normalized, offsets = OffsetMap.edit(text, unspaced)
    return Document(source, _simplified(normalized), offsets, noise)


@cache
def _char(ch: str) -> str:
    if ch in _DROP or "\ue000" <= ch <= "\uf8ff" or ch == "\ufffd":
        return ""
    new = unicodedata.normalize("NFKC", ch)
    return "".join(_EXTRA.get(c, c) for c in new)


def _clean(text: str) -> str:
    return "".join(_char(c) if c > "\x7f" else c for c in text)


def _markup_edits(text: str, is_html: bool) -> list[Edit]:
    edits: list[Edit] = []
    if is_html:
        edits += [(m.start(), m.end(), "") for m in _HTML_DROP.finditer(text)]
        edits += [(m.start(), m.end(), "\n") for m in _HTML_BLOCK.finditer(text)]
        edits += [(m.start(), m.end(), "") for m in _HTML_TAG.finditer(text)]
    else:
        edits += [(m.start(), m.end(), "") for m in _INLINE_TAG.finditer(text)]
    for m in _MANGLED.finditer(text):
        entity = f"&{m.group(1)};" if m.group(1) else ""
        edits.append((m.start(), m.end(), _clean(html.unescape(entity))))
    for m in _ENTITY.finditer(text):
        new = html.unescape(m.group())
        if new != m.group():
            edits.append((m.start(), m.end(), _clean(new)))
    return edits


def _resolve(edits: list[Edit]) -> list[Edit]:
    """Sort edits and drop those inside an earlier, wider one (a quote inside a tag...)."""
    edits.sort(key=lambda e: (e[0], -e[1]))
    kept: list[Edit] = []
    end = 0
    for edit in edits:
        if edit[0] >= end:
            kept.append(edit)
            end = max(edit[1], edit[0] + 1)
    return kept


# One space between a Han character and a digit, `%` or Latin letter, in either order: the
# "pangu" spacing of Chinese web text, which splits `1600 万美元` into a number and a word
# for every later stage. Searched for once the other edits are made, when every kind of
# space is " " and digits are half-width; led by the space, which the engine scans for.
_PANGU = re.compile(rf" (?:(?<=[{HAN}] )(?=[0-9A-Za-z%])|(?<=[0-9A-Za-z%] )(?=[{HAN}]))")


def _unspaced(edits: list[Edit], normalized: str, offsets: OffsetMap) -> list[Edit] | None:
    """`edits` (sorted, on the original) plus the deletion of every pangu space, or None
    when `normalized` has none.

    A space of the normalized text is either an original space, deleted as it stands, or
    the whole output of one edit (a no-break or thin space, `&nbsp;`), which the deletion
    replaces. A space that is part of a longer replacement stays.
    """
    out = None
    # a transcript has a few gaps and a thousand edits: a bisect each, not a walk over all
    for m in _PANGU.finditer(normalized):
        start, end = offsets.span(m.start(), m.end())
        out = out or list(edits)
        i = bisect.bisect_left(edits, start, key=itemgetter(0))
        if i < len(edits) and edits[i][0] == start:
            if edits[i][1:] == (end, " "):
                out[i] = (start, end, "")
        elif end - start == 1:
            out.append((start, end, ""))
    if out is not None:
        out.sort()
    return out


HAN_CHAR = re.compile(f"[{HAN}]")
"""One Han character; the stages share it."""


@cache
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def _simplified(text: str) -> str:
    if not HAN_CHAR.search(text):
        return text
    convert = _converter().convert
    out = convert(text)
    if len(out) == len(text):
        return out
    # A phrase rule changed a length somewhere: convert that line character by character
    # so that no offset moves.
    lines = []
    for line in text.split("\n"):
        new = convert(line)
        lines.append(
            new if len(new) == len(line) else "".join(convert(c) if len(convert(c)) == 1 else c for c in line)
        )
    return "\n".join(lines)
