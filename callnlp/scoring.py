"""Tone and hedging of sentences, scored from the lexicons in models/.

The lexicon scorer reads a sentence's tokens the way a careful analyst reads the sentence:

- cue words and phrases come from models/lexicon_en.tsv and models/lexicon_zh.tsv, matched
  on tokens as the tokenizer cuts them (a phrase the segmenter splits matches its pieces in
  a row; a Chinese word holding a tone or hedge term, 净亏损 holding 亏损, counts as it);
- a negator (不, 尚未, not, no) turns the tone of what follows it in its clause;
- intensifiers (大幅, significantly) and diminishers (略有, slightly) scale their neighbour;
- contrast (但, however) gives the clause after it more weight than the one before;
- a direction word (增长, 收窄, rose, narrowed) takes its tone from what changes: a metric
  of models/metrics.tsv or a subject of the lexicon, by whether growth of it is good news,
  so 净亏损扩大 and `costs rose` are negative and 亏损收窄 and `revenue grew 420%` positive
  (an English comparative qualifies the subject right after it, `lower fuel costs`, and a
  clause that names no subject goes on about the last metric named);
- hedges and weak modals (可能, 不稳定, may, lumpy) make hedging, graded by strength in the
  lexicon's weights: a softener (sort of, in our view, 目前来看) or a Chinese frame (认为,
  觉得) is weak, a modal, a named uncertainty or an English first-person frame (I think, we
  believe: the labeled sets count it as a hedge) full, saying one does not know (hard to
  say, not sure, 不好说) strong;
  certainty (一定, definitely) takes some away;
- where a hedge stands scales it: on the main claim it counts in full, in an aside
  (parentheses, a pair of dashes, a clause opened by although, if, whether, 虽然, 如果) at
  `ASIDE`, in words the speaker reports (a quotation, `You asked whether ...`, a question
  answered in the same text) at `REPORTED`;
- forward-looking words (预计, expect) or a guidance figure make a sentence forward-looking.

Sentiment is `raw / sqrt(raw² + 1)` of the summed cue values, so one plain cue gives about
0.7. Hedging is `1 - 0.5 ** h`, in [0, 1), of `h = max(F, Σ wᵢ·sᵢ - CERTAINTY_OFFSET · Σ cⱼ·sⱼ)`:
`wᵢ` the weight of each hedge and weak modal, `cⱼ` of each certainty cue, `sᵢ` the factor of
where it stands (1, `ASIDE` or `REPORTED`), and `F` the part of the sum from named
uncertainties (hedges of weight 1 or more), which certainty does not offset. So hedges that
stack add up; one full hedge gives 0.5, the `hedged` threshold; a weak one alone (0.5)
gives 0.29, above a plain claim's 0 and short of hedged; a strong hedge (1.5) gives 0.65.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from functools import cache, lru_cache
from itertools import compress, count, pairwise, repeat
from operator import itemgetter, lt
from typing import Literal

from callnlp.embed import Embedder
from callnlp.errors import ResourceError
from callnlp.figures import metric_goods
from callnlp.head import Head, features, shipped
from callnlp.normalize import HAN_CHAR
from callnlp.offsets import OffsetMap
from callnlp.record import Aggregate, Cue, CueKind, Scope, Sentence, Tone, Turn
from callnlp.resources import lines
from callnlp.tokenize import Token, Tokenizer, default_tokenizer

_SUBJECTS = {"good_up": 1, "good_down": -1}
_MASK = "mask"
_REPORTED = "reported"
"""The category of a frame that reports another's words (`you asked`, `your question`):
hedges in the rest of its clause are not the speaker's (see `REPORTED`)."""
_SUBORDINATE = "subordinate"
"""Not a lexicon category: the mark `_Entry` gives a subordinator (see `_CONDITIONALS`)."""
_MARKED = "marked"
"""Not a lexicon category: the mark of a sentence with a term in an aside or a quotation."""
_CATEGORIES = {k.value for k in CueKind} | set(_SUBJECTS) | {_MASK, _REPORTED}
_TONE_OR_HEDGE = (CueKind.POSITIVE, CueKind.NEGATIVE, CueKind.HEDGE)
_DIRECTIONS = (CueKind.INCREASE, CueKind.DECREASE)
_POLAR = (CueKind.POSITIVE, CueKind.NEGATIVE)
_TONED = (*_POLAR, *_DIRECTIONS)
HEDGE_KINDS = (CueKind.HEDGE, CueKind.WEAK_MODAL)
"""The cues that count as hedges in densities and signals."""
_MODALS = (*HEDGE_KINDS, CueKind.STRONG_MODAL)
_INNER_KINDS = {*_TONE_OR_HEDGE, *_DIRECTIONS, *_SUBJECTS, CueKind.INTENSIFIER, CueKind.DIMINISHER}
_CUE_KINDS = {k.value for k in CueKind}
_BREAKS = frozenset(",;:，；：()（）—-")
_OPEN, _CLOSE, _DASH, _QUESTION, _QUOTE, _QUOTE_OPEN, _QUOTE_CLOSE = range(1, 8)
_MARKS = {
    **dict.fromkeys("(（", _OPEN),
    **dict.fromkeys(")）", _CLOSE),
    **dict.fromkeys("—–-", _DASH),
    '"': _QUOTE,
    **dict.fromkeys("“「『", _QUOTE_OPEN),
    **dict.fromkeys("”」』", _QUOTE_CLOSE),
    **dict.fromkeys("?？", _QUESTION),
}
"""Tokens that open or close an aside, a quotation or a question, by what they do. The en
dash is a mark but not a clause break (`_BREAKS`), so tone reads the clauses as before."""
_CLOSERS = frozenset("\"”’')）」』]")
"""What may follow a question mark without being an answer to it."""
_INTRODUCERS = frozenset(":：")
"""A quotation opened right after one of these is speech the sentence reports (他说：“…”). A
comma is not one: it as often closes an aside before a scare-quoted word (`Bookings were,
to use a technical term, "all over the place"`)."""
_CONDITIONALS = frozenset(
    {"if", "unless", "whether", "如果", "除非", "是否", "若", "假如", "倘若", "要是", "万一"}
)
"""Conditional and interrogative subordinators, a closed class like `_BENCHMARK`: the clause
one opens is an aside to the main claim. The concessive ones (although, 虽然) are the
contrasts of negative weight in the lexicons, which mark their own clause as the lesser."""
# On Python 3.11 `CueKind.POSITIVE` is read through EnumType.__getattr__, at ten times the
# cost of a global: the verdict's code reads the members it needs as these.
_POSITIVE, _NEGATIVE = _POLAR
_HEDGE, _STRONG_MODAL, _NEGATOR = CueKind.HEDGE, CueKind.STRONG_MODAL, CueKind.NEGATOR
_INTENSIFIER, _DIMINISHER, _CONTRAST = CueKind.INTENSIFIER, CueKind.DIMINISHER, CueKind.CONTRAST
_INCREASE = CueKind.INCREASE
_NEUTRAL_TONE, _POSITIVE_TONE, _NEGATIVE_TONE = Tone.NEUTRAL, Tone.POSITIVE, Tone.NEGATIVE
_BENCHMARK = frozenset({"above", "below", "than"})
"""Last words of an English comparison whose object is the benchmark, not the subject."""

