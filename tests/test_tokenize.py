from __future__ import annotations

from itertools import pairwise

import pytest

from callnlp.tokenize import Tokenizer, TokenKind, terms, user_words, words


@pytest.fixture(scope="module")
def tok() -> Tokenizer:
    return Tokenizer()


def texts(tok: Tokenizer, text: str) -> list[str]:
    return [t.text for t in tok(text)]


@pytest.mark.parametrize(
    "quantity",
    [
        "9.816亿美元", "10.6亿美元", "23,876", "23.4%", "12.6亿元", "4.15亿美元", "1,100.9亿",
        "$1.06 billion", "US$981.6 million", "USD34.6 million", "HK$2.5bn", "€12m", "¥300",
        "50bps", "50 bps", "150 basis points", "3 percentage points", "2.5pp", "3x", "10 percent",
        "三百", "六倍", "-5%", "1000多万元", "30兆瓦", "1.2吉瓦", "-3.2",
    ],
)  # fmt: skip
def test_tokenize_keeps_quantities_whole(tok: Tokenizer, quantity: str) -> None:
    for text in (f"营收为{quantity},同比增长", f"Revenue was {quantity}, up"):
        found = [t for t in tok(text) if t.quantity]
        assert [t.text for t in found] == [quantity], text


@pytest.mark.parametrize(
    "code", ["GB200", "NVL72", "H100", "10-Q", "10-K", "8-K", "Q1", "FY25", "4Q24", "COVID-19"]
)
def test_tokenize_keeps_product_and_filing_codes_whole(tok: Tokenizer, code: str) -> None:
    for text in (f"部署{code}系统", f"We shipped {code} units."):
        tokens = [t for t in tok(text) if t.text == code]
        assert len(tokens) == 1, text
        assert tokens[0].kind is TokenKind.CODE
        assert not tokens[0].quantity


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("CoreWeaveQ1收入同比激增四倍", ["CoreWeave", "Q1", "收入", "同比", "激增", "四倍"]),
        ("一季度调整后EBITDA利润率62%", ["一季度", "调整后EBITDA利润率", "62%"]),
        ("剩余履约义务为259亿美元", ["剩余履约义务", "为", "259亿美元"]),
        ("资本支出可能会不稳定", ["资本支出", "可能", "会", "不稳定"]),
        ("We'll see; it's lumpy.", ["We'll", "see", ";", "it", "'s", "lumpy", "."]),
        ("CoreWeave's year-over-year growth", ["CoreWeave", "'s", "year-over-year", "growth"]),
        ("2012-13财年", ["2012", "-", "13", "财年"]),
        ("27%至28%", ["27%", "至", "28%"]),
        ("超大规模客户与OpenAI签约", ["超大规模客户", "与", "OpenAI", "签约"]),
    ],
)
def test_tokenize_segments_mixed_text(tok: Tokenizer, text: str, tokens: list[str]) -> None:
    assert texts(tok, text) == tokens


@pytest.mark.parametrize(
    ("text", "langs"),
    [
        ("收入Revenue 9.816亿美元 $5m 23% ,", ["zh", "en", "zh", "en", None, None]),
    ],
)
def test_tokenize_sets_lang(tok: Tokenizer, text: str, langs: list[str | None]) -> None:
    assert [t.lang for t in tok(text)] == langs


def test_tokenize_offsets_point_into_the_text(tok: Tokenizer) -> None:
    text = "CoreWeave一季度营收9.816亿美元, up 420% y/y。"
    for t in tok(text):
        assert text[t.start : t.end] == t.text


def test_tokenize_every_user_dictionary_word_is_one_token(tok: Tokenizer) -> None:
    for word, _, _ in user_words():
        assert texts(tok, f"我们的{word}很好") == ["我们", "的", word, "很", "好"], word


def test_tokenize_maps_seed_tokens_back_to_the_original(tok: Tokenizer, seeds) -> None:
    from callnlp.normalize import normalize
    from callnlp.text import load

    for path in seeds:
        doc = normalize(load(path))
        tokens = tok(doc.text, doc.offsets)
        assert len(tokens) > 1000
        same = sum(normalize(load(doc.source.text[t.start : t.end].encode())).text == t.text for t in tokens)
        assert same >= 0.995 * len(tokens), path.name
        assert all(doc.source.line(t.start) >= 1 for t in tokens)


def test_tokenize_agrees_with_the_jieba_package_on_the_seeds(tok: Tokenizer, seeds) -> None:
    import logging
    import re

    import jieba

    from callnlp.normalize import HAN, normalize
    from callnlp.resources import lines
    from callnlp.text import load

    jieba.setLogLevel(logging.WARNING)
    reference = jieba.Tokenizer()
    for row in lines("userdict.txt"):
        word, *rest = row[0].split()
        if re.fullmatch(f"[{HAN}]+", word):
            reference.add_word(word, tag=rest[-1] if rest else None)
    ours = theirs = agree = 0
    for path in seeds:
        text = normalize(load(path)).text
        for run in re.findall(f"[{HAN}]+", text):
            a = {(t.start, t.end) for t in tok(run)}
            b, pos = set(), 0
            for w in reference.cut(run):
                b.add((pos, pos + len(w)))
                pos += len(w)
            ours, theirs, agree = ours + len(a), theirs + len(b), agree + len(a & b)
    assert agree / theirs >= 0.99
    assert agree / ours >= 0.99


