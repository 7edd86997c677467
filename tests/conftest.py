from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
CORPORA = ROOT / "corpora"


def seed_paths() -> list[Path]:
    return sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []


@pytest.fixture(scope="session")
def seeds() -> list[Path]:
    """The real transcripts in ../shared/seeds; tests using them skip when it is absent."""
    paths = seed_paths()
    if not paths:
        pytest.skip("../shared/seeds is not present next to the project")
    return paths


@pytest.fixture(scope="session")
def seed(seeds: list[Path]):
    """One seed by its number prefix: seed("003")."""

    def get(prefix: str) -> Path:
        return next(p for p in seeds if p.name.startswith(prefix))

    return get
