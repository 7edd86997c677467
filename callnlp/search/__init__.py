"""Search over stored calls: which sentences, and which calls, say what a query says.

Every content word of the query counts (BM25, Chinese segmented as the index is), with
neighbouring words found together as a boost; a topic the query names (models/topics.tsv,
the metrics of models/metrics.tsv) widens it to the topic's other names in both languages
at a lower weight; amounts are matched against stored figures by value (quantities.py).
Two views:

- `search`: the best sentences of the whole store (or of what the filters leave);
- `search_calls`: calls ranked by their evidence: BM25 of the whole call, its best
  sentence, and the query's amounts it states; each with its best passages.

The engine is a Tantivy index beside an SQLite store (index.py) or the server's
full-text search for PostgreSQL (postgres.py). With an embedding model, similarity of
meaning is fused in. User text never reaches a query language, so quotes, operators,
emoji or 10 KB of text cannot break a search.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from callnlp.embed import ENV_MODEL
from callnlp.errors import OptionError
from callnlp.record import Role, Section
from callnlp.search.quantities import Matches, idf, match_figures
from callnlp.search.query import Query, read_query, topic_pattern
from callnlp.store import EventStore

RRF_K = 60
"""The constant of reciprocal rank fusion (the usual value): score = sum of 1 / (k + rank)."""
PASSAGE_WEIGHT = 0.2
"""A call's score is its own BM25 plus this much of its best sentence's."""
FIGURE_WEIGHT = 1.0
"""Plus this much of the summed weights of the query's amounts it states."""
CANDIDATES = 100
"""Calls re-ranked by their evidence: the best of the whole store by call-level BM25 (at
least ten times the calls asked for; with role, section or language filters, the calls of
the best passages those filters pass), and the calls stating one of the query's amounts
when no more of them do."""
MEANING_WEIGHT = 0.5
"""With an embedding model, the leading calls' best passages are compared with the query in
meaning, and each call gains this much per standard deviation its passage stands above
theirs (on ectsum-val with all-MiniLM-L6-v2: MRR 0.892 -> 0.900; calls ranked by meaning
on their own and fused by rank fell to 0.52)."""
MAX_FIGURE_SENTENCES = 500
"""Sentences stating an amount whose words' scores are read besides the best sentences'."""
PASSAGES = 5
"""Sentences read per candidate call for its best passages (the best of all candidates')."""


@dataclass(frozen=True)
class Hit:
    """One matching sentence, with where to find it.

    `highlights` are (start, end) character ranges in `text` that matched the query.
    """

    call_id: str
    company: str | None
    date: str | None
    period: str | None
    source: str | None
    sentence: int
    line: int
    text: str
    speaker: str | None
    role: str | None
    section: str
    lang: str | None
    score: float
    highlights: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class CallHit:
    """One matching call, with the evidence that ranked it.

    Attributes:
        call_id, company, ticker, date, period, source: the stored call.
        score: call-level BM25 + its best passage's, weighted + its amounts' weights.
        passages: its best sentences, best first.
        figures: the stored figures (as written) that match the query's amounts.
    """

    call_id: str
    company: str | None
    ticker: str | None
    date: str | None
    period: str | None
    source: str | None
    score: float
    passages: tuple[Hit, ...] = ()
    figures: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchResult:
    """What a search found, and how the query was read.

    Attributes:
        query: the query as given.
        phrases: what was searched (the query's words, and the aliases it widened to).
        hits: the matching sentences, best first (`search`).
        calls: the matching calls, best first (`search_calls`).
        semantic: whether embedding similarity was fused into the ranking.
        notes: what the user should know about this search (filters that left calls out,
            calls not indexed yet, lexical only).
        amounts: the query's amounts as read (`$20 billion`), matched by value.
    """

    query: str
    phrases: tuple[str, ...]
    hits: tuple[Hit, ...] = ()
    semantic: bool = False
    notes: tuple[str, ...] = field(default=())
    calls: tuple[CallHit, ...] = ()
    amounts: tuple[str, ...] = ()

    def by_call(self) -> list[list[Hit]]:
        """The hits grouped by call, the calls in order of their best hit."""
        groups: dict[str, list[Hit]] = {}
        for hit in self.hits:
            groups.setdefault(hit.call_id, []).append(hit)
        return list(groups.values())


