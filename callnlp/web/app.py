"""The routes of `callnlp serve`: pages and their JSON API, GET only, over a store it reads.

Safety: every template is autoescaped, and markup made here escapes every text of a
transcript (`marked`) or comes from functions that do (report.py, display.py); pages
carry no script, and a Content-Security-Policy forbids any, so a transcript's markup
could not run even if it got through. Query parameters are checked by the search API
(OptionError, answered 400); a call is named by its hex id and looked up in the store
only: nothing a request holds becomes a path.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import asdict
from functools import partial
from importlib.util import find_spec
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from callnlp.display import display_sentences
from callnlp.errors import MissingDependencyError, OptionError, StoreError
from callnlp.export import table_bytes
from callnlp.record import CallAnalysis, Role, Section
from callnlp.report import REPORT_CSS, report_body
from callnlp.search import search_calls
from callnlp.signals import GUIDED_METRICS
from callnlp.store import EventStore

TEMPLATES = Path(__file__).parent / "templates"
PAGES = Jinja2Templates(env=Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True))
"""The pages' templates, every one autoescaped whatever its name."""
CALL_ID = re.compile(r"[0-9a-f]{64}")
MAX_LIMIT = 100
"""The most calls one search page or API answer lists."""
CHARTED = ("tone_call", "hedging_call", "directness", "forward_share", "figures_per_1k_tokens", "questions")
"""The signals a company page charts across its calls."""
GUIDES = tuple(f"guidance_{m}_{h}" for m in GUIDED_METRICS for h in ("quarter", "year"))
MOVES = ("guidance_raised", "guidance_cut", "guidance_withdrawn", "guidance_maintained")
SECURITY_HEADERS = [
    # no script at all; displaCy's and the report's markup style inline
    (b"content-security-policy", b"default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
     b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]  # fmt: skip


def build(store_url: str | None, allowed_hosts: list[str] | None = None) -> Starlette:
    """The app; `callnlp.web.create_app` checks its dependencies first."""
    store = EventStore(store_url, create=False)
    # a store object's search index and engine are not shared between threads safely
    lock = threading.Lock()

    def locked(view):
        def run(request: Request) -> Response:
            with lock:
                return view(request, store)

        return run

    views = {
        "/": search_page, "/search": search_page, "/api/search": api_search,
        "/calls/{call_id}": call_page, "/api/calls": api_calls, "/api/calls/{call_id}": api_call,
        "/companies/{name:path}": company_page, "/api/companies/{name:path}": api_company,
        "/signals": signals_page, "/api/signals": api_signals,
        "/signals.csv": partial(signals_file, fmt="csv"),
        "/signals.parquet": partial(signals_file, fmt="parquet"),
    }  # fmt: skip
    middleware = [Middleware(_SecurityHeaders)]
    if allowed_hosts:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts))
    app = Starlette(
        routes=[Route(path, locked(view), methods=["GET"]) for path, view in views.items()],
        middleware=middleware,
        exception_handlers={
            OptionError: partial(_error, status=400),
            MissingDependencyError: partial(_error, status=501),
            HTTPException: _error,
        },
    )
    app.state.store = store
    return app


