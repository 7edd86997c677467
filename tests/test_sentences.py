from __future__ import annotations

from itertools import pairwise

import pytest

from callnlp.sentences import split_sentences


def split(text: str, **kw) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text, **kw)]


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        # Chinese stops, and ; ! ? after NFKC made them half-width
        ("营收增长。净亏损扩大!是否会持续?", ["营收增长。", "净亏损扩大!", "是否会持续?"]),
        ("收入增长;成本下降。", ["收入增长;", "成本下降。"]),
        ("我们……会考虑。下一个问题", ["我们……会考虑。", "下一个问题"]),
        ("增长放缓......下一季度回升。", ["增长放缓......", "下一季度回升。"]),
        # decimals never split
        (
            "营收为9.816亿美元。Revenue was $9.816 billion.",
            ["营收为9.816亿美元。", "Revenue was $9.816 billion."],
        ),
        # quotes and brackets after the stop stay with the sentence
        ('他说:"收入可能不稳定。"然后离开。', ['他说:"收入可能不稳定。"', "然后离开。"]),
        ('He said "it was lumpy." Then he left.', ['He said "it was lumpy."', "Then he left."]),
        ("(That was a record.) Next question.", ["(That was a record.)", "Next question."]),
        # English abbreviations
        ("Acme Inc. shares rose. We are pleased.", ["Acme Inc. shares rose.", "We are pleased."]),
        ("We signed with Acme Inc. We expect more.", ["We signed with Acme Inc.", "We expect more."]),
        ("Sales in the U.S. grew 5%. Europe fell.", ["Sales in the U.S. grew 5%.", "Europe fell."]),
        ("Margin was approx. 23% in Q1. Good.", ["Margin was approx. 23% in Q1.", "Good."]),
        ("Mr. Smith and Dr. Lee joined. Thanks.", ["Mr. Smith and Dr. Lee joined.", "Thanks."]),
        ("We beat in Q1. Next quarter looks good.", ["We beat in Q1.", "Next quarter looks good."]),
        ("See e.g. the 10-Q. It has more.", ["See e.g. the 10-Q.", "It has more."]),
        ("Revenue was up vs. last year. Costs fell.", ["Revenue was up vs. last year.", "Costs fell."]),
        ("J. Smith spoke. Then Q&A.", ["J. Smith spoke.", "Then Q&A."]),
        # ellipses in English
        ("Well... we'll see. Next one.", ["Well... we'll see.", "Next one."]),
        ("It was lumpy... Next question, please.", ["It was lumpy...", "Next question, please."]),
        # a Chinese sentence that ends in an English word, English then Chinese
        ("我们的合作伙伴包括OpenAI.下一个问题。", ["我们的合作伙伴包括OpenAI.", "下一个问题。"]),
        ("客户包括Microsoft. 下一个问题。", ["客户包括Microsoft.", "下一个问题。"]),
        ("Revenue grew 420%. 收入增长了420%。", ["Revenue grew 420%.", "收入增长了420%。"]),
        # list markers
        ("a. 收入增长。b. 成本下降。", ["a. 收入增长。", "b. 成本下降。"]),
        ("1. Revenue grew. 2. Costs fell.", ["1. Revenue grew.", "2. Costs fell."]),
        # mojibake question marks glued to letters are not stops
        ("他们?cè)?017年正式转型。", ["他们?cè)?017年正式转型。"]),
        # line breaks end sentences, except an English line that wraps
        ("Mike Intrator,首席执行官:\n谢谢各位。", ["Mike Intrator,首席执行官:", "谢谢各位。"]),
        (
            "Revenue grew strongly in the quarter and\nwe expect more.",
            ["Revenue grew strongly in the quarter and\nwe expect more."],
        ),
        ("Operator\nGood day, everyone.", ["Operator", "Good day, everyone."]),
        ("  \n\n 营收增长。 \n", ["营收增长。"]),
        ("", []),
    ],
)
def test_sentences_split(text: str, sentences: list[str]) -> None:
    assert split(text) == sentences


def test_sentences_cut_a_run_without_stops_at_a_comma() -> None:
    text = ",".join(["收入增长"] * 500)
    pieces = split(text, max_chars=100)
    assert all(len(p) <= 100 for p in pieces)
    assert "".join(pieces) == text
    assert all(p.endswith(",") for p in pieces[:-1])


def test_sentences_cut_a_run_without_any_break_hard() -> None:
    text = "收" * 2500
    pieces = split(text, max_chars=1000)
    assert [len(p) for p in pieces] == [1000, 1000, 500]


def test_sentences_spans_are_ordered_and_disjoint(seeds) -> None:
    from callnlp.normalize import normalize
    from callnlp.text import load

    for path in seeds:
        doc = normalize(load(path))
        spans = split_sentences(doc.text)
        assert spans
        assert all(s < e for s, e in spans)
        assert all(a[1] <= b[0] for a, b in pairwise(spans))
        covered = "".join(doc.text[s:e] for s, e in spans)
        assert covered.replace(" ", "") == "".join(doc.text.split()).replace(" ", "")


def test_sentences_seed_000_keeps_decimals_and_splits_at_stops(seed) -> None:
    from callnlp.normalize import normalize
    from callnlp.text import load

    doc = normalize(load(seed("000")))
    texts = [doc.text[s:e] for s, e in split_sentences(doc.text)]
    assert "营收:第一季度营收为9.816亿美元,较上年同期的1.887亿美元同比增长420%;" in texts
    assert "经调整营收达1.63亿美元,同比增长550%。" in texts
    assert all(not t.startswith(("816", "887")) for t in texts)
