"""How management answers an analyst: how directly, how specifically, and where it declines.

Both texts are normalized as a transcript is (`callnlp.normalize`: Simplified Chinese,
half-width characters, straight quotes); then white space is collapsed (and dropped next
to a Han character, where a space or a line break only wraps the text) and English
contractions are spelled out (don't -> do not, we're -> we are, can't -> can not), so that
`don’t`, `do  not` and `DON'T` read alike. Cue offsets are mapped back into the answer as
given.

Evasion cues are the phrases of models/evasion.tsv (card: models/evasion.md) that decline
(`we don't guide quarterly`, 不予置评), defer (`we'll get back to you`, 会后再沟通) or say it
is too early to know (`too early to say`, 为时过早). A cue's clause is the refusal: from the
start of its sentence (or the last contrast word before it, `but`, 但) to the next comma or
stop after it. What the answer says outside its refusals (and outside questions of its
own, which restate what was asked) is what can answer the question.

directness is the weighted mean of the parts that apply to the question, taken over what
the answer says outside its refusals, times a discount for the refusals:

    directness = mean_w(words, topics, periods, numbers, meaning)
                 x (1 - EVASION_DISCOUNT x min(1, sum of cue weights))

- words: the question's content words the answer shares, over min(their number, WORDS_FULL);
- topics: the share of the metrics and topics the question names (models/metrics.tsv,
  models/topics.tsv) that the answer names, or states a figure of;
- periods: the share of the periods the question names that the answer names;
- numbers: when the question asks for a number (`how much`, `guidance`, 多少, 指引), 1 if
  the answer states a figure, else 0;
- meaning: with an embedder, the cosine similarity of the question and the answer (0 when
  negative).

specificity is a saturating function of specifics per content word, so that length alone
does not make an answer specific:

    specificity = 1 - exp(-SPECIFICITY_RATE x max(0, value) / max(content words, MIN_WORDS))

where a content word (not a stop word, not punctuation) is worth 1 when it is specific
(a number, a figure, a period, a code such as H100, a capitalised name not opening its
sentence, a Latin word in Chinese text), GENERIC_VALUE when it is a generic word
(models/evasion.tsv, category `generic`) or part of an evasion cue, and PLAIN_VALUE
otherwise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from callnlp.embed import Embedder
from callnlp.errors import ResourceError
from callnlp.figures import FigureExtractor
from callnlp.normalize import HAN_CHAR, Document, normalize
from callnlp.offsets import OffsetMap
from callnlp.periods import periods, resolve
from callnlp.phrases import PhraseMatcher, spell_out
from callnlp.record import Cue, CueKind
from callnlp.resources import lines
from callnlp.search.query import topics_of
from callnlp.sentences import split_sentences
from callnlp.text import Source
from callnlp.tokenize import Token, Tokenizer, TokenKind, default_tokenizer

WORDS_FULL = 4
"""Shared content words that count as fully taking up a question: its core is rarely more
than four content words, and a long question's preamble need not be echoed."""
WORDS_WEIGHT = 0.3
"""Sharing the question's words is the broadest sign an answer stays on it, and the
easiest to meet by restating the question, so it weighs no more than a stated number."""
TOPICS_WEIGHT = 0.25
"""The metric or topic asked about is what most questions are about."""
PERIODS_WEIGHT = 0.15
"""The period matters, but an answer about the full year to a quarterly question is still
an answer about the metric: the least weight."""
NUMBERS_WEIGHT = 0.3
"""A question asking for a number is answered by one; words around it are not."""
MEANING_WEIGHT = 0.3
"""An embedding sees paraphrase that shared words miss, but also rewards on-topic
refusals: as much as shared words."""
EVASION_DISCOUNT = 0.3
"""An answer that declines part of a question answers less than the same answer without
the refusal; what it does answer still counts, so the discount is partial (the refused
clause itself already counts for nothing)."""

