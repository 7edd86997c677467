"""Loading transcript files: size and binary checks, encoding detection, HTML detection.

`load` never guesses silently: the encoding it chose and anything it had to repair are
recorded on the returned `Source`, and input it cannot read raises an `InputError` that
names the file and the reason.
"""

from __future__ import annotations

import bisect
import codecs
import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from callnlp.errors import (
    BinaryInputError,
    DecodeError,
    EmptyInputError,
    InputNotFoundError,
    InputTooLargeError,
)

_MB = 1024 * 1024  # sizes in messages and --max-mb are binary megabytes
DEFAULT_MAX_BYTES = 16 * _MB
"""Earnings-call transcripts are 20-300 KB; a larger input is almost always a mistake."""

LEGACY_ENCODINGS = ("gb18030", "big5", "cp1252")
"""Tried, in this order of preference, when a file is not UTF-8/16/32."""

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Magic numbers of the binary formats people most often feed a text tool by mistake,
# so the error can say what the file is and how to get text out of it.
_MAGIC = (
    (b"%PDF", "a PDF document; extract its text first (e.g. pdftotext FILE out.txt)"),
    (b"PK\x03\x04", "a ZIP archive or an Office document; save it as .txt first"),
    (b"\xd0\xcf\x11\xe0", "an old Office document; save it as .txt first"),
    (b"\x89PNG", "a PNG image, not text"),
    (b"\xff\xd8\xff", "a JPEG image, not text"),
    (b"GIF8", "a GIF image, not text"),
    (b"\x7fELF", "an executable, not text"),
    (b"\x1f\x8b", "a gzip archive; decompress it first"),
    (b"SQLite format 3\x00", "an SQLite database, not a transcript"),
)

_HTML_START = re.compile(rb"\A\s*(?:<!doctype\s+html|<html|<head|<body|<\?xml[^>]*>\s*<html)", re.I)
_HTML_TAGS = re.compile(rb"</?(?:p|div|br|span|table|td|li|h[1-6]|article|section)\b", re.I)
_LINE_BREAK = re.compile(r"\r\n|\r|\n|\u2028|\u2029")

# Control characters other than tab, newline, carriage return, form feed and escape are
# not found in text files; a few percent of them means the file is binary.
_CONTROL = bytes(c for c in range(32) if c not in (9, 10, 12, 13, 27))


@dataclass(frozen=True)
class Source:
    """A transcript as read from disk: its decoded text exactly as the user has it.

    Attributes:
        text: the decoded original text; every offset callnlp reports points into it.
        id: sha256 of the original bytes, the call id.
        path: where it was read from, or None for bytes given directly.
        encoding: the encoding the bytes were decoded with.
        is_html: whether the text is an HTML page (tags are removed by normalization).
        warnings: what had to be repaired to read the file, each naming the problem.
    """

    text: str
    id: str
    path: str | None = None
    encoding: str = "utf-8"
    is_html: bool = False
    warnings: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        """The path, or `<bytes>` for input given as bytes, for messages."""
        return self.path or "<bytes>"

    @cached_property
    def _line_starts(self) -> list[int]:
        return [0] + [m.end() for m in _LINE_BREAK.finditer(self.text)]

    def line(self, offset: int) -> int:
        """The 1-based line of the original text that holds character `offset`."""
        return bisect.bisect_right(self._line_starts, offset)


