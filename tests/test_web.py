from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest

pytest.importorskip("starlette")
pytest.importorskip("jinja2")

from starlette.testclient import TestClient

import callnlp
from callnlp.cli import main
from callnlp.errors import StoreError
from callnlp.store import EventStore
from callnlp.web import create_app
from callnlp.web.app import marked

CALLS = Path(__file__).resolve().parent.parent / "corpora" / "calls"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
PWNED = "document.title='pwned'"

# Transcripts carrying markup that would run in a page shown unescaped, Chinese and English.
HOSTILE = {
    "hostile_zh.txt": (
        "恶意科技 2025年第一季度业绩说明会\n\n主持人:欢迎参加本次会议。<script>alert(1)</script>\n\n"
        f"董事长 王建国:资本支出增加到5亿元<script>{PWNED}</script>。<img src=x onerror=alert(1)>"
        f'详情见<a href="javascript:{PWNED}">链接</a>。\n'
    ),
    "hostile_en.txt": (
        "Evil Corp (EVL) Q1 2025 earnings call\n\nOperator: Welcome. <script>alert(1)</script>\n\n"
        f"Jane Doe: Capex rose to $5 million <script>{PWNED}</script>. <img src=x onerror=alert(1)> "
        f'See <a href="javascript:{PWNED}">here</a> and <b onmouseover="alert(1)">this</b>.\n'
    ),
}
RAW = (
    "<script>alert(1)</script>",
    f"<script>{PWNED}</script>",
    "<img src=x",
    'href="javascript:',
    "<b onmouseover",
)


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("web")
    hostile = []
    for name, text in HOSTILE.items():
        (tmp / name).write_text(text, encoding="utf-8")
        company = "<script>alert(1)</script> Evil" if name.endswith("en.txt") else "恶意科技"
        (tmp / name).with_suffix(".json").write_text(
            json.dumps({"company": company, "date": "2025-05-01"}), encoding="utf-8"
        )
        hostile.append(str(tmp / name))
    report = callnlp.ingest([str(CALLS), *hostile], str(tmp / "calls.db"), workers=1)
    assert not report.failed
    return tmp / "calls.db"


@pytest.fixture(scope="module")
def client(store_path: Path) -> TestClient:
    return TestClient(create_app(str(store_path)))


@pytest.fixture(scope="module")
def calls(client: TestClient) -> list[dict]:
    return client.get("/api/calls").json()


def _call(calls: list[dict], company: str) -> dict:
    return next(c for c in calls if c["company"] == company)


def _pages(calls: list[dict]) -> list[str]:
    """Every page and API answer of the store's calls and companies."""
    urls = ["/", "/search?q=capex", "/search?q=资本支出", "/signals", "/api/signals", "/api/calls"]
    urls += ["/signals.csv", "/api/search?q=capex", "/search?q=alert", "/api/search?q=script"]
    for c in calls:
        name = quote(c["company"], safe="")
        urls += [f"/calls/{c['id']}", f"/api/calls/{c['id']}", f"/companies/{name}", f"/api/companies/{name}"]
    return urls


def test_web_every_page_and_api_answers(client: TestClient, calls: list[dict]) -> None:
    assert len(calls) == 7
    for url in _pages(calls):
        r = client.get(url)
        assert r.status_code == 200, (url, r.text[:300])
        assert r.headers["content-security-policy"].startswith("default-src 'none'")


PAGES = [
    # url                                   what the page shows
    ("/", "calls stored"),
    ("/search?q=nothingmatchesthisword", "No call matches"),
    ("/signals", '<a href="/signals.csv">'),
    ("/signals", "signals.parquet"),
]


@pytest.mark.parametrize(("url", "shown"), PAGES)
def test_web_pages_show_what_they_are_for(client: TestClient, url: str, shown: str) -> None:
    assert shown in client.get(url).text


SEARCHES = [
    # query     language of the call it must find    marked in a passage
    ("capex", "en", "<mark>capex</mark>"),
    ("capex", "zh", "<mark>资本支出</mark>"),
    ("资本支出", "zh", "<mark>资本支出</mark>"),
    ("资本支出", "en", "<mark>capex</mark>"),
]


@pytest.mark.parametrize(("query", "lang", "mark"), SEARCHES)
def test_web_search_finds_capex_in_both_languages(
    client: TestClient, calls: list[dict], query: str, lang: str, mark: str
) -> None:
    page = client.get("/search", params={"q": query}).text
    assert mark.lower() in page.lower()
    api = client.get("/api/search", params={"q": query}).json()
    languages = {c["id"]: c["language"] for c in calls}
    assert any(languages[c["call_id"]] in (lang, "mixed") for c in api["calls"])
    for c in api["calls"]:  # each passage links to its line in its call
        for h in c["passages"]:
            assert f'href="/calls/{c["call_id"]}#L{h["line"]}"' in page


