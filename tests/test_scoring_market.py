"""The tone of Chinese market language: financial news, exchange announcements and broker
research notes (the fourth pass of models/lexicon_zh.tsv, see models/lexicon.md).

Each sentence carries the tone a reader of market news takes from it. A metamorphic test
then checks that the decision does not hang on the script (Traditional characters, as
normalization converts them), on the company's name or on the figures.
"""

from __future__ import annotations

import re
from functools import cache

import pytest

from callnlp import analyze
from callnlp.record import Tone
from callnlp.scoring import LexiconScorer

POS, NEG, NEU = Tone.POSITIVE, Tone.NEGATIVE, Tone.NEUTRAL

# (sentence, tone), by family; written for this test, fictional companies and figures.
MARKET = [
    # 利好 / 利空, and 出尽 turning them round
    ("降准落地被市场普遍解读为重大利好。", POS),
    ("监管趋严对整个板块构成利空。", NEG),
    ("利空出尽之后,该股企稳反弹。", POS),
    ("业绩发布后利好出尽,股价冲高回落。", NEG),
    # stakes: whoever adds to a stake is good news, whoever sells down is bad news
    ("公司控股股东拟在未来6个月内增持公司股份,金额不低于2亿元。", POS),
    ("多名高管计划通过集中竞价方式减持公司股份。", NEG),
    ("公司实控人拟减持不超过总股本3%的股份。", NEG),
    ("持股5%以上的大股东在二级市场大幅减持。", NEG),
    ("多家公募机构在二季度增持了该股。", POS),
    ("董事长再度出手增持,累计增持金额达5000万元。", POS),
    ("公司拟以3亿元至5亿元回购股份并予以注销。", POS),
    ("公司已完成注销回购股份1200万股。", POS),
    ("公司宣布终止本次回购计划。", NEG),
    ("公司控股股东承诺未来12个月内不减持。", NEU),
    ("央行今日开展1500亿元逆回购操作。", NEU),
    # earnings pre-announcements
    ("公司发布业绩预告,上半年净利润同比预增120%至150%。", POS),
    ("公司预计全年归母净利润同比预减50%至60%。", NEG),
    ("公司前三季度扭亏为盈,实现净利润1.8亿元。", POS),
    ("公司预计今年首亏,净亏损3亿元至3.5亿元。", NEG),
    ("公司已连续三年续亏。", NEG),
    ("公司一季度亏损收窄至0.6亿元。", POS),
    ("公司三季度亏损进一步扩大。", NEG),
    ("受益于海外需求爆发,公司业绩大增。", POS),
    ("受行业价格战影响,公司业绩持续下滑。", NEG),
    ("公司上半年净利润同比翻倍。", POS),
    # expectations: results against expectations, and higher or lower read against the subject
    ("公司三季度收入超预期。", POS),
    ("公司四季度净利润不及预期。", NEG),
    ("利息支出为2.64亿美元,高于预期。", NEG),
    ("公司销售费用低于预期。", POS),
    ("公司营业收入低于预期。", NEG),
    ("公司毛利率高于市场预期。", POS),
    ("原材料成本高于预期,侵蚀了利润。", NEG),
    ("公司亏损额低于预期。", POS),
    ("公司营收同比增长6%,低于市场预期。", NEG),
    ("公司营收增长不及预期。", NEG),
    ("公司出货量差于预期。", NEG),
    ("公司净利润同比下降30%,但好于市场预期。", POS),
    # ratings, targets and forecasts
    ("我们上调公司评级至买入。", POS),
    ("某券商将公司评级下调至中性。", NEG),
    ("我们维持公司买入评级。", POS),
    ("首次覆盖,给予公司买入评级。", POS),
    ("我们将目标价上调至68元。", POS),
    ("目标价由45元下调至38元。", NEG),
    ("给予公司减持评级,目标价12元。", NEG),
    ("我们下调公司2025年盈利预测。", NEG),
    ("我们维持中性评级。", NEU),
    ("我们预计公司明年归母净利润为12.5亿元,维持“买入”评级。", POS),
    ("首次覆盖,给予“推荐”评级。", POS),
    # trading
    ("公司股价午后直线拉升,封死涨停。", POS),
    ("公司股票开盘一字跌停。", NEG),
    ("消息公布后,公司股价大涨12%。", POS),
    ("公司股价暴跌,市值蒸发逾百亿元。", NEG),
    ("公司股价创历史新高。", POS),
    ("公司股价创下三年新低。", NEG),
    ("该股放量上涨,换手率超过15%。", POS),
    ("该股上市首日即破发。", NEG),
    ("截至收盘,该股涨2.35%,报15.6元。", POS),
    ("截至发稿,该股跌3.1%。", NEG),
    ("公司市值一度跌破百亿元。", NEG),
    # a new high or low read against what reaches it
    ("公司不良率降至历史新低。", POS),
    ("公司存货规模创历史新高。", NEG),
    # financing
    ("两市融资余额下降42亿元。", NEG),
    ("该股本周融资净偿还1.5亿元。", NEG),
    ("该股昨日获融资净买入2亿元。", POS),
    ("北向资金全天净流入60亿元。", POS),
    ("北向资金今日净流出超过40亿元。", NEG),
    ("公司拟配股募资不超过30亿元。", NEG),
    ("本次增发将稀释现有股东权益。", NEG),
    ("公司公开发行可转债的申请已获受理。", NEU),
    # regulation
    ("公司因涉嫌信息披露违规被证监会立案调查。", NEG),
    ("公司收到证监会下发的行政处罚决定书。", NEG),
    ("公司及相关责任人被处罚。", NEG),
    ("公司收到上交所监管函。", NEG),
    ("公司收到深交所问询函。", NEG),
    ("公司收到证监局出具的警示函。", NEG),
    ("公司股票被实施退市风险警示。", NEG),
    ("公司股票简称被冠以*ST。", NEG),
    ("公司股票撤销退市风险警示,顺利摘帽。", POS),
    ("会计师对公司年报出具了保留意见。", NEG),
    ("公司IPO申请顺利过会。", POS),
    # credit and legal
    ("公司发行的中期票据出现违约。", NEG),
    ("控股股东质押的股份被强制平仓。", NEG),
    ("公司多个银行账户被司法冻结。", NEG),
    ("公司计提商誉减值12亿元。", NEG),
    ("公司对存货计提减值准备。", NEG),
    ("公司涉及一起重大诉讼。", NEG),
    ("公司与客户的合同纠纷已提交仲裁。", NEG),
    ("公司二审胜诉。", POS),
    # denials: a problem that did not happen is not bad news
    ("公司未发生违约。", NEU),
    ("经自查,公司不存在退市风险。", NEU),
    ("公司没有被立案调查。", NEU),
    ("公司从未收到过监管函。", NEU),
    # business news
    ("公司中标5.2亿元轨道交通项目。", POS),
    ("公司与欧洲客户签订大单。", POS),
    ("公司签订重大合同,金额约8亿元。", POS),
    ("公司与某车企签署战略合作协议。", POS),
    ("公司创新药获批上市。", POS),
    ("公司取得药品注册批文。", POS),
    ("公司两款产品纳入医保目录。", POS),
    ("公司新产能陆续释放。", POS),
    ("公司主要生产基地因安全事故停产。", NEG),
    ("公司工厂已全面复产。", POS),
    ("公司主要产品提价10%。", POS),
    ("上游原材料涨价推高公司成本。", NEG),
    ("公司宣布每10股派发现金红利3元。", POS),
    ("公司推出高送转方案。", POS),
    ("公司限售股将于下月解禁。", NEG),
    ("公司推出股权激励计划。", POS),
    ("公司未能中标该项目。", NEG),
    # procedure
    ("本次交易的违约责任已在协议中明确约定。", NEU),
    ("公司主要销售分红险产品。", NEU),
    ("公司股票交易出现异常波动。", NEU),
    ("公司将回购注销离职激励对象已获授的限制性股票。", NEU),
    ("公司股权激励费用同比增加。", NEG),
    ("公司将于4月20日召开年度股东大会。", NEU),
    ("公司股票于今日起停牌。", NEU),
]


