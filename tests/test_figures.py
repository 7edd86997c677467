from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callnlp import analyze
from callnlp.figures import FigureExtractor
from callnlp.record import Kind, Qualifier, Relation, Unit

MONEY_ETC = {Unit.USD, Unit.CNY, Unit.HKD, Unit.EUR, Unit.GBP, Unit.JPY, Unit.USD_PER_SHARE,
             Unit.PERCENT, Unit.PP, Unit.BP, Unit.MULTIPLE}  # fmt: skip
A, G, P = Kind.ACTUAL, Kind.GUIDANCE, Kind.PRIOR

# Seed 000, the news block (lines 9-15) and the CFO's prepared remarks (lines 85-123):
# (line, value or (low, high), unit, kind, metric), written by hand from the text.
SEED_000_GOLD = [
    (11, 981.6e6, "USD", A, "revenue"), (11, 188.7e6, "USD", P, "revenue"),
    (11, 420, "percent", A, "revenue"), (11, 163e6, "USD", A, "adjusted_operating_income"),
    (11, 550, "percent", A, "adjusted_operating_income"),
    (13, 314.6e6, "USD", A, "net_loss"), (13, 129.2e6, "USD", P, "net_loss"),
    (13, 62, "percent", A, "adjusted_ebitda_margin"), (13, -1.49, "USD_per_share", A, "eps"),
    (15, (1060e6, 1100e6), "USD", G, "revenue"), (15, (140e6, 170e6), "USD", G, "adjusted_operating_income"),
    (15, (3e9, 3.5e9), "USD", G, "capex"), (15, (4.9e9, 5.1e9), "USD", G, "revenue"),
    (15, (20e9, 23e9), "USD", G, "capex"),
    (87, 420, "percent", A, "revenue"),
    (93, 982e6, "USD", A, "revenue"), (93, 420, "percent", A, "revenue"),
    (93, 25.9e9, "USD", A, "revenue_backlog"), (93, 63, "percent", A, "revenue_backlog"),
    (93, 11.9e9, "USD", A, "contract_value"),
    (95, 4e9, "USD", A, "contract_value"), (95, 4e9, "USD", A, "contract_value"),
    (97, 25.9e9, "USD", A, "revenue_backlog"),
    (99, 1e9, "USD", A, "operating_expenses"),
    (101, 163e6, "USD", A, "adjusted_operating_income"), (101, 550, "percent", A, "adjusted_operating_income"),
    (101, 17, "percent", A, "adjusted_operating_margin"), (101, 3, "pp", A, "adjusted_operating_margin"),
    (103, 315e6, "USD", A, "net_loss"), (103, 129e6, "USD", P, "net_loss"),
    (103, 264e6, "USD", A, "interest_expense"),
    (105, 150e6, "USD", A, "adjusted_net_loss"), (105, 24e6, "USD", P, "adjusted_net_loss"),
    (105, 606e6, "USD", A, "adjusted_ebitda"), (105, 6, "multiple", A, "adjusted_ebitda"),
    (105, 62, "percent", A, "adjusted_ebitda_margin"), (105, 6, "pp", A, "adjusted_ebitda_margin"),
    (107, 1.9e9, "USD", A, "capex"), (109, 2.5e9, "USD", A, "cash"),
    (111, 650e6, "USD", P, "credit_facility"), (111, 1.5e9, "USD", A, "credit_facility"),
    (117, (1060e6, 1100e6), "USD", G, "revenue"), (117, (140e6, 170e6), "USD", G, "adjusted_operating_income"),
    (117, (260e6, 300e6), "USD", G, "interest_expense"), (117, (3e9, 3.5e9), "USD", G, "capex"),
    (119, (4.9e9, 5.1e9), "USD", G, "revenue"), (119, (800e6, 830e6), "USD", G, "adjusted_operating_income"),
    (119, (20e9, 23e9), "USD", G, "capex"), (119, 4e9, "USD", A, "contract_value"),
]  # fmt: skip