NEGATION_WINDOW = 12
"""Tokens after a negator, within its clause, whose tone it turns."""
DENIAL_WINDOW = 10
"""Tokens after a tone word within which a negator denies it (the outage did not ...)."""
MODIFIER_WINDOW = 2
"""Tokens between an intensifier or diminisher and the cue it scales."""
NEGATED_POSITIVE = -0.8
NEGATED_NEGATIVE = -0.15
"""`not good` is nearly as bad as `bad`; `not bad` is barely good: a denied problem (`no
material impact`, 没有实质性影响) is reassurance, not good news."""
INTENSIFY, DIMINISH = 1.5, 0.5
BEFORE_CONTRAST, AFTER_CONTRAST = 0.5, 1.5
UNATTACHED_DIRECTION = 0.5
"""The tone of a bare `rose` or `下降` whose subject the sentence does not name."""
OBJECT_REACH = 3
"""Tokens after an English direction word within which a tone word can be what it changes
(`reduced our losses`); one further on is a word of its own."""
CERTAINTY_OFFSET = 0.5
"""How much one certainty cue takes from the summed weights of modals and soft hedges."""
ASIDE = 0.5
"""What a hedge or certainty cue counts for in an aside: inside parentheses or between two
dashes, or in a clause a subordinator opens (although, if, whether, 虽然, 如果). The
speaker qualifies the main claim there rather than making it, so `Demand (which may slip)
is strong` is less hedged than `Demand may slip`, yet more than a plain claim."""
REPORTED = 0.2
"""What a hedge or certainty cue counts for in words the speaker reports rather than says:
a quotation (客户说：“我们可能会推迟订单”), a restated question (`You asked whether margins
might slip`), or a question the same text goes on to answer (`Could margins slip? No.`).
The doubt is someone else's; the speaker's own claim is what follows."""
SCARE_QUOTE_TOKENS = 4
"""A quoted span of at most this many tokens, not opened after a colon, is the
speaker's own word in quotes (may be "lumpy", 可能会“不稳定”, "all over the place"): it
counts in full, as the labeled sets read it. A longer one, or one introduced as speech,
is a quotation (`REPORTED`)."""
_SCOPE_SHIFT = 30
"""A term's scope from the marks around it (0 main, 1 aside, 2 reported) is kept in bits
30-31 of its int in a pattern, below its token (`_AT`) and above its `_Sig` id, so the
verdict cache tells apart sentences that differ only in where their hedges stand."""
_SCOPES = (1.0, ASIDE, REPORTED)
"""The factor of each scope level of `_SCOPE_SHIFT`."""


@dataclass(frozen=True)
class Score:
    """The lexicon scorer's reading of one sentence (see `Sentence` for the fields)."""

    sentiment: float
    tone: Tone
    hedging: float
    hedged: bool
    forward_looking: bool
    cues: tuple[Cue, ...] = ()


_BIT = {kind: 1 << n for n, kind in enumerate([*CueKind, *_SUBJECTS, _REPORTED, _SUBORDINATE, _MARKED])}
"""Each cue kind's bit in a sentence's mask of the kinds its terms hold."""


def _bits(kinds: Iterable[str]) -> int:
    return sum({_BIT[k] for k in kinds})


_TONED_BITS = _bits(_TONED)
_MODAL_BITS = _bits(_MODALS)
_SCORED_BITS = _TONED_BITS | _MODAL_BITS
"""Kinds without which a sentence's tone and hedging are zero."""
_DIRECTION_BITS = _bits(_DIRECTIONS)
_SUBJECT_BITS = _bits(_SUBJECTS)
_SCOPE_BITS = _bits((_REPORTED, _SUBORDINATE, _MARKED))
"""A sentence some of whose hedges may count less than in full (see `_scope_factors`)."""
_MARKED_BIT, _SUBORDINATE_BIT = _BIT[_MARKED], _BIT[_SUBORDINATE]
_VERDICT_BITS = _bits(CueKind) | _SCOPE_BITS
"""Kinds `_verdict` reads from a mask: those of the subjects are read from the terms."""
_FORWARD_BIT, _NEGATOR_BIT, _INTENSIFIER_BIT, _DIMINISHER_BIT, _CONTRAST_BIT = (
    _BIT[k] for k in (CueKind.FORWARD, _NEGATOR, _INTENSIFIER, _DIMINISHER, _CONTRAST)
)
_CONTEXT_BITS = _DIRECTION_BITS | _NEGATOR_BIT | _INTENSIFIER_BIT | _DIMINISHER_BIT | _CONTRAST_BIT
"""Kinds that change the tone of the words around them."""


class _Sig:
    """What `_verdict` reads of a term: its cues, for an English direction word how far on
    the subject it qualifies stands (`reach`: its number of tokens, -1 when it ends in a
    benchmark word, None for any other term), and what the rest of the clause it opens
    counts for (`opens`: `ASIDE` after a subordinator, `REPORTED` after a reporting frame,
    else 1). Terms that read the same share one, so sentences worded differently alike
    share a verdict."""

    __slots__ = ("cues", "id", "opens", "reach", "subject")

    def __init__(self, cues: tuple[tuple[str, float], ...], reach: int | None, opens: float) -> None:
        self.cues = cues
        self.reach = reach
        self.opens = opens
        # a metric and nothing else (收入, costs) matters only to a direction word
        self.subject = bool(cues) and all(kind in _SUBJECTS for kind, _ in cues)
        self.id = len(_SIG_LIST)
        _SIG_LIST.append(self)