def load(
    source: str | Path | bytes,
    *,
    name: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Source:
    """Read a transcript file (or its bytes) and decode it.

    Detects UTF-8 (with or without BOM), UTF-16/32 (BOM or not), GB18030/GBK and Big5
    among others, and whether the text is HTML.

    Args:
        source: a path, or the file's bytes.
        name: the name to use in messages when `source` is bytes.
        max_bytes: inputs larger than this raise `InputTooLargeError`.

    Returns:
        The decoded `Source`.

    Raises:
        InputNotFoundError, EmptyInputError, BinaryInputError, DecodeError,
        InputTooLargeError: each naming the file and the reason.

    Example:
        >>> src = load("示例:营收增长20%。".encode("gb18030"))
        >>> src.encoding, src.text
        ('gb18030', '示例:营收增长20%。')
    """
    if isinstance(source, bytes):
        data, label = source, name
    else:
        data, label = read_file(Path(source), max_bytes), str(source)
    shown = label or "<bytes>"
    if len(data) > max_bytes:
        raise InputTooLargeError(_too_large(shown, len(data), max_bytes))
    if not data.strip():
        raise EmptyInputError(f"{shown}: the file is empty; give a transcript with text in it")
    text, encoding, warnings = _decode(data, shown)
    if not text.strip().strip("\ufeff\u200b"):
        raise EmptyInputError(f"{shown}: the file holds only white space; give a transcript with text in it")
    if "\x00" in text:
        raise BinaryInputError(f"{shown}: the file holds NUL characters, so it is binary, not text")
    return Source(
        text=text,
        id=call_id(data),
        path=label,
        encoding=encoding,
        is_html=_is_html(data[:65536]),
        warnings=tuple(warnings),
    )


def call_id(data: bytes) -> str:
    """The id of the call a file holds: the sha256 of its bytes, so the same bytes are
    the same call wherever they come from."""
    return hashlib.sha256(data).hexdigest()


def read_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of a transcript file, its size checked before it is read.

    Raises:
        InputError: no such file, a folder, too large, or unreadable; the message names
            the file and the reason.
    """
    try:
        if not path.exists():
            raise InputNotFoundError(f"{path}: no such file; check the path")
        if not path.is_file():
            raise InputNotFoundError(f"{path}: not a file (a directory?); give a transcript file")
        size = path.stat().st_size
        if size > max_bytes:
            raise InputTooLargeError(_too_large(str(path), size, max_bytes))
        return path.read_bytes()
    except OSError as exc:  # unreadable, or a name the system refuses (too long)
        raise InputNotFoundError(
            f"{path}: cannot be read ({exc.strerror or exc}); check the path and its permissions"
        ) from None


def _too_large(name: str, size: int, limit: int) -> str:
    return (
        f"{name}: {_size(size)} is over the {_size(limit)} limit for one transcript; "
        "split it, or raise the limit (--max-mb, or load(..., max_bytes=...))"
    )


def _size(n: int) -> str:
    """A size as a message gives it: in MB, or in bytes where MB would round to 0.0."""
    return f"{n / _MB:.1f} MB" if n >= _MB / 20 else f"{n:,} bytes"


def _decode(data: bytes, name: str) -> tuple[str, str, list[str]]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _strict(data[len(bom) :], encoding, name), encoding, []
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise BinaryInputError(f"{name}: the file is {what}")
    utf16 = _utf16_without_bom(data)
    if utf16:
        return _strict(data, utf16, name), utf16, []
    head = data[:65536]
    if head.count(0) or sum(head.count(c) for c in _CONTROL) > len(head) * 0.02:
        raise BinaryInputError(f"{name}: the file holds control bytes, so it is binary, not text")
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            # A download cut off inside the last character: keep everything before it.
            warning = f"{name}: the last character is cut off (truncated UTF-8); it was dropped"
            return data[: exc.start].decode("utf-8"), "utf-8", [warning]
        repaired = data.decode("utf-8", errors="replace")
        bad = repaired.count("\ufffd")
        # A few bad bytes in otherwise valid UTF-8 are damage, not another encoding:
        # GBK or Big5 read as UTF-8 fails on nearly every Chinese character.
        if bad <= max(3, len(repaired) // 2000):
            line = repaired.count("\n", 0, repaired.index("\ufffd")) + 1
            warning = (
                f"{name}: {bad} invalid UTF-8 byte sequence(s), the first on line {line}, replaced by U+FFFD"
            )
            return repaired, "utf-8", [warning]
    return _detect(data, name)


def _utf16_without_bom(data: bytes) -> str | None:
    # ASCII-heavy UTF-16 has a NUL in every other byte; CJK-heavy UTF-16 rarely lacks a BOM.
    sample = data[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    if odd > half * 0.3 and even < half * 0.05:
        return "utf-16-le"
    if even > half * 0.3 and odd < half * 0.05:
        return "utf-16-be"
    return None


def _detect(data: bytes, name: str) -> tuple[str, str, list[str]]:
    from charset_normalizer import from_bytes

    # Only the legacy encodings of the languages callnlp reads: left free, the detector
    # takes short English text for Baltic or Cyrillic code pages.
    best = from_bytes(data, cp_isolation=list(LEGACY_ENCODINGS)).best()
    if best is None or best.encoding is None:
        raise DecodeError(
            f"{name}: the bytes are not text in any known encoding "
            "(tried UTF-8/16/32, GB18030, Big5 and cp1252); convert the file to UTF-8"
        )
    encoding = best.encoding
    # GB18030 is a superset of GB2312 and GBK: decoding with it never loses characters.
    if encoding in ("gb2312", "gbk", "hz"):
        encoding = "gb18030"
    elif encoding == "big5":
        encoding = "big5hkscs"
    return _strict(data, encoding, name), encoding, []


def _strict(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DecodeError(
            f"{name}: byte {exc.start} is not valid {encoding} ({exc.reason}); "
            "the file is damaged or mislabeled: convert it to UTF-8"
        ) from exc


def _is_html(head: bytes) -> bool:
    return bool(_HTML_START.match(head)) or len(_HTML_TAGS.findall(head)) >= 5
