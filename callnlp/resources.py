"""Reading the data files in models/ (installed as the package `callnlp.models`).

They are read as files of the package's directory, where pip installs them:
importlib.resources, which reads packages inside zip files too, cost every process
0.01-0.02 s importing what it needs for those (zipfile, tempfile, shutil).
"""

from __future__ import annotations

from pathlib import Path

import callnlp.models
from callnlp.errors import ResourceError


def read(name: str) -> str:
    """The text of a data file in models/.

    Raises:
        FileNotFoundError: the installation has no such file.

    Example:
        >>> read("userdict.txt").startswith("#")
        True
    """
    return (Path(callnlp.models.__file__).parent / name).read_text(encoding="utf-8")


def lines(name: str) -> list[list[str]]:
    """The rows of a tab-separated data file in models/, without blank and `#` lines.

    Args:
        name: the file's name in models/, e.g. "userdict.txt".

    Raises:
        ResourceError: the file is missing from the installation.

    Example:
        >>> rows = lines("abbreviations.tsv")
        >>> ["Inc.", "name"] in rows
        True
    """
    try:
        text = read(name)
    except FileNotFoundError as exc:
        raise ResourceError(
            f"models/{name} is missing from the callnlp installation; reinstall it (pip install -e .)"
        ) from exc
    rows = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            rows.append(line.rstrip("\r").split("\t"))
    return rows