C = Kind.CONSENSUS
# The English transcripts in corpora/, every money, percent, point, bp, multiple and power
# figure: (line, value or (low, high), unit, kind, metric), by hand from the text.
CORPUS_GOLD = {
    "en_fool_helios_q2_2025": [
        (17, 1.06e9, "USD", A, "revenue"), (17, 23.4, "percent", A, "revenue"), (17, 1.01e9, "USD", C, "revenue"),
        (19, 41, "percent", A, "contract_value"), (19, 4.2e9, "USD", A, "revenue_backlog"),
        (19, 3.6e9, "USD", P, "revenue_backlog"), (20, 350, "MW", A, "capacity"), (20, 1.2, "GW", G, "capacity"),
        (24, 31.2, "percent", A, "gross_margin"), (24, 150, "bp", A, "gross_margin"),
        (25, 182e6, "USD", A, "operating_expenses"), (25, 148e6, "USD", A, "operating_income"),
        (25, 97e6, "USD", P, "operating_income"), (26, 0.42, "USD_per_share", A, "eps"),
        (26, 0.38, "USD_per_share", C, "eps"), (26, 21e6, "USD", A, "interest_expense"),
        (26, 26e6, "USD", P, "interest_expense"), (27, 64e6, "USD", A, "capex"), (27, 112e6, "USD", A, "free_cash_flow"),
        (28, (1.08e9, 1.12e9), "USD", G, "revenue"), (28, (30, 31), "percent", G, "gross_margin"),
        (28, (4.25e9, 4.35e9), "USD", G, "revenue"), (28, (4.1e9, 4.2e9), "USD", P, "revenue"),
        (28, 250e6, "USD", G, "capex"), (43, 50, "bp", A, "gross_margin"), (49, 40, "percent", A, "revenue_backlog"),
        (58, (18e6, 20e6), "USD", G, "interest_expense"), (67, 10e6, "USD", G, "other"), (76, 30, "percent", G, "revenue"),
    ],
    "en_sa_quantaridge_q3_2025": [
        (24, 612e6, "USD", A, "revenue"), (24, 18, "percent", A, "revenue"), (24, 24, "percent", A, "subscription_revenue"),
        (24, 540e6, "USD", A, "subscription_revenue"), (25, 3.9e9, "USD", A, "revenue_backlog"),
        (25, 21, "percent", A, "revenue_backlog"), (25, 116, "percent", A, "net_revenue_retention"),
        (25, -2, "pp", A, "net_revenue_retention"), (29, 27.5, "percent", A, "adjusted_operating_margin"),
        (29, 220, "bp", A, "adjusted_operating_margin"), (29, 14e6, "USD", A, "net_loss"), (29, 39e6, "USD", P, "net_loss"),
        (29, 0.61, "USD_per_share", A, "eps"), (30, 158e6, "USD", A, "free_cash_flow"),
        (30, 26, "percent", A, "free_cash_flow"), (30, 75e6, "USD", A, "share_repurchase"),
        (31, (640e6, 650e6), "USD", G, "revenue"), (31, 28, "percent", G, "adjusted_operating_margin"),
        (31, (2.39e9, 2.40e9), "USD", G, "revenue"), (31, (2.37e9, 2.39e9), "USD", P, "revenue"),
        (45, 115, "percent", G, "net_revenue_retention"),
    ],
    "en_colon_northwind_q1_2026": [
        (6, 6, "percent", A, "revenue"), (6, 2.31e9, "USD", A, "revenue"), (7, 80, "bp", A, "operating_ratio"),
        (7, 88.4, "percent", A, "operating_ratio"), (7, -12, "percent", A, "costs"), (10, 1.14, "USD_per_share", A, "eps"),
        (10, 1.09, "USD_per_share", C, "eps"), (10, 96e6, "USD", A, "capex"), (10, (380e6, 420e6), "USD", G, "capex"),
        (11, 2.4e9, "USD", G, "revenue"), (23, 87, "percent", G, "operating_ratio"), (25, 87, "percent", G, "operating_ratio"),
        (31, -4, "percent", A, "volume"), (35, 500e6, "USD", A, "debt"), (37, 1.1, "multiple", A, "debt"),
    ],
}  # fmt: skip


def _score(figures, gold) -> tuple[float, float, float, float]:
    """Precision, recall, and kind and metric accuracy of matched figures."""
    unmatched = list(figures)
    right_kind = right_metric = 0
    for line, amount, unit, kind, metric in gold:
        hit = next(
            (f for f in unmatched if f.line == line and f.unit == unit and _same(_amount(f), amount)), None
        )
        if hit is not None:
            unmatched.remove(hit)
            right_kind += hit.kind is kind
            right_metric += hit.metric == metric
    matched = len(figures) - len(unmatched)
    return matched / len(figures), matched / len(gold), right_kind / matched, right_metric / matched


def _amount(f) -> float | tuple[float, float]:
    return f.value if f.value is not None else (f.low, f.high)


def _same(a, b) -> bool:
    if isinstance(a, tuple) != isinstance(b, tuple):
        return False
    pairs = zip(a, b, strict=True) if isinstance(a, tuple) else [(a, b)]
    return all(math.isclose(x, y, rel_tol=1e-9) for x, y in pairs)


def test_figures_seed_000_precision_recall_kind_and_metric(seed) -> None:
    result = analyze(seed("000"))
    found = [f for f in result.figures if (9 <= f.line <= 15 or 85 <= f.line <= 123) and f.unit in MONEY_ETC]
    precision, recall, kind, metric = _score(found, SEED_000_GOLD)
    assert precision >= 0.95
    assert recall >= 0.95
    assert kind >= 0.9
    assert metric >= 0.9


