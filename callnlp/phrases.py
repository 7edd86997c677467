"""Finding the set phrases of a models/ file in text, in either language.

A phrase is written once, in its plainest form, and matches the ways calls say it:

- white space is collapsed (and dropped next to a Han character, where a space or a line
  break only wraps the text), and English contractions are spelled out on both sides
  (don't -> do not, we're -> we are, can't -> can not), so `don’t`, `do  not` and `DON'T`
  read alike (curly quotes are straightened by `callnlp.normalize`, which every sentence
  has been through);
- `…` is a short gap (`raise … guidance` matches `raising our full-year guidance`,
  `不对…作指引` matches `不对季度收入作指引`) that never crosses the end of a sentence, so
  one row covers the objects a verb takes without listing them;
- English phrases match whole words, in any case, a final plural `s` allowed; with
  `inflect`, every English word of a phrase also matches its inflections (`raise`: raises,
  raised, raising; `cut`: cutting), for lists written as verb families.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Hashable, Iterable, Sequence
from functools import cached_property
from itertools import accumulate, chain
from typing import NamedTuple

from callnlp.normalize import HAN, HAN_CHAR
from callnlp.offsets import OffsetMap
from callnlp.units import trie_pattern

GAP = "…"
EN_GAP_WORDS = 4
"""Words a gap may hold in English: a verb's object with its modifiers (`our full-year
revenue`), not the next clause."""
ZH_GAP_CHARS = 12
"""Characters a gap may hold in Chinese, about as much text as four English words."""
_EN_GAP = rf"(?: [^\s.!?;。]+){{0,{EN_GAP_WORDS}}} "
_ZH_GAP = rf"[^.!?;。\n]{{0,{ZH_GAP_CHARS}}}?"

# `'s` is `is` only after these pronouns; elsewhere it is a possessive. `'d` is read as
# `would` (`we'd rather not`).
_WHOLE = {
    "won't": "will not",
    "can't": "can not",
    "cannot": "can not",
    "shan't": "shall not",
    "let's": "let us",
}
_SUFFIX = {"n't": " not", "'re": " are", "'ve": " have", "'ll": " will", "'m": " am", "'d": " would"}
_CANONICAL = re.compile(
    # a single plain space changes only next to a Han character; any other white space does
    rf"(?P<space>\s{{2,}}|[^\S ]|(?<=[{HAN}]) | (?=[{HAN}]))"
    rf"|(?<![A-Za-z'])(?P<whole>(?i:{'|'.join(_WHOLE)}))(?![A-Za-z])"
    r"|(?<![A-Za-z'])(?i:it|that|there|here|what|who)(?P<copula>'s)(?![A-Za-z])"
    rf"|(?<=[A-Za-z])(?P<suffix>(?i:{'|'.join(_SUFFIX)}))(?![A-Za-z])"
)
_SPELLED = re.compile(r"'|\s\s|[^\S ]|cannot", re.I)
"""What `spell_out` changes in a text without Han characters: most sentences hold none."""
_EN_WORDS = re.compile("[a-z]+")
_HAN_GAP = re.compile(rf"[{HAN}]\s+[{HAN}]")
_EN_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_SHORT = 2
"""With `inflect`, English words of this length or less match as written (`we`, `to`):
their inflections would be other words."""


class Match(NamedTuple):
    """One phrase found: the label of its row, and where it is in the text searched."""

    label: Hashable
    start: int
    end: int


def spell_out(text: str) -> tuple[str, OffsetMap]:
    """`text` with white space collapsed and contractions spelled out, and the map of its
    offsets back into `text`.

    Example:
        >>> spell_out("We don't\\n guide")[0]
        'We do not guide'
    """
    if not _SPELLED.search(text) and not (" " in text and HAN_CHAR.search(text)):
        return text, OffsetMap.identity(len(text))
    edits = []
    for m in _CANONICAL.finditer(text):
        if m.group("space") is not None:
            s, e = m.span()
            han = HAN_CHAR.match(text, s - 1) if s else None
            new = "" if han or HAN_CHAR.match(text, e) else " "
        elif m.group("whole") is not None:
            s, e, new = *m.span(), _WHOLE[m.group().lower()]
        elif m.group("copula") is not None:
            s, e, new = *m.span("copula"), " is"
        else:
            s, e, new = *m.span(), _SUFFIX[m.group().lower()]
        if text[s:e] != new:
            edits.append((s, e, new))
    return OffsetMap.edit(text, edits)