def test_tokenize_empty_and_blank(tok: Tokenizer) -> None:
    assert tok("") == []
    assert tok(" \n\t ") == []


@pytest.mark.parametrize(
    ("text", "joined"),
    [
        ("调整后EBITDA为1.5亿美元,非GAAP净利润增长", ["调整后EBITDA", "非GAAP"]),
        (
            "Adjusted EBITDA 调整后EBITDA利润率 12%, and 经调整EBITDA again",
            ["调整后EBITDA利润率", "经调整EBITDA"],
        ),
        ("經調整EBITDA及非ＧＡＡＰ口徑", ["经调整EBITDA", "非GAAP"]),  # traditional, full width
        ("調(tiáo)整後EBITDA", ["调整后EBITDA"]),  # pinyin noise inside the word
        ("EBITDA调整后", []),
    ],
)
def test_tokenize_joins_mixed_script_words_wherever_they_stand(
    tok: Tokenizer, text: str, joined: list[str]
) -> None:
    from callnlp.normalize import normalize
    from callnlp.text import Source

    doc = normalize(Source(text, id=""))
    tokens = tok(doc.text, doc.offsets)
    mixed = {w for w, _, _ in user_words() if not w.isascii() and any(c.isascii() for c in w)}
    assert [t.text for t in tokens if t.text in mixed] == joined
    for t in tokens:  # offsets still point into the text as given
        assert normalize(Source(text[t.start : t.end], id="")).text == t.text


def test_tokenize_each_equals_one_text_at_a_time(tok: Tokenizer) -> None:
    from callnlp.scoring import _lexicon

    texts_ = [
        "净亏损",
        "net loss",
        "调整后EBITDA",
        "9.816亿美元",
        "GB200",
        "lumpy",
        "不稳定",
        "",
        "we don't guide",
        *_lexicon(),
    ]
    for text, tokens in zip(texts_, tok.each(texts_), strict=True):
        assert tokens == tok(text), text


def test_tokenize_is_the_same_however_many_tokenizers_a_process_made(tok: Tokenizer) -> None:
    from conftest import CORPORA

    text = (CORPORA / "labeled" / "zh_news.tsv").read_text(encoding="utf-8")
    before = tok(text)
    for _ in range(3):  # each used to add the finance words to jieba again
        Tokenizer()("预热")
    assert tok(text) == before
    assert Tokenizer()(text) == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("营收同比增长420%,净亏损扩大。", "营收 同比 增长 420% 净亏损 扩大"),
        ("Revenue grew 420%, Net Loss widened.", "revenue grew 420% net loss widened"),
        ("调整后EBITDA利润率为12%。", "调整后ebitda利润率 为 12%"),
        ("HK$2.5BN 与 US$981.6 Million, GB200 与 NVL72", "hk$2.5bn 与 us$981.6 million gb200 与 nvl72"),
    ],
)  # fmt: skip
def test_tokenize_terms_are_the_words_lower_cased_each(tok: Tokenizer, text: str, expected: str) -> None:
    said = words(tok(text))
    assert not any(t.kind is TokenKind.PUNCT and t.text in said for t in tok(text))
    # lower-casing the joined words gives what lower-casing each word one by one gives
    assert terms(said) == " ".join(w.lower() for w in said) == expected


@pytest.mark.parametrize(
    "text",
    [
        "收入增长。 利润下降。\n毛利率为38%,调整后EBITDA为5亿美元。非GAAP每股收益0.12美元。",
        "Revenue grew 20% to $1.2 billion.\nMargins may be lumpy. Adjusted EBITDA rose.",
        "營(yíng)收增長２０％，調(tiáo)整後EBITDA為5億。\r\nNVL72出货量 up 3x, 毛利率 38%。",
    ],
)
@pytest.mark.parametrize("every", [1, 3, 7, 1000])
def test_tokenize_parts_give_the_tokens_of_the_whole_text_wherever_cut(
    tok: Tokenizer, text: str, every: int
) -> None:
    from callnlp.normalize import normalize
    from callnlp.text import Source

    doc = normalize(Source(text, id=""))
    given: list = []
    for tokens, until in tok.parts(doc.text, doc.offsets, range(every, len(doc.text), every)):
        assert all(t.start < until for t in tokens) if until is not None else True
        given.append((tokens, until))
    assert [t for tokens, _ in given for t in tokens] == tok(doc.text, doc.offsets)
    for (_, until), (later, _) in pairwise(given):  # nothing given later starts before `until`
        assert all(t.start >= until for t in later)
    assert given[-1][1] is None
    if every == 1 and "。 " in text:
        assert len(given) > 1  # a Chinese text is parted where its runs start
