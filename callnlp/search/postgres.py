"""Search on a PostgreSQL store: the server's full-text search on the same search terms.

A team's shared store is searched where it lives, so no index sits beside a client. Each
sentence's generated tsvector (`sentences.tsv`, see callnlp.schema) is ranked by ts_rank
with the query's words ORed, aliases at their lower weight; a call's score is the sum of
its matching sentences' ranks. It ranks every match (no cut-off), which the server does
fast enough for a team's store; the SQLite store's Tantivy index is the fast path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from callnlp.search.query import ALIAS_WEIGHT, Query, topic_words
from callnlp.store import EventStore

# normalization 2 divides a rank by the length: a short sentence about the topic
# ranks above a long one that mentions it in passing, as with BM25
_RANK = "ts_rank(s.tsv, {q}, 2)"


class PostgresSearch:
    """The ranked matches of a query in a PostgreSQL store.

    Args:
        store: a store whose URL is postgresql://...
    """

    def __init__(self, store: EventStore) -> None:
        self.store = store

    def sentences(
        self, query: Query, filters: dict[str, Any], limit: int, calls: Sequence[str] | None = None
    ) -> list[tuple[str, int, float]]:
        """(call id, sentence, rank) of the best sentences (of `calls`, when given)."""
        sql, params = self._matches('s.call_id, s."index"', query, filters, calls)
        if sql is None:
            return []
        rows = self.store.rows(f"{sql} ORDER BY score DESC LIMIT :limit", {**params, "limit": limit})
        return [(r["call_id"], int(r["index"]), float(r["score"])) for r in rows]

    def scores(
        self, query: Query, filters: dict[str, Any], keys: Sequence[tuple[str, int]]
    ) -> list[tuple[str, int, float]]:
        """(call id, sentence, rank) of those of the sentences `keys` that match `query`."""
        if not keys:
            return []
        sql, params = self._matches('s.call_id, s."index"', query, filters, None, keys)
        if sql is None:
            return []
        return [(r["call_id"], int(r["index"]), float(r["score"])) for r in self.store.rows(sql, params)]

    def sentence_count(self) -> int:
        """How many sentences the store holds (the planner's estimate: counting takes long)."""
        return int(
            self.store.rows("SELECT reltuples::bigint AS n FROM pg_class WHERE relname = 'sentences'")[0]["n"]
        )

    def calls(
        self, query: Query, filters: dict[str, Any], limit: int, calls: Sequence[str] | None = None
    ) -> list[tuple[str, float]]:
        """(call id, summed rank of its matching sentences) of the best calls (of `calls`)."""
        broad = {k: v for k, v in filters.items() if k in ("company", "since", "until", "undated")}
        sql, params = self._matches("s.call_id", query, broad, calls)
        if sql is None:
            return []
        rows = self.store.rows(
            f"SELECT call_id, sum(score) AS total FROM ({sql}) m GROUP BY call_id ORDER BY total DESC "
            "LIMIT :limit",
            {**params, "limit": limit},
        )
        return [(r["call_id"], float(r["total"])) for r in rows]

    def _matches(
        self,
        columns: str,
        query: Query,
        filters: dict[str, Any],
        calls: Sequence[str] | None,
        keys: Sequence[tuple[str, int]] = (),
    ) -> tuple[str | None, dict[str, Any]]:
        params: dict[str, Any] = {}
        own = [f"plainto_tsquery('simple', :t{n})" for n in range(len(query.terms))]
        params.update({f"t{n}": t for n, t in enumerate(query.terms)})
        aliases = [
            a for topic in query.topics for a in topic_words(topic) if a not in {(t,) for t in query.terms}
        ]
        wider = [f"phraseto_tsquery('simple', :a{n})" for n in range(len(aliases))]
        params.update({f"a{n}": " ".join(a) for n, a in enumerate(aliases)})
        if not own and not wider:
            return None, {}
        parts = [f"(SELECT {' || '.join(own)}) AS own" if own else "(SELECT NULL::tsquery) AS own"]
        parts.append(
            f"(SELECT {' || '.join(wider)}) AS wider" if wider else "(SELECT NULL::tsquery) AS wider"
        )
        own_rank, wider_rank = _RANK.format(q="q.own"), _RANK.format(q="q.wider")
        score = f"coalesce({own_rank}, 0) + {ALIAS_WEIGHT} * coalesce({wider_rank}, 0)"
        condition = "(s.tsv @@ q.own OR s.tsv @@ q.wider)"
        if calls is not None:
            condition += " AND s.call_id = ANY(:calls)"
            params["calls"] = list(calls)
        if keys:
            pairs = ", ".join(f"(:kc{n}, :ki{n})" for n in range(len(keys)))
            condition += f' AND (s.call_id, s."index") IN ({pairs})'
            params.update(
                {f"k{x}{n}": v for n, key in enumerate(keys) for x, v in zip("ci", key, strict=True)}
            )
        sql, more = self.store.filtered(
            f"SELECT {columns}, {score} AS score FROM sentences s CROSS JOIN (SELECT {', '.join(parts)}) q",
            filters,
            condition,
        )
        return sql, {**params, **more}
