"""A learned head over the lexicon scorer: a small logistic model that reads the rules'
evidence (their sentiment and hedging, the cues they found by kind, the shape of the
sentence) and decides tone and hedging again.

The rules weigh cues with hand-set constants; a model fitted on labeled sentences may weigh
the same evidence better, or worse: so the head is used for a task only where it beat the
rules on the held-out rows of the labeled sets, and models/head.json says so (`enabled`).
`python -m callnlp.head` fits it on the `tune` rows of corpora/labeled/, compares it with
the rules on the `test` rows, and writes models/head.json (card: models/head.md); with
`--embed-model`, each sentence's embedding by that sentence-transformers model joins the
features, and the head is then used only where that model is configured (`--embed-model`
at ingest, `LexiconScorer(embedder=...)`). Fitting needs numpy; using a head without
embeddings needs only the weights file.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from callnlp.errors import ResourceError
from callnlp.record import CueKind, Tone
from callnlp.resources import read
from callnlp.tokenize import Token, TokenKind

_KINDS = tuple(k for k in CueKind if k is not CueKind.EVASION)
FEATURES = (
    "sentiment", "hedging", "forward", "question", "number", "chinese", "log_tokens",
    *(f"cues_{k.value}" for k in _KINDS),
)  # fmt: skip
"""What the head reads of a sentence, in order."""
TONES = (Tone.NEGATIVE, Tone.NEUTRAL, Tone.POSITIVE)
TASKS = ("sentiment", "hedging")


def features(tokens: Sequence[Token], sentiment: float, hedging: float, forward: bool, cues) -> list[float]:
    """The head's reading of one sentence: the rules' scores, the cues by kind (log counts),
    and its shape (a question, a number, Chinese, its length).

    Example:
        >>> from callnlp.scoring import LexiconScorer
        >>> from callnlp.tokenize import Tokenizer
        >>> s = LexiconScorer()("Revenue may be lumpy.")
        >>> tokens = Tokenizer()("Revenue may be lumpy.")
        >>> x = features(tokens, s.sentiment, s.hedging, s.forward_looking, s.cues)
        >>> dict(zip(FEATURES, x))["cues_hedge"] > 0
        True
    """
    counts = dict.fromkeys(_KINDS, 0)
    for cue in cues:
        if cue.kind in counts:
            counts[cue.kind] += 1
    words = [t for t in tokens if t.kind is not TokenKind.PUNCT]
    return [
        sentiment,
        hedging,
        float(forward),
        float(bool(tokens) and tokens[-1].text in ("?", "？")),
        float(any(t.kind is TokenKind.QUANTITY for t in tokens)),
        float(any(t.lang == "zh" for t in tokens)),
        math.log1p(len(words)),
        *(math.log1p(n) for n in counts.values()),
    ]


@dataclass(frozen=True)
class Head:
    """The fitted weights, bias first: `tone` one row per tone of TONES (softmax), `hedged`
    the logistic weights of "hedged"; `enabled` names the tasks it decides. With `model`,
    the features go on with the sentence's embedding by that sentence-transformers model,
    and the head is used only where that model is configured."""

    tone: tuple[tuple[float, ...], ...]
    hedged: tuple[float, ...]
    enabled: frozenset[str] = field(default_factory=frozenset)
    model: str | None = None

    def decide_tone(self, x: Sequence[float]) -> tuple[float, Tone]:
        """(sentiment in [-1, 1], tone): P(positive) - P(negative), and the likeliest tone."""
        logits = [row[0] + sum(w * v for w, v in zip(row[1:], x, strict=True)) for row in self.tone]
        top = max(logits)
        p = [math.exp(v - top) for v in logits]
        return round((p[2] - p[0]) / sum(p), 4), TONES[p.index(max(p))]

    def decide_hedging(self, x: Sequence[float]) -> float:
        """The probability that a sentence is hedged, in [0, 1]."""
        z = self.hedged[0] + sum(w * v for w, v in zip(self.hedged[1:], x, strict=True))
        return round(1 / (1 + math.exp(-max(-30.0, min(30.0, z)))), 4)


@cache
def shipped() -> Head | None:
    """The head in models/head.json when it decides any task, else None.

    Raises:
        ResourceError: the file is there but cannot be read.
    """
    try:
        text = read("head.json")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
        if data["features"] != list(FEATURES):
            raise ValueError(f"it reads {data['features']}, this release computes {list(FEATURES)}")
        head = Head(
            tuple(map(tuple, data["tone"])),
            tuple(data["hedged"]),
            frozenset(data["enabled"]),
            data.get("model"),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ResourceError(
            f"models/head.json cannot be read ({exc}); refit it: python -m callnlp.head"
        ) from None
    return head if head.enabled else None


def fit(x: Sequence[Sequence[float]], y: Sequence[int], classes: int, l2: float = 1.0) -> list[list[float]]:
    """Multinomial logistic regression (gradient descent on standardized features, L2 on
    the weights, not the bias); one row per class on the original scale, bias first.

    Example:
        >>> w = fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1], classes=2)
        >>> len(w), len(w[0])
        (2, 2)
    """
    import numpy as np

    a = np.asarray(x, dtype=float)
    mean, std = a.mean(axis=0), a.std(axis=0)
    std[std == 0] = 1.0
    z = np.hstack([np.ones((len(a), 1)), (a - mean) / std])
    target = np.eye(classes)[np.asarray(y)]
    w = np.zeros((z.shape[1], classes))
    shrink = np.full((z.shape[1], 1), l2 / len(a))
    shrink[0] = 0.0
    for _ in range(FIT_STEPS):
        logits = z @ w
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        w -= FIT_RATE * (z.T @ (p - target) / len(a) + shrink * w)
    scaled = w[1:] / std[:, None]
    bias = w[0] - mean @ scaled
    return [[float(bias[k]), *map(float, scaled[:, k])] for k in range(classes)]


FIT_STEPS = 4000
FIT_RATE = 0.5
"""Plain gradient descent on standardized features converges well within these steps for
a few thousand rows and a few dozen features."""


def main(argv: list[str] | None = None) -> int:
    """Fit on the tune rows, compare with the rules on the test rows, write models/head.json."""
    import argparse

    from callnlp.embed import configured
    from callnlp.evaluate import evaluate, read_labeled
    from callnlp.scoring import LexiconScorer

    parser = argparse.ArgumentParser(
        prog="python -m callnlp.head",
        description="Fit the learned head on corpora/labeled/ and keep it for the tasks it wins.",
        epilog="example: python -m callnlp.head --embed-model ./all-MiniLM-L6-v2",
    )
    parser.add_argument("--embed-model", metavar="NAME|PATH", help="add this model's sentence embeddings")
    parser.add_argument(
        "-o", "--output", type=Path, help="where to write the weights (default: models/head.json)"
    )
    args = parser.parse_args(argv)
    embedder = configured(args.embed_model) if args.embed_model else None
    root = Path(__file__).resolve().parent.parent
    paths = sorted((root / "corpora" / "labeled").glob("*.tsv"))
    rules = LexiconScorer(head=None)
    weights: dict[str, list] = {}
    for task in TASKS:
        rows = [r for p in paths if _has(p, task) for r in read_labeled(p, task, "tune")]
        x = _readings(rules, [text for text, _ in rows], embedder)
        if task == "sentiment":
            weights["tone"] = fit(x, [[t.value for t in TONES].index(v) for _, v in rows], 3)
        else:
            no, yes = fit(x, [int(v in ("yes", "1", "2")) for _, v in rows], 2)
            weights["hedged"] = [b - a for a, b in zip(no, yes, strict=True)]
    model = embedder.model_name if embedder else None
    enabled, report = [], []
    for task in TASKS:
        head = Head(tuple(map(tuple, weights["tone"])), tuple(weights["hedged"]), frozenset({task}), model)
        learned = LexiconScorer(head=head, embedder=embedder)
        pairs = [
            tuple(evaluate(p, task, scorer=s, split="test").macro_f1 for s in (rules, learned))
            for p in paths
            if _has(p, task)
        ]
        before, after = (sum(v) / len(pairs) for v in zip(*pairs, strict=True))
        if after > before and all(a >= b - WORSE for b, a in pairs):
            enabled.append(task)
        each = " ".join(f"{b:.3f}->{a:.3f}" for b, a in pairs)
        report.append(
            f"{task}: held-out macro-F1 over {len(pairs)} sets: rules {before:.3f}, head {after:.3f} ({each})"
        )
    data = {"features": list(FEATURES), "model": model, **weights, "enabled": enabled}
    (args.output or root / "models" / "head.json").write_text(
        json.dumps(data, indent=1) + "\n", encoding="utf-8"
    )
    print("\n".join(report), f"\nenabled: {enabled or 'none'}", sep="")
    return 0


WORSE = 0.01
"""The head decides a task only if it is better on the held-out rows on average and worse
on no labeled set by more than this."""


def _has(path: Path, task: str) -> bool:
    header = path.read_text(encoding="utf-8").split("\n", 1)[0].split("\t")
    return {"sentiment": "sentiment", "hedging": "hedge"}[task] in header


def _readings(scorer, texts: list[str], embedder=None) -> list[list[float]]:
    """The features of each text as the rules read it whole (labeled rows are one sentence,
    or a few read as one), with its embedding when an embedder is given."""
    out = []
    for text in texts:
        tokens = scorer.tokenizer(text)
        s = scorer.score(tokens, [(0, len(tokens))], texts=[text])[0]
        out.append(features(tokens, s.sentiment, s.hedging, s.forward_looking, s.cues))
    if embedder is not None:
        out = [x + list(map(float, v)) for x, v in zip(out, embedder.encode(texts), strict=True)]
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
