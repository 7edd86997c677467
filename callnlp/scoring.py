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
  so 净亏损扩大 and `costs rose` are negative and 亏损收窄 and `revenue grew 420%` positive;
- hedges and weak modals (可能, 不稳定, may, lumpy) make hedging, certainty (一定,
  definitely) takes some away; forward-looking words (预计, expect) or a guidance figure
  make a sentence forward-looking.

Sentiment is `raw / sqrt(raw² + 1)` of the summed cue values, so one plain cue gives about
0.7; hedging is `1 - 0.5 ** h` of the summed hedge weights `h`, so one full hedge gives 0.5.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import compress, count, pairwise
from operator import itemgetter
from typing import NamedTuple

from callnlp.errors import ResourceError
from callnlp.figures import metric_goods
from callnlp.offsets import OffsetMap
from callnlp.record import Aggregate, Cue, CueKind, Scope, Sentence, Tone, Turn
from callnlp.resources import lines
from callnlp.tokenize import Token, Tokenizer, default_tokenizer

_SUBJECTS = {"good_up": 1, "good_down": -1}
_MASK = "mask"
_CATEGORIES = {k.value for k in CueKind} | set(_SUBJECTS) | {_MASK}
_TONE_OR_HEDGE = (CueKind.POSITIVE, CueKind.NEGATIVE, CueKind.HEDGE)
_DIRECTIONS = (CueKind.INCREASE, CueKind.DECREASE)
_POLAR = (CueKind.POSITIVE, CueKind.NEGATIVE)
_TONED = (*_POLAR, *_DIRECTIONS)
_INNER_KINDS = {*_TONE_OR_HEDGE, *_DIRECTIONS, *_SUBJECTS, CueKind.INTENSIFIER, CueKind.DIMINISHER}
_BREAKS = frozenset(",;:,;:()—-")

NEGATION_WINDOW = 12
"""Tokens after a negator, within its clause, whose tone it turns."""
DENIAL_WINDOW = 6
"""Tokens after a tone word within which a negator denies it (the outage did not ...)."""
MODIFIER_WINDOW = 2
"""Tokens between an intensifier or diminisher and the cue it scales."""
NEGATED_POSITIVE = -0.8
NEGATED_NEGATIVE = -0.3
"""`not good` is nearly as bad as `bad`; `not bad` is only a little good."""
INTENSIFY, DIMINISH = 1.5, 0.5
BEFORE_CONTRAST, AFTER_CONTRAST = 0.5, 1.5
UNATTACHED_DIRECTION = 0.5
"""The tone of a bare `rose` or `下降` whose subject the sentence does not name."""
CERTAINTY_OFFSET = 0.5
"""How much one certainty cue takes from the summed weights of modals and soft hedges."""


@dataclass(frozen=True)
class Score:
    """The lexicon scorer's reading of one sentence (see `Sentence` for the fields)."""

    sentiment: float
    tone: Tone
    hedging: float
    hedged: bool
    forward_looking: bool
    cues: tuple[Cue, ...] = ()


class _Entry(NamedTuple):
    parts: tuple[str, ...]  # the tokens the term is cut into, lower case
    cues: tuple[tuple[str, float], ...]  # (category, weight) of the term, masks left out


_Hit = tuple[int, int, str, float]
"""One cue found in a sentence: (first token, token after it, kind, weight). A plain tuple, as
thousands are made per call."""


class _Lookup(dict):
    """Token text -> the lexicon entries starting with it, longest first (None for none).

    Any casing of an English term finds it (`Revenue`, `REVENUE`). A Chinese segmenter
    word not in the lexicon counts as the terms it holds: 成本上升 as 成本 and 上升,
    管理费用 as 费用. Answers are cached, so a text's tokens are looked up at C speed.
    """

    def __init__(self, index: dict[str, list[_Entry]], inner: dict[str, tuple]) -> None:
        super().__init__(index)
        self._inner = sorted(inner.items(), key=lambda item: -len(item[0]))

    def __missing__(self, text: str) -> list[_Entry] | None:
        found = None
        lower = text.lower()
        if lower != text:
            found = self[lower]
        elif len(text) > 2 and text[0] >= "\u3400":
            rest, categories = text, ()
            for term, cats in self._inner:
                if term in rest:
                    rest = rest.replace(term, "\0")
                    categories += cats
            if categories:
                found = [_entry((text,), categories)]
        if len(self) < 500_000:
            self[text] = found
        return found