_SIGS: dict[tuple, _Sig] = {}
_SIG_LIST: list[_Sig] = []
_AT = 32
"""A term goes into a pattern as one int, its token << _AT | its scope << _SCOPE_SHIFT | its
`_Sig.id`: a tuple of ints hashes and compares quickly."""
_SIG_ID = (1 << _SCOPE_SHIFT) - 1


class _Entry:
    """A lexicon term as the tokenizer cuts it."""

    __slots__ = ("code", "cues", "mask", "parts", "shown")

    def __init__(self, parts: tuple[str, ...], categories: tuple[tuple[str, float], ...]) -> None:
        self.parts = parts  # the tokens the term is cut into, lower case
        # A mask (`could you`) only keeps its tokens from matching anything else.
        self.cues = cues = tuple(c for c in categories if c[0] != _MASK)
        self.shown = tuple(kind for kind, _ in cues if kind in _CUE_KINDS)  # reported as `cues`
        self.mask = _bits(kind for kind, _ in cues)
        reach = None
        if parts[0].isascii() and self.mask & _DIRECTION_BITS:
            reach = -1 if parts[-1] in _BENCHMARK else len(parts)
        opens = 1.0
        if any(kind == _REPORTED for kind, _ in cues):
            opens = REPORTED
        elif parts[0] in _CONDITIONALS or any(kind == _CONTRAST and w < 0 for kind, w in cues):
            opens = ASIDE
            self.mask |= _SUBORDINATE_BIT
        key = (cues, reach, opens)
        self.code = (_SIGS.get(key) or _SIGS.setdefault(key, _Sig(cues, reach, opens))).id


class _Start:
    """The lexicon entries that start with one token."""

    __slots__ = ("brk", "longer", "mark", "single")

    def __init__(self, options: list[_Entry]) -> None:
        self.brk = False  # whether the token is a clause break
        self.mark = 0  # what it does as a mark of `_MARKS`, 0 for none
        # Entries of two tokens or more by their second token, longest first: most tokens
        # that start one are not followed by its second token, and one lookup says so.
        self.longer: dict[str, list[_Entry]] = {}
        self.single: _Entry | None = None  # the one-token entry
        for entry in sorted(options, key=lambda e: -len(e.parts)):
            if len(entry.parts) > 1:
                self.longer.setdefault(entry.parts[1], []).append(entry)
            elif self.single is None:
                self.single = entry


class _Lookup(dict):
    """Token text -> the lexicon entries starting with it (None for none).

    Any casing of an English term finds it (`Revenue`, `REVENUE`). A Chinese segmenter
    word not in the lexicon counts as the terms it holds: 成本上升 as 成本 and 上升,
    管理费用 as 费用. A clause break finds a `_Start` too, whether or not a term starts
    with it, so the pass that finds the terms finds the breaks between them. Answers are
    cached, so a text's tokens are looked up at C speed.

    The terms that hold Chinese are cut when a text first holds Chinese (`for_tokens`):
    cutting them loads jieba's dictionary, which an English call never needs otherwise
    (a fifth of a second of its start-up).
    """

    def __init__(self, lexicon: dict[str, tuple], tokenizer: Tokenizer) -> None:
        super().__init__()
        self._lexicon, self._tokenizer = lexicon, tokenizer
        inner = {t: cats for t, cats in lexicon.items() if len(t) > 1 and t[0] >= "\u3400" and _inner(cats)}
        self._inner = sorted(inner.items(), key=lambda item: -len(item[0]))
        self._rank = {term: n for n, (term, _) in enumerate(self._inner)}  # its place in _inner
        self._sizes = sorted({len(term) for term in inner})
        self._entries: dict[str, list[_Entry]] = {}  # by first token
        self._han = [term for term in lexicon if HAN_CHAR.search(term)]
        self._cut([term for term in lexicon if not HAN_CHAR.search(term)])

    def for_tokens(self, tokens: Sequence[Token]) -> _Lookup:
        """The lookup for a text's tokens: with the terms that hold Chinese cut first, when
        the tokens are the first to hold a Chinese one (once cut, the tokens go unread)."""
        if self._han and "zh" in map(itemgetter(3), tokens):
            terms, self._han = self._han, []
            self._cut(terms)
            self._start()
        elif not self:  # no starts made yet (a break or a mark is always one)
            self._start()
        return self

    def _cut(self, terms: list[str]) -> None:
        """Add the entries of lexicon terms."""
        lexicon = self._lexicon
        for term, tokens in zip(terms, self._tokenizer.each(terms), strict=True):
            categories = lexicon[term]
            parts = tuple(t.text.lower() for t in tokens)
            if not _tone_or_hedge(categories) and _MASK not in dict(categories):
                # A metric or phrase holding a tone word keeps its tone: 净亏损, net loss.
                within = [p for p in parts if p in lexicon] if len(parts) > 1 else []
                within += [inner for inner, _ in self._held(term) if inner != term][:1]  # the longest
                categories += tuple(c for p in within for c in lexicon[p] if c[0] in _TONE_OR_HEDGE)
            self._entries.setdefault(parts[0], []).append(_Entry(parts, categories))

    def _start(self) -> None:
        """Make the starts of the entries, the clause breaks and the marks: once the first
        text is looked up, and again once the Chinese terms are cut."""
        # every start made anew: an answer remembered for a word (AI, from ai) may change
        self.clear()
        self.update({first: _Start(options) for first, options in self._entries.items()})
        for text in _BREAKS:
            self.setdefault(text, _Start([])).brk = True
        for text, mark in _MARKS.items():
            self.setdefault(text, _Start([])).mark = mark

    def __missing__(self, text: str) -> _Start | None:
        found = None
        lower = text.lower()
        if lower != text:
            found = self[lower]
        elif len(text) > 2 and text[0] >= "\u3400":
            rest, categories = text, ()
            for term, cats in self._held(text):
                if term in rest:
                    rest = rest.replace(term, "\0")
                    categories += cats
            if categories:
                found = _Start([_Entry((text,), categories)])
        if len(self) < 500_000:
            self[text] = found
        return found

    def _held(self, text: str) -> list[tuple[str, tuple]]:
        """The inner terms in `text`, longest first: a word is short, so looking its pieces
        up beats scanning the text for every term."""
        if text.isascii():  # inner terms are Chinese (most lexicon terms are English)
            return []
        pieces = {text[i : i + k] for k in self._sizes for i in range(len(text) - k + 1)}
        return [self._inner[n] for n in sorted(self._rank[p] for p in pieces if p in self._rank)]


