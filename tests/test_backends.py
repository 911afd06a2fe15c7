"""One suite, two backends: the embedded pyoxigraph store and a real Virtuoso 7, with the same data.

Every test here runs on both (``backend`` is ``embedded`` or ``virtuoso``), through the real command
line and a real ``newsgraph serve``; the ``*_alike`` tests then hold the two answers against each
other, since "same answers on both" is the point: typed literals, language tags and blank nodes come
back alike, the default graph is the dataset's own graphs only, errors and time limits read the same.

Then the remote store on its own (newsgraph.service.store.remote): an engine that is down or drops the
connection, a plain SPARQL 1.1 engine that gives the descriptions the embedded store gives, and round
trips through the real Virtuoso of odd literals, graph IRIs, blank nodes, datasets and updates.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import re
import socket
import threading
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import BASE, SEEDS
from helpers import app_client, clean_env, counts, live
from rdflib import Graph
from rdflib.compare import isomorphic
from server import Server, free_port
from server import fetch as get  # (status, headers, body), errors included
from virtuoso import Virtuoso, available

from newsgraph.service.cli import main
from newsgraph.service.sparql.saved_queries import load_queries
from newsgraph.service.store.embedded import StoreError
from newsgraph.service.store.remote import RemoteStore
from newsgraph.service.web.describe import describe

TOKEN = "backends-token"
EX = "http://example.org/"
BACKENDS = ("embedded", "virtuoso")
EXTRA = """@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:thing ex:name "Ding"@de , "thing"@en , "plain" ;
    ex:count 42 ; ex:ratio 0.5 ; ex:when "2023-11-22"^^xsd:date ; ex:year "2023"^^xsd:gYear ;
    ex:flag true ; ex:odd "x"^^ex:custom ;
    ex:part [ ex:name "a blank node" ; ex:inner [ ex:name "nested" ] ] .
"""


class BackendCli:
    """`newsgraph` in-process against one backend (its store option and environment)."""

    def __init__(self, store: str, env: dict[str, str]):
        self.store, self.env = store, env
        self.runner = CliRunner()

    def __call__(self, *args: str):
        return self.runner.invoke(main, [args[0], "--store", self.store, *args[1:]], env=self.env,
                                  catch_exceptions=False)

    def rows(self, query: str) -> list[dict]:
        result = self("query", query, "--format", "json")
        assert result.exit_code == 0, result.output
        parsed = ox.parse_query_results(result.stdout_bytes, format=ox.QueryResultsFormat.JSON)
        return [{v.value: str(s[v]) for v in parsed.variables if s[v] is not None} for s in parsed]


def fixtures(folder: Path) -> list[Path]:
    (folder / "extra.ttl").write_text(EXTRA)
    for name, qty in (("report-a", 2), ("report-b", 4)):
        (folder / f"{name}.yaml").write_text(f"""article: {{id: {name}, title: "Report {name}", publisher: askanews,
  published: 2023-11-20, language: en}}
facts:
  - {{type: arms-transfer, id: s300, supplier: russia, recipient: tajikistan, item: s-300, quantity: {qty},
     date_before: 2023-11-20, quote: "{qty} S-300 battalions"}}
