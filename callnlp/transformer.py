"""A transformer sentiment backend: any sequence-classification checkpoint, by name or path.

Optional: it needs `transformers` and `torch` (pip install 'callnlp[models]'), which are
imported only when a model is first used, so the default pipeline never loads them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

from callnlp.errors import MissingDependencyError, ModelError
from callnlp.hub import locate
from callnlp.record import Tone

INSTALL = "pip install 'callnlp[models]'  (or: pip install torch==2.13.0 transformers)"
"""The exact command that installs what this backend needs (torch's CPU build)."""

# Label names of common checkpoints (FinBERT: positive/negative/neutral; some Chinese
# financial models: 正面/负面/中性; star ratings are not sentiment and are not guessed).
_KNOWN = {
    "positive": 1.0, "pos": 1.0, "bullish": 1.0, "正面": 1.0, "积极": 1.0, "利好": 1.0,
    "negative": -1.0, "neg": -1.0, "bearish": -1.0, "负面": -1.0, "消极": -1.0, "利空": -1.0,
    "neutral": 0.0, "neu": 0.0, "none": 0.0, "中性": 0.0,
}  # fmt: skip


class TransformerSentiment:
    """Sentiment of sentences from a sequence-classification model.

    Each label gets a value on the sentiment scale (positive 1, neutral 0, negative -1 by
    default, read from the model's label names); a sentence's sentiment is the
    probability-weighted mean of the values and its tone the value of the likeliest label.

    Args:
        model: a Hugging Face model name or a local directory holding model and tokenizer.
        labels: label name -> value in [-1, 1], for models whose label names are not known
            (LABEL_0 ...).
        batch_size: sentences per forward pass.
        max_length: longer sentences are truncated to this many model tokens.
        device: "cpu", "cuda", ...; the GPU when one is present, else the CPU, when None.

    Example:
        >>> TransformerSentiment("ProsusAI/finbert").model_name
        'ProsusAI/finbert'
    """

    def __init__(
        self,
        model: str,
        *,
        labels: Mapping[str, float] | None = None,
        batch_size: int = 32,
        max_length: int = 256,
        device: str | None = None,
    ) -> None:
        self.model_name = model
        self.labels = dict(labels) if labels else None
        self.batch_size = batch_size
        self.max_length = max_length
        self.device = device

    def __call__(self, texts: Sequence[str]) -> list[tuple[float, Tone]]:
        """(sentiment, tone) of each text, in order."""
        torch, tokenizer, model, values = self._loaded
        out: list[tuple[float, Tone]] = []
        for i in range(0, len(texts), self.batch_size):
            batch = tokenizer(
                list(texts[i : i + self.batch_size]),
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            ).to(model.device)
            with torch.inference_mode():
                probs = model(**batch).logits.softmax(-1).tolist()
            for p in probs:
                score = sum(v * q for v, q in zip(values, p, strict=True))
                top = values[max(range(len(p)), key=p.__getitem__)]
                tone = Tone.POSITIVE if top > 0 else Tone.NEGATIVE if top < 0 else Tone.NEUTRAL
                out.append((round(max(-1.0, min(1.0, score)), 4), tone))
        return out

    @cached_property
    def _loaded(self) -> tuple[Any, Any, Any, list[float]]:
        try:
            import torch
            import transformers
        except ImportError as exc:
            raise MissingDependencyError(
                f"the transformer sentiment backend needs torch and transformers ({exc.name} is "
                f"missing); install them with: {INSTALL}"
            ) from None
        transformers.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()
        source = locate(self.model_name, "--sentiment-model")
        try:
            tokenizer = transformers.AutoTokenizer.from_pretrained(source, local_files_only=True)
            model = transformers.AutoModelForSequenceClassification.from_pretrained(
                source, local_files_only=True
            )
        except (OSError, ValueError) as exc:
            raise ModelError(
                f"sentiment model {self.model_name!r} cannot be loaded ({str(exc).splitlines()[0]}); "
                "set --sentiment-model to a local directory holding a sequence-classification model "
                "and its tokenizer, or to a model name already in the Hugging Face cache"
            ) from None
        device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
        model.to(device).eval()
        names = [model.config.id2label[i] for i in range(model.config.num_labels)]
        # A sentence longer than the model's position table is cut to fit it.
        limit = getattr(model.config, "max_position_embeddings", None) or self.max_length
        self.max_length = min(self.max_length, limit, tokenizer.model_max_length)
        return torch, tokenizer, model, self._values(names)

    def _values(self, names: list[str]) -> list[float]:
        known = {k.lower(): v for k, v in (self.labels or _KNOWN).items()}
        missing = [n for n in names if n.lower() not in known]
        if missing:
            raise ModelError(
                f"sentiment model {self.model_name!r} has labels {', '.join(names)}, and "
                f"{', '.join(missing)} has no place on the sentiment scale; map every label, "
                "e.g. labels={'LABEL_0': -1, 'LABEL_1': 0, 'LABEL_2': 1} "
                "(--sentiment-labels LABEL_0=-1,LABEL_1=0,LABEL_2=1)"
            )
        return [float(known[n.lower()]) for n in names]