def test_figures_english_corpus_precision_recall_kind_and_metric() -> None:
    from conftest import CORPORA

    matched = kinds = metrics = 0
    for name, gold in CORPUS_GOLD.items():
        result = analyze(CORPORA / "calls" / f"{name}.txt")
        found = [f for f in result.figures if f.unit in MONEY_ETC | {Unit.MW, Unit.GW}]
        precision, recall, kind, metric = _score(found, gold)
        assert precision >= 0.95, name
        assert recall >= 0.95, name
        n = round(recall * len(gold))
        matched, kinds, metrics = matched + n, kinds + kind * n, metrics + metric * n
    assert kinds / matched >= 0.9
    assert metrics / matched >= 0.9


def test_figures_point_into_the_original(seed) -> None:
    result = analyze(seed("000"))
    text = seed("000").read_text(encoding="utf-8")
    lines = text.split("\n")
    for f in result.figures:
        assert text[f.start : f.end] == f.text
        assert f.text in lines[f.line - 1]
        assert result.sentences[f.sentence].start <= f.start < f.end <= result.sentences[f.sentence].end
        assert f.turn == result.sentences[f.sentence].turn


# The cases users of other tools report as broken: (text, value or (low, high), unit, qualifier)
@pytest.mark.parametrize(
    ("text", "amount", "unit", "qualifier"),
    [
        ("营收为12.6亿元。", 1.26e9, Unit.CNY, None),
        ("公司融资4.15亿美元。", 4.15e8, Unit.USD, None),
        ("市值达1,100.9亿美元。", 1.1009e11, Unit.USD, None),
        ("客户达到23,876家。", 23876, Unit.COUNT, None),
        ("CoreWeave的Q1 gross margin为32.5%,表现强劲。", 32.5, Unit.PERCENT, None),
        ("Revenue was USD34.6 million in the quarter.", 34.6e6, Unit.USD, None),
        ("净利润一千多万元。", 1e7, Unit.CNY, Qualifier.MORE_THAN),
        ("费用三万五千元。", 35000, Unit.CNY, None),
        ("费用三万五元。", 35000, Unit.CNY, None),
        ("收入13万2元。", 132000, Unit.CNY, None),
        ("收入十亿3000万元。", 1.03e9, Unit.CNY, None),
        ("营收9.816亿美元。", 9.816e8, Unit.USD, None),
        ("收入在10.6亿美元至11亿美元范围内。", (1.06e9, 1.1e9), Unit.USD, None),
        ("经调整后营收在1.4亿美元至1.7亿美元之间。", (1.4e8, 1.7e8), Unit.USD, None),
        ("利息支出在2.6亿美元到3亿美元。", (2.6e8, 3e8), Unit.USD, None),
        ("We expect revenue of $1.06 billion to $1.1 billion.", (1.06e9, 1.1e9), Unit.USD, None),
        ("Revenue between $140 million and $170 million.", (1.4e8, 1.7e8), Unit.USD, None),
        ("Capex of $140-170 million.", (1.4e8, 1.7e8), Unit.USD, None),
        ("毛利率为27%至28%。", (27, 28), Unit.PERCENT, None),
        ("Gross margin of 27-28%.", (27, 28), Unit.PERCENT, None),
        ("毛利率提升三个百分点。", 3, Unit.PP, None),
        ("Margin expanded 150 basis points.", 150, Unit.BP, None),
        ("毛利率提升470个基点。", 470, Unit.BP, None),
        ("Margins rose 50bps.", 50, Unit.BP, None),
        ("收入增长六倍。", 6, Unit.MULTIPLE, None),
        ("收入同比激增四倍。", 4, Unit.MULTIPLE, None),
        ("收入增长两倍。", 2, Unit.MULTIPLE, None),
        ("增长率仅为一季度的一半不到。", 0.5, Unit.MULTIPLE, Qualifier.LESS_THAN),
        ("Revenue grew 3x.", 3, Unit.MULTIPLE, None),
        ("收入增长百分之三十。", 30, Unit.PERCENT, None),
        ("Revenue rose 12 per cent.", 12, Unit.PERCENT, None),
        ("容量达到420兆瓦。", 420, Unit.MW, None),
        ("Contracted power of 1.6 GW.", 1.6, Unit.GW, None),
        ("收入约3000万元。", 3e7, Unit.CNY, Qualifier.APPROX),
        ("收入近3000万元。", 3e7, Unit.CNY, Qualifier.APPROX),
        ("收入超过5亿元。", 5e8, Unit.CNY, Qualifier.MORE_THAN),
        ("合同价值高达119亿美元。", 1.19e10, Unit.USD, Qualifier.UP_TO),
        ("收入5亿元以上。", 5e8, Unit.CNY, Qualifier.AT_LEAST),
        ("Revenue of about $5 million.", 5e6, Unit.USD, Qualifier.APPROX),
        ("Revenue of approximately $5 million.", 5e6, Unit.USD, Qualifier.APPROX),
        ("More than $5 million in revenue.", 5e6, Unit.USD, Qualifier.MORE_THAN),
        ("Revenue of up to $5 million.", 5e6, Unit.USD, Qualifier.UP_TO),
        ("HK$2.5bn of revenue.", 2.5e9, Unit.HKD, None),
        ("Revenue of €12m.", 12e6, Unit.EUR, None),
        ("Revenue was $10M.", 10e6, Unit.USD, None),  # scale letters in any case
        ("Revenue was US$2.1B in the quarter.", 2.1e9, Unit.USD, None),
        ("Capex of $500K.", 5e5, Unit.USD, None),
        ("Revenue of $3.5 Million.", 3.5e6, Unit.USD, None),
        ("营收为$1.2B,同比增长。", 1.2e9, Unit.USD, None),
        ("Revenue of £3.2 million.", 3.2e6, Unit.GBP, None),
        ("收入为人民币9.816亿元。", 9.816e8, Unit.CNY, None),
        ("Revenue of RMB981.6 million.", 9.816e8, Unit.CNY, None),
        ("营收为$5 million的水平。", 5e6, Unit.USD, None),
        ("近百万美元的订单。", 1e6, Unit.USD, Qualifier.APPROX),
        ("客户三百家。", 300, Unit.COUNT, None),
        ("客户数达到三万五家。", 35000, Unit.COUNT, None),
        ("门店一百零五家。", 105, Unit.COUNT, None),
        ("拥有50000个GPU。", 50000, Unit.COUNT, None),
    ],
)
def test_figures_read_every_form(text: str, amount, unit: Unit, qualifier: Qualifier | None) -> None:
    figures = FigureExtractor()(text)
    assert len(figures) == 1, figures
    f = figures[0]
    assert _same(_amount(f), amount)
    assert f.unit is unit
    assert f.qualifier is qualifier


