"""The analysis record: what `callnlp analyze --json` prints and the store keeps.

The field names and values are a public contract (users parse the JSON and query the store
with SQL): extend it by adding fields, never by renaming or re-meaning one.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

import orjson


class Language(StrEnum):
    """The language of a call or a sentence."""

    ZH = "zh"
    EN = "en"
    MIXED = "mixed"


class Role(StrEnum):
    """Who a speaker is on the call."""

    EXECUTIVE = "executive"
    ANALYST = "analyst"
    OPERATOR = "operator"
    INTERPRETER = "interpreter"
    UNIDENTIFIED = "unidentified"
    OTHER = "other"


class Section(StrEnum):
    """The part of a call a turn or sentence belongs to."""

    PREPARED = "prepared"
    QA = "qa"
    OTHER = "other"


class Unit(StrEnum):
    """The unit of a figure's value. Money is in base units of its ISO currency."""

    USD = "USD"
    CNY = "CNY"
    HKD = "HKD"
    EUR = "EUR"
    GBP = "GBP"
    JPY = "JPY"
    USD_PER_SHARE = "USD_per_share"
    CNY_PER_SHARE = "CNY_per_share"
    HKD_PER_SHARE = "HKD_per_share"
    EUR_PER_SHARE = "EUR_per_share"
    GBP_PER_SHARE = "GBP_per_share"
    JPY_PER_SHARE = "JPY_per_share"
    PERCENT = "percent"
    PP = "pp"
    BP = "bp"
    MULTIPLE = "multiple"
    MW = "MW"
    GW = "GW"
    MWH = "MWh"
    GWH = "GWh"
    COUNT = "count"


class Kind(StrEnum):
    """What a figure reports: the period's own number, an outlook, a comparison, the market's."""

    ACTUAL = "actual"
    GUIDANCE = "guidance"
    PRIOR = "prior"
    CONSENSUS = "consensus"


class Relation(StrEnum):
    """Whether a figure is a level or a change (year over year, quarter over quarter, other)."""

    LEVEL = "level"
    YOY = "yoy"
    QOQ = "qoq"
    CHANGE = "change"


class Qualifier(StrEnum):
    """How exact a figure is said to be (约 approx, 超过 more_than, 以上 at_least ...)."""

    APPROX = "approx"
    MORE_THAN = "more_than"
    AT_LEAST = "at_least"
    LESS_THAN = "less_than"
    AT_MOST = "at_most"
    UP_TO = "up_to"


class Tone(StrEnum):
    """A scorer's decision on a sentence's tone."""

    POSITIVE = "positive"
    NEGATIVE = "negative"
    NEUTRAL = "neutral"


class CueKind(StrEnum):
    """What a cue word does in the scorer (the categories of models/lexicon_*.tsv)."""

    POSITIVE = "positive"
    NEGATIVE = "negative"
    HEDGE = "hedge"
    WEAK_MODAL = "weak_modal"
    STRONG_MODAL = "strong_modal"
    FORWARD = "forward"
    NEGATOR = "negator"
    INTENSIFIER = "intensifier"
    DIMINISHER = "diminisher"
    CONTRAST = "contrast"
    INCREASE = "increase"
    DECREASE = "decrease"
    EVASION = "evasion"


class Scope(StrEnum):
    """What an aggregate of sentence scores is taken over."""

    CALL = "call"
    SECTION = "section"
    ROLE = "role"
    SPEAKER = "speaker"
    TURN = "turn"


@dataclass(frozen=True)
class Cue:
    """A word or phrase the scorer acted on; `start` and `end` point into the original file."""

    text: str
    kind: CueKind
    start: int
    end: int


@dataclass(frozen=True)
class Figure:
    """One financial figure.

    `value` holds a single amount; a range has `low` and `high` instead (value None).
    Amounts are in base units (9.816亿美元 is 981600000.0 USD); percent, pp and bp are as
    written (23.4% is 23.4). `text` is the normalized text of the mention; `line`, `start`
    and `end` point into the original file; `turn` and `sentence` are indexes.
    """

    metric: str
    value: float | None
    low: float | None
    high: float | None
    unit: Unit | None
    kind: Kind
    relation: Relation
    period: str | None
    qualifier: Qualifier | None
    text: str
    line: int
    start: int
    end: int
    turn: int | None
    sentence: int | None


@dataclass(frozen=True)
class Turn:
    """One speaker's turn.

    Attributes:
        index: position among the call's turns, from 0.
        speaker: the name as written, or None for an unnamed speaker (主持人, 问, Operator).
        role: executive, analyst, operator, interpreter, unidentified or other.
        title: the job title when stated anywhere in the call (首席执行官, Chief Financial Officer).
        firm: the analyst's firm when stated (摩根士丹利, Mizuho).
        section: prepared, qa or other.
        translates: for an interpreter's turn, the index of the turn it renders.
        line: 1-based line of the turn's header in the original file.
        start, end: the turn's span (header and speech) in the original file.
    """

    index: int
    speaker: str | None
    role: Role
    title: str | None
    firm: str | None
    section: Section
    translates: int | None
    line: int
    start: int
    end: int


