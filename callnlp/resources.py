"""Reading the data files in models/ (installed as the package `callnlp.models`)."""

from __future__ import annotations

from importlib import resources

from callnlp.errors import ResourceError


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
        text = resources.files("callnlp.models").joinpath(name).read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError) as exc:
        raise ResourceError(
            f"models/{name} is missing from the callnlp installation; reinstall it (pip install -e .)"
        ) from exc
    rows = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            rows.append(line.rstrip("\r").split("\t"))
    return rows
