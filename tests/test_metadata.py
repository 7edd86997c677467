from __future__ import annotations

import pytest

from callnlp import analyze
from callnlp.errors import InputError, OptionError
from callnlp.metadata import Metadata, infer_metadata

# Chinese and English side by side: (text, company, ticker, date).
CASES = [
    ("景泓新能源（JHNE）2025年第二季度业绩说明会纪要\n2025年8月12日\n", "景泓新能源", "JHNE", "2025-08-12"),
    ("Helios Grid Systems (HGRD) Q2 2025 Earnings Call\nAugust 7, 2025\n", "Helios Grid Systems", "HGRD", "2025-08-07"),
    ("天澜科技（NASDAQ：TLAN）2025年第三季度财报电话会\n", "天澜科技", "TLAN", None),
    ("Quanta Ridge Software, Inc. (NYSE: QRSW) Q3 2025 Earnings Call\nOct. 29, 2025\n",
     "Quanta Ridge Software, Inc.", "QRSW", "2025-10-29"),
    ("腾飞控股（0700.HK）业绩会\n2025-03-05 16:34\n", "腾飞控股", "0700.HK", "2025-03-05"),
    ("Operator: Good morning, and welcome to the Northwind Logistics first quarter 2026 earnings call.\n",
     "Northwind Logistics", None, None),
    # the quarter's end is not the call's date
    ("Helios (HGRD) Q2 2025\nHGRD earnings call for the period ending June 30, 2025.\nAugust 7, 2025\n",
     "Helios", "HGRD", "2025-08-07"),
    # a news write-up only repeats the name; people are not companies
    ("CoreWeave一季度营收大增。CoreWeave表示需求强劲。Mike Intrator说,CoreWeave将扩张。Mike Intrator:谢谢。\n",
     "CoreWeave", None, None),
    ("这是一段没有公司名称的文字。\n", None, None, None),
]  # fmt: skip


@pytest.mark.parametrize(("text", "company", "ticker", "date"), CASES)
def test_metadata_reads_company_ticker_date(text: str, company, ticker, date) -> None:
    assert infer_metadata(text, frozenset({"Mike Intrator"})) == Metadata(company, ticker, date)


def test_metadata_seeds_name_coreweave(seeds) -> None:
    for path in seeds:
        assert analyze(path).call.company == "CoreWeave", path.name


def test_metadata_fills_the_record() -> None:
    call = analyze(b"Helios Grid Systems (HGRD) Q2 2025 Earnings Call\nAugust 7, 2025\n").call
    assert (call.company, call.ticker, call.date, call.period) == (
        "Helios Grid Systems",
        "HGRD",
        "2025-08-07",
        "2025Q2",
    )


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        # file names data sets give calls are evidence; sentences are not
        ("We grew. Slide 4 shows it. Slide 5 too. Slide 6 as well.", "calls/20151029_ALXN.txt",
         Metadata(None, "ALXN", "2015-10-29", None)),
        ("Total revenue was up.\nThe contract now expires on June 30, 2025.\n", "ABM_q1_2021.txt",
         Metadata(None, "ABM", None, "2021Q1")),
        ("营收增长。\n合同将于2025年6月30日到期。\n", "20150226_ADSK.txt", Metadata(None, "ADSK", "2015-02-26", None)),
        # a title wins over the file name
        ("Helios Grid Systems (HGRD) Q2 2025 Earnings Call\nAugust 7, 2025\n", "20151029_ALXN.txt",
         Metadata("Helios Grid Systems", "HGRD", "2025-08-07", None)),
        ("Adjusted EBITDA rose. Adjusted margins grew. Adjusted EPS too. Additionally, we paid.", None,
         Metadata(None, None, None, None)),
    ],
)  # fmt: skip
def test_metadata_is_read_only_from_evidence(text: str, name: str | None, expected: Metadata) -> None:
    assert infer_metadata(text, name=name) == expected


def test_metadata_period_of_the_file_name_fills_the_record(tmp_path) -> None:
    path = tmp_path / "ABM_q1_2021.txt"
    path.write_text("Revenue was $1.5 billion in the quarter.\n", encoding="utf-8")
    call = analyze(path).call
    assert (call.ticker, call.period, call.company, call.date) == ("ABM", "2021Q1", None, None)


# A sidecar FILE.json next to a transcript wins over its text, Chinese and English side by
# side: (text, sidecar, expected company, ticker, date, period, the figure's period).
SIDECARS = [
    ("景泓新能源（JHNE）业绩说明会\n本季度营收为12亿元。\n", '{"ticker": "JHNE.SZ", "period": "2025Q2"}',
     ("景泓新能源", "JHNE.SZ", None, "2025Q2"), "2025Q2"),
    ("Helios Grid Systems (HGRD) Earnings Call\nRevenue this quarter was $10 million.\n",
     '{"company": "Helios Grid", "date": "2024-11-05", "period": "2024Q3"}',
     ("Helios Grid", "HGRD", "2024-11-05", "2024Q3"), "2024Q3"),
]  # fmt: skip

BAD_SIDECARS = [
    ("{not json", "not valid JSON"), ('["a"]', "a sidecar is a JSON object"),
    ('{"ceo": "x"}', "the keys are company, ticker, date, period"), ('{"date": "May 5"}', "YYYY-MM-DD"),
    ('{"period": "Q1 2025"}', "YYYYQn"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "sidecar", "call", "figure_period"), SIDECARS)
def test_metadata_sidecar_wins_over_the_text(tmp_path, text, sidecar, call, figure_period) -> None:
    path = tmp_path / "call.txt"
    path.write_text(text, encoding="utf-8")
    (tmp_path / "call.json").write_text(sidecar, encoding="utf-8")
    record = analyze(path)
    assert (record.call.company, record.call.ticker, record.call.date, record.call.period) == call
    assert [f.period for f in record.figures] == [figure_period]  # the period places the figures
    assert analyze(path, metadata={"company": "Given"}).call.company == "Given"  # and the caller's wins
    assert analyze(path.read_bytes()).call.period != call[3]  # bytes have no sidecar


@pytest.mark.parametrize(("sidecar", "reason"), BAD_SIDECARS)
def test_metadata_bad_sidecar_names_itself(tmp_path, sidecar: str, reason: str) -> None:
    path = tmp_path / "call.txt"
    path.write_text(SIDECARS[1][0], encoding="utf-8")
    (tmp_path / "call.json").write_text(sidecar, encoding="utf-8")
    with pytest.raises(InputError, match=str(tmp_path / "call.json")) as caught:
        analyze(path)
    assert reason in str(caught.value)


@pytest.mark.parametrize(
    ("metadata", "reason"), [({"sector": "x"}, "the keys are"), ({"period": "2025-Q1"}, "YYYYQn")]
)
def test_metadata_given_by_the_caller_is_checked(metadata: dict, reason: str) -> None:
    with pytest.raises(OptionError, match=reason):
        analyze(b"Revenue grew.", metadata=metadata)
