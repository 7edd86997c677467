from __future__ import annotations

import atexit
import os
import secrets
from functools import cache
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

PG_SERVER = os.environ.get("CALLNLP_TEST_PG", "postgresql://callnlp:callnlp@127.0.0.1/callnlp_test")
"""The test server and a database on it (.ci/postgres makes both): each test run works in a
database of its own made there, so that two runs (two CI jobs, a developer beside CI)
never drop each other's tables."""
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
    """The URL of this run's database on the test server, its tables dropped, or a skip
    saying why there is none.

    .ci/postgres starts the server; CALLNLP_TEST_PG points elsewhere.
    """
    psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed: pip install -e '.[postgres]'")
    try:
        url = _run_database()
        with psycopg.connect(url, connect_timeout=3, autocommit=True) as conn:
            for table in PG_TABLES:
                conn.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server at {PG_SERVER} ({str(exc).strip()}); run .ci/postgres")
    return url


@cache
def _run_database() -> str:
    """A database made for this test run, dropped when the run ends; the server's own
    database when the role may not make one."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"callnlp_test_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(PG_SERVER, connect_timeout=3, autocommit=True) as conn:
        try:
            conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.errors.InsufficientPrivilege:
            return PG_SERVER
    atexit.register(_drop_database, name)
    # pgvector: the store runs CREATE EXTENSION itself, as it does for a user
    return make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False)


def _drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_SERVER, connect_timeout=3, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # a worker's pool may be open
