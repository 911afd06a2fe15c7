"""Helpers that more than one test module needs. Fixtures stay in conftest.py; a real server in server.py,
a real Virtuoso in virtuoso.py. Importing this module is cheap (the service is imported only by the helpers
that use it): fuzz/atheris_sheets.py imports test_fuzz_sheets.py, and with it this, outside pytest."""

from __future__ import annotations

import http.client
import json
import os
import sys
import textwrap
import time
import urllib.parse
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

sys.path.insert(0, str(ROOT / "bench"))
from generate import generate  # noqa: E402  (bench/generate.py: a corpus of fact sheets, seeded)

__all__ = [
    "REGISTRY",
    "RESULTS_JSON",
    "ROOT",
    "SEEDS",
    "SHEET",
    "TABLE_HEADER",
    "TABLE_NAME",
    "TABLE_REGISTRY",
    "TABLE_ROWS",
    "TEXT",
    "Answer",
    "app_client",
    "assert_error",
    "clean_env",
    "counts",
    "generate",
    "get",
    "line_of",
    "live",
    "loaded",
    "query",
    "request",
    "write_sheet",
    "write_table",
]


# ---- the environment, stores, the app in-process ------------------------------------------------------------------


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without NEWSGRAPH_* settings, so only the options a test passes count."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSGRAPH_")}
    env.update(extra)
    return env


def loaded(store: Path, *sources: Path | str):
    """A command line on ``store`` (conftest's Cli) once ``sources`` (the seeds when none are given) are
    loaded into it."""
    from conftest import Cli

    cli = Cli(Path(store))
    result = cli("load", *(str(s) for s in sources or (SEEDS,)))
    assert result.exit_code == 0, result.output
    return cli


def live(path: Path | str):
    """The store's current version with its link-counts file ignored: everything counted by queries."""
    from newsgraph.service.store import linkstats
    from newsgraph.service.store.embedded import open_store

    store = open_store(str(path))
    store._links = linkstats.LinkTable(None)
    return store


def counts(description) -> tuple:
    """What a description counts: its facts, and the total of each property's links in and out."""
    return (description.facts, [(g.property.value, g.total) for g in description.incoming],
            [(g.property.value, g.total) for g in description.outgoing])


def app_client(store: str = "memory:", **settings):
    """The web app in-process (no server, no executors: queries run in the request's thread), as Flask's
    test client. ``settings``: any other field of Settings; the response cache is off."""
    from newsgraph.service.config import Settings
    from newsgraph.service.web.app import create_app

    return create_app(Settings(store=str(store), **{"cache_mb": 0, **settings}), executors=0).test_client()


# ---- small inputs: one fact sheet with its text and registry; one SIPRI table ---------------------------------------

#: the valid sheet test_errors.py breaks one way at a time (and test_reload.py, test_cli_e2e.py use)
TEXT = "Il 3 marzo 2024 la Russia ha consegnato quattro sistemi S-400 alla Bielorussia, secondo fonti ufficiali.\n"

REGISTRY = """\
- {id: russia, type: country, labels: {en: Russia}}
- {id: belarus, type: country, labels: {en: Belarus}, aliases: [Bielorussia]}
- {id: s-400, type: weapon-system, labels: {en: S-400}}
- {id: minsk, type: place, labels: {en: Minsk}, country: belarus}
- {id: testwire, type: organization, labels: {en: Test Wire}}
"""

SHEET = """\
article:
  id: test-article
  title: "Test"
  publisher: testwire
  published: 2024-03-04
  language: it
  text: test.txt
facts:
  - type: arms-transfer
    supplier: russia
    recipient: belarus
    item: s-400
    quantity: 4
    date: 2024-03-03
    quote: "la Russia ha consegnato quattro sistemi S-400 alla Bielorussia"
"""


