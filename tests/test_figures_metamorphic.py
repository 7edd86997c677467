"""Metamorphic tests of figure extraction: every sentence that holds a gold figure (the
hand-made gold of tests/test_figures.py: seed 000's news block and CFO remarks, the English
transcripts in corpora/), re-rendered the ways web pages write the same text, must give the
same figures as the sentence as written."""

from __future__ import annotations

import re
from functools import cache
from itertools import cycle

import pytest
from conftest import CORPORA
from test_figures import CORPUS_GOLD, SEED_000_GOLD

from callnlp import analyze
from callnlp.figures import FigureExtractor
from callnlp.normalize import HAN, normalize
from callnlp.periods import call_period
from callnlp.text import load

# Where pangu spacing puts a space: between a Han character and a digit or Latin run, in
# either order (a run may end in %).
_GAP = re.compile(rf"(?<=[{HAN}])(?=[0-9A-Za-z])|(?<=[0-9A-Za-z%])(?=[{HAN}])")
_ODD_SPACES = ("\u2009", "\u00a0", "\u202f")  # thin, no-break, narrow no-break
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@cache
def _traditional():
    import opencc

    return opencc.OpenCC("s2t")


def render(text: str, variant: str) -> str:
    """`text` as a web page might write it.

    variant: `pangu` (a space between Han and every adjacent digit or Latin run), `spaces`
    (the same gaps, and every space already there, as thin and no-break spaces),
    `full_width` (full-width digits) or `traditional` (Traditional Chinese characters).

    Example:
        >>> render("营收为9.816亿美元, up 420%", "pangu")
        '营收为 9.816 亿美元, up 420%'
    """
    if variant == "pangu":
        return _GAP.sub(" ", text)
    if variant == "spaces":
        odd = cycle(_ODD_SPACES)
        return re.sub(" ", lambda _: next(odd), _GAP.sub(" ", text))
    if variant == "full_width":
        return text.translate(_FULL_WIDTH)
    if variant == "traditional":
        return _traditional().convert(text)
    raise ValueError(variant)


@cache
def _gold_sentences(path) -> tuple[tuple[int, int], tuple[str, ...]]:
    """(the call's year and quarter, the original text of every sentence on a gold line that
    holds a figure)."""
    gold = SEED_000_GOLD if path.name.startswith("000_") else CORPUS_GOLD[path.stem]
    lines = {row[0] for row in gold}
    result = analyze(path)
    held = sorted({f.sentence for f in result.figures if f.line in lines})
    original = path.read_text(encoding="utf-8")
    texts = tuple(original[result.sentences[i].start : result.sentences[i].end] for i in held)
    return call_period(normalize(load(path)).text), texts


def _figures(text: str, period: tuple[int, int]) -> list[tuple]:
    found = FigureExtractor(*period)(normalize(load(text.encode())).text)
    return [(f.metric, f.value, f.low, f.high, f.unit, f.kind) for f in found]


@pytest.mark.parametrize("variant", ["pangu", "spaces", "full_width", "traditional"])
@pytest.mark.parametrize("source", ["000", *CORPUS_GOLD])
def test_figures_metamorphic_renderings_give_the_same_figures(request, source: str, variant: str) -> None:
    path = request.getfixturevalue("seed")(source) if source == "000" else CORPORA / "calls" / f"{source}.txt"
    period, texts = _gold_sentences(path)
    assert texts
    changed = 0
    for text in texts:
        expected = _figures(text, period)
        assert expected, text
        rendered = render(text, variant)
        changed += rendered != text
        assert _figures(rendered, period) == expected, (text, rendered)
    # every rendering changes the Chinese seed's sentences; the English ones only where
    # they have digits or spaces to change
    assert changed or variant in ("pangu", "traditional")
