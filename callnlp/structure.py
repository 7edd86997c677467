"""Who said what: speaker turns, roles, sections and question-answer pairs.

Works line by line on normalized text. A first pass reads participant lists and operator
introductions to learn who is who; the second finds speaker headers (see `header`), splits
the text into turns, gives each turn a role, title, firm and section, links interpreters
to the turn they render, and pairs each analyst question with the management turns that
answer it.

Text outside any turn (a news write-up wrapping the transcript, a closing risk notice)
stays in `other`; headers, headings and participant lists are in no block at all, so they
are never scored as speech.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

from callnlp.normalize import HAN, HAN_CHAR, Document
from callnlp.record import QAPair, Role, Section, Turn
from callnlp.resources import lines
from callnlp.units import keywords, trie_pattern

_NAME_EN = r"[A-Z][A-Za-z'.-]*(?: (?:[A-Z][A-Za-z'.-]*|de|van|von|der|da|di|du|del|bin|al|la|le)){0,4}"
_NAME_ZH = rf"[{HAN}][{HAN}·]{{1,4}}"
_NAME_EN_FULL = re.compile(_NAME_EN)
_DASH = re.compile(r"\s*(?:--|—|–|―)\s*|\s+-\s+")
_END_PUNCT = re.compile(r"[。!?;]$|[a-z0-9%][.!?]$")
_STRIP_BRACKETS = re.compile(r"^[(\[【「]+|[)\]】」]+$")
_ORDINAL = re.compile(r"第?[一二三四五六七八九十]{1,3}")
_LATIN_NEXT = re.compile(r"[a-z0-9]")
_LATIN = re.compile(r"[A-Za-z]")
# Never in a header: sentence punctuation and quotes, or more Chinese than a name, a title
# and a firm take (long headers are English titles).
_PROSE = re.compile(r'[。!?"]')
_MANY_HAN = re.compile(rf"(?:[^{HAN}]*[{HAN}]){{31}}")
_SENTENCE_BREAK = re.compile(r"[a-z]{2}\. ")
# Words that start data lines ("Revenue: $1.2 billion", "Net Income: ...") and never names.
_NOT_NAME = re.compile(
    r"\b(?:Revenue|Revenues|Income|Margin|Total|Net|Gross|Operating|Cash|Earnings|Sales|Note|Notes|"
    r"Source|Highlights|Outlook|Guidance|Q[1-4]|Quarter|Year|Fiscal|Full|Adjusted|Free|Capital|Backlog|"
    r"Expenses|Profit|Loss|EPS|EBITDA|Summary|Agenda|Date|Time|Subject|Re|Call|Conference|Webcast)\b"
)
_HEAD_MAX = 120  # a header before a colon or in brackets is short, though a title may be long
_LINE_MAX = 200  # a header alone on its line may carry a long title (Motley Fool)


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
    # text (folded) -> (kind, role): titles, labels, honorifics, and the Chinese firms and
    # firm endings, which a header may write glued to a title or a name (摩根士丹利分析师)
    words: dict[str, tuple[str, Role | None]] = {}
    surnames: set[str] = set()
    for text, kind, *role in lines("speakers.tsv"):
        if kind == "surname":
            surnames.add(text)
        else:
            words[text.casefold()] = (kind, Role(role[0]) if role else None)
    firms, suffixes = set(), []
    for text, kind in lines("firms.tsv"):
        (firms.add(text.casefold()) if kind == "firm" else suffixes.append(text.casefold()))
        if HAN_CHAR.search(text):
            words.setdefault(text, (kind, None))
    titles = [t for t, (kind, _) in words.items() if kind == "title"]
    han = [w for w in words if HAN_CHAR.search(w)]
    # Single letters (Q, A) are labels only as a whole run: "John A. Smith" keeps its A.
    latin = [w for w, (kind, _) in words.items() if not HAN_CHAR.search(w) and len(w) > 1]
    # One token per step: a vocabulary word, a possessive (的, 's), a Latin word (with its
    # digits: Q1 is a word, never the label Q numbered 1), Chinese characters up to the next
    # vocabulary word, a number, a space, or any other character (a separator).
    han_vocab = trie_pattern(han)
    token = re.compile(
        rf"(?P<v>{han_vocab}|{keywords((), latin, boundary='[A-Za-z0-9]')})"
        r"|(?P<of>的|'s(?![A-Za-z])|(?<=s)'(?=\s))"
        r"|(?P<lat>[A-Za-z&][A-Za-z0-9.&]*(?:-[A-Za-z0-9.&]+|'(?!s(?![A-Za-z]))[A-Za-z]+)*)"
        rf"|(?P<han>(?:(?!{han_vocab}|的)[{HAN}·])+)|(?P<num>\d+)|(?P<ws>\s+)|(?P<sep>.)"
    )
    rows = lines("sections.tsv")
    # One expression for all headings: each pattern is a named group, the one that matched
    # gives the kind.
    headings = re.compile(
        "|".join(f"(?P<h{i}>{pattern})" for i, (pattern, _) in enumerate(rows)), re.IGNORECASE
    )
    return {
        # searched on every short line: branches the engine scans for (see units.keywords)
        "title_re": re.compile(keywords((), sorted(titles, key=len, reverse=True), boundary="[A-Za-z]")),
        "words": words,
        "token": token,
        "han_vocab": re.compile(han_vocab),
        "surnames": surnames,
        "firms": firms,
        "suffixes": tuple(suffixes),
        "headings": headings,
        "heading_kinds": [kind for _, kind in rows],
        "firm_re": re.compile(trie_pattern([f for f in firms if len(f) >= 4])),
    }


def _title_role(text: str) -> Role | None:
    v = _vocab()
    m = v["title_re"].search(text)  # type: ignore[attr-defined]
    return v["words"][m.group().casefold()][1] if m else None  # type: ignore[index]


def _is_firm(text: str) -> bool:
    v = _vocab()
    folded = text.casefold().strip()
    if folded in v["firms"]:  # type: ignore[operator]
        return True
    if folded.endswith(v["suffixes"]) and folded not in v["suffixes"]:  # type: ignore[arg-type,operator]
        return True
    m = v["firm_re"].search(folded)  # type: ignore[attr-defined]
    if m is None:
        return False
    # A Chinese firm inside more text is that firm's (摩根士丹利研究部); a Latin one only
    # opens a name (Goldman Sachs Group), since people are called Baird or Cowen too.
    return bool(HAN_CHAR.match(m.group())) or (m.start() == 0 and not _LATIN_NEXT.match(folded, m.end()))


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

    A header is a short span, before a colon, inside brackets at the start of the line, or
    alone on its line, made of known parts in any order and separated by spaces, commas,
    dashes or brackets: a person's name in either script, a title (`首席执行官`, `Chief
    Executive Officer of Genie Energy`), a firm (`摩根士丹利`, `Needham公司`), a role label
    (`Operator`, `主持人`, `问`, `Q`, `问题1`), a possessive (`摩根士丹利的Kate Wise`,
    `Morgan Stanley's Kate Wise`). Anything else in the span and it is not a header, so
    `财务数据如下:` and `Revenue: $1.2 billion` are not speakers. A name with nothing else
    must be one the call names elsewhere (`known`), except an English name before a colon
    (`Mei Tanaka: Thank you`) or in `【】`.

    Args:
        line: one line of normalized text.
        known: people already known by name (from participant lists, earlier headers).

    Example:
        >>> h = header("Mike Intrator(首席执行官):谢谢。")
        >>> h.speaker, h.role.value, h.title, h.speech
        ('Mike Intrator', 'executive', '首席执行官', 21)
        >>> header("分析师 Kate Wise(摩根士丹利)").firm
        '摩根士丹利'
        >>> header("财务数据如下:") is None
        True
    """
    known = known or {}
    stripped = line.strip()
    if not stripped:
        return None
    lead = len(line) - len(line.lstrip())
    colon = stripped.find(":", 0, _HEAD_MAX + 2)
    if colon > 0:
        found = _read(stripped[:colon], known, "colon")
        if found is not None:
            return _with_speech(found, stripped, colon + 1, lead)
    if stripped[0] in "[【":
        close = stripped.find("]" if stripped[0] == "[" else "】", 1, _HEAD_MAX + 2)
        found = _read(stripped[1:close], known, stripped[0]) if close > 1 else None
        if found is not None:
            return _with_speech(found, stripped, close + 1, lead)
    if colon < 0 and len(stripped) <= _LINE_MAX and not _END_PUNCT.search(stripped):
        return _read(stripped, known, "line")
    return None