@pytest.mark.parametrize(
    "text",
    [
        "2012-13财年的数据。",
        "截至3月31日的季度。",
        "在2024-2025年期间。",
        "我们在2025年有了一个精彩的开始。",
        "请看10-Q表格第3页。",
        "一季度表现不错,一家新客户签约。",
        "The fiscal year 2012-13 was hard.",
        "On March 31, 2025 we closed the quarter.",
        "GB200万卡集群。",
        "H100的价格下降。",
        "训练速度排名第2名。",
        "第十家门店开业。",
        "两位高管谈了三个方面。",
    ],
)
def test_figures_dates_years_and_codes_are_not_figures(text: str) -> None:
    assert FigureExtractor()(text) == []


@pytest.mark.parametrize(
    ("text", "metric", "kind", "relation", "period", "value"),
    [
        ("第一季度净亏损为3.15亿美元。", "net_loss", A, Relation.LEVEL, "2025Q1", 3.15e8),
        ("第一季度营收为9.816亿美元,同比增长420%。", "revenue", A, Relation.YOY, "2025Q1", 420),
        ("每股亏损1.49美元。", "eps", A, Relation.LEVEL, "2025Q1", -1.49),
        ("Diluted EPS of $0.42.", "eps", A, Relation.LEVEL, "2025Q1", 0.42),
        ("Loss per share of $(0.15).", "eps", A, Relation.LEVEL, "2025Q1", -0.15),
        ("公司预计第二季度收入在10.6亿美元至11亿美元。", "revenue", G, Relation.LEVEL, "2025Q2", None),
        ("预计全年资本支出在200亿美元至230亿美元之间。", "capex", G, Relation.LEVEL, "FY2025", None),
        ("We expect full-year revenue of $4.9 billion.", "revenue", G, Relation.LEVEL, "FY2025", 4.9e9),
        ("Our outlook for capex is $3 billion.", "capex", G, Relation.LEVEL, None, 3e9),
        ("较上年同期的1.887亿美元增长。", "other", P, Relation.LEVEL, "2024Q1", 1.887e8),
        ("上年同期亏损1.292亿美元。", "net_loss", P, Relation.LEVEL, "2024Q1", 1.292e8),
        ("Operating profit rose to EUR 13.1 mn from EUR 8.7 mn.", "operating_income", A, Relation.LEVEL, "2025Q1", 13.1e6),
        ("EPS of $0.42 was ahead of consensus of $0.38.", "eps", A, Relation.LEVEL, "2025Q1", 0.42),
        ("高于市场预期的9.5亿美元。", "other", Kind.CONSENSUS, Relation.LEVEL, "2025Q1", 9.5e8),
        ("Revenue was down 5% sequentially.", "revenue", A, Relation.QOQ, "2025Q1", -5),
        ("毛利率环比下降2个百分点。", "gross_margin", A, Relation.QOQ, "2025Q1", -2),
        ("Revenue grew 23% year over year.", "revenue", A, Relation.YOY, "2025Q1", 23),
        ("Gross margin expanded 150 basis points.", "gross_margin", A, Relation.CHANGE, "2025Q1", 150),
        ("收入待确认金额(包括剩余履约义务及其他预计确认为收入的金额)达到259亿美元。", "revenue_backlog", A,
         Relation.LEVEL, "2025Q1", 2.59e10),
        ("FY25 revenue guidance is $5 billion.", "revenue", G, Relation.LEVEL, "FY2025", 5e9),
        ("2025财年,我们预计收入为50亿美元。", "revenue", G, Relation.LEVEL, "FY2025", 5e9),
    ],
)  # fmt: skip
def test_figures_metric_kind_relation_period(text, metric, kind, relation, period, value) -> None:
    figures = FigureExtractor(year=2025, quarter=1)(text)
    f = next(
        (f for f in figures if value is not None and f.value is not None and math.isclose(f.value, value)),
        None,
    )
    f = f or figures[0]
    assert (f.metric, f.kind, f.relation, f.period) == (metric, kind, relation, period)
    if value is not None:
        assert math.isclose(f.value, value)


