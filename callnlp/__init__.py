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

import importlib
import sys
import types

# Everything is imported when first used: a command such as `callnlp search` loads only
# what it needs (the whole pipeline took a third of a search's process time, and `ingest`
# and `search` brought multiprocessing, SQLite and Tantivy into every `callnlp analyze`).
_LAZY = {
    "callnlp.answers": ["AnswerAssessment", "AnswerAssessor", "assess_answer"],
    "callnlp.embed": ["Embedder"],
    "callnlp.errors": [
        "BinaryInputError", "CallnlpError", "ClusterError", "DecodeError", "EmptyInputError",
        "InputError", "InputNotFoundError", "InputTooLargeError", "LabeledDataError",
        "MissingDependencyError", "ModelError", "OutputError", "StoreError", "WorkerError",
    ],
    "callnlp.display": ["display"],
    "callnlp.evaluate": ["Evaluation", "Task", "evaluate"],
    "callnlp.export": ["write_table"],
    "callnlp.figures": ["FigureExtractor"],
    "callnlp.files": ["Failure"],
    "callnlp.ingest": ["IngestReport", "ingest"],
    "callnlp.metadata": ["Metadata", "infer_metadata"],
    "callnlp.normalize": ["Document", "normalize"],
    "callnlp.offsets": ["OffsetMap"],
    "callnlp.phrases": ["PhraseMatcher"],
    "callnlp.pipeline": ["Analyzer", "analyze"],
    "callnlp.record": [
        "Aggregate", "Call", "CallAnalysis", "Cue", "CueKind", "Figure", "Kind", "Language", "QAPair",
        "Qualifier", "Relation", "Role", "Scope", "Section", "Sentence", "Tone", "Turn", "Unit",
    ],
    "callnlp.report": ["render_report"],
    "callnlp.scoring": ["LexiconScorer", "Score"],
    "callnlp.search": ["CallHit", "Hit", "SearchResult", "search", "search_calls"],
    "callnlp.search.evaluate": ["SearchEvaluation", "evaluate_search"],
    "callnlp.sentences": ["split_sentences"],
    "callnlp.signals": ["call_signals"],
    "callnlp.spacy_pipes": ["CallnlpComponent", "CallnlpTokenizer"],
    "callnlp.store": ["EventStore"],
    "callnlp.structure": ["StructureParser"],
    "callnlp.text": ["Source", "load"],
    "callnlp.tokenize": ["Token", "TokenKind", "Tokenizer"],
    "callnlp.transformer": ["TransformerSentiment"],
}  # fmt: skip
_MODULE_OF = {name: module for module, names in _LAZY.items() for name in names}

__all__ = ["__version__", *sorted(_MODULE_OF)]


def __getattr__(name: str):
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'callnlp' has no attribute {name!r}")
    value = getattr(importlib.import_module(_MODULE_OF[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


class _Package(types.ModuleType):
    """The package, whose functions `display`, `evaluate`, `ingest`, `normalize` and
    `search` share their names with their modules: importing a module binds it on the
    package under its name, which would hide the function, so that binding is skipped."""

    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(value, types.ModuleType) and _MODULE_OF.get(name) == value.__name__:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
