"""`CallnlpTokenizer`: callnlp's bilingual tokenizer as a spaCy tokenizer."""

from __future__ import annotations

import codecs
import re
import weakref
from collections.abc import Callable
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import registry
from spacy.vocab import Vocab

from callnlp.errors import DecodeError, EmptyInputError
from callnlp.normalize import Document, normalize
from callnlp.text import load
from callnlp.tokenize import Token, default_tokenizer

_RUNS = re.compile(r"\s+|\S+").findall

MADE: weakref.WeakKeyDictionary[Doc, tuple[Document, list[Token]]] = weakref.WeakKeyDictionary()
"""The normalized document and tokens of each Doc `CallnlpTokenizer` made, for the `callnlp`
component to analyze without normalizing and tokenizing the text again (which cost a
quarter of the pipeline's time); an entry goes with its Doc."""


class CallnlpTokenizer:
    """callnlp's bilingual tokenizer as a spaCy tokenizer: quantities stay whole, and
    `doc.text` is always the text given.

    Use it for `spacy.blank("zh")` or `spacy.blank("en")`, or from a config:
    `[nlp.tokenizer] @tokenizers = "callnlp_tokenizer"`.

    Args:
        vocab: the pipeline's vocabulary (`nlp.vocab`).

    Example:
        >>> import spacy
        >>> nlp = spacy.blank("zh")
        >>> nlp.tokenizer = CallnlpTokenizer(nlp.vocab)
        >>> doc = nlp("領(lǐng)域營收 9.816億美元")
        >>> [t.text for t in doc], [t.norm_ for t in doc]
        (['領(lǐng)域', '營收', '9.816億美元'], ['领域', '营收', '9.816亿美元'])
        >>> doc.text == "領(lǐng)域營收 9.816億美元"
        True
    """

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        """The Doc of `text`; its tokens are slices of `text`.

        Raises:
            InputError: the text is binary (control characters) or holds a lone surrogate.
        """
        tokens: list[Token] = []
        try:
            document = normalize(load(utf8(text)))  # as the analysis makes it
        except EmptyInputError:
            document = None  # nothing but whitespace: whitespace tokens only
        else:
            tokens = default_tokenizer()(document.text, document.offsets)
        words, spaces, norms = _words(text, tokens)
        doc = Doc(self.vocab, words=words, spaces=spaces)
        for i, norm in norms:
            doc[i].norm_ = norm
        if document is not None:
            MADE[doc] = (document, tokens)
        return doc

    # The tokenizer holds no data of its own: nlp.to_disk / to_bytes save nothing for it.
    def to_bytes(self, **kwargs: Any) -> bytes:
        return b""

    def from_bytes(self, data: bytes, **kwargs: Any) -> CallnlpTokenizer:
        return self

    def to_disk(self, path: Any, **kwargs: Any) -> None:
        pass

    def from_disk(self, path: Any, **kwargs: Any) -> CallnlpTokenizer:
        return self


@registry.tokenizers("callnlp_tokenizer")
def create_tokenizer() -> Callable[[Language], CallnlpTokenizer]:
    """The `callnlp_tokenizer` of spaCy's registry (also its `spacy_tokenizers` entry point)."""

    def make(nlp: Language) -> CallnlpTokenizer:
        return CallnlpTokenizer(nlp.vocab)

    return make


def utf8(text: str) -> bytes:
    """`text` as the bytes `load` decodes back into exactly `text`, so that every offset of
    the analysis points into it."""
    try:
        data = text.encode()
    except UnicodeEncodeError as exc:
        raise DecodeError(
            f"<text>: character {exc.start} is a lone surrogate, which is no text; "
            "repair it (text.encode('utf-16', 'surrogatepass').decode('utf-16'))"
        ) from exc
    # load takes a leading BOM for an encoding mark and drops it: one more keeps the text's own
    return codecs.BOM_UTF8 + data if text.startswith("\ufeff") else data


def _words(text: str, tokens: list[Token] | tuple[()]) -> tuple[list[str], list[bool], list[tuple[int, str]]]:
    """Doc words and spaces that cover `text` exactly, from tokens with original offsets,
    and the (index, norm) of the words whose normalized form differs from the original."""
    words: list[str] = []
    spaces: list[bool] = []
    changed: dict[int, str] = {}

    def gap(piece: str) -> None:
        # whitespace, and what normalization dropped (pinyin, tags, zero-width characters)
        for run in _RUNS(piece):
            if run[0] == " " and words and not spaces[-1] and not words[-1].isspace():
                spaces[-1] = True
                run = run[1:]
            if run:
                words.append(run)
                spaces.append(False)

    first = end = 0
    last = ""  # the normalized text of the last word
    for norm, start, stop, _, _ in tokens:
        if start < end:
            # one original character that normalization made several (㍿ -> 株式会社)
            end = max(end, stop)
            last += norm
            words[-1] = text[first:end]
            changed[len(words) - 1] = last
            continue
        if start > end:
            gap(text[end:start])
        first, end, last = start, stop, norm
        words.append(text[start:stop])
        spaces.append(False)
        if words[-1] != norm:
            changed[len(words) - 1] = norm
    gap(text[end:])
    return words, spaces, [(i, norm.lower()) for i, norm in changed.items()]
