"""The phrase matcher (callnlp/phrases.py): one row, the many ways calls say it, in both
languages."""

from __future__ import annotations

import pytest

from callnlp.phrases import PhraseMatcher, spell_out

ROWS = [
    ("raise … guidance", "raised"),
    ("lower end of … guidance", "none"),
    ("lower … guidance", "cut"),
    ("we don't guide", "declines"),
    ("上调…指引", "raised"),
    ("不便透露", "declines"),
]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("We are raising our full-year guidance.", [("raised", "raising our full-year guidance")]),
        ("我们上调了全年收入指引。", [("raised", "上调了全年收入指引")]),
        ("We raised guidance.", [("raised", "raised guidance")]),
        ("We have lowered our 2025 revenue guidance.", [("cut", "lowered our 2025 revenue guidance")]),
        ("We are at the lower end of our guidance.", [("none", "lower end of our guidance")]),
        ("We don't guide quarterly.", [("declines", "We don't guide")]),
        ("We do not  guide quarterly.", [("declines", "We do not  guide")]),
        ("WE DON'T GUIDE.", [("declines", "WE DON'T GUIDE")]),
        ("客户名称不便 透露。", [("declines", "不便 透露")]),
        ("具体数字不便透露。", [("declines", "不便透露")]),
    ],
)  # fmt: skip
def test_phrases_match_the_ways_a_row_is_said(text: str, found: list[tuple[str, str]]) -> None:
    matches = PhraseMatcher(ROWS, inflect=True)(text)
    assert [(m.label, text[m.start : m.end]) for m in matches] == found


@pytest.mark.parametrize(
    "text",
    [
        "We raise prices. Guidance is unchanged.",  # a gap never crosses the end of a sentence
        "Our executive team gave guidance.",  # `cut` is no part of `executive`
        "We raise capital, then we will talk about the market and our guidance.",  # too far
        "我们上调了价格。指引不变。",
        "这是透露出的信息。",
    ],
)
def test_phrases_do_not_match_across_sentences_words_or_far_gaps(text: str) -> None:
    assert PhraseMatcher(ROWS, inflect=True)(text) == []


def test_phrases_inflect_only_when_asked() -> None:
    rows = [("raise … guidance", "raised")]
    assert PhraseMatcher(rows)("We are raising our guidance.") == []
    assert PhraseMatcher(rows, inflect=True)("We are raising our guidance.")


@pytest.mark.parametrize(
    ("text", "spelled"),
    [
        ("We don't\n guide", "We do not guide"),
        ("We can't and won't", "We can not and will not"),
        ("It's early; the company's plan", "It is early; the company's plan"),
        ("营收 增长  20%", "营收增长20%"),  # a space next to Han only wraps the text
    ],
)
def test_phrases_spell_out_maps_back_to_the_text(text: str, spelled: str) -> None:
    out, back = spell_out(text)
    assert out == spelled
    start, end = back.span(0, len(out))
    assert (start, end) == (0, len(text))