SPECIFICITY_RATE = 3.0
"""An answer one third of whose content words are specifics scores 1 - 1/e (0.63)."""
MIN_WORDS = 5
"""A short reply is judged as if it had at least this many content words: one period or
name does not make a one-line answer specific."""
PLAIN_VALUE = 0.1
"""A plain content word says something, a tenth of what a specific says: a generic answer
scores above a thank-you."""
GENERIC_VALUE = -0.2
"""A generic word or an evasion phrase stands in for a specific: it takes back what two
plain words gave, so an answer made mostly of them scores 0, as a thank-you does."""

EVASIONS = ("decline", "defer", "unsure")
"""The evasion categories of models/evasion.tsv."""
_CATEGORIES = {"evasion": EVASIONS, "generic": ("generic",), "frame": ("frame",), "asks": ("asks",)}

# A cue right after a negation is its opposite: `it's not too early to see benefits`,
# 并非为时过早.
_NEGATED = re.compile(r"(?:(?<![A-Za-z])(?i:not|never) |不是|并非|并不|不算)$")
# Where a refusal's clause ends after its cue, and where one may start before it. 不但 is
# "not only", no contrast.
_BREAK = re.compile(r"[,;:!?。]|\.(?!\d)")
_CONTRAST = re.compile(
    r"(?<![A-Za-z])(?i:but|however|although|that said|having said that)(?![A-Za-z])"
    r"|(?<!不)但是?|不过|然而|可是"
)
_WORD_KINDS = (TokenKind.WORD, TokenKind.CODE)


@dataclass(frozen=True)
class AnswerAssessment:
    """How an answer meets its question.

    Attributes:
        directness: how directly the answer takes up what was asked, in [0, 1].
        specificity: how specific the answer is (figures, periods, names against generic
            words), in [0, 1].
        evasion_cues: the phrases that decline, defer or say it is too early to know, kind
            `evasion`; `start` and `end` point into the answer as given.
    """

    directness: float
    specificity: float
    evasion_cues: tuple[Cue, ...]


