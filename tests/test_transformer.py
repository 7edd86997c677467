from __future__ import annotations

from pathlib import Path

import pytest

from callnlp import Analyzer
from callnlp.errors import ModelError
from callnlp.record import Tone
from callnlp.transformer import TransformerSentiment

pytest.importorskip("transformers", reason="the models extra is not installed: pip install -e '.[models]'")
pytestmark = pytest.mark.model

VOCAB = [
    "[PAD]",
    "[UNK]",
    "[CLS]",
    "[SEP]",
    "[MASK]",
    *"abcdefghijklmnopqrstuvwxyz0123456789%$.,",
    *"收入增长下降亏损",
]


def tiny_model(path: Path, labels: dict[int, str], bias: list[float]) -> Path:
    """A one-layer BERT classifier whose output the bias decides, saved with its tokenizer."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    path.mkdir()
    (path / "vocab.txt").write_text("\n".join(VOCAB), encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(path / "vocab.txt"))
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(VOCAB), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=32, num_labels=len(labels),
        id2label=labels, label2id={v: k for k, v in labels.items()},
    )  # fmt: skip
    model = BertForSequenceClassification(config)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor(bias))
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def positive_model(tmp_path_factory) -> Path:
    return tiny_model(
        tmp_path_factory.mktemp("m") / "pos", {0: "negative", 1: "neutral", 2: "positive"}, [0, 1, 5]
    )


def test_transformer_maps_labels_to_the_sentiment_scale(positive_model: Path) -> None:
    scores = TransformerSentiment(str(positive_model))(["revenue grew", "收入增长"])
    for sentiment, tone in scores:
        assert tone is Tone.POSITIVE
        assert 0.9 < sentiment <= 1.0  # softmax of (0, 1, 5): p(pos) - p(neg) = 0.975


def test_transformer_batches_and_truncates(positive_model: Path) -> None:
    texts = ["a b c d " * 200, "收入", "x"]  # the first is far past 32 positions
    one = TransformerSentiment(str(positive_model), batch_size=1)(texts)
    many = TransformerSentiment(str(positive_model), batch_size=3)(texts)
    assert [t for _, t in one] == [t for _, t in many]
    assert all(abs(a - b) < 1e-3 for (a, _), (b, _) in zip(one, many, strict=True))


def test_transformer_unknown_labels_need_a_mapping(tmp_path: Path) -> None:
    path = tiny_model(tmp_path / "raw", {0: "LABEL_0", 1: "LABEL_1"}, [3, 0])
    with pytest.raises(ModelError, match=r"LABEL_0, LABEL_1.*--sentiment-labels"):
        TransformerSentiment(str(path))(["x"])
    scores = TransformerSentiment(str(path), labels={"LABEL_0": -1, "LABEL_1": 1})(["x"])
    assert scores[0][1] is Tone.NEGATIVE


def test_transformer_missing_model_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"--sentiment-model"):
        TransformerSentiment(str(tmp_path / "nowhere"))(["x"])


def test_transformer_backend_in_the_pipeline(positive_model: Path) -> None:
    text = "净亏损扩大至3亿元，收入和资本支出可能会不稳定。".encode()
    lexicon = Analyzer()(text).sentences[0]
    model = Analyzer(sentiment=TransformerSentiment(str(positive_model)))(text).sentences[0]
    assert lexicon.tone is Tone.NEGATIVE
    assert model.tone is Tone.POSITIVE
    assert model.hedged
    assert model.cues == lexicon.cues  # hedging stays the lexicon's


@pytest.mark.timeout(120, method="thread")  # a model run in a forked worker hangs there
def test_transformer_batch_runs_the_model_in_this_process(positive_model: Path, tmp_path: Path) -> None:
    # torch's threads do not survive a fork: with a model, a batch asked for 2 workers runs here
    for name, text in (("en.txt", "Revenue grew 20%."), ("zh.txt", "收入增长20%。")):
        (tmp_path / name).write_text(text, encoding="utf-8")
    said: list[int] = []  # a forked worker would append to its own copy

    class Recorded(TransformerSentiment):
        def __call__(self, texts):
            said.append(len(texts))
            return super().__call__(texts)

    records = list(Analyzer(sentiment=Recorded(str(positive_model))).each([tmp_path], workers=2))
    assert [r.sentences[0].tone for r in records] == [Tone.POSITIVE, Tone.POSITIVE]
    assert said == [1, 1]  # both files' sentences, here
