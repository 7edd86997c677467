"""One call as a self-contained HTML page: header, tone chart, outline, figures, notable sentences.

The page has its CSS and its SVG chart inline and nothing to fetch (no script, font or
link), so it can be mailed, archived or opened offline. Every text from the transcript
goes through `html.escape`: a transcript is untrusted input.

Example:
    >>> import callnlp
    >>> page = render_report(callnlp.analyze("营收增长20%。Margins may soften.".encode()))
    >>> page.startswith("<!DOCTYPE html>"), page.count('class="tone-point"')
    (True, 1)
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from html import escape
from importlib.util import find_spec

from callnlp.collector import gc_paused
from callnlp.figures import format_amount
from callnlp.record import CallAnalysis, Figure, Language, Role, Scope, Section, Sentence, Turn
from callnlp.scoring import hedging_density, net_tone

BLOCK = 10  # sentences a segment holds when the call has no speaker turns to cut it by
_W, _H, _LEFT, _RIGHT, _TOP, _BOTTOM = 960, 360, 64, 64, 40, 64  # chart geometry, SVG units
_X_AXIS = (
    f"segments in call order: P prepared-remarks turn · Q question and its answers · "
    f"R other Q&amp;A remarks · S block of {BLOCK} sentences"
)


@dataclass(frozen=True)
class Segment:
    """A stretch of the call that the chart plots as one point.

    Attributes:
        label: P1.. a prepared-remarks turn, Q1.. a question with its answers, R1.. other
            Q&A remarks (closing words), S1.. a block of sentences when there are no turns.
        section: prepared, qa, or other for blocks.
        speakers: who speaks in it, in order, once each.
        sentences: its scored sentences, in order (never empty).
    """

    label: str
    section: Section
    speakers: tuple[str, ...]
    sentences: tuple[Sentence, ...]

    @property
    def tone(self) -> float:
        """Mean sentiment of its sentences, in [-1, 1]."""
        return net_tone(self.sentences)

    @property
    def hedging(self) -> float:
        """Hedge cues (hedges and weak modals) per 100 tokens, as `Aggregate.hedging_density`."""
        return hedging_density(self.sentences)

    @property
    def lines(self) -> str:
        """The lines of the original file it spans."""
        return f"{self.sentences[0].line}–{self.sentences[-1].line}"


def segments(analysis: CallAnalysis) -> list[Segment]:
    """Cut the call into the chart's segments, in call order.

    Prepared remarks give one segment per turn, Q&A one per `QAPair`; an interpreter's turn
    joins the segment of the turn it renders (it says the same thing again), and operator
    turns are left out (they hand over; they speak for no one). A call without speaker
    turns (a news write-up) is cut into blocks of `BLOCK` sentences.
    """
    scored = [s for s in analysis.sentences if s.sentiment is not None]
    if all(t.section is Section.OTHER for t in analysis.turns):
        return [
            Segment(f"S{n + 1}", Section.OTHER, (), tuple(scored[i : i + BLOCK]))
            for n, i in enumerate(range(0, len(scored), BLOCK))
        ]
    key: dict[int, int] = {}  # turn index -> the first turn of its segment
    for pair in analysis.qa_pairs:
        key.update((i, pair.question) for i in (pair.question, *pair.answers))
    for t in analysis.turns:  # in order, so the turn an interpreter renders is placed first
        if t.index in key:
            continue
        if t.role is Role.INTERPRETER and t.translates in key:
            key[t.index] = key[t.translates]
        elif t.role is not Role.OPERATOR and t.section is not Section.OTHER:
            key[t.index] = t.index
    said: dict[int, list[Sentence]] = defaultdict(list)
    for s in scored:
        if s.turn in key:
            said[key[s.turn]].append(s)
    questions = {p.question for p in analysis.qa_pairs}
    who = {t.index: _who(t) for t in analysis.turns}
    counts: dict[str, int] = defaultdict(int)
    out = []
    for first in sorted(said):
        section = analysis.turns[first].section
        prefix = "Q" if first in questions else "P" if section is Section.PREPARED else "R"
        counts[prefix] += 1
        speakers = tuple(dict.fromkeys(who[s.turn] for s in said[first]))
        out.append(Segment(f"{prefix}{counts[prefix]}", section, speakers, tuple(said[first])))
    return out


def render_report(analysis: CallAnalysis) -> str:
    """The whole page for one call, as HTML text (UTF-8, self-contained)."""
    call = analysis.call
    # zh-Hans also for mixed calls, so CJK characters take their Simplified Chinese glyphs.
    lang = "en" if call.language is Language.EN else "zh-Hans"
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(report_title(analysis))} · callnlp report</title>\n<style>{REPORT_CSS}</style>\n"
        f"</head>\n<body>\n{report_body(analysis)}\n</body>\n</html>\n"
    )


def report_title(analysis: CallAnalysis) -> str:
    """The report's title: company, ticker, period."""
    call = analysis.call
    return " ".join(x for x in (call.company or "Call", call.ticker and f"({call.ticker})", call.period) if x)


