"""A call's figures and cues marked in its text with displaCy's `span` style.

The module imports without spaCy (the report and the web app may import it anyway);
`display` needs spaCy when called. Its HTML has inline styles only, no script and nothing
to fetch, and every text from the transcript is escaped (by displaCy, and here).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from html import escape
from itertools import pairwise
from typing import Any

from callnlp.errors import OptionError
from callnlp.record import CallAnalysis, CueKind, Language

CUE_COLORS = {
    CueKind.POSITIVE: "#9be09b",
    CueKind.NEGATIVE: "#f5a3a3",
    CueKind.HEDGE: "#ffc966",
    CueKind.WEAK_MODAL: "#ffe08a",
    CueKind.STRONG_MODAL: "#c3b1f0",
    CueKind.FORWARD: "#8fd0f5",
    CueKind.NEGATOR: "#c8c8c8",
    CueKind.INTENSIFIER: "#f4b3de",
    CueKind.DIMINISHER: "#c6e6e6",
    CueKind.CONTRAST: "#ddbf8e",
    CueKind.INCREASE: "#a6e3c8",
    CueKind.DECREASE: "#f7bf9c",
    CueKind.EVASION: "#ff8fa3",
}
"""The colour of each cue kind: tone green and red, hedges amber, forward-looking blue."""

FIGURE_COLORS = (
    "#7aecec", "#bfeeb7", "#feca74", "#aa9cfc", "#c887fb", "#9cc9cc", "#ffeb80", "#e4e7d2",
    "#ff9561", "#a3d9ff", "#d7c0a0", "#b8f0a0", "#f0a8d0", "#c0c8ff", "#e8e070", "#a0e0d0",
)  # fmt: skip
"""The colours figures take, one a metric in the order the metrics first appear."""

_LINES = re.compile(r"[^\n]+")
_LEGEND_CHIP = (
    '<span style="background: {color}; padding: 2px 6px; margin: 0 4px 4px 0; border-radius: 3px; '
    'display: inline-block; font-size: 0.8em; font-weight: bold">{label}</span>'
)


def display(doc_or_analysis: Any, text: str | None = None, *, page: bool = False) -> str:
    """HTML of a call's text with its figures (label: metric) and cues (label: cue kind)
    marked in displaCy's `span` style, a colour per label, under a legend of the labels.

    Args:
        doc_or_analysis: a spaCy Doc the `callnlp` component filled (its span groups
            `figures` and `cues` are shown), or a `CallAnalysis`.
        text: with a `CallAnalysis`, the text it was made from (`callnlp.load(path).text`),
            which its offsets point into.
        page: a whole HTML page (UTF-8) rather than a fragment to embed in one.

    Returns:
        The HTML, line by line as in the text.

    Raises:
        OptionError: a `CallAnalysis` was given without its text.
        MissingDependencyError: spaCy is not installed.

    Example:
        >>> import callnlp
        >>> text = "营收增长20%。Demand may weaken."
        >>> html = display(callnlp.analyze(text.encode()), text)
        >>> [label in html for label in ("revenue", "weak_modal", "negative")]
        [True, True, True]
    """
    from callnlp.spacy_pipes import cues  # needs spaCy, as displaCy does

    if isinstance(doc_or_analysis, CallAnalysis):
        if text is None:
            raise OptionError("display(analysis, text): give the text the analysis was made from")
        analysis = doc_or_analysis
        spans = [(f.start, f.end, f.metric, "figures") for f in analysis.figures]
        spans += [(c.start, c.end, c.kind.value, "cues") for c in cues(analysis)]
        lang = "en" if analysis.call.language is Language.EN else "zh"
    else:
        doc = doc_or_analysis
        text, lang = doc.text, doc.lang_
        spans = [
            (s.start_char, s.end_char, s.label_, group)
            for group in ("figures", "cues")
            for s in doc.spans.get(group, ())
        ]
    spans.sort()  # the legend and the colours go in the order labels first appear
    colors = _colors(spans)
    body = _legend(spans, colors) + "".join(_render(text, spans, lang, colors))
    if not page:
        return body
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>callnlp · figures and cues</title>\n</head>\n"
        f'<body style="font-family: sans-serif; padding: 2rem">\n{body}\n</body>\n</html>\n'
    )


def _colors(spans: list[tuple[int, int, str, str]]) -> dict[str, str]:
    colors = {kind.value: color for kind, color in CUE_COLORS.items()}
    metrics = dict.fromkeys(label for _, _, label, group in spans if group == "figures")
    colors.update((m, FIGURE_COLORS[i % len(FIGURE_COLORS)]) for i, m in enumerate(metrics))
    return colors


def _legend(spans: list[tuple[int, int, str, str]], colors: dict[str, str]) -> str:
    rows = []
    for group in ("figures", "cues"):
        labels = dict.fromkeys(label for _, _, label, g in spans if g == group)
        if labels:
            chips = "".join(_LEGEND_CHIP.format(color=colors[x], label=escape(x)) for x in labels)
            rows.append(f"<div><strong>{group}</strong> {chips}</div>")
    return f'<div class="callnlp-legend" style="margin-bottom: 1rem">{"".join(rows)}</div>\n'


def display_sentences(analysis: CallAnalysis, indexes: list[int] | None = None) -> tuple[str, dict[int, str]]:
    """The legend, and the HTML of each sentence (of `indexes`, else all) with its figures
    and cues marked as `display` marks them, for a record whose original text is not at
    hand (a stored call: the store keeps each sentence's normalized text).

    A sentence's spans are moved onto its text where its original span is as long as its
    text (normalizing left the offsets inside it valid); the other sentences are left out,
    for the caller to show as it shows text.

    Example:
        >>> import callnlp
        >>> legend, html = display_sentences(callnlp.analyze("营收增长20%。Demand may weaken.".encode()))
        >>> "weak_modal" in html[1], len(html)
        (True, 2)
    """
    from callnlp.spacy_pipes import cues  # needs spaCy, as displaCy does

    chosen = [analysis.sentences[i] for i in indexes] if indexes is not None else list(analysis.sentences)
    texts, shift, at = [], {}, 0
    for s in chosen:
        text = s.text.replace("\n", " ") or " "  # one line each, none empty
        if s.end - s.start == len(text):
            shift[s.index] = at - s.start
        texts.append(text)
        at += len(text) + 1
    starts = [s.start for s in analysis.sentences]

    def sentence_of(start: int) -> int:
        return analysis.sentences[bisect_right(starts, start) - 1].index if starts else -1

    items = [(f.start, f.end, f.metric, "figures", f.sentence) for f in analysis.figures]
    items += [(c.start, c.end, c.kind.value, "cues", sentence_of(c.start)) for c in cues(analysis)]
    spans = sorted((a + shift[k], b + shift[k], x, group) for a, b, x, group, k in items if k in shift)
    colors = _colors(spans)
    lang = "en" if analysis.call.language is Language.EN else "zh"
    lines = _render("\n".join(texts), spans, lang, colors)
    return _legend(spans, colors), {
        s.index: html for s, html in zip(chosen, lines, strict=True) if s.index in shift
    }


def _render(
    text: str, spans: list[tuple[int, int, str, str]], lang: str, colors: dict[str, str]
) -> list[str]:
    """displaCy's markup of each line of the text, one displaCy document a line: its span
    renderer checks every span at every token and loses line breaks, so a whole transcript
    as one document took seconds and ran together."""
    from spacy import displacy

    lines = [m.span() for m in _LINES.finditer(text)]
    starts = [start for start, _ in lines]
    on_line: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    for start, end, label, _ in spans:
        i = bisect_right(starts, start) - 1
        if i >= 0 and start < lines[i][1]:  # a span that crosses a line break is marked on its first line
            on_line[i].append((start, min(end, lines[i][1]), label))
    docs = []
    for i, (first, last) in enumerate(lines):
        # displaCy's tokens: the line cut where a span starts or ends, so the text between
        # keeps its own spacing (displaCy puts a space after every token)
        bounds = sorted({first, last, *(x for start, end, _ in on_line[i] for x in (start, end))})
        index = {b: k for k, b in enumerate(bounds)}
        docs.append(
            {
                "text": text[first:last],
                "tokens": [text[a:b] for a, b in pairwise(bounds)],
                "spans": [
                    {"start_token": index[start], "end_token": index[end], "label": label}
                    for start, end, label in on_line[i]
                ],
                "settings": {"lang": lang, "direction": "ltr"},
            }
        )
    options = {"colors": colors}
    return [displacy.render(doc, style="span", manual=True, jupyter=False, options=options) for doc in docs]
