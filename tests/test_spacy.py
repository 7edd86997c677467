"""callnlp inside spaCy: the tokenizer, the `callnlp` component, serialization and displaCy.

Every case runs in Chinese and in English; seed 000 is skipped when ../shared is absent.
"""

from __future__ import annotations

import importlib
import pickle
import shutil
import subprocess
import sys
from functools import cache
from html.parser import HTMLParser
from importlib.metadata import entry_points
from pathlib import Path

import pytest

spacy = pytest.importorskip("spacy")

from conftest import CORPORA, seed_paths  # noqa: E402
from spacy.tokens import Doc, DocBin  # noqa: E402
from thinc.api import Config  # noqa: E402

import callnlp  # noqa: E402
from callnlp.errors import MissingDependencyError, OptionError  # noqa: E402
from callnlp.record import CallAnalysis, CueKind, Kind, Role, Section  # noqa: E402
from callnlp.spacy_pipes import CallnlpComponent, CallnlpTokenizer, cues  # noqa: E402

CONFIG = """
[nlp]
lang = "{lang}"
pipeline = ["callnlp"]

[nlp.tokenizer]
@tokenizers = "callnlp_tokenizer"

[components]

[components.callnlp]
factory = "callnlp"
"""

# The same trouble in both languages: (zh, en).
ODD_TEXTS = [
    ("营收  增长\t20%。\n\n  随后下降", "Revenue  grew\t20%.\n\n  Then it fell"),  # runs of whitespace
    ("領(lǐng)先的營(yíng)收增長２０％", "ＲＥＶＥＮＵＥ grew ２０％ to ＄５ million"),  # Traditional with pinyin; full width
    ("\u3000营收\u00a0增长 20%\r\n下降", "\u00a0Revenue\u2003grew 20%\r\nIt fell"),  # odd spaces, CRLF
    ("营收仅 1600 万美元", "US$ 1.06 billion , up  23.4 %"),  # spaces inside quantities
    ("\ufeff营收&amp;利润<b>增长</b>", "\ufeffRevenue &amp; <b>profit</b> rose"),  # BOM, entity, inline tags
    ("营\u200b收增长", "Reve\u200bnue grew"),  # zero-width characters
    ("㍿の営業収益", "ﬁnance ½ of it"),  # one character normalized into several
    (" 营收增长。 ", " Revenue grew. "),  # leading and trailing space
    ("", " \n\t "),  # nothing, whitespace only
]  # fmt: skip

# (text, token, its norm): callnlp's normalized form where normalization changed it.
NORMS = [
    ("領(lǐng)域很大", "領(lǐng)域", "领域"),
    ("營收達9.816億美元", "9.816億美元", "9.816亿美元"),
    ("ＲＥＶＥＮＵＥ增长", "ＲＥＶＥＮＵＥ", "revenue"),
    ("Revenue grew", "Revenue", "revenue"),
]  # fmt: skip

# (text, quantities that must each be one token)
QUANTITIES = [
    ("CoreWeaveQ1收入同比激增四倍,达9.816亿美元,毛利率23.4%", ["9.816亿美元", "23.4%"]),
    ("Revenue was $1.06 billion, up 23.4%, and USD34.6 million of backlog", ["$1.06 billion", "23.4%", "USD34.6 million"]),
]  # fmt: skip

# (language, call, the CFO's title, the opening of their first sentence of two guidance
# figures, those figures' metrics)
CFO_GUIDANCE = [
    ("zh", "000", "首席财务官", "我们预计调整后营业收入在8亿美元至8.3亿美元范围内", ["adjusted_operating_income", "capex"]),
    ("en", "en_fool_helios_q2_2025.txt", "Chief Financial Officer", "For the third quarter, we expect revenue between", ["revenue", "gross_margin"]),
]  # fmt: skip