@pytest.mark.parametrize(
    ("text", "amount", "unit", "metric", "kind"),
    [
        # what management expects, sees, targets or guides to, in any tense and wording
        ("EPS is expected to range from $13.20 to $13.40.", (13.2, 13.4), Unit.USD_PER_SHARE, "eps", G),
        ("公司预计每股收益在13.2美元至13.4美元之间。", (13.2, 13.4), Unit.USD_PER_SHARE, "eps", G),
        ("We are guiding to adjusted EBITDA of between $880 million and $920 million.", (8.8e8, 9.2e8),
         Unit.USD, "adjusted_ebitda", G),
        ("我们将调整后EBITDA指引定在8.8亿美元至9.2亿美元。", (8.8e8, 9.2e8), Unit.USD, "adjusted_ebitda", G),
        ("We will likely see gross margin of 44% to 45% next quarter.", (44, 45), Unit.PERCENT, "gross_margin", G),
        ("下季度毛利率可能在44%到45%之间。", (44, 45), Unit.PERCENT, "gross_margin", G),
        ("Our full year guidance is as follows; net sales of $995 million to $1,005 million.", (9.95e8, 1.005e9),
         Unit.USD, "revenue", G),
        ("We expect growth of 5%; revenue was $5.2 million.", 5.2e6, Unit.USD, "revenue", A),
        # an amount of the period reported, whatever outlook words a clause before held
        ("我们的收入积压包括我们估计将在未来期间确认为收入的其他金额,本季度为259亿美元。", 2.59e10, Unit.USD,
         "revenue_backlog", A),
        ("Revenue in the third quarter was about RMB 1.9 million.", 1.9e6, Unit.CNY, "revenue", A),
        # the comparison side
        ("Revenues were $481.1 million compared to $432.8 million.", 4.328e8, Unit.USD, "revenue", P),
        ("收入为4.811亿美元,相比之下上年同期为4.328亿美元。", 4.328e8, Unit.USD, "revenue", P),
        ("Adjusted EPS was $3.13 versus $0.91 a year ago.", 0.91, Unit.USD_PER_SHARE, "eps", P),
        # per share however it is said, and only without a scale
        ("Income was $34.3 million or $0.50 per diluted share.", 0.5, Unit.USD_PER_SHARE, "eps", A),
        ("Income was $34.3 million or $0.50 per diluted share.", 3.43e7, Unit.USD, "other", A),
        ("Comprehensive income was $60.2 million or $0.89 per common share.", 0.89, Unit.USD_PER_SHARE, "eps", A),
        ("Net loss was $7.4 million or $0.19 per share.", -0.19, Unit.USD_PER_SHARE, "eps", A),
        ("EPS was $1.07 per diluted share on net sales of $1.8 billion.", 1.8e9, Unit.USD, "revenue", A),
        # a share of revenue belongs to what it measures
        ("Cost of revenue was 42.0% of revenue.", 42.0, Unit.PERCENT, "costs", A),
        ("营业成本占收入的42.0%。", 42.0, Unit.PERCENT, "costs", A),
    ],
)  # fmt: skip
def test_figures_kind_and_metric_read_as_a_reader_would(text, amount, unit, metric, kind) -> None:
    figures = FigureExtractor(year=2025, quarter=1)(text)
    hit = next((f for f in figures if f.unit == unit and _same(_amount(f), amount)), None)
    assert hit is not None, [(f.text, _amount(f), f.unit) for f in figures]
    assert (hit.metric, hit.kind) == (metric, kind)


