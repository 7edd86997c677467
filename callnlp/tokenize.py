"""The bilingual tokenizer.

Text is cut into script runs by one regular expression: quantities (`9.816亿美元`,
`$1.06 billion`, `50bps`, `23,876`), product and filing codes (`GB200`, `NVL72`, `10-Q`,
`Q1`), English words, Han runs and punctuation. Han runs are segmented by jieba's
dictionary and HMM through rjieba (the Rust jieba-rs), with the finance user dictionary in
models/userdict.txt, all the runs of a text in one call. Words of that dictionary that mix
scripts (`调整后EBITDA`) are joined after segmentation. `Tokenizer.parts` gives a long
text's tokens a part at a time, so they need not all be held at once.

Tokens are `NamedTuple`s rather than dataclasses: a transcript has tens of thousands of
them, and tuples are several times cheaper to make.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from enum import StrEnum
from functools import cache, cached_property, partial
from itertools import accumulate, pairwise
from operator import itemgetter
from typing import NamedTuple

from callnlp.collector import gc_paused
from callnlp.normalize import HAN, HAN_CHAR
from callnlp.offsets import OffsetMap
from callnlp.resources import lines
from callnlp.units import (
    ARABIC_RE,
    CURRENCY_RE,
    EN_MEASURE_RE,
    EN_SCALE_RE,
    ZH_MEASURE_RE,
    ZH_SCALE_RE,
    ZH_UNIT_RE,
)


class TokenKind(StrEnum):
    """What a token is."""

    WORD = "word"
    QUANTITY = "quantity"
    CODE = "code"
    PUNCT = "punct"


class Token(NamedTuple):
    """One token.

    Attributes:
        text: the normalized text of the token.
        start: start offset (into the original text when a map was given).
        end: end offset, exclusive.
        lang: "zh" or "en" for words in that script, None for numbers and punctuation.
        kind: word, quantity, code or punct.
    """

    text: str
    start: int
    end: int
    lang: str | None
    kind: TokenKind

    @property
    def quantity(self) -> bool:
        """Whether the token is an amount: a number with or without its unit."""
        return self.kind is TokenKind.QUANTITY


_NUMBER = rf"(?:(?<![A-Za-z0-9.])[-+])?(?:{ARABIC_RE})"

# Punctuation that jieba returns one character a token, so it can ride along in a Han run.
_ZH_PUNCT = "。、,;:!?\"'()《》〈〉「」『』【】…—·~"

_PATTERN = re.compile(
    rf"""
    (?P<filing>(?<![A-Za-z0-9])(?:
        \d{{1,2}}-[A-Z]{{1,2}}                                   # 10-Q 10-K 8-K
      | [1-4][QH]\d{{2}}(?:\d{{2}})?                             # 4Q24 1H2025
    )(?![A-Za-z0-9]))
  | (?P<quantity>(?:{CURRENCY_RE}\s?)?{_NUMBER}(?:
        多?{ZH_SCALE_RE}?多?{ZH_UNIT_RE}|多?{ZH_SCALE_RE}|%|{ZH_MEASURE_RE}|{EN_SCALE_RE}|{EN_MEASURE_RE}
    )?(?![0-9]))
  | (?P<code>(?<![A-Za-z0-9])(?:
        [A-Z][A-Za-z]{{0,4}}\d+[A-Za-z0-9]*(?:-[A-Za-z0-9]+)*   # GB200 NVL72 H100 Q1 FY25
      | [A-Z]{{2,}}-\d+[A-Za-z]?                                 # COVID-19 GPT-4o
    )(?![A-Za-z0-9]))
  | (?P<latin>[A-Za-z]*[a-z](?=[A-Z]{{1,4}}\d)                   # CoreWeave|Q1
      | [A-Za-z]+(?:['-][A-Za-z]+)*(?<!'s)(?![A-Za-z0-9])
      | 's\b
      | [A-Za-z0-9]+)
  | (?P<zh>[{HAN}〇][{HAN}〇{_ZH_PUNCT}]*)
  | (?P<space>\s+)
  | (?P<punct>\.{{2,}}|.)
    """,
    re.VERBOSE | re.DOTALL,
)
_ZH_NUMERAL = re.compile(
    r"[零〇一二两三四五六七八九十百千万亿几]+(?:多|余)?(?:倍|成|半|个百分点|百分点|%)?|[一两]半"
)
_LATIN1 = re.compile("[A-Za-z]")
_HAN_WORD = re.compile(f"[{HAN}]+")


class _KindOf(dict[str, TokenKind]):
    """The kind of a token jieba returned, cached by its text."""

    def __missing__(self, w: str) -> TokenKind:
        if w[0] < "\u3400" and w[0] != "〇":
            kind = TokenKind.PUNCT
        elif len(w) > 1 and _ZH_NUMERAL.fullmatch(w):
            kind = TokenKind.QUANTITY
        else:
            kind = TokenKind.WORD
        self[w] = kind
        return kind


_KIND_OF = _KindOf()
_LANG_OF = {TokenKind.PUNCT: None, TokenKind.QUANTITY: "zh", TokenKind.WORD: "zh"}


class Tokenizer:
    """Bilingual tokenizer; call it on a text.

    Args:
        userdict: whether to load the finance dictionary in models/userdict.txt.
        hmm: whether jieba's HMM may join characters into words it does not know.

    Example:
        >>> tok = Tokenizer()
        >>> [t.text for t in tok("CoreWeaveQ1收入同比激增四倍,达9.816亿美元")]
        ['CoreWeave', 'Q1', '收入', '同比', '激增', '四倍', ',', '达', '9.816亿美元']
    """

    def __init__(self, userdict: bool = True, hmm: bool = True) -> None:
        self.userdict = userdict
        self.hmm = hmm

    @cached_property
    def _jieba(self):
        if self.userdict:
            return _finance_jieba()
        import rjieba

        return rjieba.Jieba()

    @cached_property
    def _joins(self) -> dict[str, list[tuple[tuple[str, ...], str]]]:
        """Mixed-script dictionary words, by their first part: {"调整后": [(parts, word)]}."""
        joins: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        if self.userdict:
            for word, _, _ in user_words():
                if not _HAN_WORD.fullmatch(word):
                    # its parts unjoined: self(word) would join them, with what this makes
                    identity = OffsetMap.identity(len(word))
                    others, runs = self._scan(word, identity)
                    parts = tuple(t.text for t in self._merged(word, runs, others, 0, identity))
                    if len(parts) > 1:
                        joins.setdefault(parts[0], []).append((parts, word))
        for options in joins.values():
            options.sort(key=lambda option: -len(option[0]))  # longest word first
        return joins

    @cached_property
    def _mixed(self) -> re.Pattern[str]:
        """Finds any mixed-script dictionary word, so texts without one skip the join pass."""
        words = sorted((w for options in self._joins.values() for _, w in options), key=len, reverse=True)
        return re.compile("|".join(map(re.escape, words)) or "(?!)")

    @gc_paused
    def __call__(self, text: str, offsets: OffsetMap | None = None) -> list[Token]:
        """Tokenize `text`.

        Args:
            text: the text, normally a `Document.text` or a slice of it.
            offsets: when given, token offsets are mapped through it (into the original).

        Returns:
            The tokens in order; whitespace is not a token.
        """
        out: list[Token] = []
        for tokens, _ in self.parts(text, offsets):
            out += tokens
        return out

    def parts(
        self, text: str, offsets: OffsetMap | None = None, cuts: Iterable[int] = ()
    ) -> Iterator[tuple[list[Token], int | None]]:
        """The tokens of `text` a part at a time, so that a long text's tokens need not all
        be held at once: the same tokens as `self(text, offsets)`, in order.

        Args:
            text: the text, as for `__call__`.
            offsets: as for `__call__`.
            cuts: ascending offsets into `text` where a part should end: each part ends
                where the first Chinese run at or after its cut starts, outside any
                mixed-script word (a text without Chinese is one part: its tokens are all
                made in the one pass that finds the Chinese runs).

        Yields:
            (tokens, until): a part's tokens, and the offset (into the original when
            `offsets` is given) before which every token has now been given; None with
            the last part.

        Example:
            >>> parts = Tokenizer().parts("收入增长。 利润下降。", cuts=[5])
            >>> [([t.text for t in tokens], until) for tokens, until in parts]
            [(['收入', '增长', '。'], 6), (['利润', '下降', '。'], None)]
        """
        offsets = offsets or OffsetMap.identity(len(text))
        others, runs = self._scan(text, offsets)
        # every mixed-script word holds Han: English text needs no dictionary at all
        mixed = list(self._mixed.finditer(text)) if runs and self._joins else []
        starts, ends = [m.start() for m in mixed], [m.end() for m in mixed]
        given = done = joined = 0  # the runs, the other tokens and the mixed words given
        for cut in cuts:
            end = bisect_left(runs, cut, lo=given, key=itemgetter(0))
            # a part ends where a run starts, outside any mixed-script word
            while (
                end < len(runs)
                and (k := bisect_right(ends, runs[end][0])) < len(mixed)
                and starts[k] < runs[end][0]
            ):
                end = bisect_left(runs, ends[k], lo=end, key=itemgetter(0))
            if end == len(runs):
                break
            if end > given:
                upto, upto_mixed = runs[end][3], bisect_left(starts, runs[end][0])
                tokens = self._merged(text, runs[given:end], others[done:upto], done, offsets)
                yield self._join(tokens, mixed[joined:upto_mixed], offsets), offsets.start(runs[end][0])
                given, done, joined = end, upto, upto_mixed
        tokens = self._merged(text, runs[given:], others[done:], done, offsets)
        yield self._join(tokens, mixed[joined:], offsets), None

    def each(self, texts: Sequence[str]) -> list[list[Token]]:
        """The tokens of each of many short texts (lexicon entries), offsets into each.

        One pass over the texts joined by line breaks, which no token crosses: tokenizing
        them one by one cost more per text than the tokens themselves.

        Example:
            >>> [[t.text for t in tokens] for tokens in Tokenizer().each(["净亏损", "net loss"])]
            [['净亏损'], ['net', 'loss']]
        """
        starts = list(accumulate((len(t) + 1 for t in texts), initial=0))
        tokens = self("\n".join(texts))
        out: list[list[Token]] = []
        i = 0
        for start, end in pairwise(starts):
            j = bisect_left(tokens, end, lo=i, key=itemgetter(1))
            # Token(), not _replace: a fifth of the time, and the lexicon's thousands of
            # terms are cut as every process starts
            out.append([Token(w, a - start, b - start, lang, kind) for w, a, b, lang, kind in tokens[i:j]])
            i = j
        return out

    def _scan(
        self, text: str, offsets: OffsetMap
    ) -> tuple[list[Token], list[tuple[int, int, int | None, int]]]:
        """The tokens outside Han runs, and each Han run: its start and end, the shift of
        its offsets into the original (None when they do not shift alike), and how many of
        those tokens come before it."""
        # The hot loop of the whole pipeline. Offsets are shifted in bulk while a match
        # lies in one linear stretch of the map; tuple.__new__ skips the NamedTuple's
        # Python __new__.
        others: list[Token] = []
        runs: list[tuple[int, int, int | None, int]] = []
        append = others.append
        new = tuple.__new__
        word, quantity, code, punct = TokenKind.WORD, TokenKind.QUANTITY, TokenKind.CODE, TokenKind.PUNCT
        norm, orig = offsets.norm, offsets.orig
        last = len(norm) - 2
        k, hi, delta = 0, -1, None
        for m in _PATTERN.finditer(text):
            group = m.lastgroup
            if group == "space":
                continue
            s, e = m.span()
            if e > hi:
                while k < last and norm[k + 1] <= s:
                    k += 1
                hi = norm[k + 1]
                delta = orig[k] - norm[k] if norm[k + 1] - norm[k] == orig[k + 1] - orig[k] else None
            if group == "zh":
                runs.append((s, e, delta if e <= hi else None, len(others)))
                continue
            if delta is not None and e <= hi:
                s, e = s + delta, e + delta
            else:
                s, e = offsets.start(s), offsets.end(e)
            if group == "punct":
                append(new(Token, (m.group(), s, e, None, punct)))
            elif group == "latin":
                append(new(Token, (m.group(), s, e, "en", word)))
            elif group == "quantity":
                t = m.group()
                lang = "zh" if HAN_CHAR.search(t) else ("en" if _LATIN1.search(t) else None)
                append(new(Token, (t, s, e, lang, quantity)))
            else:
                append(new(Token, (m.group(), s, e, "en", code)))
        return others, runs

    def _merged(
        self,
        text: str,
        runs: list[tuple[int, int, int | None, int]],
        others: list[Token],
        before: int,
        offsets: OffsetMap,
    ) -> list[Token]:
        """`others` (those of `_scan` from number `before` on) with the words of each Han
        run in their place.

        Chinese (the bulk of most transcripts) goes to jieba in runs that include the
        punctuation between words, all in one call, joined by line breaks: jieba always
        cuts at one and returns it as a token of its own (a call per run cost a third of
        jieba's own time). The tokens of a run are built by C-level map/zip.
        """
        if not runs:  # jieba's dictionary loads with the first Han run, not for English text
            return others
        words = self._jieba.cut("\n".join([text[s:e] for s, e, _, _ in runs]), self.hmm)
        words.append("\n")  # so that every run's words end with one
        out: list[Token] = []
        extend = out.extend
        make = partial(tuple.__new__, Token)
        kind_of, lang_of = _KIND_OF.__getitem__, _LANG_OF.__getitem__
        first = done = 0  # the run's first word; how many of `others` are in `out`
        for s, _, shift, ahead in runs:
            end = words.index("\n", first)
            run = words[first:end]
            first = end + 1
            out += others[done : ahead - before]
            done = ahead - before
            kinds = list(map(kind_of, run))
            if shift is not None:
                bounds = list(accumulate(map(len, run), initial=s + shift))
                starts, ends = bounds, bounds[1:]
            else:
                bounds = list(accumulate(map(len, run), initial=s))
                starts, ends = offsets.starts(bounds[:-1]), offsets.ends(bounds[1:])
            # starts may hold one bound more than there are words (saves a copy)
            extend(map(make, zip(run, starts, ends, map(lang_of, kinds), kinds, strict=False)))
        out += others[done:]
        if len(_KIND_OF) > 1_000_000:
            _KIND_OF.clear()  # new words found by the HMM accumulate over a long batch
        return out

    def _join(self, tokens: list[Token], found: list[re.Match[str]], offsets: OffsetMap) -> list[Token]:
        """The tokens with each mixed-script dictionary word `found` in their text joined
        into one; only the places where such a word stands are looked at."""
        if not found:
            return tokens
        joins = self._joins
        out: list[Token] = []
        done = 0  # tokens before this one are in `out`
        for m in found:
            start = offsets.start(m.start())
            i = bisect_left(tokens, start, lo=done, key=itemgetter(1))
            if i == len(tokens) or tokens[i].start != start:
                continue  # the word starts inside a token: the segmenter read it otherwise
            for parts, whole in joins.get(tokens[i].text, ()):
                k = len(parts)
                if tuple(t.text for t in tokens[i : i + k]) == parts and all(
                    tokens[j].end == tokens[j + 1].start for j in range(i, i + k - 1)
                ):
                    out += tokens[done:i]
                    out.append(Token(whole, start, tokens[i + k - 1].end, "zh", TokenKind.WORD))
                    done = i + k
                    break
        if not done:
            return tokens
        out += tokens[done:]
        return out


def words(tokens: Iterable[Token]) -> list[str]:
    """The texts of tokens that are not punctuation, as written: a sentence's words.

    Example:
        >>> words(Tokenizer()("Revenue 收入增长, 420%!"))
        ['Revenue', '收入', '增长', '420%']
    """
    punct = TokenKind.PUNCT  # a local: EnumType.__getattr__ makes TokenKind.PUNCT slow
    return [t.text for t in tokens if t.kind is not punct]


def terms(words: list[str]) -> str:
    """Words as full-text search indexes and queries them: lower-cased, joined by spaces
    (a sentence's `terms`).

    Lower-cased once joined, for a quarter less time than word by word: the same string,
    as a space stands between any two words.

    Example:
        >>> terms(words(Tokenizer()("Revenue 收入增长, 420%!")))
        'revenue 收入 增长 420%'
    """
    return " ".join(words).lower()


@cache
def _finance_jieba():
    """rjieba's default instance with the finance words added, once a process.

    rjieba loads its dictionary into a default instance when imported, and a second load
    cost every process a tenth of a second, so the words go into that one. Once: a word
    added again without a frequency gets one suggested from the dictionary as it then is,
    which already holds the word, and segmentation changed with how many tokenizers a
    process had made."""
    import rjieba

    for word, freq, tag in user_words():
        if _HAN_WORD.fullmatch(word):
            rjieba.add_word(word, freq, tag)
    return rjieba


@cache
def default_tokenizer() -> Tokenizer:
    """The tokenizer with default settings, made once and shared by every stage."""
    return Tokenizer()


def user_words() -> list[tuple[str, int | None, str | None]]:
    """The entries of models/userdict.txt: (word, frequency or None, tag or None)."""
    entries = []
    for row in lines("userdict.txt"):
        fields = row[0].split()
        word, rest = fields[0], fields[1:]
        freq = int(rest.pop(0)) if rest and rest[0].isdigit() else None
        entries.append((word, freq, rest[0] if rest else None))
    return entries