def _with_speech(found: Header, stripped: str, after: int, lead: int) -> Header:
    """`found` with the offset of the speech that follows the header on its line, if any."""
    body = stripped[after:].lstrip()
    if body.startswith(":"):  # 【Mike Intrator】: speech
        body = body[1:].lstrip()
    speech = lead + len(stripped) - len(body) if body else None
    return Header(found.speaker, found.role, found.title, found.firm, speech)


@dataclass
class _Atom:
    """One part of a header: a vocabulary word, a run of Latin words or of Chinese
    characters, a number, or a possessive."""

    kind: str
    start: int
    end: int
    field: int  # separators (commas, dashes, brackets) divide a header into fields
    glued: bool  # nothing at all between it and the atom before, in the same field
    role: Role | None = None


def _atoms(head: str, known: dict[str, _Person]) -> list[_Atom] | None:
    v = _vocab()
    words = v["words"]
    atoms: list[_Atom] = []
    field, gap = 0, True
    for m in v["token"].finditer(head):  # type: ignore[attr-defined]
        kind = m.lastgroup
        if kind == "ws":
            gap = True
            continue
        if kind == "sep":
            field, gap = field + 1, True
            continue
        role = None
        if kind == "v":
            kind, role = words[m.group().casefold()]  # type: ignore[index]
        if atoms and _prose_run(head, atoms[-1]) and (gap or kind not in ("title", "suffix")):
            return None
        last = atoms[-1] if atoms and atoms[-1].field == field else None
        if last and last.kind == kind == "lat":
            last.end = m.end()  # a run of Latin words a space apart
        elif last and kind == "suffix" and not gap and last.kind in ("lat", "han", "firm"):
            last.kind, last.end = "firm", m.end()  # Needham公司, 华西证券, 国泰君安证券
        else:
            atoms.append(_Atom(kind, m.start(), m.end(), field, last is not None and not gap, role))
        gap = False
    if atoms and _prose_run(head, atoms[-1]):
        return None
    out: list[_Atom] = []
    for i, a in enumerate(atoms):
        if a.kind == "lat":
            text = head[a.start : a.end]
            following = atoms[i + 1] if i + 1 < len(atoms) else None
            if following and following.kind == "title" and following.field == a.field:
                # a firm's own last word may also open a title: "Melius Research analyst"
                word, _, rest = head[following.start : following.end].partition(" ")
                if rest and words.get(rest.casefold(), ("",))[0] == "title" and _is_firm(f"{text} {word}"):
                    a.end = following.start + len(word)
                    following.start = a.end + 1
                    text = head[a.start : a.end]
            cut = _firm_before_name(text)
            if cut:  # Mizuho Gregg Moskowitz
                out.append(_Atom("firm", a.start, a.start + cut, a.field, a.glued))
                a = _Atom("lat", a.start + cut + 1, a.end, a.field, False)
        if a.kind in ("lat", "han"):
            a.kind, a.role = _run_kind(head[a.start : a.end], a.kind, known)
        out.append(a)
    return out


