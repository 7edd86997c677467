"""Company, ticker, call date and period, read only from what is evidence of them.

Transcripts announce themselves in their first lines (`Helios Grid Systems (HGRD) Q2 2025
Earnings Call`, `景泓新能源（JHNE）2025年第二季度业绩说明会`, `April 23, 2026`) or in the
operator's welcome; data sets name their files after the call (`20151029_ALXN.txt`,
`ABM_q1_2021.txt`); a Chinese news write-up around a call repeats the company's Latin name
(CoreWeave). A sentence of the call is no evidence: `the contract now expires on June 30,
2025` is no call date, and a capitalized word English sentences repeat (`Slide`,
`Adjusted`) is no company. What nothing says stays None; users override it (`--company`,
`--date`, a sidecar FILE.json).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from callnlp.errors import InputError, OptionError
from callnlp.resources import lines

SIDECAR_KEYS = ("company", "ticker", "date", "period")
"""What a sidecar FILE.json next to a transcript may set."""

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
# a head line that is a title or a dateline, not a sentence of the call
_SENTENCE_END = re.compile(r"[.!?。!?]\s*$")
_TITLE_LINE_MAX = 100
# file names data sets give calls: 20151029_ALXN, ABM_q1_2021
_FILE_DATE_TICKER = re.compile(r"(?P<date>20\d{6})_(?P<ticker>[A-Z][A-Z0-9.]{0,7})")
_FILE_TICKER_PERIOD = re.compile(r"(?P<ticker>[A-Z][A-Z0-9.]{0,7})_[qQ](?P<quarter>[1-4])_(?P<year>20\d\d)")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_MIN_MENTIONS = 3
_CAMEL = re.compile("[a-z][A-Z]")
_PERIOD = re.compile(r"\d{4}Q[1-4]")


@dataclass(frozen=True)
class Metadata:
    """What a transcript says about itself; None where it does not say."""

    company: str | None = None
    ticker: str | None = None
    date: str | None = None  # ISO, e.g. 2025-08-07
    period: str | None = None  # from a file name (`ABM_q1_2021`: 2021Q1); else the text's


def infer_metadata(text: str, speakers: frozenset[str] = frozenset(), name: str | None = None) -> Metadata:
    """Company, ticker, date and period of a call from its normalized text and file name.

    Args:
        text: the normalized text of the transcript.
        speakers: names of people speaking, which are never the company.
        name: the transcript's file name, when it has one.

    Example:
        >>> infer_metadata("Helios Grid Systems (HGRD) Q2 2025 Earnings Call\\nAugust 7, 2025\\n")
        Metadata(company='Helios Grid Systems', ticker='HGRD', date='2025-08-07', period=None)
        >>> infer_metadata("We grew. Slide 4 shows it. Slide 5 too. Slide 6.", name="calls/20151029_ALXN.txt")
        Metadata(company=None, ticker='ALXN', date='2015-10-29', period=None)
    """
    first = text.splitlines()[:_HEAD_LINES]
    head = "\n".join(first)
    # a date only from a title or a dateline: in a sentence it is what the sentence is about
    datelines = "\n".join(x for x in first if len(x) <= _TITLE_LINE_MAX and not _SENTENCE_END.search(x))
    company = ticker = None
    title = _TITLE.search(head)
    if title:
        company, ticker = title["company"].strip(" ,:：-"), title["ticker"]
    else:
        welcome = _WELCOME.search(text[:5000])
        if welcome:
            company = welcome["company"]
        elif _HAN.search(text[:2000]):
            # in Chinese text a repeated Latin name is a name; in English, any capitalized word
            company = _most_named(text, speakers)
    day, period = _first_date(datelines), None
    stem = Path(name).stem if name else ""
    if m := _FILE_DATE_TICKER.fullmatch(stem):
        ticker = ticker or m["ticker"]
        day = day or f"{m['date'][:4]}-{m['date'][4:6]}-{m['date'][6:]}"
    elif m := _FILE_TICKER_PERIOD.fullmatch(stem):
        ticker, period = ticker or m["ticker"], f"{m['year']}Q{m['quarter']}"
    return Metadata(company, ticker, day, period)


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


def sidecar(path: Path) -> dict[str, str]:
    """The metadata of a sidecar FILE.json (call.json or call.txt.json) next to `path`:
    what it says of the call wins over what the text says.

    Raises:
        InputError: the sidecar is not a JSON object of known keys, or a date or period in
            it is not one.
    """
    for candidate in (path.with_suffix(".json"), path.with_name(path.name + ".json")):
        if candidate.is_file() and candidate != path:
            try:
                data = json.loads(candidate.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise InputError(f"{candidate}: the sidecar is not valid JSON ({exc})") from None
            if not isinstance(data, dict):
                raise InputError(f"{candidate}: a sidecar is a JSON object, not {type(data).__name__}")
            known = {k: str(v) for k, v in data.items() if v is not None}
            try:
                check_metadata(known)
            except OptionError as exc:
                raise InputError(f"{candidate}: {exc}") from None
            return known
    return {}


def check_metadata(metadata: Mapping[str, str]) -> None:
    """Raises OptionError unless `metadata` holds only keys of SIDECAR_KEYS, its date is a
    date and its period a quarter.

    Example:
        >>> check_metadata({"company": "Acme", "period": "Q1 2025"})
        Traceback (most recent call last):
        ...
        callnlp.errors.OptionError: period 'Q1 2025' is not a quarter; give it as YYYYQn, e.g. 2025Q1
    """
    unknown = sorted(set(metadata) - set(SIDECAR_KEYS))
    if unknown:
        raise OptionError(f"unknown metadata {', '.join(unknown)}; the keys are {', '.join(SIDECAR_KEYS)}")
    if metadata.get("date") is not None:
        check_date(metadata["date"])
    if metadata.get("period") is not None and not _PERIOD.fullmatch(metadata["period"]):
        raise OptionError(f"period {metadata['period']!r} is not a quarter; give it as YYYYQn, e.g. 2025Q1")


def check_date(text: str) -> None:
    """Raises OptionError unless `text` is a date as YYYY-MM-DD."""
    try:
        date.fromisoformat(text)
    except ValueError:
        raise OptionError(f"date {text!r} is not a date; give it as YYYY-MM-DD, e.g. 2025-05-14") from None
