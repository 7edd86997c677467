"""Financial figures: every amount in a call as a typed, normalized, traceable `Figure`.

Per sentence: find amounts (Arabic numbers with separators and decimals, Chinese numerals
and mixtures (callnlp.numerals), scales, currencies, measures; vague ones such as 数十亿 or tens
of millions as ranges of one order of magnitude), join ranges, read qualifiers,
then attach the metric (the nearest governing alias of the glossary in models/metrics.tsv),
the kind (actual, guidance, prior, consensus), the relation (level, yoy, qoq, change) and
the period. Dates (`3月31日`), years and fiscal-year spans (`2012-13`) have no unit and are
not figures.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from functools import cache, lru_cache, partial
from typing import NamedTuple

from callnlp.errors import ResourceError
from callnlp.numerals import parse_number, rounded, scale_of
from callnlp.periods import periods as named_periods
from callnlp.periods import resolve
from callnlp.record import Figure, Kind, Qualifier, Relation, Unit
from callnlp.resources import lines
from callnlp.units import (
    ARABIC_RE,
    CURRENCY_PREFIX,
    CURRENCY_RE,
    CURRENCY_SUFFIX,
    EN_MEASURE_RE,
    EN_SCALE_RE,
    MEASURE_EN,
    MEASURE_ZH,
    PER_SHARE,
    SCALE_EN,
    ZH_MEASURE_RE,
    ZH_UNIT_RE,
    alternation,
    keywords,
)

_ZHN = "[零〇一二两三四五六七八九十百千]+(?:点[零〇一二两三四五六七八九]+)?"
_AMOUNT = rf"(?:{ARABIC_RE}|{_ZHN})(?:多?(?:[十百千]?[万亿]+|千)(?:{ARABIC_RE}|{_ZHN})?)*"
_COUNT_WORDS = "个|家|名|位|张|台|座|款|项|笔|份"
# A count in Chinese numerals is a figure from ten up, with a place character in it
# (三百家, 三万五家): 一家, 两位 and 三个方面 are words.
_ZH_COUNT = rf"[零〇一二两三四五六七八九十百千万亿]*[十百千万亿][零〇一二两三四五六七八九]*(?:{_COUNT_WORDS})"
# A number in Chinese numerals is a figure only with a scale or unit after it (一 of 一些 or
# 第一, 两个 are words): a short test inside the engine skips those without a Python step.
# Digits glued to Latin letters are a code's (GB200, H100, Q1) unless a currency leads them;
# after 第 a number is an ordinal (第2名, 第十家).
_ZH_UNIT_AFTER = (
    rf"(?(cur)|(?<![A-Za-z0-9第])(?=\d|(?:{_ZHN})[万亿多余%个百基倍兆吉美元人港欧英日\sA-Za-z]|{_ZH_COUNT}))"
)


def _vague_words() -> dict[str, dict[str, float]]:
    """Language -> vague word -> factor of the unit it counts, from models/vague.tsv."""
    out: dict[str, dict[str, float]] = {"zh": {}, "en": {}}
    for row in lines("vague.tsv"):
        if len(row) != 3 or row[1] not in out:
            raise ResourceError(f"models/vague.tsv: bad row {row!r}; expected word<TAB>zh|en<TAB>factor")
        out[row[1]][row[0]] = float(row[2])
    return out


_VAGUE = _vague_words()
_ZH_VAGUE = f"(?:{alternation(_VAGUE['zh'])})"
_ZH_VAGUE_LEADS = "".join(w[0] for w in _VAGUE["zh"])
_EN_SCALE_WORDS = [k for k in SCALE_EN if len(k) > 2]  # thousand, million ...: not bn, k
# What every one of them holds: a sentence without one has no English vague amount, and
# the pattern below, led by lookbehinds, is tried at every position of those that do.
_EN_SCALE_TAILS = ("illion", "housand")
# several billion, a few hundred million; tens of millions; millions of (a plural alone is
# vague only before "of": "in millions" is a table's unit)
_VAGUE_EN = re.compile(
    rf"(?<![A-Za-z0-9])(?<![0-9] )(?i:(?:(?P<word>{alternation(_VAGUE['en'])})\s)?"
    rf"(?P<scale>{alternation(_EN_SCALE_WORDS)})(?P<plural>s)?)"
    r"(?(word)|(?(plural)(?=\sof(?![A-Za-z]))|(?!)))(?![A-Za-z])"
)
_LEAST_SCALE = min(SCALE_EN.values())  # a thousand: no scale word counts less
_RANGE_LINK = re.compile(r"\s?(?:至|到|~|-|–|—|to|and)\s?", re.IGNORECASE)
_MENTION = re.compile(
    rf"""
    (?=[0-9零〇一二两三四五六七八九十百千半(\-$€£¥URHCEGJ人{_ZH_VAGUE_LEADS}])  # what can start one
    (?:(?P<pct_zh>百分之(?P<pct_num>{_ZHN}|{ARABIC_RE}))
  | (?P<half>一半|半数)
  | (?:(?P<cur>{CURRENCY_RE})\s?)?
    (?:\((?P<paren>{ARABIC_RE})\)
      |(?P<sign>(?<![A-Za-z0-9.])-(?=\d))?{_ZH_UNIT_AFTER}(?P<num>{_AMOUNT})
      |(?P<vague>(?<![零〇一二两三四五六七八九十百千万亿\d]){_ZH_VAGUE}[十百千万亿]+))
    (?P<more>多|余)?
    # a Chinese unit ends the amount even when a number follows it (12.6亿元23.4%)
    (?:\s?(?P<zunit>{ZH_UNIT_RE})|(?P<zmeasure>%|{ZH_MEASURE_RE})|(?P<count>{_COUNT_WORDS})
      |(?P<escale>{EN_SCALE_RE})?(?P<emeasure>{EN_MEASURE_RE})?(?![A-Za-z0-9])))
    """,
    re.VERBOSE,
)
_BETWEEN = re.compile(r"(?:between|from)\s$", re.IGNORECASE)

_QUALIFIERS_BEFORE = {
    Qualifier.UP_TO: "高达|最高达|最高|多达|up to|as much as|as high as",
    Qualifier.AT_LEAST: "至少|不少于|不低于|at least|no less than|a minimum of",
    Qualifier.AT_MOST: "至多|最多|不超过|不高于|at most|no more than|a maximum of",
    Qualifier.MORE_THAN: "超过|逾|超|多于|高于|over|more than|above|exceeding|in excess of|north of",
    Qualifier.LESS_THAN: "不到|低于|少于|不足|less than|under|below|fewer than|south of",
    Qualifier.APPROX: "大约|大概|约为|约|接近|将近|近|approximately|approx.|about|around|roughly|nearly|some",
}
_QUALIFIER_OF = {word: q for q, words in _QUALIFIERS_BEFORE.items() for word in words.split("|")}
_QUALIFIER_BEFORE = re.compile(keywords(_QUALIFIER_OF) + r"\s?$")
_QUALIFIER_AFTER = re.compile(
    r"^\s?(?:(?P<at_least>以上)|(?P<at_most>以下)|(?P<less_than>不到)|(?P<approx>左右|上下))"
)

# a branch per character (see units.keywords): the engine scans for them
_CLAUSE = re.compile(r",|;|:|。|!|\?|a(?<!\w.)nd\b(?= [a-z])")
_GUIDANCE = re.compile(
    keywords(
        "预计|预期|指引|展望|目标|计划|明年|估计|预估|guidance|guide|guiding|outlook|expect|forecast|"
        "anticipate|project|we see|target|assume|next year|estimate|plan to|plans to|planning to|"
        "intend|on track to|going forward|looking ahead|scenario|可能|有望|将会",
        whole="will|would|should|could|may|might",
    )
)
# what reports a result, in the part of a sentence after a ";"
_REPORTS = re.compile(
    keywords(
        "实现|录得|完成|was|were|grew|rose|fell|declined|decreased|increased|reported|delivered|achieved|"
        "generated|ended|came in"
    )
)
# the reported period named in an amount's own clause makes it an actual, whatever outlook
# words came before in the sentence: 我们估计将在未来期间确认为收入的其他金额,本季度为259亿美元
_REPORTED = re.compile(keywords("本季度|本期|当季|this quarter|in the quarter|for the quarter|this period"))
_CONSENSUS = re.compile(
    keywords(
        "市场预期|分析师预期|一致预期|市场普遍预期|彭博|consensus|the street|street estimate|"
        "street estimates|analyst expected|analysts expected|analyst had expected|"
        "analysts had expected|estimate of|estimates of|forecast of|forecasts of|expectation of|"
        "expectations of"
    )
)
_PRIOR = re.compile(
    keywords(
        "上年同期|去年同期|上年|去年|上一季度|上季度|此前|a year ago|year-ago|prior year|prior-year|"
        "last year|prior range|previous range|prior guidance|previous guidance|previous year|"
        "the prior quarter|last quarter|compared to|compared with|versus|vs.|相比|相较",
    )
)
# 从6.5亿美元增加到15亿美元, `up from $4.1 billion`: what a single amount changed from (before
# a range, `from` opens the range itself: `could range from $0.15 to $0.30`)
_FROM = re.compile(r"(?:从|由|\bfrom)\s?$")
_YOY = re.compile(
    keywords(
        "同比|较上年同期|较去年同期|year-over-year|year over year|year-over year|year over-year|y/y|yoy|"
        "versus last year|from a year ago"
    )
)
_QOQ = re.compile(
    keywords(
        "环比|sequential|sequentially|quarter-over-quarter|quarter over quarter|quarter-over quarter|"
        "quarter over-quarter|q/q|qoq"
    )
)
_CHANGE = re.compile(
    keywords(
        "增长|增加|提升|上升|上涨|下降|减少|下滑|降低|扩大|收窄|缩小|激增|大增|锐减|增|降|"
        "grew|grow|growth|up|down|increase|increases|increased|decrease|decreases|decreased|rose|fell|"
        "decline|declined|dropped|expanded|contracted|improved|widened|narrowed|jumped|climbed|gained|by"
    )
    + r"\s?(?:了)?\s?(?:超过|约|近|逾)?\s?$"
)
_DECLINE = re.compile(
    keywords(
        "下降|减少|下滑|降低|收窄|缩小|锐减|降|down|decrease|fell|declin|dropped|contracted|narrowed|lower"
    )
)
_PER_SHARE = re.compile(keywords("每股|per share|per diluted share|/share"))
# `$0.85 per diluted share`, `$0.89 per common share`, `$1.10 a share`: right after the amount
_PER_SHARE_AFTER = re.compile(
    r"\s?(?:(?:per|a)\s|/)(?:fully |basic |diluted |common |ordinary |weighted average )*shares?\b",
    re.IGNORECASE,
)
# a per-share amount of a loss is negative: `每股亏损1.49美元`, `lost $0.39 per share`,
# `net loss was $7.4 million or $0.19 per share`
_LOSS = re.compile(keywords("亏损|loss|lost"))
_METRIC_AFTER = re.compile(r"\s?(?:的[\u4e00-\u9fff]{0,3}?|(?:of|in|for)(?: the| our| new| total)?)?\s?")
_CUE_REACH = 24
"""How far before an amount a change word is read (`revenue decreased by ` is 21)."""
_OF = re.compile(r"\s?(?:of|占)\b")
_METRIC_GAP = 18  # more than the longest text _METRIC_AFTER matches (" for total ", 11)
_PARENS = re.compile(r"\([^()]{0,200}\)")


class _Said(NamedTuple):
    """What a sentence holds anywhere, so that its figures skip searches that cannot match."""

    qoq: bool
    yoy: bool
    consensus: bool
    guided: int  # where outlook language starts (the sentence's length: nowhere)


class _Mention(NamedTuple):
    start: int
    end: int
    value: float | None
    unit: Unit | None
    qualifier: Qualifier | None
    scale: float  # the scale word's factor (亿 1e8, million 1e6), 1 without one
    high: float | None = None  # a vague amount's top: ten of the units it counts


@cache
def metric_goods() -> dict[str, str]:
    """Alias (case-folded) -> whether growth of its metric is good: up, down or none.

    Example:
        >>> metric_goods()["净亏损"], metric_goods()["revenue"]
        ('down', 'up')
    """
    return {alias: good for alias, (_, good) in _metric_rows().items()}


@cache
def metric_aliases() -> dict[str, list[str]]:
    """Metric -> its aliases (case-folded), from models/metrics.tsv.

    Example:
        >>> metric_aliases()["capex"][:2]
        ['资本支出', '资本开支']
    """
    out: dict[str, list[str]] = {}
    for alias, (metric, _) in _metric_rows().items():
        out.setdefault(metric, []).append(alias)
    return out


@cache
def _metric_rows() -> dict[str, tuple[str, str]]:
    """Alias (case-folded) -> (metric, good), first row wins, from models/metrics.tsv."""
    out: dict[str, tuple[str, str]] = {}
    for row in lines("metrics.tsv"):
        if len(row) != 3:
            raise ResourceError(f"models/metrics.tsv: bad row {row!r}; expected metric<TAB>good<TAB>aliases")
        metric, good, aliases = row
        for alias in aliases.split("|"):
            out.setdefault(alias.casefold(), (metric, good))
    return out


@cache
def _glossary() -> tuple[re.Pattern[str], dict[str, str]]:
    """(alias regex, alias -> metric)."""
    alias_of = {alias: metric for alias, (metric, _) in _metric_rows().items()}
    latin = [w for w in alias_of if w.isascii()]
    han = [w for w in alias_of if not w.isascii()]
    # English aliases match whole words (no letter either side); Chinese ones anywhere
    return re.compile(keywords(han, latin, boundary="[A-Za-z]")), alias_of


class FigureExtractor:
    """Extracts the figures of sentences.

    Args:
        year, quarter: the call's own period, to resolve `第一季度` or `全年` to 2025Q1, FY2025.

    Example:
        >>> fx = FigureExtractor(year=2025, quarter=1)
        >>> f = fx("第一季度营收为9.816亿美元,同比增长420%。")
        >>> [(x.metric, x.value, x.unit.value, x.relation.value, x.period) for x in f]
        [('revenue', 981600000.0, 'USD', 'level', '2025Q1'), ('revenue', 420.0, 'percent', 'yoy', '2025Q1')]
    """

    def __init__(self, year: int | None = None, quarter: int | None = None) -> None:
        self.year = year
        self.quarter = quarter

    def __call__(self, text: str, context: str | None = None) -> list[Figure]:
        """Figures of one sentence; offsets are into `text`, line 0, no turn or sentence.

        Args:
            text: one normalized sentence.
            context: the period the sentences before it were about (see `period_of`),
                used when this one names none.
        """
        return self._figures(text, lambda: context)[0] if _MAYBE.search(text) else []

    def each(self, texts: Sequence[str], groups: Sequence[object]) -> list[list[Figure]]:
        """Figures of consecutive sentences, each list as `__call__` gives it. A sentence
        that names no period takes the last one named before it in its group (a turn).

        Example:
            >>> fx = FigureExtractor(year=2025, quarter=1)
            >>> found = fx.each(["我们谈谈2024年第四季度。", "营收为9亿美元。"], [0, 0])
            >>> [f.period for f in found[1]]
            ['2024Q4']
        """
        named: dict[int, str | None] = {}

        def context(i: int) -> str | None:
            # Only sentences with figures need it (one in six): reading every sentence's
            # period up front cost a fifth of figure extraction.
            for j in range(i - 1, -1, -1):
                if groups[j] != groups[i]:
                    return None
                if j not in named:
                    named[j] = self.period_of(texts[j])
                if named[j]:
                    return named[j]
            return None

        out: list[list[Figure]] = []
        for i, text in enumerate(texts):
            if not _MAYBE.search(text):
                out.append([])
                continue
            figures, periods = self._figures(text, partial(context, i))
            if periods is not None:  # read for its figures: a later sentence may need them
                named[i] = self._last(periods)
            out.append(figures)
        return out

    def _figures(
        self, text: str, context: Callable[[], str | None]
    ) -> tuple[list[Figure], list[re.Match[str]] | None]:
        """The figures of a sentence that `_MAYBE` let through, and the periods it names
        when they were read."""
        mentions = _mentions(text)
        if not mentions:
            return [], None
        mentions = [
            (m, high)
            for m, high in _join_ranges(text, mentions)
            if m.unit is not None or m.scale != 1 or (high is not None and high.unit is not None)
        ]
        if not mentions:
            return [], None  # most sentences: no need to look for metrics and periods
        aliases, alias_of = _glossary()
        asides = [m.span() for m in _PARENS.finditer(text)] if "(" in text else []
        found = [
            (m.start(), m.end(), alias_of[m.group().casefold()])
            for m in aliases.finditer(text)
            if not any(a <= m.start() < b for a, b in asides)
        ]
        # same offsets, asides blanked
        plain = _PARENS.sub(lambda m: " " * len(m.group()), text) if asides else text
        periods = named_periods(text)
        bounds = [0, *(m.end() for m in _CLAUSE.finditer(text))]  # where clauses start
        cue = _GUIDANCE.search(plain)
        said = _Said(
            _QOQ.search(text) is not None,
            _YOY.search(text) is not None,
            bool(_CONSENSUS.search(text) or (plain is not text and _CONSENSUS.search(plain))),
            cue.start() if cue else len(text),
        )
        figures: list[Figure] = []
        previous: tuple[int, str] | None = None  # end and metric of the last figure
        for mention, high in mentions:
            start, end = mention.start, (high or mention).end
            unit = mention.unit or (high.unit if high else None)
            clause = _clause_start(bounds, start)
            metric = _metric(text, (clause, start, end), found, previous, unit is Unit.PERCENT)
            # what stands between the previous figure (or the clause's start) and this one
            before = text[max(previous[0] if previous else 0, clause) : start]
            if unit in PER_SHARE and _per_share(text, clause, mention, end, metric):
                unit, metric = PER_SHARE[unit], "eps"
            relation = _relation(text, start, end, before, said)
            amount = unit not in (Unit.PERCENT, Unit.PP, Unit.BP, Unit.MULTIPLE)
            if relation is not Relation.LEVEL and amount and _PRIOR.search(before[-14:]):
                relation = Relation.LEVEL  # 较上年同期的1.887亿美元: the comparison amount itself
            value, low, hi = rounded(mention.value), None, None
            if high is not None:
                value, low, hi = None, rounded(mention.value), rounded(high.value)
            negative = (metric == "eps" and _LOSS.search(text, clause, start)) or (
                relation is not Relation.LEVEL
                and unit in (Unit.PERCENT, Unit.PP, Unit.BP)
                and _declines(before)
            )
            if negative:
                value, low, hi = (None if v is None else -abs(v) for v in (value, low, hi))
            own_periods = periods
            base = next(
                (m for m in periods if m.end() < start and text[m.end() : start].strip() == "的"), None
            )
            if base is not None and unit in (Unit.MULTIPLE, Unit.PERCENT):
                # 几乎是2024年第一季度的六倍: that period is what it is compared with
                own_periods = [m for m in periods if m is not base]
                relation = Relation.YOY if relation is Relation.LEVEL else relation
            kind = _kind(plain, clause, start, before, relation, unit, said, high is not None)
            period = self._period(own_periods, bounds, (clause, start), kind, context)
            if kind is Kind.ACTUAL and _earlier(period, self.year, self.quarter):
                kind = Kind.PRIOR  # 而2024年第一季度净亏损为1.29亿美元
            figures.append(
                Figure(
                    metric=metric,
                    value=value,
                    low=low,
                    high=hi,
                    unit=unit,
                    kind=kind,
                    relation=relation,
                    period=period,
                    qualifier=mention.qualifier,
                    text=text[start:end],
                    line=0,
                    start=start,
                    end=end,
                    turn=None,
                    sentence=None,
                )
            )
            previous = (end, metric)
        return figures, periods

    def period_of(self, text: str) -> str | None:
        """The last period a sentence names for itself (not a comparison's), resolved."""
        return self._last(named_periods(text))

    def _last(self, periods: list[re.Match[str]]) -> str | None:
        named = [m for m in periods if not m.group("prior")]
        return resolve(named[-1], self.year, self.quarter) if named else None

    def _period(
        self,
        periods: list[re.Match[str]],
        bounds: list[int],
        span: tuple[int, int],
        kind: Kind,
        context: Callable[[], str | None],
    ) -> str | None:
        """The period of the figure at `span` (its clause's start, its start)."""
        clause, start = span
        chosen = None
        if periods:
            if kind is Kind.PRIOR:
                prior = [m for m in periods if m.group("prior") and m.end() <= start]
                if prior:
                    return resolve(prior[-1], self.year, self.quarter)
            own = [m for m in periods if not m.group("prior")]
            # the nearest period in the figure's clause, else the period the sentence opens
            # with, else one named after it in the clause, else the context's
            chosen = next((m for m in reversed(own) if clause <= m.start() and m.end() <= start), None)
            if chosen is None:
                chosen = next((m for m in own if m.end() <= start), None)
            if chosen is None:
                chosen = next(
                    (m for m in own if m.start() >= start and _clause_start(bounds, m.start()) == clause),
                    None,
                )
        if chosen is not None:
            return resolve(chosen, self.year, self.quarter)
        if kind is Kind.PRIOR and self.year and self.quarter:
            return f"{self.year - 1}Q{self.quarter}"
        if (named := context()) is not None:
            return named
        if kind is not Kind.GUIDANCE and self.year and self.quarter:
            return f"{self.year}Q{self.quarter}"
        return None


def _clause_start(bounds: list[int], at: int) -> int:
    """Where the clause holding offset `at` starts, given where each clause starts."""
    return bounds[bisect.bisect_right(bounds, at) - 1]


@lru_cache(maxsize=256)
def _earlier(period: str | None, year: int | None, quarter: int | None) -> bool:
    """Whether `period` ends before the call's own quarter (a comparison, not news)."""
    if not period or not year:
        return False
    m = re.fullmatch(r"(?:FY)?(\d{4})(?:Q(\d))?", period)
    if not m:
        return False
    y, q = int(m.group(1)), m.group(2)
    if q is None:
        return y < year
    return (y, int(q)) < (year, quarter or 1)


# Every figure holds a digit, 百分之, 一半, 半数, a Chinese numeral right before a unit
# word, a vague word before a scale (数十亿, 上百万) or an English scale word (tens of
# millions, several thousand): sentences with none (most of them) are skipped with one
# cheap search. The first character is taken from one set and then checked by lookbehind
# (as `units.keywords` does), so the engine scans for candidates instead of trying a match
# everywhere (the tails of the English scale words join the set by their first letters).
_MAYBE = re.compile(
    rf"[\d百一半零〇二两三四五六七八九十千万亿多{''.join(t[0] for t in _EN_SCALE_TAILS)}]"
    r"(?:(?<=\d)|(?<=百)分之|(?<=一)半|(?<=半)数|(?<=[零〇一二两三四五六七八九十百千万亿多])[倍个百基元美港欧英日兆吉]"
    rf"|(?<=[十百千万亿])[零〇一二两三四五六七八九]*(?:{_COUNT_WORDS})"
    rf"|(?<={_ZH_VAGUE}[十百千万亿])|{'|'.join(f'(?<={t[0]}){t[1:]}' for t in _EN_SCALE_TAILS)})"
)


def _mentions(text: str) -> list[_Mention]:
    """The amounts a sentence mentions, in order.

    A vague amount (`数十亿美元`, `几千万`, `上百万`, `several billion`, `tens of millions`:
    the words of models/vague.tsv) names an order of magnitude, not a number: some number
    of the unit it counts, U (十亿 in 数十亿, ten million in tens of millions), at least one
    and fewer than ten (ten would be the next unit, 数百亿 after 数十亿). In both languages
    it is the range U to 10U with qualifier approx (or the one a word before it gives:
    超过数十亿), never an exact figure: 数十亿美元 is 1e9 to 1e10 USD. It needs a unit, or
    U of a thousand or more, to be a figure, as an amount in digits needs a unit or a scale
    word (数十年 and hundreds of customers are not).
    """
    out = []
    for m in _MENTION.finditer(text):
        start, end = m.span()
        # one tuple of every group, in the order of the pattern (a test checks it): a dozen
        # m.group(name) calls cost more than the match itself
        pct, pct_num, half, cur, paren, sign, num, vague, more, zunit, zmeasure, count, escale, emeasure = (
            m.groups()
        )
        if pct:
            value = parse_number(pct_num)
            out.append(_Mention(start, end, value, Unit.PERCENT, _qualifier(text, start, end), 1))
            continue
        if half:
            out.append(_Mention(start, end, 0.5, Unit.MULTIPLE, _qualifier(text, start, end), 1))
            continue
        if zunit:
            unit = CURRENCY_SUFFIX[zunit]
        elif zmeasure:
            unit = MEASURE_ZH[zmeasure]
        elif count:
            unit = Unit.COUNT
        elif emeasure:
            unit = _en_measure(emeasure)
        else:
            unit = CURRENCY_PREFIX[cur] if cur else None
        if vague:
            word = vague.rstrip("十百千万亿")
            _add_vague(out, text, (start, end), unit, _VAGUE["zh"][word] * scale_of(vague[len(word) :]))
            continue
        raw = paren or num
        scale = SCALE_EN[escale.strip().lower()] if escale else _tail_scale(raw)
        if unit is None and scale == 1 and (not raw[0].isdigit() or _RANGE_LINK.match(text, end) is None):
            continue  # 一季度, 2025: words and bare numbers, unless the low end of a range (27-28%)
        value = parse_number(raw)
        if value is None:
            continue
        if unit is Unit.COUNT and value < 10 and not raw[0].isdigit():
            continue  # 一家, 两位, 三个方面: words, not counts worth a figure
        if escale:
            value *= scale
        if paren or sign:
            value = -value
        qualifier = Qualifier.MORE_THAN if more or "多" in raw else _qualifier(text, start, end)
        mention = _Mention(start, end, value, unit, qualifier, scale)
        if sign and out and out[-1].high is None and _RANGE_LINK.fullmatch(text, out[-1].end, start + 1):
            # A hyphen right after an amount links a range (15%-25%, 200 -230亿美元). Only
            # spaced from an amount it cannot end a range with is it a sign (2025 -3%).
            high = mention._replace(start=start + 1, value=-value)
            if out[-1].end == start or _compatible(text, out[-1], high):
                mention = high
        out.append(mention)
    if any(tail in text for tail in _EN_SCALE_TAILS):
        found = len(out)
        for m in _VAGUE_EN.finditer(text):
            word, scale = m.group("word", "scale")
            counted = (_VAGUE["en"][word.lower()] if word else 1) * SCALE_EN[scale.lower()]
            _add_vague(out, text, m.span(), None, counted)
        if len(out) > found:
            out.sort(key=lambda m: m.start)
    return out


def _add_vague(
    out: list[_Mention], text: str, span: tuple[int, int], unit: Unit | None, counted: float
) -> None:
    """Add the vague amount at `span` that counts units of `counted` (see `_mentions`)."""
    if unit is None and counted < _LEAST_SCALE:
        return
    qualifier = _qualifier(text, *span) or Qualifier.APPROX
    out.append(_Mention(*span, counted, unit, qualifier, counted, counted * 10))


def _en_measure(word: str) -> Unit:
    folded = " ".join(word.split())
    for key, unit in MEASURE_EN.items():
        if key.lower() == folded.lower():
            return unit
    return Unit.PERCENT


def _tail_scale(raw: str) -> float:
    """The factor of the scale word an amount ends in: 亿 1e8, 万亿 1e12, 3000 1."""
    head = raw.rstrip("十百千万亿")
    if head == raw or not head or not head[-1].isdigit():
        return 1.0
    return scale_of(raw[len(head) :])


def _qualifier(text: str, start: int, end: int) -> Qualifier | None:
    m = _QUALIFIER_BEFORE.search(text, max(0, start - 14), start)
    if m:
        return _QUALIFIER_OF[m.group().rstrip().lower()]
    m = _QUALIFIER_AFTER.match(text[end : end + 4])
    return Qualifier(m.lastgroup) if m else None


def _join_ranges(text: str, mentions: list[_Mention]) -> list[tuple[_Mention, _Mention | None]]:
    out: list[tuple[_Mention, _Mention | None]] = []
    i = 0
    while i < len(mentions):
        a = mentions[i]
        if a.high is not None:  # a vague amount is a range of its own
            out.append((a, a._replace(value=a.high)))
            i += 1
            continue
        b = mentions[i + 1] if i + 1 < len(mentions) else None
        if (
            b is not None
            and b.high is None
            and _RANGE_LINK.fullmatch(text, a.end, b.start)
            and _compatible(text, a, b)
        ):
            out.append((_Mention(a.start, a.end, _low(a, b), a.unit or b.unit, a.qualifier, b.scale), b))
            i += 2
            continue
        out.append((a, None))
        i += 1
    return out


def _compatible(text: str, a: _Mention, b: _Mention) -> bool:
    link = text[a.end : b.start].strip().lower()
    if link == "and" and not _BETWEEN.search(text[max(0, a.start - 9) : a.start]):
        return False
    if a.unit is None and b.unit is None:
        return False  # 2012-13, 2024-2025: years, not a range
    if a.unit is not None and b.unit is not None and a.unit != b.unit:
        return False
    low = _low(a, b)
    return low is not None and b.value is not None and low <= b.value * 1.0001


def _low(a: _Mention, b: _Mention) -> float | None:
    """The value of a range's low end `a` as the range reads it: without a scale of its own
    it takes the high end's ("$140-170 million", "1.4至1.7亿美元")."""
    return a.value * b.scale if a.scale == 1 and a.value is not None else a.value


def _metric(
    text: str,
    span: tuple[int, int, int],
    found: list[tuple[int, int, str]],
    previous: tuple[int, str] | None,
    share: bool,
) -> str:
    """The metric of the amount at `span` (clause start, start, end); `share`: the amount is
    a percent."""
    clause, start, end = span
    # 1. an alias right after the amount: 9.82亿美元收入, $163 million of adjusted operating income;
    # not after a share (`42.0% of revenue` is a cost's share of revenue, not revenue)
    for s, _, metric in found:
        if s > end + _METRIC_GAP:
            break  # found is in text order
        if s >= end and _METRIC_AFTER.fullmatch(text, end, s) and not (share and _OF.match(text, end)):
            return metric
    # 2. the nearest alias before it in its clause, unless another figure stands between; a
    # share's base is not it (营业成本占收入的42%)
    floor = max(clause, previous[0] if previous else 0)
    before = [
        metric
        for s, e, metric in found
        if s >= floor and e <= start and not (share and text[s - 1 : s] == "占")
    ]
    if before:
        return before[-1]
    # 3. the metric of the figure before it in the sentence: 较上年同期的1.887亿美元同比增长420%
    if previous is not None:
        return previous[1]
    # 4. the sentence's subject, its first alias: 我们的收入积压包括……确认为收入的其他金额,本季度为259亿美元
    before = [metric for s, e, metric in found if e <= start]
    if before:
        return before[0]
    return "other"


def _per_share(text: str, clause: int, mention: _Mention, end: int, metric: str) -> bool:
    """Whether a money amount is per share: one never has a scale (`$1.8 billion` is not),
    and says so right after it, or by its metric or its clause."""
    if mention.scale != 1:
        return False
    return bool(_PER_SHARE_AFTER.match(text, end) or metric == "eps" or _PER_SHARE.search(text, clause, end))


def _relation(text: str, start: int, end: int, before: str, said: _Said) -> Relation:
    if said.qoq or said.yoy:
        after = _CLAUSE.split(text[end : end + 40], maxsplit=1)[0]
        if said.qoq and (_QOQ.search(before) or _QOQ.match(after.strip()) or _QOQ.search(after[:25])):
            return Relation.QOQ
        if said.yoy and (_YOY.search(before) or _YOY.search(after[:25])):
            return Relation.YOY
    if _CHANGE.search(before[-_CUE_REACH:]):
        return Relation.CHANGE
    return Relation.LEVEL


def _declines(before: str) -> bool:
    return bool(_DECLINE.search(before[-_CUE_REACH:]))


def _kind(
    text: str, clause: int, start: int, before: str, relation: Relation, unit: Unit | None, said: _Said,
    ranged: bool,
) -> Kind:  # fmt: skip
    if said.consensus and (_CONSENSUS.search(before) or _CONSENSUS.search(text, clause, start)):
        return Kind.CONSENSUS
    rate = unit in (Unit.PERCENT, Unit.PP, Unit.BP, Unit.MULTIPLE) and relation is not Relation.LEVEL
    if (_PRIOR.search(before[-30:]) or (not ranged and _FROM.search(before[-18:]))) and not rate:
        # a growth rate against last year (较去年同期增长400%) is this period's own figure
        return Kind.PRIOR
    if said.guided >= start or (
        _REPORTED.search(text, clause, start) and not _GUIDANCE.search(text, clause, start)
    ):
        return Kind.ACTUAL
    # outlook language before it governs the sentence's parts after it (`guidance is as
    # follows; net sales of ...; EPS of ...`), unless the amount's own part (after the last
    # ";") reports: `we expect growth of 5%; revenue was $5 million`
    part = text.rfind(";", 0, start) + 1
    if _GUIDANCE.search(text, part, start):
        return Kind.GUIDANCE
    return Kind.ACTUAL if _REPORTS.search(text, part, start) else Kind.GUIDANCE


def format_amount(figure: Figure) -> str:
    """A figure's amount for people: scaled, with its range and qualifier.

    Example:
        >>> from callnlp import analyze
        >>> [format_amount(f) for f in analyze("预计收入约10.6亿美元至11亿美元。".encode()).figures]
        ['approx 1.06B to 1.1B']
    """
    if figure.value is not None:
        amount = _scaled(figure.value)
    else:
        amount = f"{_scaled(figure.low)} to {_scaled(figure.high)}"
    return f"{figure.qualifier.value.replace('_', ' ')} {amount}" if figure.qualifier else amount


def _scaled(value: float | None) -> str:
    if value is None:
        return "?"
    for factor, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= factor:
            return f"{value / factor:,.4g}{suffix}"
    return f"{value:,.4g}"
