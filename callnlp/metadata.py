"""Company, ticker and call date, read from a transcript's own text.

Transcripts announce themselves in their first lines (`Helios Grid Systems (HGRD) Q2 2025
Earnings Call`, `景泓新能源（JHNE）2025年第二季度业绩说明会`, `April 23, 2026`); news
write-ups around a call only name the company, over and over (CoreWeave). What the text
does not say stays None; users override it (`--company`, `--date`, a sidecar FILE.json).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

from callnlp.resources import lines

_HEAD_LINES = 12
_TITLE = re.compile(
    r"^\s*(?P<company>[^\s(（][^()（）\n]{1,60}?)\s*[(（]\s*"
    r"(?:(?:NASDAQ|NYSE|Nasdaq|NYSE American|HKEX|SEHK|SSE|SZSE|纳斯达克|纽交所|港交所)\s*[:：]\s*)?"
    r"(?P<ticker>[A-Z]{1,5}(?:\.[A-Z]{1,2})?|\d{4,6}(?:\.[A-Z]{2})?)\s*[)）]"
)
_WELCOME = re.compile(
    r"welcome to (?:the )?(?P<company>[A-Z][\w&.\-]*(?: [A-Z][\w&.\-]*){0,4})(?:'s)? "
    r"(?:first|second|third|fourth|Q[1-4]|fiscal|full[- ]year|20\d\d)",
)
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_EN_DATE = re.compile(rf"\b(?P<month>{'|'.join(_MONTHS)}|{'|'.join(m[:3] for m in _MONTHS)})\.? "
                      r"(?P<day>\d{1,2}), (?P<year>20\d\d)(?![A-Za-z0-9])")  # fmt: skip
_ZH_DATE = re.compile(r"(?P<year>20\d\d)\s*年\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日")
# digits and Latin letters bound a date, not Han: 阅读2025-06-03 (\b treats Han as a word)
_ISO_DATE = re.compile(r"(?<![A-Za-z0-9])(?P<year>20\d\d)-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?![A-Za-z0-9])")
_NAME = re.compile(r"(?<![A-Za-z])[A-Z][a-z]+(?:[A-Z][a-z]+)*(?![a-z])")
_PERIOD_END = re.compile(r"(?:ending|ended|截至|截止)\s*$")
_MIN_MENTIONS = 3
_CAMEL = re.compile("[a-z][A-Z]")


@dataclass(frozen=True)
class Metadata:
    """What a transcript says about itself; None where it does not say."""

    company: str | None = None
    ticker: str | None = None
    date: str | None = None  # ISO, e.g. 2025-08-07


def infer_metadata(text: str, speakers: frozenset[str] = frozenset()) -> Metadata:
    """Company, ticker and date of a call from its normalized text.

    Args:
        text: the normalized text of the transcript.
        speakers: names of people speaking, which are never the company.

    Example:
        >>> infer_metadata("Helios Grid Systems (HGRD) Q2 2025 Earnings Call\\nAugust 7, 2025\\n")
        Metadata(company='Helios Grid Systems', ticker='HGRD', date='2025-08-07')
    """
    head = "\n".join(text.splitlines()[:_HEAD_LINES])
    company = ticker = None
    title = _TITLE.search(head)
    if title:
        company, ticker = title["company"].strip(" ,:：-"), title["ticker"]
    else:
        welcome = _WELCOME.search(text[:5000])
        company = welcome["company"] if welcome else _most_named(text, speakers)
    return Metadata(company, ticker, _first_date(head))


def _first_date(head: str) -> str | None:
    found = []
    for pattern in (_EN_DATE, _ZH_DATE, _ISO_DATE):
        # "for the period ending June 30, 2025" is the quarter's end, not the call's date
        m = next((m for m in pattern.finditer(head) if not _PERIOD_END.search(head[: m.start()])), None)
        if m:
            month = m["month"]
            number = int(month) if month.isdigit() else 1 + [x[:3] for x in _MONTHS].index(month[:3])
            try:
                found.append((m.start(), date(int(m["year"]), number, int(m["day"])).isoformat()))
            except ValueError:
                continue
    return min(found)[1] if found else None


def _most_named(text: str, speakers: frozenset[str]) -> str | None:
    """The Latin name a Chinese write-up repeats most (CoreWeave), if it repeats one."""
    skip = _not_companies() | {w for s in speakers for w in s.split()}
    counts = Counter(w for w in _NAME.findall(text) if len(w) > 3 and w not in skip)
    if not counts:
        return None
    # a made-up capitalisation (CoreWeave) is a brand far more often than a person is
    name, n = max(counts.items(), key=lambda item: item[1] * (2 if _CAMEL.search(item[0]) else 1))
    return name if n >= _MIN_MENTIONS else None


def _not_companies() -> frozenset[str]:
    """Capitalized words that are never the company: sentence openers, months, firms."""
    words = {w for w in _MONTHS} | {row[0].split()[0] for row in lines("firms.tsv") if row[0][:1].isascii()}
    words |= {row[0] for row in lines("abbreviations.tsv")}
    return frozenset(words) | _COMMON


_COMMON = frozenset(
    """
    The This That These Those There Thank Thanks Good Operator Question Answer Yes And But
    With From For Our Your They What When Where Which While Will Would Could Should Also
    Revenue Please Next Inc Corp Company Group Holdings Limited Chief Officer Financial
    Executive President Analyst Prepared Remarks Questions Answers Participants Conference
    Call Earnings Transcript Quarter Year Fiscal Guidance
    """.split()  # noqa: SIM905 (a word list reads best as text)
)