""")
    return [SEEDS, folder / "extra.ttl", folder / "report-a.yaml", folder / "report-b.yaml"]


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory):
    if not available():
        if os.environ.get("CI") == "true":
            pytest.fail("virtuoso-t is missing: `make test` installs Debian's virtuoso-opensource")
        pytest.skip("virtuoso-t is missing: `make test` installs Debian's virtuoso-opensource")
    with Virtuoso(tmp_path_factory.mktemp("virtuoso")) as v:
        yield v


@pytest.fixture(scope="module")
def setups(tmp_path_factory, virtuoso):
    """Both backends loaded with the same files, each with a server in front."""
    folder = tmp_path_factory.mktemp("backends")
    files = [str(p) for p in fixtures(folder)]
    clis = {"embedded": BackendCli(str(folder / "store"), {}),
            "virtuoso": BackendCli(virtuoso.endpoint, virtuoso.env)}
    for name, cli in clis.items():
        result = cli("load", *files)
        assert result.exit_code == 0, (name, result.output)
    # Virtuoso compiles each query to SQL first: `conflicts` costs it 2–5 s on the seeds (0.05 s embedded)
    servers = {"embedded": Server(folder / "store", token=TOKEN, timeout=3),
               "virtuoso": Server(virtuoso.endpoint, token=TOKEN, timeout=12, env=clean_env(**virtuoso.env))}
    for s in servers.values():
        s.__enter__()
    yield {name: (clis[name], servers[name]) for name in BACKENDS}
    for s in servers.values():
        s.__exit__(None, None, None)


@pytest.fixture(params=BACKENDS)
def backend(request, setups):
    cli, srv = setups[request.param]
    srv.name = request.param
    return cli, srv


def select(srv, query: str) -> tuple[int, bytes]:
    status, _, body = get(f"{srv.url}/sparql?{urllib.parse.urlencode({'query': query})}",
                          {"Accept": "application/sparql-results+json"})
    return status, body


def bnodes_out(text: str) -> str:
    return re.sub(r"_:[A-Za-z0-9_]+", "_:b", text)


# ---- every command and endpoint works on both ------------------------------------------------------------


def test_load_again_changes_nothing_and_a_changed_sheet_replaces_its_article(backend, tmp_path):
    cli, _ = backend
    again = cli("load", str(SEEDS))
    assert again.exit_code == 0 and "0 articles" in again.output and "unchanged" in again.output
    sheet = tmp_path / "changing.yaml"
    for qty in (7, 9):
        sheet.write_text(f"""article: {{id: changing, title: Changing, publisher: askanews, published: 2024-01-01,
  language: en}}
facts:
  - {{type: arms-transfer, id: t, supplier: russia, recipient: belarus, item: s-300, quantity: {qty},
     quote: "{qty} systems"}}