def write_sheet(folder: Path, sheet: str = SHEET, registry: str = REGISTRY, text: str = TEXT) -> Path:
    """``folder`` with a registry, a text and ``sheet.yaml`` (SHEET unless given); the sheet's path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "entities.yaml").write_text(registry, encoding="utf-8")
    (folder / "test.txt").write_text(text, encoding="utf-8")
    path = folder / "sheet.yaml"
    path.write_text(textwrap.dedent(sheet), encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    """The number of the first line of ``path`` holding ``needle``."""
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in {path}")


#: a SIPRI Arms Transfers table (contract §6) whose rows name entities every way test_tables.py checks
TABLE_REGISTRY = """\
- {id: russia, type: country, labels: {en: Russia, it: Russia}, aliases: [Russian Federation]}
- {id: belarus, type: country, labels: {en: Belarus}, aliases: [Bielorussia, Biélorussie]}
- {id: s-400, type: weapon-system, labels: {en: S-400}, aliases: [SA-21 Growler]}
- {id: t-72, type: weapon-system, labels: {en: T-72}}
"""

TABLE_HEADER = ("supplier,recipient,designation,description,number_ordered,order_year,delivery_years,"
                "number_delivered,comments,source")
TABLE_ROWS = [
    # label, upper case; designation spelt with a space; both numbers: delivered wins; two delivery years
    'Russia,BELARUS,S 400,SAM system,4,2021,2022; 2023,(4),"Delivered in two batches",https://armstrade.sipri.org/',
    # accented label, alias; ordered only; order year only; a citation that is not a URL
    "Rússia,bielorussie,sa-21 growler,SAM system,8,2024,,,,SIPRI Arms Transfers Database 2024",
    # alias of the supplier; delivered number without an ordered one; one delivery year
    "russian federation,Bélarus,t-72,tank,,2019,2020,6,,https://example.org/t72",
]
TABLE_NAME = "SIPRI Trade_2024.csv"


def write_table(folder: Path, rows: list[str] = TABLE_ROWS, name: str = TABLE_NAME) -> Path:
    """``folder`` with the table's registry and the table (TABLE_ROWS unless given); the table's path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "entities.yaml").write_text(TABLE_REGISTRY, encoding="utf-8")
    path = folder / name
    path.write_text(TABLE_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


# ---- HTTP with the standard library (what a client sends, byte for byte, and all it gets back) -------------------

RESULTS_JSON = "application/sparql-results+json"


@dataclass
class Answer:
    status: int
    headers: Message
    body: bytes
    seconds: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)

    def __repr__(self) -> str:  # what a failing assertion shows
        return f"<{self.status} {self.headers.get('Content-Type')} {self.text[:300]!r}>"


def request(url: str, method: str = "GET", body: bytes | str | None = None, headers: dict | None = None,
            timeout: float = 30, chunked: bool = False) -> Answer:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if isinstance(body, str):
        body = body.encode("utf-8")
    start = time.monotonic()
    try:
        if chunked:
            conn.request(method, path, body=iter([body[i:i + 65536] for i in range(0, len(body), 65536)]),
                         headers=headers or {}, encode_chunked=True)
        else:
            conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return Answer(response.status, response.headers, data, time.monotonic() - start)
    finally:
        conn.close()


def get(endpoint: str, headers: dict | None = None, timeout: float = 30, **params) -> Answer:
    return request(endpoint + "?" + urllib.parse.urlencode(params), headers=headers, timeout=timeout)


def query(endpoint: str, text: str, via: str = "get", accept: str | None = RESULTS_JSON,
          timeout: float = 30, **params) -> Answer:
    """A query by GET, form POST or direct POST (the protocol's three ways)."""
    headers = {"Accept": accept} if accept else {}
    if via == "get":
        return get(endpoint, headers, timeout, query=text, **params)
    if via == "form":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return request(endpoint, "POST", urllib.parse.urlencode({"query": text, **params}), headers, timeout)
    headers["Content-Type"] = "application/sparql-query"
    url = endpoint + ("?" + urllib.parse.urlencode(params) if params else "")
    return request(url, "POST", text, headers, timeout)


def assert_error(answer: Answer, status: int | tuple[int, ...], *words: str) -> None:
    """A refusal a person can read: the status, a plain-text message, no traceback, CORS kept."""
    statuses = status if isinstance(status, tuple) else (status,)
    assert answer.status in statuses, answer
    assert answer.status != 500, answer
    assert "Traceback" not in answer.text, answer
    assert answer.headers.get("Content-Type", "").startswith("text/plain"), answer
    assert len(answer.text.strip()) > 10, answer
    assert answer.headers.get("Access-Control-Allow-Origin") == "*", answer
    for word in words:
        assert word.lower() in answer.text.lower(), (word, answer)