def _normalized_figures(text: str):
    from callnlp.normalize import normalize
    from callnlp.text import load

    return FigureExtractor(2025, 1)(normalize(load(text.encode())).text)


# Web text as written (pangu spacing, thin and no-break spaces, full-width digits), each
# with its one figure: (text, value or (low, high), unit). Normalization makes them plain.
@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [
        ("营收仅 1600 万美元。", 1.6e7, Unit.USD),
        ("Revenue was only $16\u00a0million.", 1.6e7, Unit.USD),
        ("营收仅\u20091600\u2009万美元。", 1.6e7, Unit.USD),
        ("Revenue was only $16\u2009million.", 1.6e7, Unit.USD),
        ("营收仅\u00a01600\u202f万美元。", 1.6e7, Unit.USD),
        ("营收仅１６００万美元。", 1.6e7, Unit.USD),
        ("Revenue was only $１６ million.", 1.6e7, Unit.USD),
        ("市值超 500 亿美元。", 5e10, Unit.USD),
        ("Market value of over $50\u00a0billion.", 5e10, Unit.USD),
        ("合同总额达 259 亿美元。", 2.59e10, Unit.USD),
        ("毛利率提升 470 个基点。", 470, Unit.BP),
        ("Margin rose 470\u00a0basis points.", 470, Unit.BP),
        ("速度快 4 倍。", 4, Unit.MULTIPLE),
        ("全年指引 200-230 亿美元。", (2e10, 2.3e10), Unit.USD),
        ("全年指引 200 - 230 亿美元。", (2e10, 2.3e10), Unit.USD),
        ("Full-year guidance of $20\u2009-\u200923 billion.", (2e10, 2.3e10), Unit.USD),
        ("CoreWeave 的 Q1 gross margin 为 32.5%。", 32.5, Unit.PERCENT),
    ],
)
def test_figures_web_spacing_and_full_width_read_as_plain(text: str, amount, unit: Unit) -> None:
    figures = _normalized_figures(text)
    assert len(figures) == 1, figures
    assert _same(_amount(figures[0]), amount)
    assert figures[0].unit is unit


# A hyphen or dash between two amounts links a range, whatever the spacing: (text, low,
# high, unit). None of them may give a negative.
@pytest.mark.parametrize(
    ("text", "low", "high", "unit"),
    [
        ("收取客户的15%-25%作为预付款。", 15, 25, Unit.PERCENT),
        ("Customers prepay 15%-25% of the contract.", 15, 25, Unit.PERCENT),
        ("收取客户的15-25%作为预付款。", 15, 25, Unit.PERCENT),
        ("Customers prepay 15-25% of the contract.", 15, 25, Unit.PERCENT),
        ("收取客户的15% - 25%作为预付款。", 15, 25, Unit.PERCENT),
        ("Customers prepay 15% -25% of the contract.", 15, 25, Unit.PERCENT),
        ("全年指引200-230亿美元。", 2e10, 2.3e10, Unit.USD),
        ("Revenue of $1.06-$1.10 billion.", 1.06e9, 1.1e9, Unit.USD),
        ("全年指引200–230亿美元。", 2e10, 2.3e10, Unit.USD),
        ("Revenue of $1.06–$1.10 billion.", 1.06e9, 1.1e9, Unit.USD),
        ("全年指引200~230亿美元。", 2e10, 2.3e10, Unit.USD),
        ("Revenue of $1.06 - $1.10 billion.", 1.06e9, 1.1e9, Unit.USD),
        ("全年指引200至230亿美元。", 2e10, 2.3e10, Unit.USD),
        ("Revenue of $1.06 -$1.10 billion.", 1.06e9, 1.1e9, Unit.USD),
        ("全年指引200 -230亿美元。", 2e10, 2.3e10, Unit.USD),
        ("全年指引200亿-230亿美元。", 2e10, 2.3e10, Unit.USD),
        ("全年指引200〜230亿美元。", 2e10, 2.3e10, Unit.USD),
    ],
)
def test_figures_dash_ranges_are_never_negative(text: str, low: float, high: float, unit: Unit) -> None:
    figures = _normalized_figures(text)
    assert [(f.value, f.low, f.high, f.unit) for f in figures] == [(None, low, high, unit)], figures


