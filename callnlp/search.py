"""Topic search over stored sentences: BM25 on segmented words, expanded across languages.

A query is cut by the same tokenizer that indexed the sentences, so Chinese queries match
segmented Chinese words. Every alias of a topic the query names (models/topics.tsv, and
the metrics of models/metrics.tsv) is searched too, each as a phrase: `capex` also finds
资本支出, `关税` finds tariffs. User text never reaches the full-text engine's query
language (every word is quoted), so quotes, operators, emoji or 10 KB of text cannot
break a search. With an embedding model configured, vector similarity is fused with BM25
by reciprocal rank.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from callnlp.embed import ENV_MODEL
from callnlp.errors import OptionError
from callnlp.figures import metric_aliases
from callnlp.record import Role, Section
from callnlp.resources import lines
from callnlp.store import EventStore
from callnlp.tokenize import default_tokenizer, words
from callnlp.units import keywords

MAX_QUERY_WORDS = 32
"""A longer query keeps its first words: a pasted paragraph is still a search, not an error."""
RRF_K = 60
"""The constant of reciprocal rank fusion (the usual value): score = sum of 1 / (k + rank)."""


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
class SearchResult:
    """What a search found: hits best first, and how the query was read.

    Attributes:
        query: the query as given.
        phrases: the phrases searched (the query's words, and the aliases it expanded to).
        hits: the matching sentences, best first.
        semantic: whether embedding similarity was fused into the ranking.
    """

    query: str
    phrases: tuple[str, ...]
    hits: tuple[Hit, ...] = ()
    semantic: bool = False
    notes: tuple[str, ...] = field(default=())

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
    limit: int = 20,
    embedder: Any = None,
) -> SearchResult:
    """Search the stored sentences.

    Args:
        store: the store to search.
        query: words in either language; topics expand across languages.
        company: only this company's calls (case-insensitive).
        since, until: only calls dated in this range (YYYY-MM-DD, inclusive).
        role: only sentences said by this role (executive, analyst, operator ...).
        section: only prepared remarks (prepared) or Q&A (qa).
        lang: only sentences in this language (zh, en).
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
    _check(role, {r.value for r in Role}, "role")
    _check(section, {s.value for s in Section}, "section")
    _check(lang, {"zh", "en"}, "lang")
    if limit < 1:
        raise OptionError(f"limit must be at least 1, not {limit}")
    phrases, expanded = _phrases(query)
    if not phrases:
        return SearchResult(query, (), notes=("the query holds no searchable words",))
    filters = {
        "company": company,
        "since": since,
        "until": until,
        "role": role,
        "section": section,
        "lang": lang,
    }
    depth = limit * 3 if embedder else limit
    if expanded:
        # BM25 scores of different languages do not compare (Chinese sentences hold fewer,
        # longer words): rank each language on its own and interleave them by rank.
        groups = [g for g in ([p for p in phrases if _is_zh(p) == zh] for zh in (False, True)) if g]
        # each language on its own connection: the database works while the other waits
        with ThreadPoolExecutor(len(groups)) as pool:
            ranked = _fuse(*pool.map(lambda g: store.match(g, filters, depth, True), groups))
    else:
        ranked = store.match(phrases, filters, depth, False)
    semantic = False
    notes = []
    if embedder is None:
        notes.append(
            f"lexical search only: set --embed-model or ${ENV_MODEL} (and ingest with it) "
            "to rank by meaning too"
        )
    elif not store.has_embeddings():
        notes.append("lexical search only: no stored call has embeddings; ingest with --embed-model --force")
    else:
        vectors = store.nearest(embedder.encode([query])[0], filters, depth)
        ranked = _fuse(ranked, vectors)
        semantic = True
    ranked = ranked[:limit]
    rows = store.hit_rows([(cid, index) for cid, index, _ in ranked])
    pattern = _highlighter(phrases)
    hits = tuple(
        Hit(**rows[cid, index], score=round(score, 6), highlights=_spans(pattern, rows[cid, index]["text"]))
        for cid, index, score in ranked
        if (cid, index) in rows
    )
    return SearchResult(query, tuple(" ".join(p) for p in phrases), hits, semantic, tuple(notes))


def _check(value: str | None, valid: set[str], name: str) -> None:
    if value is not None and value not in valid:
        raise OptionError(f"unknown {name} {value!r}; valid: {', '.join(sorted(valid))}")


def _words(text: str) -> tuple[str, ...]:
    return tuple(words(default_tokenizer()(text)))


def _phrases(query: str) -> tuple[list[tuple[str, ...]], bool]:
    """The phrases to search, each a tuple of index words, and whether topics expanded.

    A query that names topics searches the query's own words as one phrase plus every
    alias of those topics; any other query searches its words.
    """
    own = _words(query[:4000])[:MAX_QUERY_WORDS]
    if not own:
        return [], False
    pattern, topic_of, aliases_of = _glossary()
    topics = {topic_of[m.group().casefold()] for m in pattern.finditer(query[:4000])}
    if not topics:
        return [own], False
    phrases = [own] + [_words(alias) for topic in sorted(topics) for alias in aliases_of[topic]]
    return list(dict.fromkeys(p for p in phrases if p)), True


@cache
def _glossary() -> tuple[re.Pattern[str], dict[str, str], dict[str, list[str]]]:
    """(alias regex, alias -> topic, topic -> aliases) from topics.tsv and metrics.tsv."""
    aliases_of: dict[str, list[str]] = {}
    for row in lines("topics.tsv"):
        aliases_of.setdefault(row[0], []).extend(row[1].split("|"))
    for metric, aliases in metric_aliases().items():
        aliases_of[f"metric:{metric}"] = aliases
    topic_of = {a.casefold(): t for t, aliases in aliases_of.items() for a in aliases}
    latin = [a for a in topic_of if a.isascii()]
    han = [a for a in topic_of if not a.isascii()]
    # English aliases match whole words (no letter or digit either side); Chinese ones anywhere
    return re.compile(keywords(han, latin, boundary="[A-Za-z0-9]")), topic_of, aliases_of


def _is_zh(phrase: tuple[str, ...]) -> bool:
    return any(w[:1] >= "\u3400" for w in phrase)


def _highlighter(phrases: list[tuple[str, ...]]) -> re.Pattern[str]:
    parts = sorted({r"\s*".join(map(re.escape, p)) for p in phrases}, key=len, reverse=True)
    return re.compile("|".join(parts), re.IGNORECASE)


def _spans(pattern: re.Pattern[str], text: str) -> tuple[tuple[int, int], ...]:
    return tuple(m.span() for m in pattern.finditer(text) if m.end() > m.start())


def _fuse(*rankings: list[tuple[str, int, float]]) -> list[tuple[str, int, float]]:
    """Reciprocal rank fusion of rankings of (call id, sentence, score)."""
    fused: dict[tuple[str, int], float] = {}
    for ranking in rankings:
        for rank, (cid, index, _) in enumerate(ranking, start=1):
            fused[cid, index] = fused.get((cid, index), 0.0) + 1 / (RRF_K + rank)
    return [(cid, index, score) for (cid, index), score in sorted(fused.items(), key=lambda kv: -kv[1])]