class PhraseMatcher:
    """Finds labelled phrases in text; where phrases overlap, the longest row wins.

    Args:
        rows: (phrase, label) pairs, e.g. the rows of a models/ file; a label is any value
            (an event name, a category with its weight).
        inflect: English words also match their inflections.

    Example:
        >>> find = PhraseMatcher([("raise … guidance", "raised"), ("不对…作指引", "declines")], inflect=True)
        >>> find("We're raising our full-year guidance.")
        [Match(label='raised', start=6, end=36)]
        >>> find("我们不对季度收入作指引。")
        [Match(label='declines', start=2, end=11)]
    """

    def __init__(self, rows: Iterable[tuple[str, Hashable]], *, inflect: bool = False) -> None:
        # One regex per row, tried only on texts holding its anchor: an alternation of a few
        # hundred phrases costs Python's regex engine every branch at every position, which
        # made scanning each sentence of a call cost more than analyzing it. Each is compiled
        # the first time its anchor is met: most rows never are in one call, and compiling
        # them all took a tenth of the time of analyzing a short call.
        ordered = sorted(rows, key=lambda row: -len(row[0]))
        self.inflect = inflect
        self._patterns = _Compiled(re.IGNORECASE)
        self._words: dict[str, list[_Row]] = {}  # English rows by their longest word
        self._stems: dict[str, list[_Row]] = {}  # English rows by the stem of that word
        self._han: dict[str, dict[str, list[_Row]]] = {}  # Chinese rows by the first character
        # of their longest part, then by that part
        for rank, (phrase, label) in enumerate(ordered):
            row = _Row(rank, phrase_pattern(phrase, inflect), label)
            words = spell_out(phrase)[0].lower().replace(GAP, " ").split()
            longest = max(words, key=len, default="")
            if HAN_CHAR.search(phrase):
                self._han.setdefault(longest[0], {}).setdefault(longest, []).append(row)
            elif inflect:  # an inflection keeps all but the last letter (raise: raising)
                self._stems.setdefault(longest[:-1] if len(longest) > _SHORT else longest, []).append(row)
            else:  # as written, or with the final plural s a phrase allows
                for word in (longest, f"{longest}s"):
                    self._words.setdefault(word, []).append(row)
        # where a Chinese anchor may start: one scan at C speed finds the few places to look
        self._han_first = re.compile(f"[{re.escape(''.join(self._han))}]" if self._han else "(?!)")

    def __call__(self, text: str) -> list[Match]:
        """Every phrase found in `text`, offsets into `text`."""
        if not self.might_match(text):
            return []
        spelled, back = spell_out(text)
        return [Match(m.label, *back.span(m.start, m.end)) for m in self.scan(spelled)]

    def each(self, texts: Sequence[str]) -> list[list[Match]]:
        """`[self(text) for text in texts]`, for the sentences of a call: one scan of them
        all finds the few that may hold a phrase, which alone are read one by one (asking
        each sentence took two thirds of the time of finding events in a call).

        Example:
            >>> find = PhraseMatcher([("raise … guidance", "raised")], inflect=True)
            >>> find.each(["Revenue grew.", "We raised our guidance."])
            [[], [Match(label='raised', start=3, end=22)]]
        """
        lowered = [text.lower() for text in texts]
        starts = list(accumulate((len(text) + 1 for text in lowered), initial=0))
        joined = "\0".join(lowered)  # no anchor holds a NUL: no hit spans two texts
        # two scans: in one expression, the gap's leading Han class made the engine try
        # every anchor at every Han character (six times slower than both)
        hits = chain(self._anchors.finditer(joined), _HAN_GAP.finditer(joined))
        out: list[list[Match]] = [[] for _ in texts]
        for i in {bisect_right(starts, m.start()) - 1 for m in hits}:
            out[i] = self(texts[i])
        return out

    @cached_property
    def _anchors(self) -> re.Pattern[str]:
        """Finds, in lower-cased text, every place a phrase may start and some others (inside
        longer words): what `might_match` looks for, as one trie."""
        anchors = [*self._words, *self._stems, *(part for parts in self._han.values() for part in parts)]
        return re.compile(trie_pattern(anchors) or "(?!)")

    def scan(self, spelled: str) -> list[Match]:
        """The phrases of a text already through `spell_out`, offsets into it, in order."""
        rows = self._candidates(spelled.lower())
        found = sorted(
            (m.start(), row.rank, m.end(), row.label)
            for row in rows
            for m in self._patterns[row.pattern].finditer(spelled)
        )
        out: list[Match] = []
        for start, _, end, label in found:  # leftmost first, then the longest row
            if not out or start >= out[-1].end:
                out.append(Match(label, start, end))
        return out

    def might_match(self, text: str) -> bool:
        """Whether any phrase could be in `text`: False lets most sentences go before the
        costlier spelling out (unless white space between two Han characters, which
        spelling out removes, could hide a Chinese phrase)."""
        return bool(self._candidates(text.lower())) or _HAN_GAP.search(text) is not None

    def _candidates(self, lowered: str) -> list[_Row]:
        """The rows whose anchor the lower-cased text holds."""
        words = self._words.keys() & _EN_WORDS.findall(lowered)
        rows = [row for word in words for row in self._words[word]]
        rows += [row for stem, found in self._stems.items() if stem in lowered for row in found]
        parts = {
            part
            for m in self._han_first.finditer(lowered)
            for part in self._han[m.group()]
            if lowered.startswith(part, m.start())
        }
        for part in parts:
            rows += self._han[part[0]][part]
        return rows