# A tokenizer that cuts otherwise: (language of spacy.blank, text)
OTHER_TOKENIZERS = [
    ("en", "营收9.816亿美元,同比增长420%,但需求可能放缓。"),
    ("en", "Revenue grew 420%to $981.6m. Margins may soften."),
    ("zh", "营收9.816亿美元,同比增长420%,但需求可能放缓。"),
    ("zh", "Revenue grew 420% to $981.6 million. Margins may soften."),
]

# Markup in the transcript: displaCy must show it as text.
SCRIPTS = [
    "主持人:欢迎。\n\n董事长 王建国:谢谢。<script>alert(1)</script>收入可能下降5%。\n",
    "Operator: Welcome.\n\nJane Doe: Thanks. <script>alert(1)</script> Revenue may fall 5%.\n",
]


@cache
def _nlp(lang: str):
    nlp = spacy.blank(lang, config={"nlp": {"tokenizer": {"@tokenizers": "callnlp_tokenizer"}}})
    nlp.add_pipe("callnlp")
    return nlp


@cache
def _text(name: str) -> str:
    if name[0].isdigit():
        paths = [p for p in seed_paths() if p.name.startswith(name)]
        if not paths:
            pytest.skip("../shared/seeds is not present next to the project")
        return paths[0].read_bytes().decode("utf-8")
    return (CORPORA / "calls" / name).read_bytes().decode("utf-8")


@cache
def _analysis(text: str) -> CallAnalysis:
    return callnlp.analyze(text.encode())


@cache
def _doc(lang: str, name: str) -> Doc:
    return _nlp(lang)(_text(name))


def _spans(doc: Doc) -> dict[str, list[tuple[int, int, str, int]]]:
    return {key: [(s.start, s.end, s.label_, s.id) for s in group] for key, group in doc.spans.items()}


def _misaligned(doc: Doc, analysis: CallAnalysis) -> int:
    """How many figures, cues, turns and sentences have an offset that is no token boundary."""
    starts = {t.idx for t in doc}
    ends = {t.idx + len(t) for t in doc}
    items = [*analysis.figures, *cues(analysis), *analysis.turns, *analysis.sentences]
    return sum(x.start not in starts or x.end not in ends for x in items)


# -- building the pipeline -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("zh", "公司预计全年收入约49亿美元,但需求可能放缓。"),
        ("en", "We expect revenue of about $4.9 billion, but demand may soften."),
    ],
)
def test_spacy_pipeline_built_with_add_pipe_equals_one_from_config(
    tmp_path: Path, lang: str, text: str
) -> None:
    replaced = spacy.blank(lang)
    replaced.tokenizer = CallnlpTokenizer(replaced.vocab)
    replaced.add_pipe("callnlp")
    from_string = spacy.util.load_model_from_config(
        Config().from_str(CONFIG.format(lang=lang)), auto_fill=True
    )
    (tmp_path / "config.cfg").write_text(CONFIG.format(lang=lang), encoding="utf-8")
    language = spacy.util.get_lang_class(lang)
    from_file = language.from_config(Config().from_disk(tmp_path / "config.cfg"))
    expected = _nlp(lang)(text)  # spacy.blank with the tokenizer in its config, and add_pipe
    assert expected.spans["figures"]
    assert expected.spans["cues"]
    for nlp in (replaced, from_string, from_file):
        assert isinstance(nlp.tokenizer, CallnlpTokenizer)
        assert nlp.pipe_names == ["callnlp"]
        doc = nlp(text)
        assert [t.text for t in doc] == [t.text for t in expected]
        assert _spans(doc) == _spans(expected)
        assert doc._.call == expected._.call


