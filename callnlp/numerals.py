"""Numbers as written in calls: Arabic, Chinese numerals, and their mixtures with scales.

A reader of its own rather than cn2an: the grammar the figure patterns let through is
small and closed (digits, 零〇一二两三四五六七八九, 十百千, 万亿, 点), and importing
cn2an cost every analyzing process a fifth of a second, an eighth of a whole
`callnlp analyze` of 2 MB.
"""

from __future__ import annotations

import re
from functools import lru_cache

SCALES = {"十": 10, "百": 100, "千": 1000, "万": 1e4, "亿": 1e8}
_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_TOKEN = re.compile(r"\d+(?:\.\d+)?|.")
_BIG = re.compile("([万亿])")


def scale_of(chars: str) -> float:
    """The product of scale characters: `万亿` is 1e12, `` is 1."""
    scale = 1.0
    for ch in chars:
        scale *= SCALES[ch]
    return scale


def rounded(value: float | None) -> float | None:
    """4.1 * 1e9 is 4099999999.9999995 in binary floating point: keep 12 significant digits."""
    return None if value is None else float(f"{value:.12g}")


@lru_cache(maxsize=4096)
def parse_number(raw: str) -> float | None:
    """The value of an amount as written: `1,100.9亿`, `十亿3000万`, `三万五`, `13万2`,
    `一千多万` (the lower bound), `三点五亿`, `百万`, `二〇二五`. None when it is not a number.

    Example:
        >>> [parse_number(s) for s in ("1,100.9亿", "十亿3000万", "三万五", "13万2", "一千多万", "三点五亿")]
        [110090000000.0, 1030000000.0, 35000.0, 132000.0, 10000000.0, 350000000.0]
        >>> parse_number("百万"), parse_number("三四百"), parse_number("三四")
        (1000000.0, None, None)
    """
    text = raw.replace(",", "").replace("多", "")
    try:
        return float(text)
    except ValueError:
        return rounded(_read(text)) if text else None


def _read(text: str) -> float | None:
    # Left to right over 万 and 亿: 万 multiplies all since the last 亿 (三万五千万 is
    # 3.5e8), 亿 likewise (1万亿2000亿 is 1.2e12); either alone scales all before (亿亿).
    parts = _BIG.split(text)
    total = section = 0.0
    for i in range(0, len(parts) - 1, 2):
        segment, big = parts[i].lstrip("零〇") if i else parts[i], SCALES[parts[i + 1]]
        value = _section(segment) if segment else float(not (i or total or section))
        if value is None:
            return None
        if not (section or value):
            total *= big  # 亿亿, 一亿万: the scale of all that came before
        elif big == SCALES["万"]:
            section = (section + value) * big
        else:
            total, section = total + (section + value) * big, 0.0
    rest = parts[-1]
    if len(parts) > 1 and len(rest) == 1 and _single(rest):
        return total + section + _digit(rest) * SCALES[parts[-2]] / 10  # 三万五 says 5 thousand
    value = _section(rest.lstrip("零〇") if len(parts) > 1 else rest) if rest else 0.0
    return None if value is None else total + section + value


def _section(text: str) -> float | None:
    """A number below 万: 两千零二十五, 三百五 (350), 3千, 十二点五, 二〇二五, 0.5."""
    whole, dot, fraction = text.partition("点")
    value = _units(whole) if whole else None
    if not dot or value is None:
        return value
    if not fraction or not all(_single(c) for c in fraction):
        return None
    return value + float("0." + "".join(str(_digit(c)) for c in fraction))


def _units(text: str) -> float | None:
    total = 0.0
    pending: float | None = None  # a number not yet multiplied by a unit
    unit = 0  # the last unit read; 0 before any
    zero = False  # a 零 since that unit: 三百零五 is 305, 三百五 is 350
    positional = ""  # 二〇二五: single digits without units, read as written
    for token in _TOKEN.findall(text):
        if token in SCALES:
            if len(positional) > 1 or (unit and SCALES[token] >= unit):
                return None  # 三四百 is a range; 三百千 is no numeral
            total += (pending if pending is not None else 1) * SCALES[token]
            unit, pending, zero = SCALES[token], None, False
        elif _single(token) and unit and _digit(token) == 0:
            zero = True
        elif _single(token) or token[0].isdigit():
            if pending is not None and (unit or not positional or not _single(token)):
                return None  # two numbers side by side: 二十三四, 13五
            if _single(token) and not unit:
                positional += str(_digit(token))
            pending = float(token) if token[0].isdigit() else float(_DIGITS[token])
        else:
            return None
    if len(positional) > 1:
        # 二〇二五 and 三〇〇 are read digit by digit; two digits side by side (三四个百分点,
        # 七八成) say a range, which is no one number
        return float(positional) if len(positional) > 2 else None
    if pending is None:
        return total
    return total + (pending * unit / 10 if unit >= 100 and not zero else pending)


def _single(token: str) -> bool:
    return token in _DIGITS or (len(token) == 1 and token.isdigit())


def _digit(token: str) -> int:
    return _DIGITS[token] if token in _DIGITS else int(token)
