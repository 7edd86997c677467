"""Per-call signals for trading research: tone, hedging, transparency, Q&A shape, guidance.

`call_signals(record)` computes one call's numbers (the record's `signals`, stored with
it); `with_changes(rows)` adds, for each call, the change of every number against the same
company's previous call. Column meanings are listed in `COLUMNS` (and the README, whose
table `markdown()` writes).
Interpreter turns repeat another turn in a second language, so they are left out of every
count here: a call is not twice as hedged for being interpreted.

Every signal that needs roles or sections has a whole-call version for transcripts without
speaker headers (`tone_call`, `hedging_call`, `evasion_per_1k_tokens` over all speech,
`tone_trend` by thirds of the call), and `sections_seen` / `roles_seen` say what the call's
structure let the signals see.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from functools import cache
from statistics import mean
from typing import Any

from callnlp.answers import evasion_spans
from callnlp.events import events_in_all
from callnlp.figures import metric_aliases, metric_goods
from callnlp.record import CallAnalysis, Figure, Kind, Role, Section, Sentence, Unit
from callnlp.scoring import hedging_density, net_tone
from callnlp.tone import document_tone

GUIDED_METRICS = ("revenue", "capex", "operating_income", "adjusted_operating_income")
_HORIZONS = ("quarter", "year")
_GUIDES = tuple(f"guidance_{m}_{h}" for m in GUIDED_METRICS for h in _HORIZONS)
_MONEY = {Unit.USD, Unit.CNY, Unit.HKD, Unit.EUR, Unit.GBP, Unit.JPY}
END_SHARE = 1 / 3
"""`tone_trend` compares the last third of the Q&A (or of the call) with the script (or the
first third): where a call ends up after the questions, not one closing pleasantry."""

COLUMNS: dict[str, str] = {
    "mgmt_tone_prepared": "mean sentiment (-1..1) of executives' sentences in prepared remarks",
    "mgmt_tone_qa": "mean sentiment of executives' sentences in the Q&A (their answers)",
    "analyst_tone": "mean sentiment of analysts' sentences (their questions)",
    "hedging_prepared": "hedge cues (hedges, weak modals) per 100 tokens in prepared remarks",
    "hedging_qa": "hedge cues per 100 tokens in the Q&A",
    "hedging_mgmt_prepared": "hedge cues per 100 tokens of executives in prepared remarks",
    "hedging_mgmt_qa": "hedge cues per 100 tokens of executives in the Q&A",
    "hedging_analyst": "hedge cues per 100 tokens of analysts",
    "hedged_share": "share of sentences the scorer called hedged",
    "forward_share": "share of sentences that look forward",
    "figures_per_1k_tokens": "numeric transparency: figures per 1,000 tokens",
    "questions": "number of analyst questions (question-answer pairs)",
    "analysts": "number of distinct analysts who asked",
    "answer_to_question_length": "mean over Q&A pairs of answer tokens / question tokens",
    **{
        name: text
        for m in GUIDED_METRICS
        for h in _HORIZONS
        for name, text in (
            (
                f"guidance_{m}_{h}",
                f"midpoint of the first {m.replace('_', ' ')} guidance for a "
                f"{'quarter' if h == 'quarter' else 'fiscal year'} (currency units)",
            ),
            (
                f"guidance_{m}_{h}_period",
                f"the period that guidance is for ({'2025Q2' if h == 'quarter' else 'FY2025'})",
            ),
            (f"guidance_{m}_{h}_unit", "the currency of that guidance (USD, CNY ...)"),
        )
    },
    "sections_seen": "the sections the call's structure found (prepared, qa); empty without speaker headers",
    "roles_seen": "the roles found among its speakers (analyst, executive ...), empty when none is known",
    "tokens": "words and numbers said (interpreters left out)",
    "tone_call": "mean sentiment (-1..1) of every sentence said: the whole-call tone",
    "tone_document": "the call's tone as a reader weighs it (-1..1): headline and lead, conclusions, events "
    "and strong sentences count more, neutral ones less, operator and analysts not at all",
    "tone_dispersion": "standard deviation of sentence sentiment over the call",
    "tone_trend": "mean sentiment of the last third of the Q&A minus that of the prepared remarks "
    "(without sections: last third of the call minus first third)",
    "hedging_call": "hedge cues per 100 tokens over the whole call: its uncertainty density",
    "negative_share": "share of sentences the scorer called negative",
    "positive_share": "share of sentences the scorer called positive",
    "directness": "mean over Q&A pairs of how directly the answer takes up the question (0..1)",
    "specificity": "mean over Q&A pairs of how specific the answer is: figures, periods, names (0..1)",
    "evasive_answers": "share of Q&A pairs whose answer declines or defers (an evasion cue)",
    "evasion_per_1k_tokens": "evasion cues (`we don't guide to that`, 不便透露) per 1,000 tokens of the "
    "answers, or of the whole call when it has no question-answer pairs",
    "guidance_figures": "number of guidance figures (outlook amounts, ranges, rates)",
    "guidance_raised": "sentences that say guidance was raised (raising our outlook, 上调指引)",
    "guidance_cut": "sentences that say guidance was cut (lowering our guidance, 下调指引)",
    "guidance_withdrawn": "sentences that say guidance was withdrawn or suspended (撤回指引)",
    "guidance_maintained": "sentences that say guidance was reaffirmed (维持指引)",
    "beats": "results above expectations: sentences that say so (ahead of expectations, 超预期) and "
    "figures above the consensus the call states for the same metric and period",
    "misses": "results below expectations, the same way (fell short of consensus, 不及预期)",
}
"""Every signal column and what it measures. `with_changes` adds `<column>_change` for the
numeric ones: the difference to the same company's previous call (guidance only when both
calls guide the same period in the same currency, so a raised or lowered guide shows as a
positive or negative change), and `guidance_revision`."""

REVISION = (
    "guidance_revision",
    "guidance raised minus guidance cut against the company's previous call: the guided "
    "metrics whose midpoint for the same period went up, less those that went down",
)
"""The one column `with_changes` derives across calls, besides the changes."""


def call_signals(analysis: CallAnalysis) -> dict[str, Any]:
    """The signals of one call (see `COLUMNS`).

    Example:
        >>> from callnlp import analyze
        >>> text = "Acme Q1 2025\\nWe raise our outlook to Q2 revenue of $10 million to $12 million."
        >>> signals = call_signals(analyze(text.encode()))
        >>> signals["guidance_revenue_quarter"], signals["guidance_raised"]
        (11000000.0, 1)
    """
    turns = analysis.turns
    skip = {t.index for t in turns if t.translates is not None or t.role is Role.INTERPRETER}
    said = [s for s in analysis.sentences if s.turn not in skip]

    def role_of(s: Sentence) -> Role | None:
        return turns[s.turn].role if s.turn is not None else None

    mgmt = [s for s in said if role_of(s) is Role.EXECUTIVE]
    analysts = [s for s in said if role_of(s) is Role.ANALYST]
    prepared = [s for s in said if s.section is Section.PREPARED]
    qa = [s for s in said if s.section is Section.QA]
    tokens = sum(s.tokens for s in said)
    figures = [f for f in analysis.figures if f.turn not in skip]
    pairs = [p for p in analysis.qa_pairs if p.directness is not None]
    stated = events_in_all([s.text for s in said])
    events = Counter(event for found in stated for event in found)
    beats, misses = _against_consensus(figures)
    out: dict[str, Any] = {
        "sections_seen": _seen(s.section for s in said if s.section is not Section.OTHER),
        "roles_seen": _seen(t.role for t in turns if t.role not in (Role.UNIDENTIFIED, Role.OTHER)),
        "tokens": tokens,
        "tone_call": _tone(said),
        "tone_document": document_tone(said, turns, stated),
        "tone_dispersion": _dispersion([s.sentiment for s in said]),
        "tone_trend": _trend(said, prepared, qa),
        "negative_share": _share(said, lambda s: s.tone == "negative"),
        "positive_share": _share(said, lambda s: s.tone == "positive"),
        "mgmt_tone_prepared": _tone([s for s in mgmt if s.section is Section.PREPARED]),
        "mgmt_tone_qa": _tone([s for s in mgmt if s.section is Section.QA]),
        "analyst_tone": _tone(analysts),
        "hedging_call": _density(said),
        "hedging_prepared": _density(prepared),
        "hedging_qa": _density(qa),
        "hedging_mgmt_prepared": _density([s for s in mgmt if s.section is Section.PREPARED]),
        "hedging_mgmt_qa": _density([s for s in mgmt if s.section is Section.QA]),
        "hedging_analyst": _density(analysts),
        "hedged_share": _share(said, lambda s: s.hedged),
        "forward_share": _share(said, lambda s: s.forward_looking),
        "figures_per_1k_tokens": round(1000 * len(figures) / tokens, 4) if tokens else None,
        "questions": len(analysis.qa_pairs),
        "analysts": len({turns[p.question].speaker or f"#{p.question}" for p in analysis.qa_pairs}),
        "answer_to_question_length": _answer_ratio(analysis, said),
        "directness": round(mean(p.directness for p in pairs), 4) if pairs else None,
        "specificity": round(mean(p.specificity for p in pairs), 4) if pairs else None,
        "evasive_answers": _share(pairs, lambda p: bool(p.evasion_cues)),
        "evasion_per_1k_tokens": _evasion(analysis, skip, said),
        "guidance_figures": sum(f.kind is Kind.GUIDANCE for f in figures),
        "guidance_raised": events["guidance_raised"],
        "guidance_cut": events["guidance_cut"],
        "guidance_withdrawn": events["guidance_withdrawn"],
        "guidance_maintained": events["guidance_maintained"],
        "beats": events["beat"] + beats,
        "misses": events["miss"] + misses,
    }
    for metric in GUIDED_METRICS:
        for horizon in _HORIZONS:
            value, period, unit = _guidance(figures, metric, horizon)
            out[f"guidance_{metric}_{horizon}"] = value
            out[f"guidance_{metric}_{horizon}_period"] = period
            out[f"guidance_{metric}_{horizon}_unit"] = unit
    return {column: out[column] for column in COLUMNS}


HEAD = ("call_id", "company", "ticker", "date", "period", "language")
"""The columns of the signal table that say which call a row is."""
TEXT = ("sections_seen", "roles_seen")
COUNTS = (
    "questions", "analysts", "tokens", "guidance_figures", "guidance_raised", "guidance_cut",
    "guidance_withdrawn", "guidance_maintained", "beats", "misses",
)  # fmt: skip


def dtypes() -> dict[str, str]:
    """The pandas type of every column of the signal table, in order: the table keeps them
    whatever the data (a column no call fills is still a number column, not `object`).

    Example:
        >>> t = dtypes()
        >>> t["company"], t["questions"], t["hedging_qa_change"], t["guidance_capex_year_unit"]
        ('string', 'Int64', 'float64', 'string')
    """
    types = dict.fromkeys(HEAD, "string")
    for column in COLUMNS:
        types[column] = "string" if _text(column) else "Int64" if column in COUNTS else "float64"
    for column in COLUMNS:
        if not _text(column):
            types[f"{column}_change"] = "float64"
    types[REVISION[0]] = "Int64"
    return types


def markdown() -> str:
    """The README's table of signal columns, written from `COLUMNS` (a test keeps the README
    equal to it): `python -m callnlp.signals` prints it."""
    rows = ["| column | meaning |", "|---|---|"]
    guides = {
        f"guidance_{m}_{h}{part}"
        for m in GUIDED_METRICS
        for h in _HORIZONS
        for part in ("", "_period", "_unit")
    }
    for column, text in COLUMNS.items():
        if column not in guides:
            rows.append(f"| `{column}` | {text} |")
        elif column == f"guidance_{GUIDED_METRICS[0]}_quarter":
            metrics = ", ".join(GUIDED_METRICS)
            rows += [
                f"| `guidance_<metric>_<quarter\\|year>` | midpoint of the first money guidance for that "
                f"metric ({metrics}) for a quarter or a fiscal year, in currency units |",
                "| `guidance_<metric>_<quarter\\|year>_period`, `_unit` | the period (2025Q2, FY2025) and "
                "currency of that guidance |",
            ]
    rows += [
        "| `<column>_change` | for every numeric column: the change against the same company's previous "
        "stored call (for guidance, only when both guide the same period in the same currency, so a "
        "raise is positive and a cut negative); empty for a company's first call |",
        f"| `{REVISION[0]}` | {REVISION[1]} |",
    ]
    return "\n".join(rows)


def with_changes(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows (one per call, with ticker, company and date) plus `<column>_change` against the
    same company's previous call (known by its ticker, else its name) and `guidance_revision`;
    the first call of a company, and a call of no known company, get None."""
    rows = sorted(rows, key=lambda r: (_company_key(r), r.get("date") or "", r.get("period") or ""))
    previous: dict[str, dict[str, Any]] = {}
    out = []
    for row in rows:
        key = _company_key(row)
        before = previous.get(key) if key else None
        row = dict(row)
        for column in COLUMNS:
            if not _text(column) and column in row:
                row[f"{column}_change"] = _change(row, before, column)
        moves = [row.get(f"{c}_change") for c in _GUIDES]
        known = [m for m in moves if m is not None]
        row[REVISION[0]] = sum((m > 0) - (m < 0) for m in known) if known else None
        if key:
            previous[key] = row
        out.append(row)
    return out