_Pattern = tuple[int, ...]
"""The terms found in a sentence, each with its token counted from the first term's (as
`_AT` says)."""


def _levels(
    marks: list[int], found: list, tokens: Sequence[Token], end: int, first: int, pattern: list[int]
) -> list[int] | None:
    """Each term's scope level from the marks of its sentence: 1 inside parentheses or
    between two dashes, 2 inside a quotation or a question the text goes on to answer, else
    0; None when every term stands in the main text.

    `marks` are the tokens of `_MARKS` in order as `score` keeps them (the quotation marks
    of quotations only, in pairs), `end` the sentence's end, `pattern` its terms as `score`
    builds it (tokens counted from `first`)."""
    spans = []  # (the opening mark, the closing one, the level of what stands between)
    parens: list[int] = []
    dash = quote = None
    asked = -1  # the token before the question a question mark ends
    last_dash = -2
    for i in marks:
        kind = found[i].mark
        if kind >= _QUOTE:
            if quote is None:
                quote = i
            else:
                spans.append((quote, i, 2))
                quote = None
        elif kind == _OPEN:
            parens.append(i)
        elif kind == _CLOSE:
            if parens:
                spans.append((parens.pop(), i, 1))
        elif kind == _DASH:
            if i != last_dash + 1:  # a run of dashes (——, --) is one
                if dash is None:
                    dash = i
                else:
                    spans.append((dash, i, 1))
                    dash = None
            last_dash = i
        else:  # a question mark
            j = i + 1
            while j < end and tokens[j][0] in _CLOSERS:
                j += 1
            if j < end:  # answered in the same text: the question is the asker's words
                spans.append((asked, i, 2))
                asked = i
    if parens:  # an aside left open runs to the end
        spans.append((parens[0], end, 1))
    if not spans:
        return None
    at = [first + (p >> _AT) for p in pattern]
    levels = [0] * len(at)
    for lo, hi, level in spans:  # the terms strictly between the two marks
        for k in range(bisect_right(at, lo), bisect_left(at, hi)):
            levels[k] = max(levels[k], level)
    return levels if any(levels) else None


