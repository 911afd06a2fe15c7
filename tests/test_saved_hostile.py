"""No parameter value can change a saved query: hostile values of every type are a 400 or a literal match.

The fixture query ``tests/fixture_queries/echo.rq`` reads no data and answers its bound parameters as
one row (one per combination of list values): a value that escaped its literal would show as a row
that differs from what was sent, or as more rows. The shipped queries get the same values, and the
store is checked unchanged afterwards.

What is under test is how values are checked and bound, not HTTP: the app runs in-process (Flask's test
client, the app `newsgraph serve` builds, queries in the request's thread), as two apps on one store, one
serving the fixture query folder and one the shipped queries.
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import pytest
from conftest import ROOT
from helpers import app_client, loaded

from newsgraph.loaders.folding import fold
from newsgraph.service.sparql.saved_queries import load_queries

FIXTURES = ROOT / "tests" / "fixture_queries"
HOSTILE = [
    "'", '"', '"}', "\"} UNION { ?s ?p ?o } #", "} UNION {", ">", "<http://evil.example/>",
    "\\u0022 } UNION { ?a ?b ?c",
    "\\\\u0022", "\\", "\\\"", "line\nbreak", "cr\r\nlf", "nul\x00byte", "tab\there", "x" * 10_000,
    "INSERT DATA { <a:b> <a:c> <a:d> }", "\" . } ; DROP ALL ; #", "$x", "?x", "# comment", "🙂 emoji",
    "\u202etxet lrt", "%00", "%", "a\"^^<http://www.w3.org/2001/XMLSchema#integer>", "1 } } SELECT * { ?s ?p ?o",
    "@en", "x@en\"", "true\" || true || \"", "2023-11-22\"^^xsd:date } UNION {", "Q863\" }", "csto> . ?s ?p <x",
    "http://localhost:5000/id/country/russia> } UNION { ?s ?p ?o", "",
]
SINGLE = ["e", "i", "s", "f", "l", "n", "d", "b", "t", "k"]


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """(echo, real): the app with the fixture query folder, and the app with the shipped queries."""
    store = loaded(tmp_path_factory.mktemp("hostile") / "store").store
    return app_client(store, queries=str(FIXTURES)), app_client(store)


def call(app, name: str, pairs: list[tuple[str, str]]):
    """GET, or a form POST when the values would not fit in a request line (the service stops at 8 KiB)."""
    query = urllib.parse.urlencode(pairs)
    if len(query) < 3000:
        r = app.get(f"/queries/{name}?{query}")
    else:
        r = app.post(f"/queries/{name}", data=query.encode(),
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    body = r.get_data()
    if r.status_code < 400:
        return r.status_code, json.loads(body)
    return r.status_code, json.loads(body) if r.headers.get("Content-Type", "").endswith("json") else body


def triples(app) -> int:
    return json.loads(app.get("/health").get_data())["triples"]


def expected(param: str, value: str) -> object:
    """What the echo row holds when the value is accepted: the value itself (folded where the
    parameter folds, without its tag for a language-tagged string)."""
    return {"f": fold(value), "l": value.rpartition("@")[0]}.get(param, value)


@pytest.mark.parametrize("param", SINGLE)
def test_hostile_values_of_every_type_are_refused_or_matched_literally(servers, param):
    echo, _ = servers
    for value in HOSTILE:
        status, body = call(echo, "echo", [(param, value)])
        assert status in (200, 400), (param, value, status, body)
        if status == 400:
            assert body["status"] == 400 and (not value or body["invalid-params"][0]["name"] == param)
            continue
        rows = body["rows"]
        assert len(rows) == 1, (param, value, rows)
        others = {k: v for k, v in rows[0].items() if k != param}
        assert set(others.values()) == {None}, (param, value, rows)  # nothing else was bound
        if value and param in ("s", "f", "l", "k"):
            assert rows[0][param] == expected(param, value), (param, value, rows)


def test_good_values_are_bound_as_typed_terms(servers):
    echo, _ = servers
    pairs = [("e", "russia"), ("i", "http://example.org/x y".replace(" ", "%20")), ("s", 'say "hi" }'),
             ("f", "Tagík"), ("l", "Mosca@it"), ("n", "42"), ("d", ".5"), ("b", "yes"), ("t", "2023-11-22"),
             ("k", 'd"e'), ("m", "one"), ("m", "two")]
    status, body = call(echo, "echo", pairs)
    assert status == 200, body
    rows = body["rows"]
    assert len(rows) == 2 and {r["m"] for r in rows} == {"one", "two"}
    row = rows[0]
    assert row["e"] == "http://localhost:5000/id/country/russia"
    assert row["s"] == 'say "hi" }' and row["f"] == "tagik" and row["l"] == "Mosca"
    assert row["n"] == 42 and row["d"] == 0.5 and row["b"] is True and row["t"] == "2023-11-22" and row["k"] == 'd"e'
    assert body["params"]["l"] == "Mosca@it" and body["params"]["m"] == ["one", "two"]


def test_list_values_multiply_rows_and_nothing_more(servers):
    echo, _ = servers
    for value in HOSTILE:
        if not value or len(value) > 500:
            continue
        status, body = call(echo, "echo", [("m", value), ("m", "plain")])
        if status == 400:
            continue
        assert len(body["rows"]) == 2 and {r["m"] for r in body["rows"]} == {value, "plain"}, value


def test_bounds_and_forms_are_checked(servers):
    echo, _ = servers
    for param, value in (("n", "-6"), ("n", "1000001"), ("n", "1.5"), ("n", "0x10"), ("d", "1e5"), ("d", "NaN"),
                         ("b", "maybe"), ("t", "2023-02-30"), ("t", "2023-11"), ("t", "22/11/2023"), ("k", "A"),
                         ("l", "no tag"), ("l", "x@not a tag"), ("i", "relative/iri"), ("i", "http://a b"),
                         ("e", "Russia"), ("e", "Q0"), ("s", "x" * 501), ("n", "9" * 40)):
        status, body = call(echo, "echo", [(param, value)])
        assert status == 400, (param, value, body)
        assert body["invalid-params"][0]["name"] == param


def test_shipped_queries_take_hostile_values_without_error_or_change(servers):
    _, real = servers
    before = triples(real)
    queries = load_queries()
    for q in queries.values():
        for p in q.params:
            for value in HOSTILE[:-1]:
                pairs = [(other.name, other.example or "x") for other in q.params if other.required and other != p]
                status, body = call(real, q.name, [*pairs, (p.name, value)])
                assert status in (200, 400), (q.name, p.name, value, status, body)
                if p.type == "entity" and value:
                    assert status == 400  # no hostile text names an entity
    assert triples(real) == before


def test_search_for_hostile_text_finds_nothing_rather_than_everything(servers):
    _, real = servers
    for value in ("\"} UNION { ?s ?p ?o } #", "') || true || ('", ".*", "%"):
        status, body = call(real, "search", [("q", value)])
        assert status == 200 and body["rows"] == [], value


def test_fixture_query_folder_is_what_the_echo_server_serves(servers):
    echo, _ = servers
    r = echo.get("/queries")
    assert r.status_code == 200
    assert [q["name"] for q in json.loads(r.get_data())["queries"]] == ["echo"]
    assert Path(FIXTURES / "echo.rq").exists()
