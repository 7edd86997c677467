"""Fiscal periods: the call's own period, and period expressions resolved against it.

`第一季度`, `一季度`, `Q1`, `first quarter`, `1Q25`, `全年`, `2025财年`, `FY25`, `full year`
become absolute periods such as `2025Q1` and `FY2025`.
"""

from __future__ import annotations

import re
from collections import Counter

from callnlp.units import keywords

_ZH_QUARTER = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_EN_QUARTER = {"first": 1, "second": 2, "third": 3, "fourth": 4}

# The first lookahead lists every character a period can start with, the second every
# start of one (20xx年, Q1, 全年, last year...): the engine skips the rest of the text
# before it tries the branches one by one (eight and then 1.7 times faster on the seeds).
PERIOD = re.compile(
    r"(?=[0-9一二三四第全本今上去QqFfSsTtLlAaPpYy])"
    r"(?=20\d\d(?:\s?Q|年|财年)|[1-4](?:Q\d\d|季)|[一二三四]季|第[一二三四1-4]季|全年|本年度|今年|上年|去年"
    r"|Q[1-4]|FY|first quarter|second quarter|third quarter|fourth quarter|full|fiscal|this year"
    r"|the year|a year ago|last year|prior year|year-ago)"
    r"(?:(?P<zhq>(?:(?P<zhqy>20\d\d)年)?(?:第)?(?P<zhqn>[一二三四1-4])季度)"
    r"|(?P<enq>(?:(?P<enqy1>20\d\d)\s?)?Q(?P<enqn>[1-4])(?:\s?(?:FY)?'?(?P<enqy>(?:20)?\d\d)(?![A-Za-z0-9]))?)"
    r"|(?P<enqq>[1-4])Q(?P<enqqy>\d\d)(?![A-Za-z0-9])"
    r"|(?P<enword>(?P<enwn>first|second|third|fourth) quarter(?: of (?:fiscal )?(?:year )?(?P<enwy>20\d\d))?)"
    r"|(?P<fy>FY\s?'?(?P<fyy>(?:20)?\d\d)(?![A-Za-z0-9])|fiscal (?:year )?(?P<fyy2>20\d\d)"
    r"|(?P<fyzh>20\d\d)财年|(?P<yzh>20\d\d)年(?:全年|度))"
    r"|(?P<ybare>(?P<ybarey>20\d\d)年)"
    r"|(?P<full>全年|全年度|本年度|今年|full[- ]year|full fiscal year|this year|the year)"
    r"|(?P<prior>上年同期|去年同期|上年|去年|a year ago|last year|prior year|year-ago))",
    re.IGNORECASE,
)


# Every period expression holds one of these words (not 年 alone: 2025年 is no period), and
# most sentences none: this search is several times cheaper than PERIOD's, which tries its
# branches at every 一, 上 or t.
_ANCHOR = re.compile(keywords("季|年度|全年|财年|今年|上年|去年|q|year|fy|fiscal"))


def periods(text: str) -> list[re.Match[str]]:
    """The `PERIOD` matches of `text`, bare years (`2028年`) left out.

    Example:
        >>> [m.group() for m in periods("2025年第一季度收入,全年指引;2028年到期")]
        ['2025年第一季度', '全年']
    """
    if not _ANCHOR.search(text):
        return []
    return [m for m in PERIOD.finditer(text) if not m.group("ybare")]


def _year(text: str | None) -> int | None:
    if not text:
        return None
    year = int(text)
    return year + 2000 if year < 100 else year


_DATE = re.compile(
    r"(?P<y1>20\d\d)年(?P<m1>\d{1,2})月\d{1,2}日"
    r"|(?:January|February|March|April|May|June|July|August|September|October|November|December)"
    r"\s\d{1,2},?\s(?P<y2>20\d\d)"
)
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]  # fmt: skip


def call_period(text: str) -> tuple[int | None, int | None]:
    """The call's own (year, quarter), read from the text.

    The quarter is the one named most often. The year is, in order: the year written
    next to a quarter in the title lines (`Q1 2025`, `2025年第一季度`); the year of a date
    in the title lines (the year before, for a fourth quarter reported in January-March);
    else the latest of the years written next to a quarter and the year after it when
    that is mentioned at least twice (translated calls write the comparison quarter with
    its year, `2024年第一季度净亏损`, and their own quarter without one); else the year
    mentioned most.

    Example:
        >>> call_period("CoreWeave 2025年第一季度营收增长。第一季度净亏损扩大。")
        (2025, 1)
    """
    head = "\n".join(text.split("\n", 15)[:15])
    quarters: Counter[int] = Counter()
    near_quarter: set[int] = set()
    years: Counter[int] = Counter()
    for m in PERIOD.finditer(text):
        quarter, year = _quarter_of(m)
        if quarter:
            quarters[quarter] += 1
            if year:
                near_quarter.add(year)
        else:
            plain = _year(
                m.group("fyy") or m.group("fyy2") or m.group("fyzh") or m.group("yzh") or m.group("ybarey")
            )
            if plain:
                years[plain] += 1
    quarter = quarters.most_common(1)[0][0] if quarters else None
    for m in PERIOD.finditer(head):
        q, y = _quarter_of(m)
        if q and y:
            return y, q
    date = _DATE.search(head)
    if date:
        year = int(date.group("y1") or date.group("y2"))
        month = int(date.group("m1")) if date.group("m1") else _MONTHS.index(date.group().split()[0]) + 1
        return (year - 1 if quarter == 4 and month <= 3 else year), quarter
    if near_quarter:
        # Outlook years (2027, 2030) may be mentioned as often; only the next year counts.
        latest = max(near_quarter)
        return max(near_quarter | {y for y, n in years.items() if n >= 2 and y <= latest + 1}), quarter
    return (max(years, key=lambda y: (years[y], y)) if years else None), quarter


def _quarter_of(m: re.Match[str]) -> tuple[int | None, int | None]:
    if m.group("zhq"):
        return _ZH_QUARTER[m.group("zhqn")], _year(m.group("zhqy"))
    if m.group("enq"):
        return int(m.group("enqn")), _year(m.group("enqy") or m.group("enqy1"))
    if m.group("enqq"):
        return int(m.group("enqq")), _year(m.group("enqqy"))
    if m.group("enword"):
        return _EN_QUARTER[m.group("enwn").lower()], _year(m.group("enwy"))
    return None, None


def resolve(m: re.Match[str], year: int | None, quarter: int | None) -> str | None:
    """The absolute period of one `PERIOD` match, given the call's (year, quarter); None
    for a bare year (`2028年前到期`), which dates things but is no reporting period."""
    q, y = _quarter_of(m)
    if q:
        y = y or year
        return f"{y}Q{q}" if y else f"Q{q}"
    if m.group("fy"):
        y = _year(m.group("fyy") or m.group("fyy2") or m.group("fyzh") or m.group("yzh"))
        return f"FY{y}"
    if m.group("full"):
        return f"FY{year}" if year else None
    if m.group("prior") and year:
        return f"{year - 1}Q{quarter}" if quarter else f"FY{year - 1}"
    return None
