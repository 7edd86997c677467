"""A document's tone: what a call or an article says on the whole, not only the mean of its
sentences.

A reader weighs sentences by where they stand and what they do: the headline and the lead
of a write-up state its news, a conclusion (`overall`, `总体来看`, `维持…评级`) states what
the writer or speaker means, a sentence that reports an event (guidance raised, results
below expectations) or speaks strongly carries more than a line of detail, and an
operator's or an analyst's words are not the company's. So the document tone is a
weighted mean of sentence sentiment:

    tone = sum(w_i x sentiment_i) / sum(w_i)

with w_i the product of the weights below (1 for a plain sentence), over the sentences of
management when the call's speakers are known, else over every sentence but the
operator's.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from callnlp.events import events_in_all
from callnlp.phrases import PhraseMatcher
from callnlp.record import Role, Sentence, Turn
from callnlp.resources import lines

HEADLINE_WEIGHT = 3.0
"""The first sentence, when it is the document's own text (not a speaker's turn): a
write-up's or an article's headline, which states its news in one line."""
LEAD_WEIGHT = 2.0
"""The next LEAD_SENTENCES sentences of the document's own text: the lead that says what
the headline means."""
LEAD_SENTENCES = 2
CONCLUSION_WEIGHT = 2.0
"""A sentence that opens with a conclusion word (models/conclusions.tsv)."""
EVENT_WEIGHT = 2.0
"""A sentence that states an event of models/events.tsv."""
STRONG_WEIGHT = 1.5
"""A sentence whose sentiment is at least STRONG in size: a reader remembers it."""
STRONG = 0.8
NEUTRAL_WEIGHT = 0.5
"""A sentence the scorer called neutral (procedure, detail) counts half: a long list of
facts should not wash out what the document says of them, nor should it vanish."""
_SPEAKERS = (Role.EXECUTIVE,)
_NOT_SPEAKERS = (Role.OPERATOR, Role.ANALYST, Role.INTERPRETER)


def document_tone(
    sentences: Sequence[Sentence],
    turns: Sequence[Turn] = (),
    events: Sequence[frozenset[str]] | None = None,
) -> float | None:
    """The tone of a whole call or article in [-1, 1], weighted as the module describes;
    None when no sentence is scored.

    Args:
        sentences: the document's scored sentences, in order.
        turns: its speaker turns, when it has any.
        events: the events each sentence states (`callnlp.events.events_in_all`), when the
            caller has read them already.

    Example:
        >>> from callnlp import analyze
        >>> text = "公司净利润同比下降60%。\\n公司新建了一个仓库。员工人数保持稳定。"
        >>> record = analyze(text.encode())
        >>> document_tone(record.sentences) < sum(s.sentiment for s in record.sentences) / 3
        True
    """
    if events is None:
        events = events_in_all([s.text for s in sentences])
    stated = dict(zip((s.index for s in sentences), events, strict=True))
    said = _said(sentences, turns)
    own = {t.index for t in turns if t.speaker is None and t.role is Role.OTHER}
    concluded = _conclusions().each([s.text for s in said])
    weights = [
        _weight(s, i if s.turn is None or s.turn in own else None, bool(stated[s.index]), bool(found))
        for i, (s, found) in enumerate(zip(said, concluded, strict=True))
    ]
    total = sum(weights)
    if not total:
        return None
    return round(sum(w * (s.sentiment or 0.0) for w, s in zip(weights, said, strict=True)) / total, 4)


def _said(sentences: Sequence[Sentence], turns: Sequence[Turn]) -> list[Sentence]:
    """Management's sentences when the speakers are known (with what stands before any
    turn: a write-up's headline and lead), else every sentence outside operator, analyst
    and interpreter turns."""
    scored = [s for s in sentences if s.sentiment is not None]
    roles = {t.index: t.role for t in turns}
    if any(r in _SPEAKERS for r in roles.values()):
        return [s for s in scored if s.turn is None or roles.get(s.turn) in _SPEAKERS]
    return [s for s in scored if s.turn is None or roles.get(s.turn) not in _NOT_SPEAKERS]


def _weight(s: Sentence, position: int | None, event: bool, conclusion: bool) -> float:
    """The weight of a sentence; `position` is its place in the document when it is the
    document's own text (no speaker's turn: a write-up's, an article's), else None; `event`
    whether it states one, `conclusion` whether it draws one."""
    weight = 1.0
    if position == 0:
        weight *= HEADLINE_WEIGHT
    elif position is not None and position <= LEAD_SENTENCES:
        weight *= LEAD_WEIGHT
    if conclusion:
        weight *= CONCLUSION_WEIGHT
    if event:
        weight *= EVENT_WEIGHT
    if abs(s.sentiment or 0.0) >= STRONG:
        weight *= STRONG_WEIGHT
    if s.tone == "neutral":
        weight *= NEUTRAL_WEIGHT
    return weight


@cache
def _conclusions() -> PhraseMatcher:
    return PhraseMatcher((phrase, "conclusion") for phrase, *_ in lines("conclusions.tsv"))
