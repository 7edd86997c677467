from __future__ import annotations

import pytest

from callnlp.normalize import normalize
from callnlp.text import load


def norm(text: str, **kw) -> str:
    return normalize(load(text.encode(), **kw)).text


@pytest.mark.parametrize(
    ("original", "normalized"),
    [
        # full-width forms, spaces, quotes
        ("营收增长２０％，达到１２．６亿元", "营收增长20%,达到12.6亿元"),
        ("ＧＢ２００　ＮＶＬ７２", "GB200 NVL72"),
        ("Revenue\u00a0grew\u3000fast", "Revenue grew fast"),
        ("可能会“不稳定”", '可能会"不稳定"'),
        ("we\u2019ll see \u2018lumpy\u2019", "we'll see 'lumpy'"),
        ("增长……而且…", "增长......而且..."),
        ("zero\u200bwidth\ufeff soft\u00adhyphen", "zerowidth softhyphen"),
        ("line one\r\nline two\rthree", "line one\nline two\nthree"),
        # inline pinyin annotations from Traditional web pages; English in brackets stays
        ("AI領(lǐng)域的媒體", "AI领域的媒体"),
        ("營(yíng)收增長(zhǎng)", "营收增长"),
        ("我們(men)的(de)客戶", "我们的客户"),
        ("混合專家(MoE)架構", "混合专家(MoE)架构"),
        ("容量約2(GW)", "容量约2(GW)"),
        ("不得(i)以任何方式", "不得(i)以任何方式"),
        ("已撤回了(withdraw)部分", "已撤回了(withdraw)部分"),
        ("招股書(招股書)", "招股书(招股书)"),
        # Traditional -> Simplified
        ("營收為9.816億美元", "营收为9.816亿美元"),
        ("預計資本支出將不穩定", "预计资本支出将不稳定"),
        # entities and leftover inline tags outside HTML pages
        ("相當&ldquo;重要&rdquo;", '相当"重要"'),
        ("重点谈?ldquo;看得见", '重点谈"看得见'),
        ("业务占比<strong>很高</strong>", "业务占比很高"),
        ("AT&amp;T and P&G", "AT&T and P&G"),
        ("Revenue < costs > zero", "Revenue < costs > zero"),
        # private-use characters are mojibake
        ("占比很\ue7c1高", "占比很高"),
        # a typeset minus is a sign, a wave dash links a range
        ("毛利率\u22123%,指引200\u301c230亿美元", "毛利率-3%,指引200~230亿美元"),
        ("Margin of \u22123%", "Margin of -3%"),
    ],
)
def test_normalize_cleans_text(original: str, normalized: str) -> None:
    assert norm(original) == normalized


# (original, normalized): one space of any kind between Han and a digit, % or Latin letter
# goes, in either order; English text and every other space stay.
PANGU = [
    ("营收仅 1600 万美元", "营收仅1600万美元"),
    ("营收仅\u20091600\u00a0万美元", "营收仅1600万美元"),
    ("营收仅\u202f１６００\u3000万美元", "营收仅1600万美元"),
    ("营收仅&nbsp;1600&#8201;万美元", "营收仅1600万美元"),
    ("營(yíng)收 1600 萬美元", "营收1600万美元"),
    ("毛利率提升 470 个基点,增长 20% 至", "毛利率提升470个基点,增长20%至"),
    ("我们的 GPU supply 很紧", "我们的GPU supply很紧"),
    ("Revenue grew 20% to $1.9 billion", "Revenue grew 20% to $1.9 billion"),
    ("Revenue\u00a0grew 20\u2009%", "Revenue grew 20 %"),
    ("营收  1600万", "营收  1600万"),  # two spaces: layout, not pangu
    ("营收\t1600万", "营收\t1600万"),  # a table's column
    ("营收\n1600万", "营收\n1600万"),
    ("跑赢了 英伟达 ,涨幅", "跑赢了 英伟达 ,涨幅"),  # Han on both sides
]