def _text(column: str) -> bool:
    return column in TEXT or column.endswith(("_period", "_unit"))


def _company_key(row: dict[str, Any]) -> str:
    return row.get("ticker") or row.get("company") or ""


def _change(row: dict[str, Any], before: dict[str, Any] | None, column: str) -> float | None:
    if before is None or row.get(column) is None or before.get(column) is None:
        return None
    if column in _GUIDES and any(
        row.get(f"{column}_{part}") != before.get(f"{column}_{part}") for part in ("period", "unit")
    ):
        return None
    return round(row[column] - before[column], 6)


def _dispersion(values: list[float]) -> float | None:
    """The population standard deviation (statistics.pstdev computes it exactly, in
    fractions, at a hundred times the cost)."""
    if len(values) < 2:
        return None
    centre = sum(values) / len(values)
    return round(math.sqrt(sum((v - centre) ** 2 for v in values) / len(values)), 4)


def _seen(values: Iterable[Section | Role]) -> str | None:
    return ",".join(sorted({v.value for v in values})) or None


def _trend(said: list[Sentence], prepared: list[Sentence], qa: list[Sentence]) -> float | None:
    """The tone at the end of the Q&A against the script; by thirds of the call without them."""
    if not (prepared and qa):
        prepared, qa = said[: int(len(said) * END_SHARE)], said
    end = qa[len(qa) - int(len(qa) * END_SHARE) :] if len(qa) >= 1 / END_SHARE else []
    return round(net_tone(end) - net_tone(prepared), 4) if end and prepared else None