class AnswerAssessor:
    """Judges answers to analysts' questions; call it on a question and its answer.

    Args:
        tokenizer: the tokenizer; the shared default when None.
        embedder: when given, the similarity of meaning of question and answer is blended
            into directness.

    Example:
        >>> assess = AnswerAssessor()
        >>> a = assess("能否给出二季度的收入指引?", "我们不对季度收入作指引。")
        >>> a.directness < 0.3, [c.text for c in a.evasion_cues]
        (True, ['不对季度收入作指引'])
    """

    def __init__(self, tokenizer: Tokenizer | None = None, embedder: Embedder | None = None) -> None:
        self.tokenizer = tokenizer or default_tokenizer()  # jieba loads on the first Chinese text
        self.embedder = embedder

    def __call__(self, question: str, answer: str, *, normalized: bool = False) -> AnswerAssessment:
        """Assess `answer` as a reply to `question`.

        Args:
            question: the analyst's question, as said.
            answer: management's answer, as said.
            normalized: both texts are normalized already (as every `Sentence.text` is), so
                that step is skipped.

        Returns:
            The assessment; its cues point into `answer`.
        """
        q, a = _prepare(question, normalized), _prepare(answer, normalized)
        found = [(s, e, w) for s, e, _, w in _evasions(a.text)]
        silent = _unanswering(a.text, [(s, e) for s, e, _ in found])
        said = "\n".join(a.text[s:e] for s, e in _outside(silent, len(a.text)))
        return AnswerAssessment(
            directness=round(self._directness(q.text, said, sum(w for _, _, w in found)), 4),
            specificity=round(self._specificity(a.text, [(s, e) for s, e, _ in found]), 4),
            evasion_cues=tuple(_cues(answer, a.span, found)),
        )

    def _directness(self, question: str, said: str, evasion: float) -> float:
        asked, answered = self._facts(question), self._facts(said)
        parts: list[tuple[float, float]] = []  # (weight, value)
        if asked.words:
            shared = _shared(asked.words, answered.words) / min(len(asked.words), WORDS_FULL)
            parts.append((WORDS_WEIGHT, min(1.0, shared)))
        if asked.topics:
            parts.append((TOPICS_WEIGHT, len(asked.topics & answered.topics) / len(asked.topics)))
        if asked.periods:
            met = sum(any(_same_period(p, r) for r in answered.periods) for p in asked.periods)
            parts.append((PERIODS_WEIGHT, met / len(asked.periods)))
        if asked.asks_number:
            parts.append((NUMBERS_WEIGHT, 1.0 if answered.figures else 0.0))
        if self.embedder is not None:
            parts.append((MEANING_WEIGHT, self._meaning(question, said)))
        if not parts:
            return 0.0
        base = sum(w * v for w, v in parts) / sum(w for w, _ in parts)
        return base * (1 - EVASION_DISCOUNT * min(1.0, evasion))

    def _meaning(self, question: str, said: str) -> float:
        if not said.strip() or not question.strip():
            return 0.0
        vectors = self.embedder.encode([question, said])  # unit rows: the dot is the cosine
        return min(1.0, max(0.0, float(vectors[0] @ vectors[1])))

    def _facts(self, text: str) -> _Facts:
        tokens = self.tokenizer(text)
        framed = _mask(text, [(s, e) for s, e, *_ in _matches(text, "frame")])
        stop = _stopwords()
        words = frozenset(
            _stem(t.text.lower())
            for t in tokens
            if t.kind in _WORD_KINDS and t.text.lower() not in stop and not any(framed[t.start : t.end])
        )
        figures = _figures(text)
        topics = frozenset(topics_of(text)) | {f"metric:{m}" for _, _, m in figures if m != "other"}
        named = frozenset(_period(m) for m in periods(text))
        asks = next(_matches(text, "asks"), None) is not None
        return _Facts(words, topics, named, len(figures), asks)

    def _specificity(self, text: str, cues: list[tuple[int, int]]) -> float:
        specific = _mask(text, [(s, e) for s, e, _ in _figures(text)] + [m.span() for m in periods(text)])
        generic = _mask(text, [(s, e) for s, e, *_ in _matches(text, "generic")] + cues)
        openers = {s for s, _ in split_sentences(text)}
        stop = _stopwords()
        tokens = self.tokenizer(text)
        count, value = 0, 0.0
        for i, t in enumerate(tokens):
            if t.kind is TokenKind.PUNCT or t.text.lower() in stop:
                continue
            count += 1
            if t.kind is not TokenKind.WORD or any(specific[t.start : t.end]) or _named(tokens, i, openers):
                value += 1
            elif any(generic[t.start : t.end]):
                value += GENERIC_VALUE
            else:
                value += PLAIN_VALUE
        return 1 - math.exp(-SPECIFICITY_RATE * max(0.0, value) / max(count, MIN_WORDS)) if count else 0.0


def assess_answer(question: str, answer: str) -> AnswerAssessment:
    """How directly and how specifically `answer` meets `question`, and its evasion cues.

    Args:
        question: the analyst's question.
        answer: management's answer.

    Returns:
        directness and specificity in [0, 1]; the evasion cues, with offsets into `answer`.

    Example:
        >>> q = "What revenue do you expect for the second quarter?"
        >>> refusal = assess_answer(q, "We don’t guide quarterly.")
        >>> refusal.directness < 0.3, [(c.text, c.start, c.end) for c in refusal.evasion_cues]
        (True, [('don’t guide', 3, 14)])
        >>> answer = assess_answer(q, "For the second quarter we expect revenue of $10.5 to $11 billion.")
        >>> answer.directness > 0.6, answer.specificity > refusal.specificity
        (True, True)
    """
    return _default()(question, answer)


def evasion_spans(text: str) -> list[tuple[int, int]]:
    """Where a normalized text (a `Sentence.text`) declines, defers or says it is too early
    to know: for callers that count the cues of many sentences.

    Example:
        >>> text = "Revenue grew. We won't speculate on Q3."
        >>> [text[s:e] for s, e in evasion_spans(text)]
        ["won't speculate"]
    """
    if not _lexicon()["evasion"].might_match(text):
        return []
    spelled, back = spell_out(text)
    return [back.span(s, e) for s, e, _, _ in _evasions(spelled)]