class LexiconScorer:
    """Sentiment, hedging and forward-looking flags from the project's lexicons.

    Args:
        tokenizer: the tokenizer that cuts both the text and the lexicon's terms (the
            default one when None), so a term matches as the segmenter sees it.
        tone_threshold: |sentiment| at or above which the tone is positive or negative.
        hedge_threshold: hedging at or above which a sentence is hedged.

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
    ) -> None:
        self.tokenizer = tokenizer or default_tokenizer()
        self.tone_threshold = tone_threshold
        self.hedge_threshold = hedge_threshold

    def __call__(self, text: str) -> Score:
        """Score one sentence given as text."""
        tokens = self.tokenizer(text, OffsetMap.identity(len(text)))
        return self.score(tokens, [(0, len(tokens))])[0]

    def score(
        self,
        tokens: Sequence[Token],
        bounds: Iterable[tuple[int, int]],
        guided: frozenset[int] = frozenset(),
    ) -> list[Score]:
        """Score many sentences of one token list.

        Args:
            tokens: the tokens of a whole text, in order.
            bounds: each sentence's tokens as a (first, end) index range.
            guided: positions (in `bounds`) of sentences holding a guidance figure; they are
                forward-looking whatever their words.

        Returns:
            One `Score` per sentence, in order.
        """
        # One C-level pass finds the few tokens that start a cue; only the sentences that
        # hold one are looked at word by word.
        lookup = self._lookup
        texts = list(map(itemgetter(0), tokens))
        starts = list(compress(count(), map(lookup.__getitem__, texts)))
        scores = []
        for n, (a, b) in enumerate(bounds):
            lo, hi = bisect_left(starts, a), bisect_left(starts, b)
            hits = _match(starts[lo:hi], lookup, texts, b) if lo < hi else None
            if hits:
                scores.append(self._judge(hits, texts, a, b, tokens, n in guided))
            else:
                scores.append(_FORWARD if n in guided else _PLAIN)
        return scores

    @property
    def _lookup(self) -> _Lookup:
        return _index(self.tokenizer)

    def _judge(
        self, hits: list[_Hit], texts: list[str], a: int, b: int, tokens: Sequence[Token], guided: bool
    ) -> Score:
        """The score of the sentence of tokens a to b from the cues found in it."""
        by_kind: dict[str, list[_Hit]] = {}
        for h in hits:
            by_kind.setdefault(h[2], []).append(h)
        # Most sentences hold no tone word, or no hedge: their part of the score is zero.
        raw = 0.0 if by_kind.keys().isdisjoint(_TONED) else _tone(hits, by_kind, texts, a, b)
        hedge = 0.0 if by_kind.keys().isdisjoint(_MODALS) else _hedge(hits, by_kind, texts)
        forward = guided or CueKind.FORWARD in by_kind
        cues = tuple(_cue(h, tokens) for h in hits if h[2] in _CUE_KINDS)
        return self._decide(raw, hedge, forward, cues)

    def _decide(self, raw: float, hedge: float, forward: bool, cues: tuple[Cue, ...]) -> Score:
        """The score of a sentence from its summed tone `raw` and summed hedge weight `hedge`."""
        sentiment = raw / math.sqrt(raw * raw + 1)
        hedging = 1 - 0.5**hedge
        tone = Tone.NEUTRAL
        if sentiment >= self.tone_threshold:
            tone = Tone.POSITIVE
        elif sentiment <= -self.tone_threshold:
            tone = Tone.NEGATIVE
        return Score(
            round(sentiment, 4), tone, round(hedging, 4), hedging >= self.hedge_threshold, forward, cues
        )


_CUE_KINDS = {k.value for k in CueKind}
_MODALS = (CueKind.HEDGE, CueKind.WEAK_MODAL, CueKind.STRONG_MODAL)
_PLAIN = Score(0.0, Tone.NEUTRAL, 0.0, False, False)
_FORWARD = Score(0.0, Tone.NEUTRAL, 0.0, False, True)


@cache
def _index(tokenizer: Tokenizer) -> _Lookup:
    """The lexicon cut by `tokenizer`, made once per tokenizer and shared by every scorer."""
    lexicon = _lexicon()
    inner = {t: cats for t, cats in lexicon.items() if len(t) > 1 and t[0] >= "\u3400" and _inner(cats)}
    index: dict[str, list[_Entry]] = {}
    for term, categories in lexicon.items():
        parts = tuple(t.text.lower() for t in tokenizer(term, OffsetMap.identity(len(term))))
        if not _tone_or_hedge(categories) and _MASK not in dict(categories):
            # A metric or phrase holding a tone word keeps its tone: 净亏损, net loss.
            within = [p for p in parts if p in lexicon] if len(parts) > 1 else []
            within += [t for t in sorted(inner, key=len, reverse=True) if t in term and t != term][:1]
            categories += tuple(c for p in within for c in lexicon[p] if c[0] in _TONE_OR_HEDGE)
        index.setdefault(parts[0], []).append(_entry(parts, categories))
    for options in index.values():
        options.sort(key=lambda e: -len(e.parts))
    return _Lookup(index, inner)


def _entry(parts: tuple[str, ...], categories: tuple[tuple[str, float], ...]) -> _Entry:
    # A mask (`could you`) only keeps its tokens from matching anything else.
    return _Entry(parts, tuple(c for c in categories if c[0] != _MASK))


def _tone_or_hedge(categories: tuple[tuple[str, float], ...]) -> bool:
    return any(kind in _TONE_OR_HEDGE for kind, _ in categories)


def _inner(categories: tuple[tuple[str, float], ...]) -> bool:
    """Whether a term counts inside a longer segmenter word that holds it."""
    return any(kind in _INNER_KINDS for kind, _ in categories)


def _match(starts: list[int], lookup: _Lookup, texts: list[str], end: int) -> list[_Hit]:
    """The cues starting at `starts`, longest entry first, a token in one cue at most."""
    hits: list[_Hit] = []
    covered = -1
    for i in starts:
        if i < covered:
            continue
        options = lookup[texts[i]]
        window = None
        for parts, cues in options:
            k = len(parts)
            if k > 1:
                # entries are longest first: lower-case the longest window once, compare prefixes
                window = window or tuple(map(str.lower, texts[i : min(end, i + len(options[0].parts))]))
                if window[:k] != parts:
                    continue
            covered = i + k
            hits += [(i, covered, kind, weight) for kind, weight in cues]
            break
    return hits


def _tone(hits: list[_Hit], by_kind: dict[str, list[_Hit]], texts: list[str], a: int, b: int) -> float:
    """The summed tone of a sentence's cues, after direction, modifiers, negation and contrast."""
    values = [0.0] * len(hits)
    polar = [n for n, h in enumerate(hits) if h[2] in _POLAR]
    for n in polar:
        values[n] = hits[n][3] if hits[n][2] == CueKind.POSITIVE else -hits[n][3]
    subjects = [h for h in hits if h[2] in _SUBJECTS] + [hits[n] for n in polar]
    for n, (first, _, kind, weight) in enumerate(hits):
        if kind not in _DIRECTIONS:
            continue
        # A word that is both a direction and a tone word (slipped, 萎缩) is not its
        # own subject; with no other subject its tone word speaks alone.
        own = any(hits[p][0] == first for p in polar)
        subject = _subject(first, [s for s in subjects if s[0] != first or s[2] in _SUBJECTS], texts)
        sign = 1 if kind == CueKind.INCREASE else -1
        if subject is None:
            values[n] = 0.0 if own else sign * weight * UNATTACHED_DIRECTION
        else:
            # A tone word outranks the glossary: 每股亏损 is an eps alias but a loss.
            tone = [hits[p] for p in polar if hits[p][0] == subject[0]]
            of = tone[0][2] if tone else subject[2]
            good = _SUBJECTS.get(of) or (1 if of == CueKind.POSITIVE else -1)
            values[n] = sign * good * weight
            # 亏损收窄: the change is the news, not the word 亏损 (nor slipped's own tone)
            for p in polar:
                if hits[p][0] in (subject[0], first):
                    values[p] = 0.0
    contrasts = by_kind.get(CueKind.CONTRAST, ())
    cuts = _cuts(texts, a, b) if contrasts else []
    raw = 0.0
    for h, value in zip(hits, values, strict=True):
        if not value:
            continue
        # "不会出现这种情况" and "the outage did not affect us": a negator before the
        # cue, or after it as the verb its clause denies
        after = DENIAL_WINDOW if h[2] in _POLAR else 0
        if _near(by_kind.get(CueKind.NEGATOR), h, NEGATION_WINDOW, after, texts):
            # "no material impact": the intensifier belongs to the denial, not the impact
            value *= NEGATED_POSITIVE if value > 0 else NEGATED_NEGATIVE
        elif modifier := _near(
            by_kind.get(CueKind.INTENSIFIER), h, MODIFIER_WINDOW, MODIFIER_WINDOW, texts
        ) or _near(by_kind.get(CueKind.DIMINISHER), h, MODIFIER_WINDOW, MODIFIER_WINDOW, texts):
            value *= (INTENSIFY if modifier[2] == CueKind.INTENSIFIER else DIMINISH) ** modifier[3]
        raw += value * _contrast_weight(h, contrasts, cuts) if contrasts else value
    return raw


