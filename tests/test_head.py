"""The learned head (callnlp/head.py): fitting, deciding, and being used only when enabled."""

from __future__ import annotations

import json

import pytest

from callnlp import head as head_module
from callnlp.errors import ResourceError
from callnlp.head import FEATURES, Head, fit
from callnlp.record import Tone
from callnlp.scoring import LexiconScorer


def test_head_fit_separates_a_separable_problem() -> None:
    x = [[v, 1.0 - v] for v in (0.0, 0.1, 0.2, 0.8, 0.9, 1.0)]
    y = [0, 0, 0, 1, 1, 1]
    no, yes = fit(x, y, classes=2)

    def logit(w: list[float], row: list[float]) -> float:
        return w[0] + sum(a * b for a, b in zip(w[1:], row, strict=True))

    assert [logit(yes, row) > logit(no, row) for row in x] == [bool(c) for c in y]


def _constant(tone: Tone, hedged: float, enabled: set[str]) -> Head:
    """A head that ignores the features: every sentence gets `tone`, hedging `hedged`."""
    zeros = [0.0] * len(FEATURES)
    rows = tuple((10.0 if t is tone else 0.0, *zeros) for t in head_module.TONES)
    logit = 10.0 if hedged > 0.5 else -10.0
    return Head(rows, (logit, *zeros), frozenset(enabled))


@pytest.mark.parametrize("text", ["Revenue grew 20% to a record.", "收入同比增长20%，创历史新高。"])
def test_head_decides_only_the_tasks_it_is_enabled_for(text: str) -> None:
    rules = LexiconScorer(head=None)(text)
    tone_only = LexiconScorer(head=_constant(Tone.NEGATIVE, 0.9, {"sentiment"}))(text)
    assert rules.tone is Tone.POSITIVE
    assert tone_only.tone is Tone.NEGATIVE
    assert tone_only.sentiment < 0
    assert tone_only.hedging == rules.hedging  # hedging stays the rules'
    both = LexiconScorer(head=_constant(Tone.NEGATIVE, 0.9, {"sentiment", "hedging"}))(text)
    assert both.hedged
    assert both.cues == rules.cues  # the evidence is the rules' in every case


def test_head_shipped_is_none_unless_it_won() -> None:
    data = json.loads(
        (head_module.Path(head_module.__file__).parent.parent / "models" / "head.json").read_text()
    )
    assert data["features"] == list(FEATURES)  # the shipped file matches the code
    head_module.shipped.cache_clear()
    try:
        assert (head_module.shipped() is None) == (not data["enabled"])
    finally:
        head_module.shipped.cache_clear()


def test_head_a_stale_file_names_the_fix(monkeypatch, tmp_path) -> None:
    (tmp_path / "head.json").write_text(
        json.dumps({"features": ["other"], "tone": [], "hedged": [], "enabled": []})
    )

    monkeypatch.setattr(head_module, "read", lambda name: (tmp_path / name).read_text(encoding="utf-8"))
    head_module.shipped.cache_clear()
    try:
        with pytest.raises(ResourceError, match=r"python -m callnlp\.head"):
            head_module.shipped()
    finally:
        head_module.shipped.cache_clear()


class _Embedder:
    """Embeds a text as [1.0] when it holds `bad`, else [-1.0]: what a head reads of meaning."""

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def encode(self, texts: list[str]) -> list[list[float]]:
        return [[1.0 if "bad" in t or "差" in t else -1.0] for t in texts]


def _by_meaning() -> Head:
    """A head, fitted with the fake model, whose tone follows the embedding alone."""
    zeros = [0.0] * len(FEATURES)
    rows = ((0.0, *zeros, 10.0), (0.0, *zeros, 0.0), (0.0, *zeros, -10.0))  # negative when [1.0]
    return Head(rows, (0.0, *zeros, 0.0), frozenset({"sentiment"}), model="fake")


@pytest.mark.parametrize(
    "text", ["Revenue grew 20%, a bad sign for rivals.", "收入增长20%，对同行是个差消息。"]
)
def test_head_with_embeddings_serves_only_its_own_model(text: str) -> None:
    rules = LexiconScorer(head=None)(text)
    assert rules.tone is Tone.POSITIVE  # the words read as growth; only the meaning says otherwise
    assert LexiconScorer(head=_by_meaning(), embedder=_Embedder("fake"))(text).tone is Tone.NEGATIVE
    for embedder in (None, _Embedder("another")):  # no embeddings, or another model's: the rules
        assert LexiconScorer(head=_by_meaning(), embedder=embedder)(text).tone is rules.tone
