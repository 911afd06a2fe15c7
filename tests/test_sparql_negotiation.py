"""What /sparql answers, over a real `newsgraph serve`: result formats by Accept and by `format=`, graphs in
every RDF syntax, large results streamed whole, the dataset (union default graph, default-graph-uri,
named-graph-uri), and loads into the store while the server keeps answering. The editor page that
`format=html` answers is checked in-process (Flask's test client, a memory store holding hostile data).
"""

from __future__ import annotations

import csv
import io
import subprocess
import textwrap
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import rdflib
from conftest import BASE, SEEDS, Cli
from helpers import app_client, assert_error, query, request
from server import NEWSGRAPH, Server

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib's own parsers, on Dataset

SRX = "{http://www.w3.org/2005/sparql-results#}"
ASKANEWS = "askanews-2023-11-22-csto"
TREATY = "csto-treaty-record"
ARTICLE_A, ARTICLE_B = f"{BASE}id/article/{ASKANEWS}", f"{BASE}id/article/{TREATY}"
GRAPH_A, GRAPH_B = f"{BASE}graph/article/{ASKANEWS}", f"{BASE}graph/article/{TREATY}"
TAJIKISTAN = f"{BASE}id/country/tajikistan"
BULK = 3000
BULK_GRAPH = f"{BASE}graph/file/bulk"

ARTICLES = "SELECT ?a ?title { ?a a nf:Article ; schema:headline ?title } ORDER BY ?a"
CONSTRUCT_A = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{GRAPH_A}> {{ ?s ?p ?o }} }}"
COUNT_A = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPH_A}> {{ ?s ?p ?o }} }}"


def bulk_value(i: int) -> str:
    """Literals that CSV and TSV must escape: commas, quotes, tabs, newlines, non-ASCII."""
    return [f"row {i}", f"row {i}, with a comma", f'row {i} "quoted"', f"row {i}\twith a tab",
            f"row {i}\nsecond line", f"riga {i} — Таджикистан"][i % 6]


def nt_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("negotiation")
    bulk = folder / "bulk.nt"
    bulk.write_text("".join(f'<http://example.org/bulk/{i}> <http://example.org/bulk#value> '
                            f'"{nt_escape(bulk_value(i))}" .\n' for i in range(BULK)), encoding="utf-8")
    cli = Cli(folder / "store")
    for path in (SEEDS, bulk):
        result = cli("load", str(path))
        assert result.exit_code == 0, result.output
    return cli.store


@pytest.fixture(scope="module")
def srv(store):
    with Server(store, timeout=20) as server:
        yield server


def count(srv, text: str, **params) -> int:
    answer = query(srv.endpoint, text, **params)
    assert answer.status == 200, answer
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


def content_type(answer) -> str:
    return answer.headers.get("Content-Type", "").split(";")[0].strip().lower()


def vary(answer) -> set[str]:
    return {v.strip().lower() for v in answer.headers.get("Vary", "").split(",")}


# ---- parsing the four result formats into rows of values ---------------------------------------------


def rows_json(body: bytes) -> list[dict[str, str]]:
    import json

    data = json.loads(body)
    return [{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]]


def rows_xml(body: bytes) -> list[dict[str, str]]:
    root = ET.fromstring(body)
    rows = []
    for result in root.iter(f"{SRX}result"):
        row = {}
        for binding in result.findall(f"{SRX}binding"):
            term = binding[0]
            row[binding.get("name")] = term.text or ""
        rows.append(row)
    return rows


def rows_csv(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))


def _tsv_term(term: str) -> str:
    """The value of a SPARQL TSV term (`<iri>`, `"literal"@lang`, `"x"^^<dt>`, bare numbers)."""
    if term.startswith("<") and term.endswith(">"):
        return term[1:-1]
    if term.startswith('"'):
        end = term.rfind('"')
        raw = term[1:end]
        return (raw.replace("\\t", "\t").replace("\\n", "\n").replace("\\r", "\r").replace('\\"', '"')
                .replace("\\\\", "\\"))
    return term