def test_web_search_filters_and_amounts(client: TestClient) -> None:
    api = client.get("/api/search", params={"q": "capex", "lang": "zh", "section": "prepared"}).json()
    assert api["calls"]
    assert all(h["lang"] == "zh" and h["section"] == "prepared" for c in api["calls"] for h in c["passages"])
    page = client.get("/search", params={"q": "capex $5 million"}).text
    assert "amounts:" in page


def test_web_search_passage_anchor_exists_in_call_page(client: TestClient) -> None:
    hit = client.get("/api/search", params={"q": "capex"}).json()["calls"][0]["passages"][0]
    page = client.get(f"/calls/{hit['call_id']}").text
    assert f'id="L{hit["line"]}"' in page
    assert 'id="tone-chart"' in page  # the report's chart, inside the page


def test_web_marked_escapes_everything_but_the_marks() -> None:
    assert str(marked("<b>capex</b> 资本支出", [(3, 8), (13, 17)])) == (
        "&lt;b&gt;<mark>capex</mark>&lt;/b&gt; <mark>资本支出</mark>"
    )


def test_web_hostile_transcript_renders_as_text(client: TestClient, calls: list[dict]) -> None:
    for url in _pages(calls):
        r = client.get(url)
        if not r.headers["content-type"].startswith("text/html"):
            # data, as stored, which no browser renders: the API's JSON and the CSV
            assert r.headers["x-content-type-options"] == "nosniff"
            continue
        for raw in RAW:
            assert raw not in r.text, (url, raw)
    for company in ("<script>alert(1)</script> Evil", "恶意科技"):
        page = client.get(f"/calls/{_call(calls, company)['id']}").text
        assert "&lt;script&gt;" in page
        # ingest reads an <a> tag as markup and keeps its words; no link of the page leads to script
        assert not re.search(r"""(href|src)\s*=\s*["']?\s*javascript:""", page, re.IGNORECASE)


def test_web_call_api_is_the_record(client: TestClient, store_path: Path, calls: list[dict]) -> None:
    call_id = _call(calls, "Helios Grid Systems")["id"]
    with EventStore(store_path, create=False) as store:
        record = store.get(call_id)
    assert client.get(f"/api/calls/{call_id}").json() == json.loads(record.to_json())


def test_web_call_page_marks_figures_and_cues(client: TestClient, calls: list[dict]) -> None:
    pytest.importorskip("spacy")
    page = client.get(f"/calls/{_call(calls, 'Helios Grid Systems')['id']}").text
    assert "callnlp-legend" in page
    assert page.count('<div class="spans"') > 10


def test_web_company_page_charts_signals_and_guidance(client: TestClient, calls: list[dict]) -> None:
    call = _call(calls, "Helios Grid Systems")
    page = client.get("/companies/" + quote("helios grid systems")).text  # any case
    assert page.count('<svg class="spark"') >= 3
    assert f'href="/calls/{call["id"]}"' in page
    assert 'id="guidance"' in page
    api = client.get("/api/companies/Helios%20Grid%20Systems").json()
    assert [c["id"] for c in api["calls"]] == [call["id"]]
    assert api["signals"][0]["tone_call"] is not None


