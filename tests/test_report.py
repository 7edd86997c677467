from __future__ import annotations

import dataclasses
import re
import shutil
import struct
import subprocess
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest

import callnlp
from callnlp.record import Call, CallAnalysis, Language, Role, Scope, Section
from callnlp.report import BLOCK, render_report, segments

CALLS = Path(__file__).resolve().parent.parent / "corpora" / "calls"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")

# Prepared remarks only (no Q&A), Chinese and English.
PREPARED_ZH = "主持人:欢迎参加本次业绩说明会。\n\n董事长 王建国:各位投资者好。上半年营收增长15%,达到12亿元。但下半年需求可能放缓。\n\n首席财务官 李敏:谢谢。毛利率下降2个百分点。我们保持谨慎。\n"
PREPARED_EN = "Operator: Welcome to the Acme first quarter 2025 call.\n\nJane Doe: Thank you. Revenue grew 12% to $5 million. Demand may soften next quarter.\n\nJohn Roe: Costs rose sharply. We remain cautious.\n"
# No figures.
NO_FIGURES_ZH = (
    "主持人:欢迎参加本次业绩说明会。\n\n董事长 王建国:各位投资者好。需求可能放缓。我们保持谨慎。\n"
)
NO_FIGURES_EN = "Operator: Welcome.\n\nJane Doe: Thank you all. Demand may soften. We are cautious.\n"
# No speaker at all: a news write-up of 25 sentences.
NEWS_ZH = "".join(f"据报道,公司第{i}项业务收入增长{i}%。" for i in range(1, 26))
NEWS_EN = " ".join(f"Revenue in unit {i} rose {i}% last year." for i in range(1, 26))
# Markup in the transcript itself.
SCRIPT_ZH = "主持人:欢迎参加本次业绩说明会。\n\n董事长 王建国:谢谢。<script>alert(1)</script>收入可能下降<script>alert(2)</script>。\n"
SCRIPT_EN = 'Operator: Welcome.\n\nJane Doe: Thanks & welcome. <script>alert(1)</script> We may see "risks" in <Asia> <script>alert(2)</script>.\n'


@cache
def _call(name: str) -> CallAnalysis:
    return callnlp.analyze(CALLS / name)


@cache
def _text(text: str) -> CallAnalysis:
    return callnlp.analyze(text.encode())


class _Page(HTMLParser):
    """The page's elements, each as (tag, attributes, its ancestors' (tag, attributes))."""

    VOID = frozenset({"meta", "br", "link", "img", "input", "hr", "wbr", "source"})

    def __init__(self, page: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str], tuple[tuple[str, dict[str, str]], ...]]] = []
        self.texts: dict[str, list[str]] = {}  # text inside elements with an id, by that id
        self._open: list[tuple[str, dict[str, str]]] = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.elements.append((tag, a, tuple(self._open)))
        if tag not in self.VOID:
            self._open.append((tag, a))

    def handle_endtag(self, tag: str) -> None:
        while self._open and self._open.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        for _, a in self._open:
            if "id" in a:
                self.texts.setdefault(a["id"], []).append(data)

    def find(self, tag: str, cls: str | None = None, within: str | None = None) -> list[dict[str, str]]:
        """Elements of `tag` (with class `cls`) inside the element of id `within`."""
        return [
            a
            for t, a, up in self.elements
            if t == tag
            and (cls is None or cls in a.get("class", "").split())
            and (within is None or any(u.get("id") == within for _, u in up))
        ]

    def rows(self, table: str) -> int:
        """Body rows of the table of id `table`."""
        return sum(
            t == "tr" and any(u.get("id") == table for _, u in up) and any(n == "tbody" for n, _ in up)
            for t, _, up in self.elements
        )

    def by_id(self, id: str) -> tuple[str, dict[str, str]] | None:
        return next(((t, a) for t, a, _ in self.elements if a.get("id") == id), None)

    def text(self, id: str) -> str:
        return "".join(self.texts.get(id, []))


CORPUS = [
    # file                               segments: prepared turns (no operator, interpreters joined), Q&A pairs, other Q&A remarks
    (
        "interpreted_tianlan_2025q3.txt",
        "P1 P2 P3 P4 Q1 Q2 Q3 Q4 Q5 Q6 R1",
    ),  # R1: the chairman's closing words
    ("zh_qa_style_jinghong_2025q2.txt", "P1 P2 P3 P4 " + " ".join(f"Q{i}" for i in range(1, 12))),
    ("en_fool_helios_q2_2025.txt", "P1 P2 P3 Q1 Q2 Q3 Q4 Q5"),
    ("en_colon_northwind_q1_2026.txt", "P1 P2 Q1 Q2 Q3 Q4 Q5"),
]