def _against_consensus(figures: list[Figure]) -> tuple[int, int]:
    """(beats, misses): the call's actual figures above or below the consensus it states for
    the same metric, period, unit and relation, read by whether growth of the metric is good."""
    consensus = {_slot(f): f for f in figures if f.kind is Kind.CONSENSUS and _point(f) is not None}
    beats = misses = 0
    for f in figures:
        expected = consensus.get(_slot(f)) if f.kind is Kind.ACTUAL else None
        if expected is None or _point(f) is None or _point(f) == _point(expected):
            continue
        good = _goods().get(f.metric)
        if good in ("up", "down"):
            above = _point(f) > _point(expected)
            beats += above == (good == "up")
            misses += above != (good == "up")
    return beats, misses


def _slot(f: Figure) -> tuple:
    return f.metric, f.period, f.unit, f.relation


def _point(f: Figure) -> float | None:
    return (
        f.value
        if f.value is not None
        else (f.low + f.high) / 2
        if f.low is not None and f.high is not None
        else None
    )


@cache
def _goods() -> dict[str, str]:
    """Metric -> whether its growth is good (up, down, none), from models/metrics.tsv."""
    goods = metric_goods()
    return {metric: goods[aliases[0]] for metric, aliases in metric_aliases().items()}


def _evasion(analysis: CallAnalysis, skip: set[int], said: list[Sentence]) -> float | None:
    """Evasion cues per 1,000 tokens of the answers, as the pairs found them; of the whole
    call when it has no question-answer pairs (refusals are said in answers)."""
    answers = {turn for p in analysis.qa_pairs for turn in p.answers} - skip
    if answers:
        speech = [s for s in said if s.turn in answers]
        cues = sum(len(p.evasion_cues) for p in analysis.qa_pairs)
    else:
        speech = said
        cues = sum(len(evasion_spans(s.text)) for s in said)
    tokens = sum(s.tokens for s in speech)
    return round(1000 * cues / tokens, 4) if tokens else None


