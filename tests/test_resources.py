from __future__ import annotations

import subprocess
import sys

import pytest

from callnlp.errors import ResourceError
from callnlp.resources import lines, read


@pytest.mark.parametrize(
    ("name", "first_field"),
    [
        ("userdict.txt", "调整后EBITDA"),  # zh: jieba's format, fields split by spaces
        ("abbreviations.tsv", "Inc."),  # en: tab-separated
    ],
)
def test_resources_rows_skip_comments_and_blank_lines(name: str, first_field: str) -> None:
    rows = lines(name)
    assert first_field in {row[0].split()[0] for row in rows}
    assert all(row[0].strip() and not row[0].startswith("#") for row in rows)
    assert len(rows) < len(read(name).splitlines())  # the file has comment lines


def test_resources_a_missing_file_names_it_and_the_fix() -> None:
    with pytest.raises(ResourceError, match=r"^models/nope\.tsv is missing .*pip install"):
        lines("nope.tsv")


def test_resources_are_read_without_importlib_resources() -> None:
    # importlib.resources brings zipfile, tempfile and shutil: 0.01-0.02 s of every start
    program = (
        "import sys; from callnlp.resources import lines; lines('userdict.txt'); "
        "print('importlib.resources' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