@pytest.mark.parametrize(("name", "labels"), CORPUS)
def test_report_plots_one_point_and_one_bar_per_segment(name: str, labels: str) -> None:
    analysis = _call(name)
    page = _Page(render_report(analysis))
    assert [s.label for s in segments(analysis)] == labels.split()
    prepared = [t for t in analysis.turns if t.section is Section.PREPARED]
    assert sum(label.startswith("P") for label in labels.split()) == sum(
        t.role not in (Role.OPERATOR, Role.INTERPRETER) for t in prepared
    )
    assert sum(label.startswith("Q") for label in labels.split()) == len(analysis.qa_pairs)
    n = len(labels.split())
    assert len(page.find("circle", "tone-point", within="tone-chart")) == n
    assert len(page.find("rect", "hedge-bar", within="tone-chart")) == n + 1  # and the legend's swatch
    (line,) = [a for a in page.find("polyline", "tone-line", within="tone-chart")]
    assert len(line["points"].split()) == n


@pytest.mark.parametrize(
    ("name", "segment", "turns", "speakers"),
    [
        # an interpreter rendering the question (turn 16) and an answer (turn 18) is in the pair
        (
            "interpreted_tianlan_2025q3.txt",
            "Q3",
            {15, 16, 17, 18},
            ("Li Na (China International Capital Corporation)", "interpreter", "Zhou Wei"),
        ),
        ("interpreted_tianlan_2025q3.txt", "P2", {2, 3}, ("Zhou Wei", "interpreter")),
        ("zh_qa_style_jinghong_2025q2.txt", "Q3", {13, 14, 15}, ("刘洋 (中信证券)", "王建国", "陈志远")),
        ("zh_qa_style_jinghong_2025q2.txt", "P2", {3}, ("李敏",)),
    ],
)
def test_report_segments_group_turns_by_qa_pair(
    name: str, segment: str, turns: set[int], speakers: tuple[str, ...]
) -> None:
    analysis = _call(name)
    (seg,) = [s for s in segments(analysis) if s.label == segment]
    assert {s.turn for s in seg.sentences} == turns
    assert seg.speakers == speakers
    title = re.search(rf"<title>{segment} · [^<]*</title>", render_report(analysis))
    assert title
    assert all(who in title.group() for who in speakers)
    operators = {t.index for t in analysis.turns if t.role is Role.OPERATOR}
    assert not any(s.turn in operators for seg in segments(analysis) for s in seg.sentences)


@pytest.mark.parametrize("name", [name for name, _ in CORPUS])
def test_report_marks_the_boundary_between_prepared_remarks_and_qa(name: str) -> None:
    analysis = _call(name)
    page = _Page(render_report(analysis))
    tag, boundary = page.by_id("qa-boundary") or ("", {})
    assert tag == "line"
    assert [a for a in page.find("line", within="tone-chart") if a is boundary]
    xs = [float(a["cx"]) for a in page.find("circle", "tone-point")]
    prepared = sum(s.section is Section.PREPARED for s in segments(analysis))
    assert xs[prepared - 1] < float(boundary["x1"]) < xs[prepared]
    assert "Prepared remarks" in page.text("tone-chart")
    assert "Q&A" in page.text("tone-chart")


@pytest.mark.parametrize("text", [PREPARED_ZH, PREPARED_EN], ids=["zh", "en"])
def test_report_without_qa_has_no_boundary(text: str) -> None:
    analysis = _text(text)
    assert not analysis.qa_pairs
    page = _Page(render_report(analysis))
    assert [s.label for s in segments(analysis)] == ["P1", "P2"]
    assert len(page.find("circle", "tone-point", within="tone-chart")) == 2
    assert page.by_id("qa-boundary") is None


@pytest.mark.parametrize("text", [NEWS_ZH, NEWS_EN], ids=["zh", "en"])
def test_report_without_turns_plots_blocks_of_sentences(text: str) -> None:
    analysis = _text(text)
    assert [t.role for t in analysis.turns] == [Role.OTHER]
    assert len(analysis.sentences) == 25
    segs = segments(analysis)
    assert [(s.label, len(s.sentences)) for s in segs] == [("S1", BLOCK), ("S2", BLOCK), ("S3", 5)]
    page = _Page(render_report(analysis))
    assert len(page.find("circle", "tone-point", within="tone-chart")) == 3
    assert page.by_id("qa-boundary") is None


def test_report_of_an_empty_record_still_renders() -> None:
    page = render_report(CallAnalysis(Call(id="0" * 64, source=None, language=Language.EN)))
    assert 'id="tone-chart"' in page
    assert "no scored sentences" in page
    assert _Page(page).find("circle", "tone-point") == []


@pytest.mark.parametrize("name", [name for name, _ in CORPUS])
def test_report_figures_table_has_a_row_per_figure(name: str) -> None:
    analysis = _call(name)
    assert analysis.figures
    assert _Page(render_report(analysis)).rows("figures") == len(analysis.figures)


