"""The phrase matcher (callnlp/phrases.py): one row, the many ways calls say it, in both
languages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


def _matchers() -> dict[str, PhraseMatcher]:
    from callnlp.answers import _lexicon as evasion
    from callnlp.events import _matcher as events
    from callnlp.tone import _conclusions as conclusions

    return {"events": events(), "conclusions": conclusions(), **evasion()}


# Pieces of sentences: phrases of the project's lists said in their variants, near misses
# (inside longer words, across a line break), and plain text, in both languages.
_PIECES = [
    "We are raising our full-year guidance", "we don't guide to that", "WE'LL GET BACK TO YOU",
    "too  early to say", "appraised", "Outlook", "overall, we believe", "in summary",
    "我们上调了全年收入指引", "不便透露", "暂不回应", "目前还无法给出", "我们不对季度收入作指引",
    "后续再沟通", "总的来说", "业绩超出预期", "不便 透露", "指引\n下调", "收入增长", "İstanbul",
    " ", "。", ".", "\n", "Revenue grew 5%", "营收9.816亿美元",
]  # fmt: skip


@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=6).map("".join), max_size=12))
def test_phrases_each_finds_what_one_by_one_finds(texts: list[str]) -> None:
    for name, matcher in _matchers().items():
        assert matcher.each(texts) == [matcher(t) for t in texts], name
