from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callnlp.units import keywords

# (words, whole words, text, the match expected or None)
CASES = [
    (["预计", "指引"], [], "公司预计全年收入增长", "预计"),
    (["guidance", "guide"], [], "We raised our Guidance today", "Guidance"),
    (["收入", "收入待确认金额"], [], "剩余收入待确认金额为259亿美元", "收入待确认金额"),
    (["per share", "/share"], [], "$1.49/share", "/share"),
    (["同比"], ["from"], "up from a year ago", "from"),
    (["同比"], ["from"], "revenue grew fromage sales", None),
    (["环比", "q/q"], [], "营收环比增长", "环比"),
    (["approx."], [], "approx. 5%", "approx."),
]


@pytest.mark.parametrize(("words", "whole", "text", "expected"), CASES)
def test_units_keywords_finds_words_in_either_case(words, whole, text, expected) -> None:
    m = re.search(keywords(words, whole), text)  # case-insensitive by itself
    assert (m.group() if m else None) == expected


@pytest.mark.parametrize(("words", "whole", "text", "expected"), CASES)
def test_units_keywords_agrees_with_a_plain_alternation(words, whole, text, expected) -> None:
    plain = "|".join([*map(re.escape, words), *(rf"\b{re.escape(w)}\b" for w in whole)])
    assert bool(re.search(keywords(words, whole), text)) == bool(re.search(plain, text, re.I))


WORDS = ["预计", "预期", "增", "增长", "guide", "guidance", "Q/Q", "y/y", "year over year", "per share"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="预计期增长guidenaceGUIDEQqYy/ rsharhvo,.PpfromFROMx", max_size=40))
def test_units_keywords_finds_the_first_word_where_an_alternation_does(text: str) -> None:
    plain = re.compile("|".join([*map(re.escape, WORDS), r"\bfrom\b"]), re.IGNORECASE)
    ours = re.compile(keywords(WORDS, whole=["from"]))
    expected, found = plain.search(text), ours.search(text)
    assert (found and found.start()) == (expected and expected.start())


# (boundary, text, the match expected or None): what may not touch a whole word
BOUNDARIES = [
    (r"\w", "Q1 revenue grew", "revenue"),
    (r"\w", "Q1revenue grew", None),
    ("[A-Za-z]", "Q1revenue grew", "revenue"),
    ("[A-Za-z]", "Q1 revenues grew", None),
    ("[A-Za-z]", "一季度收入增长", "收入"),
]


@pytest.mark.parametrize(("boundary", "text", "expected"), BOUNDARIES)
def test_units_keywords_whole_words_end_at_the_boundary(boundary: str, text: str, expected) -> None:
    m = re.search(keywords(["收入"], ["revenue"], boundary=boundary), text)
    assert (m.group() if m else None) == expected
