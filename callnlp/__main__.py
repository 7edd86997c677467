"""`python -m callnlp` runs the command line."""

from __future__ import annotations

import sys

from callnlp.cli import main

sys.exit(main())
