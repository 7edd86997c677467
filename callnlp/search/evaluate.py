"""Scoring search: does each query bring back the call it names, and how high?

A queries file is tab-separated UTF-8, one query a row: `query<TAB>expected`, where
`expected` names the call the query should find: its id, an id prefix (at least 6 hex
characters, as `callnlp calls` prints them), or the transcript it was ingested from (the
path as given at ingest, the same file by another path, or its file name when no other
stored call has that name). Further columns are ignored. A first row `query<TAB>expected`
is a header; blank lines and lines starting with `#` are skipped.

The figures are those of known-item search: the mean reciprocal rank of the expected call
among the first `limit` calls (MRR@10 by default), and the share of queries that rank it
first (hit@1) and among the first five (hit@5).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from callnlp.errors import LabeledDataError
from callnlp.evaluate import read_text
from callnlp.search import search_calls
from callnlp.store import EventStore

SHOWN_FAILURES = 20
"""The failed queries `SearchEvaluation.table` lists; the rest are counted."""
QUERY_WIDTH = 80
"""Characters of a query shown in the table."""
_ID_PREFIX = re.compile(r"[0-9a-f]{6,64}")

Result = tuple[str, str, int | None, str | None]
"""(query, expected, rank of the expected call or None, the first call's source or id)."""


@dataclass(frozen=True)
class SearchEvaluation:
    """How search did on a queries file.

    Attributes:
        n: queries run.
        mrr: mean reciprocal rank of the expected call (0 for a query that does not bring
            it back among the first `limit`).
        hit1: share of queries that rank the expected call first.
        hit5: share of queries that rank it among the first five.
        failed: (query, expected, rank or None, the first call's source or id, None when
            nothing came back) of every query that did not rank its call first, in file order.
        limit: calls looked at per query (the 10 of MRR@10).
    """

    n: int
    mrr: float
    hit1: float
    hit5: float
    failed: tuple[Result, ...]
    limit: int = 10

    def table(self) -> str:
        """The figures, then the queries that did not rank their call first, one a line."""
        out = [
            f"search: {self.n} queries, MRR@{self.limit} {self.mrr:.3f}, hit@1 {self.hit1:.3f}, "
            f"hit@5 {self.hit5:.3f}"
        ]
        if not self.failed:
            return "\n".join([*out, "every query ranked its call first"])
        out += ["", f"{len(self.failed)} not ranked first (rank, query -> expected; first instead):"]
        for query, expected, rank, top in self.failed[:SHOWN_FAILURES]:
            shown = query if len(query) <= QUERY_WIDTH else query[: QUERY_WIDTH - 1] + "…"
            out.append(f"{rank or '-':>4}  {shown} -> {expected}; first: {top or 'nothing found'}")
        if len(self.failed) > SHOWN_FAILURES:
            out.append(f"      ... and {len(self.failed) - SHOWN_FAILURES} more")
        return "\n".join(out)


def evaluate_search(
    queries: str | Path, store: EventStore, *, embedder: Any = None, limit: int = 10
) -> SearchEvaluation:
    """Run every query of a queries file through `search_calls` and rank its expected call.

    Args:
        queries: the .tsv file of query<TAB>expected rows.
        store: the store to search; it must hold every expected call.
        embedder: a `callnlp.embed.Embedder` to fuse vector similarity in, as `search_calls`.
        limit: calls looked at per query.

    Raises:
        InputNotFoundError: there is no such file.
        LabeledDataError: a row is malformed, or names no stored call (or several); the
            message names the line.

    Example:
        >>> import tempfile, pathlib, callnlp
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> store = callnlp.EventStore(folder / "calls.db")
        >>> record = callnlp.analyze("Acme (ACM) Q1 2025 call\\nCapex was $20 billion.".encode())
        >>> _ = store.add(record)
        >>> rows = f"query\\texpected\\n资本支出200亿美元\\t{record.call.id[:8]}\\n"
        >>> _ = (folder / "queries.tsv").write_text(rows, encoding="utf-8")
        >>> evaluate_search(folder / "queries.tsv", store).mrr
        1.0
    """
    path = Path(queries)
    rows = _read(path)
    expected_ids = _resolve(path, rows, store.calls())
    results = []
    for (_, query, expected), call_id in zip(rows, expected_ids, strict=True):
        calls = search_calls(store, query, limit=limit, embedder=embedder).calls
        found = [c.call_id for c in calls]
        rank = found.index(call_id) + 1 if call_id in found else None
        results.append((query, expected, rank, (calls[0].source or calls[0].call_id) if calls else None))
    return measure(results, limit)


def measure(results: Iterable[Result], limit: int = 10) -> SearchEvaluation:
    """The figures of known-item results, for search done by `evaluate_search` or any other.

    Args:
        results: (query, expected, rank or None, the first result) of each query; a rank
            beyond `limit` counts as not found.
        limit: results looked at per query.

    Example:
        >>> measure([("capex", "a.txt", 1, "a.txt"), ("关税", "b.txt", 4, "a.txt")]).mrr
        0.625
    """
    results = [(q, e, r if r is not None and r <= limit else None, top) for q, e, r, top in results]
    ranks = [r for _, _, r, _ in results]
    total = max(len(ranks), 1)  # no results: figures of 0 rather than a division by zero
    return SearchEvaluation(
        n=len(ranks),
        mrr=round(sum(1 / r for r in ranks if r) / total, 4),
        hit1=round(ranks.count(1) / total, 4),
        hit5=round(sum(1 for r in ranks if r and r <= 5) / total, 4),
        failed=tuple(r for r in results if r[2] != 1),
        limit=limit,
    )


def _read(path: Path) -> list[tuple[int, str, str]]:
    """(line number, query, expected) of each row of a queries file."""
    lines = read_text(path, "queries file", "query<TAB>expected").splitlines()
    rows: list[tuple[int, str, str]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in line.split("\t")]
        if not rows and [c.lower() for c in cells[:2]] == ["query", "expected"]:
            continue
        if len(cells) < 2:
            raise LabeledDataError(
                f"{path}, line {number}: no tab; write each row as query<TAB>expected (the call's "
                "id or transcript file)"
            )
        if not cells[0]:
            raise LabeledDataError(f"{path}, line {number}: the query is empty; write words to search for")
        rows.append((number, cells[0], cells[1]))
    if not rows:
        raise LabeledDataError(f"{path}: the file holds no queries; add query<TAB>expected rows")
    return rows


def _resolve(path: Path, rows: list[tuple[int, str, str]], calls: list[dict[str, Any]]) -> list[str]:
    """The id of the one stored call each row's `expected` names."""
    by_key: list[dict[str, set[str]]] = [{}, {}, {}]
    for call in calls:
        if call["source"]:
            for table, key in zip(by_key, _keys(call["source"]), strict=True):
                table.setdefault(key, set()).add(call["id"])
    ids = []
    for number, _, expected in rows:
        found: set[str] = set()
        if _ID_PREFIX.fullmatch(expected.lower()):
            found = {c["id"] for c in calls if c["id"].startswith(expected.lower())}
        # loosest last: a path as given must not be made ambiguous by a namesake in another folder
        for table, key in zip(by_key, _keys(expected), strict=True):
            found = found or table.get(key, set())
        if len(found) != 1:
            what = f"{len(found)} stored calls" if found else "no stored call"
            raise LabeledDataError(
                f"{path}, line {number}: {expected!r} names {what}; give a call id or its first 6+ "
                "characters (`callnlp calls` lists them) or the path of a stored transcript"
            )
        ids.append(next(iter(found)))
    return ids


def _keys(source: str) -> tuple[str, str, str]:
    """A transcript path as given, resolved, and its file name: the ways `expected` may name it."""
    return source, str(Path(source).resolve()), Path(source).name
