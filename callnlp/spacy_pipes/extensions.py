"""The extension attributes the `callnlp` component fills, and the record's way through
`Doc.to_bytes`: every attribute is read from `doc._.call`, so nothing but the record is
kept, and it is written as the event store's rows."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from functools import cache, partial
from operator import attrgetter
from typing import Any

import srsly
from spacy.tokens import Doc, Span

from callnlp import schema
from callnlp.record import CallAnalysis, Cue, Sentence, Turn

RECORD = ("._.", "callnlp_record", None, None)
"""Where a Doc keeps its record in `user_data` (the key form of spaCy's extension values)."""
_ROWS = "callnlp.rows"
"""The key of a record that `Doc.to_bytes` wrote as the store's rows."""


def cues(analysis: CallAnalysis) -> tuple[Cue, ...]:
    """Every cue of a record: its sentences' cues in order, then its answers' evasion cues.

    Example:
        >>> import callnlp
        >>> [(c.text, c.kind.value) for c in cues(callnlp.analyze("Demand may weaken.".encode()))]
        [('may', 'weak_modal'), ('weaken', 'negative')]
    """
    return tuple(c for s in analysis.sentences for c in s.cues) + tuple(
        c for p in analysis.qa_pairs for c in p.evasion_cues
    )


@cache
def register() -> None:
    """Registers the extension attributes (once a process; `force`, so that a module
    reloaded or an older registration of the same names gives way). The getters are
    module functions and partials of them, which pickle for spawned `nlp.pipe` workers."""
    Doc.set_extension("call", getter=_call, force=True)
    Doc.set_extension("misaligned", default=0, force=True)
    getters = {
        "figure": partial(_own, attrgetter("figures")),
        "cue": partial(_own, _all_cues),
        "speaker": partial(_field, partial(_own, attrgetter("turns")), "speaker"),
        "role": partial(_field, partial(_own, attrgetter("turns")), "role"),
        "section": partial(_field, partial(_own, attrgetter("turns")), "section"),
        "sentiment": partial(_field, _sentence, "sentiment"),
        "hedging": partial(_field, _sentence, "hedging"),
    }
    for name, getter in getters.items():
        Span.set_extension(name, getter=getter, force=True)


def _call(doc: Doc) -> CallAnalysis | None:
    record = doc.user_data.get(RECORD)
    if isinstance(record, dict):  # as Doc.from_bytes brought it back
        record = doc.user_data[RECORD] = _rebuild(record[_ROWS])
    return record


def _own(items: Callable[[CallAnalysis], tuple[Any, ...]], span: Span) -> Any:
    """The figure, cue or turn (of `items(record)`) that one of the component's spans
    stands for: its id is the index + 1, and the item's offsets expand to its tokens."""
    call = span.doc._.call
    if call is None:
        return None
    found = items(call)
    i = span.id - 1
    if not 0 <= i < len(found):
        return None
    item = found[i]
    own = span.doc.char_span(item.start, item.end, alignment_mode="expand")
    return item if (own.start, own.end) == (span.start, span.end) else None


def _sentence(span: Span) -> Sentence | None:
    """The callnlp sentence that starts at the span's first token and ends within it."""
    call = span.doc._.call
    if call is None:
        return None
    i = bisect_left(call.sentences, span.start_char, key=attrgetter("start"))
    if i == len(call.sentences):
        return None
    sentence = call.sentences[i]
    own = span.doc.char_span(sentence.start, sentence.end, alignment_mode="expand")
    return sentence if own.start == span.start and own.end <= span.end else None


def _field(item: Callable[[Span], Turn | Sentence | None], name: str, span: Span) -> Any:
    found = item(span)
    return None if found is None else getattr(found, name)


_last_cues: tuple[CallAnalysis | None, tuple[Cue, ...]] = (None, ())


def _all_cues(call: CallAnalysis) -> tuple[Cue, ...]:
    """`cues(call)`, kept for the last record asked about: a loop over a Doc's cue spans
    asks for the same record's cues once per span."""
    global _last_cues
    last = _last_cues
    if last[0] is not call:
        last = _last_cues = (call, cues(call))
    return last[1]


def _encode(obj: Any, chain: Callable[[Any], Any] | None = None) -> Any:
    """srsly's msgpack encoder for a record in `Doc.user_data`: the store's rows."""
    if isinstance(obj, CallAnalysis):
        rows = schema.rows(obj)
        return {_ROWS: [rows.call, rows.children]}
    return obj if chain is None else chain(obj)


srsly.msgpack_encoders.register("callnlp_record", func=_encode)


def _rebuild(rows: list[Any]) -> CallAnalysis:
    """The record that `_encode` wrote."""
    call, children = rows
    tables = schema.tables()

    def named(table: str, row: list[Any]) -> dict[str, Any]:
        return dict(zip(tables[table].c.keys(), row, strict=True))

    return schema.record_of(
        named("calls", call), {table: [named(table, r) for r in found] for table, found in children}
    )
