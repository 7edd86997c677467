"""The transcript files a batch names (files, folders, globs), and a file that failed."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Failure:
    """A file that could not be analyzed or stored, and why."""

    path: str
    reason: str


def expand(paths: Iterable[str | os.PathLike]) -> tuple[list[Path], list[Failure]]:
    """The transcript files that `paths` name, in order, without repeats.

    Directories are searched recursively; hidden files, sidecar .json files and search
    index folders are left out. A path or pattern that names nothing is a failure.

    Example:
        >>> files, failed = expand(["corpora/calls/*.txt", "no/such.txt"])
        >>> len(files) > 0, failed
        (True, [Failure(path='no/such.txt', reason='no such file or directory')])
    """
    files: dict[Path, None] = {}
    failed: list[Failure] = []
    for raw in paths:
        try:
            found = _expand_one(raw, files)
        except OSError as exc:  # a name the system refuses (too long), a folder it may not read
            found = Failure(str(raw), f"cannot be read ({exc.strerror or exc})")
        if found is not None:
            failed.append(found)
    return list(files), failed


def _expand_one(raw: str | os.PathLike, files: dict[Path, None]) -> Failure | None:
    """Adds the files `raw` names to `files`; a failure when it names none."""
    path = Path(raw)
    if path.is_file():
        files[path] = None
    elif path.is_dir():
        from callnlp.search.index import INDEX_STAMP  # Tantivy's import only for a folder

        # a store kept in the folder has its search index beside it: not transcripts
        indexes = {stamp.parent for stamp in path.rglob(INDEX_STAMP)}
        for found in sorted(path.rglob("*")):
            rel = found.relative_to(path).parts
            if (
                found.is_file()
                and not any(p.startswith(".") for p in rel)
                and found.suffix != ".json"
                and indexes.isdisjoint(found.parents)
            ):
                files[found] = None
    elif glob.has_magic(str(raw)):
        matches = sorted(Path(m) for m in glob.glob(str(raw), recursive=True) if Path(m).is_file())
        if not matches:
            return Failure(str(raw), "the pattern matches no file")
        files.update(dict.fromkeys(matches))
    else:
        return Failure(str(raw), "no such file or directory")
    return None
