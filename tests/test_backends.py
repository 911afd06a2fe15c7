"""One suite, two backends: the embedded pyoxigraph store and a real Virtuoso 7, with the same data.

Every test here runs on both (``backend`` is ``embedded`` or ``virtuoso``), through the real command
line and a real ``newsgraph serve``; the ``*_alike`` tests then hold the two answers against each
other, since "same answers on both" is the point: typed literals, language tags and blank nodes come
back alike, the default graph is the dataset's own graphs only, errors and time limits read the same.
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import SEEDS
from rdflib import Graph
from rdflib.compare import isomorphic
from server import Server, fetch
from virtuoso import Virtuoso, available

from newsgraph.service.cli import main
from newsgraph.service.sparql.saved_queries import load_queries

TOKEN = "backends-token"
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
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSGRAPH_")}
    clis = {"embedded": BackendCli(str(folder / "store"), {}),
            "virtuoso": BackendCli(virtuoso.endpoint, virtuoso.env)}
    for name, cli in clis.items():
        result = cli("load", *files)
        assert result.exit_code == 0, (name, result.output)
    # Virtuoso compiles each query to SQL first: `conflicts` costs it 2–5 s on the seeds (0.05 s embedded)
    servers = {"embedded": Server(folder / "store", token=TOKEN, timeout=3),
               "virtuoso": Server(virtuoso.endpoint, token=TOKEN, timeout=12, env={**base_env, **virtuoso.env})}
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


get = fetch  # (status, headers, body), errors included

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


def test_sparql_endpoint_refuses_what_it_must(backend):
    _, srv = backend
    assert select(srv, "SELECT ?x WHERE { ?x ?y }")[0] == 400
    status, body = select(srv, "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    assert status == 400 and b"SERVICE" in body
    status, _, _ = get(srv.url + "/sparql", {"Content-Type": "application/sparql-update"},
                       b"INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/a> <http://example.org/b> 1 "
                       b"}}")
    assert status == 401


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
    from newsgraph.service.store.remote import RemoteStore

    store = RemoteStore(v.endpoint, v.update_url, "dba", "dba")
    try:
        store.update(text)
        return 200
    except Exception as e:  # the engine's refusal
        return getattr(e, "status", 500)


def test_virtuoso_put_is_all_or_nothing_and_multi_operation_updates_are_not(virtuoso):
    """Why a load replaces an article with the Graph Store Protocol's PUT and not with `DROP; INSERT`."""
    from newsgraph.service.store.remote import RemoteError, RemoteStore

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