@pytest.fixture(scope="module")
def score():
    return LexiconScorer()


@pytest.mark.parametrize(("text", "tone"), MARKET)
def test_scoring_market_tone(score, text: str, tone: Tone) -> None:
    assert score(text).tone is tone


def test_scoring_market_table_covers_every_tone() -> None:
    assert len(MARKET) >= 60
    assert {tone for _, tone in MARKET} == {POS, NEG, NEU}


# Announcement words that hold a hedge without being one: a delisting warning and an unusual
# price move are facts, not doubts.
@pytest.mark.parametrize(
    "text",
    ["公司股票被实施退市风险警示。", "公司股票交易出现异常波动。", "公司股票撤销其他风险警示。"],
)
def test_scoring_market_announcements_are_not_hedged(score, text: str) -> None:
    assert not score(text).hedged


@cache
def _to_traditional():
    import opencc

    return opencc.OpenCC("s2t").convert


_NAMES = ("华创科技", "海川股份", "东岳新材")


def _renamed(text: str, name: str) -> str:
    """The sentence about a named company: 公司 becomes its name (该股 stays)."""
    return text.replace("公司", name)


def _refigured(text: str) -> str:
    """The sentence with other figures: each digit shifted, keeping the number's shape."""
    return re.sub(r"\d", lambda m: str((int(m.group()) + 3) % 9 + 1), text)


def _tones_of(text: str) -> list[str]:
    """The tone of each sentence the whole pipeline finds in `text` (it normalizes first:
    Traditional characters are converted to Simplified before scoring)."""
    return [s.tone for s in analyze(text.encode()).sentences]


@pytest.mark.parametrize(("text", "tone"), MARKET)
def test_scoring_market_tone_is_the_same_in_traditional_characters(text: str, tone: Tone) -> None:
    traditional = _to_traditional()(text)
    assert traditional != text  # every sentence has characters that differ in Traditional
    assert _tones_of(traditional) == [tone.value]


@pytest.mark.parametrize(("text", "tone"), MARKET)
def test_scoring_market_tone_does_not_hang_on_the_name_or_the_figures(score, text: str, tone: Tone) -> None:
    for name in _NAMES:
        assert score(_renamed(text, name)).tone is tone, name
    assert score(_refigured(text)).tone is tone
    assert score(_refigured(_renamed(text, _NAMES[0]))).tone is tone
