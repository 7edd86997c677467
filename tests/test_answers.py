"""Answer assessment (callnlp/answers.py): evasion cues, directness and specificity, with
Chinese and English side by side."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callnlp.answers import EVASIONS, AnswerAssessor, assess_answer, evasion_spans
from callnlp.errors import ResourceError
from callnlp.record import CueKind

Q_EN = "What revenue do you expect for the second quarter?"
Q_ZH = "能否给出二季度的收入指引？"

# (answer, the text of its one cue), by family: decline, defer, unsure.
FAMILIES = [
    # decline: guiding
    ("We don't guide to that.", "don't guide"),
    ("我们不对季度收入作指引。", "不对季度收入作指引"),
    ("We don't give quarterly guidance.", "don't give quarterly guidance"),
    ("公司不对全年利润做指引。", "不对全年利润做指引"),
    # decline: comment, speculate, disclose
    ("We're not going to comment on pricing.", "not going to comment"),
    ("这个我们不予置评。", "不予置评"),
    ("We're not going to get into the details of that contract.", "not going to get into"),
    ("具体客户名称我们不便透露。", "不便透露"),
    ("We won't speculate on what competitors might do.", "won't speculate"),
    ("对于市场传闻，公司暂不回应。", "暂不回应"),
    ("I can't comment on any one customer.", "can't comment"),
    ("竞争对手的情况我们不方便评论。", "不方便评论"),
    ("We're not in a position to talk about it yet.", "not in a position to"),
    ("明年的资本开支目前还无法给出。", "目前还无法给出"),
    ("We would rather not say.", "rather not say"),
    ("下一年的利润我们不作具体预测。", "不作具体预测"),
    # defer
    ("We'll get back to you on that.", "get back to you"),
    ("这个问题我们后续再沟通。", "后续再沟通"),
    ("Let's follow up offline.", "follow up offline"),
    ("细节我们会后再沟通。", "会后再沟通"),
    ("We can take that offline.", "take that offline"),
    ("我们后续再跟您详细沟通。", "后续再跟您详细沟通"),
    ("You will hear more on that next quarter.", "more on that next quarter"),
    ("具体数字下个季度再和大家分享。", "下个季度再"),
    ("We'll share more at our investor day in June.", "share more at"),
    # unsure
    ("It's too early to say.", "too early to"),
    ("现在说还为时过早。", "现在说还为时过早"),
    ("It's too soon to tell how the new tariffs play out.", "too soon to"),
    ("关税的影响目前难以量化。", "难以量化"),
    ("The impact is hard to quantify at this point.", "hard to quantify"),
    ("具体的数据暂时无法提供。", "暂时无法提供"),
    ("It's premature.", "It's premature"),
    ("需求能否持续还不好说。", "还不好说"),
]


@pytest.mark.parametrize(("answer", "cue"), FAMILIES)
def test_answers_evasion_families_fire_with_offsets(answer: str, cue: str) -> None:
    cues = assess_answer("", answer).evasion_cues
    assert [c.text for c in cues] == [cue]
    (c,) = cues
    assert answer[c.start : c.end] == c.text
    assert c.kind is CueKind.EVASION


# A cue as people and web pages write it: (answer, the text of its one cue).
VARIANTS = [
    ("We don’t guide to that.", "don’t guide"),  # curly apostrophe
    ("We do not guide to that.", "do not guide"),
    ("We   don't \t guide to that.", "don't \t guide"),
    ("WE DON'T GUIDE TO THAT.", "DON'T GUIDE"),
    ("We don't\nguide to that.", "don't\nguide"),
    ("We cannot comment on that.", "cannot comment"),
    ("We can not comment on that.", "can not comment"),
    ("We will not speculate.", "will not speculate"),
    ("We aren't going to comment.", "aren't going to comment"),
    ("We are not going to comment.", "not going to comment"),
    ("we're NOT in a position to share that", "NOT in a position to"),
    ("Let's follow-up offline.", "follow-up offline"),
    ("這個我們不予置評。", "不予置評"),  # Traditional
    ("我們現在說還為時過早。", "現在說還為時過早"),
    ("我们不便\n透露具体的客户名称。", "不便\n透露"),  # a line break inside the phrase
    ("关于二季度的毛利率水平以及下半年的定价策略，我们目前暂不披露，谢谢。", "暂不披露"),
    ("我们不对，季度收入作指引。", "不对，季度收入作指引"),  # a full-width comma in the gap
]


@pytest.mark.parametrize(("answer", "cue"), VARIANTS)
def test_answers_cue_variants_fire(answer: str, cue: str) -> None:
    cues = assess_answer("", answer).evasion_cues
    assert [c.text for c in cues] == [cue]
    assert all(answer[c.start : c.end] == c.text for c in cues)


# Sentences that use a refusal's words without refusing.
NEAR_MISSES = [
    "We are in a position to raise guidance.",
    "我们对全年指引充满信心。",
    "It's not too early to see benefits from the new plant.",
    "现在下结论并非为时过早。",
    "We are not going to change our guidance.",
    "我们不会改变全年指引。",
    "We're not going to give up share in that market.",
    "我们的线下渠道增长了20%。",
    "The offline channel grew 20%.",
    "公司会后发布了新的产品。",
    "We'll get back to growth next quarter.",
    "我们后续会继续加大投资。",
    "We guide to the midpoint of the range.",
    "我们给出的指引是收入增长10%。",
    "The knot in a positional sense is not in apositions.",
    "不但收入增长，利润也增长了。",
    "Nothing in our outlook is premature or unusual.",
    "这款产品的市场表现非常不错。",
]


@pytest.mark.parametrize("answer", NEAR_MISSES)
def test_answers_near_misses_do_not_fire(answer: str) -> None:
    assert assess_answer("", answer).evasion_cues == ()


PURE_REFUSALS = [
    (Q_EN, "We don't guide quarterly.", "don't guide"),
    (Q_ZH, "我们不对季度收入作指引。", "不对季度收入作指引"),
    (Q_EN, "As for second quarter revenue, we're not in a position to comment.", "not in a position to"),
    (Q_ZH, "关于二季度收入，我们暂时无法提供具体指引。", "暂时无法提供"),
    (Q_EN, "Revenue in the second quarter? It's too early to say.", "too early to"),
    (Q_ZH, "二季度收入现在说还为时过早。", "现在说还为时过早"),
]


@pytest.mark.parametrize(("question", "answer", "cue"), PURE_REFUSALS)
def test_answers_pure_refusal_is_not_direct(question: str, answer: str, cue: str) -> None:
    result = assess_answer(question, answer)
    assert result.directness < 0.3
    assert cue in [c.text for c in result.evasion_cues]


PARTIAL = [
    (
        Q_EN,
        "We don't guide quarterly.",
        "We don't guide quarterly, but for the full year we expect revenue of $10 to $11 billion.",
    ),
    (Q_ZH, "我们不对季度收入作指引。", "我们不对季度收入作指引，但全年收入预计在100亿至110亿美元之间。"),
    (
        Q_EN,
        "It's too early to say.",
        "It's too early to say, revenue should be around $10 billion in the second quarter.",
    ),
    (Q_ZH, "现在说还为时过早。", "现在说还为时过早，二季度收入大约在100亿美元左右。"),
]


@pytest.mark.parametrize(("question", "refusal", "partial"), PARTIAL)
def test_answers_partial_refusal_beats_pure_refusal(question: str, refusal: str, partial: str) -> None:
    pure, part = assess_answer(question, refusal), assess_answer(question, partial)
    assert part.directness > pure.directness + 0.2
    assert part.evasion_cues  # the refusal is still reported


ON_TOPIC = [
    (
        Q_EN,
        "For the second quarter, we expect revenue of $10.5 billion to $11 billion, up 12% year over "
        "year, driven by continued data center demand.",
    ),
    (Q_ZH, "二季度收入预计在100亿至110亿美元之间，同比增长15%，主要受数据中心需求推动。"),
    (
        "How much do you plan to spend on capex in 2025?",
        "We plan to spend $20 to $23 billion on capex in 2025, mostly on GPUs and data centers.",
    ),
    (
        "2025年的资本支出规划是多少？",
        "我们预计2025年全年资本支出在200亿至230亿美元之间，其中约85%用于GPU和数据中心。",
    ),
]


@pytest.mark.parametrize(("question", "answer"), ON_TOPIC)
def test_answers_on_topic_figures_are_direct(question: str, answer: str) -> None:
    assert assess_answer(question, answer).directness > 0.6


@pytest.mark.parametrize(
    ("question", "answer"),
    [(Q_EN, "Thank you, great question."), (Q_ZH, "非常感谢您的提问。"),
     (Q_EN, "Our new headquarters opened in Austin."), (Q_ZH, "我们的新总部在上海启用。")],
)  # fmt: skip
def test_answers_unrelated_replies_are_not_direct(question: str, answer: str) -> None:
    assert assess_answer(question, answer).directness < 0.2


# (figure-rich CFO answer, generic answer, thanks), each language.
SPECIFICITY = [
    (
        "We expect capital expenditures of $20 to $23 billion in 2025, about 85% for GPUs and data centers.",
        "We continue to see strong demand across the business and we feel good about the overall trajectory.",
        "Thank you very much.",
    ),
    (
        "资本支出方面，我们预计2025年全年资本支出在200亿至230亿美元之间，其中约85%用于GPU和数据中心。",
        "我们继续看到业务的强劲需求，对整体发展趋势感到满意。",
        "非常感谢您的提问。",
    ),
]


@pytest.mark.parametrize(("cfo", "generic", "thanks"), SPECIFICITY)
def test_answers_specificity_orders_figures_generic_thanks(cfo: str, generic: str, thanks: str) -> None:
    q = "What is your capex plan?"
    high, mid, low = (assess_answer(q, a).specificity for a in (cfo, generic, thanks))
    assert high > 0.6
    assert high > mid > low
    assert low < 0.05


@pytest.mark.parametrize(
    ("answer", "filler"),
    [("Second quarter revenue was $10 billion, up 12% on strong cloud demand.",
      "We saw strong demand across many areas of the business, and overall things went well. " * 8),
     ("二季度收入为100亿美元，同比增长12%，云业务需求强劲。",
      "我们在很多方面都看到了比较强劲的需求，整体情况非常不错。" * 8)],
)  # fmt: skip
def test_answers_specificity_does_not_grow_with_length(answer: str, filler: str) -> None:
    one = assess_answer("", answer).specificity
    assert assess_answer("", " ".join([answer] * 8)).specificity == pytest.approx(one, abs=0.05)
    assert assess_answer("", filler).specificity < one / 2


def _respaced(text: str) -> str:
    """`text` with its spaces doubled and every other one a line break, and line breaks after
    Chinese commas and stops."""
    parts = text.split(" ")
    out = parts[0]
    for i, part in enumerate(parts[1:]):
        out += ("  " if i % 2 else " \n ") + part
    return re.sub(r"([,，。])", "\\1\n", out)


METAMORPHIC = [(q, a) for q, a in ON_TOPIC] + [(q, p) for q, _, p in PARTIAL] + [
    (Q_EN, "We don't guide quarterly. We're pleased with demand and it's too early to say more."),
    (Q_ZH, "我们不对季度收入作指引，整体需求情况还不错。"),
]  # fmt: skip


@pytest.mark.parametrize(("question", "answer"), METAMORPHIC)
@pytest.mark.parametrize("change", ["respaced", "curly"])
def test_answers_metamorphic_whitespace_and_apostrophes(question: str, answer: str, change: str) -> None:
    changed = _respaced(answer) if change == "respaced" else answer.replace("'", "’")
    before, after = assess_answer(question, answer), assess_answer(question, changed)
    assert abs(before.directness - after.directness) < 0.1
    assert abs(before.specificity - after.specificity) < 0.1
    assert len(before.evasion_cues) == len(after.evasion_cues)
    assert all(changed[c.start : c.end] == c.text for c in after.evasion_cues)


_PIECES = ["We don't guide", "不便透露", "revenue", "收入", "$10 billion", "100亿美元", "Q2", "二季度",
           "thanks", "谢谢", "too early to say", "，", ",", ". ", "。", "\n", "  ", "’", "GB200", "%"]  # fmt: skip
_TEXT = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(_PIECES) | st.text(max_size=6), max_size=15).map("".join),
)


@settings(max_examples=200, deadline=None)
@given(question=_TEXT, answer=_TEXT)
def test_answers_values_stay_in_unit_interval(question: str, answer: str) -> None:
    result = assess_answer(question, answer)
    assert 0.0 <= result.directness <= 1.0
    assert 0.0 <= result.specificity <= 1.0
    for c in result.evasion_cues:
        assert answer[c.start : c.end] == c.text
        assert 0 <= c.start < c.end <= len(answer)


class _Fixed:
    """An embedder whose every pair of texts has the cosine `cosine`."""

    def __init__(self, cosine: float) -> None:
        self.cosine = cosine

    def encode(self, texts):
        angle = np.arccos(self.cosine)
        return np.array([[1.0, 0.0], [np.cos(angle), np.sin(angle)]][: len(texts)], dtype=np.float32)


@pytest.mark.parametrize(
    ("question", "answer"),
    [(Q_EN, "Demand was good in the quarter."), (Q_ZH, "本季度需求不错。")],
)
def test_answers_embedder_blends_meaning_in(question: str, answer: str) -> None:
    plain = AnswerAssessor()(question, answer).directness
    close = AnswerAssessor(embedder=_Fixed(0.9))(question, answer).directness
    opposite = AnswerAssessor(embedder=_Fixed(-0.9))(question, answer).directness
    assert close > plain
    assert opposite <= plain  # a negative cosine counts as no similarity, not as less than none
    assert 0.0 <= opposite <= close <= 1.0


@pytest.mark.parametrize(
    ("text", "cues"),
    [("Revenue grew. We won't speculate on Q3, and we'll get back to you.", ["won't speculate", "get back to you"]),
     ("收入增长了。三季度我们不便透露，会后再沟通。", ["不便透露", "会后再沟通"]),
     ("Revenue grew 20% in the quarter.", []),
     ("收入同比增长20%。", [])],
)  # fmt: skip
def test_answers_evasion_spans_find_cues_in_any_text(text: str, cues: list[str]) -> None:
    assert [text[s:e] for s, e in evasion_spans(text)] == cues


def test_answers_lexicon_covers_every_family_in_both_languages() -> None:
    from callnlp.resources import lines

    found = {(row[2], row[1]) for row in lines("evasion.tsv")}
    for family in (*EVASIONS, "generic", "frame", "asks"):
        assert {(family, "en"), (family, "zh")} <= found, family


def test_answers_lexicon_bad_row_names_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    from callnlp import answers

    monkeypatch.setattr(answers, "lines", lambda name: [["不便透露", "zh", "refusal"]])
    answers._lexicon.cache_clear()
    try:
        with pytest.raises(ResourceError, match=r"evasion.tsv.*category among"):
            answers._lexicon()
    finally:
        monkeypatch.undo()
        answers._lexicon.cache_clear()


def test_answers_seed_000_cfo_figures_are_more_specific_than_thanks(seed) -> None:
    from callnlp import analyze

    record = analyze(seed("000"))
    said = {t.index: "".join(s.text for s in record.sentences if s.turn == t.index) for t in record.turns}
    about = [
        p for p in record.qa_pairs if any(w in said[a] for a in p.answers for w in ("资本支出", "利息支出"))
    ]
    assert len(about) >= 3  # the capex and interest expense answers
    # the thank-you sentences that open answers and close questions (非常感谢。非常感谢您的问题。)
    thanks = {s.text for s in record.sentences if s.text.startswith("非常感谢") and len(s.text) <= 15}
    assert len(thanks) >= 2
    ask = said[about[0].question]
    assert max(assess_answer(ask, t).specificity for t in thanks) < min(p.specificity for p in about)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("en.txt", "Acme Q1 2025 Earnings Call\nOperator: Welcome.\nJane Doe -- CEO\nRevenue grew.\n"
         "Question-and-Answer Session\nOperator: First, Bo Li.\nBo Li -- Mizuho -- Analyst\n"
         "What revenue do you expect for the second quarter?\nJane Doe -- CEO\nWe don’t guide quarterly.\n"),
        ("zh.txt", "主持人：欢迎参加本次电话会议。\n首席执行官张三：收入增长了。\n主持人：现在开始问答环节。第一位提问者李四。\n"
         "李四（摩根士丹利）：能否给出二季度的收入指引？\n张三：我们不对季度收入作指引。\n"),
    ],
)  # fmt: skip
def test_answers_in_the_record_decline_with_cues_into_the_file(name: str, text: str) -> None:
    from callnlp import analyze

    record = analyze(text.encode(), name=name)
    (pair,) = record.qa_pairs
    assert pair.directness < 0.3
    assert pair.evasion_cues
    for cue in pair.evasion_cues:  # the cue's text is normalized (straight quotes), as the sentence's
        assert text[cue.start : cue.end].replace("’", "'") == cue.text
    assert record.signals["evasive_answers"] == 1.0