def rows_tsv(body: bytes) -> list[dict[str, str]]:
    lines = body.decode("utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    header = [h.lstrip("?$") for h in lines[0].split("\t")]
    rows = []
    for line in lines[1:]:
        cells = line.split("\t")
        assert len(cells) == len(header), line
        rows.append({h: _tsv_term(c) for h, c in zip(header, cells, strict=True) if c != ""})
    return rows


FORMATS = {
    "json": ("application/sparql-results+json", rows_json),
    "xml": ("application/sparql-results+xml", rows_xml),
    "csv": ("text/csv", rows_csv),
    "tsv": ("text/tab-separated-values", rows_tsv),
}


# ---- SELECT and ASK --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FORMATS)
def test_select_in_each_format_by_accept(srv, name):
    media, parse = FORMATS[name]
    answer = query(srv.endpoint, ARTICLES, accept=media)
    assert answer.status == 200, answer
    assert content_type(answer) == media
    assert "accept" in vary(answer)
    assert answer.headers.get("Access-Control-Allow-Origin") == "*"
    rows = parse(answer.body)
    assert [r["a"] for r in rows] == [ARTICLE_A, ARTICLE_B]
    assert rows[0]["title"] == "Mosca vuole un sistema antimissile congiunto per la Csto"


@pytest.mark.parametrize("accept, expected", [
    ("application/sparql-results+xml;q=0.9, application/sparql-results+json", "json"),
    ("application/sparql-results+json;q=0.5, application/sparql-results+xml", "xml"),
    ("text/csv;q=0.1, text/tab-separated-values;q=0.8", "tsv"),
    ("*/*;q=0.1, text/csv", "csv"),
    ("*/*", "json"),
    ("application/*", "json"),
    ("application/json", "json"),
    ("text/html, application/xhtml+xml, */*;q=0.8", "json"),
], ids=["xml-q0.9-vs-json", "json-q0.5-vs-xml", "csv-vs-tsv", "star-low-csv",
        "star", "application-star", "application-json", "browser"])
def test_accept_quality_values_and_wildcards(srv, accept, expected):
    media, parse = FORMATS[expected]
    answer = query(srv.endpoint, ARTICLES, accept=accept)
    assert answer.status == 200, answer
    assert content_type(answer) == media, (accept, answer.headers.get("Content-Type"))
    assert [r["a"] for r in parse(answer.body)] == [ARTICLE_A, ARTICLE_B]


@pytest.mark.parametrize("accept", ["text/*", "text/*;q=0.5, text/csv;q=0"])
def test_text_wildcard_gives_a_text_format(srv, accept):
    answer = query(srv.endpoint, ARTICLES, accept=accept)
    assert answer.status == 200, answer
    assert content_type(answer).startswith("text/"), answer.headers.get("Content-Type")


def test_no_accept_gives_sparql_json(srv):
    answer = query(srv.endpoint, ARTICLES, accept=None)
    assert answer.status == 200 and content_type(answer) == "application/sparql-results+json", answer
    assert len(rows_json(answer.body)) == 2


@pytest.mark.parametrize("param, value, accept, expected", [
    ("format", "csv", "application/sparql-results+json", "csv"),
    ("format", "xml", "text/csv", "xml"),
    ("format", "json", "application/sparql-results+xml", "json"),
    ("format", "tsv", "application/sparql-results+json", "tsv"),
    ("format", "application/sparql-results+xml", "application/sparql-results+json", "xml"),
    ("format", "text/tab-separated-values", "text/csv", "tsv"),
    ("format", "csv", "text/turtle", "csv"),  # would be 406 by Accept alone
    ("output", "json", "application/sparql-results+xml", "json"),  # SPARQLWrapper
    ("output", "xml", "application/sparql-results+json", "xml"),
], ids=["format-csv", "format-xml", "format-json", "format-tsv", "format-media-xml", "format-media-tsv",
        "format-beats-406", "output-json", "output-xml"])
@pytest.mark.parametrize("via", ["get", "form"])
def test_format_parameter_wins_over_accept(srv, param, value, accept, expected, via):
    media, parse = FORMATS[expected]
    answer = query(srv.endpoint, ARTICLES, via=via, accept=accept, **{param: value})
    assert answer.status == 200, answer
    assert content_type(answer) == media
    assert [r["a"] for r in parse(answer.body)] == [ARTICLE_A, ARTICLE_B]


def test_select_as_turtle_is_406_listing_what_is_available(srv):
    answer = query(srv.endpoint, ARTICLES, accept="text/turtle")
    assert_error(answer, 406, "application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                 "text/tab-separated-values")


def test_construct_as_sparql_json_is_406_listing_rdf_formats(srv):
    answer = query(srv.endpoint, CONSTRUCT_A, accept="application/sparql-results+json")
    assert_error(answer, 406, "text/turtle", "application/n-triples", "application/ld+json")


def test_unknown_format_value_without_accept_is_refused_with_the_choices(srv):
    answer = query(srv.endpoint, ARTICLES, accept=None, format="pdf")
    assert_error(answer, (400, 406), "json", "csv")


@pytest.mark.parametrize("media", ["application/sparql-results+json", "application/sparql-results+xml"])
def test_ask_in_json_and_xml(srv, media):
    for text, expected in (("ASK { ?a a schema:NewsArticle }", True),
                           ("ASK { ?a a schema:NewsArticle ; schema:headline \"no such headline\" }", False)):
        answer = query(srv.endpoint, text, accept=media)
        assert answer.status == 200, answer
        assert content_type(answer) == media
        assert "accept" in vary(answer)
        if media.endswith("json"):
            import json

            assert json.loads(answer.body)["boolean"] is expected
        else:
            assert ET.fromstring(answer.body).find(f"{SRX}boolean").text == str(expected).lower()


# ---- CONSTRUCT and DESCRIBE ------------------------------------------------------------------------

RDF_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/n-quads": "nquads",
    "application/trig": "trig",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
}


def parse_rdf(answer, fmt: str) -> rdflib.Dataset:
    ds = rdflib.Dataset()
    ds.parse(data=answer.body, format=fmt)
    return ds


def triples(ds: rdflib.Dataset) -> set:
    return {(s, p, o) for s, p, o, _ in ds.quads((None, None, None, None))}


@pytest.mark.parametrize("media", RDF_FORMATS)
def test_construct_in_each_rdf_format(srv, media):
    expected = count(srv, COUNT_A)
    assert expected > 500
    answer = query(srv.endpoint, CONSTRUCT_A, accept=media)
    assert answer.status == 200, answer
    assert content_type(answer) == media
    assert "accept" in vary(answer)
    got = triples(parse_rdf(answer, RDF_FORMATS[media]))
    assert len(got) == expected
    assert (rdflib.URIRef(ARTICLE_A), rdflib.RDF.type, rdflib.URIRef("http://schema.org/NewsArticle")) in got


@pytest.mark.parametrize("media", ["text/turtle", "application/n-triples", "application/ld+json",
                                   "application/rdf+xml"])
def test_describe_in_rdf_formats(srv, media):
    expected = count(srv, f"SELECT (COUNT(*) AS ?n) {{ SELECT DISTINCT ?p ?o {{ <{TAJIKISTAN}> ?p ?o }} }}")
    assert expected > 5
    answer = query(srv.endpoint, f"DESCRIBE <{TAJIKISTAN}>", accept=media)
    assert answer.status == 200, answer
    assert content_type(answer) == media
    got = triples(parse_rdf(answer, RDF_FORMATS[media]))
    assert len({(p, o) for s, p, o in got if s == rdflib.URIRef(TAJIKISTAN)}) == expected
    assert (rdflib.URIRef(TAJIKISTAN), rdflib.OWL.sameAs, rdflib.URIRef("http://www.wikidata.org/entity/Q863")) in got


@pytest.mark.parametrize("value, media", [("ttl", "text/turtle"), ("nt", "application/n-triples"),
                                          ("jsonld", "application/ld+json"), ("rdfxml", "application/rdf+xml"),
                                          ("application/trig", "application/trig")])
def test_construct_format_parameter(srv, value, media):
    answer = query(srv.endpoint, CONSTRUCT_A, accept="application/n-quads", format=value)
    assert answer.status == 200, answer
    assert content_type(answer) == media
    assert len(triples(parse_rdf(answer, RDF_FORMATS[media]))) == count(srv, COUNT_A)


def test_service_description_without_query(srv):
    answer = request(srv.endpoint, headers={"Accept": "text/turtle"})
    assert answer.status == 200, answer
    assert content_type(answer) == "text/turtle"
    g = parse_rdf(answer, "turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    assert (rdflib.URIRef(srv.endpoint), sd.endpoint, rdflib.URIRef(srv.endpoint)) in triples(g)


# ---- format=html: the editor page with the results or the problem -----------------------------------------


EVIL = "</script><img src=x onerror=alert(1)>"


@pytest.fixture
def editor():
    """The app in-process on a memory store whose data is hostile: a label that closes a script element,
    an IRI that is a script URL."""
    client = app_client("memory:", update_token="t")
    with client.application.extensions["newsgraph.store"].get().writer() as writer:
        writer.update('INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/x> '
                      f'<http://www.w3.org/2000/01/rdf-schema#label> "{EVIL}"@en . '
                      '<http://example.org/x> <http://example.org/p> <javascript:alert(1)> } }')
    return client


def test_html_results_escape_data(editor):
    r = editor.post("/sparql", data={"query": "SELECT ?s ?o WHERE { ?s ?p ?o }", "format": "html"})
    body = r.data.decode()
    assert r.status_code == 200
    assert EVIL not in body and "&lt;/script&gt;" in body
    assert 'href="javascript:' not in body


def test_html_syntax_error_shows_editor(editor):
    r = editor.post("/sparql", data={"query": "SELECT ?s WHERE { ?s ?p }", "format": "html"})
    assert r.status_code == 400 and r.mimetype == "text/html"
    assert "SELECT ?s WHERE { ?s ?p }" in r.data.decode()


def test_html_refused_service_shows_editor(editor):
    q = "SELECT * WHERE { SERVICE <http://example.net/sparql> { ?s ?p ?o } }"
    r = editor.post("/sparql", data={"query": q, "format": "html"})
    assert r.status_code == 400
    assert r.mimetype == "text/html", r.data


# ---- large results ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FORMATS)
def test_large_select_streams_completely(srv, name):
    media, parse = FORMATS[name]
    total = count(srv, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
    assert total > BULK + 1500
    answer = query(srv.endpoint, "SELECT * { ?s ?p ?o }", accept=media, timeout=60)
    assert answer.status == 200, answer
    assert content_type(answer) == media
    assert len(answer.body) > 256 * 1024  # many chunks of the executor's pipe
    rows = parse(answer.body)
    assert len(rows) == total
    bulk = {r["s"]: r["o"] for r in rows if r["s"].startswith("http://example.org/bulk/")}
    assert bulk == {f"http://example.org/bulk/{i}": bulk_value(i) for i in range(BULK)}


def test_large_construct_streams_completely(srv):
    answer = query(srv.endpoint, "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
                   accept="application/n-triples", timeout=60)
    assert answer.status == 200, answer
    got = triples(parse_rdf(answer, "nt"))
    assert len(got) == count(srv, "SELECT (COUNT(*) AS ?n) { SELECT DISTINCT ?s ?p ?o { GRAPH ?g { ?s ?p ?o } } }")
    assert sum(1 for s, _, _ in got if str(s).startswith("http://example.org/bulk/")) == BULK


# ---- the dataset -----------------------------------------------------------------------------------


def test_default_graph_is_the_union_of_all_graphs(srv):
    answer = query(srv.endpoint, "SELECT DISTINCT ?a { ?f prov:wasDerivedFrom ?a } ORDER BY ?a")
    assert [r["a"] for r in rows_json(answer.body)] == [ARTICLE_A, ARTICLE_B]
    # one pattern that joins triples from two graphs: an entity (entities graph) and a fact (article graph)
    joined = query(srv.endpoint, f"SELECT ?label {{ ?f prov:wasDerivedFrom <{ARTICLE_A}> ; ?role ?e . "
                                 f"?e rdfs:label ?label FILTER(lang(?label) = 'en' && ?e = <{TAJIKISTAN}>) }} LIMIT 1")
    assert [r["label"] for r in rows_json(joined.body)] == ["Tajikistan"]
    assert count(srv, "SELECT (COUNT(*) AS ?n) { ?s <http://example.org/bulk#value> ?o }") == BULK


def test_the_default_graph_is_a_set(srv):
    """A triple stated in two graphs (`tajikistan org:memberOf csto`, in the article and in the treaty record)
    is one triple of the default graph: matched once, counted once, as Fuseki's union graph does."""
    in_graphs = count(srv, f"SELECT (COUNT(*) AS ?n) {{ GRAPH ?g {{ <{TAJIKISTAN}> org:memberOf ?org }} }}")
    assert in_graphs >= 2  # the premise: more than one graph states it
    answer = query(srv.endpoint, f"SELECT ?org {{ <{TAJIKISTAN}> org:memberOf ?org }} ORDER BY ?org")
    assert [r["org"] for r in rows_json(answer.body)] == [f"{BASE}id/organization/cst", f"{BASE}id/organization/csto"]
    assert count(srv, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }") == count(
        srv, "SELECT (COUNT(*) AS ?n) { SELECT DISTINCT ?s ?p ?o { GRAPH ?g { ?s ?p ?o } } }")
    # every aggregate over it: a sum over labels stated by several graphs adds each once
    assert count(srv, "SELECT (COUNT(*) AS ?n) { ?x org:memberOf ?o }") == count(
        srv, "SELECT (COUNT(*) AS ?n) { SELECT DISTINCT ?x ?o { GRAPH ?g { ?x org:memberOf ?o } } }")


@pytest.mark.parametrize("via", ["get", "form"])
def test_default_graph_uri_restricts_the_default_graph(srv, via):
    answer = query(srv.endpoint, "SELECT DISTINCT ?a { ?f prov:wasDerivedFrom ?a }", via=via,
                   **{"default-graph-uri": GRAPH_B})
    assert answer.status == 200, answer
    assert [r["a"] for r in rows_json(answer.body)] == [ARTICLE_B]
    assert count(srv, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", **{"default-graph-uri": GRAPH_A}) == count(srv, COUNT_A)
    assert count(srv, "SELECT (COUNT(*) AS ?n) { ?s <http://example.org/bulk#value> ?o }",
                 **{"default-graph-uri": GRAPH_A}) == 0


def test_two_default_graph_uris_merge(srv):
    text = "SELECT DISTINCT ?a { ?f prov:wasDerivedFrom ?a } ORDER BY ?a"
    answer = request(f"{srv.endpoint}?query={_q(text)}&default-graph-uri={_q(GRAPH_A)}&default-graph-uri={_q(GRAPH_B)}",
                     headers={"Accept": "application/sparql-results+json"})
    assert answer.status == 200, answer
    assert [r["a"] for r in rows_json(answer.body)] == [ARTICLE_A, ARTICLE_B]


def _q(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def test_named_graph_uri_limits_graph_variable(srv):
    text = "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
    everything = [r["g"] for r in rows_json(query(srv.endpoint, text).body)]
    assert {GRAPH_A, GRAPH_B, BULK_GRAPH} <= set(everything)

    one = query(srv.endpoint, text, **{"named-graph-uri": GRAPH_A})
    assert [r["g"] for r in rows_json(one.body)] == [GRAPH_A]
    two = request(srv.endpoint + f"?query={_q(text)}&named-graph-uri={_q(GRAPH_A)}&named-graph-uri={_q(BULK_GRAPH)}",
                  headers={"Accept": "application/sparql-results+json"})
    assert [r["g"] for r in rows_json(two.body)] == sorted([GRAPH_A, BULK_GRAPH])
    # named graphs only: the default graph is then empty
    assert count(srv, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", **{"named-graph-uri": GRAPH_A}) == 0
    # both: the default graph is B's, GRAPH ?g sees only A
    both = query(srv.endpoint, "SELECT ?g ?a { { ?f prov:wasDerivedFrom ?a } "
                               "UNION { GRAPH ?g { ?f prov:wasDerivedFrom ?a } } }",
                 **{"default-graph-uri": GRAPH_B, "named-graph-uri": GRAPH_A})
    pairs = {(r.get("g"), r["a"]) for r in rows_json(both.body)}
    assert pairs == {(None, ARTICLE_B), (GRAPH_A, ARTICLE_A)}


# ---- loads while serving ---------------------------------------------------------------------------

SHEET = """\
article:
  id: {id}
  title: "{title}"
  publisher: askanews
  published: 2024-05-0{n}
  language: en
facts:
  - type: membership
    id: armenia-weighs-leaving
    member: armenia
    organization: csto
    status: considering-withdrawal
    quote: "Armenia is considering leaving the CSTO ({n})"
"""


def write_sheet(folder: Path, n: int) -> tuple[Path, str]:
    """A new fact sheet whose entities (armenia, csto, askanews) are already in the store; its article IRI."""
    path = folder / f"live-{n}.yaml"
    path.write_text(textwrap.dedent(SHEET.format(id=f"live-load-test-{n}", title=f"Armenia and the CSTO, {n}",
                                                 n=n)), encoding="utf-8")
    return path, f"{BASE}id/article/live-load-test-{n}"


#: what Traffic asks: the (article, headline) pairs, counted and listed; each new sheet adds one article, one title
HEADLINES = "SELECT (COUNT(*) AS ?n) { ?a a schema:NewsArticle ; schema:headline ?h }"


class Traffic:
    """Threads that keep querying the endpoint (GET with ever-new text, and POST) and record every answer. An
    answer is right when it counts, or lists, as many headlines as one of the versions the store goes through
    (``counts``); anything else (an error, a refused connection, a body that does not parse, a wrong number)
    is a failure."""

    def __init__(self, endpoint: str, counts: set[int], threads: int = 4):
        self.endpoint = endpoint
        self.counts = counts
        self.stop = threading.Event()
        self.answers: list[tuple[float, int, str]] = []
        self.failures: list[str] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)]

    def _run(self, n: int) -> None:
        import json

        i = 0
        while not self.stop.is_set():
            i += 1
            text = (f"{HEADLINES} # {n}-{i}" if i % 2
                    else "SELECT ?a ?h { ?a a schema:NewsArticle ; schema:headline ?h }")
            try:
                answer = query(self.endpoint, text, via="get" if n % 2 else "direct", timeout=15)
                problem = None if answer.status == 200 else repr(answer)
                if problem is None:
                    rows = json.loads(answer.body)["results"]["bindings"]
                    found = int(rows[0]["n"]["value"]) if i % 2 else len(rows)
                    if found not in self.counts:
                        problem = f"wrong answer: {found} headlines, not one of {sorted(self.counts)}"
            except Exception as e:  # a refused or cut connection, or a body that does not parse
                problem = f"{type(e).__name__}: {e}"
            with self.lock:
                self.answers.append((time.monotonic(), 200 if problem is None else -1, text))
                if problem:
                    self.failures.append(problem)

    def __enter__(self) -> Traffic:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(20)

    def between(self, start: float, end: float) -> int:
        with self.lock:
            return sum(1 for t, _, _ in self.answers if start <= t <= end)

    def wait_answered(self, after: float, within: float = 30) -> None:
        """Until some query sent by the threads was answered after ``after`` (a time.monotonic())."""
        deadline = time.monotonic() + within
        while not self.between(after, float("inf")):
            assert time.monotonic() < deadline, f"no query answered within {within} s"
            time.sleep(0.05)


def load(store: Path, path: Path) -> tuple[subprocess.CompletedProcess, float, float]:
    start = time.monotonic()
    done = subprocess.run([str(NEWSGRAPH), "load", "--store", str(store), "--quiet", str(path)],
                          capture_output=True, text=True, timeout=60)
    return done, start, time.monotonic()


def wait_visible(srv, article: str, within: float) -> float:
    deadline = time.monotonic() + within
    start = time.monotonic()
    while time.monotonic() < deadline:
        answer = query(srv.endpoint, f"ASK {{ <{article}> a schema:NewsArticle }} # {time.monotonic()}", via="direct")
        if answer.status == 200 and answer.json()["boolean"]:
            return time.monotonic() - start
        time.sleep(0.1)
    raise AssertionError(f"{article} not visible through /sparql {within} s after the load")


def test_load_while_serving_shows_new_article_without_failed_requests(cli, tmp_path):
    assert cli("load", str(SEEDS)).exit_code == 0
    sheet, article = write_sheet(tmp_path, 1)
    with Server(cli.store, timeout=10) as srv:
        pids = _server_pids(srv)
        assert not query(srv.endpoint, f"ASK {{ <{article}> ?p ?o }}").json()["boolean"]
        before = count(srv, HEADLINES)
        with Traffic(srv.endpoint, {before, before + 1}) as traffic:
            traffic.wait_answered(after=0)
            done, start, end = load(cli.store, sheet)
            assert done.returncode == 0, done.stdout + done.stderr
            wait_visible(srv, article, within=5)
            traffic.wait_answered(after=time.monotonic())
        assert traffic.failures == [], traffic.failures[:5]
        assert traffic.between(start, end) > 0, "no query was answered while the load ran"
        # answered before the load, while it ran and after it: the service never stopped answering
        assert traffic.between(0, start) > 0 and traffic.between(end, float("inf")) > 0
        # the new article's facts are there, in its own graph
        graph = f"{BASE}graph/article/live-load-test-1"
        assert count(srv, f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}") > 5
        health = request(srv.url + "/health").json()
        assert health["articles"] == 3
        assert _server_pids(srv) == pids, "the server was restarted"


def _server_pids(srv) -> tuple[int, ...]:
    """The gunicorn master and its workers."""
    children = Path(f"/proc/{srv.process.pid}/task/{srv.process.pid}/children").read_text().split()
    assert srv.process.poll() is None
    return (srv.process.pid, *sorted(int(c) for c in children))


@pytest.mark.slow
def test_several_loads_in_a_row_while_serving(cli, tmp_path):
    """Each load makes a new version and prunes old ones, while executors may still be reading them."""
    assert cli("load", str(SEEDS)).exit_code == 0
    with Server(cli.store, timeout=10) as srv:
        before = count(srv, HEADLINES)
        with Traffic(srv.endpoint, set(range(before, before + 5))) as traffic:
            traffic.wait_answered(after=0)
            for n in range(1, 5):
                sheet, article = write_sheet(tmp_path, n)
                done, _, _ = load(cli.store, sheet)
                assert done.returncode == 0, done.stdout + done.stderr
                wait_visible(srv, article, within=5)
            traffic.wait_answered(after=time.monotonic())
        assert traffic.failures == [], traffic.failures[:5]
        assert request(srv.url + "/health").json()["articles"] == 6
