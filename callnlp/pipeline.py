"""analyze(): one transcript in, one `CallAnalysis` out."""

from __future__ import annotations

import os
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from itertools import accumulate
from operator import countOf, itemgetter
from pathlib import Path
from typing import NamedTuple

from callnlp.answers import AnswerAssessor
from callnlp.collector import gc_paused
from callnlp.embed import Embedder
from callnlp.errors import CallnlpError, OptionError
from callnlp.figures import FigureExtractor
from callnlp.files import Failure, expand
from callnlp.metadata import check_metadata, infer_metadata, sidecar
from callnlp.normalize import HAN, Document, normalize
from callnlp.periods import call_period
from callnlp.record import (
    Call,
    CallAnalysis,
    Figure,
    Kind,
    Language,
    QAPair,
    Scope,
    Section,
    Sentence,
)
from callnlp.scoring import LexiconScorer, aggregate
from callnlp.sentences import MAX_CHARS, split_sentences
from callnlp.signals import call_signals
from callnlp.structure import Block, StructureParser
from callnlp.text import DEFAULT_MAX_BYTES, load
from callnlp.tokenize import Token, Tokenizer, TokenKind, default_tokenizer, terms, words
from callnlp.transformer import TransformerSentiment
from callnlp.workers import WARM_UP, in_order

