"""Per-call signals for trading research: tone, hedging, transparency, Q&A shape, guidance.

`call_signals(record)` computes one call's numbers (the record's `signals`, stored with
it); `with_changes(rows)` adds, for each call, the change of every number against the same
company's previous call. Column meanings are listed in `COLUMNS` (and the README).
Interpreter turns repeat another turn in a second language, so they are left out of every
count here: a call is not twice as hedged for being interpreted.
"""

from __future__ import annotations

from collections.abc import Iterable
from statistics import mean
from typing import Any

from callnlp.record import CallAnalysis, Figure, Kind, Role, Section, Sentence, Unit
from callnlp.scoring import hedging_density, net_tone

GUIDED_METRICS = ("revenue", "capex", "operating_income", "adjusted_operating_income")
_MONEY = {Unit.USD, Unit.CNY, Unit.HKD, Unit.EUR, Unit.GBP, Unit.JPY}

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
        for h in ("quarter", "year")
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
}
"""Every signal column and what it measures. `with_changes` adds `<column>_change` for the
numeric ones: the difference to the same company's previous call (guidance only when both
calls guide the same period in the same currency, so a raised or lowered guide shows as a positive or negative
change)."""


def call_signals(analysis: CallAnalysis) -> dict[str, Any]:
    """The signals of one call (see `COLUMNS`).

    Example:
        >>> from callnlp import analyze
        >>> text = "Acme (ACM) Q1 2025\\nWe expect Q2 revenue of $10 million to $12 million."
        >>> call_signals(analyze(text.encode()))["guidance_revenue_quarter"]
        11000000.0
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
    out: dict[str, Any] = {
        "mgmt_tone_prepared": _tone([s for s in mgmt if s.section is Section.PREPARED]),
        "mgmt_tone_qa": _tone([s for s in mgmt if s.section is Section.QA]),
        "analyst_tone": _tone(analysts),
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
    }
    for metric in GUIDED_METRICS:
        for horizon in ("quarter", "year"):
            value, period, unit = _guidance(figures, metric, horizon)
            out[f"guidance_{metric}_{horizon}"] = value
            out[f"guidance_{metric}_{horizon}_period"] = period
            out[f"guidance_{metric}_{horizon}_unit"] = unit
    return out


HEAD = ("call_id", "company", "ticker", "date", "period", "language")
"""The columns of the signal table that say which call a row is."""
COUNTS = ("questions", "analysts")


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
        text = column.endswith(("_period", "_unit"))
        types[column] = "string" if text else "Int64" if column in COUNTS else "float64"
    for column in COLUMNS:
        if not column.endswith(("_period", "_unit")):
            types[f"{column}_change"] = "float64"
    return types


def with_changes(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows (one per call, with ticker, company and date) plus `<column>_change` against the
    same company's previous call (known by its ticker, else its name); the first call of a
    company, and a call of no known company, get None."""
    rows = sorted(rows, key=lambda r: (_company_key(r), r.get("date") or "", r.get("period") or ""))
    previous: dict[str, dict[str, Any]] = {}
    out = []
    for row in rows:
        key = _company_key(row)
        before = previous.get(key) if key else None
        row = dict(row)
        for column in COLUMNS:
            if column.endswith(("_period", "_unit")) or column not in row:
                continue
            row[f"{column}_change"] = _change(row, before, column)
        if key:
            previous[key] = row
        out.append(row)
    return out


def _company_key(row: dict[str, Any]) -> str:
    return row.get("ticker") or row.get("company") or ""


def _change(row: dict[str, Any], before: dict[str, Any] | None, column: str) -> float | None:
    if before is None or row.get(column) is None or before.get(column) is None:
        return None
    if column.startswith("guidance_") and any(
        row.get(f"{column}_{part}") != before.get(f"{column}_{part}") for part in ("period", "unit")
    ):
        return None
    return round(row[column] - before[column], 6)


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
        value = f.value if f.value is not None else (f.low + f.high) / 2 if f.low is not None else None
        if value is not None:
            return round(value, 4), f.period, f.unit.value
    return None, None, None