@pytest.mark.parametrize(("original", "normalized"), PANGU)
def test_normalize_removes_pangu_spaces(original: str, normalized: str) -> None:
    assert norm(original) == normalized


@pytest.mark.parametrize(("original", "normalized"), PANGU)
def test_normalize_pangu_offsets_point_into_the_original(original: str, normalized: str) -> None:
    doc = normalize(load(original.encode()))
    source = doc.source.text
    spans = [doc.span(i, i + 1) for i in range(len(doc.text))]
    for i, (start, end) in enumerate(spans):
        # each character maps to the original text it came from, in order
        piece = source[start:end]
        assert piece.isspace() if doc.text[i].isspace() else norm(piece) == doc.text[i]
        if i:
            assert spans[i - 1][1] <= start
    # a figure's span covers the original's spaces it swallowed
    if "1600万美元" in doc.text:
        i = doc.text.index("1600万美元")
        start, end = doc.span(i, i + len("1600万美元"))
        assert norm(source[start:end]) == "1600万美元"
        assert source[start].isdigit()
        assert source[end - 1] == "元"


def test_normalize_strips_html_pages_keeping_block_breaks() -> None:
    page = (
        "<!DOCTYPE html><html><head><title>t</title><style>p{color:red}</style>"
        "<script>var a = '<p>不是正文</p>';</script></head><body>"
        "<p>营收&nbsp;增长20%</p><!-- comment --><div>Revenue <b>grew</b></div></body></html>"
    )
    text = norm(page)
    assert "不是正文" not in text
    assert "color" not in text
    assert "comment" not in text
    lines = [line for line in text.split("\n") if line.strip()]
    assert lines[-2:] == ["营收 增长20%", "Revenue grew"]


def test_normalize_maps_every_character_back_to_the_original() -> None:
    original = "AI領(lǐng)域，營(yíng)收增長２０％…<b>好</b>"
    doc = normalize(load(original.encode()))
    assert doc.text == "AI领域,营收增长20%...好"
    spans = {
        "领域": "領(lǐng)域",
        "营收": "營(yíng)收",
        "20%": "２０％",
        "...": "…",
        "好": "好",
    }
    for normalized, source in spans.items():
        i = doc.text.index(normalized)
        start, end = doc.span(i, i + len(normalized))
        assert original[start:end] == source


def test_normalize_seed_003_pinyin_is_gone_and_offsets_hold(seed) -> None:
    import re

    doc = normalize(load(seed("003")))
    assert "领域" in doc.text
    assert "領(lǐng)域" in doc.source.text
    toned = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
    assert len(re.findall(rf"[\u4e00-\u9fff]\([a-z{toned}]*[{toned}][a-z]*\)", doc.source.text)) > 500
    assert not re.search(rf"[\u4e00-\u9fff]\([a-z{toned}]*[{toned}][a-z]*\)[\u4e00-\u9fff]", doc.text)
    i = doc.text.index("领域")
    assert doc.source.text[slice(*doc.span(i, i + 2))] == "領(lǐng)域"
    i = doc.text.index("营收")
    assert doc.source.text[slice(*doc.span(i, i + 2))] == "營(yíng)收"


def test_normalize_every_seed_sentence_renormalizes_from_its_original_span(seeds) -> None:
    from callnlp.sentences import split_sentences

    for path in seeds:
        doc = normalize(load(path))
        spans = split_sentences(doc.text)
        same = 0
        for start, end in spans:
            ostart, oend = doc.span(start, end)
            piece = doc.source.text[ostart:oend]
            same += normalize(load(piece.encode())).text.strip() == doc.text[start:end]
        # Context-dependent conversions (a phrase cut at the span's edge) may differ.
        assert same >= 0.97 * len(spans), path.name


def test_normalize_counts_mojibake_as_a_warning(seed) -> None:
    doc = normalize(load(seed("004")))
    assert doc.noise > 0
    assert any("mojibake" in w and "004_" in w for w in doc.warnings)
