"""Graded hedging: how strongly a sentence hedges, by the strength of its hedges, where they
stand (main claim, aside, reported words), how they stack and what certainty offsets."""

from __future__ import annotations

import pytest

from callnlp import scoring
from callnlp.scoring import LexiconScorer


@pytest.fixture(scope="module")
def score():
    return LexiconScorer()


# (assertive, weakly hedged, strongly hedged), English and Chinese side by side
ORDERED = [
    (
        "Margins will improve next year.",
        "I think margins will improve next year.",
        "It's hard to say whether margins will improve next year.",
    ),
    ("第二季度收入将增长。", "我们认为第二季度收入将增长。", "第二季度收入可能会大幅波动，难以预测。"),
    (
        "Demand is recovering.",
        "Demand is probably recovering.",
        "Demand may be recovering, but we are not sure.",
    ),
    ("需求正在恢复。", "需求可能正在恢复。", "需求可能正在恢复，但存在不确定性。"),
    (
        "Margins are stable.",
        "Margins are sort of stable.",
        "Margins may be stable, though it remains to be seen.",
    ),
    ("毛利率保持稳定。", "毛利率大约保持稳定。", "毛利率或许保持稳定，但存在较大不确定性。"),
]


@pytest.mark.parametrize(("assertive", "weak", "strong"), ORDERED)
def test_scoring_hedging_ranks_assertive_below_weak_below_strong(
    score, assertive: str, weak: str, strong: str
) -> None:
    assert score(assertive).hedging < score(weak).hedging < score(strong).hedging


SINGLE_WEAK_FRAMES = [
    "In our view, margins will improve.",
    "我们认为收入会增长。",
    "I'd say demand will stay healthy.",
    "我们认为需求将保持健康。",
    "I guess that is right.",
    "Margins are sort of stable.",
    "At this point, pricing is holding.",
    "目前来看，价格保持稳定。",
]


@pytest.mark.parametrize(
    "text",
    [
        "I think margins will improve.",
        "We believe demand will stay healthy.",
        "We don't think demand is weakening.",
    ],
)
def test_scoring_an_english_first_person_frame_on_the_main_claim_is_hedged(score, text: str) -> None:
    # corpora/labeled/ counts a lone `we think` / `we believe` as a hedge in English (and a lone
    # 认为 as none in Chinese, where it is the translated calls' way of saying "we expect")
    assert score(text).hedged


@pytest.mark.parametrize("text", SINGLE_WEAK_FRAMES)
def test_scoring_a_single_weak_frame_raises_hedging_but_does_not_make_a_sentence_hedged(
    score, text: str
) -> None:
    result = score(text)
    assert 0 < result.hedging < 0.5
    assert result.hedged is False


# (the hedge on the main claim, the same hedge in an aside or a subordinate clause)
MAIN_AND_ASIDE = [
    ("Margins may slip, although demand is strong.", "Although margins may slip, demand is strong."),
    ("虽然需求很强劲，但利润率可能放缓。", "虽然需求可能放缓，但利润率很强劲。"),
    ("The launch, which may move, is in June.", "The launch (which may move) is in June."),
    ("利润率可能会下降。", "利润率（可能）会下降。"),
    ("Margins may slip.", "Margins — which may slip — remain our focus."),
    (
        "Revenue will grow 10% next year, and FX could move it a point.",
        "Revenue will grow 10% next year, though FX could move it a point.",
    ),
    ("如果需要，我们会调整价格，成本可能上升。", "如果成本可能上升，我们会调整价格。"),
    ("If needed, we will hold prices; demand is uncertain.", "If demand is uncertain, we will hold prices."),
]


@pytest.mark.parametrize(("main", "aside"), MAIN_AND_ASIDE)
def test_scoring_a_hedge_on_the_main_claim_weighs_more_than_one_in_an_aside(
    score, main: str, aside: str
) -> None:
    assert score(main).hedging > score(aside).hedging > 0


# (the speaker's own hedge, the same hedge in words the speaker reports)
OWN_AND_REPORTED = [
    ("We may pause orders next quarter.", 'As one customer told us: "we may pause orders next quarter."'),
    ("我们可能会推迟订单。", "客户说：“我们可能会推迟订单。”"),
    ("Margins might slip.", "You asked whether margins might slip, and the answer is no."),
    ("收入可能会波动。", "收入可能会波动吗？我们的订单已经锁定。"),
    ("Margins could slip next year.", "Could margins slip next year? We do not expect so."),
]


@pytest.mark.parametrize(("own", "reported"), OWN_AND_REPORTED)
def test_scoring_a_quoted_or_restated_hedge_counts_much_less(score, own: str, reported: str) -> None:
    assert score(reported).hedging < score(own).hedging / 2
    assert score(reported).hedged is False