def _cues(
    text: str, span: Callable[[int, int], tuple[int, int]], found: list[tuple[int, int, float]]
) -> list[Cue]:
    """The cues `found` in a prepared text, as Cues into `text`, which `span` maps back to."""
    spans = [(_word_start(text, start), end) for start, end in (span(s, e) for s, e, _ in found)]
    return [Cue(text[start:end], CueKind.EVASION, start, end) for start, end in spans]


@cache
def _default() -> AnswerAssessor:
    return AnswerAssessor()


class _Facts(NamedTuple):
    """What a text says that a question may ask for."""

    words: frozenset[str]  # content words, stemmed
    topics: frozenset[str]  # glossary topics and `metric:` names
    periods: frozenset[tuple[str, str | None]]  # (label, year)
    figures: int
    asks_number: bool


@dataclass(frozen=True)
class _Prepared:
    """A text as assessed, with the way back to the text as given."""

    text: str
    doc: Document
    edits: OffsetMap  # prepared -> normalized

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the text as given of the prepared span [start, end)."""
        return self.doc.span(*self.edits.span(start, end))


def _prepare(text: str, normalized: bool = False) -> _Prepared:
    """Normalize `text` (unless it is already), collapse its white space and spell out its
    contractions."""
    doc = Document(Source(text, id=""), text, OffsetMap.identity(len(text))) if normalized else None
    doc = doc or normalize(Source(text, id=""))
    spelled, to_norm = spell_out(doc.text)
    return _Prepared(spelled, doc, to_norm)


class _Row(NamedTuple):
    category: str
    weight: float


@cache
def _lexicon() -> dict[str, PhraseMatcher]:
    """A matcher per group of categories (evasion, generic, frame, asks), each row labelled
    with its category and weight."""
    rows: dict[str, list[tuple[str, _Row]]] = {group: [] for group in _CATEGORIES}
    group_of = {c: group for group, categories in _CATEGORIES.items() for c in categories}
    seen: set[tuple[str, str]] = set()
    for row in lines("evasion.tsv"):
        if len(row) not in (3, 4) or row[1] not in ("zh", "en") or row[2] not in group_of or not row[0]:
            raise ResourceError(
                f"models/evasion.tsv: bad row {row!r}; expected phrase<TAB>zh|en<TAB>category[<TAB>weight] "
                f"with a category among {', '.join(group_of)}"
            )
        phrase, _, category = row[:3]
        if (phrase, category) in seen:
            raise ResourceError(f"models/evasion.tsv: {phrase!r} is listed twice as {category}; keep one row")
        seen.add((phrase, category))
        try:
            weight = float(row[3]) if len(row) == 4 else 1.0
        except ValueError:
            raise ResourceError(
                f"models/evasion.tsv: weight {row[3]!r} of {phrase!r} is not a number"
            ) from None
        rows[group_of[category]].append((phrase, _Row(category, weight)))
    return {group: PhraseMatcher(found) for group, found in rows.items()}


def _matches(text: str, group: str) -> Iterator[tuple[int, int, str, float]]:
    """(start, end, category, weight) of every row of `group` found in prepared `text`."""
    for label, start, end in _lexicon()[group].scan(text):
        yield start, end, label.category, label.weight


def _evasions(text: str) -> list[tuple[int, int, str, float]]:
    """The evasion cues of prepared `text`, without those right after a negation."""
    return [c for c in _matches(text, "evasion") if not _NEGATED.search(text, 0, c[0])]


_LATIN_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'’")


def _word_start(text: str, start: int) -> int:
    """The start of the English word `start` falls in: a cue that starts on a spelled-out
    contraction (`not going to comment` in `aren't going to comment`) maps back to its
    middle (`n't`)."""
    if start >= len(text) or text[start] not in _LATIN_WORD:
        return start
    first = start
    while first and text[first - 1] in _LATIN_WORD:
        first -= 1
    while first < start and text[first] in "'’":  # an opening quote is no part of the word
        first += 1
    return first


def _unanswering(text: str, cues: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of prepared `text` that answer nothing, merged, in order: the clause of each
    cue (from the start of its sentence, or the last contrast word before it, to the next
    break or contrast word after it), and every sentence that is itself a question (`Revenue
    in the second quarter? It's too early to say.` restates what was asked)."""
    sentences = split_sentences(text)
    spans = [(s, e) for s, e in sentences if text[s:e].rstrip("\"')]」』》").endswith("?")]
    for s, e in cues:
        ss, se = next(((a, b) for a, b in sentences if a <= s < b), (0, len(text)))
        start = max([m.start() for m in _CONTRAST.finditer(text, ss, s)], default=ss)
        ends = [m.end() for m in (_BREAK.search(text, e, se),) if m]
        ends += [m.start() for m in (_CONTRAST.search(text, e, se),) if m]
        spans.append((start, min(ends, default=se)))
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def _outside(spans: list[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """The parts of [0, length) outside sorted, disjoint `spans`."""
    out, pos = [], 0
    for s, e in spans:
        if s > pos:
            out.append((pos, s))
        pos = e
    if pos < length:
        out.append((pos, length))
    return out


def _mask(text: str, spans: Iterable[tuple[int, int]]) -> bytearray:
    """One byte per character of `text`: 1 inside any of `spans`."""
    mask = bytearray(len(text))
    for s, e in spans:
        mask[s:e] = b"\x01" * (e - s)
    return mask


@cache
def _extractor() -> FigureExtractor:
    return FigureExtractor()


def _figures(text: str) -> list[tuple[int, int, str]]:
    """(start, end, metric) of the figures of every sentence of prepared `text`."""
    fx = _extractor()
    return [(s + f.start, s + f.end, f.metric) for s, e in split_sentences(text) for f in fx(text[s:e])]


def _shared(asked: frozenset[str], answered: frozenset[str]) -> int:
    """How many of the question's words the answer uses. A Chinese word also counts inside a
    longer word of the answer: the segmenter cuts by context (收入, but 但全年收入 -> 全年收入)."""
    longer = [w for w in answered if len(w) > 2 and HAN_CHAR.match(w)]
    inside = [w for w in asked - answered if len(w) > 1 and HAN_CHAR.match(w) and any(w in x for x in longer)]
    return len(asked & answered) + len(inside)


def _period(m: re.Match[str]) -> tuple[str, str | None]:
    """(label, year) of a period mention: ('Q2', '2025'), ('Q2', None), ('FY', None) ..."""
    resolved = resolve(m, None, None)
    if resolved is None:  # `full year`, `last year` without the call's own year
        return ("FY" if m.group("full") else "prior", None)
    if "Q" in resolved:
        year, _, quarter = resolved.partition("Q")
        return f"Q{quarter}", year or None
    return "FY", resolved[2:] or None


def _same_period(asked: tuple[str, str | None], said: tuple[str, str | None]) -> bool:
    """Whether `said` answers `asked`: the same quarter or year, a year missing on either side."""
    return asked[0] == said[0] and (asked[1] is None or said[1] is None or asked[1] == said[1])


def _named(tokens: list[Token], i: int, openers: set[int]) -> bool:
    """Whether tokens[i] is a name: a Latin word next to Chinese (用于GPU和), or a capitalised
    one that does not open its sentence."""
    t = tokens[i]
    if t.lang != "en":
        return False
    beside = (tokens[j].lang for j in (i - 1, i + 1) if 0 <= j < len(tokens))
    return "zh" in beside or (t.start not in openers and len(t.text) > 1 and t.text[0].isupper())


@cache
def _stopwords() -> frozenset[str]:
    return frozenset(row[0] for row in lines("stopwords.txt"))


def _stem(word: str) -> str:
    """A light English stem, so that margins/margin and guided/guides/guiding/guide meet."""
    if not (word.isascii() and word.isalpha()) or len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) > 5:
        word = word[:-3]
    elif word.endswith("ed") and len(word) > 4:
        word = word[:-2]
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "ls":
        word = word[:-1]  # planned, planning -> plan
    return word
