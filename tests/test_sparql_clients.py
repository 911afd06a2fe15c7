"""Real SPARQL clients against a real `newsgraph serve` loaded with the seeds: SPARQLWrapper and rdflib.

Every answer is checked against what the seeds hold, read through the command line from the same
store: the seed article reports six members of the CSTO (``org:memberOf`` shortcuts in its graph)
and one S-300 transfer from Russia to Tajikistan of quantity 2.

Updates go to a second server with its own seeded store, each into its own graph, so that the
read tests' exact counts hold whatever the order.
"""

from __future__ import annotations

import csv
import io
import warnings
from urllib.error import HTTPError
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import BASE, Cli
from helpers import loaded
from rdflib import ConjunctiveGraph, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.plugins.stores import sparqlconnector
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore
from server import Server
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, Unauthorized

pytestmark = [pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:Dataset.default_context is deprecated:DeprecationWarning")]

TOKEN = "clients-test-token"
NF = Namespace("https://w3id.org/newsgraph/ns#")
ORG = Namespace("http://www.w3.org/ns/org#")
CSTO = URIRef(f"{BASE}id/organization/csto")
ARTICLE_GRAPH = URIRef(f"{BASE}graph/article/askanews-2023-11-22-csto")
S300 = URIRef(f"{BASE}id/weapon-system/s-300")
RUSSIA = URIRef(f"{BASE}id/country/russia")
TAJIKISTAN = URIRef(f"{BASE}id/country/tajikistan")
TRANSFER = URIRef(f"{BASE}id/article/askanews-2023-11-22-csto/s300-to-tajikistan")

MEMBERS_QUERY = f"""PREFIX org: <http://www.w3.org/ns/org#>
SELECT ?member WHERE {{ GRAPH <{ARTICLE_GRAPH}> {{ ?member org:memberOf <{CSTO}> }} }} ORDER BY ?member"""
TRANSFER_CONSTRUCT = f"""PREFIX nf: <https://w3id.org/newsgraph/ns#>
CONSTRUCT {{ ?t nf:quantity ?q ; nf:supplier ?s ; nf:recipient ?r ; nf:item <{S300}> }}
WHERE {{ ?t a nf:ArmsTransfer ; nf:item <{S300}> ; nf:quantity ?q ; nf:supplier ?s ; nf:recipient ?r }}"""


# ---- the seeded store and its servers ----------------------------------------------------------------


def seeded_cli(folder) -> Cli:
    return loaded(folder / "store")


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> Cli:
    return seeded_cli(tmp_path_factory.mktemp("clients"))


@pytest.fixture(scope="module")
def srv(seeds):
    """The read server: queries only."""
    with Server(seeds.store, token=TOKEN, timeout=10) as server:
        yield server


@pytest.fixture(scope="module")
def writable(tmp_path_factory):
    """The server the update tests write to (its own seeded store)."""
    cli = seeded_cli(tmp_path_factory.mktemp("writable"))
    with Server(cli.store, token=TOKEN, timeout=10) as server:
        server.cli = cli
        yield server


@pytest.fixture(scope="module")
def expected(seeds) -> dict:
    """What the seeds hold, read through `newsgraph query` (the same dataset view as /sparql)."""
    members = [r["member"] for r in seeds.select(MEMBERS_QUERY)]
    union_members = {r["m"] for r in seeds.select(f"SELECT DISTINCT ?m WHERE {{ ?m org:memberOf <{CSTO}> }}")}
    triples = int(seeds.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"])
    graphs = {r["g"] for r in seeds.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")}
    assert len(members) == 6  # the seed article's six CSTO members
    assert len(union_members) > len(members)  # the treaty record names more
    return {"members": members, "union_members": union_members, "triples": triples, "graphs": graphs}


def wrapper(endpoint: str, query: str, fmt: str, method: str | None = None) -> SPARQLWrapper:
    sparql = SPARQLWrapper(endpoint)
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    if method:
        sparql.setMethod(method)
    return sparql


def check_transfer(graph: Graph) -> None:
    """The S-300 transfer as the article reports it: Russia to Tajikistan, quantity 2."""
    transfers = list(graph.subjects(NF.item, S300))
    assert transfers == [TRANSFER], transfers
    quantity = graph.value(TRANSFER, NF.quantity)
    assert isinstance(quantity, Literal) and quantity.toPython() == 2, quantity
    assert graph.value(TRANSFER, NF.supplier) == RUSSIA
    assert graph.value(TRANSFER, NF.recipient) == TAJIKISTAN


# ---- SPARQLWrapper -----------------------------------------------------------------------------------


def _members_json(result) -> list[str]:
    assert result["head"]["vars"] == ["member"]
    assert all(b["member"]["type"] == "uri" for b in result["results"]["bindings"])
    return [b["member"]["value"] for b in result["results"]["bindings"]]


def _members_xml(doc) -> list[str]:
    variables = [v.getAttribute("name") for v in doc.getElementsByTagName("variable")]
    assert variables == ["member"]
    return [b.getElementsByTagName("uri")[0].firstChild.data for b in doc.getElementsByTagName("binding")]


def _members_csv(data: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert rows[0] == ["member"]
    return [r[0] for r in rows[1:]]


def _members_tsv(data: bytes) -> list[str]:
    lines = data.decode("utf-8").splitlines()
    assert lines[0] == "?member"
    assert all(line.startswith("<") and line.endswith(">") for line in lines[1:])
    return [line[1:-1] for line in lines[1:]]


@pytest.mark.parametrize(("fmt", "media_type", "members"), [
    (JSON, "application/sparql-results+json", _members_json),
    (XML, "application/sparql-results+xml", _members_xml),
    (CSV, "text/csv", _members_csv),
    (TSV, "text/tab-separated-values", _members_tsv),
])
def test_sparqlwrapper_select(srv, expected, fmt, media_type, members):
    result = wrapper(srv.endpoint, MEMBERS_QUERY, fmt).query()
    assert result.response.headers["Content-Type"].split(";")[0] == media_type
    assert members(result.convert()) == expected["members"]


def test_sparqlwrapper_select_by_post(srv, expected):
    result = wrapper(srv.endpoint, MEMBERS_QUERY, JSON, POST).query().convert()
    assert _members_json(result) == expected["members"]


def test_sparqlwrapper_select_typed_value(srv):
    query = f"""PREFIX nf: <https://w3id.org/newsgraph/ns#>
        SELECT ?q WHERE {{ ?t nf:item <{S300}> ; nf:supplier <{RUSSIA}> ; nf:recipient <{TAJIKISTAN}> ;
                              nf:quantity ?q }}"""
    bindings = wrapper(srv.endpoint, query, JSON).query().convert()["results"]["bindings"]
    assert len(bindings) == 1
    q = bindings[0]["q"]
    assert q["type"] == "literal" and q["value"] == "2"
    assert q["datatype"] == "http://www.w3.org/2001/XMLSchema#integer"


def test_sparqlwrapper_construct_as_turtle(srv):
    result = wrapper(srv.endpoint, TRANSFER_CONSTRUCT, TURTLE).query()
    assert result.response.headers["Content-Type"].split(";")[0] == "text/turtle"
    data = result.convert()
    assert isinstance(data, bytes)
    check_transfer(Graph().parse(data=data, format="turtle"))


def test_sparqlwrapper_construct_as_rdfxml(srv):
    for fmt in (XML, RDFXML):  # XML is SPARQLWrapper's default, and means RDF/XML for a graph
        result = wrapper(srv.endpoint, TRANSFER_CONSTRUCT, fmt).query()
        assert result.response.headers["Content-Type"].split(";")[0] == "application/rdf+xml"
        graph = result.convert()  # SPARQLWrapper parses RDF/XML with rdflib itself
        check_transfer(graph)


def test_sparqlwrapper_construct_as_jsonld(srv):
    """SPARQLWrapper sends format=json-ld&format=application/ld+json,application/x-json+ld (and the
    same as output= and results=): a comma-separated list of media types as the last value."""
    result = wrapper(srv.endpoint, TRANSFER_CONSTRUCT, JSONLD).query()
    assert result.response.headers["Content-Type"].split(";")[0] == "application/ld+json"
    check_transfer(result.convert())


def test_sparqlwrapper_construct_as_n3(srv):
    """format=n3, with an Accept that lists text/turtle: Turtle is N3, and what the client takes."""
    result = wrapper(srv.endpoint, TRANSFER_CONSTRUCT, N3).query()
    assert result.response.headers["Content-Type"].split(";")[0] in ("text/turtle", "text/n3")
    data = result.convert()
    check_transfer(Graph().parse(data=data, format="turtle"))


@pytest.mark.parametrize("fmt", [JSON, XML])
def test_sparqlwrapper_ask(srv, fmt):
    def ask(member: str) -> bool:
        query = f"""PREFIX org: <http://www.w3.org/ns/org#>
            ASK {{ GRAPH <{ARTICLE_GRAPH}> {{ <{BASE}id/country/{member}> org:memberOf <{CSTO}> }} }}"""
        result = wrapper(srv.endpoint, query, fmt).query().convert()
        if fmt == JSON:
            return result["boolean"]
        text = result.getElementsByTagName("boolean")[0].firstChild.data
        assert text in ("true", "false")
        return text == "true"

    assert ask("tajikistan") is True
    assert ask("georgia") is False  # in the treaty record, not among the article's members


def test_sparqlwrapper_syntax_error_is_query_bad_formed(srv):
    with pytest.raises(QueryBadFormed) as e:
        wrapper(srv.endpoint, "SELECT ?x WHERE { ?x", JSON).query()
    assert "invalid query" in str(e.value)


def test_sparqlwrapper_update_with_bearer_token(writable):
    graph = "urn:x-test:sparqlwrapper"
    sparql = SPARQLWrapper(writable.endpoint)
    sparql.setMethod(POST)
    sparql.addCustomHttpHeader("Authorization", f"Bearer {TOKEN}")
    sparql.setQuery(f'INSERT DATA {{ GRAPH <{graph}> {{ <{TAJIKISTAN}> <urn:x-test:note> "Душанбе" }} }}')
    result = sparql.query()
    assert result.response.status == 204
    read = wrapper(writable.endpoint, f"SELECT ?s ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", JSON)
    bindings = read.query().convert()["results"]["bindings"]
    assert [(b["s"]["value"], b["o"]["value"]) for b in bindings] == [(str(TAJIKISTAN), "Душанбе")]


@pytest.mark.parametrize("authorization", [None, "Bearer not-the-token"])
def test_sparqlwrapper_update_without_the_token_is_unauthorized(writable, authorization):
    sparql = SPARQLWrapper(writable.endpoint)
    sparql.setMethod(POST)
    if authorization:
        sparql.addCustomHttpHeader("Authorization", authorization)
    sparql.setQuery(f"DELETE WHERE {{ GRAPH <{ARTICLE_GRAPH}> {{ ?s ?p ?o }} }}")
    with pytest.raises(Unauthorized):
        sparql.query()
    still = writable.cli.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{ARTICLE_GRAPH}> {{ ?s ?p ?o }} }}")
    assert int(still[0]["n"]) > 0


# ---- rdflib SPARQLStore ------------------------------------------------------------------------------


@pytest.fixture
def sent(monkeypatch) -> list[dict]:
    """Every HTTP request rdflib's SPARQL stores make: method, URL parameters, headers."""
    requests: list[dict] = []
    real = sparqlconnector.urlopen

    def recording(request, *args, **kwargs):
        url = urlsplit(request.full_url)
        requests.append({"method": request.get_method(), "params": parse_qs(url.query),
                         "headers": {k.lower(): v for k, v in request.header_items()}, "data": request.data})
        return real(request, *args, **kwargs)

    monkeypatch.setattr(sparqlconnector, "urlopen", recording)
    return requests


def _members(result) -> list[str]:
    return sorted(str(row[0]) for row in result)


def test_sparqlstore_graph_query(srv, expected, sent):
    graph = Graph(store=SPARQLStore(srv.endpoint))
    assert _members(graph.query(MEMBERS_QUERY)) == expected["members"]
    assert len(sent) == 1
    request = sent[0]
    assert request["method"] == "GET"
    assert "application/sparql-results+xml" in request["headers"]["accept"]
    assert "default-graph-uri" not in request["params"]  # a Graph's BNode name is not sent


def test_sparqlstore_conjunctive_graph(srv, expected, sent):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        graph = ConjunctiveGraph(store=SPARQLStore(srv.endpoint))
    assert _members(graph.query(MEMBERS_QUERY)) == expected["members"]
    members = {str(s) for s, _, _ in graph.triples((None, ORG.memberOf, CSTO))}
    assert members == expected["union_members"]
    assert len(graph) == expected["triples"]
    assert {str(g) for g in graph.store.contexts()} == expected["graphs"]
    assert all("default-graph-uri" not in r["params"] for r in sent), sent


def test_sparqlstore_construct_and_ask(srv, sent):
    graph = Graph(store=SPARQLStore(srv.endpoint))
    result = graph.query(TRANSFER_CONSTRUCT)
    assert result.type == "CONSTRUCT"
    check_transfer(result.graph)
    assert graph.query(f"ASK {{ <{TRANSFER}> ?p 2 }}").askAnswer is True
    assert graph.query(f"ASK {{ <{TRANSFER}> ?p 3 }}").askAnswer is False
    assert "application/rdf+xml" in sent[0]["headers"]["accept"]


def test_sparqlstore_triples_of_one_subject(srv):
    graph = Graph(store=SPARQLStore(srv.endpoint))
    quantities = list(graph.objects(TRANSFER, NF.quantity))
    assert [q.toPython() for q in quantities] == [2]
    assert (TRANSFER, NF.supplier, RUSSIA) in graph
    assert (TRANSFER, NF.supplier, TAJIKISTAN) not in graph


def test_sparqlstore_dataset_query(srv, expected, sent):
    """rdflib's Dataset sends its name for the default graph, urn:x-rdflib:default, with every query:
    that must mean the service's default graph (the union), not an empty graph of that name."""
    dataset = Dataset(store=SPARQLStore(srv.endpoint))
    assert _members(dataset.query(MEMBERS_QUERY)) == expected["members"]
    assert sent[0]["params"].get("default-graph-uri") == [str(DATASET_DEFAULT_GRAPH_ID)]
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert int(next(iter(dataset.query(count)))[0]) == expected["triples"]


def test_sparqlstore_named_graph(srv, expected, sent):
    """A named graph over SPARQLStore reads through default-graph-uri=G: only that graph's triples."""
    graph = Graph(store=SPARQLStore(srv.endpoint), identifier=ARTICLE_GRAPH)
    members = sorted(str(s) for s in graph.subjects(ORG.memberOf, CSTO))
    assert sent[0]["params"].get("default-graph-uri") == [str(ARTICLE_GRAPH)]
    assert members == expected["members"]  # 6, where the union (with the treaty record) has more


# ---- rdflib SPARQLUpdateStore ------------------------------------------------------------------------


def update_store(server: Server, token: str | None) -> SPARQLUpdateStore:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return SPARQLUpdateStore(query_endpoint=server.endpoint, update_endpoint=server.endpoint, headers=headers)


def conjunctive(store) -> ConjunctiveGraph:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return ConjunctiveGraph(store=store)


def test_update_store_inserts_into_a_named_graph(writable, sent):
    name = URIRef("urn:x-test:update-store")
    graph = conjunctive(update_store(writable, TOKEN))
    note = Literal("due “divisioni” di S-300", lang="it")
    graph.get_context(name).add((TRANSFER, URIRef("urn:x-test:store-note"), note))
    update = sent[-1]
    assert update["method"] == "POST"
    assert update["headers"]["content-type"].startswith("application/sparql-update")
    assert update["headers"]["authorization"] == f"Bearer {TOKEN}"
    assert f"GRAPH <{name}>".encode() in update["data"]

    rows = list(graph.query(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}"))
    assert [tuple(row) for row in rows] == [(TRANSFER, URIRef("urn:x-test:store-note"), note)]
    # the command line sees it too, in that graph and nowhere else
    assert writable.cli.select("SELECT ?g WHERE { GRAPH ?g { ?s <urn:x-test:store-note> ?o } }") == [{"g": str(name)}]
    # and the seeds are untouched
    members = writable.cli.select(f"SELECT ?m WHERE {{ GRAPH <{ARTICLE_GRAPH}> {{ ?m org:memberOf ?o }} }}")
    assert len(members) == 6


def test_update_store_update_method(writable):
    store = update_store(writable, TOKEN)
    name = "urn:x-test:update-method"
    store.update(f"INSERT DATA {{ GRAPH <{name}> {{ <{S300}> <urn:x-test:seen> 2 }} }}")
    answer = conjunctive(store).query(f"ASK {{ GRAPH <{name}> {{ <{S300}> <urn:x-test:seen> 2 }} }}")
    assert answer.askAnswer is True


@pytest.mark.parametrize("token", [None, "not-the-token"])
def test_update_store_without_the_token_gets_401(writable, token):
    name = URIRef("urn:x-test:refused")
    graph = conjunctive(update_store(writable, token))
    with pytest.raises(HTTPError) as e:
        graph.get_context(name).add((TRANSFER, URIRef("urn:x-test:note"), Literal("nope")))
    assert e.value.code == 401
    assert "Bearer" in (e.value.headers.get("WWW-Authenticate") or "")
    ask = f"ASK {{ GRAPH <{name}> {{ ?s ?p ?o }} }}"
    assert Graph(store=SPARQLStore(writable.endpoint)).query(ask).askAnswer is False


def test_update_store_reads_a_named_graph_back_through_its_context(writable):
    name = URIRef("urn:x-test:context-read")
    context = conjunctive(update_store(writable, TOKEN)).get_context(name)
    context.add((S300, URIRef("urn:x-test:quantity"), Literal(2)))
    assert list(context.objects(S300, URIRef("urn:x-test:quantity"))) == [Literal(2)]
    assert len(context) == 1

