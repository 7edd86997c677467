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

from callnlp.embed import Embedder
from callnlp.errors import (
    BinaryInputError,
    CallnlpError,
    DecodeError,
    EmptyInputError,
    InputError,
    InputNotFoundError,
    InputTooLargeError,
    LabeledDataError,
    MissingDependencyError,
    ModelError,
    OutputError,
    StoreError,
)
from callnlp.evaluate import Evaluation, Task, evaluate
from callnlp.export import write_table
from callnlp.figures import FigureExtractor
from callnlp.ingest import Failure, IngestReport, ingest
from callnlp.metadata import Metadata, infer_metadata
from callnlp.normalize import Document, normalize
from callnlp.offsets import OffsetMap
from callnlp.pipeline import Analyzer, analyze
from callnlp.record import (
    Aggregate,
    Call,
    CallAnalysis,
    Cue,
    CueKind,
    Figure,
    Kind,
    Language,
    QAPair,
    Qualifier,
    Relation,
    Role,
    Scope,
    Section,
    Sentence,
    Tone,
    Turn,
    Unit,
)
from callnlp.report import render_report
from callnlp.scoring import LexiconScorer, Score
from callnlp.search import Hit, SearchResult, search
from callnlp.sentences import split_sentences
from callnlp.signals import call_signals
from callnlp.store import EventStore
from callnlp.structure import StructureParser
from callnlp.text import Source, load
from callnlp.tokenize import Token, Tokenizer, TokenKind
from callnlp.transformer import TransformerSentiment

__all__ = [
    "Aggregate",
    "Analyzer",
    "BinaryInputError",
    "Call",
    "CallAnalysis",
    "CallnlpError",
    "Cue",
    "CueKind",
    "DecodeError",
    "Document",
    "Embedder",
    "EmptyInputError",
    "Evaluation",
    "EventStore",
    "Failure",
    "Figure",
    "FigureExtractor",
    "Hit",
    "IngestReport",
    "InputError",
    "InputNotFoundError",
    "InputTooLargeError",
    "Kind",
    "LabeledDataError",
    "Language",
    "LexiconScorer",
    "Metadata",
    "MissingDependencyError",
    "ModelError",
    "OffsetMap",
    "OutputError",
    "QAPair",
    "Qualifier",
    "Relation",
    "Role",
    "Scope",
    "Score",
    "SearchResult",
    "Section",
    "Sentence",
    "Source",
    "StoreError",
    "StructureParser",
    "Task",
    "Token",
    "TokenKind",
    "Tokenizer",
    "Tone",
    "TransformerSentiment",
    "Turn",
    "Unit",
    "__version__",
    "analyze",
    "call_signals",
    "evaluate",
    "infer_metadata",
    "ingest",
    "load",
    "normalize",
    "render_report",
    "search",
    "split_sentences",
    "write_table",
]