def _prose_run(head: str, atom: _Atom) -> bool:
    """Whether `atom` is more Chinese than a name: in a header such a run can only be the
    employer written right before a title or a firm ending (景泓新能源董事长, 华夏基金)."""
    return atom.kind == "han" and atom.end - atom.start > 4 and "·" not in head[atom.start : atom.end]


def _firm_before_name(text: str) -> int:
    """The length of the longest listed firm that opens `text` when a name is the rest
    (`Mizuho Gregg Moskowitz`), else 0 (`Goldman Sachs Group`)."""
    v = _vocab()
    if text.casefold().endswith(v["suffixes"]):  # type: ignore[arg-type]
        return 0
    cut = text.rfind(" ")
    while cut > 0:
        if text[:cut].casefold() in v["firms"]:  # type: ignore[operator]
            return cut if _english_name(text[cut + 1 :]) else 0
        cut = text.rfind(" ", 0, cut)
    return 0


def _run_kind(text: str, script: str, known: dict[str, _Person]) -> tuple[str, Role | None]:
    if _key(text) in known:
        return "name", None
    if script == "han":
        if _ORDINAL.fullmatch(text):
            return "num", None
        return ("name" if _chinese_name(text) else "unknown"), None
    entry = _vocab()["words"].get(text.casefold())  # type: ignore[attr-defined]
    if entry is not None:
        return entry  # a label that only counts as a whole run (Q, A)
    if _is_firm(text):
        return "firm", None
    if _english_name(text):
        return "name", None
    return ("lower" if text[0].islower() else "unknown"), None


