"""Python's cycle collector paused where a stage allocates much and makes no cycles."""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])


def gc_paused(fn: _F) -> _F:
    """`fn` with the cycle collector paused while it runs, and running again after.

    An analysis allocates millions of tracked objects (token tuples, sentences, figures)
    that cannot form reference cycles, so the collector's passes over the growing heap
    find nothing: they doubled the tokenizer's time, and cost 15-20% of a whole
    `callnlp analyze` of 2 MB.

    Example:
        >>> import gc
        >>> gc_paused(gc.isenabled)(), gc.isenabled()
        (False, True)
    """

    @functools.wraps(fn)
    def paused(*args: Any, **kwargs: Any) -> Any:
        if not gc.isenabled():  # paused by the caller, or by a stage in another thread
            return fn(*args, **kwargs)
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            gc.enable()

    return paused  # type: ignore[return-value]
