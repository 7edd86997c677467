"""analyze(): one transcript in, one `CallAnalysis` out."""

from __future__ import annotations

import re
from functools import cache
from operator import countOf, itemgetter
from pathlib import Path

from callnlp.normalize import HAN, Document, normalize
from callnlp.record import Call, CallAnalysis, Language, Sentence
from callnlp.sentences import MAX_CHARS, split_sentences
from callnlp.text import DEFAULT_MAX_BYTES, load
from callnlp.tokenize import Tokenizer, TokenKind

_HAN_CHAR = re.compile(f"[{HAN}]")
_LATIN_CHAR = re.compile("[A-Za-z]")

MIXED_SHARE = 0.2
"""A call is `mixed` when each language holds at least this share of its letters."""


class Analyzer:
    """Runs every stage on a transcript.

    Args:
        tokenizer: the tokenizer to use (a default one is shared otherwise).
        max_bytes: inputs larger than this are refused (see `callnlp.text.load`).
        max_sentence_chars: a longer run without a stop is cut into pieces.

    Example:
        >>> result = Analyzer()("营收同比增长420%。Revenue grew 420%.".encode())
        >>> result.call.language, len(result.sentences), result.call.tokens
        (<Language.MIXED: 'mixed'>, 2, 7)
    """

    def __init__(
        self,
        tokenizer: Tokenizer | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_sentence_chars: int = MAX_CHARS,
    ) -> None:
        self.tokenizer = tokenizer or _default_tokenizer()
        self.max_bytes = max_bytes
        self.max_sentence_chars = max_sentence_chars

    def __call__(self, source: str | Path | bytes, *, name: str | None = None) -> CallAnalysis:
        """Analyze a transcript given as a path or as its bytes."""
        doc = normalize(load(source, name=name, max_bytes=self.max_bytes))
        sentences = self._sentences(doc)
        tokens = self.tokenizer(doc.text, doc.offsets)
        call = Call(
            id=doc.source.id,
            source=doc.source.path,
            language=_call_language(sentences),
            encoding=doc.source.encoding,
            tokens=len(tokens) - countOf(map(itemgetter(4), tokens), TokenKind.PUNCT),
            warnings=doc.warnings,
        )
        return CallAnalysis(call=call, sentences=tuple(sentences))

    def _sentences(self, doc: Document) -> list[Sentence]:
        out: list[Sentence] = []
        previous: Language | None = None
        for index, (start, end) in enumerate(split_sentences(doc.text, self.max_sentence_chars)):
            text = doc.text[start:end]
            lang = _sentence_language(text) or previous
            previous = lang
            ostart, oend = doc.span(start, end)
            out.append(Sentence(index, None, doc.source.line(ostart), ostart, oend, text, lang))
        return out


def _sentence_language(text: str) -> Language | None:
    han = len(_HAN_CHAR.findall(text))
    latin = len(_LATIN_CHAR.findall(text))
    if not han and not latin:
        return None
    # A Chinese character carries about as much as three Latin letters.
    return Language.ZH if han * 3 >= latin else Language.EN


def _call_language(sentences: list[Sentence]) -> Language:
    weight = {Language.ZH: 0, Language.EN: 0}
    for s in sentences:
        if s.lang is not None:
            weight[s.lang] += len(s.text)
    total = sum(weight.values()) or 1
    if min(weight.values()) >= MIXED_SHARE * total:
        return Language.MIXED
    return max(weight, key=weight.__getitem__)


@cache
def _default_tokenizer() -> Tokenizer:
    return Tokenizer()


def analyze(
    source: str | Path | bytes, *, name: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> CallAnalysis:
    """Analyze one transcript with the default settings.

    Args:
        source: a path to the transcript, or its bytes.
        name: the name to use in messages when `source` is bytes.
        max_bytes: inputs larger than this raise `InputTooLargeError`.

    Returns:
        The `CallAnalysis` record.

    Raises:
        InputError: the input cannot be read; the message names the file and the reason.

    Example:
        >>> analyze("CoreWeave一季度营收9.816亿美元。".encode()).call.language
        <Language.ZH: 'zh'>
    """
    return Analyzer(max_bytes=max_bytes)(source, name=name)