@gc_paused
def report_body(analysis: CallAnalysis) -> str:
    """The report's content without its page, for a page of another's (the web app's call
    page), styled by `REPORT_CSS`."""
    parts = (_chart(segments(analysis)), _outline(analysis), _figures(analysis.figures), _notable(analysis))
    return "\n".join((_header(analysis, report_title(analysis)), *parts))


def _header(analysis: CallAnalysis, title: str) -> str:
    call = analysis.call
    facts = [
        ("date", call.date),
        ("period", call.period),
        ("language", call.language.value),
        ("call", call.id[:12]),
        ("source", call.source),
        ("sentences", f"{len(analysis.sentences):,}"),
        ("tokens", f"{call.tokens:,}"),
        ("turns", f"{len(analysis.turns)}, {len(analysis.qa_pairs)} Q&A pairs"),
    ]
    dl = "".join(f"<dt>{k}</dt><dd>{escape(v or '–')}</dd>" for k, v in facts)
    rows = []
    for a in analysis.aggregates:
        if a.scope in (Scope.CALL, Scope.SECTION, Scope.ROLE):
            name = "whole call" if a.scope is Scope.CALL else f"{a.scope.value} {a.key}"
            rows.append(
                f'<tr class="{a.scope.value}"><td>{escape(name)}</td><td>{a.sentences}</td>'
                f"<td>{a.net_tone:+.2f}</td><td>{a.hedging_density:.2f}</td>"
                f"<td>{a.hedged_share:.0%}</td><td>{a.forward_share:.0%}</td></tr>"
            )
    head = ("tone of", "sentences", "net tone", "hedges / 100 tokens", "hedged", "forward")
    return f"<header>\n<h1>{escape(title)}</h1>\n<dl>{dl}</dl>\n</header>\n{_table('aggregates', head, rows)}"


def _chart(segs: list[Segment]) -> str:
    n, pw, ph = len(segs), _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    base, mid, step = _TOP + ph, _TOP + ph / 2, pw / max(n, 1)
    # Mean sentiment seldom leaves ±0.5: the axis zooms to the data in quarters, so a turn
    # in the call shows; its tick labels say the scale.
    limit = min(1.0, max(0.25, math.ceil(max((abs(s.tone) for s in segs), default=0) * 4) / 4))
    hmax = 4.0 * max(1, math.ceil(max((s.hedging for s in segs), default=0) / 4))  # whole-number ticks

    def x(i: int) -> float:
        return _LEFT + step * (i + 0.5)

    def y(tone: float) -> float:
        return _TOP + ph * (limit - tone) / (2 * limit)

    parts = []
    first_qa = next((i for i, s in enumerate(segs) if s.section is Section.QA), 0)
    if first_qa:  # a boundary only where prepared remarks come before the Q&A
        bx = _LEFT + step * first_qa
        parts += [
            _el("rect", class_="qa-zone", x=bx, y=_TOP, width=_LEFT + pw - bx, height=ph),
            _el("line", id="qa-boundary", x1=bx, x2=bx, y1=_TOP - 8, y2=base),
            _el("text", "Prepared remarks", class_="zone", x=bx - 6, y=_TOP + 12, text_anchor="end"),
            _el("text", "Q&amp;A", class_="zone", x=bx + 6, y=_TOP + 12),
        ]
    for k in range(5):
        tone = limit * (1 - k / 2)
        label, yk = f"{tone:+.3g}" if k != 2 else "0", y(tone)
        parts += [
            _el("line", class_="zero" if k == 2 else "grid", x1=_LEFT, x2=_LEFT + pw, y1=yk, y2=yk),
            _el("text", label, class_="tick", x=_LEFT - 6, y=yk + 4, text_anchor="end"),
            _el("text", f"{hmax * (4 - k) / 4:.0f}", class_="tick", x=_LEFT + pw + 6, y=yk + 4),
        ]
    every, width = math.ceil(n / 30), min(28.0, step * 0.6)  # labels of a long call must not collide
    tips = [
        _title(
            f"{s.label} · lines {s.lines} · {', '.join(s.speakers) or 'no speaker'}\nmean sentiment "
            f"{s.tone:+.2f} · {s.hedging:.2f} hedges per 100 tokens · {len(s.sentences)} sentences"
        )
        for s in segs
    ]
    for i, s in enumerate(segs):
        h = ph * s.hedging / hmax
        parts.append(
            _el("rect", tips[i], class_="hedge-bar", x=x(i) - width / 2, y=base - h, width=width, height=h)
        )
        if i % every == 0:
            parts.append(_el("text", s.label, class_="tick", x=x(i), y=base + 16, text_anchor="middle"))
    points = " ".join(f"{x(i):.1f},{y(s.tone):.1f}" for i, s in enumerate(segs))
    parts.append(_el("polyline", class_="tone-line", points=points))
    parts += [
        _el("circle", tips[i], class_="tone-point", cx=x(i), cy=y(s.tone), r=4) for i, s in enumerate(segs)
    ]
    if not segs:
        parts.append(_el("text", "no scored sentences", class_="zone", x=_W / 2, y=mid, text_anchor="middle"))
    parts += [
        _el("text", "mean sentiment", class_="axis", transform=f"translate(16 {mid}) rotate(-90)"),
        _el(
            "text", "hedges / 100 tokens", class_="axis", transform=f"translate({_W - 12} {mid}) rotate(-90)"
        ),
        _el("text", _X_AXIS, class_="axis", x=_LEFT + pw / 2, y=_H - 20),
        _el("line", class_="tone-line", x1=_LEFT, x2=_LEFT + 24, y1=14, y2=14),
        _el("text", "mean sentiment (left axis)", x=_LEFT + 30, y=18),
        _el("rect", class_="hedge-bar", x=_LEFT + 220, y=8, width=14, height=12),
        _el("text", "hedging density (right axis)", x=_LEFT + 240, y=18),
    ]
    body = "\n" + "\n".join(parts) + "\n"
    svg = _el("svg", body, id="tone-chart", viewBox=f"0 0 {_W} {_H}", role="img", aria_label="tone chart")
    return f"<section>\n<h2>Tone and hedging through the call</h2>\n{svg}\n</section>"