def _tone(sentences: list[Sentence]) -> float | None:
    return round(net_tone(sentences), 4) if sentences else None


def _density(sentences: list[Sentence]) -> float | None:
    return round(hedging_density(sentences), 4) if any(s.tokens for s in sentences) else None


def _share(sentences: list[Sentence], test) -> float | None:
    return round(sum(1 for s in sentences if test(s)) / len(sentences), 4) if sentences else None


def _answer_ratio(analysis: CallAnalysis, said: list[Sentence]) -> float | None:
    tokens: dict[int, int] = {}
    for s in said:
        if s.turn is not None:
            tokens[s.turn] = tokens.get(s.turn, 0) + s.tokens
    ratios = [
        sum(tokens.get(a, 0) for a in p.answers) / tokens[p.question]
        for p in analysis.qa_pairs
        if tokens.get(p.question)
    ]
    return round(mean(ratios), 4) if ratios else None


def _guidance(
    figures: list[Figure], metric: str, horizon: str
) -> tuple[float | None, str | None, str | None]:
    """The first money guidance for `metric` whose period is a quarter (2025Q2) or a fiscal
    year (FY2025), as a midpoint."""
    for f in figures:
        if f.kind is not Kind.GUIDANCE or f.metric != metric or f.unit not in _MONEY or not f.period:
            continue
        if (horizon == "year") != f.period.startswith("FY"):
            continue
        value = _point(f)
        if value is not None:
            return round(value, 4), f.period, f.unit.value
    return None, None, None


if __name__ == "__main__":
    print(markdown())
