"""What a call or an article says happened: its guidance raised, cut, withdrawn or
maintained, its results above or below expectations (models/events.tsv)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from callnlp.errors import ResourceError
from callnlp.phrases import PhraseMatcher
from callnlp.resources import lines

EVENTS = ("guidance_raised", "guidance_cut", "guidance_withdrawn", "guidance_maintained", "beat", "miss")
"""The events of models/events.tsv."""
_NONE = "none"
"""The label of rows that hold an event's words without saying it (`the lower end of our
guidance`): they win over a shorter event at the same place and count for nothing."""


def events_in(text: str) -> frozenset[str]:
    """The events a normalized sentence states.

    Example:
        >>> sorted(events_in("We are raising our full-year guidance after a quarter ahead of expectations."))
        ['beat', 'guidance_raised']
        >>> events_in("We landed at the lower end of our guidance.")
        frozenset()
    """
    return events_in_all([text])[0]


def events_in_all(texts: Sequence[str]) -> list[frozenset[str]]:
    """`[events_in(text) for text in texts]`, the texts scanned together: the sentences of
    a call, most of which state none.

    Example:
        >>> events_in_all(["Revenue grew 5%.", "We cut our outlook."])
        [frozenset(), frozenset({'guidance_cut'})]
    """
    return [frozenset(m.label for m in found) - {_NONE} for found in _matcher().each(texts)]


@cache
def _matcher() -> PhraseMatcher:
    rows = [(phrase, event) for phrase, event, *_ in lines("events.tsv")]
    unknown = {event for _, event in rows} - {*EVENTS, _NONE}
    if unknown:
        raise ResourceError(
            f"models/events.tsv has unknown events {sorted(unknown)}; use one of {(*EVENTS, _NONE)}"
        )
    return PhraseMatcher(rows, inflect=True)