# A minus with no amount before it that it could end a range with is a sign:
# (text, the values of the figures)
@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("-25%的客户流失。", [-25]),
        ("-25% of customers left.", [-25]),
        ("毛利率下降-3%。", [-3]),
        ("Operating margin was -3%.", [-3]),
        ("营收同比-3%。", [-3]),
        ("Revenue was \u22123% year over year.", [-3]),
        ("毛利率为20%, -3%来自汇率。", [20, -3]),
        ("In 2025 -3% came from currency.", [-3]),
        ("毛利率从30%-25%。", [30, 25]),  # glued to an amount: a dash, though no range
    ],
)
def test_figures_true_negatives_stay_negative(text: str, values: list[float]) -> None:
    assert [f.value for f in _normalized_figures(text)] == values


# Vague amounts are ranges of one order of magnitude, never exact: (text, low, high, unit)
@pytest.mark.parametrize(
    ("text", "low", "high", "unit"),
    [
        ("新入局者需数十亿美元前期资本支出。", 1e9, 1e10, Unit.USD),
        ("Newcomers need several billion dollars of capex.", 1e9, 1e10, None),
        ("几十亿美元的投入。", 1e9, 1e10, Unit.USD),
        ("A few billion dollars of spending.", 1e9, 1e10, None),
        ("数百万美元的订单。", 1e6, 1e7, Unit.USD),
        ("Orders worth several million dollars.", 1e6, 1e7, None),
        ("上百万美元的订单。", 1e6, 1e7, Unit.USD),
        ("Orders worth millions of dollars.", 1e6, 1e7, None),
        ("数千万美元的收入。", 1e7, 1e8, Unit.USD),
        ("Revenue of tens of millions of dollars.", 1e7, 1e8, None),
        ("数亿美元的收入。", 1e8, 1e9, Unit.USD),
        ("Hundreds of millions of dollars of revenue.", 1e8, 1e9, None),
        ("数万家客户。", 1e4, 1e5, Unit.COUNT),
        ("Thousands of customers.", 1e3, 1e4, None),
        ("几十亿的投入。", 1e9, 1e10, None),
        ("A few hundred million in revenue.", 1e8, 1e9, None),
    ],
)
def test_figures_vague_amounts_are_approximate_ranges(text: str, low: float, high: float, unit) -> None:
    figures = _normalized_figures(text)
    assert [(f.value, f.low, f.high, f.unit) for f in figures] == [(None, low, high, unit)], figures
    assert figures[0].qualifier is Qualifier.APPROX


@pytest.mark.parametrize(
    "text",
    [
        "数十年来一直如此。", "Hundreds of customers signed.",
        "我有几个问题。", "I have a few questions.",
        "收入十几亿美元。", "成千上万块GPU。",
    ],
)  # fmt: skip
def test_figures_vague_words_without_a_unit_or_scale_are_not_figures(text: str) -> None:
    assert [f for f in _normalized_figures(text) if f.value is not None or f.low is not None] == []


def test_figures_a_word_before_a_vague_amount_still_qualifies_it() -> None:
    f = _normalized_figures("市值超过数十亿美元。")[0]
    assert (f.low, f.high, f.qualifier) == (1e9, 1e10, Qualifier.MORE_THAN)


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        ("营收12.6亿元23.4%", [(1.26e9, Unit.CNY), (23.4, Unit.PERCENT)]),
        ("Revenue grew 20%YoY to $1.2 billion", [(20, Unit.PERCENT), (1.2e9, Unit.USD)]),
    ],
)
def test_figures_a_unit_ends_an_amount_even_when_more_text_follows(text: str, figures) -> None:
    assert [(f.value, f.unit) for f in FigureExtractor()(text)] == figures


def test_figures_consensus_is_its_own_kind() -> None:
    figures = FigureExtractor(2025, 1)("EPS of $0.42 was ahead of consensus of $0.38.")
    assert [(f.value, f.kind) for f in figures] == [(0.42, A), (0.38, Kind.CONSENSUS)]


_SCALES = [
    ("", 1),
    ("万", 1e4),
    ("亿", 1e8),
    ("万亿", 1e12),
    (" million", 1e6),
    (" billion", 1e9),
    ("k", 1e3),
    ("bn", 1e9),
]
_CURRENCIES = [("美元", Unit.USD, False), ("元", Unit.CNY, False), ("港元", Unit.HKD, False), ("欧元", Unit.EUR, False),
               ("$", Unit.USD, True), ("US$", Unit.USD, True), ("€", Unit.EUR, True), ("£", Unit.GBP, True),
               ("HK$", Unit.HKD, True), ("RMB", Unit.CNY, True)]  # fmt: skip


_ZH_SCALE_OF = {" million": ("百万", 1e6), " billion": ("十亿", 1e9), "k": ("千", 1e3), "bn": ("十亿", 1e9)}