@pytest.mark.parametrize(
    ("name", "cells"),
    [
        (
            "interpreted_tianlan_2025q3.txt",
            "<td>28</td><td>revenue</td><td>981.6M</td><td>CNY</td><td>actual</td><td>level</td><td>2025Q3</td><td>9.816亿元</td>",
        ),
        (
            "interpreted_tianlan_2025q3.txt",
            "<td>30</td><td>customers</td><td>more than 4.6K</td><td>count</td>",
        ),
        (
            "en_colon_northwind_q1_2026.txt",
            "<td>capex</td><td>380M to 420M</td><td>USD</td><td>guidance</td>",
        ),
    ],
)
def test_report_figure_amounts_read_like_the_cli(name: str, cells: str) -> None:
    assert cells in render_report(_call(name))


@pytest.mark.parametrize("text", [NO_FIGURES_ZH, NO_FIGURES_EN], ids=["zh", "en"])
def test_report_without_figures_says_so(text: str) -> None:
    analysis = _text(text)
    assert analysis.figures == ()
    page = render_report(analysis)
    assert _Page(page).rows("figures") == 0
    assert "<p>No figures.</p>" in page


@pytest.mark.parametrize("text", [SCRIPT_ZH, SCRIPT_EN], ids=["zh", "en"])
def test_report_escapes_the_transcript(text: str) -> None:
    analysis = _text(text)
    assert any("<script>" in s.text for s in analysis.sentences)  # the markup reached the record
    hostile = dataclasses.replace(analysis.call, company="<img src=x onerror=alert(1)>", source='a"b<c>.txt')
    page = render_report(dataclasses.replace(analysis, call=hostile))
    parsed = _Page(page)
    assert not parsed.find("script")
    assert not parsed.find("img")
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page  # after the cue <mark>ed in the same sentence
    assert "<h1>&lt;img src=x onerror=alert(1)&gt;</h1>" in page
    assert "a&quot;b&lt;c&gt;.txt" in page


@pytest.mark.parametrize("name", ["interpreted_tianlan_2025q3.txt", "en_fool_helios_q2_2025.txt"])
def test_report_is_self_contained(name: str) -> None:
    page = render_report(_call(name))
    parsed = _Page(page)
    for tag in ("script", "link", "img", "iframe", "object", "embed"):
        assert not parsed.find(tag), tag
    assert not any("src" in a or "href" in a for _, a, _ in parsed.elements)
    assert "url(" not in page
    assert "@import" not in page
    assert "@font-face" not in page


@pytest.mark.parametrize(
    ("name", "company", "facts"),
    [
        (
            "interpreted_tianlan_2025q3.txt",
            "Tianlan Technology (TLAN) 2025Q3",
            ("2025-11-18", "mixed", "d61bb2097121", "34, 6 Q&amp;A pairs"),
        ),
        ("en_colon_northwind_q1_2026.txt", "Northwind Logistics (NWL) 2026Q1", ("2026-04-23", "en")),
    ],
)
def test_report_header_names_the_call_and_its_aggregates(
    name: str, company: str, facts: tuple[str, ...]
) -> None:
    analysis = _call(name)
    page = render_report(analysis)
    assert f"<h1>{company}</h1>" in page
    assert f"<title>{company} · callnlp report</title>" in page
    assert all(f"<dd>{fact}</dd>" in page for fact in facts)
    assert f"<dd>{analysis.call.source}</dd>" in page
    shown = [a for a in analysis.aggregates if a.scope in (Scope.CALL, Scope.SECTION, Scope.ROLE)]
    assert _Page(page).rows("aggregates") == len(shown)
    whole = next(a for a in shown if a.scope is Scope.CALL)
    assert (
        f'<tr class="call"><td>whole call</td><td>{whole.sentences}</td><td>{whole.net_tone:+.2f}</td>'
        f"<td>{whole.hedging_density:.2f}</td><td>{whole.hedged_share:.0%}</td><td>{whole.forward_share:.0%}</td></tr>"
    ) in page


@pytest.mark.parametrize(
    ("name", "interpreted"),
    [
        ("interpreted_tianlan_2025q3.txt", "interprets #2"),
        ("zh_qa_style_jinghong_2025q2.txt", None),
    ],
)
def test_report_outline_lists_every_turn_and_marks_interpreters(name: str, interpreted: str | None) -> None:
    analysis = _call(name)
    page = _Page(render_report(analysis))
    assert page.rows("outline") == len(analysis.turns)
    interpreters = [t for t in analysis.turns if t.role is Role.INTERPRETER]
    assert len(page.find("tr", "interpreter", within="outline")) == len(interpreters)
    assert len(page.find("span", "badge", within="outline")) == len(interpreters)
    if interpreted:
        assert interpreted in page.text("outline")