class LexiconScorer:
    """Sentiment, hedging and forward-looking flags from the project's lexicons.

    Args:
        tokenizer: the tokenizer that cuts both the text and the lexicon's terms (the
            default one when None), so a term matches as the segmenter sees it.
        tone_threshold: |sentiment| at or above which the tone is positive or negative.
        hedge_threshold: hedging at or above which a sentence is hedged.
        head: the learned head that decides again the tasks it won on held-out rows
            (`callnlp.head`); by default the one models/head.json holds, if any; None for
            the rules alone.
        embedder: the sentence-transformers model of a head fitted with embeddings; such a
            head is left out unless this is its model.

    Example:
        >>> score = LexiconScorer()("收入和资本支出可能会“不稳定”。")
        >>> score.hedged, [(c.text, c.kind.value) for c in score.cues]
        (True, [('可能', 'weak_modal'), ('不稳定', 'hedge')])
        >>> LexiconScorer()("Net loss widened to $40 million.").tone
        <Tone.NEGATIVE: 'negative'>
    """

    def __init__(
        self,
        tokenizer: Tokenizer | None = None,
        tone_threshold: float = 0.3,
        hedge_threshold: float = 0.5,
        head: Head | Literal["shipped"] | None = "shipped",
        embedder: Embedder | None = None,
    ) -> None:
        self.tokenizer = tokenizer or default_tokenizer()
        self.tone_threshold = tone_threshold
        self.hedge_threshold = hedge_threshold
        head = shipped() if head == "shipped" else head
        # a head that reads embeddings serves only where its own model embeds the sentences
        usable = head is not None and (head.model is None or (embedder and embedder.model_name == head.model))
        self.head = head if usable else None
        self.embedder = embedder

    def __call__(self, text: str) -> Score:
        """Score one sentence given as text."""
        tokens = self.tokenizer(text, OffsetMap.identity(len(text)))
        return self.score(tokens, [(0, len(tokens))], texts=[text])[0]

    def score(
        self,
        tokens: Sequence[Token],
        bounds: Iterable[tuple[int, int]],
        guided: frozenset[int] = frozenset(),
        texts: Sequence[str] | None = None,
    ) -> list[Score]:
        """Score many sentences of one token list.

        Args:
            tokens: the tokens of a whole text, in order.
            bounds: each sentence's tokens as a (first, end) index range.
            guided: positions (in `bounds`) of sentences holding a guidance figure; they are
                forward-looking whatever their words.
            texts: each sentence's text, which a learned head with embeddings reads.

        Returns:
            One `Score` per sentence, in order.
        """
        # One C-level pass finds the few tokens that start a cue; only the sentences that
        # hold one are looked at word by word.
        found = list(map(self._lookup.for_tokens(tokens).__getitem__, map(itemgetter(0), tokens)))
        starts = list(compress(range(len(found)), found))
        bounds = list(bounds)
        scores = [_PLAIN] * len(bounds)
        for n in guided:
            scores[n] = _FORWARD
        # each sentence's share of `starts`, found at C speed too
        firsts = list(map(itemgetter(0), bounds))
        ends = list(map(itemgetter(1), bounds))
        his = list(map(bisect_left, repeat(starts), ends))
        if firsts[1:] == ends[:-1]:  # sentences end to end, as split_sentences cuts them
            los = [bisect_left(starts, firsts[0]), *his[:-1]] if bounds else []
        else:
            los = list(map(bisect_left, repeat(starts), firsts))
        tone_threshold, hedge_threshold = self.tone_threshold, self.hedge_threshold
        unscored = _unscored(tone_threshold, hedge_threshold)
        lowered = _LOWERED.__getitem__
        for n in compress(count(), map(lt, los, his)):
            # The sentence's terms with cues, the longest first, a token in one term at most:
            # their pattern as `_verdict` takes it, the clause breaks between them counted
            # the same way, and the cues they report. Only which terms a break parts matters,
            # so the breaks between two terms all go on the token after the earlier one (and
            # on the later one's own token, if it is a break): sentences that differ in no
            # other way share a verdict.
            end = bounds[n][1]
            pattern: list[int] = []
            cuts: list[int] = []
            cues: list[Cue] = []
            marks: list[int] = []  # tokens that open or close an aside, a quotation, a question
            quote = -1  # an open quotation mark's token
            covered = first = prev = -1
            mask = 0
            broken = False  # a clause break since the last term
            for i in starts[los[n] : his[n]]:
                if i < covered:
                    continue
                start = found[i]
                entry = start.single
                longer = start.longer
                if longer and i + 1 < end and (after := lowered(tokens[i + 1][0])) in longer:
                    entry = _longest(longer[after], tokens, i, end) or entry
                if entry is None or not entry.cues:
                    if entry is not None:
                        covered = i + len(entry.parts)
                    elif mark := start.mark:
                        if mark < _QUOTE:  # a question mark that ends the sentence asks, no more
                            if mark != _QUESTION or i + 1 < end:
                                marks.append(i)
                        elif quote < 0:
                            if mark != _QUOTE_CLOSE:
                                quote = i
                        elif mark != _QUOTE_OPEN:
                            # a quotation, not the speaker's own word in quotes: a long one,
                            # or one opened as speech (他说：“…”)
                            if i - quote > SCARE_QUOTE_TOKENS + 1 or (
                                quote > bounds[n][0] and tokens[quote - 1][0] in _INTRODUCERS
                            ):
                                marks += (quote, i)
                            quote = -1
                    broken = broken or start.brk
                    continue
                covered = i + len(entry.parts)
                if first < 0:
                    first = prev = i
                    lead, broken = broken, False
                else:
                    if broken:
                        cuts.append(prev + 1 - first)
                        broken = False
                    if start.brk:  # the term is a clause break itself
                        cuts.append(i - first)
                    prev = i
                pattern.append((i - first) << _AT | entry.code)
                mask |= entry.mask
                if entry.shown:
                    if covered == i + 1:
                        text, at, to = tokens[i][:3]
                    else:
                        parts = tokens[i:covered]
                        text, at, to = parts[0].text, parts[0].start, parts[-1].end
                        for before, tok in pairwise(parts):
                            text += (" " if before.end < tok.start else "") + tok.text
                    for kind in entry.shown:
                        cue = _new(Cue)
                        attrs = cue.__dict__
                        attrs["text"], attrs["kind"], attrs["start"], attrs["end"] = text, kind, at, to
                        cues.append(cue)
            if first < 0:
                continue
            if mask & _MODAL_BITS:  # where its hedges stand: only hedging reads it
                if mask & _SUBORDINATE_BIT:
                    # whether a subordinate clause opens or closes the sentence: a break
                    # before the first term or after the last one is a cut too (one that
                    # parts no two terms, so tone reads the clauses as before)
                    if lead:
                        cuts.insert(0, 0)
                    if broken:
                        cuts.append(prev + 1 - first)
                if marks and (levels := _levels(marks, found, tokens, end, first, pattern)):
                    # a term in an aside or a quotation carries its scope in its int (the
                    # verdict cache's key), as its token and its `_Sig` id
                    pattern = [p | level << _SCOPE_SHIFT for p, level in zip(pattern, levels, strict=True)]
                    mask |= _MARKED_BIT
            # What the terms say depends only on where they stand from one another and on
            # the clause breaks between them, so it is worked out once per pattern.
            scores[n] = score = _new(Score)
            attrs = score.__dict__
            if not mask & _SCORED_BITS:  # no tone word, no modal: nothing to work out
                attrs.update(unscored[mask & _FORWARD_BIT])
            else:
                if mask & _SUBJECT_BITS and not mask & _DIRECTION_BITS:
                    # what a metric did is read from a direction word: without one, a
                    # metric's name says nothing (the breaks it parts from others stay)
                    pattern = [p for p in pattern if not _SIG_LIST[p & _SIG_ID].subject]
                mask &= _VERDICT_BITS
                attrs.update(_verdict(tuple(pattern), tuple(cuts), mask, tone_threshold, hedge_threshold))
            attrs["cues"] = tuple(cues)
            if guided and n in guided:
                attrs["forward_looking"] = True
        return self._learned(tokens, bounds, scores, texts) if self.head else scores

    def _learned(
        self,
        tokens: Sequence[Token],
        bounds: list[tuple[int, int]],
        scores: list[Score],
        texts: Sequence[str] | None,
    ) -> list[Score]:
        """The scores with the learned head's decisions for the tasks it won (`callnlp.head`)."""
        head, out = self.head, []
        if head.model is not None and texts is None:
            raise ValueError("a learned head with embeddings reads the sentences' texts: pass texts=")
        vectors = self.embedder.encode(list(texts)) if head.model is not None else repeat(())
        for (a, b), sc, vector in zip(bounds, scores, vectors, strict=False):
            x = features(tokens[a:b], sc.sentiment, sc.hedging, sc.forward_looking, sc.cues)
            x += map(float, vector)
            sentiment, tone, hedging, hedged = sc.sentiment, sc.tone, sc.hedging, sc.hedged
            if "sentiment" in head.enabled:
                sentiment, tone = head.decide_tone(x)
            if "hedging" in head.enabled:
                hedging = head.decide_hedging(x)
                hedged = hedging >= self.hedge_threshold
            out.append(Score(sentiment, tone, hedging, hedged, sc.forward_looking, sc.cues))
        return out

    @property
    def _lookup(self) -> _Lookup:
        return _index(self.tokenizer)


_PLAIN = Score(0.0, _NEUTRAL_TONE, 0.0, False, False)
_FORWARD = Score(0.0, _NEUTRAL_TONE, 0.0, False, True)

# A frozen dataclass's __init__ sets each field through object.__setattr__, which costs more
# than the rest of scoring a sentence: `score` fills the __dict__ of a bare Score or Cue
# instead, which makes an object equal to what the class would make.
_new = object.__new__
for _cls, _names in (
    (Score, ("sentiment", "tone", "hedging", "hedged", "forward_looking", "cues")),
    (Cue, ("text", "kind", "start", "end")),
):
    if tuple(f.name for f in fields(_cls)) != _names or hasattr(_cls, "__post_init__"):
        raise TypeError(f"{_cls.__name__} changed: update how callnlp.scoring makes its objects")