def _hedge(hits: list[_Hit], by_kind: dict[str, list[_Hit]], texts: list[str]) -> float:
    """The summed weight of a sentence's hedges and weak modals, less what certainty offsets."""
    hedge = firm = certainty = 0.0
    negators = by_kind.get(CueKind.NEGATOR)
    for h in hits:
        kind, weight = h[2], h[3]
        if kind in (CueKind.HEDGE, CueKind.WEAK_MODAL) and not _near(negators, h, 1, 0, texts):
            hedge += weight
            if kind is CueKind.HEDGE and weight >= 1:
                firm += weight
        elif kind == CueKind.STRONG_MODAL and not _near(negators, h, 2, 0, texts):
            certainty += weight
    # Certainty offsets modals and soft hedges (`we will definitely`), not a named
    # uncertainty (`确保它会有波动` still says it will fluctuate).
    return max(firm, hedge - CERTAINTY_OFFSET * certainty)


def _near(candidates: list[_Hit] | None, h: _Hit, before: int, after: int, texts: list[str]) -> _Hit | None:
    """The first of `candidates` at most `before` tokens before `h` or `after` tokens after it,
    in its clause (a modifier may sit inside the cue's own segmenter word: 大幅增长)."""
    for m in candidates or ():
        if (0 <= h[0] - m[0] <= before or 0 < m[0] - h[0] <= after) and _same_clause(texts, m[0], h[0]):
            return m
    return None