@pytest.mark.parametrize(
    ("text", "mark"),
    [
        (NO_FIGURES_ZH, '需求<mark class="weak_modal" title="weak_modal">可能</mark>'),
        (NO_FIGURES_EN, 'Demand <mark class="weak_modal" title="weak_modal">may</mark> soften.'),
        (NO_FIGURES_EN, 'We are <mark class="hedge" title="hedge, negative">cautious</mark>.'),  # two cues
    ],
    ids=["zh", "en", "en-two-cues"],
)
def test_report_highlights_cues_in_notable_sentences(text: str, mark: str, plain_marks) -> None:
    assert mark in render_report(_text(text))


@pytest.mark.parametrize(
    ("text", "words", "labels"),
    [
        (NO_FIGURES_ZH, ["可能"], ["weak_modal"]),
        (NO_FIGURES_EN, ["may", "cautious"], ["weak_modal", "hedge", "negative"]),
    ],
    ids=["zh", "en"],
)
def test_report_marks_notable_sentences_with_display(text: str, words: list[str], labels: list[str]) -> None:
    pytest.importorskip("spacy")
    notable = render_report(_text(text)).split("<h2>Notable sentences</h2>", 1)[1]
    assert "callnlp-legend" in notable  # display's legend, then displaCy's marks
    assert "<mark" not in notable
    for word in words:
        assert word in notable
    for label in labels:
        assert f"\n        {label}\n" in notable, label  # displaCy writes each span's label


@pytest.fixture
def plain_marks(monkeypatch):
    """The report as it is made without spaCy: cues in <mark>, by the standard library."""
    monkeypatch.setattr("callnlp.report.find_spec", lambda name: None)


@pytest.mark.parametrize(
    "name",
    ["interpreted_tianlan_2025q3.txt", "zh_qa_style_jinghong_2025q2.txt", "en_fool_helios_q2_2025.txt"],
)
def test_report_lists_the_five_most_negative_positive_and_hedged(name: str, plain_marks) -> None:
    analysis = _call(name)
    page = render_report(analysis)
    for name_, score, sign in (("negative", "tone", -1), ("positive", "tone", 1), ("hedged", "hedging", 1)):
        listed = re.search(rf'<ol id="{name_}">(.*?)</ol>', page, re.S)
        assert listed, name_
        values = [float(v) for v in re.findall(rf"{score} ([-+]?\d\.\d\d)", listed.group(1))]
        # five, or as many as the call has (a call that is good news has few negative sentences)
        field = "sentiment" if score == "tone" else score
        there = sum(1 for s in analysis.sentences if (getattr(s, field) or 0) * sign > 0)
        assert len(values) == min(5, there) > 0
        assert all(v * sign > 0 for v in values)
        assert values == sorted(values, reverse=sign > 0)
        assert listed.group(1).count("<mark") >= len(values)  # each of them has the cues that scored it


# -- a real browser ----------------------------------------------------------------------


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["interpreted_tianlan_2025q3.txt", "zh_qa_style_jinghong_2025q2.txt"])
def test_report_renders_in_headless_chromium(tmp_path: Path, name: str) -> None:
    browser = next((path for path in map(shutil.which, BROWSERS) if path), None)
    if browser is None:
        pytest.skip("no chromium, chromium-browser or google-chrome on PATH: run .ci/chromium to install it")
    analysis = _call(name)
    report, blank = tmp_path / "report.html", tmp_path / "blank.html"
    report.write_text(render_report(analysis), encoding="utf-8")
    blank.write_text("<!DOCTYPE html><html><body></body></html>", encoding="utf-8")
    # Its own profile folder, so the test neither reads nor writes the user's browser profile.
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,2000"]
    flags.append(f"--user-data-dir={tmp_path / 'profile'}")

    def run(*args: str) -> str:
        done = subprocess.run([*flags, *args], capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    for page in (report, blank):
        run(f"--screenshot={page.with_suffix('.png')}", page.as_uri())
    shot, empty = report.with_suffix(".png"), blank.with_suffix(".png")
    assert _png_size(shot) == (1280, 2000)
    assert shot.stat().st_size > 10 * empty.stat().st_size  # a blank page compresses to almost nothing

    dom = _Page(run("--dump-dom", report.as_uri()))
    n = len(segments(analysis))
    assert dom.by_id("tone-chart") is not None
    assert dom.by_id("tone-chart")[0] == "svg"
    assert len(dom.find("circle", "tone-point", within="tone-chart")) == n
    assert len(dom.find("rect", "hedge-bar", within="tone-chart")) == n + 1
    assert len(dom.find("polyline", "tone-line", within="tone-chart")) == 1
    assert dom.by_id("qa-boundary") is not None
    assert dom.rows("figures") == len(analysis.figures)
    assert dom.rows("outline") == len(analysis.turns)