class _Memo(dict):
    """`function(key)` by key, cached (500,000 keys at most), looked up at C speed."""

    def __init__(self, function: Callable) -> None:
        super().__init__()
        self.function = function

    def __missing__(self, key: object) -> object:
        value = self.function(key)
        if len(self) < 500_000:
            self[key] = value
        return value


_LOWERED = _Memo(str.lower)
"""Token text -> its lower case: most texts come back, and str.lower makes a new string
(which then has to be hashed) every time."""
_ROUNDED = _Memo(lambda x: round(x, 4))
"""A score as the record gives it: the same few sums of weights come back, and rounding a
float to decimal places goes through its decimal digits."""


@cache
def _index(tokenizer: Tokenizer) -> _Lookup:
    """The lexicon cut by `tokenizer`, made once per tokenizer and shared by every scorer."""
    return _Lookup(_lexicon(), tokenizer)


def _tone_or_hedge(categories: tuple[tuple[str, float], ...]) -> bool:
    return any(kind in _TONE_OR_HEDGE for kind, _ in categories)


def _inner(categories: tuple[tuple[str, float], ...]) -> bool:
    """Whether a term counts inside a longer segmenter word that holds it."""
    return any(kind in _INNER_KINDS for kind, _ in categories)


def _longest(entries: list[_Entry], tokens: Sequence[Token], i: int, end: int) -> _Entry | None:
    """The longest of `entries` (two tokens or more, longest first) at token i, if one is there."""
    for entry in entries:
        k = len(entry.parts)
        if i + k <= end and tuple(_LOWERED[t[0]] for t in tokens[i : i + k]) == entry.parts:
            return entry
    return None


_Hit = tuple[int, str, float]
"""One cue of a pattern: (its token, counted from the first term's; kind; weight)."""


@lru_cache(maxsize=1 << 16)  # bounded: a long batch meets ever new patterns
def _verdict(
    pattern: _Pattern, cuts: tuple[int, ...], mask: int, tone_threshold: float, hedge_threshold: float
) -> dict[str, object]:
    """A sentence's sentiment, tone, hedging, hedged and whether its words look forward,
    from the terms found in it, its clause breaks (`cuts`, counted as in `pattern`) and the
    kinds its terms hold (`mask`, as `_bits` makes it), as the fields of its `Score` but the
    cues (shared: copy them, never change them)."""
    hits = [(p >> _AT, kind, weight) for p in pattern for kind, weight in _SIG_LIST[p & _SIG_ID].cues]
    # Most sentences hold no tone word, or no hedge: their part of the score is zero.
    raw = _tone(hits, cuts, pattern, mask) if mask & _TONED_BITS else 0.0
    if mask & _MODAL_BITS:
        factors = _scope_factors(pattern, cuts) if mask & _SCOPE_BITS else None
        hedge = _hedge(hits, cuts, mask, factors)
    else:
        hedge = 0.0
    sentiment = raw / math.sqrt(raw * raw + 1)
    hedging = 1 - 0.5**hedge
    return {
        "sentiment": _ROUNDED[sentiment],
        "tone": tone_of(sentiment, tone_threshold),
        "hedging": _ROUNDED[hedging],
        "hedged": hedging >= hedge_threshold,
        "forward_looking": bool(mask & _FORWARD_BIT),
    }


@cache
def tone_of(sentiment: float, threshold: float) -> Tone:
    """The tone a sentiment in [-1, 1] decides: positive or negative at `threshold` or beyond.

    Example:
        >>> tone_of(0.45, 0.3).value, tone_of(-0.1, 0.3).value
        ('positive', 'neutral')
    """
    if sentiment >= threshold:
        return _POSITIVE_TONE
    return _NEGATIVE_TONE if sentiment <= -threshold else _NEUTRAL_TONE


def _unscored(tone_threshold: float, hedge_threshold: float) -> dict[int, dict[str, object]]:
    """The verdict of a sentence whose terms hold no tone word and no modal, by whether
    one looks forward (its mask's forward bit)."""
    plain = _verdict((), (), 0, tone_threshold, hedge_threshold)
    return {0: plain, _FORWARD_BIT: {**plain, "forward_looking": True}}


def _attributive(pattern: _Pattern) -> dict[int, int]:
    """English direction words (`lower`, `rising`) by token, each with the token after it:
    a subject there is what the word qualifies. Chinese puts the subject first (成本下降)
    and joins a qualifier with 的, so only English takes this reading. A comparison that
    ends in a preposition (`well above`, `higher than`) names its benchmark after it, not
    its subject: it maps to -1."""
    out = {}
    for p in pattern:
        reach = _SIG_LIST[p & _SIG_ID].reach
        if reach is not None:
            out[p >> _AT] = -1 if reach < 0 else (p >> _AT) + reach
    return out


def _tone(hits: list[_Hit], cuts: tuple[int, ...], pattern: _Pattern, mask: int) -> float:
    """The summed tone of a sentence's cues, after direction, modifiers, negation and contrast."""
    if not mask & _CONTEXT_BITS:  # tone words alone, each counting as it is
        raw = 0.0
        for _, kind, weight in hits:
            if kind is _POSITIVE:
                raw += weight
            elif kind is _NEGATIVE:
                raw -= weight
        return raw
    values = [0.0] * len(hits)
    polar = []
    for n, (_, kind, weight) in enumerate(hits):
        if kind is _POSITIVE:
            values[n] = weight
            polar.append(n)
        elif kind is _NEGATIVE:
            values[n] = -weight
            polar.append(n)
    if mask & _DIRECTION_BITS:
        _directions(hits, polar, values, cuts, _attributive(pattern))
    negators = _of(hits, _NEGATOR) if mask & _NEGATOR_BIT else None
    intensifiers = _of(hits, _INTENSIFIER) if mask & _INTENSIFIER_BIT else None
    diminishers = _of(hits, _DIMINISHER) if mask & _DIMINISHER_BIT else None
    contrasts = _of(hits, _CONTRAST) if mask & _CONTRAST_BIT else None
    raw = 0.0
    for h, value in zip(hits, values, strict=True):
        if not value:
            continue
        # "不会出现这种情况" and "the outage did not affect us": a negator before the
        # cue, or after it as the verb its clause denies
        after = DENIAL_WINDOW if h[1] in _POLAR else 0
        if negators and _near(negators, h, NEGATION_WINDOW, after, cuts):
            # "no material impact": the intensifier belongs to the denial, not the impact
            value *= NEGATED_POSITIVE if value > 0 else NEGATED_NEGATIVE
        elif (intensifiers or diminishers) and (
            modifier := _near(intensifiers, h, MODIFIER_WINDOW, MODIFIER_WINDOW, cuts)
            or _near(diminishers, h, MODIFIER_WINDOW, MODIFIER_WINDOW, cuts)
        ):
            value *= (INTENSIFY if modifier[1] == _INTENSIFIER else DIMINISH) ** modifier[2]
        raw += value * _contrast_weight(h, contrasts, cuts) if contrasts else value
    return raw