def _chinese_name(text: str) -> bool:
    """王建国, 欧阳娜娜, 迈克·因特拉托: a family name and a given name of one or two
    characters, or a transliteration with its dot."""
    if "·" in text:
        return 3 <= len(text) <= 12 and text[0] != "·" and text[-1] != "·"
    surnames = _vocab()["surnames"]
    if text[:2] in surnames:  # type: ignore[operator]
        return 3 <= len(text) <= 4
    return 2 <= len(text) <= 3 and text[0] in surnames  # type: ignore[operator]


def _english_name(text: str) -> bool:
    """`Mei Tanaka` in `Mei Tanaka: Thank you`: two to four capitalized words, no data word,
    no sentence break (`Michael Intrator. Photo: CoreWeave` is a caption)."""
    words = text.count(" ") + 1
    return (
        2 <= words <= 4
        and bool(_NAME_EN_FULL.fullmatch(text))
        and not _NOT_NAME.search(text)
        and not _SENTENCE_BREAK.search(text)
    )


def _read(head: str, known: dict[str, _Person], alone: str, hint: Role | None = None) -> Header | None:
    """The speaker, role, title and firm that the parts of `head` state, or None when a
    part is not one of them. `alone` says where the head stands (colon, `[`, `【`, line,
    list) and so how much a bare name needs; `hint` is the role a participant list gives."""
    head = head.strip()
    if not head or len(head) > (_HEAD_MAX if alone in ("colon", "[", "【") else _LINE_MAX):
        return None
    if _PROSE.search(head) or _MANY_HAN.match(head):
        return None
    # Chinese with no title, firm or label in it is a name the call knows, or prose
    chinese_only = not _LATIN.search(head) and not _vocab()["han_vocab"].search(head)  # type: ignore[attr-defined]
    if chinese_only and alone != "【" and _key(head) not in known:
        return None
    atoms = _atoms(head, known)
    if atoms is None or sum(a.kind in ("unknown", "lower") for a in atoms) > 2:
        return None  # more than an employer and a firm or title the vocabulary lacks: prose
    parts = _join(head, atoms)
    if parts is None:
        return None
    names = [p for p in parts if p.kind == "name"]
    for i, p in enumerate(parts):
        before = parts[i - 1] if i and parts[i - 1].field == p.field else None
        after = parts[i + 1] if i + 1 < len(parts) and parts[i + 1].field == p.field else None
        # What stands right before a title is whose title it is: CoreWeave首席执行官,
        # 摩根士丹利分析师; a name so placed is an employer when the header names a person too,
        # and one right after a title is more of the title (Senior Vice President Corporate
        # Development).
        if after and after.kind == "title" and (p.kind == "unknown" or (p.kind == "name" and len(names) > 1)):
            p.kind = "employer"
        elif before and before.kind == "title" and p.kind == "name" and len(names) > 1:
            p.kind = "title"
    by_kind: dict[str, list[_Atom]] = {}
    for p in parts:
        by_kind.setdefault(p.kind, []).append(p)
    labels, titles = by_kind.get("label", []), by_kind.get("title", [])
    names, firms = by_kind.get("name", []), by_kind.get("firm", [])
    if len(labels) > 1 or len(names) > 1 or len(firms) > 1 or ("num" in by_kind and not labels):
        return None
    name = " ".join(head[names[0].start : names[0].end].split()) if names else None
    person = known.get(_key(name)) if name else None
    role = (
        (labels[0].role if labels else None)
        or (titles[0].role if titles else None)
        or (person.role if person else None)
        or (Role.ANALYST if firms else None)
        or hint
    )
    # One part the vocabulary does not know may stand where the layout puts a firm or a
    # title: `Name -- Zacks -- Analyst`, `Zacks分析师`, `问(国联 张磊)`, `Name -- Office of the CEO`.
    loose = by_kind.get("unknown", []) + by_kind.get("lower", [])
    employers = by_kind.get("employer", [])
    if role is Role.ANALYST and not firms and len(loose) + len(employers) == 1:
        stand_in = (loose + employers)[0]
        after = parts[parts.index(stand_in) + 1] if stand_in is not parts[-1] else None
        before_name = after is not None and after.kind == "name" and not after.glued
        if stand_in in employers or before_name or not _fellows(stand_in, parts):
            firms, loose, employers = [stand_in], [], []
    if len(loose) > 1 or (loose and (role is None or _fellows(loose[0], parts))):
        return None
    titles = sorted(titles + loose, key=lambda p: p.start)
    if not names and not labels and (not titles or alone not in ("colon", "[", "【")):
        return None  # a title or a firm alone is a heading or a data line, not a speaker
    # a name alone: only where names stand (`Mei Tanaka: ...`, `【王建国】`), or one the call knows
    bare = names and not (labels or titles or firms) and person is None
    if bare and not (alone == "【" or (alone == "colon" and not HAN_CHAR.search(name or ""))):
        return None
    title = None
    if titles and role is not Role.ANALYST:
        inner = [p for p in parts if titles[0].start <= p.start < titles[-1].end]
        span = head[titles[0].start : titles[-1].end]
        if len(inner) > len(titles):
            span = ", ".join(head[p.start : p.end] for p in titles)
        title = _DASH.sub(", ", span).strip()
    firm = head[firms[0].start : firms[0].end] if firms and role in (Role.ANALYST, None) else None
    return Header(name, role or (Role.ANALYST if firm else None), title, firm, None)


