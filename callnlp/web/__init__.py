"""`callnlp serve`: browse, search and compare stored calls in a web page.

A Starlette app (app.py) over an event store opened read-only, its pages Jinja2
templates (templates/, autoescaped) with no script, and a JSON API behind each page.
Starlette, Jinja2 and uvicorn come with the `serve` extra: pip install 'callnlp[serve]'.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from callnlp.errors import MissingDependencyError

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def create_app(store_url: str | None, allowed_hosts: list[str] | None = None) -> Any:
    """The web app (a Starlette application) over the store at `store_url`.

    Args:
        store_url: the store, as `--db` takes it; it must exist (it is only read).
        allowed_hosts: the Host headers answered (others get 400), against DNS rebinding;
            None answers any.

    Raises:
        MissingDependencyError: Starlette or Jinja2 is not installed.
        StoreError: there is no store at `store_url`.

    Example:
        >>> from starlette.testclient import TestClient  # doctest: +SKIP
        >>> TestClient(create_app("calls.db")).get("/api/calls").json()[0]["company"]  # doctest: +SKIP
        'CoreWeave'
    """
    _require("starlette", "jinja2")
    from callnlp.web.app import build

    return build(store_url, allowed_hosts)


def serve(store_url: str | None, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the app over HTTP until interrupted (Ctrl-C).

    Bound to a loopback address, it answers only requests addressed to this machine by
    name (localhost, 127.0.0.1), so a web page elsewhere cannot reach it through DNS.

    Example:
        >>> serve("calls.db", port=8001)  # doctest: +SKIP
    """
    _require("starlette", "jinja2", "uvicorn")
    import uvicorn

    allowed = [*LOOPBACK, f"[{LOOPBACK[2]}]"] if host in LOOPBACK else None
    app = create_app(store_url, allowed)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _require(*modules: str) -> None:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise MissingDependencyError(
            f"callnlp serve needs {', '.join(missing)}; install it with: pip install 'callnlp[serve]'"
        )