def _of(hits: list[_Hit], kind: CueKind) -> list[_Hit]:
    return [h for h in hits if h[1] is kind]


def _directions(
    hits: list[_Hit],
    polar: list[int],
    values: list[float],
    cuts: tuple[int, ...],
    attributive: dict[int, int],
) -> None:
    """Set the value of each direction word (rose, 下降) by whether growth of what it
    changes is good news."""
    subjects = [h for h in hits if h[1] in _SUBJECTS] + [hits[p] for p in polar]
    last = None  # the direction word read before this one, by its place in hits
    for n, (first, kind, weight) in enumerate(hits):
        if kind not in _DIRECTIONS:
            continue
        subject = _subject(first, subjects, cuts, attributive.get(first))
        sign = 1 if kind == _INCREASE else -1
        prior, last = last, (n if subject is None else None)
        if _changes_change(hits, prior, first, subject, cuts, attributive):
            # 海外市场的增长可能会大幅放缓: a change of the change named just before it
            # without a subject of its own (增长 as the noun, growth)
            values[n] = sign * weight * (1 if hits[prior][1] == _INCREASE else -1)
            values[prior] = 0.0
        elif subject is None:
            # with no subject, a tone word of its own (slipped, 萎缩) speaks alone
            own = any(hits[p][0] == first for p in polar)
            values[n] = 0.0 if own else sign * weight * UNATTACHED_DIRECTION
        else:
            # A tone word outranks the glossary: 每股亏损 is an eps alias but a loss.
            tone = [hits[p] for p in polar if hits[p][0] == subject[0]]
            of = tone[0][1] if tone else subject[1]
            good = _SUBJECTS.get(of) or (1 if of == _POSITIVE else -1)
            values[n] = sign * good * weight
            # 亏损收窄: the change is the news, not the word 亏损 (nor slipped's own tone)
            for p in polar:
                if hits[p][0] in (subject[0], first):
                    values[p] = 0.0


def _changes_change(
    hits: list[_Hit],
    prior: int | None,
    first: int,
    subject: _Hit | None,
    cuts: tuple[int, ...],
    attributive: dict[int, int],
) -> bool:
    """Whether the direction word at token `first` changes the direction word `prior` (an
    index in hits, None unless that word had no subject): that one stands before it in its
    clause, nearer than its own subject."""
    if prior is None:
        return False
    at = hits[prior][0]
    if at >= first or not _same_clause(cuts, at, first):
        return False
    if subject is None:
        return True
    return (subject[0] <= at or subject[0] > first) and subject[0] != attributive.get(first)


def _subject(
    first: int, subjects: list[_Hit], cuts: tuple[int, ...], adjacent: int | None = None
) -> _Hit | None:
    """What a direction word at token `first` changes: the nearest subject before it in its
    clause (or in its own word, 成本上升), else the nearest after it. A word that is both a
    direction and a tone word (slipped, 萎缩) is not its own subject. An English direction
    word right before a subject (`lower fuel costs`, `higher losses`; token `adjacent`)
    qualifies that subject, whatever stands before it."""
    before = after = None
    for s in subjects:
        at = s[0]
        if (at == first and s[1] in _POLAR) or not _same_clause(cuts, at, first):
            continue
        if at <= first:
            if before is None or at > before[0]:
                before = s
        elif adjacent is not None and s[1] in _POLAR and at > first + OBJECT_REACH:
            continue  # English: `trimmed our outlook ... to reflect the weaker macro`
        elif after is None or at < after[0]:
            after = s
    if adjacent == -1:  # `ROIC reached 19%, well above our cost of capital`: a benchmark
        after = None
    if after is not None and after[0] == adjacent and (before is None or before[0] != first):
        return after
    # 汇率不利变动压缩了利润率, headwinds from currency reduced margins: a tone word a way
    # before is not what changes when a subject follows (`losses narrowed` stays as it is)
    far = before is not None and before[1] in _POLAR and before[0] < first - 1
    if far and after is not None and after[1] in _SUBJECTS:
        return after
    if before is None and after is None:
        # 亏损额远小于预期，且已连续三个季度收窄: a clause without a subject of its own
        # goes on about the last one named before it (a metric, not a tone word)
        earlier = [s for s in subjects if s[0] < first and s[1] in _SUBJECTS]
        return max(earlier, key=itemgetter(0)) if earlier else None
    return after if before is None else before


def _scope_factors(pattern: _Pattern, cuts: tuple[int, ...]) -> dict[int, float]:
    """What the cues of each term that does not count in full count for, by its token: its
    scope level from the marks around it (`_levels`), or the clause a subordinator or a
    reporting frame before it opens (up to the next clause break), whichever counts less.

    A subordinate clause that opens the sentence and runs to its end is no aside: it holds
    the main verb too (`Whether we extend the buyback depends on ...`). One that closes the
    sentence is (`Revenue will grow 10%, though FX could move it a point`)."""
    out: dict[int, float] = {}
    for k, p in enumerate(pattern):
        at = p >> _AT
        if level := p >> _SCOPE_SHIFT & 3:
            out[at] = min(out.get(at, 1.0), _SCOPES[level])
        opens = _SIG_LIST[p & _SIG_ID].opens
        if opens == 1.0:
            continue
        n = bisect_right(cuts, at)
        clause_end = cuts[n] if n < len(cuts) else math.inf
        if clause_end == math.inf and opens == ASIDE and k == 0 and n == 0:
            continue
        for q in pattern[k + 1 :]:
            if (later := q >> _AT) >= clause_end:
                break
            out[later] = min(out.get(later, 1.0), opens)
    return out


