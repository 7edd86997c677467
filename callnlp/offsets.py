"""A map from offsets in a normalized text back to the original text.

Normalization edits text (drops pinyin annotations and tags, expands `…`, converts
characters); every later stage works on the normalized text but reports offsets into the
original. The map is a list of anchors, pairs of (normalized, original) offsets that
correspond. Between two anchors whose distances are equal, each normalized character stands
for one original character; elsewhere the stretch stands for an edit whose lengths differ,
and any offset inside it maps to the edges of the original span it replaced.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import repeat
from operator import add

Edit = tuple[int, int, str]
"""(start, end, replacement) on the text an edit pass reads."""


@dataclass(frozen=True)
class OffsetMap:
    """Normalized offset -> original offset.

    Example:
        >>> text, omap = OffsetMap.edit("領(lǐng)域很大", [(1, 7, "")])
        >>> text, omap.span(0, 2)
        ('領域很大', (0, 8))
    """

    norm: tuple[int, ...]
    orig: tuple[int, ...]

    @classmethod
    def identity(cls, length: int) -> OffsetMap:
        """The map of a text of `length` characters that was not changed."""
        return cls((0, length), (0, length))

    @property
    def length(self) -> int:
        """Length of the normalized text."""
        return self.norm[-1]

    def start(self, pos: int) -> int:
        """The original offset where a span starting at normalized `pos` starts."""
        k = min(bisect.bisect_right(self.norm, pos), len(self.norm) - 1) - 1
        n0, o0 = self.norm[k], self.orig[k]
        if self.norm[k + 1] - n0 == self.orig[k + 1] - o0:
            return o0 + pos - n0
        return o0

    def end(self, pos: int) -> int:
        """The original offset where a span ending at normalized `pos` ends."""
        k = bisect.bisect_left(self.norm, pos) - 1
        if k < 0:
            return self.orig[0]
        n0, o0 = self.norm[k], self.orig[k]
        if self.norm[k + 1] - n0 == self.orig[k + 1] - o0:
            return o0 + pos - n0
        return self.orig[k + 1]

    def starts(self, positions: list[int]) -> list[int]:
        """`start` of many ascending positions at once (one pass, C-level per segment)."""
        return self._many(positions, bisect.bisect_left, False)

    def ends(self, positions: list[int]) -> list[int]:
        """`end` of many ascending positions at once."""
        return self._many(positions, bisect.bisect_right, True)

    def _many(self, positions: list[int], cut, is_end: bool) -> list[int]:
        norm, orig = self.norm, self.orig
        if not positions or (len(norm) == 2 and norm[1] == orig[1]):
            return positions
        out: list[int] = []
        lo = 0
        last = len(norm) - 2
        if is_end:
            lo = bisect.bisect_right(positions, norm[0])
            out.extend(repeat(orig[0], lo))
        first = positions[lo] if lo < len(positions) else 0
        k = min(max((bisect.bisect_left if is_end else bisect.bisect_right)(norm, first) - 1, 0), last)
        while lo < len(positions) and k <= last:
            hi = len(positions) if k == last else cut(positions, norm[k + 1], lo)
            if hi > lo:
                n0, o0 = norm[k], orig[k]
                if norm[k + 1] - n0 == orig[k + 1] - o0:
                    out.extend(map(add, positions[lo:hi], repeat(o0 - n0)))
                else:
                    out.extend(repeat(orig[k + 1] if is_end else o0, hi - lo))
                lo = hi
            k += 1
        return out

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the normalized span [start, end)."""
        ostart = self.start(start)
        return ostart, max(self.end(end), ostart)

    @classmethod
    def edit(cls, text: str, edits: Iterable[Edit]) -> tuple[str, OffsetMap]:
        """Apply sorted, non-overlapping edits to an original `text`.

        Edits that keep the length are taken as character-for-character substitutions.

        Returns:
            The edited text and its map back to `text`.
        """
        pieces: list[str] = []
        norm: list[int] = [0]
        orig: list[int] = [0]
        pos = shift = 0
        for start, end, new in edits:
            pieces.append(text[pos:start])
            pieces.append(new)
            pos = end
            if len(new) == end - start:
                continue
            if start > orig[-1]:
                norm.append(start + shift)
                orig.append(start)
            shift += len(new) - (end - start)
            norm.append(end + shift)
            orig.append(end)
        pieces.append(text[pos:])
        if orig[-1] < len(text) or len(norm) == 1:
            norm.append(len(text) + shift)
            orig.append(len(text))
        return "".join(pieces), cls(tuple(norm), tuple(orig))
