"""Document tone (callnlp/tone.py): a reader's weighing of a call's or an article's
sentences, Chinese and English side by side."""

from __future__ import annotations

import pytest

from callnlp import analyze
from callnlp.record import Scope
from callnlp.tone import document_tone

# (headline, body of plain detail): the headline carries the news the body does not repeat
HEADLINES = [
    ("公司净利润同比下降60%，低于市场预期。", "公司位于上海。公司共有三个生产基地。公司今年召开了股东大会。"),
    ("Net income fell 60%, short of expectations.", "The company is based in Ohio. It runs three plants. It held its annual meeting."),
    ("公司全年净利润同比增长80%，超预期。", "公司位于深圳。公司共有两个研发中心。公司今年更换了会计师事务所。"),
    ("Annual profit rose 80%, ahead of expectations.", "The company is based in Texas. It runs two labs. It changed its auditor."),
]  # fmt: skip


@pytest.mark.parametrize(("headline", "body"), HEADLINES)
def test_tone_headline_outweighs_detail(headline: str, body: str) -> None:
    first = analyze(f"{headline}\n{body}".encode())
    last = analyze(f"{body}\n{headline}".encode())
    news = first.sentences[0].sentiment
    assert abs(news or 0) >= 0.3  # what this test is about: a headline with a tone
    # the same sentences, the news in front: it counts more than at the end
    assert abs(document_tone(first.sentences, first.turns)) > abs(document_tone(last.sentences, last.turns))
    assert (document_tone(first.sentences, first.turns) > 0) == (news > 0)


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("收入增长5%。成本小幅上升。总体来看，我们对全年业绩充满信心。", 1),
        ("Revenue grew 5%. Costs rose a little. Overall, we remain confident in the year.", 1),
        ("订单有所增加。新产品进展顺利。综上，行业需求疲软，我们下调全年指引。", -1),
        (
            "Orders picked up. The launch went well. Overall, demand is weak and we are lowering our guidance.",
            -1,
        ),
    ],
)
def test_tone_conclusions_and_events_decide(text: str, sign: int) -> None:
    record = analyze(text.encode())
    plain = sum(s.sentiment for s in record.sentences) / len(record.sentences)
    tone = document_tone(record.sentences, record.turns)
    assert tone * sign > 0
    assert tone * sign >= plain * sign  # the conclusion pulls the tone its way


def test_tone_leaves_out_the_operator_and_analysts() -> None:
    text = (
        "Operator: Welcome. Our first question is a difficult one.\n"
        "Jane Doe -- CEO\nRevenue grew 20% to a record.\n"
        "Question-and-Answer Session\nOperator: First, Bo Li.\nBo Li -- Mizuho -- Analyst\n"
        "Margins collapsed and churn is terrible, why?\nJane Doe -- CEO\nMargins expanded and churn fell.\n"
    )
    record = analyze(text.encode())
    tone = document_tone(record.sentences, record.turns)
    assert tone > 0.5  # only management's two good-news sentences
    call = next(g for g in record.aggregates if g.scope is Scope.CALL)
    assert call.document_tone == record.signals["tone_document"] == tone
    assert all(g.document_tone is None for g in record.aggregates if g.scope is not Scope.CALL)


def test_tone_is_none_without_scored_sentences() -> None:
    assert document_tone(()) is None


@pytest.mark.parametrize(("headline", "body"), HEADLINES[:2])
def test_tone_metamorphic_layout(headline: str, body: str) -> None:
    # the same document with its sentences one a line, or run together with extra spaces
    base = analyze(f"{headline}\n{body}".encode())
    lines = analyze(
        "\n".join([headline, *body.replace("。", "。\n").replace(". ", ".\n").split("\n")]).encode()
    )
    tone = document_tone(base.sentences, base.turns)
    assert document_tone(lines.sentences, lines.turns) == pytest.approx(tone, abs=0.05)
