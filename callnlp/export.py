"""Writing tables (signals, evidence) as CSV or Parquet, the formats research tools read."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

from callnlp.errors import MissingDependencyError, OptionError, OutputError

FORMATS = (".csv", ".parquet")


def write_table(frame: Any, path: str | Path | None) -> None:
    """Write a DataFrame to a .csv or .parquet file, or as CSV to standard output.

    Raises:
        OptionError: the file's extension is not a known format.
        MissingDependencyError: Parquet without pyarrow.
        OutputError: the file cannot be written.

    Example:
        >>> import pandas as pd
        >>> write_table(pd.DataFrame({"company": ["Acme"], "questions": [3]}), None)
        company,questions
        Acme,3
    """
    if path is None:
        frame.to_csv(sys.stdout, index=False)
        return
    path = output_path(path, "signals.csv")
    if path.suffix.lower() not in FORMATS:
        raise OptionError(f"{path}: unknown table format {path.suffix!r}; use one of {', '.join(FORMATS)}")
    data = table_bytes(frame, path.suffix.lower())
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc})") from None


def table_bytes(frame: Any, fmt: str) -> bytes:
    """A DataFrame as the bytes of a .csv or .parquet file (`fmt`, one of FORMATS).

    Raises:
        MissingDependencyError: Parquet without pyarrow.

    Example:
        >>> import pandas as pd
        >>> table_bytes(pd.DataFrame({"company": ["Acme"]}), ".csv")
        b'company\\nAcme\\n'
    """
    if fmt == ".csv":
        return frame.to_csv(index=False).encode()
    out = io.BytesIO()
    try:
        frame.to_parquet(out, index=False)
    except ImportError:
        raise MissingDependencyError(
            "Parquet output needs pyarrow; install it with: pip install pyarrow"
        ) from None
    return out.getvalue()


def output_path(path: str | Path, example: str) -> Path:
    """`path` as a file this process may create or replace, else an `OutputError` that says
    why: a folder, a folder that does not exist. `example` is a file name to suggest.

    Example:
        >>> output_path("/", "report.html")
        Traceback (most recent call last):
        callnlp.errors.OutputError: / is a folder; give a file in it, e.g. /report.html
    """
    path = Path(path)
    try:
        folder, parent = path.is_dir(), path.parent.is_dir()
    except OSError as exc:  # a name the system refuses (too long)
        raise OutputError(f"{path}: cannot write there ({exc.strerror or exc})") from None
    if folder:
        raise OutputError(f"{path} is a folder; give a file in it, e.g. {path / example}")
    if not parent:
        raise OutputError(f"{path}: the folder {path.parent} does not exist; create it, or write elsewhere")
    return path
