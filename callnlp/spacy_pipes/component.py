"""The `callnlp` pipeline component, and `annotate`, which fills a Doc with a record."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import numpy
from spacy.attrs import IDX, IS_SPACE, LENGTH, SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Span

from callnlp.errors import EmptyInputError
from callnlp.record import CallAnalysis
from callnlp.spacy_pipes import extensions
from callnlp.spacy_pipes.tokenizer import MADE, utf8

if TYPE_CHECKING:
    from callnlp.pipeline import Analyzer


class CallnlpComponent:
    """The `callnlp` pipeline component: callnlp's analysis of `doc.text`, as spans,
    sentence starts and extension attributes (see `callnlp.spacy_pipes`).

    It works on a Doc from any tokenizer; with `CallnlpTokenizer` the spans fit the tokens
    exactly and the text is tokenized once (the analysis takes the tokens the tokenizer
    made). Place it before a parser: it sets sentence starts.

    Args:
        name: the component's name in the pipeline.

    Example:
        >>> import spacy
        >>> nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "callnlp_tokenizer"}}})
        >>> _ = nlp.add_pipe("callnlp")
        >>> doc = nlp("公司预计全年收入约49亿美元。但需求可能放缓。")
        >>> [(s.text, s.label_, s._.figure.value) for s in doc.spans["figures"]]
        [('49亿美元', 'revenue', 4900000000.0)]
        >>> [(s.text, s._.hedging) for s in doc.sents]
        [('公司预计全年收入约49亿美元。', 0.2929), ('但需求可能放缓。', 0.5)]
    """

    def __init__(self, name: str = "callnlp") -> None:
        self.name = name
        extensions.register()

    @cached_property
    def analyzer(self) -> Analyzer:
        """One `Analyzer` for every Doc."""
        from callnlp.pipeline import Analyzer

        return Analyzer()

    def __call__(self, doc: Doc) -> Doc:
        """Analyze `doc.text` and fill `doc` (a Doc of nothing but whitespace gets empty
        groups and no record).

        Raises:
            InputError: the text is binary (control characters) or holds a lone surrogate.
        """
        made = MADE.pop(doc, None)
        if made is not None:  # CallnlpTokenizer's Doc: its text is normalized and cut already
            return annotate(doc, self.analyzer.document(*made))
        try:
            analysis = self.analyzer(utf8(doc.text))
        except EmptyInputError:
            analysis = None
        return annotate(doc, analysis)

    def __reduce__(self) -> tuple[type, tuple[str]]:
        # a process that unpickles it (spawned workers) makes its own analyzer
        return CallnlpComponent, (self.name,)


@Language.factory("callnlp", assigns=["doc.spans", "token.is_sent_start", "doc._.call", "doc._.misaligned"])
def make_component(nlp: Language, name: str) -> CallnlpComponent:
    """The `callnlp` factory (also its `spacy_factories` entry point)."""
    return CallnlpComponent(name)


def annotate(doc: Doc, analysis: CallAnalysis | None) -> Doc:
    """Fill `doc` with a record of its text: what the `callnlp` component does after the
    analysis, for a record made elsewhere (`callnlp.analyze`, the store).

    Args:
        doc: a Doc of the text the record was made from (`doc.text` is that text).
        analysis: the record, or None for a text with nothing to analyze.

    Returns:
        `doc`, filled.

    Example:
        >>> import callnlp, spacy
        >>> text = "Revenue grew 12% to $5 million."
        >>> doc = annotate(spacy.blank("en")(text), callnlp.analyze(text.encode()))
        >>> [(s.text, s.label_) for s in doc.spans["figures"]]
        [('12%', 'revenue'), ('$5 million', 'revenue')]
    """
    extensions.register()
    doc.user_data[extensions.RECORD] = analysis
    groups: dict[str, list[Span]] = {"figures": [], "cues": [], "turns": []}
    tokens = _Tokens(doc)
    sentences = tokens.expand(())
    if analysis is not None:
        found = (
            ("figures", analysis.figures, "metric"),
            ("cues", extensions.cues(analysis), "kind.value"),
            ("turns", analysis.turns, "role.value"),
        )
        for group, items, label in found:
            spans = zip(*tokens.expand(items), map(attrgetter(label), items), strict=True)
            groups[group] = [Span(doc, a, b, label=x, span_id=i + 1) for i, (a, b, x) in enumerate(spans)]
        sentences = tokens.expand(analysis.sentences)
    if len(doc):
        doc.from_array([SENT_START], tokens.sent_starts(*sentences))
    doc.spans.update(groups)
    doc._.misaligned = tokens.widened
    return doc


class _Tokens:
    """Where a Doc's tokens stand, to turn many character offsets into token spans at
    once (`Doc.char_span` one by one cost a twentieth of the pipeline's time)."""

    def __init__(self, doc: Doc) -> None:
        idx, length, space = doc.to_array([IDX, LENGTH, IS_SPACE]).astype("int64").T
        self.starts, self.ends = idx, idx + length
        # the first token that is not whitespace at or after each position, and past the end
        n = len(idx)
        solid = numpy.where(space == 0, numpy.arange(n), n)
        self.next_solid = numpy.append(numpy.minimum.accumulate(solid[::-1])[::-1], n)
        self.widened = 0

    def expand(self, items: Sequence[Any]) -> tuple[list[int], list[int]]:
        """The token span [first, last) of each item's [start, end), widened to whole
        tokens as `alignment_mode="expand"` does; `widened` counts the items that were."""
        starts = numpy.fromiter(map(attrgetter("start"), items), "int64", len(items))
        ends = numpy.fromiter(map(attrgetter("end"), items), "int64", len(items))
        first = numpy.searchsorted(self.ends, starts, side="right")  # the token holding start
        last = numpy.searchsorted(self.starts, ends, side="left")  # after the token holding end - 1
        self.widened += int(((self.starts[first] != starts) | (self.ends[last - 1] != ends)).sum())
        return first.tolist(), last.tolist()

    def sent_starts(self, first: list[int], last: list[int]) -> numpy.ndarray:
        """SENT_START of every token: each sentence [first, last) starts one, and so does
        the text after it that is in no sentence (a header, a heading), from its first
        token that is not whitespace."""
        n = len(self.starts)
        starts = numpy.full(n, -1, dtype="int64")
        starts[0] = 1
        starts[first] = 1
        after = self.next_solid[last]
        starts[after[after < numpy.array([*first[1:], n], dtype="int64")]] = 1
        return starts.astype("uint64")  # from_array reads uint64, -1 as its two's complement