def test_spacy_entry_points_name_the_component_and_the_tokenizer() -> None:
    factories = {e.name: e.value for e in entry_points(group="spacy_factories")}
    tokenizers = {e.name: e.value for e in entry_points(group="spacy_tokenizers")}
    assert factories["callnlp"] == "callnlp.spacy_pipes:make_component"
    assert tokenizers["callnlp_tokenizer"] == "callnlp.spacy_pipes:create_tokenizer"
    assert spacy.registry.tokenizers.get("callnlp_tokenizer") is callnlp.spacy_pipes.create_tokenizer


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_spacy_pipeline_saved_to_disk_loads_by_name(tmp_path: Path, lang: str) -> None:
    text = _text("en_colon_northwind_q1_2026.txt")
    _nlp(lang).to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    assert isinstance(loaded.tokenizer, CallnlpTokenizer)
    doc, expected = loaded(text), _nlp(lang)(text)
    assert _spans(doc) == _spans(expected)
    assert doc._.call == expected._.call


# -- the tokenizer -----------------------------------------------------------------------


@pytest.mark.parametrize(("zh", "en"), ODD_TEXTS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_spacy_doc_text_is_the_text_given(lang: str, zh: str, en: str) -> None:
    for text in (zh, en):
        for doc in (_nlp(lang).tokenizer(text), _nlp(lang)(text)):
            assert doc.text == text
            assert all(t.text and text[t.idx : t.idx + len(t)] == t.text for t in doc)
            for span in (s for group in doc.spans.values() for s in group):
                assert text[span.start_char : span.end_char] == span.text


@pytest.mark.parametrize(("text", "token", "norm"), NORMS)
def test_spacy_tokens_are_the_original_characters_with_callnlps_norm(
    text: str, token: str, norm: str
) -> None:
    doc = _nlp("zh").tokenizer(text)
    assert {t.text: t.norm_ for t in doc}[token] == norm


@pytest.mark.parametrize(("text", "quantities"), QUANTITIES)
def test_spacy_quantities_stay_whole(text: str, quantities: list[str]) -> None:
    for lang in ("zh", "en"):
        tokens = [t.text for t in _nlp(lang).tokenizer(text)]
        assert all(q in tokens for q in quantities), tokens


# -- the component on whole calls --------------------------------------------------------


@pytest.mark.parametrize(("lang", "name"), [("zh", "000"), ("en", "en_fool_helios_q2_2025.txt")])
def test_spacy_figures_and_hedges_equal_analyze(lang: str, name: str) -> None:
    text, doc = _text(name), _doc(lang, name)
    analysis = _analysis(text)
    assert doc.text == text
    assert doc._.call == analysis
    assert doc._.misaligned == 0
    figures = [(f.metric, f.value, f.low, f.high, f.unit, f.start, f.end) for f in analysis.figures]
    assert len(figures) > 10
    spans = doc.spans["figures"]
    assert [(s.label_, s._.figure.value, s._.figure.low, s._.figure.high, s._.figure.unit, s.start_char, s.end_char)
            for s in spans] == figures  # fmt: skip
    hedges = [(c.text, c.start, c.end) for c in cues(analysis) if c.kind is CueKind.HEDGE]
    assert hedges
    assert [
        (s._.cue.text, s.start_char, s.end_char) for s in doc.spans["cues"] if s.label_ == "hedge"
    ] == hedges
    assert [(s._.speaker, s._.role, s._.section) for s in doc.spans["turns"]] == [
        (t.speaker, t.role, t.section) for t in analysis.turns
    ]
    sentences = {s.start_char: s for s in doc.sents}
    for sentence in analysis.sentences:
        span = sentences[sentence.start]
        assert (span._.sentiment, span._.hedging) == (sentence.sentiment, sentence.hedging)
    # text in no sentence (headers, headings) stands apart, with no scores
    assert len(sentences) > len(analysis.sentences)


@pytest.mark.parametrize(("lang", "name", "title", "opening", "metrics"), CFO_GUIDANCE)
def test_spacy_cfo_guidance_sentence_spans(
    lang: str, name: str, title: str, opening: str, metrics: list[str]
) -> None:
    doc = _doc(lang, name)
    analysis = doc._.call
    sentence = next(
        s for s in analysis.sentences
        if s.turn is not None and analysis.turns[s.turn].title == title
        and sum(f.sentence == s.index and f.kind is Kind.GUIDANCE for f in analysis.figures) >= 2
    )  # fmt: skip
    assert sentence.text.startswith(opening)
    span = next(s for s in doc.sents if s.start_char == sentence.start)
    assert span.text.rstrip() == doc.text[sentence.start : sentence.end]
    assert (span._.sentiment, span._.hedging) == (sentence.sentiment, sentence.hedging)
    inside = [f for f in doc.spans["figures"] if span.start <= f.start and f.end <= span.end]
    assert [f.label_ for f in inside] == metrics
    assert all(f._.figure.kind is Kind.GUIDANCE and f._.figure.sentence == sentence.index for f in inside)
    said = [c for c in doc.spans["cues"] if span.start <= c.start and c.end <= span.end]
    assert [(c.text, c.label_) for c in said] == [(c.text, c.kind.value) for c in sentence.cues]
    turn = next(t for t in doc.spans["turns"] if t.start <= span.start and span.end <= t.end)
    assert (turn.label_, turn._.role, turn._.section) == ("executive", Role.EXECUTIVE, Section.PREPARED)
    assert turn._.speaker == analysis.turns[sentence.turn].speaker


@pytest.mark.parametrize(("lang", "text"), OTHER_TOKENIZERS)
def test_spacy_other_tokenizer_widens_spans_and_counts_them(lang: str, text: str) -> None:
    nlp = spacy.blank(lang)  # spaCy's own tokenizer: English rules, or a Chinese character each
    nlp.add_pipe("callnlp")
    doc, analysis = nlp(text), _analysis(text)
    assert doc._.misaligned == _misaligned(doc, analysis)
    for group, items, attribute in (("figures", analysis.figures, "figure"), ("cues", cues(analysis), "cue")):
        spans = doc.spans[group]
        assert len(spans) == len(items)  # none dropped
        for span, item in zip(spans, items, strict=True):
            assert span.start_char <= item.start
            assert item.end <= span.end_char
            assert getattr(span._, attribute) == item


def test_spacy_other_tokenizer_on_chinese_text_misaligns() -> None:
    # the English rules keep 营收9.816亿美元 as one token: the case the count is for
    nlp = spacy.blank("en")
    nlp.add_pipe("callnlp")
    assert nlp(OTHER_TOKENIZERS[0][1])._.misaligned > 0


@pytest.mark.parametrize("text", ["", " \n\t ", "主持人:", "Operator:\n\n"])
def test_spacy_texts_without_speech_get_empty_groups(text: str) -> None:
    for lang in ("zh", "en"):
        doc = _nlp(lang)(text)
        assert doc.text == text
        assert not doc.spans["figures"]
        assert not doc.spans["cues"]
        assert (doc._.call is None) == (not text.strip())
        assert len(list(doc.sents)) == (1 if doc else 0)


# -- batches, processes, serialization ---------------------------------------------------


def test_spacy_pipe_in_two_processes_equals_one() -> None:
    texts = [_text(p.name) for p in sorted((CORPORA / "calls").glob("*.txt"))] + [
        s for pair in ODD_TEXTS for s in pair
    ]
    nlp = _nlp("zh")
    one = list(nlp.pipe(texts))
    two = list(nlp.pipe(texts, n_process=2, batch_size=2))
    assert [d.text for d in two] == texts
    for a, b in zip(one, two, strict=True):
        assert _spans(a) == _spans(b)
        assert b._.call == a._.call
        assert [s._.figure for s in b.spans["figures"]] == [s._.figure for s in a.spans["figures"]]
        assert [(s.start, s._.hedging) for s in b.sents] == [(s.start, s._.hedging) for s in a.sents]
        assert [t.norm_ for t in b] == [t.norm_ for t in a]


@pytest.mark.parametrize(
    ("lang", "name"), [("zh", "interpreted_tianlan_2025q3.txt"), ("en", "en_sa_quantaridge_q3_2025.txt")]
)
def test_spacy_to_bytes_round_trip_rebuilds_the_record(lang: str, name: str) -> None:
    doc = _doc(lang, name)
    for loaded in (
        Doc(_nlp(lang).vocab).from_bytes(doc.to_bytes()),
        next(DocBin(store_user_data=True, docs=[doc]).get_docs(_nlp(lang).vocab)),
    ):
        assert loaded.text == doc.text
        assert _spans(loaded) == _spans(doc)
        assert loaded._.call == doc._.call
        assert loaded._.misaligned == doc._.misaligned
        assert [s._.figure for s in loaded.spans["figures"]] == list(doc._.call.figures)
        assert [s._.cue for s in loaded.spans["cues"]] == list(cues(doc._.call))
        assert [(s.start, s._.sentiment) for s in loaded.sents] == [
            (s.start, s._.sentiment) for s in doc.sents
        ]


def test_spacy_component_and_tokenizer_pickle() -> None:
    component = pickle.loads(pickle.dumps(_nlp("zh").get_pipe("callnlp")))
    assert isinstance(component, CallnlpComponent)
    tokenizer = pickle.loads(pickle.dumps(_nlp("zh").tokenizer))
    text = "营收9.816亿美元。"
    assert component(tokenizer(text))._.call == _nlp("zh")(text)._.call


# -- displaCy ------------------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


@pytest.mark.parametrize("text", SCRIPTS)
def test_spacy_display_shows_the_labels_and_escapes_the_text(text: str) -> None:
    doc = _nlp("zh")(text)
    labels = {s.label_ for s in doc.spans["figures"]} | {s.label_ for s in doc.spans["cues"]}
    assert "weak_modal" in labels
    assert len(doc.spans["figures"]) == 1
    for html in (callnlp.display(doc), callnlp.display(doc._.call, text), callnlp.display(doc, page=True)):
        assert all(f">{label}</span>" in html for label in labels)  # the legend
        assert "<script>" not in html
        assert "&lt;script&gt;" in html
        assert "script" not in _Tags(html).tags
    page = callnlp.display(doc, page=True)
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in page


def test_spacy_display_of_a_record_needs_its_text() -> None:
    with pytest.raises(OptionError, match="give the text"):
        callnlp.display(_analysis("营收增长20%。"))


def test_spacy_display_stays_a_function_after_its_module_is_imported() -> None:
    importlib.import_module("callnlp.display")  # importing a module binds it on the package
    assert callable(callnlp.display)
    assert callnlp.display.__module__ == "callnlp.display"


def test_spacy_missing_spacy_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "spacy" or m.startswith(("spacy.", "callnlp.spacy_pipes"))]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "spacy", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'callnlp\[spacy\]'"):
        importlib.import_module("callnlp.spacy_pipes")
    with pytest.raises(MissingDependencyError, match=r"pip install 'callnlp\[spacy\]'"):
        callnlp.display(_analysis("营收增长20%。"), "营收增长20%。")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("lang", "name"), [("zh", "zh_qa_style_jinghong_2025q2.txt"), ("en", "en_fool_helios_q2_2025.txt")]
)
def test_spacy_display_renders_in_headless_chromium(tmp_path: Path, lang: str, name: str) -> None:
    browser = next(
        (path for path in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if path), None
    )
    if browser is None:
        pytest.skip("no chromium, chromium-browser or google-chrome on PATH: run .ci/chromium to install it")
    doc = _doc(lang, name)
    page = tmp_path / "display.html"
    page.write_text(callnlp.display(doc, page=True), encoding="utf-8")
    flags = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    done = subprocess.run(
        [*flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    tags = _Tags(done.stdout).tags
    assert "script" not in tags
    assert tags.count("div") >= len(
        [line for line in doc.text.splitlines() if line.strip()]
    )  # a block a line
    assert done.stdout.count("callnlp-legend") == 1