""")
        assert cli("load", str(sheet)).exit_code == 0
    found = cli.rows("SELECT ?q WHERE { ?t a nf:ArmsTransfer ; nf:recipient/dcterms:identifier 'belarus' ; "
                     "nf:quantity ?q }")
    assert [r["q"] for r in found] == ['"9"^^<http://www.w3.org/2001/XMLSchema#integer>']


def test_validate_checks_and_writes_nothing(backend, tmp_path):
    cli, _ = backend
    bad = tmp_path / "bad.yaml"
    bad.write_text("article: {id: bad, title: Bad, publisher: nobody, published: 2024-01-01, language: en}\n"
                   "facts: []\n")
    result = cli("validate", str(bad))
    assert result.exit_code == 1 and "bad.yaml:1" in result.output and "nobody" in result.output
    assert cli.rows("SELECT ?p WHERE { <http://localhost:5000/id/article/bad> ?p ?o }") == []
    assert cli("validate", str(SEEDS)).exit_code == 0


def test_health_counts_only_the_datasets_own_graphs(setups):
    counts = {}
    for name in BACKENDS:
        _, srv = setups[name]
        _, _, body = get(srv.url + "/health")
        counts[name] = json.loads(body)
    assert counts["embedded"] == counts["virtuoso"]  # Virtuoso's system graphs left out


def test_the_default_graph_is_a_set(backend):
    """A triple that several graphs state (`tajikistan org:memberOf csto`: the seed article and the treaty
    record; the S-300 shortcut: three reports) is one triple of the default graph, on both backends — and
    the copy Virtuoso keeps for it is no named graph of the dataset."""
    cli, srv = backend

    def count(text: str) -> int:
        status, body = select(srv, text)
        assert status == 200, body
        return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])

    tajikistan = "<http://localhost:5000/id/country/tajikistan>"
    assert count(f"SELECT (COUNT(*) AS ?n) {{ GRAPH ?g {{ {tajikistan} org:memberOf ?o }} }}") >= 2  # the premise
    assert count(f"SELECT (COUNT(*) AS ?n) {{ {tajikistan} org:memberOf ?o }}") == 2  # csto and cst, once each
    assert count("SELECT (COUNT(*) AS ?n) { ?s nf:suppliedArmsTo ?o }") == count(
        "SELECT (COUNT(*) AS ?n) { SELECT DISTINCT ?s ?o { GRAPH ?g { ?s nf:suppliedArmsTo ?o } } }")
    assert count("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }") == count(
        "SELECT (COUNT(*) AS ?n) { SELECT DISTINCT ?s ?p ?o { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), "
        "'http://localhost:5000/')) } }")
    graphs = [r["g"] for r in cli.rows("SELECT DISTINCT ?g { GRAPH ?g { ?s a ?t } }")]
    assert graphs and not [g for g in graphs if "newsgraph:default" in g]


def test_sparql_endpoint_refuses_what_it_must(backend):
    _, srv = backend
    assert select(srv, "SELECT ?x WHERE { ?x ?y }")[0] == 400
    status, body = select(srv, "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    assert status == 400 and b"SERVICE" in body
    status, _, _ = get(srv.url + "/sparql", {"Content-Type": "application/sparql-update"},
                       b"INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/a> <http://example.org/b> 1 "
                       b"}}")
    assert status == 401


@pytest.mark.slow
def test_a_slow_query_is_stopped_with_503(backend):
    _, srv = backend
    status, body = select(srv, "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }")
    assert status == 503, body[:300]
    assert select(srv, "ASK { ?s ?p ?o }")[0] == 200  # and the service goes on


def test_update_with_the_token(backend):
    cli, srv = backend
    graph = "http://example.org/updated"  # the same on both backends, so their exports stay alike
    status, _, body = get(srv.url + "/sparql", {"Content-Type": "application/sparql-update",
                                                "Authorization": f"Bearer {TOKEN}"},
                          f'INSERT DATA {{ GRAPH <{graph}> {{ <http://example.org/u> <http://example.org/v> "w" }} }}'
                          .encode())
    assert status == 204, body
    assert cli.rows(f"SELECT ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}") == [{"o": '"w"'}]


def test_pages_and_saved_queries_answer(backend):
    _, srv = backend
    for path in ("/", "/id/country/russia", "/id/article/askanews-2023-11-22-csto", "/queries",
                 "/queries/members?organization=csto", "/openapi.json", "/.well-known/void", "/ontology"):
        status, _, body = get(srv.url + path)
        assert status == 200, (path, body[:300])


# ---- same answers on both ------------------------------------------------------------------------------


def unordered(value):
    """A "; "-joined list (GROUP_CONCAT) in a fixed order: SPARQL leaves the order of its items to the engine."""
    return "; ".join(sorted(value.split("; "))) if isinstance(value, str) and "; " in value else value


def both(setups, fn):
    return {name: fn(*setups[name]) for name in BACKENDS}


@pytest.mark.slow
def test_saved_queries_alike(setups):
    """Every saved query, with its documented examples and without, answers the same rows on both."""
    queries = load_queries()
    for q in queries.values():
        for params in ({p.name: p.example for p in q.params if p.example is not None},
                       {p.name: p.example for p in q.params if p.required and p.example is not None}):
            url = f"/queries/{q.name}?{urllib.parse.urlencode({**params, 'limit': 10000})}"

            def rows(cli, srv, url=url):
                status, _, body = get(srv.url + url)
                assert status == 200, (srv.name if hasattr(srv, "name") else "", url, body[:300])
                return sorted(json.dumps({k: unordered(v) for k, v in r.items()}, sort_keys=True,
                                         ensure_ascii=False) for r in json.loads(body)["rows"])

            answers = both(setups, rows)
            assert answers["embedded"] == answers["virtuoso"], url


def test_select_terms_alike(setups):
    query = ("SELECT ?p ?o WHERE { <http://example.org/thing> ?p ?o } ORDER BY ?p ?o")

    def answer(cli, srv):
        status, body = select(srv, query)
        assert status == 200
        parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        return sorted(bnodes_out(f"{s['p']} {s['o']}") for s in parsed)

    answers = both(setups, answer)
    assert answers["embedded"] == answers["virtuoso"]
    assert '<http://example.org/name> "Ding"@de' in answers["virtuoso"]
    assert '<http://example.org/when> "2023-11-22"^^<http://www.w3.org/2001/XMLSchema#date>' in answers["virtuoso"]
    assert '<http://example.org/part> _:b' in answers["virtuoso"]


def test_construct_and_descriptions_alike(setups):
    def graph(cli, srv, path):
        status, _, body = get(srv.url + path, {"Accept": "text/turtle"})
        assert status == 200, (path, body[:300])
        return Graph().parse(data=body, format="turtle")

    for path in ("/id/country/russia", "/id/article/askanews-2023-11-22-csto/s300-to-tajikistan",
                 "/sparql?" + urllib.parse.urlencode({"query": "CONSTRUCT WHERE { ?s ?p ?o . ?o ?q ?r }"})):
        answers = both(setups, lambda cli, srv, path=path: graph(cli, srv, path))
        assert len(answers["embedded"]) > 10
        assert isomorphic(answers["embedded"], answers["virtuoso"]), path


def test_export_alike(setups):
    def export(cli, srv):
        result = cli("export", "--format", "nq")
        assert result.exit_code == 0
        return sorted(bnodes_out(line) for line in result.output.splitlines() if line.strip())

    answers = both(setups, export)
    assert len(answers["embedded"]) > 2000
    assert answers["embedded"] == answers["virtuoso"]


# ---- what the remote engine guarantees, checked rather than assumed ----------------------------------------


def _virtuoso_update(v: Virtuoso, text: str) -> int:
    store = RemoteStore(v.endpoint, v.update_url, "dba", "dba")
    try:
        store.update(text)
        return 200
    except Exception as e:  # the engine's refusal
        return getattr(e, "status", 500)


def test_virtuoso_put_is_all_or_nothing_and_multi_operation_updates_are_not(virtuoso):
    """Why a load replaces an article with the Graph Store Protocol's PUT and not with `DROP; INSERT`."""
    from newsgraph.service.store.remote import RemoteError

    store = RemoteStore(virtuoso.endpoint, virtuoso.update_url, "dba", "dba")
    g = ox.NamedNode("http://example.org/atomic")
    triples = [ox.Triple(ox.NamedNode(f"http://example.org/s{i}"), ox.NamedNode("http://example.org/p"),
                         ox.Literal(str(i))) for i in range(500)]
    store.put_graph(g, triples)
    assert len(store.quads(g)) == 500
    body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    broken = body[: len(body) // 2] + b"\n<http://example.org/broken <x> .\n" + body[len(body) // 2:]
    with pytest.raises(RemoteError):
        store._send(f"{store.crud_url}?{urllib.parse.urlencode({'graph': g.value})}", broken,
                    {"Content-Type": "application/n-triples"}, method="PUT")
    assert len(store.quads(g)) == 500  # the broken PUT changed nothing
    status = _virtuoso_update(virtuoso, f"DROP SILENT GRAPH <{g.value}> ; "
                                        f"LOAD <http://127.0.0.1:9/none> INTO GRAPH <{g.value}>")
    assert status >= 400
    assert len(store.quads(g)) == 0  # …but the failed request's DROP stayed done: not atomic


# ---- the remote store at its edges: engines that fail, a plain SPARQL engine --------------------------------------


def test_dead_engine_query_is_store_error():
    store = RemoteStore(f"http://127.0.0.1:{free_port()}/sparql")
    with pytest.raises(StoreError) as e:
        store.query("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
    assert e.value.status == 503


def test_dead_engine_health_is_503_not_500():
    url = f"http://127.0.0.1:{free_port()}/sparql"
    r = app_client(url).get("/health")
    assert r.status_code in (502, 503), (r.status_code, r.data)


@pytest.fixture
def dropping_engine():
    """An 'engine' that accepts a connection, reads the request and closes without answering
    (a restarting engine, a proxy dropping the connection)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    stop = threading.Event()

    def serve():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            conn.settimeout(1)
            with contextlib.suppress(OSError):
                conn.recv(65536)
            conn.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.getsockname()[1]}/sparql"
    stop.set()
    t.join(2)
    srv.close()


def test_engine_dropping_connection_is_store_error(dropping_engine):
    store = RemoteStore(dropping_engine)
    store._virtuoso = False
    store._excluded = []
    with pytest.raises(StoreError):
        store.query("SELECT * WHERE { ?s ?p ?o } LIMIT 1")


class _Engine(http.server.BaseHTTPRequestHandler):
    """A plain SPARQL 1.1 engine (pyoxigraph behind the protocol), as a remote store sees one."""

    def do_POST(self):
        form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        try:
            result = self.server.store.query(form["query"][0], use_default_graph_as_union=True)
            body, status = result.serialize(format=ox.QueryResultsFormat.JSON), 200
        except SyntaxError as e:
            body, status = str(e).encode(), 400
        self.send_response(status)
        self.send_header("Content-Type", "application/sparql-results+json" if status == 200 else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_descriptions_on_a_remote_store_match_the_embedded_ones(seeded):
    """RemoteStore has no counts file: it counts live, binds terms with bind_values at one offset, and looks
    dates and types up through `about` — the same description as the embedded store, order included."""
    embedded = live(seeded.store)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Engine)
    server.store = embedded._store
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        remote = RemoteStore(f"http://127.0.0.1:{server.server_address[1]}/sparql")
        remote._virtuoso, remote._excluded = False, []
        for path in ("organization/csto", "country/russia", "organization/askanews", "country/uzbekistan"):
            iri = ox.NamedNode(f"{BASE}id/{path}")
            a, b = describe(embedded, iri), describe(remote, iri)
            assert counts(a) == counts(b) and (a.facts > 0 or "askanews" in path), path
            assert [g.subjects for g in a.incoming] == [g.subjects for g in b.incoming], path
            assert set(a.triples) == set(b.triples), path
    finally:
        server.shutdown()
        server.server_close()


# ---- the remote store against the real Virtuoso: round trips ------------------------------------------------------


@pytest.fixture
def remote(virtuoso):
    """The remote store on the module's Virtuoso. The graphs a test adds are dropped after it, so that the
    two backends above keep the same data whatever the order the tests run in."""
    store = RemoteStore(virtuoso.endpoint, virtuoso.update_url, "dba", "dba", query_timeout=20)
    before = set(store.graphs())
    yield store
    for graph in set(store.graphs()) - before:
        store.update(f"DROP SILENT GRAPH <{graph.value}>")


def rows_of(store, text, **kw):
    r = store.query(text, **kw)
    return [{v.value: s[v] for v in r.variables if s[v] is not None} for s in r]


def test_put_graph_non_ascii_round_trip(remote):
    g = ox.NamedNode(EX + "g-utf8")
    label = ox.Literal("Zürich – 東京 😀", language="de")
    remote.put_graph(g, [ox.Triple(ox.NamedNode(EX + "z"), ox.NamedNode(EX + "name"), label)])
    got = [q.object for q in remote.quads(g)]
    assert got == [label]


def test_put_graph_odd_graph_iri(remote):
    g = ox.NamedNode(EX + "g?a=1&b=2#frag%20x")
    t = ox.Triple(ox.NamedNode(EX + "odd"), ox.NamedNode(EX + "p"), ox.Literal("v"))
    remote.put_graph(g, [t])
    assert [q.triple for q in remote.quads(g)] == [t]
    assert g in remote.graphs()


def test_values_binding_odd_literal(remote):
    g = ox.NamedNode(EX + "g-odd")
    odd = ox.Literal('quote " back \\ newline\n tab\t brace } hash # <tag>')
    remote.put_graph(g, [ox.Triple(ox.NamedNode(EX + "o"), ox.NamedNode(EX + "p"), odd)])
    found = remote.triples(o=odd)
    assert [t.subject for t in found] == [ox.NamedNode(EX + "o")]


def test_graph_prefixed_name_and_select_star(remote):
    g = ox.NamedNode(EX + "g-pref")
    remote.put_graph(g, [ox.Triple(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "p"), ox.Literal("x"))])
    r = rows_of(remote, "PREFIX ex: <http://example.org/> SELECT * WHERE { GRAPH ex:g-pref { ?s ?p ?o } }")
    assert r == [{"s": ox.NamedNode(EX + "a"), "p": ox.NamedNode(EX + "p"), "o": ox.Literal("x")}]


def test_from_named(remote):
    g = ox.NamedNode(EX + "g-from")
    remote.put_graph(g, [ox.Triple(ox.NamedNode(EX + "f"), ox.NamedNode(EX + "p"), ox.Literal("y"))])
    r = rows_of(remote, "SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } } ", named_graphs=[g], default_graph=[g])
    assert r == [{"s": ox.NamedNode(EX + "f")}]
    r = rows_of(remote, "SELECT ?s FROM NAMED <http://example.org/g-from> WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert r == [{"s": ox.NamedNode(EX + "f")}]


def test_ask_and_describe(remote):
    g = ox.NamedNode(EX + "g-ask")
    remote.put_graph(g, [ox.Triple(ox.NamedNode(EX + "d"), ox.NamedNode(EX + "p"), ox.Literal("z"))])
    assert bool(remote.query("ASK { <http://example.org/d> ?p ?o }")) is True
    assert bool(remote.query("ASK { <http://example.org/nothing> ?p ?o }")) is False


def test_describe_default_graph(remote):
    g = ox.NamedNode(EX + "g-describe")
    remote.put_graph(g, [ox.Triple(ox.NamedNode(EX + "d"), ox.NamedNode(EX + "p"), ox.Literal("z"))])
    described = remote.query("DESCRIBE <http://example.org/d>")
    assert ox.Triple(ox.NamedNode(EX + "d"), ox.NamedNode(EX + "p"), ox.Literal("z")) in list(described)


def test_blank_nodes_round_trip(remote):
    g = ox.NamedNode(EX + "g-bnode")
    b = ox.BlankNode()
    remote.put_graph(g, [ox.Triple(ox.NamedNode(EX + "h"), ox.NamedNode(EX + "part"), b),
                         ox.Triple(b, ox.NamedNode(EX + "name"), ox.Literal("inner"))])
    quads = remote.quads(g)
    assert len(quads) == 2
    objs = [q.object for q in quads if q.predicate == ox.NamedNode(EX + "part")]
    subs = [q.subject for q in quads if q.predicate == ox.NamedNode(EX + "name")]
    assert isinstance(objs[0], ox.BlankNode) and objs == subs


def test_blank_node_bound_alone(remote):
    g = ox.NamedNode(EX + "g-bnode-alone")
    b = ox.BlankNode()
    remote.put_graph(g, [ox.Triple(ox.NamedNode(EX + "h1"), ox.NamedNode(EX + "part"), b),
                         ox.Triple(b, ox.NamedNode(EX + "name"), ox.Literal("inner"))])
    subs = [q.subject for q in remote.quads(g) if q.predicate == ox.NamedNode(EX + "name")]
    with_iri = remote.about([subs[0], ox.NamedNode(EX + "h1")])
    assert ox.Literal("inner") in [t.object for t in with_iri]  # works with two terms
    about = remote.about(subs)
    assert [t.object for t in about] == [ox.Literal("inner")]


def test_updates_and_replaced_graphs_keep_the_default_graph_a_set(remote):
    """Through the remote store itself: a triple two graphs hold stays in the default graph while either
    holds it, leaves it with the last one (a PUT or an update), and is counted once meanwhile."""
    t = ox.Triple(ox.NamedNode(EX + "shared"), ox.NamedNode(EX + "p"), ox.Literal("both"))
    g1, g2 = ox.NamedNode(EX + "g-set-1"), ox.NamedNode(EX + "g-set-2")

    def held() -> int:
        rows = rows_of(remote, "SELECT (COUNT(*) AS ?n) WHERE { <http://example.org/shared> ?p ?o }")
        return int(rows[0]["n"].value)

    remote.put_graph(g1, [t])
    remote.put_graph(g2, [t])
    assert held() == 1
    remote.put_graph(g1, [])  # replaced by nothing: g2 still holds it
    assert held() == 1
    remote.update(f"DROP SILENT GRAPH {g2}")
    assert held() == 0
    remote.update(f"INSERT DATA {{ GRAPH {g1} {{ {t} }} GRAPH {g2} {{ {t} }} }}")
    assert held() == 1


def test_update_with_using(remote):
    g = ox.NamedNode(EX + "g-using")
    remote.put_graph(g, [ox.Triple(ox.NamedNode(EX + "u"), ox.NamedNode(EX + "p"), ox.Literal("1"))])
    remote.update("INSERT { GRAPH <http://example.org/g-using2> { ?s <http://example.org/q> ?o } } "
                  "USING <http://example.org/g-using> WHERE { ?s <http://example.org/p> ?o }")
    assert [q.object for q in remote.quads(ox.NamedNode(EX + "g-using2"))] == [ox.Literal("1")]


def test_syntax_error_is_syntax_error(remote):
    with pytest.raises(SyntaxError):
        remote.query("SELECT ?s WHERE { ?s ?p }")