@settings(max_examples=300, deadline=None)
@given(
    st.decimals(min_value="0.01", max_value="999999", places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from(_SCALES),
    st.sampled_from(_CURRENCIES),
    st.booleans(),
)
def test_figures_property_arabic_amounts_round_trip(number, scale, currency, separators) -> None:
    word, factor = scale
    symbol, unit, prefix = currency
    if not prefix and word.isascii() and word:  # Chinese text takes Chinese scales: 百万美元
        word, factor = _ZH_SCALE_OF[word]
    if prefix and not word.isascii():  # "$5亿" is not written
        word, factor = "", 1
    written = f"{number:,}" if separators else f"{number}"
    text = f"{symbol}{written}{word}" if prefix else f"{written}{word}{symbol}"
    figures = FigureExtractor()(f"Revenue was {text}." if prefix else f"收入为{text}。")
    assert len(figures) == 1, (text, figures)
    assert figures[0].unit is unit
    assert math.isclose(figures[0].value, float(number) * factor, rel_tol=1e-9), text


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            list("0123456789.,-%$万亿元美倍个百分点至到约超过多 abcmillon一二三十百千()")
        ),
        max_size=60,
    )
)
def test_figures_property_random_text_never_crashes(text: str) -> None:
    for f in FigureExtractor(2025, 1)(text):
        assert 0 <= f.start < f.end <= len(text)
        assert text[f.start : f.end] == f.text


# (sentences, their turns, the period of the last sentence's figure)
CONTEXTS = [
    (["我们谈谈2024年第四季度。", "营收为9亿美元。"], [0, 0], "2024Q4"),
    (["Let's look at the fourth quarter of 2024.", "Revenue was $900 million."], [0, 0], "2024Q4"),
    (["我们谈谈2024年第四季度。", "营收为9亿美元。"], [0, 1], "2025Q1"),
    (["Let's look at the fourth quarter of 2024.", "Revenue was $900 million."], [0, 1], "2025Q1"),
    (["2024年第四季度。", "全年方面。", "毛利为3亿美元。"], [0, 0, 0], "FY2025"),
    (
        ["The fourth quarter of 2024.", "For the full year.", "Gross profit was $300 million."],
        [0, 0, 0],
        "FY2025",
    ),
]


@pytest.mark.parametrize(("texts", "turns", "period"), CONTEXTS)
def test_figures_each_carries_the_last_named_period_within_a_turn(texts, turns, period) -> None:
    found = FigureExtractor(2025, 1).each(texts, turns)
    assert [len(f) for f in found[:-1]] == [0] * (len(texts) - 1)
    assert [f.period for f in found[-1]] == [period]


def test_figures_each_agrees_with_one_sentence_at_a_time() -> None:
    fx = FigureExtractor(2025, 1)
    texts = ["第一季度营收为9.816亿美元,同比增长420%。", "净亏损3.146亿美元。", "Capex was $1.9 billion."]
    assert fx.each(texts, [0, 0, 1]) == [fx(texts[0]), fx(texts[1], "2025Q1"), fx(texts[2])]


def test_figures_mention_groups_are_read_in_pattern_order() -> None:
    # _mentions unpacks m.groups() by position: a group added to the pattern must be added there
    from callnlp.figures import _MENTION

    assert tuple(_MENTION.groupindex) == (
        "pct_zh", "pct_num", "half", "cur", "paren", "sign", "num", "vague", "more", "zunit", "zmeasure",
        "count", "escale", "emeasure",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("number", "written", "amount", "unit"),
    [
        # seed 001 sets numbers apart from their units ("pangu" spacing), seed 003 writes
        # percent ranges with a hyphen and is in Traditional Chinese
        ("001", "1600 万美元", 1.6e7, Unit.USD),
        ("001", "500 亿美元", 5e10, Unit.USD),
        ("001", "470 个基点", 470, Unit.BP),
        ("001", "4 倍", 4, Unit.MULTIPLE),
        ("001", "200-230 亿美元", (2e10, 2.3e10), Unit.USD),
        ("001", "数十亿美元", (1e9, 1e10), Unit.USD),
        ("003", "15%-25%", (15, 25), Unit.PERCENT),
        ("003", "62%-77%", (62, 77), Unit.PERCENT),
        ("003", "119 億美元", 1.19e10, Unit.USD),
    ],
)  # fmt: skip
def test_figures_seeds_with_spaced_numbers_and_dash_ranges(seed, number, written, amount, unit) -> None:
    path = seed(number)
    original = path.read_text(encoding="utf-8")
    found = [f for f in analyze(path).figures if original[f.start : f.end] == written]
    assert found, written
    assert all(f.unit == unit and _same(_amount(f), amount) for f in found)