def _join(head: str, atoms: list[_Atom]) -> list[_Atom] | None:
    """The parts of a header: titles joined with what continues them, courtesy words
    dropped; None when a word stands where no header puts it."""
    parts: list[_Atom] = []
    for a in atoms:
        last = parts[-1] if parts and parts[-1].field == a.field else None
        if last and last.kind == "honorific":
            parts.pop()
            if a.kind == "unknown" and " " not in head[a.start : a.end]:
                a.kind = "name"  # Mr. Zhou
        elif a.kind == "honorific" and last and last.kind == "name":
            continue  # 王建国先生
        if last and {a.kind, last.kind} in ({"title"}, {"title", "lower"}):
            # Chairman and Chief Executive Officer; ... Officer of Genie Energy; ..., and Director
            last.kind, last.end, last.role = "title", a.end, last.role or a.role
            continue
        before = parts[-2] if len(parts) > 1 else None
        joint = last and last.kind == "unknown" and last.end - last.start == 1 and last.glued
        if a.kind == "title" and joint and before and before.kind == "title" and before.field == a.field:
            parts.pop()
            before.end = a.end  # 董事长兼总经理
            continue
        if a.glued and last and "label" in (a.kind, last.kind) and "num" not in (a.kind, last.kind):
            return None  # a role word run into other words is prose: 其主要问题包括, 分析师问道
        parts.append(a)
    if any(p.kind == "honorific" for p in parts):
        return None
    for i, p in enumerate(parts):
        # 摩根士丹利的Kate Wise, Morgan Stanley's Kate Wise
        between = 0 < i < len(parts) - 1 and parts[i - 1].kind == "firm" and parts[i + 1].kind == "name"
        if p.kind == "of" and not between:
            return None
    return parts


def _fellows(part: _Atom, parts: list[_Atom]) -> bool:
    """Whether other parts share the field of `part` (then it is not a field of its own)."""
    return any(p is not part and p.field == part.field for p in parts)


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
        >>> [(p.question, p.answers) for p in s.qa_pairs]
        [(3, (4,))]
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
        # A name alone on its line again and again is a speaker whose header is the name.
        alone: Counter[str] = Counter()
        for line, count in Counter([text[s:e] for s, e in spans if 1 < e - s <= 40]).items():
            alone[line.strip().rstrip(":").rstrip()] += count
        for line, count in alone.items():
            if count > 1 and (_english_name(line) or _chinese_name(line)):
                known.setdefault(_key(line), _Person())
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
        spelled: dict[str, str] = {}  # one person, one spelling: the first (MIKE INTRATOR is Mike Intrator)
        for t in headed:
            h: Header = t["header"]
            person = known.get(_key(h.speaker)) if h.speaker else None
            role = h.role or (person.role if person else None)
            title = h.title or (person.title if person else None)
            firm = h.firm or (person.firm if person else None)
            roles.append(role)
            people.append(
                (spelled.setdefault(_key(h.speaker), h.speaker) if h.speaker else None, title, firm)
            )
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
    """`Kevin Grant - Head of Investor Relations`, `Anil Mehta - Goldman Sachs`: read as a
    header, the list saying what a part the vocabulary does not know is."""
    found = _read(line, {}, "list", Role.ANALYST if mode == "analysts" else Role.EXECUTIVE)
    if found is None or found.speaker is None:
        return None
    return found.speaker, _Person(found.role, found.title, found.firm)


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
