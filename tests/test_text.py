from __future__ import annotations

import codecs

import pytest

from callnlp.errors import (
    BinaryInputError,
    DecodeError,
    EmptyInputError,
    InputNotFoundError,
    InputTooLargeError,
)
from callnlp.text import load

ZH = "第一季度营收为9.816亿美元,同比增长420%。公司预计全年收入在49亿美元至51亿美元之间。"
ZH_HANT = "第一季度營收為9.816億美元,同比增長420%。公司預計全年收入在49億美元至51億美元之間。"
EN = "Revenue for the first quarter was $981.6 million, up 420% year over year."
MIXED = "CoreWeave一季度营收9.816亿美元. Revenue grew 420% year over year."


@pytest.mark.parametrize(
    ("text", "data", "encoding"),
    [
        (ZH, ZH.encode("utf-8"), "utf-8"),
        (ZH, codecs.BOM_UTF8 + ZH.encode("utf-8"), "utf-8"),
        (EN, EN.encode("utf-8"), "utf-8"),
        (MIXED, codecs.BOM_UTF16_LE + MIXED.encode("utf-16-le"), "utf-16-le"),
        (MIXED, codecs.BOM_UTF16_BE + MIXED.encode("utf-16-be"), "utf-16-be"),
        (EN, EN.encode("utf-16-le"), "utf-16-le"),
        (EN, EN.encode("utf-16-be"), "utf-16-be"),
        (ZH, ZH.encode("utf-32"), "utf-32-le"),
        (ZH, ZH.encode("gb18030"), "gb18030"),
        (ZH, ZH.encode("gbk"), "gb18030"),
        (ZH_HANT, ZH_HANT.encode("big5"), "big5hkscs"),
        (
            "Café déjà vu: revenue was €12 million.",
            "Café déjà vu: revenue was €12 million.".encode("cp1252"),
            None,
        ),
    ],
)
def test_load_detects_encoding(text: str, data: bytes, encoding: str | None) -> None:
    src = load(data, name="case.txt")
    assert src.text == text
    if encoding:
        assert src.encoding == encoding
    assert src.warnings == ()


def test_load_reads_a_file_and_hashes_its_bytes(tmp_path) -> None:
    path = tmp_path / "call.txt"
    path.write_bytes(ZH.encode("gb18030"))
    src = load(path)
    assert src.path == str(path)
    assert src.text == ZH
    assert len(src.id) == 64
    assert src.id == load(ZH.encode("gb18030")).id
    assert src.id != load(ZH.encode("utf-8")).id  # the id is of the bytes, not the text


def test_load_seed_encodings_are_detected_on_real_text(seeds) -> None:
    from callnlp.normalize import normalize

    for path in seeds:
        text = path.read_text(encoding="utf-8")
        assert load(path).text == text
        simplified = normalize(load(path)).text
        # A GB18030 copy (Simplified, made here) and a Big5 copy (Traditional) read back.
        gb = simplified.encode("gb18030", errors="replace")
        assert load(gb).text == gb.decode("gb18030")
        import opencc

        hant = opencc.OpenCC("s2t").convert(simplified)
        big5 = hant.encode("big5", errors="replace")
        assert load(big5).encoding.startswith("big5"), path.name


@pytest.mark.parametrize(
    ("data", "error", "reason"),
    [
        (b"", EmptyInputError, "empty"),
        (b" \n\t\r\n ", EmptyInputError, "empty"),
        ("\u3000\u00a0\n".encode(), EmptyInputError, "only white space"),
        ("\u3000\n".encode("utf-16"), EmptyInputError, "only white space"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), BinaryInputError, "PNG"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", BinaryInputError, "pdftotext"),
        (b"PK\x03\x04" + b"\x00" * 40, BinaryInputError, "ZIP"),
        (bytes(range(256)) * 40, BinaryInputError, "binary"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 60, BinaryInputError, "executable"),
        (b"text\x00with\x01\x02\x03\x04 controls" * 10, BinaryInputError, "binary"),
    ],
)
def test_load_rejects_input_that_is_not_text(data: bytes, error: type, reason: str) -> None:
    with pytest.raises(error, match=reason) as info:
        load(data, name="bad.bin")
    assert str(info.value).startswith("bad.bin: ")


def test_load_keeps_a_file_whose_last_character_is_cut_off() -> None:
    data = ZH.encode("utf-8")[:-2]  # inside the final "。"
    src = load(data, name="cut.txt")
    assert src.text == ZH[:-1]
    assert len(src.warnings) == 1
    assert "cut.txt" in src.warnings[0]
    assert "truncated" in src.warnings[0]


def test_load_replaces_a_few_damaged_bytes_and_says_where() -> None:
    lines = [ZH] * 30
    data = "\n".join(lines).encode("utf-8")
    cut = data.index("营".encode()) + 1
    damaged = data[:cut] + data[cut + 2 :]  # one broken character on line 1
    src = load(damaged, name="damaged.txt")
    assert src.text.count("\ufffd") >= 1
    assert "line 1" in src.warnings[0]
    assert "damaged.txt" in src.warnings[0]


def test_load_refuses_bytes_that_decode_as_nothing() -> None:
    # Valid in no encoding charset-normalizer will vouch for: mostly bytes >= 0x80 that are
    # illegal lead bytes in UTF-8, GB18030 and Big5 alike, with no NULs or controls.
    data = bytes([0xFF, 0xFE, 0xFD, 0x80, 0x80]) * 200 + b"\n"
    with pytest.raises(DecodeError, match=r"weird\.txt: the bytes are not text"):
        load(b"x" + data, name="weird.txt")


def test_load_names_missing_paths_and_directories(tmp_path) -> None:
    with pytest.raises(InputNotFoundError, match="no such file"):
        load(tmp_path / "missing.txt")
    with pytest.raises(InputNotFoundError, match="not a file"):
        load(tmp_path)


def test_load_refuses_input_over_the_size_limit(tmp_path) -> None:
    path = tmp_path / "huge.txt"
    path.write_bytes(b"a" * 2048)
    with pytest.raises(InputTooLargeError, match=r"huge\.txt.*--max-mb"):
        load(path, max_bytes=1024)
    assert load(path, max_bytes=4096).text == "a" * 2048


@pytest.mark.parametrize(
    ("data", "is_html"),
    [
        (b"<!DOCTYPE html><html><body><p>hi</p></body></html>", True),
        (b"  <html lang='zh'><p>\xe8\x90\xa5\xe6\x94\xb6</p></html>", True),
        (b"<div>a</div><div>b</div><p>c</p><p>d</p><br><span>e</span>", True),
        ("营收 <b>增长</b> 20%".encode(), False),
        (b"Revenue < costs > zero", False),
    ],
)
def test_load_detects_html(data: bytes, is_html: bool) -> None:
    assert load(data).is_html is is_html


def test_source_line_counts_every_line_ending() -> None:
    src = load(b"a\nb\r\nc\rd")
    assert [src.line(src.text.index(c)) for c in "abcd"] == [1, 2, 3, 4]