@pytest.mark.parametrize(
    ("plain", "quoted"),
    [
        ("Revenue may be lumpy this year.", 'Revenue may be "lumpy" this year.'),
        ("收入可能会不稳定。", "收入可能会“不稳定”。"),
    ],
)
def test_scoring_a_word_in_scare_quotes_is_the_speakers_own(score, plain: str, quoted: str) -> None:
    assert score(quoted).hedging == score(plain).hedging


# (a stack, its parts): hedges that stack read more hedged than any one of them
STACKS = [
    (
        "I think we'll probably see some stabilization.",
        ["I think we'll see some stabilization.", "We'll probably see some stabilization."],
    ),
    (
        "I think demand is sort of stabilizing.",
        ["I think demand is stabilizing.", "Demand is sort of stabilizing."],
    ),
    ("我们认为收入可能会波动。", ["我们认为收入会增长。", "收入可能会波动。"]),
    ("需求可能正在恢复，但存在不确定性。", ["需求可能正在恢复。", "需求正在恢复，但存在不确定性。"]),
]


@pytest.mark.parametrize(("stack", "parts"), STACKS)
def test_scoring_stacked_hedges_read_more_hedged_than_either_alone(
    score, stack: str, parts: list[str]
) -> None:
    assert score(stack).hedging > max(score(p).hedging for p in parts)


# (a modal, the same modal with certainty)
CERTAINTY = [
    ("Timing may slip.", "We will definitely finish by year end, but timing may slip."),
    ("时间可能会推迟。", "我们肯定会在年底前完成，但时间可能会推迟。"),
    ("Margins may recover.", "We are confident margins may recover."),
    ("I'd say margins will recover.", "I'd say margins will definitely recover."),
]


@pytest.mark.parametrize(("modal", "certain"), CERTAINTY)
def test_scoring_certainty_still_offsets_modals(score, modal: str, certain: str) -> None:
    assert score(certain).hedging < score(modal).hedging


# (a sentence, the same with a company, a figure or whitespace changed)
METAMORPHIC = [
    (
        "Acme expects revenue of $40 million, and it may be lumpy.",
        "Northwind Traders expects revenue of $45.5 million, and it may be lumpy.",
    ),
    (
        "Acme expects revenue of $40 million, and it may be lumpy.",
        "  Acme expects  revenue of $40 million,   and it may be lumpy. ",
    ),
    ("景泓新能源预计收入约为10亿元，可能会有波动。", "天澜科技预计收入约为12.5亿元，可能会有波动。"),
    ("景泓新能源预计收入约为10亿元，可能会有波动。", "景泓新能源预计收入约为 10亿元， 可能会有波动。"),
    ("I think Acme's margins will improve by 2%.", "I think Helios's margins will improve by 3.5%."),
    ("我们认为景泓的毛利率将提升2个百分点。", "我们认为  天澜的毛利率将提升3个百分点。"),
]


@pytest.mark.parametrize(("text", "variant"), METAMORPHIC)
def test_scoring_hedging_does_not_depend_on_names_figures_or_whitespace(
    score, text: str, variant: str
) -> None:
    assert abs(score(text).hedging - score(variant).hedging) < 0.05


@pytest.mark.parametrize("text", [t for triple in ORDERED for t in triple] + SINGLE_WEAK_FRAMES)
def test_scoring_hedging_stays_in_the_unit_interval(score, text: str) -> None:
    assert 0.0 <= score(text).hedging <= 1.0


def test_scoring_the_verdict_memo_shares_a_pattern_and_tells_scopes_apart(score) -> None:
    scoring._verdict.cache_clear()
    score("The meeting is in June.")  # no cue: only the plain verdict every call reads
    plain = scoring._verdict.cache_info().currsize
    a = score("The launch may move to June.")
    b = score("The event may move to July.")  # other words, the same pattern
    assert scoring._verdict.cache_info().currsize == plain + 1
    assert (a.hedging, a.hedged) == (b.hedging, b.hedged)
    # the same terms, but the hedge in an aside: another key, another verdict
    main = score("The launch, which may move, is in June.")
    aside = score("The launch (which may move) is in June.")
    assert scoring._verdict.cache_info().currsize == plain + 2
    assert main.hedging == a.hedging > aside.hedging
    # and a quotation of the same words is a third
    quoted = score('The planner said: "the launch may move to June."')
    assert scoring._verdict.cache_info().currsize == plain + 3
    assert quoted.hedging < aside.hedging


def test_scoring_scopes_hold_when_sentences_are_scored_together(score) -> None:
    # the pipeline scores many sentences of one token list: each keeps its own scope
    texts = ["The launch (which may move) is in June.", "The launch, which may move, is in June."]
    joined = " ".join(texts)
    tokens = score.tokenizer(joined)
    first = next(i for i, t in enumerate(tokens) if t.start >= len(texts[0]))
    together = score.score(tokens, [(0, first), (first, len(tokens))])
    assert [s.hedging for s in together] == [score(t).hedging for t in texts]