def search(
    store: EventStore,
    query: str,
    *,
    company: str | None = None,
    since: str | None = None,
    until: str | None = None,
    role: str | None = None,
    section: str | None = None,
    lang: str | None = None,
    undated: bool = False,
    limit: int = 20,
    embedder: Any = None,
) -> SearchResult:
    """The sentences of the store that best match `query`.

    Args:
        store: the store to search.
        query: words in either language; topics widen across languages, amounts match
            stored figures by value.
        company: only this company's calls (case-insensitive).
        since, until: only calls dated in this range (YYYY-MM-DD, inclusive).
        role: only sentences said by this role (executive, analyst, operator ...).
        section: only prepared remarks (prepared) or Q&A (qa).
        lang: only sentences in this language (zh, en).
        undated: with since/until, keep calls that have no date too.
        limit: at most this many hits.
        embedder: a `callnlp.embed.Embedder` to fuse vector similarity with BM25.

    Example:
        >>> import tempfile, callnlp
        >>> store = callnlp.EventStore(tempfile.mkdtemp() + "/calls.db")
        >>> text = "Acme (ACM) Q1 2025 call\\n我们的资本支出增加了。Revenue grew."
        >>> _ = store.add(callnlp.analyze(text.encode()))
        >>> [h.text for h in search(store, "capex").hits]
        ['我们的资本支出增加了。']
    """
    filters = _filters(company, since, until, role, section, lang, undated, limit)
    q = read_query(query)
    if q.empty:
        return SearchResult(query, (), notes=("the query holds no searchable words",))
    notes = _notes(store, filters)
    depth = limit * 3 if embedder else limit
    engine = _engine(store)
    figures = match_figures(store, q.figures, filters, engine.sentence_count())
    if q.topics and not lang:
        # a topic is searched in both languages, whose BM25 scores do not compare (Chinese
        # sentences hold fewer, longer words): each language is ranked on its own, and the
        # two interleaved by rank
        ranked = _fuse(
            *(_sentences(engine, q, {**filters, "lang": one}, depth, figures) for one in ("en", "zh"))
        )
    else:
        ranked = _sentences(engine, q, filters, depth, figures)
    semantic = _semantic(store, embedder, notes)
    if semantic:
        ranked = _fuse(
            ranked, [((c, i), s) for c, i, s in store.nearest(embedder.encode([query])[0], filters, depth)]
        )
    hits = _hits(store, q, ranked[:limit])
    return SearchResult(query, q.phrases, hits, semantic, tuple(notes), amounts=_amounts(q))