def _same_clause(texts: list[str], i: int, j: int) -> bool:
    """Whether no clause break (a comma, a dash ...) follows token i up to token j, or j up to i."""
    return _BREAKS.isdisjoint(texts[min(i, j) + 1 : max(i, j) + 1])


def _cuts(texts: list[str], a: int, b: int) -> list[int]:
    """The clause breaks of the sentence of tokens a to b."""
    return list(compress(range(a, b), map(_BREAKS.__contains__, texts[a:b])))


def _subject(first: int, subjects: list[_Hit], texts: list[str]) -> _Hit | None:
    """What a direction word at token `first` changes: the nearest subject before it in its
    clause (or in its own word, 成本上升), else the nearest after it."""
    same = [s for s in subjects if _same_clause(texts, s[0], first)]
    before = [s for s in same if s[0] <= first]
    if before:
        return max(before, key=itemgetter(0))
    after = [s for s in same if s[0] > first]
    return min(after, key=itemgetter(0)) if after else None


def _contrast_weight(h: _Hit, contrasts: Iterable[_Hit], cuts: list[int]) -> float:
    weight = 1.0
    for c in contrasts:
        if c[3] > 0:  # 但, but: the clause after it is what the speaker means
            weight *= AFTER_CONTRAST if h[0] > c[0] else BEFORE_CONTRAST
        else:  # 虽然, although: its own clause is the lesser one
            k = bisect_right(cuts, c[0])
            clause_end = cuts[k] if k < len(cuts) else math.inf
            if c[0] < h[0] < clause_end:
                weight *= BEFORE_CONTRAST
            elif h[0] > clause_end:
                weight *= AFTER_CONTRAST
    return weight


def _cue(h: _Hit, tokens: Sequence[Token]) -> Cue:
    first, last, kind = h[0], h[1], h[2]
    if last == first + 1:
        tok = tokens[first]
        return Cue(tok.text, kind, tok.start, tok.end)
    parts = tokens[first:last]
    text = parts[0].text
    for prev, tok in pairwise(parts):
        text += (" " if prev.end < tok.start else "") + tok.text
    return Cue(text, kind, parts[0].start, parts[-1].end)


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
        tokens = sum(s.tokens for s in group)
        hedges = sum(1 for s in group for c in s.cues if c.kind in (CueKind.HEDGE, CueKind.WEAK_MODAL))
        out.append(
            Aggregate(
                scope,
                key,
                n,
                tokens,
                round(sum(s.sentiment or 0.0 for s in group) / n, 4),
                round(100 * hedges / tokens, 4) if tokens else 0.0,
                round(sum(1 for s in group if s.hedged) / n, 4),
                round(sum(1 for s in group if s.forward_looking) / n, 4),
            )
        )
    return tuple(out)


_SCOPE_ORDER = {scope: i for i, scope in enumerate(Scope)}