def _outline(analysis: CallAnalysis) -> str:
    first: dict[int, str] = {}
    for s in analysis.sentences:
        if s.turn is not None:
            first.setdefault(s.turn, s.text)
    rows = []
    for t in analysis.turns:
        detail = ", ".join(x for x in (t.title, t.firm) if x)
        who = escape(t.speaker or "–") + (f' <span class="detail">{escape(detail)}</span>' if detail else "")
        if t.role is Role.INTERPRETER:
            who += f' <span class="badge">interprets #{t.translates}</span>'
        words = first.get(t.index, "")
        words = words if len(words) <= 80 else words[:79] + "…"
        rows.append(
            f'<tr class="{t.role.value}"><td>{t.index}</td><td>{t.line}</td><td>{t.section.value}</td>'
            f"<td>{t.role.value}</td><td>{who}</td><td>{escape(words)}</td></tr>"
        )
    head = ("#", "line", "section", "role", "speaker", "first words")
    return _section("Outline", _table("outline", head, rows) if rows else "<p>No speaker turns.</p>")


def _figures(figures: tuple[Figure, ...]) -> str:
    rows = []
    for f in figures:
        amount = format_amount(f)
        unit = f.unit.value if f.unit else "–"
        cells = (f.line, f.metric, amount, unit, f.kind.value, f.relation.value, f.period or "–", f.text)
        rows.append("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + "</tr>")
    head = ("line", "metric", "amount", "unit", "kind", "relation", "period", "text")
    return _section("Figures", _table("figures", head, rows) if rows else "<p>No figures.</p>")


def _notable(analysis: CallAnalysis) -> str:
    scored = [s for s in analysis.sentences if s.sentiment is not None]
    who = {t.index: _who(t) for t in analysis.turns}
    negative = sorted((s for s in scored if s.sentiment < 0), key=lambda s: s.sentiment)
    positive = sorted((s for s in scored if s.sentiment > 0), key=lambda s: -s.sentiment)
    hedged = sorted((s for s in scored if s.hedging), key=lambda s: -(s.hedging or 0))
    lists = {"negative": negative[:5], "positive": positive[:5], "hedged": hedged[:5]}
    legend, marks = _displayed(analysis, [s.index for found in lists.values() for s in found])
    parts = [legend]
    for name, found in lists.items():
        items = "".join(
            f'<li><span class="line">line {s.line}</span> <span class="score">tone {s.sentiment:+.2f} · '
            f'hedging {s.hedging or 0:.2f}</span> <span class="detail">{escape(who.get(s.turn, ""))}</span>'
            f"<br>{marks.get(s.index) or _marked(s)}</li>\n"
            for s in found
        )
        parts.append(
            f'<h3>Most {name}</h3>\n<ol id="{name}">\n{items}</ol>' if items else f"<h3>Most {name}</h3>–"
        )
    return _section("Notable sentences", "\n".join(parts))


def _displayed(analysis: CallAnalysis, indexes: list[int]) -> tuple[str, dict[int, str]]:
    """The legend and the sentences with their figures and cues as `callnlp.display` marks
    them, where spaCy is installed; the report needs nothing more than the standard
    library, so elsewhere (and for a sentence display cannot place) `_marked` marks cues."""
    if not indexes or find_spec("spacy") is None:
        return "", {}
    from callnlp.display import display_sentences

    return display_sentences(analysis, list(dict.fromkeys(indexes)))


def _marked(s: Sentence) -> str:
    """The sentence, escaped, its cues in <mark>: found by their text, as cue offsets point
    into the original file and `text` is normalized."""
    spans: dict[tuple[int, int], list[str]] = {}  # one word can be two cues (cautious: hedge, negative)
    at = 0
    for cue in sorted(s.cues, key=lambda c: c.start):
        pattern = re.compile(re.escape(cue.text), re.IGNORECASE)
        m = pattern.search(s.text, at) or pattern.search(s.text)
        if m and (m.span() in spans or not any(a < m.end() and m.start() < b for a, b in spans)):
            spans.setdefault(m.span(), []).append(cue.kind.value)
            at = m.end()
    out, at = [], 0
    for (a, b), kinds in sorted(spans.items()):
        marked = f'<mark class="{kinds[0]}" title="{", ".join(kinds)}">{escape(s.text[a:b])}</mark>'
        out.append(escape(s.text[at:a]) + marked)
        at = b
    return "".join(out) + escape(s.text[at:])


def _who(t: Turn) -> str:
    name = t.speaker or t.role.value
    return f"{name} ({t.firm})" if t.firm else name


def _el(tag: str, body: str = "", **attrs: object) -> str:
    """An element; `body` is markup. `class_` is class, `text_anchor` text-anchor; floats get 1 decimal."""
    text = " ".join(
        f'{k.rstrip("_").replace("_", "-")}="{escape(f"{v:.1f}" if isinstance(v, float) else str(v))}"'
        for k, v in attrs.items()
    )
    return f"<{tag} {text}>{body}</{tag}>"


def _title(text: str) -> str:
    return f"<title>{escape(text)}</title>"


def _section(heading: str, body: str) -> str:
    return f"<section>\n<h2>{heading}</h2>\n{body}\n</section>"


def _table(name: str, head: tuple[str, ...], rows: list[str]) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    return (
        f'<table id="{name}">\n<thead><tr>{th}</tr></thead>\n<tbody>\n'
        + "\n".join(rows)
        + "\n</tbody></table>"
    )


REPORT_CSS = """
:root { --ink: #1f2328; --muted: #636c76; --rule: #d0d7de; --tone: #0b5cad; --hedge: #e3a008; }
body { margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "PingFang SC",
  "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
  sans-serif; }
h1 { margin: 0 0 .5rem; font-size: 1.6rem; } h2 { margin-top: 2rem; border-bottom: 1px solid var(--rule); }
dl { display: grid; grid-template-columns: repeat(4, auto 1fr); gap: .2rem .8rem; margin: 0 0 1rem; }
dt { color: var(--muted); } dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; font-size: .88rem; }
th, td { border-bottom: 1px solid var(--rule); padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } tr.call td { font-weight: 600; }
#aggregates td:not(:first-child), #figures td:nth-child(3) { text-align: right; }
td { font-variant-numeric: tabular-nums; } tr.operator td { color: var(--muted); }
tr.interpreter td { color: var(--muted); font-style: italic; }
.badge { font-size: .75rem; font-style: normal; border: 1px solid var(--rule); border-radius: 4px; }
.detail, .line, .score { color: var(--muted); font-size: .85em; } li { margin-bottom: .5rem; }
mark { background: #e8eaed; border-radius: 2px; padding: 0 1px; }
mark.hedge, mark.weak_modal { background: #fde68a; } mark.negative, mark.decrease { background: #fecaca; }
mark.positive, mark.increase { background: #bbf7d0; } mark.forward { background: #bfdbfe; }
#tone-chart { width: 100%; height: auto; font-size: 12px; }
#tone-chart .grid { stroke: #eaeef2; } #tone-chart .zero { stroke: #8c959f; stroke-dasharray: 4 3; }
#tone-chart .qa-zone { fill: #f3f6fa; }
#qa-boundary { stroke: #57606a; stroke-width: 1.5; stroke-dasharray: 6 3; }
#tone-chart .hedge-bar { fill: var(--hedge); opacity: .55; }
#tone-chart .tone-line { fill: none; stroke: var(--tone); stroke-width: 2; }
#tone-chart .tone-point { fill: var(--tone); stroke: #fff; }
#tone-chart .tick, #tone-chart .zone { fill: var(--muted); } #tone-chart .axis { text-anchor: middle; }
@media print {
  @page { size: A4; margin: 12mm; }
  body { margin: 0; max-width: none; font-size: 9.5pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  svg, tr, li { break-inside: avoid; } h2, h3 { break-after: avoid; }
  thead { display: table-header-group; }
}
"""