@dataclass(frozen=True)
class QAPair:
    """An analyst's question turn and the management turns that answer it.

    Attributes:
        question: the index of the question's turn.
        answers: the indexes of the turns that answer it.
        directness: how directly the answers take up what was asked, in [0, 1]: shared
            content words, the asked metric, period and numbers answered, evasion cues
            against (`callnlp.answers`); None when the answers say nothing.
        specificity: how specific the answers are, in [0, 1]: figures, periods and names
            against generic words.
        evasion_cues: the phrases that decline or defer (`we don't guide to that`,
            不便透露), kind `evasion`, pointing into the original file.
    """

    question: int
    answers: tuple[int, ...]
    directness: float | None = None
    specificity: float | None = None
    evasion_cues: tuple[Cue, ...] = ()


@dataclass(frozen=True)
class Call:
    """What identifies a call.

    Attributes:
        id: sha256 of the original bytes.
        source: the file it was read from, or None.
        language: zh, en, or mixed when each language holds at least a fifth of the text.
        company, date, period: read from the text (`callnlp.metadata`; the period from
            its own quarter), None when it does not say; ingest can override them.
        encoding: the encoding the file was decoded with.
        tokens: the number of tokens (words, numbers, codes; not punctuation).
        warnings: what had to be repaired to read the file.
        ticker: the ticker when the transcript states it (`Helios Grid Systems (HGRD)`).
    """

    id: str
    source: str | None
    language: Language
    company: str | None = None
    date: str | None = None
    period: str | None = None
    encoding: str = "utf-8"
    tokens: int = 0
    warnings: tuple[str, ...] = ()
    ticker: str | None = None


@dataclass(frozen=True)
class Sentence:
    """One sentence, with its place in the original file.

    `text` is the normalized text that was analyzed; `line`, `start` and `end` point into
    the original file, so `original[start:end]` shows the source as the user has it.
    `turn` is the index of the turn it was said in (None outside any turn), `section` that
    turn's section. Scores stay None until a scorer fills them: `sentiment` in [-1, 1] and
    `tone` its decision, `hedging` in [0, 1] and `hedged` its decision, `forward_looking`,
    and the `cues` that decided them. `tokens` counts words and numbers, not punctuation;
    `terms` are those words as the tokenizer cut them, lower case and space-joined (what
    full-text search indexes: Chinese segmented, so BM25 works for both languages).
    """

    index: int
    turn: int | None
    line: int
    start: int
    end: int
    text: str
    lang: Language | None
    sentiment: float | None = None
    tone: str | None = None
    hedging: float | None = None
    hedged: bool | None = None
    forward_looking: bool | None = None
    cues: tuple[Cue, ...] = ()
    section: Section = Section.OTHER
    tokens: int = 0
    terms: str = ""


@dataclass(frozen=True)
class Aggregate:
    """Sentence scores summed up over a part of the call.

    Attributes:
        scope: call, section, role, speaker or turn.
        key: the section, role, speaker name or turn index (as text); None for the call.
        sentences: how many sentences it holds; tokens: their words and numbers.
        net_tone: the mean sentiment of its sentences, in [-1, 1].
        hedging_density: hedge cues (hedges and weak modals) per 100 tokens.
        hedged_share: the share of its sentences the scorer called hedged.
        forward_share: the share of its sentences that look forward.
        document_tone: for the call: its tone as a reader weighs it, in [-1, 1]: the
            headline and lead, conclusions, events and strong sentences count more,
            neutral ones less, the operator and analysts not at all (`callnlp.tone`);
            None for the other scopes.
    """

    scope: Scope
    key: str | None
    sentences: int
    tokens: int
    net_tone: float
    hedging_density: float
    hedged_share: float
    forward_share: float
    document_tone: float | None = None


@dataclass(frozen=True)
class CallAnalysis:
    """The whole record of one call."""

    call: Call
    sentences: tuple[Sentence, ...] = ()
    turns: tuple[Turn, ...] = ()
    qa_pairs: tuple[QAPair, ...] = ()
    figures: tuple[Figure, ...] = ()
    signals: dict[str, Any] = field(default_factory=dict)
    aggregates: tuple[Aggregate, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON-ready data, in the documented field order."""
        return asdict(self)

    def to_json(self, indent: int | None = 2) -> str:
        """The record as JSON text (UTF-8 characters, not escapes), indented by 2 or, with
        None, on one line.

        orjson writes the dataclasses directly, the same bytes as the standard library's
        `json.dumps(to_dict(), ensure_ascii=False, indent=2)` at a twentieth of the time (which
        was a third of `analyze --json`); another indent goes through the standard library.
        """
        if indent not in (None, 2):
            return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)
        return self.to_json_bytes(indent).decode()

    def to_json_bytes(self, indent: int | None = 2) -> bytes:
        """`to_json` as UTF-8 bytes, for writing to a file or a pipe without the round trip
        through a str (the record is about eight times the size of its text)."""
        if indent not in (None, 2):
            return self.to_json(indent).encode()
        return orjson.dumps(self, option=orjson.OPT_INDENT_2 if indent else 0)