_PART = 256
"""Sentences a part: a long text is tokenized and scored this many sentences at a time."""
_NOT_HAN = re.compile(f"[^{HAN}]+")
_NOT_LATIN = re.compile("[^A-Za-z]+")

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
        scorer: the lexicon scorer of tone and hedging (a default one otherwise).
        sentiment: a transformer backend that decides sentiment and tone instead of the
            lexicon (hedging and cues stay the lexicon's).
        answers: judges each question-answer pair (directness, specificity, evasion
            cues); a default one, without embeddings, otherwise.

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
        scorer: LexiconScorer | None = None,
        sentiment: TransformerSentiment | None = None,
        answers: AnswerAssessor | None = None,
    ) -> None:
        self.tokenizer = tokenizer or default_tokenizer()
        self.answers = answers or AnswerAssessor(self.tokenizer)
        self.scorer = scorer or LexiconScorer(self.tokenizer)
        self.sentiment = sentiment
        self.structure = StructureParser()
        self.max_bytes = max_bytes
        self.max_sentence_chars = max_sentence_chars

    @gc_paused
    def __call__(
        self,
        source: str | Path | bytes,
        *,
        name: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> CallAnalysis:
        """Analyze a transcript given as a path or as its bytes (the arguments as in
        `callnlp.analyze`)."""
        doc = normalize(load(source, name=name, max_bytes=self.max_bytes))
        if not isinstance(source, bytes):
            metadata = {**sidecar(Path(source)), **(metadata or {})}
        return self.document(doc, metadata=metadata)

    def each(self, paths: Iterable[str | Path], workers: int | None = 1) -> Iterator[CallAnalysis | Failure]:
        """Analyze the files that files, folders (recursively) and globs name (as `callnlp
        ingest` finds them): each file's record, or a `Failure` that names the file and why,
        so that a batch goes on past a bad file, in the order of the files. Paths that name
        no file come first.

        Args:
            paths: files, folders and glob patterns.
            workers: how many files are analyzed at once, each in a worker process forked
                from this one (None: one per core). With a sentiment model, files are analyzed
                here one by one: torch spreads its work over the cores itself, and its
                threads do not survive a fork.

        Raises:
            OptionError: `workers` is below 1.
            WorkerError: a worker process died (the records given until then are whole).

        Example:
            >>> [type(r).__name__ for r in Analyzer().each(["corpora/calls/en_*.txt", "nope.txt"])]
            ['Failure', 'CallAnalysis', 'CallAnalysis', 'CallAnalysis']
        """
        if workers is not None and workers < 1:
            raise OptionError(f"workers must be at least 1, not {workers}")
        files, failed = expand(paths)
        yield from failed
        workers = min(workers or os.cpu_count() or 1, len(files))
        if workers <= 1 or self.sentiment is not None:
            yield from map(self._file, files)
            return
        # an analyzer of the same parts with the default size limit, whatever this one's
        Analyzer(self.tokenizer, scorer=self.scorer, answers=self.answers)(WARM_UP)
        yield from in_order(self._file, files, workers)

    def _file(self, path: Path) -> CallAnalysis | Failure:
        """The record of one file of a batch, or why it has none."""
        try:
            return self(path)
        except CallnlpError as exc:
            return Failure(str(path), str(exc).removeprefix(f"{path}: "))

    @gc_paused
    def document(
        self, doc: Document, tokens: list[Token] | None = None, *, metadata: Mapping[str, str] | None = None
    ) -> CallAnalysis:
        """Analyze a normalized document, whose tokens (`self.tokenizer(doc.text,
        doc.offsets)`) may have been cut already: the spaCy tokenizer hands over its own.
        `metadata` wins over what the text says, as in `__call__`."""
        structure = self.structure(doc)
        pieces, language = self._sentences(doc, structure.blocks)
        parts = (
            self.tokenizer.parts(doc.text, doc.offsets, [p.nstart for p in pieces[_PART::_PART]])
            if tokens is None
            else [(tokens, None)]
        )
        speakers = frozenset(t.speaker for t in structure.turns if t.speaker)
        meta = infer_metadata(doc.text, speakers, doc.source.path)
        if metadata:
            check_metadata(metadata)
            meta = replace(meta, **metadata)
        # a period the file is named with is evidence; the text's own quarter a reading of it
        year, quarter = (int(meta.period[:4]), int(meta.period[5])) if meta.period else call_period(doc.text)
        figures = self._figures(doc, pieces, FigureExtractor(year, quarter))
        sentences, words_in_text = self._score(pieces, parts, figures)
        call = Call(
            id=doc.source.id,
            source=doc.source.path,
            language=language,
            company=meta.company,
            date=meta.date,
            ticker=meta.ticker,
            period=f"{year}Q{quarter}" if year and quarter else None,
            encoding=doc.source.encoding,
            tokens=words_in_text,
            warnings=doc.warnings,
        )
        result = CallAnalysis(
            call=call,
            sentences=tuple(sentences),
            turns=structure.turns,
            qa_pairs=self._assess(doc, pieces, structure.qa_pairs),
            figures=tuple(figures),
            aggregates=aggregate(sentences, structure.turns),
        )
        signals = call_signals(result)
        # the document tone is read with the signals, which read each sentence's events once
        aggregates = tuple(
            replace(g, document_tone=signals["tone_document"]) if g.scope is Scope.CALL else g
            for g in result.aggregates
        )
        return replace(result, signals=signals, aggregates=aggregates)

    def _score(
        self, pieces: list[_Piece], parts: Iterable[tuple[list[Token], int | None]], figures: list[Figure]
    ) -> tuple[list[Sentence], int]:
        """The sentences with their scores and token counts, and how many words and numbers
        the whole text holds, from its tokens a part at a time (`Tokenizer.parts`): each
        sentence is scored once every token it holds is given, and the tokens of the
        sentences scored are let go: tokens were half the memory of a long Chinese call."""
        guided = {f.sentence for f in figures if f.kind is Kind.GUIDANCE}
        ends = [s.end for s in pieces]
        out: list[Sentence] = []
        held: list[Token] = []  # the tokens of the sentences not yet scored
        counted = 0
        for tokens, until in parts:
            counted += len(tokens) - countOf(map(itemgetter(4), tokens), TokenKind.PUNCT)
            held += tokens
            done = len(out)
            upto = len(pieces) if until is None else bisect_right(ends, until, lo=done)
            if upto > done:
                out += self._scored(pieces[done:upto], held, {n - done for n in guided if done <= n < upto})
                if upto < len(pieces):
                    held = held[bisect_left(held, pieces[upto].start, key=itemgetter(1)) :]
        return out, counted

    def _scored(self, sentences: list[_Piece], tokens: list[Token], guided: set[int]) -> list[Sentence]:
        """Sentences with their scores and token counts, given their tokens (and maybe
        more), and which of them (by place in `sentences`) hold a guidance figure."""
        starts = list(map(itemgetter(1), tokens))
        bounds = [(bisect_left(starts, s.start), bisect_left(starts, s.end)) for s in sentences]
        scores = self.scorer.score(tokens, bounds, frozenset(guided), [s.text for s in sentences])
        tones = [(sc.sentiment, sc.tone) for sc in scores]
        if self.sentiment is not None and sentences:
            tones = self.sentiment([s.text for s in sentences])
        return [
            Sentence(
                s.index, s.turn, s.line, s.start, s.end, s.text, s.lang, sentiment, tone, sc.hedging,
                sc.hedged, sc.forward_looking, sc.cues, s.section, len(said := words(tokens[a:b])),
                terms(said),
            )
            for s, sc, (sentiment, tone), (a, b) in zip(sentences, scores, tones, bounds, strict=True)
        ]  # fmt: skip

    def _assess(self, doc: Document, pieces: list[_Piece], pairs: tuple[QAPair, ...]) -> tuple[QAPair, ...]:
        """The pairs with their answers judged; evasion cues point into the original file."""
        said: dict[int | None, list[_Piece]] = {}
        for piece in pieces:
            said.setdefault(piece.turn, []).append(piece)
        out = []
        for pair in pairs:
            parts = [part for turn in pair.answers for part in said.get(turn, ())]
            if not parts:
                out.append(pair)
                continue
            answer = "\n".join(s.text for s in parts)
            starts = list(accumulate((len(s.text) + 1 for s in parts[:-1]), initial=0))
            question = " ".join(s.text for s in said.get(pair.question, ()))
            judged = self.answers(question, answer, normalized=True)
            cues = []
            for cue in judged.evasion_cues:
                i = bisect_left(starts, cue.start + 1) - 1  # the answer sentence the cue is in
                piece = parts[i]
                local = cue.start - starts[i], min(cue.end - starts[i], len(piece.text))
                start, end = doc.span(piece.nstart + local[0], piece.nstart + local[1])
                cues.append(replace(cue, start=start, end=end))
            out.append(replace(pair, directness=judged.directness, specificity=judged.specificity,
                               evasion_cues=tuple(cues)))  # fmt: skip
        return tuple(out)

    def _figures(self, doc: Document, pieces: list[_Piece], extract: FigureExtractor) -> list[Figure]:
        out: list[Figure] = []
        found = extract.each([s.text for s in pieces], [s.turn for s in pieces])
        for piece, figures in zip(pieces, found, strict=True):
            for f in figures:
                start, end = doc.span(piece.nstart + f.start, piece.nstart + f.end)
                line = doc.source.line(start)
                out.append(replace(f, start=start, end=end, line=line, turn=piece.turn, sentence=piece.index))
        return out

    def _sentences(self, doc: Document, blocks: tuple[Block, ...]) -> tuple[list[_Piece], Language]:
        """The sentences of every block, unscored, and the language of the whole text."""
        out: list[_Piece] = []
        previous: Language | None = None
        weight: Counter[Language] = Counter()
        for block in blocks:
            chunk = doc.text[block.start : block.end]
            for start, end in split_sentences(chunk, self.max_sentence_chars):
                text = chunk[start:end]
                zh, en = _weights(text)
                # a sentence without letters (a figure, a dash) is in the language around it
                lang = (Language.ZH if zh >= en else Language.EN) if zh or en else previous
                previous = lang
                if lang is not None:
                    weight[lang] += max(zh, en)
                nstart = block.start + start
                ostart, oend = doc.span(nstart, block.start + end)
                line = doc.source.line(ostart)
                out.append(
                    _Piece(len(out), block.turn, line, ostart, oend, text, lang, block.section, nstart)
                )
        return out, _language(weight[Language.ZH], weight[Language.EN])


class _Piece(NamedTuple):
    """A sentence before it is scored, with where it starts in the normalized text. A tuple:
    the `Sentence` is made once, with its scores, and a frozen dataclass costs five times
    as much to make."""

    index: int
    turn: int | None
    line: int
    start: int
    end: int
    text: str
    lang: Language | None
    section: Section | None
    nstart: int


def _weights(text: str) -> tuple[int, int]:
    """(Chinese, English) weight of a text: a Han character counts as much as three Latin
    letters, about what each carries."""
    return 3 * len(_NOT_HAN.sub("", text)), len(_NOT_LATIN.sub("", text))


def _language(zh: int, en: int) -> Language:
    """The language of a text of these weights: mixed when each holds a fair share."""
    if min(zh, en) >= MIXED_SHARE * (zh + en) > 0:
        return Language.MIXED
    return Language.ZH if zh >= en else Language.EN


def analyze(
    source: str | Path | bytes,
    *,
    name: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    sentiment_model: str | None = None,
    embedder: Embedder | None = None,
    metadata: Mapping[str, str] | None = None,
) -> CallAnalysis:
    """Analyze one transcript with the default settings.

    Args:
        source: a path to the transcript, or its bytes.
        name: the name to use in messages when `source` is bytes.
        metadata: what is known of the call (`company`, `ticker`, `date`, `period` as
            YYYYQn): it wins over a sidecar FILE.json next to a path, which wins over what
            the text says; the period also places the figures' periods.
        max_bytes: inputs larger than this raise `InputTooLargeError`.
        sentiment_model: a sequence-classification model (name or local path) to decide
            sentiment instead of the lexicon; needs torch and transformers.
        embedder: blends the closeness in meaning of each question and its answer into
            the answer's directness, and feeds a learned tone/hedging head fitted with its
            embeddings (`callnlp.head`).

    Returns:
        The `CallAnalysis` record.

    Raises:
        InputError: the input cannot be read; the message names the file and the reason.

    Example:
        >>> analyze("CoreWeave一季度营收9.816亿美元。".encode()).call.language
        <Language.ZH: 'zh'>
    """
    sentiment = TransformerSentiment(sentiment_model) if sentiment_model else None
    answers = AnswerAssessor(embedder=embedder) if embedder else None
    scorer = LexiconScorer(embedder=embedder) if embedder else None
    return Analyzer(max_bytes=max_bytes, sentiment=sentiment, answers=answers, scorer=scorer)(
        source, name=name, metadata=metadata
    )