class _SecurityHeaders:
    """Adds `SECURITY_HEADERS` to every answer."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        async def secured(message: dict) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, secured)


# --- pages


def search_page(request: Request, store: EventStore) -> Response:
    form = _search_form(request)
    result = _search(store, form) if form["q"].strip() else None
    context = {"form": form, "result": result, "calls": store.call_count(), "choices": _CHOICES}
    return PAGES.TemplateResponse(request, "search.html", context)


def call_page(request: Request, store: EventStore) -> Response:
    analysis = _get(store, request.path_params["call_id"])
    context = {
        "call": analysis.call,
        "style": Markup(REPORT_CSS),
        "report": Markup(report_body(analysis)),
        "highlighted": find_spec("spacy") is not None,
    }
    context["legend"], context["sentences"] = sentence_rows(analysis)
    return PAGES.TemplateResponse(request, "call.html", context)


def company_page(request: Request, store: EventStore) -> Response:
    name = request.path_params["name"]
    calls, frame = _company(store, name)
    rows = _records(frame)
    charts = [chart(column, rows) for column in CHARTED]
    context = {"name": calls[0]["company"], "calls": calls, "charts": charts, "guidance": guidance(rows)}
    return PAGES.TemplateResponse(request, "company.html", context)


def signals_page(request: Request, store: EventStore) -> Response:
    frame = store.signals()
    context = {
        "columns": list(frame.columns),
        "rows": frame.astype(object).where(frame.notna(), None).values.tolist(),
        "parquet": find_spec("pyarrow") is not None,
    }
    return PAGES.TemplateResponse(request, "signals.html", context)


def signals_file(request: Request, store: EventStore, fmt: str) -> Response:
    body = table_bytes(store.signals(), f".{fmt}")
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/vnd.apache.parquet"
    disposition = f'attachment; filename="signals.{fmt}"'
    return Response(body, media_type=media, headers={"content-disposition": disposition})


# --- the JSON API


def api_search(request: Request, store: EventStore) -> Response:
    form = _search_form(request)
    if not form["q"].strip():
        raise OptionError("give the words to search for: /api/search?q=capex")
    return _json(asdict(_search(store, form)))


def api_calls(request: Request, store: EventStore) -> Response:
    return _json(store.calls())


def api_call(request: Request, store: EventStore) -> Response:
    record = _get(store, request.path_params["call_id"])
    return Response(record.to_json_bytes(indent=None), media_type="application/json")


def api_company(request: Request, store: EventStore) -> Response:
    calls, frame = _company(store, request.path_params["name"])
    return _json({"company": calls[0]["company"], "calls": calls, "signals": _records(frame)})


def api_signals(request: Request, store: EventStore) -> Response:
    return _json(_records(store.signals()))


# --- what the pages show


def marked(text: str, spans: tuple[tuple[int, int], ...] | list) -> Markup:
    """`text` escaped, the (start, end) character ranges of `spans` in <mark>.

    Example:
        >>> str(marked("capex <b>up</b>", [(0, 5)]))
        '<mark>capex</mark> &lt;b&gt;up&lt;/b&gt;'
    """
    out, at = [], 0
    for start, end in sorted(spans):
        if start >= at:  # overlapping ranges are marked once
            out += [escape(text[at:start]), Markup("<mark>"), escape(text[start:end]), Markup("</mark>")]
            at = end
    out.append(escape(text[at:]))
    return Markup("").join(out)


def sentence_rows(analysis: CallAnalysis) -> tuple[Markup, list[dict[str, Any]]]:
    """The legend of the marks, and each sentence of the call with its line, the anchor
    `L{line}` on the first sentence of each line, and its text as markup: figures and cues
    marked by `callnlp.display` when spaCy is installed, else the escaped text."""
    legend, shown = display_sentences(analysis) if find_spec("spacy") is not None else ("", {})
    rows, seen = [], set()
    for s in analysis.sentences:
        anchor = f"L{s.line}" if s.line not in seen else None
        seen.add(s.line)
        html = Markup(shown[s.index]) if s.index in shown else escape(s.text)
        rows.append({"line": s.line, "anchor": anchor, "section": s.section.value, "html": html})
    return Markup(legend), rows


def chart(column: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A small line chart of one signal over a company's calls, in date order: the points
    in SVG units (a 300 x 60 box) with their labels."""
    known = [(r, float(r[column])) for r in rows if _number(r.get(column))]
    if not known:
        return {"column": column, "points": [], "polyline": ""}
    low, high = min(v for _, v in known), max(v for _, v in known)
    span = (high - low) or 1.0
    step = 280 / max(len(known) - 1, 1)
    points = [
        {
            "x": round(10 + i * step, 1),
            "y": round(50 - 40 * (v - low) / span, 1),
            "label": f"{r.get('date') or r.get('period') or '?'}: {v:.3g}",
        }
        for i, (r, v) in enumerate(known)
    ]
    return {
        "column": column,
        "points": points,
        "polyline": " ".join(f"{p['x']},{p['y']}" for p in points),
        "low": f"{low:.3g}",
        "high": f"{high:.3g}",
    }


