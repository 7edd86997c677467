from __future__ import annotations

import time
from pathlib import Path

import pytest

from callnlp.errors import ModelError
from callnlp.hub import locate


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("./finbert", "no such directory; give the folder"),
        ("../models/finbert", "no such directory; give the folder"),
        ("/opt/models/chinese-finbert", "no such directory; give the folder"),
        ("~/模型/金融情感", "no such directory; give the folder"),
        ("ProsusAI/finbert-not-cached", "huggingface-cli download ProsusAI/finbert-not-cached"),
        ("finbert-not-cached", "huggingface-cli download finbert-not-cached"),
        ("bad id with spaces", "huggingface-cli download"),
    ],
)
def test_hub_missing_model_fails_at_once_with_the_fix(name: str, message: str, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    started = time.perf_counter()
    with pytest.raises(ModelError, match=message) as caught:
        locate(name, "--sentiment-model")
    assert str(caught.value).startswith(f"--sentiment-model {name}:")
    assert time.perf_counter() - started < 2  # no network retries


def test_hub_directory_is_used_as_given(tmp_path: Path) -> None:
    model = tmp_path / "我的模型"
    model.mkdir()
    assert locate(str(model), "--embed-model") == str(model)


def test_hub_cached_model_is_found_under_its_organisation(tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("huggingface_hub")
    # a minimal Hugging Face cache entry, laid out as the hub client writes it
    snapshot = tmp_path / "models--sentence-transformers--tiny-test" / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    (tmp_path / "models--sentence-transformers--tiny-test" / "refs").mkdir()
    (tmp_path / "models--sentence-transformers--tiny-test" / "refs" / "main").write_text("0" * 40)
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path))
    assert locate("sentence-transformers/tiny-test", "--embed-model") == "sentence-transformers/tiny-test"
    assert (
        locate("tiny-test", "--embed-model", prefixes=("sentence-transformers",))
        == "sentence-transformers/tiny-test"
    )
    with pytest.raises(ModelError):
        locate("tiny-test", "--embed-model")
