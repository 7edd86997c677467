"""`python -m callnlp` runs the command line."""

from __future__ import annotations

from callnlp.cli import run

run()