def _hedge(
    hits: list[_Hit], cuts: tuple[int, ...], mask: int, factors: dict[int, float] | None = None
) -> float:
    """The summed weight of a sentence's hedges and weak modals, each times what its scope
    counts for (`factors`, by token; 1 when absent), less what certainty offsets."""
    hedge = firm = certainty = 0.0
    negators = _of(hits, _NEGATOR) if mask & _NEGATOR_BIT else None
    for h in hits:
        kind, weight = h[1], h[2]
        counted = weight * factors.get(h[0], 1.0) if factors else weight
        # a word that is both (unlikely, 不太可能) denies what follows it, not its own hedge
        if kind in HEDGE_KINDS and not (
            negators and _near([m for m in negators if m[0] != h[0]], h, 1, 0, cuts)
        ):
            hedge += counted
            if kind is _HEDGE and weight >= 1:
                firm += counted
        elif kind == _STRONG_MODAL and not (negators and _near(negators, h, 2, 0, cuts)):
            certainty += counted
    # Certainty offsets modals and soft hedges (`we will definitely`), not a named
    # uncertainty (`确保它会有波动` still says it will fluctuate).
    return max(firm, hedge - CERTAINTY_OFFSET * certainty)


def _near(
    candidates: list[_Hit] | None, h: _Hit, before: int, after: int, cuts: tuple[int, ...]
) -> _Hit | None:
    """The first of `candidates` at most `before` tokens before `h` or `after` tokens after it,
    in its clause (a modifier may sit inside the cue's own segmenter word: 大幅增长)."""
    for m in candidates or ():
        if (0 <= h[0] - m[0] <= before or 0 < m[0] - h[0] <= after) and _same_clause(cuts, m[0], h[0]):
            return m
    return None


def _same_clause(cuts: tuple[int, ...], i: int, j: int) -> bool:
    return not cuts or bisect_right(cuts, i) == bisect_right(cuts, j)


def _contrast_weight(h: _Hit, contrasts: Iterable[_Hit], cuts: tuple[int, ...]) -> float:
    weight = 1.0
    for c in contrasts:
        if c[2] > 0:  # 但, but: the clause after it is what the speaker means
            weight *= AFTER_CONTRAST if h[0] > c[0] else BEFORE_CONTRAST
        else:  # 虽然, although: its own clause is the lesser one
            k = bisect_right(cuts, c[0])
            clause_end = cuts[k] if k < len(cuts) else math.inf
            if c[0] < h[0] < clause_end:
                weight *= BEFORE_CONTRAST
            elif h[0] > clause_end:
                weight *= AFTER_CONTRAST
    return weight


def _lexicon() -> dict[str, tuple[tuple[str, float], ...]]:
    """term -> ((category, weight), ...) from both lexicons and the metric glossary."""
    out: dict[str, dict[str, float]] = {}
    for name in ("lexicon_en.tsv", "lexicon_zh.tsv"):
        for row in lines(name):
            if len(row) not in (2, 3) or row[1] not in _CATEGORIES:
                raise ResourceError(
                    f"models/{name}: bad row {row!r}; expected term<TAB>category[<TAB>weight] with a "
                    f"category among {', '.join(sorted(_CATEGORIES))}"
                )
            term, category = row[0].casefold(), row[1]
            try:
                weight = float(row[2]) if len(row) == 3 else 1.0
            except ValueError:
                raise ResourceError(f"models/{name}: weight {row[2]!r} of {term!r} is not a number") from None
            if category in out.setdefault(term, {}):
                raise ResourceError(f"models/{name}: {term!r} is listed twice as {category}; keep one row")
            out[term][category] = weight
    for alias, good in metric_goods().items():
        if good in ("up", "down"):
            out.setdefault(alias, {}).setdefault(f"good_{good}", 1.0)
    kinds = {k.value: k for k in CueKind}
    return {term: tuple((kinds.get(c, c), w) for c, w in cats.items()) for term, cats in out.items()}


def aggregate(sentences: Sequence[Sentence], turns: Sequence[Turn]) -> tuple[Aggregate, ...]:
    """Scores summed up per call, section, role, speaker and turn (see `Aggregate`).

    Example:
        >>> from callnlp import analyze
        >>> result = analyze("Revenue grew 20%. Margins may be lumpy.".encode())
        >>> call = result.aggregates[0]
        >>> call.scope.value, call.sentences, call.hedged_share
        ('call', 2, 0.5)
    """
    groups: dict[tuple[Scope, str | None], list[Sentence]] = {}
    for s in sentences:
        keys = [(Scope.CALL, None), (Scope.SECTION, s.section.value)]
        if s.turn is not None:
            turn = turns[s.turn]
            keys += [(Scope.ROLE, turn.role.value), (Scope.TURN, str(s.turn))]
            if turn.speaker:
                keys.append((Scope.SPEAKER, turn.speaker))
        for key in keys:
            groups.setdefault(key, []).append(s)
    out = []
    for (scope, key), group in sorted(groups.items(), key=lambda item: _SCOPE_ORDER[item[0][0]]):
        n = len(group)
        out.append(
            Aggregate(
                scope,
                key,
                n,
                sum(s.tokens for s in group),
                round(net_tone(group), 4),
                round(hedging_density(group), 4),
                round(sum(1 for s in group if s.hedged) / n, 4),
                round(sum(1 for s in group if s.forward_looking) / n, 4),
            )
        )
    return tuple(out)


def net_tone(sentences: Sequence[Sentence]) -> float:
    """The mean sentiment of sentences (at least one), in [-1, 1]."""
    return sum(s.sentiment or 0.0 for s in sentences) / len(sentences)


def hedging_density(sentences: Sequence[Sentence]) -> float:
    """Hedge cues (hedges and weak modals) per 100 tokens of sentences; 0 without tokens."""
    tokens = sum(s.tokens for s in sentences)
    hedges = sum(1 for s in sentences for c in s.cues if c.kind in HEDGE_KINDS)
    return 100 * hedges / tokens if tokens else 0.0


_SCOPE_ORDER = {scope: i for i, scope in enumerate(Scope)}
