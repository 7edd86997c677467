from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callnlp.numerals import parse_number

# (as written, value): Chinese numerals, their mixtures with digits, and colloquial forms.
READINGS = [
    ("1,100.9亿", 1.1009e11), ("十亿3000万", 1.03e9), ("三万五", 35000), ("13万2", 132000),
    ("一千多万", 1e7), ("三点五亿", 3.5e8), ("9.816亿", 9.816e8), ("两千零二十五", 2025),
    ("23,876", 23876), ("四", 4), ("十五", 15), ("三百五", 350), ("三百零五", 305),
    ("一百一", 110), ("一万零五", 10005), ("一亿二", 1.2e8), ("二〇二五", 2025), ("一九九八", 1998), ("三〇〇", 300), ("十点五", 10.5),
    ("百万", 1e6), ("万", 1e4), ("3千", 3000), ("三万五千亿", 3.5e12), ("1万亿2000亿", 1.2e12),
    ("0.5亿", 5e7), ("二十万零三", 200003),
]  # fmt: skip

# Not one number: a range (三四百, 三四, 七八), units out of order, a decimal point with
# nothing after it.
NOT_NUMBERS = [
    "x",
    "三四百",
    "三四",
    "七八",
    "二十三四",
    "三百千",
    "三点",
    "点五",
    "三点五十",
    "13五",
    "二〇二五十",
]


@pytest.mark.parametrize(("raw", "value"), READINGS)
def test_numerals_parse_number_reads_each_form(raw: str, value: float) -> None:
    assert math.isclose(parse_number(raw), value)


@pytest.mark.parametrize("raw", NOT_NUMBERS)
def test_numerals_parse_number_refuses_what_is_not_one_number(raw: str) -> None:
    assert parse_number(raw) is None


@settings(deadline=None)  # the first example imports cn2an
@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_numerals_parse_number_reads_what_cn2an_writes(n: int) -> None:
    # cn2an writes the standard form (二十万零三, 一万二千亿); ours must read each back,
    # exactly up to the 12 significant digits a value keeps.
    cn2an = pytest.importorskip("cn2an")
    assert parse_number(cn2an.an2cn(n)) == n


@pytest.mark.parametrize(("scale", "below"), [("万", 10**4), ("亿", 10**8), ("万亿", 10**8)])
@settings(deadline=None)
@given(data=st.data())
def test_numerals_parse_number_scales_digits_and_numerals_alike(scale: str, below: int, data) -> None:
    # Below the scale only: 一亿零一万 is 100,010,000, not 100,000,001 of 万.
    cn2an = pytest.importorskip("cn2an")
    n = data.draw(st.integers(min_value=1, max_value=below - 1))
    assert parse_number(f"{n}{scale}") == parse_number(f"{cn2an.an2cn(n)}{scale}")


@given(st.text(alphabet="零〇一二两三四五六七八九十百千万亿点多0123456789.,", max_size=12))
def test_numerals_parse_number_reads_or_refuses_any_mixture(raw: str) -> None:
    # whatever the figure patterns let through: a value, or None, never an exception
    value = parse_number(raw)
    assert value is None or (value >= 0 and math.isfinite(value))