def test_web_signal_downloads(client: TestClient, calls: list[dict]) -> None:
    csv = client.get("/signals.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("call_id,company")
    assert len(csv.text.splitlines()) == len(calls) + 1
    pytest.importorskip("pyarrow")
    assert client.get("/signals.parquet").content[:4] == b"PAR1"


BAD = [
    # url                                           what the 400 says
    ("/search?q=capex&since=2025-13-01", "since must be a date"),
    ("/api/search?q=capex&until=yesterday", "until must be a date"),
    ("/api/search?q=capex&since=2026-01-01&until=2025-01-01", "swap them"),
    ("/api/search?q=capex&role=ceo", "unknown role"),
    ("/api/search?q=资本支出&section=intro", "unknown section"),
    ("/api/search?q=capex&lang=fr", "unknown lang"),
    ("/api/search?q=capex&limit=0", "limit must be"),
    ("/api/search?q=capex&limit=101", "limit must be"),
    ("/search?q=capex&limit=ten", "limit must be"),
    ("/api/search?q=", "give the words"),
]


@pytest.mark.parametrize(("url", "message"), BAD)
def test_web_bad_parameters_are_400(client: TestClient, url: str, message: str) -> None:
    r = client.get(url)
    assert r.status_code == 400
    assert message in (r.json()["error"] if url.startswith("/api/") else r.text)


NOT_FOUND = [
    "/calls/zz",
    "/calls/" + "0" * 64,
    "/calls/../../etc/passwd",
    "/calls/%2e%2e%2fcalls.db",
    "/api/calls/" + "f" * 64,
    "/api/calls/ABC",
    "/companies/Nobody%20Inc",
    "/api/companies/没有这家公司",
    "/static/../calls.db",
    "/calls.db",
]


@pytest.mark.parametrize("url", NOT_FOUND)
def test_web_unknown_call_or_company_is_404(client: TestClient, url: str) -> None:
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("url", ["/", "/search", "/api/search?q=capex", "/api/calls", "/signals"])
def test_web_has_no_write_routes(client: TestClient, method: str, url: str) -> None:
    assert client.request(method, url).status_code == 405


def test_web_empty_store_says_so(tmp_path: Path) -> None:
    EventStore(tmp_path / "empty.db").close()
    client = TestClient(create_app(str(tmp_path / "empty.db")))
    assert "holds no calls yet" in client.get("/").text
    assert "holds no calls yet" in client.get("/signals").text
    assert client.get("/api/calls").json() == []


def test_web_missing_store_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(StoreError, match="no store at"):
        create_app(str(tmp_path / "missing.db"))
    assert main(["serve", "--db", str(tmp_path / "missing.db")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no store at" in err


@pytest.mark.parametrize("port", ["0", "65536", "http", "-1"])
def test_web_cli_refuses_a_bad_port(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--port", port])
    assert stopped.value.code == 2
    assert "1 to 65535" in capsys.readouterr().err


def test_web_loopback_answers_only_local_host_names(store_path: Path) -> None:
    client = TestClient(create_app(str(store_path), ["127.0.0.1", "localhost"]), base_url="http://localhost")
    assert client.get("/").status_code == 200
    assert client.get("/", headers={"host": "attacker.example"}).status_code == 400


# -- a real browser ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_web_renders_in_headless_chromium(tmp_path: Path, store_path: Path, calls: list[dict]) -> None:
    browser = next((path for path in map(shutil.which, BROWSERS) if path), None)
    if browser is None:
        pytest.skip("no chromium, chromium-browser or google-chrome on PATH: run .ci/chromium to install it")
    uvicorn = pytest.importorskip("uvicorn")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(str(store_path)), port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started
        flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        flags.append(f"--user-data-dir={tmp_path / 'profile'}")  # not the user's profile

        def dom(path: str) -> str:
            url = f"http://127.0.0.1:{port}{path}"
            done = subprocess.run(
                [*flags, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=False
            )
            assert done.returncode == 0, done.stderr[-2000:]
            return done.stdout

        found = dom("/search?q=capex")
        assert "<mark>" in found.lower()
        assert re.search(r'href="/calls/[0-9a-f]{64}#L\d+"', found)
        assert "<title>capex · search · callnlp</title>" in found
        for company in ("<script>alert(1)</script> Evil", "恶意科技", "Helios Grid Systems"):
            page = dom(f"/calls/{_call(calls, company)['id']}")
            assert "<svg" in page
            assert 'id="L' in page
            assert "pwned" not in re.search(r"<title>(.*?)</title>", page, re.S).group(1)
            assert re.search(r"<title>[^<]* · callnlp</title>", page)
        company = dom("/companies/" + quote("Helios Grid Systems"))
        assert company.count('class="spark"') >= 3
        assert re.search(r'href="/calls/[0-9a-f]{64}"', company)
        hostile = dom("/search?q=" + quote("alert script"))
        assert "<title>alert script · search · callnlp</title>" in hostile
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_web_capex_lists_the_seed_cfo_next_to_the_english_calls(seeds, tmp_path: Path) -> None:
    # the bar: the README's ingest of the bundled calls, plus the seeds
    from conftest import CORPORA

    db = str(tmp_path / "calls.db")
    callnlp.ingest([CORPORA / "calls", *seeds], db, workers=1)
    client = TestClient(create_app(db), base_url="http://127.0.0.1")
    calls = client.get("/api/search", params={"q": "capex"}).json()["calls"]
    passages = {Path(c["source"]).name: c["passages"] for c in calls}
    seed = next(name for name in passages if name.startswith("000_"))
    assert any(p["role"] == "executive" and "资本支出" in p["text"] for p in passages[seed])
    assert sum(name.startswith("en_") for name in passages) >= 2
    page = client.get("/search", params={"q": "capex"}).text
    assert "<mark>资本支出</mark>" in page
    assert "<mark>Capex</mark>" in page or "<mark>capex</mark>" in page
