"""How a query is read: its own words, the topics it names, the amounts it states.

Every content word of the query counts (BM25 over all of them); pairs of neighbouring
words found together add a proximity boost; a topic the query names (any alias of it in
models/topics.tsv or models/metrics.tsv) widens recall to every sentence naming the topic
in either language, at a lower weight than the user's own words (sentences are indexed
with the topics they name, so no alias needs segmenting at query time); amounts
(`$1.82 billion`, `18.2亿美元`, `470 basis points`) are read by the figure parser and matched
against stored figures by value. Documents and queries are cut into search terms by one
function, `search_terms`.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import cache

from callnlp.figures import FigureExtractor, metric_aliases
from callnlp.periods import periods, resolve
from callnlp.record import Figure
from callnlp.resources import lines
from callnlp.tokenize import default_tokenizer, terms, words
from callnlp.units import keywords

MAX_QUERY_CHARS = 4000
"""A longer query keeps its start: a pasted page is still a search, not an error."""
MAX_TERMS = 32
"""At most this many distinct content words count (the first ones)."""
ALIAS_WEIGHT = 0.3
"""A topic alias the user did not type counts this much of one of the user's words."""
PAIR_WEIGHT = 0.5
"""Two neighbouring query words found close together add this much of a word's weight."""
PAIR_SLOP = 2
"""How many other words may stand between two neighbouring query words of a pair."""

# A search term is a number (its thousands separators dropped: `$1,234.5` and `1234.5` are
# one term), a run of Latin letters and digits (`q4`, `fy2021`), or a run of other letters
# (Chinese words are already cut by the tokenizer and joined with spaces): `year-over-year`
# is three terms, `9.816亿美元` is `9.816` and `亿美元`.
_TERM = re.compile(r"\d+(?:[.,]\d+)+|[a-z0-9\u00c0-\u024f]+|[^\W\da-z_\u00c0-\u024f]+")


def search_terms(text: str) -> list[str]:
    """The search terms of lower-cased, tokenized text (a sentence's `terms`).

    Example:
        >>> search_terms("q4 revenue of $1,234.5 million year-over-year 9.816亿美元 20亿")
        ['q4', 'revenue', 'of', '1234.5', 'million', 'year', 'over', 'year', '9.816', '亿美元', '20', '亿']
    """
    return [t.replace(",", "") if t[0].isdigit() else t for t in _TERM.findall(text)]


@dataclass(frozen=True)
class Query:
    """A query as the search engines take it.

    Attributes:
        text: the query as given.
        terms: the user's content words, each once, in order.
        topics: the glossary topics the query names (`tariffs`, `metric:capex`).
        pairs: neighbouring content words, for the proximity boost.
        figures: the amounts the query states, as the figure parser reads them.
        quarters: the quarters it names (`Q4`, or `2021Q4` with a year), which a call of
            that quarter is more likely to be about.
    """

    text: str
    terms: tuple[str, ...]
    topics: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]
    figures: tuple[Figure, ...]
    quarters: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """Whether nothing of the query can be searched for."""
        return not self.terms and not self.figures

    @property
    def phrases(self) -> tuple[str, ...]:
        """What was searched, for people: the user's words, then each alias."""
        aliases = (a for topic in self.topics for a in _glossary()[2][topic])
        return tuple(p for p in dict.fromkeys([" ".join(self.terms), *aliases]) if p)


def read_query(text: str) -> Query:
    """Read a query into its terms, topic aliases, proximity pairs and amounts.

    Example:
        >>> q = read_query("capex of $20 billion")
        >>> q.terms, q.figures[0].value, q.figures[0].unit.value
        (('capex', '20', 'billion'), 20000000000.0, 'USD')
        >>> q.topics, "资本支出" in q.phrases
        (('metric:capex',), True)
    """
    text = text[:MAX_QUERY_CHARS]
    every = search_terms(terms(words(_cut(text))))
    stop = _stopwords()
    content = [t for t in every if t not in stop]
    kept = tuple(dict.fromkeys(content))[:MAX_TERMS]
    held = set(kept)
    pairs = tuple(dict.fromkeys((a, b) for a, b in itertools.pairwise(content) if a != b and {a, b} <= held))
    topics = tuple(topics_of(text))
    quarters = tuple(dict.fromkeys(p for m in periods(text) if (p := resolve(m, None, None)) and "Q" in p))
    return Query(text, kept, topics, pairs, tuple(_figures()(text)), quarters)


def topics_of(text: str) -> list[str]:
    """The glossary topics `text` names, each once, in order of their first mention.

    Example:
        >>> topics_of("我们的资本支出和关税; tariffs and capex")
        ['metric:capex', 'tariffs']
    """
    pattern, topic_of, _ = _glossary()
    return list(dict.fromkeys(topic_of[m.group().casefold()] for m in pattern.finditer(text)))


def topic_term(topic: str) -> str:
    """The index term of a topic: `#` is in no search term, so none is taken for another."""
    return f"#{topic}"


def topics_in(terms: list[str]) -> list[str]:
    """The glossary topics that a sentence's search terms name, once per mention: what the
    index keeps of a sentence besides its terms. Aliases match as runs of search terms, as
    the tokenizer cut them (a look-up per term: a regex over every stored sentence's text
    took three times as long as cutting its terms).

    Example:
        >>> topics_in(["our", "capital", "expenditures", "and", "关税"])
        ['metric:capex', 'tariffs']
    """
    starts = _aliases_by_start()
    found = []
    i = 0
    while i < len(terms):
        for alias, topic in starts.get(terms[i], ()):
            if tuple(terms[i : i + len(alias)]) == alias:
                found.append(topic)
                i += len(alias) - 1  # `free cash flow` is not also `cash flow`
                break
        i += 1
    return found


@cache
def _aliases_by_start() -> dict[str, list[tuple[tuple[str, ...], str]]]:
    """(alias terms, topic) by the alias's first term, longest alias first."""
    starts: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for alias, topic in _glossary()[1].items():
        if words := _alias_terms(alias):
            starts.setdefault(words[0], []).append((words, topic))
    for options in starts.values():
        options.sort(key=lambda option: -len(option[0]))
    return starts


def topic_words(topic: str) -> list[tuple[str, ...]]:
    """The search terms of each alias of `topic` (Chinese ones segmented as the index is)."""
    return [w for alias in _glossary()[2][topic] if (w := _alias_terms(alias))]


def _alias_terms(alias: str) -> tuple[str, ...]:
    return tuple(search_terms(terms(words(_cut(alias)))))


def topic_pattern(topics: tuple[str, ...]) -> str:
    """A regular expression for every alias of `topics` as it may stand in a text."""
    aliases = sorted({a for t in topics for a in _glossary()[2][t]}, key=len, reverse=True)
    return "|".join(r"\s*".join(map(re.escape, a.split())) for a in aliases)


def _cut(text: str) -> list:
    return default_tokenizer()(text)


@cache
def _figures() -> FigureExtractor:
    return FigureExtractor()


@cache
def _stopwords() -> frozenset[str]:
    return frozenset(row[0] for row in lines("stopwords.txt"))


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