def search_calls(
    store: EventStore,
    query: str,
    *,
    company: str | None = None,
    since: str | None = None,
    until: str | None = None,
    role: str | None = None,
    section: str | None = None,
    lang: str | None = None,
    undated: bool = False,
    limit: int = 10,
    passages: int = 3,
    embedder: Any = None,
) -> SearchResult:
    """The calls of the store that best match `query`, each with its best passages.

    A call ranks by BM25 over the whole call, plus its best sentence's BM25 (weighted
    `PASSAGE_WEIGHT`), plus the query's amounts it states (`FIGURE_WEIGHT`); every call of
    the store (or of what company and dates leave) is ranked at the call level. Role,
    section and language filters apply to the passages: a call without one is left out.

    Args:
        store, query, company, since, until, role, section, lang, undated, embedder: as
            for `search`.
        limit: at most this many calls.
        passages: at most this many sentences shown per call.

    Example:
        >>> import tempfile, callnlp
        >>> store = callnlp.EventStore(tempfile.mkdtemp() + "/calls.db")
        >>> _ = store.add(callnlp.analyze("Acme (ACM) Q1 2025 call\\nCapex was $20 billion.".encode()))
        >>> [(c.company, c.figures) for c in search_calls(store, "资本支出200亿美元").calls]
        [('Acme', ('$20 billion',))]
    """
    filters = _filters(company, since, until, role, section, lang, undated, limit)
    q = read_query(query)
    if q.empty:
        return SearchResult(query, (), notes=("the query holds no searchable words",))
    notes = _notes(store, filters)
    engine = _engine(store)
    depth = max(CANDIDATES, 10 * limit)
    broad = {k: filters[k] for k in ("company", "since", "until", "undated")}
    figures = match_figures(store, q.figures, filters, engine.sentence_count())
    passage_filters = any(filters[k] for k in ("role", "section", "lang"))
    if passage_filters:
        # only calls with a passage the filters pass qualify: those of the best such passages
        first = engine.sentences(q, filters, PASSAGES * depth)
        candidates = list(dict.fromkeys(cid for cid, _, _ in first))[:depth]
        whole = dict(engine.calls(q, broad, depth, calls=candidates))
    else:
        whole = dict(engine.calls(q, broad, depth))
        candidates = list(whole)
    if len(figures.calls) <= depth:  # an amount few calls state brings its calls in
        candidates += [cid for cid in figures.calls if cid not in whole]
    best: dict[str, list[tuple[int, float]]] = {}
    for (cid, index), weight in figures.sentences.items():
        best.setdefault(cid, []).append((index, FIGURE_WEIGHT * weight))
    quarter = _quarter_weights(store, q, candidates)

    def ranking() -> list[tuple[str, float]]:
        scores = {
            cid: whole.get(cid, 0.0) + PASSAGE_WEIGHT * max((s for _, s in best.get(cid, ())), default=0.0)
            + FIGURE_WEIGHT * figures.calls.get(cid, 0.0) + quarter.get(cid, 0.0)
            for cid in candidates
            if cid in best or not passage_filters
        }  # fmt: skip
        return sorted(scores.items(), key=lambda kv: -kv[1])

    def read_passages(calls: list[str]) -> None:
        for cid, index, score in engine.sentences(q, filters, PASSAGES * len(calls), calls=calls):
            best.setdefault(cid, []).append((index, score))

    read_passages(candidates)
    # a call shown with none of its sentences among the best of all: read its own, rank again
    read_passages([cid for cid, _ in ranking()[:limit] if cid not in best])
    ranked = ranking()
    semantic = _semantic(store, embedder, notes)
    if semantic:
        ranked = _by_meaning(store, embedder.encode([query])[0], filters, ranked, best, 2 * limit)
    ranked = ranked[:limit]
    shown = {
        cid: [index for index, _ in sorted(best.get(cid, []), key=lambda x: -x[1])][:passages]
        for cid, _ in ranked
    }
    passage_hits = _hits(
        store, q, [((cid, index), 0.0) for cid, indexes in shown.items() for index in indexes]
    )
    by_call: dict[str, list[Hit]] = {}
    for hit in passage_hits:
        by_call.setdefault(hit.call_id, []).append(hit)
    heads = _call_rows(store, [cid for cid, _ in ranked])
    calls = tuple(
        CallHit(
            **heads[cid],
            score=round(score, 6),
            passages=tuple(by_call.get(cid, ())),
            figures=tuple(dict.fromkeys(figures.texts.get(cid, ()))),
        )
        for cid, score in ranked
        if cid in heads
    )
    return SearchResult(query, q.phrases, (), semantic, tuple(notes), calls, _amounts(q))


