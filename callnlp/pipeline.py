"""analyze(): one transcript in, one `CallAnalysis` out."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from operator import countOf, itemgetter
from pathlib import Path

from callnlp.normalize import HAN, Document, normalize
from callnlp.record import Call, CallAnalysis, Language, Sentence
from callnlp.sentences import MAX_CHARS, split_sentences
from callnlp.structure import Block, StructureParser
from callnlp.text import DEFAULT_MAX_BYTES, load
from callnlp.tokenize import Tokenizer, TokenKind

_HAN_CHAR = re.compile(f"[{HAN}]")
_LATIN_CHAR = re.compile("[A-Za-z]")

MIXED_SHARE = 0.1
"""A call is `mixed` when the sentences of each language hold at least this share of its
text (Han characters weighted x3). An interpreted call is mixed (about 0.17 in corpora/);
a Chinese article quoting English names and sources is not (at most 0.03 in the seeds)."""


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
        self.structure = StructureParser()
        self.max_bytes = max_bytes
        self.max_sentence_chars = max_sentence_chars

    def __call__(self, source: str | Path | bytes, *, name: str | None = None) -> CallAnalysis:
        """Analyze a transcript given as a path or as its bytes."""
        doc = normalize(load(source, name=name, max_bytes=self.max_bytes))
        structure = self.structure(doc)
        sentences = self._sentences(doc, structure.blocks)
        tokens = self.tokenizer(doc.text, doc.offsets)
        call = Call(
            id=doc.source.id,
            source=doc.source.path,
            language=_call_language(sentences),
            encoding=doc.source.encoding,
            tokens=len(tokens) - countOf(map(itemgetter(4), tokens), TokenKind.PUNCT),
            warnings=doc.warnings,
        )
        return CallAnalysis(
            call=call, sentences=tuple(sentences), turns=structure.turns, qa_pairs=structure.qa_pairs
        )

    def _sentences(self, doc: Document, blocks: tuple[Block, ...]) -> list[Sentence]:
        out: list[Sentence] = []
        previous: Language | None = None
        for block in blocks:
            piece = doc.text[block.start : block.end]
            for start, end in split_sentences(piece, self.max_sentence_chars):
                text = piece[start:end]
                lang = _sentence_language(text) or previous
                previous = lang
                ostart, oend = doc.span(block.start + start, block.start + end)
                out.append(
                    Sentence(
                        len(out),
                        block.turn,
                        doc.source.line(ostart),
                        ostart,
                        oend,
                        text,
                        lang,
                        section=block.section,
                    )
                )
        return out


def _weights(text: str) -> tuple[int, int]:
    """(Chinese, English) weight of a text: a Han character counts as much as three Latin
    letters, about what each carries."""
    return 3 * len(_HAN_CHAR.findall(text)), len(_LATIN_CHAR.findall(text))


def _sentence_language(text: str) -> Language | None:
    zh, en = _weights(text)
    if not zh and not en:
        return None
    return Language.ZH if zh >= en else Language.EN


def _call_language(sentences: list[Sentence]) -> Language:
    weight = Counter()
    for s in sentences:
        if s.lang is not None:
            weight[s.lang] += max(_weights(s.text))
    zh, en = weight[Language.ZH], weight[Language.EN]
    if min(zh, en) >= MIXED_SHARE * (zh + en) > 0:
        return Language.MIXED
    return Language.ZH if zh >= en else Language.EN


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
