"""Who said what: speaker turns, roles, sections and question-answer pairs.

Works line by line on normalized text. A first pass reads participant lists and operator
introductions to learn who is who; the second finds speaker headers in the layouts
transcripts come in (see `header`), splits the text into turns, gives each turn a role,
title, firm and section, links interpreters to the turn they render, and pairs each
analyst question with the management turns that answer it.

Text outside any turn (a news write-up wrapping the transcript, a closing risk notice)
stays in `other`; headers, headings and participant lists are in no block at all, so they
are never scored as speech.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from callnlp.normalize import HAN, Document
from callnlp.record import QAPair, Role, Section, Turn
from callnlp.resources import lines
from callnlp.units import keywords, trie_pattern

_NAME_EN = r"[A-Z][A-Za-z'.-]*(?: (?:[A-Z][A-Za-z'.-]*|de|van|von|der|da|di|du|del|bin|al|la|le)){0,4}"
_NAME_ZH = rf"[{HAN}][{HAN}·]{{1,4}}"
_NAME = re.compile(rf"(?:{_NAME_EN}|{_NAME_ZH})")
_DASH = re.compile(r"\s*(?:--|—|–|―)\s*|\s+-\s+")
_COLON_HEAD = re.compile(r"([^:]{1,60}?)\s*:\s*(.*)")
_BRACKETED = re.compile(r"([^()]{1,12})\((.{1,40})\)")
_END_PUNCT = re.compile(r"[。!?;]$|[a-z0-9%][.!?]$")
_STRIP_BRACKETS = re.compile(r"^[(\[【「]+|[)\]】」]+$")


@dataclass(frozen=True)
class Block:
    """A stretch of normalized text that holds speech or other text (not headers)."""

    start: int
    end: int
    turn: int | None
    section: Section


@dataclass(frozen=True)
class Structure:
    """What `parse` finds: the turns, the Q&A pairs, and the blocks of text to analyze."""

    turns: tuple[Turn, ...]
    qa_pairs: tuple[QAPair, ...]
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Header:
    """A speaker header read from one line."""

    speaker: str | None
    role: Role | None
    title: str | None
    firm: str | None
    speech: int | None  # offset in the line where speech starts, when it shares the line


@dataclass
class _Person:
    role: Role | None = None
    title: str | None = None
    firm: str | None = None


# --- the data in models/ -----------------------------------------------------------------


@cache
def _vocab() -> dict[str, object]:
    titles, labels = [], {}
    for text, kind, role in lines("speakers.tsv"):
        if kind == "title":
            titles.append((text, Role(role)))
        else:
            labels[text.casefold()] = Role(role)
    titles.sort(key=lambda t: -len(t[0]))
    # searched on every short line: branches the engine scans for (see units.keywords)
    title_re = re.compile(keywords((), [t for t, _ in titles], boundary="[A-Za-z]"))
    firms, suffixes = set(), []
    for text, kind in lines("firms.tsv"):
        (firms.add(text.casefold()) if kind == "firm" else suffixes.append(text.casefold()))
    rows = lines("sections.tsv")
    # One expression for all headings: each pattern is a named group, the one that matched
    # gives the kind.
    headings = re.compile(
        "|".join(f"(?P<h{i}>{pattern})" for i, (pattern, _) in enumerate(rows)), re.IGNORECASE
    )
    firm_re = re.compile(trie_pattern([f for f in firms if len(f) >= 4]))
    return {
        "title_re": title_re,
        "title_role": {t.casefold(): r for t, r in titles},
        "labels": labels,
        "firms": firms,
        "suffixes": tuple(suffixes),
        "headings": headings,
        "heading_kinds": [kind for _, kind in rows],
        "firm_re": firm_re,
    }


def _title_role(text: str) -> Role | None:
    v = _vocab()
    m = v["title_re"].search(text)  # type: ignore[attr-defined]
    return v["title_role"][m.group().casefold()] if m else None  # type: ignore[index]


def _is_firm(text: str) -> bool:
    v = _vocab()
    folded = text.casefold().strip()
    if folded in v["firms"]:  # type: ignore[operator]
        return True
    if folded.endswith(v["suffixes"]) and folded not in v["suffixes"]:  # type: ignore[arg-type,operator]
        return True
    return v["firm_re"].search(folded) is not None  # type: ignore[attr-defined]


def _label(text: str) -> Role | None:
    return _vocab()["labels"].get(text.casefold().strip())  # type: ignore[attr-defined]


def heading(line: str) -> str | None:
    """The kind of section heading a line is (prepared, qa, executives, analysts,
    participants, end), or None."""
    if len(line) > 120:
        return None
    core = _STRIP_BRACKETS.sub("", line.strip().rstrip(":").strip())
    if not core or len(core) > 80:
        return None
    v = _vocab()
    m = v["headings"].fullmatch(core)  # type: ignore[attr-defined]
    return v["heading_kinds"][int(m.lastgroup[1:])] if m else None  # type: ignore[index]


# --- reading one header ----------------------------------------------------------------


def header(line: str, known: dict[str, _Person] | None = None) -> Header | None:
    """Read `line` as a speaker header, or return None.

    Layouts: `Operator`, `Name -- Title`, `Name -- Firm -- Analyst`, `Name - Title` and a
    known `Name` alone; `Name: speech`, `Mike Intrator,首席执行官:`, `摩根士丹利的Kate Wise:`,
    `董事长 王建国:`, `问(中金公司 张磊):speech`, `答:speech`, `未具名发言人:`, `主持人:`.

    Args:
        line: one line of normalized text.
        known: people already known by name (from participant lists, earlier headers).

    Example:
        >>> h = header("Mike Intrator,首席执行官:")
        >>> h.speaker, h.role.value, h.title
        ('Mike Intrator', 'executive', '首席执行官')
        >>> header("财务数据如下:") is None
        True
    """
    known = known or {}
    stripped = line.strip()
    if not stripped or (len(stripped) > 120 and ":" not in stripped[:62]):
        return None  # a paragraph of speech: headers are short or open with "Name:"
    alone = stripped.rstrip(":").strip()
    role = _label(alone)
    if role is not None:
        return Header(None, role, None, None, None)
    if len(stripped) <= 120 and not _END_PUNCT.search(stripped):
        found = _dash_header(alone, known)
        if found:
            return found
        if _key(alone) in known:
            return Header(alone, None, None, None, None)
    m = _COLON_HEAD.fullmatch(stripped)
    if m:
        found = _colon_header(m.group(1).strip(), known)
        if found:
            speech = m.start(2) + (len(line) - len(line.lstrip())) if m.group(2) else None
            return Header(found.speaker, found.role, found.title, found.firm, speech)
    return None


def _dash_header(text: str, known: dict[str, _Person]) -> Header | None:
    parts = [p.strip() for p in _DASH.split(text)]
    if len(parts) < 2 or len(parts) > 3 or not all(parts):
        return None
    name, first, *rest = parts
    if not _NAME.fullmatch(name) or len(first) > 80:
        return None
    if rest:
        last = rest[0]
        if _title_role(last) is Role.ANALYST:
            return Header(name, Role.ANALYST, None, first, None)  # "Analyst" marks the role
        return Header(name, _title_role(first) or _title_role(last), f"{first}, {last}", None, None)
    role = _title_role(first)
    if role is not None:
        return Header(name, role, first, None, None)
    if _is_firm(first):
        return Header(name, Role.ANALYST, None, first, None)
    if _key(name) in known:
        return Header(name, None, None, None, None)
    return None


def _colon_header(head: str, known: dict[str, _Person]) -> Header | None:
    role = _label(head)
    if role is not None:
        return Header(None, role, None, None, None)
    m = _BRACKETED.fullmatch(head)
    if m and _label(m.group(1)) is not None:
        # 问(中金公司 张磊)  答(李敏)  追问(张磊)
        person = _person_parts(m.group(2))
        return Header(person.speaker, _label(m.group(1)), person.title, person.firm, None)
    if m and _NAME.fullmatch(m.group(1).strip()) and _title_role(m.group(2)):
        return Header(m.group(1).strip(), _title_role(m.group(2)), m.group(2), None, None)
    if "的" in head:
        firm, _, name = head.rpartition("的")
        firm, name = firm.strip(), name.strip()
        if _NAME.fullmatch(name) and _is_firm(firm) and len(firm) <= 30:
            return Header(name, Role.ANALYST, None, firm, None)
    person = _person_parts(head)
    if person.speaker and (person.title or person.firm):
        return person
    if person.speaker and not person.title and not person.firm and _key(head) in known:
        return Header(head, None, None, None, None)
    if _english_name(head):
        return Header(head, None, None, None, None)
    return None


def _person_parts(text: str) -> Header:
    """`中金公司 张磊`, `Mike Intrator,首席执行官`, `董事长 王建国` -> name, title, firm."""
    name = title = firm = None
    pieces = [p for p in re.split(r"\s*[,、]\s*", text.strip()) if p]
    if len(pieces) == 1 and " " in pieces[0] and not _NAME.fullmatch(pieces[0]):
        pieces = pieces[0].split()
    for piece in pieces:
        if _title_role(piece) and (title is None) and not _NAME_EN_FULL.fullmatch(piece):
            title = piece
        elif firm is None and _is_firm(piece):
            firm = piece
        elif name is None and _NAME.fullmatch(piece):
            name = piece
        else:
            return Header(None, None, None, None, None)
    role = _title_role(title) if title else (Role.ANALYST if firm else None)
    return Header(name, role, title, firm, None)


_NAME_EN_FULL = re.compile(_NAME_EN)
# Words that start data lines ("Revenue: $1.2 billion", "Net Income: ...") and never names.
_NOT_NAME = re.compile(
    r"\b(?:Revenue|Revenues|Income|Margin|Total|Net|Gross|Operating|Cash|Earnings|Sales|Note|Notes|"
    r"Source|Highlights|Outlook|Guidance|Q[1-4]|Quarter|Year|Fiscal|Full|Adjusted|Free|Capital|Backlog|"
    r"Expenses|Profit|Loss|EPS|EBITDA|Summary|Agenda|Date|Time|Subject|Re|Call|Conference|Webcast)\b"
)


def _english_name(head: str) -> bool:
    """`Mei Tanaka` in `Mei Tanaka: Thank you`: two to four capitalized words, no data word."""
    words = head.split()
    return 2 <= len(words) <= 4 and bool(_NAME_EN_FULL.fullmatch(head)) and not _NOT_NAME.search(head)


def _key(name: str) -> str:
    return " ".join(name.casefold().split())


# --- the whole document ----------------------------------------------------------------

_INTRO_EN = re.compile(
    rf"(?:from|of) (?:the line of )?(?P<name>{_NAME_EN}) (?:with|of|from|at) "
    r"(?P<firm>[A-Z][\w&'-]*(?:\.[A-Z][\w&'-]*)*(?: (?:& )?[A-Z][\w&'-]*){0,4})"
)
# "... turn the call over to Mei Tanaka, Chief Executive Officer."
_INTRO_TITLE = re.compile(
    rf"(?:over to|hand it to|turn it to|introduce) (?P<name>{_NAME_EN}), "
    r"(?:our )?(?P<title>[A-Za-z ,&-]{2,60}?)[.;]"
)
_INTRO_ZH = re.compile(rf"(?:来自|请)(?P<firm>[^,。,的]{{2,20}}?)的(?P<name>{_NAME_EN}|{_NAME_ZH})")


class StructureParser:
    """Finds turns, roles, sections and Q&A pairs in a normalized transcript.

    Example:
        >>> from callnlp.normalize import normalize
        >>> from callnlp.text import load
        >>> text = ("Operator\\nWelcome.\\nAnn Lee -- CEO\\nWe grew.\\nQuestions and Answers:\\n"
        ...     "Operator\\nFirst, Bo Li.\\nBo Li -- Mizuho -- Analyst\\nWhy?\\nAnn Lee\\nDemand.")
        >>> s = StructureParser()(normalize(load(text.encode())))
        >>> [(t.speaker, t.role.value, t.section.value) for t in s.turns][2:]
        [(None, 'operator', 'qa'), ('Bo Li', 'analyst', 'qa'), ('Ann Lee', 'executive', 'qa')]
        >>> s.qa_pairs
        (QAPair(question=3, answers=(4,)),)
    """

    def __call__(self, doc: Document) -> Structure:
        text = doc.text
        spans = _line_spans(text)
        kinds = [heading(text[s:e]) for s, e in spans]
        known, listed = self._participants(text, spans, kinds)
        raw = self._turns(text, spans, kinds, known, listed)
        if not raw:
            # No speaker anywhere (a news article, an unknown layout): say so with one
            # `other` turn rather than guess.
            if not text.strip():
                return Structure((), (), ())
            start, end = doc.span(0, len(text))
            turn = Turn(0, None, Role.OTHER, None, None, Section.OTHER, None, doc.line(0), start, end)
            return Structure((turn,), (), (Block(0, len(text), 0, Section.OTHER),))
        return self._finish(doc, raw, known)

    def _participants(
        self, text: str, spans: list[tuple[int, int]], kinds: list[str | None]
    ) -> tuple[dict[str, _Person], set[int]]:
        known: dict[str, _Person] = {}
        listed: set[int] = set()
        mode = None
        for i, ((s, e), kind) in enumerate(zip(spans, kinds, strict=True)):
            line = text[s:e].strip()
            if kind in ("executives", "analysts", "participants"):
                mode = kind
                listed.add(i)
                continue
            if mode is None or not line:
                continue
            entry = _list_entry(line, mode)
            if entry is None:
                mode = None
                continue
            name, person = entry
            known.setdefault(_key(name), person)
            listed.add(i)
        for m in _INTRO_EN.finditer(text):
            if _is_firm(m.group("firm")) or m.group("firm").split()[0].istitle():
                known.setdefault(_key(m.group("name")), _Person(Role.ANALYST, None, m.group("firm")))
        for m in _INTRO_TITLE.finditer(text):
            role = _title_role(m.group("title"))
            if role is not None:
                known.setdefault(_key(m.group("name")), _Person(role, m.group("title"), None))
        for m in _INTRO_ZH.finditer(text):
            if _is_firm(m.group("firm")):
                known.setdefault(_key(m.group("name")), _Person(Role.ANALYST, None, m.group("firm")))
        return known, listed

    def _turns(
        self,
        text: str,
        spans: list[tuple[int, int]],
        kinds: list[str | None],
        known: dict[str, _Person],
        listed: set[int],
    ) -> list[dict]:
        turns: list[dict] = []
        qa_started = ended = headed = False
        current: dict | None = None
        for i, ((s, e), kind) in enumerate(zip(spans, kinds, strict=True)):
            line = text[s:e]
            if i in listed:
                current = None
                continue
            if kind == "end" and turns:
                ended = True
            if kind in ("prepared", "qa") and not ended:
                # Before the first turn only the last heading counts: a table of contents
                # lists "Questions and Answers" long before the Q&A.
                qa_started = kind == "qa" if not headed else qa_started or kind == "qa"
                current = None
                continue
            found = None if ended else header(line, known)
            if found is not None:
                current = {
                    "header": found,
                    "line_start": s,
                    "speech": [] if found.speech is None else [(s + found.speech, e)],
                    "qa_heading": qa_started,
                }
                turns.append(current)
                headed = True
                if found.speaker and (found.title or found.firm or found.role):
                    person = known.setdefault(_key(found.speaker), _Person())
                    person.role = person.role or found.role
                    person.title = person.title or found.title
                    person.firm = person.firm or found.firm
                continue
            if not line.strip():
                continue
            if current is not None and not ended:
                current["speech"].append((s, e))
            elif turns and "other" in turns[-1]:
                turns[-1]["other"] = (turns[-1]["other"][0], e)
            else:
                turns.append({"other": (s, e)})
        return turns if any("header" in t for t in turns) else []

    def _finish(self, doc: Document, raw: list[dict], known: dict[str, _Person]) -> Structure:
        headed = [t for t in raw if "header" in t]
        roles: list[Role] = []
        people: list[tuple[str | None, str | None, str | None]] = []
        for t in headed:
            h: Header = t["header"]
            person = known.get(_key(h.speaker)) if h.speaker else None
            role = h.role or (person.role if person else None)
            title = h.title or (person.title if person else None)
            firm = h.firm or (person.firm if person else None)
            roles.append(role)
            people.append((h.speaker, title, firm))
        qa_from = _qa_start(headed, roles)
        roles = _by_position(roles, qa_from)
        turns: list[Turn] = []
        blocks: list[Block] = []
        index = 0
        for t in raw:
            if "other" in t:
                blocks.append(Block(*t["other"], None, Section.OTHER))
                continue
            speaker, title, firm = people[index]
            section = Section.QA if index >= qa_from else Section.PREPARED
            speech = t["speech"]
            end = speech[-1][1] if speech else t["line_start"] + 1
            start, oend = doc.span(t["line_start"], end)
            translates = _translated(turns, roles[index])
            turns.append(
                Turn(
                    index,
                    speaker,
                    roles[index],
                    title,
                    firm,
                    section,
                    translates,
                    doc.line(t["line_start"]),
                    start,
                    oend,
                )
            )
            if speech:
                blocks.append(Block(speech[0][0], speech[-1][1], index, section))
            index += 1
        return Structure(tuple(turns), tuple(_pairs(turns)), tuple(blocks))


def _line_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in re.finditer("\n", text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return spans


def _list_entry(line: str, mode: str) -> tuple[str, _Person] | None:
    parts = [p.strip() for p in _DASH.split(line) if p.strip()]
    if len(parts) < 2 and "," in line:
        parts = [p.strip() for p in line.split(",", 1)]
    if len(parts) < 2 or not _NAME.fullmatch(parts[0]):
        return None
    name, rest = parts[0], parts[1:]
    if rest and _title_role(rest[-1]) is Role.ANALYST:
        return name, _Person(Role.ANALYST, None, rest[0] if len(rest) > 1 else None)
    joined = ", ".join(rest)
    if mode == "analysts" or (mode == "participants" and _is_firm(joined) and not _title_role(joined)):
        return name, _Person(Role.ANALYST, None, joined)
    return name, _Person(_title_role(joined) or Role.EXECUTIVE, joined, None)


def _by_position(roles: list[Role | None], qa_from: int) -> list[Role]:
    """Roles of named speakers nothing else identifies, from their place in the call: in
    prepared remarks, or right after a question or an answer, they speak for the company;
    right after the operator hands over in Q&A, they ask."""
    out: list[Role] = []
    for i, role in enumerate(roles):
        if role is None:
            after_operator = i > 0 and out[-1] is Role.OPERATOR
            role = Role.ANALYST if i >= qa_from and after_operator else Role.EXECUTIVE
        out.append(role)
    return out


def _qa_start(headed: list[dict], roles: list[Role | None]) -> int:
    """Index of the first Q&A turn: after a Q&A heading, else from the first analyst (or
    the operator turn that hands over to that analyst)."""
    for i, t in enumerate(headed):
        if t["qa_heading"]:
            return i
    for i, role in enumerate(roles):
        if role is Role.ANALYST:
            return i - 1 if i > 0 and roles[i - 1] is Role.OPERATOR else i
    return len(headed)


def _translated(turns: list[Turn], role: Role) -> int | None:
    if role is not Role.INTERPRETER:
        return None
    for turn in reversed(turns):
        if turn.role is not Role.INTERPRETER:
            return turn.index
    return None


def _pairs(turns: list[Turn]) -> list[QAPair]:
    pairs: list[QAPair] = []
    question: int | None = None
    answers: list[int] = []
    for turn in turns:
        if turn.section is not Section.QA:
            continue
        if turn.role is Role.ANALYST:
            if question is not None:
                pairs.append(QAPair(question, tuple(answers)))
            question, answers = turn.index, []
        elif turn.role is Role.OPERATOR:
            if question is not None:
                pairs.append(QAPair(question, tuple(answers)))
            question, answers = None, []
        elif question is not None:
            if turn.role is Role.INTERPRETER and turn.translates == question:
                continue  # the question rendered in the other language, not an answer
            answers.append(turn.index)
    if question is not None:
        pairs.append(QAPair(question, tuple(answers)))
    return pairs