def _sentences(
    engine: Any, q: Query, filters: dict[str, Any], depth: int, figures: Matches
) -> list[tuple[Any, float]]:
    """((call id, sentence), score) of the best sentences (in `filters["lang"]` when set):
    BM25, and the query's amounts they state."""
    scores = {(cid, index): score for cid, index, score in engine.sentences(q, filters, depth)}
    # a sentence stating an amount adds it to its words' score, read for it when not in the best
    stating = [key for key in figures.sentences if key not in scores][:MAX_FIGURE_SENTENCES]
    scores |= {(cid, index): score for cid, index, score in engine.scores(q, filters, stating)}
    for key, weight in figures.sentences.items():
        if not filters["lang"] or figures.langs.get(key) == filters["lang"]:
            scores[key] = scores.get(key, 0.0) + FIGURE_WEIGHT * weight
    return sorted(scores.items(), key=lambda kv: -kv[1])[:depth]


def _filters(
    company: str | None, since: str | None, until: str | None, role: str | None, section: str | None,
    lang: str | None, undated: bool, limit: int,
) -> dict[str, Any]:  # fmt: skip
    _check(role, {r.value for r in Role}, "role")
    _check(section, {s.value for s in Section}, "section")
    _check(lang, {"zh", "en"}, "lang")
    if limit < 1:
        raise OptionError(f"limit must be at least 1, not {limit}")
    for name, day in (("since", since), ("until", until)):
        if day is not None and not _is_day(day):
            raise OptionError(f"{name} must be a date as YYYY-MM-DD (or YYYY-MM, YYYY), not {day!r}")
    if since and until and since[: len(until)] > until[: len(since)]:
        raise OptionError(f"since {since} is after until {until}: no date is in that range; swap them")
    return {"company": company, "since": since, "until": until, "role": role, "section": section,
            "lang": lang, "undated": undated or None}  # fmt: skip


def _is_day(text: str) -> bool:
    """Whether `text` is a real date, month or year as YYYY-MM-DD, YYYY-MM or YYYY."""
    if not re.fullmatch(r"\d{4}(-\d\d(-\d\d)?)?", text):
        return False
    try:
        datetime.date.fromisoformat(text if len(text) == 10 else f"{text}-01-01"[:10])
    except ValueError:  # 2025-13-01, 2025-02-30
        return False
    return True


def _check(value: str | None, valid: set[str], name: str) -> None:
    if value is not None and value not in valid:
        raise OptionError(f"unknown {name} {value!r}; valid: {', '.join(sorted(valid))}")


def _engine(store: EventStore) -> Any:
    if store.search_index is not None:
        return store.search_index
    from callnlp.search.postgres import PostgresSearch

    return PostgresSearch(store)


def _notes(store: EventStore, filters: dict[str, Any]) -> list[str]:
    """Bring the index up to date, and say what the search cannot see."""
    notes = []
    pending = store.sync_search(wait=False)
    if pending:
        notes.append(
            f"{pending} stored calls are not searchable yet: another process is indexing them; "
            "search again in a moment"
        )
    if (filters["since"] or filters["until"]) and not filters["undated"]:
        left = store.undated(filters["company"])
        if left:
            notes.append(
                f"{left} calls without a date were left out by --since/--until; add --undated to "
                "include them (or give a date at ingest: --date, or a call.json sidecar)"
            )
    return notes


def _semantic(store: EventStore, embedder: Any, notes: list[str]) -> bool:
    if embedder is None:
        notes.append(
            f"lexical search only: set --embed-model or ${ENV_MODEL} (and ingest with it) to rank by "
            "meaning too"
        )
        return False
    if not store.has_embeddings():
        notes.append("lexical search only: no stored call has embeddings; ingest with --embed-model --force")
        return False
    return True