def guidance(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A company's guidance, call by call: each guided metric's midpoint for its period,
    how it moved against the previous call, and the call's raised, cut and withdrawn counts."""
    out = []
    for r in rows:
        guides = [
            {
                "metric": g.removeprefix("guidance_").replace("_", " "),
                "period": r.get(f"{g}_period"),
                "value": f"{r[g]:,.0f} {r.get(f'{g}_unit') or ''}",
                "change": _move(r.get(f"{g}_change")),
            }
            for g in GUIDES
            if _number(r.get(g))
        ]
        moves = {m.removeprefix("guidance_"): r.get(m) for m in MOVES if _number(r.get(m)) and r[m]}
        if guides or moves:
            out.append({"call_id": r["call_id"], "date": r["date"], "period": r["period"], "guides": guides,
                        "moves": moves})  # fmt: skip
    return out


PAGES.env.globals["mark"] = marked
PAGES.env.filters["part"] = partial(quote, safe="")  # a name as one part of a path, a "/" too

# --- plumbing

_CHOICES = {
    "role": [r.value for r in Role],
    "section": [s.value for s in Section],
    "lang": ["zh", "en"],
}
_FILTERS = ("company", "since", "until", "role", "section", "lang")


def _search_form(request: Request) -> dict[str, Any]:
    """The search's parameters as given (empty ones left out of the search)."""
    params = request.query_params
    form = {key: params.get(key, "") for key in ("q", *_FILTERS, "limit")}
    form["undated"] = params.get("undated", "") not in ("", "0", "false")
    return form


def _search(store: EventStore, form: dict[str, Any]) -> Any:
    limit = form["limit"] or "10"
    if not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
        raise OptionError(f"limit must be a whole number from 1 to {MAX_LIMIT}, not {limit!r}")
    filters = {key: form[key] or None for key in _FILTERS}
    return search_calls(store, form["q"], **filters, undated=form["undated"], limit=int(limit))


def _get(store: EventStore, call_id: str) -> CallAnalysis:
    if not CALL_ID.fullmatch(call_id):
        raise HTTPException(404, "a call is named by its id: 64 hex digits, as /api/calls lists them")
    try:
        return store.get(call_id)
    except StoreError:
        raise HTTPException(404, f"the store holds no call {call_id}") from None


def _company(store: EventStore, name: str) -> tuple[list[dict[str, Any]], Any]:
    calls = store.calls(company=name)
    if not calls:
        raise HTTPException(404, f"the store holds no call of {name!r}")
    frame = store.signals(company=name).sort_values(["date", "period"], na_position="first")
    return calls, frame


def _records(frame: Any) -> list[dict[str, Any]]:
    """A DataFrame's rows as dicts, missing values None (JSON null)."""
    return orjson.loads(frame.to_json(orient="records"))


def _json(data: Any) -> Response:
    # orjson writes NaN as null, which JSON has no other way to say; column names are str subclasses
    return Response(orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS), media_type="application/json")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _move(change: Any) -> str:
    if not _number(change):
        return ""
    return "raised" if change > 0 else "cut" if change < 0 else "maintained"


async def _error(request: Request, exc: Exception, status: int | None = None) -> Response:
    """An error as one line: JSON for the API, a page for the pages."""
    status = status or getattr(exc, "status_code", 500)
    message = str(getattr(exc, "detail", None) or exc)
    headers = getattr(exc, "headers", None)
    if request.url.path.startswith("/api/"):
        return Response(orjson.dumps({"error": message}), status, headers, media_type="application/json")
    context = {"status": status, "message": message}
    return PAGES.TemplateResponse(request, "error.html", context, status_code=status, headers=headers)
