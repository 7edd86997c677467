"""callnlp: structured, searchable, scored records of earnings-call transcripts.

Chinese, English, or both mixed in one document. The default pipeline needs no model
downloads.

Example:
    >>> import callnlp
    >>> result = callnlp.analyze("CoreWeave一季度营收9.816亿美元。Revenue grew 420%.".encode())
    >>> result.call.language.value, len(result.sentences)
    ('mixed', 2)
"""

from __future__ import annotations

__version__ = "0.1.0"

from callnlp.errors import (
    BinaryInputError,
    CallnlpError,
    DecodeError,
    EmptyInputError,
    InputError,
    InputNotFoundError,
    InputTooLargeError,
)
from callnlp.figures import FigureExtractor
from callnlp.normalize import Document, normalize
from callnlp.offsets import OffsetMap
from callnlp.pipeline import Analyzer, analyze
from callnlp.record import (
    Call,
    CallAnalysis,
    Figure,
    Kind,
    Language,
    QAPair,
    Qualifier,
    Relation,
    Role,
    Section,
    Sentence,
    Turn,
    Unit,
)
from callnlp.sentences import split_sentences
from callnlp.structure import StructureParser
from callnlp.text import Source, load
from callnlp.tokenize import Token, Tokenizer, TokenKind

__all__ = [
    "Analyzer",
    "BinaryInputError",
    "Call",
    "CallAnalysis",
    "CallnlpError",
    "DecodeError",
    "Document",
    "EmptyInputError",
    "Figure",
    "FigureExtractor",
    "InputError",
    "InputNotFoundError",
    "InputTooLargeError",
    "Kind",
    "Language",
    "OffsetMap",
    "QAPair",
    "Qualifier",
    "Relation",
    "Role",
    "Section",
    "Sentence",
    "Source",
    "StructureParser",
    "Token",
    "TokenKind",
    "Tokenizer",
    "Turn",
    "Unit",
    "__version__",
    "analyze",
    "load",
    "normalize",
    "split_sentences",
]