def _quarter_weights(store: EventStore, q: Query, candidates: list[str]) -> dict[str, float]:
    """A call of a quarter the query names scores like a word that only such calls hold:
    the fewer calls of the store are of it, the more it tells."""
    if not q.quarters or not candidates:
        return {}
    periods = {cid: row["period"] for cid, row in _call_rows(store, candidates).items() if row["period"]}
    total = store.call_count()
    weights: dict[str, float] = {}
    for quarter in q.quarters:
        like = f"%{quarter}" if len(quarter) == 2 else quarter
        weight = idf(
            total, store.rows("SELECT count(*) AS n FROM calls WHERE period LIKE :p", {"p": like})[0]["n"]
        )
        for cid, period in periods.items():
            if period.endswith(quarter):
                weights[cid] = weights.get(cid, 0.0) + weight
    return weights


def _by_meaning(
    store: EventStore, vector: Any, filters: dict[str, Any], ranked: list[tuple[str, float]],
    best: dict[str, list[tuple[int, float]]], depth: int,
) -> list[tuple[str, float]]:  # fmt: skip
    """`ranked` calls again, the first `depth` with the closeness in meaning of their best passage."""
    leading = [cid for cid, _ in ranked[:depth] if best.get(cid)]
    cosine = {(cid, index): c for cid, index, c in store.nearest(vector, filters, calls=leading)}
    passage = {cid: max(best[cid], key=lambda kv: kv[1])[0] for cid in leading}
    meant = _standard({cid: cosine.get((cid, index), 0.0) for cid, index in passage.items()})
    return sorted(
        ((cid, s + MEANING_WEIGHT * meant.get(cid, 0.0)) for cid, s in ranked), key=lambda kv: -kv[1]
    )


def _standard(values: dict[str, float]) -> dict[str, float]:
    """`values` as standard scores: how far above the candidates' mean, in deviations."""
    if len(values) < 2:
        return {}
    mean = sum(values.values()) / len(values)
    spread = (sum((v - mean) ** 2 for v in values.values()) / len(values)) ** 0.5 or 1.0
    return {k: (v - mean) / spread for k, v in values.items()}


def _amounts(q: Query) -> tuple[str, ...]:
    return tuple(f.text for f in q.figures if f.unit is not None)


def _hits(store: EventStore, q: Query, ranked: list[tuple[tuple[str, int], float]]) -> tuple[Hit, ...]:
    rows = store.hit_rows([key for key, _ in ranked])
    pattern = _highlighter(q)
    return tuple(
        Hit(**rows[key], score=round(score, 6), highlights=_spans(pattern, rows[key]["text"]))
        for key, score in ranked
        if key in rows
    )


def _call_rows(store: EventStore, ids: list[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    marks = ", ".join(f":c{n}" for n in range(len(ids)))
    rows = store.rows(
        f"SELECT id AS call_id, company, ticker, date, period, source FROM calls WHERE id IN ({marks})",
        {f"c{n}": cid for n, cid in enumerate(ids)},
    )
    return {r["call_id"]: r for r in rows}


def _highlighter(q: Query) -> re.Pattern[str]:
    """The query's words, and the aliases of the topics it names, as they stand in a text."""
    # an English word is whole: `rev` in `revenue` is no match
    words = [rf"(?<![a-z0-9]){re.escape(t)}(?![a-z0-9])" if t.isascii() else re.escape(t) for t in q.terms]
    parts = [p for p in (topic_pattern(q.topics), *sorted(words, key=len, reverse=True)) if p]
    return re.compile("|".join(parts) or "(?!)", re.IGNORECASE)


def _spans(pattern: re.Pattern[str], text: str) -> tuple[tuple[int, int], ...]:
    return tuple(m.span() for m in pattern.finditer(text) if m.end() > m.start())


def _fuse(*rankings: list[tuple[Any, float]]) -> list[tuple[Any, float]]:
    """Reciprocal rank fusion of rankings of (key, score), best first."""
    fused: dict[Any, float] = {}
    for ranking in rankings:
        for rank, (key, _) in enumerate(ranking, start=1):
            fused[key] = fused.get(key, 0.0) + 1 / (RRF_K + rank)
    return sorted(fused.items(), key=lambda kv: -kv[1])
