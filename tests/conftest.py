from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

PG_URL = os.environ.get("CALLNLP_TEST_PG", "postgresql://callnlp:callnlp@127.0.0.1/callnlp_test")
PG_TABLES = ("embeddings", "signals", "aggregates", "qa_pairs", "figures", "cues", "sentences", "turns", "calls",
             "callnlp_meta")  # fmt: skip

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
CORPORA = ROOT / "corpora"


def subcommands() -> dict:
    """The command line's subcommands: name -> its argparse parser."""
    import argparse

    from callnlp.cli import _parser

    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def workers_of(pid: int) -> list[int]:
    """The pool workers of a process: its children forked from it (the same command line;
    Linux's /proc)."""
    own = Path(f"/proc/{pid}/cmdline").read_bytes()
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children if Path(f"/proc/{c}/cmdline").read_bytes() == own]


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


def postgres() -> str:
    """The test server's URL with its tables dropped, or a skip saying why there is none.

    .ci/postgres starts the server; CALLNLP_TEST_PG points elsewhere.
    """
    psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed: pip install -e '.[postgres]'")
    try:
        with psycopg.connect(PG_URL, connect_timeout=3, autocommit=True) as conn:
            for table in PG_TABLES:
                conn.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server at {PG_URL} ({str(exc).strip()}); run .ci/postgres")
    return PG_URL