class _Row(NamedTuple):
    rank: int  # rows sorted longest phrase first
    pattern: str
    label: Hashable


class _Compiled(dict[str, re.Pattern[str]]):
    """Regular expressions by their source, each compiled when first asked for (the re
    module's own cache holds only 512 and would be churned by a few lexicons)."""

    def __init__(self, flags: int) -> None:
        super().__init__()
        self.flags = flags

    def __missing__(self, pattern: str) -> re.Pattern[str]:
        compiled = self[pattern] = re.compile(pattern, self.flags)
        return compiled


def phrase_pattern(phrase: str, inflect: bool = False) -> str:
    """The regular expression of one phrase, for text through `spell_out`.

    Example:
        >>> bool(re.fullmatch(phrase_pattern("we don't guide"), "We do not guide", re.I))
        True
    """
    parts = [spell_out(part)[0].strip() for part in phrase.split(GAP)]
    if not all(_EN_WORD.fullmatch(w) for part in parts for w in part.split()):
        return _ZH_GAP.join(map(re.escape, parts))
    word = _inflected if inflect else re.escape
    body = _EN_GAP.join("[ -]".join(map(word, part.split())) for part in parts)
    return rf"(?<![A-Za-z0-9]){body}s?(?![A-Za-z0-9])"


def _inflected(word: str) -> str:
    lower = word.lower()
    if len(lower) <= _SHORT or not lower.isalpha():
        return re.escape(lower)
    if lower.endswith("e"):
        return re.escape(lower[:-1]) + "(?:e|es|ed|ing)"
    if lower.endswith("y") and lower[-2] not in "aeiou":
        return re.escape(lower[:-1]) + "(?:y|ies|ied|ying)"
    last = re.escape(lower[-1])
    return re.escape(lower) + f"(?:s|es|ed|ing|{last}ed|{last}ing)?"
