"""Linked Data over HTTP: every IRI the service mints dereferences, in every format, for people and code.

One real `newsgraph serve` reads a store holding the seeds and two fixture sheets of our own: one
that names a single entity in 250 facts (to see descriptions capped and paged), one whose labels,
title and quotes are hostile HTML (to see every page escape them). Every RDF answer is parsed with
rdflib; JSON-LD is expanded against the context the service itself publishes.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import BASE, SEEDS, Cli
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from server import Server, fetch

from newsgraph.service.web.describe import LINKS_PER_PROPERTY, OWN_VALUES_PER_PROPERTY, PAGE_SIZE

NF = Namespace("https://w3id.org/newsgraph/ns#")
OA = Namespace("http://www.w3.org/ns/oa#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
PROV = Namespace("http://www.w3.org/ns/prov#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
SCHEMA = Namespace("http://schema.org/")
ORG = Namespace("http://www.w3.org/ns/org#")
VOID = Namespace("http://rdfs.org/ns/void#")
ROOT = Path(__file__).resolve().parent.parent

ARTICLE = "askanews-2023-11-22-csto"
RUSSIA = URIRef(f"{BASE}id/country/russia")
ARTICLE_IRI = URIRef(f"{BASE}id/article/{ARTICLE}")
TRANSFER = URIRef(f"{BASE}id/article/{ARTICLE}/s300-to-tajikistan")
FORMATS = {  # suffix -> (media type, rdflib parser)
    "ttl": ("text/turtle", "turtle"),
    "jsonld": ("application/ld+json", "json-ld"),
    "nt": ("application/n-triples", "nt"),
    "rdf": ("application/rdf+xml", "xml"),
}
HOSTILE = "<script>alert('x')</script>"
# rdflib's JSON-LD parser goes through its own deprecated ConjunctiveGraph
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
SPEECHES = 250
GUESTS = 40  # the talker meets them all: 40 nf:metWith links out of one entity


def fixture_sheets(folder: Path) -> None:
    """A talkative person (250 statements) and an article whose every string is hostile HTML."""
    lines = ["article:", "  id: talk-2024", "  title: Talks", "  publisher: askanews", "  published: 2024-05-01",
             "  language: en", "entities:", "  - {id: talker, type: person, labels: {en: Talker}}"]
    lines += [f"  - {{id: guest-{i:02d}, type: person, labels: {{en: Guest {i}}}}}" for i in range(GUESTS)]
    lines += ["facts:", "  - type: meeting", "    start: 2024-03-01", "    quote: everyone came",
              "    participants: [talker, " + ", ".join(f"guest-{i:02d}" for i in range(GUESTS)) + "]"]
    for i in range(SPEECHES):
        lines += ["  - type: statement", f"    id: s{i:03d}", "    speaker: talker",
                  f"    date: 2024-04-{i % 28 + 1:02d}", f"    text: remark {i}", f"    quote: Talker said remark {i}"]
    (folder / "talk.yaml").write_text("\n".join(lines) + "\n")
    (folder / "hostile.txt").write_text(f"Before. The {HOSTILE} met <b>bold</b> & co. After.\n")
    (folder / "hostile.yaml").write_text(f"""article:
  id: hostile-2024
  title: "Title {HOSTILE}"
  publisher: askanews
  published: 2024-06-01
  language: en
  text: hostile.txt
entities:
  - id: evil
    type: organization
    labels: {{en: "Evil {HOSTILE}", it: "<img src=x onerror=alert(1)>"}}
    aliases: ["\\"><svg onload=alert(2)>"]
facts:
  - type: meeting
    id: evil-meeting
    participants: [evil, russia]
    start: 2024-05-30
    topic: "<iframe src=javascript:alert(3)>"
    quote: "The {HOSTILE} met <b>bold</b> & co."
""")


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    folder = tmp_path_factory.mktemp("linked")
    fixture_sheets(folder)
    cli = Cli(folder / "store")
    result = cli("load", str(SEEDS), str(folder / "talk.yaml"), str(folder / "hostile.yaml"))
    assert result.exit_code == 0, result.output
    with Server(folder / "store") as server:
        server.cli = cli
        yield server


get = fetch  # (status, headers, body), errors included

def path_of(iri: str) -> str:
    assert iri.startswith(BASE)
    return "/" + iri[len(BASE):]


@pytest.fixture(scope="module")
def context(srv) -> dict:
    status, headers, body = get(srv.url + "/context.jsonld")
    assert status == 200 and headers["Content-Type"].startswith("application/ld+json")
    return json.loads(body)


def parse(body: bytes, suffix: str, context: dict) -> Graph:
    if suffix == "jsonld":  # the context is inline: the published one, less any prefix the document switches off
        doc = json.loads(body)
        assert isinstance(doc["@context"], dict), doc["@context"]
        assert doc["@context"].items() <= context["@context"].items()
    return Graph().parse(data=body, format=FORMATS[suffix][1])


# ---- every minted IRI answers -----------------------------------------------------------------------------


def minted(srv) -> set[str]:
    """Every IRI under {base} that the store holds, without fragments (they are parts of a document)."""
    rows = srv.cli.select(f"""SELECT DISTINCT ?x WHERE {{
        {{ ?x ?p ?o }} UNION {{ ?s ?p ?x }} UNION {{ GRAPH ?x {{ ?a ?b ?c }} }}
        FILTER(isIRI(?x) && STRSTARTS(STR(?x), "{BASE}")) }}""")
    return {r["x"].split("#", 1)[0] for r in rows}


def test_every_minted_iri_dereferences_as_turtle(srv, context):
    iris = minted(srv)
    kinds = {path_of(i).split("/")[1:3][0] for i in iris}
    assert {"id", "graph"} <= kinds
    for iri in sorted(iris):
        status, _headers, body = get(srv.url + path_of(iri), {"Accept": "text/turtle"})
        assert status == 200, f"{iri}: {status} {body[:200]!r}"
        g = parse(body, "ttl", context)
        assert len(g) > 0, iri
        if "/graph/" not in iri:
            assert (URIRef(iri), None, None) in g or (None, None, URIRef(iri)) in g, iri


@pytest.mark.parametrize("iri", [RUSSIA, ARTICLE_IRI, TRANSFER, URIRef(f"{BASE}graph/article/{ARTICLE}")])
@pytest.mark.parametrize("suffix", FORMATS)
def test_each_format_by_suffix_and_by_accept_gives_the_same_graph(srv, context, iri, suffix):
    media, _ = FORMATS[suffix]
    path = path_of(iri)
    s1, h1, by_suffix = get(f"{srv.url}{path}.{suffix}")
    s2, h2, by_accept = get(f"{srv.url}{path}", {"Accept": media})
    assert s1 == s2 == 200
    assert h1["Content-Type"].split(";")[0] == h2["Content-Type"].split(";")[0] == media
    assert "Content-Location" not in h1 and h2["Content-Location"] == f"{path}.{suffix}"
    assert "Accept" in h2["Vary"]
    g1, g2 = parse(by_suffix, suffix, context), parse(by_accept, suffix, context)
    assert isomorphic(g1, g2)
    turtle = parse(get(f"{srv.url}{path}.ttl")[2], "ttl", context)
    assert isomorphic(g1, turtle), f"{suffix} and Turtle differ"


def test_link_headers_name_every_alternate(srv):
    status, headers, _ = get(srv.url + "/id/country/russia", {"Accept": "text/html"})
    assert status == 200
    links = headers["Link"]
    for suffix, (media, _) in {**FORMATS, "html": ("text/html", None)}.items():
        assert f'</id/country/russia.{suffix}>; rel="alternate"; type="{media}"' in links


def test_accept_q_values_choose(srv):
    path = srv.url + "/id/country/russia"
    _status, headers, _ = get(path, {"Accept": "text/turtle;q=0.5, application/ld+json;q=0.9, text/html;q=0.1"})
    assert headers["Content-Type"].startswith("application/ld+json")
    _, headers, _ = get(path, {"Accept": "application/rdf+xml, text/turtle;q=0"})
    assert headers["Content-Type"].startswith("application/rdf+xml")
    _, headers, _ = get(path, {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert headers["Content-Type"].startswith("text/html")  # what a browser sends
    _, headers, _ = get(path + "?format=nt")
    assert headers["Content-Type"].startswith("application/n-triples")


def test_nothing_acceptable_is_406_naming_the_formats(srv):
    status, headers, body = get(srv.url + "/id/country/russia", {"Accept": "image/png"})
    assert status == 406
    assert b"text/turtle" in body and "Link" in headers


# ---- validators, HEAD, OPTIONS ----------------------------------------------------------------------------


def test_strong_etag_and_304(srv):
    url = srv.url + "/id/country/russia"
    _, headers, _body = get(url, {"Accept": "text/turtle"})
    etag = headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag), "a strong validator"
    status, headers304, body304 = get(url, {"Accept": "text/turtle", "If-None-Match": etag})
    assert status == 304 and body304 == b"" and headers304["ETag"] == etag
    assert get(url, {"Accept": "text/turtle", "If-None-Match": f'"other", W/{etag}'})[0] == 304
    assert get(url, {"Accept": "text/turtle", "If-None-Match": '"other"'})[0] == 200
    _, other, _ = get(url, {"Accept": "application/ld+json"})
    assert other["ETag"] != etag, "each representation has its own validator"
    assert get(url, {"Accept": "application/ld+json", "If-None-Match": etag})[0] == 200


def test_head_gives_the_headers_without_the_body(srv):
    url = srv.url + "/id/country/russia"
    _, full, body = get(url, {"Accept": "text/turtle"})
    status, headers, empty = get(url, {"Accept": "text/turtle"}, method="HEAD")
    assert status == 200 and empty == b""
    assert headers["ETag"] == full["ETag"] and int(headers["Content-Length"]) == len(body)
    assert headers["Content-Type"] == full["Content-Type"]


def test_options_lists_the_methods(srv):
    status, headers, _ = get(srv.url + "/id/country/russia", method="OPTIONS")
    assert status == 200
    assert {"GET", "HEAD", "OPTIONS"} <= {m.strip() for m in headers["Allow"].split(",")}
    assert headers["Access-Control-Allow-Origin"] == "*"


# ---- unknown and hostile paths ----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", FORMATS)
def test_unknown_iri_is_404_in_the_format_asked(srv, context, suffix):
    status, headers, body = get(f"{srv.url}/id/country/atlantis", {"Accept": FORMATS[suffix][0]})
    assert status == 404
    assert headers["Content-Type"].startswith(FORMATS[suffix][0])
    assert len(parse(body, suffix, context)) == 0


def test_unknown_iri_page_suggests_the_same_id_under_its_type(srv):
    status, headers, body = get(srv.url + "/id/country/csto", {"Accept": "text/html"})
    assert status == 404 and headers["Content-Type"].startswith("text/html")
    assert b'href="/id/organization/csto"' in body


@pytest.mark.parametrize("path", [
    "/id/country/a%20b", "/id/country/%3Cscript%3E", "/id/country/x%3E%20%7B%20%3Fs", "/id/country/russia'",
    "/id/country/russia%22%3E", "/id/../../etc/passwd", "/id/country/%00", "/id/country/russia.exe",
    "/id/country/" + "a" * 3000, "/graph/article/%7B", "/id/article/x/y/z/w",
])
def test_odd_paths_are_404_never_500(srv, path):
    status, _, body = get(srv.url + path, {"Accept": "text/turtle"})
    assert status == 404, (path, status, body[:300])


def test_overlong_path_is_414(srv):
    assert get(srv.url + "/id/country/" + "a" * 9000)[0] == 414  # MAX_TARGET, 8 KiB


def test_bad_paging_parameters_are_400(srv):
    assert get(srv.url + "/id/person/talker?property=nf:speaker&offset=-1")[0] == 400
    assert get(srv.url + "/id/person/talker?property=nf:speaker&offset=ten")[0] == 400
    assert get(srv.url + "/id/person/talker?property=not%20an%20iri")[0] == 400


# ---- what a description holds -----------------------------------------------------------------------------


def turtle(srv, context, path: str) -> Graph:
    status, _, body = get(srv.url + path, {"Accept": "text/turtle"})
    assert status == 200, body
    return parse(body, "ttl", context)


def test_entity_description(srv, context):
    g = turtle(srv, context, "/id/country/russia")
    assert (RUSSIA, RDFS.label, Literal("Россия", lang="ru")) in g
    assert (RUSSIA, RDFS.label, Literal("Russia", lang="en")) in g
    assert (RUSSIA, SKOS.altLabel, Literal("Russian Federation")) in g
    assert (RUSSIA, OWL.sameAs, URIRef("http://www.wikidata.org/entity/Q159")) in g
    assert (RUSSIA, ORG.memberOf, URIRef(f"{BASE}id/organization/csto")) in g
    # the facts it takes part in, with role, counterpart, date, source and quote
    assert (TRANSFER, NF.supplier, RUSSIA) in g
    assert (TRANSFER, NF.recipient, URIRef(f"{BASE}id/country/tajikistan")) in g
    assert (TRANSFER, PROV.wasDerivedFrom, ARTICLE_IRI) in g
    assert any(True for _ in g.objects(TRANSFER, NF.quote))
    assert any(True for _ in g.objects(TRANSFER, NF.latest))
    # labels and types of what it links to
    assert (URIRef(f"{BASE}id/country/tajikistan"), RDFS.label, Literal("Tajikistan", lang="en")) in g
    assert (ARTICLE_IRI, SCHEMA.headline, None) in g
    assert (NF.ArmsTransfer, RDFS.label, None) in g
    # every fact naming Russia in the store is there
    expected = {r["f"] for r in srv.cli.select(
        f"SELECT DISTINCT ?f WHERE {{ ?f a <{NF.Fact}> ; ?role <{RUSSIA}> }}")}
    assert expected and expected == {str(f) for f in g.subjects(RDF.type, NF.Fact)}


def test_fact_description_holds_its_evidence(srv, context):
    g = turtle(srv, context, path_of(TRANSFER))
    ann = URIRef(TRANSFER + "#evidence")
    target = URIRef(TRANSFER + "#target")
    assert (ann, OA.hasBody, TRANSFER) in g and (ann, OA.hasTarget, target) in g
    assert (target, OA.hasSource, ARTICLE_IRI) in g
    quote = g.value(URIRef(TRANSFER + "#quote"), OA.exact)
    assert "S-300" in str(quote)
    start = int(g.value(URIRef(TRANSFER + "#position"), OA.start))
    end = int(g.value(URIRef(TRANSFER + "#position"), OA.end))
    text = (SEEDS / "articles" / f"{ARTICLE}.txt").read_text()
    assert text[start:end] == str(quote)


def test_article_description_holds_its_facts(srv, context):
    g = turtle(srv, context, path_of(ARTICLE_IRI))
    assert (ARTICLE_IRI, RDF.type, SCHEMA.NewsArticle) in g
    assert (ARTICLE_IRI, SCHEMA.datePublished, None) in g
    facts = set(g.subjects(PROV.wasDerivedFrom, ARTICLE_IRI))
    assert len(facts) == 30


def test_heavily_linked_entity_is_capped_and_paged(srv, context):
    talker = URIRef(f"{BASE}id/person/talker")
    seen: list = []
    path = "/id/person/talker.ttl"
    pages = 0
    while path:
        pages += 1
        status, _headers, body = get(srv.url + path)
        assert status == 200
        g = parse(body, "ttl", context)
        page = set(g.subjects(NF.speaker, talker))
        first, size = LINKS_PER_PROPERTY, PAGE_SIZE  # a first glance, then pages
        assert len(page) == (first if pages == 1 else size if pages < 4 else SPEECHES - first - 2 * size)
        seen += page
        nxt = [str(o) for o in g.objects(talker, RDFS.seeAlso) if "nf%3Aspeaker" in str(o)]
        path = path_of(nxt[0]).replace("/id/person/talker?", "/id/person/talker.ttl?") if nxt else None
        assert pages < 10
    assert pages == 4
    assert len(seen) == len(set(seen)) == SPEECHES
    # the HTML page says how many more there are and links to the next page
    _, _, html = get(srv.url + "/id/person/talker", {"Accept": "text/html"})
    assert b'rel="next"' in html and f"{SPEECHES - LINKS_PER_PROPERTY} more".encode() in html


def test_crowded_outgoing_property_is_capped_and_paged(srv, context):
    talker = URIRef(f"{BASE}id/person/talker")
    g = turtle(srv, context, "/id/person/talker")
    first = set(g.objects(talker, NF.metWith))
    assert len(first) == OWN_VALUES_PER_PROPERTY
    nxt = [path_of(str(o)) for o in g.objects(talker, RDFS.seeAlso) if "direction=out" in str(o)]
    assert len(nxt) == 1 and "property=nf%3AmetWith" in nxt[0]
    rest = set(turtle(srv, context, nxt[0]).objects(talker, NF.metWith))
    assert len(rest) == GUESTS - OWN_VALUES_PER_PROPERTY and not rest & first
    # labels of the linked people come along
    assert all(g.value(guest, RDFS.label) is not None for guest in first)


# ---- HTML pages -------------------------------------------------------------------------------------------


class Page(HTMLParser):
    """The parts of a page the tests look at: links, marks, headings, the svg, the html lang."""

    def __init__(self, body: bytes):
        super().__init__()
        self.links: list[str] = []
        self.marks: list[str] = []
        self.h1 = ""
        self.lang = None
        self.svg = 0
        self.circles = 0
        self._in: list[str] = []
        self.feed(body.decode())

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "svg":
            self.svg += 1
        if tag in ("circle", "rect"):
            self.circles += 1
        if tag == "mark":
            self.marks.append("")
        self._in.append(tag)

    def handle_endtag(self, tag):
        while self._in and self._in.pop() != tag:
            pass

    def handle_data(self, data):
        if "mark" in self._in:
            self.marks[-1] += data
        if "h1" in self._in:
            self.h1 += data


def html(srv, path: str, headers: dict | None = None) -> tuple[Page, bytes, dict]:
    status, h, body = get(srv.url + path, {"Accept": "text/html", **(headers or {})})
    assert status == 200, body[:300]
    return Page(body), body, h


def test_entity_page(srv):
    page, body, headers = html(srv, "/id/country/russia")
    assert page.h1.strip() == "Russia" and page.lang == "en"
    assert "https://www.wikidata.org/wiki/Q159" in page.links
    assert b"Russian Federation" in body  # aliases
    for heading in (b"Memberships", b"Arms transfers", b"Meetings"):
        assert heading in body
    assert path_of(TRANSFER) in page.links and path_of(ARTICLE_IRI) in page.links
    assert "/id/country/tajikistan" in page.links  # a counterpart
    assert page.svg == 2 and page.circles >= 5  # the timeline and who it deals with
    assert "Accept-Language" in headers["Vary"]


def test_entity_page_language(srv):
    page, _, _ = html(srv, "/id/country/russia?lang=ru")
    assert page.h1.strip() == "Россия" and page.lang == "ru"
    page, _, _ = html(srv, "/id/country/tajikistan", {"Accept-Language": "it-IT,it;q=0.9,en;q=0.5"})
    assert page.h1.strip() == "Tagikistan" and page.lang == "it"
    page, _, _ = html(srv, "/id/country/tajikistan", {"Accept-Language": "fr"})
    assert page.h1.strip() == "Tajikistan"  # no French label: English


def test_article_page_highlights_each_evidence(srv):
    page, _body, _ = html(srv, path_of(ARTICLE_IRI))
    quotes = {r["q"] for r in srv.cli.select(
        f"SELECT DISTINCT ?q WHERE {{ ?f <{PROV.wasDerivedFrom}> <{ARTICLE_IRI}> ; <{NF.quote}> ?q }}")}
    marked = " ".join(page.marks)
    for q in quotes:  # every quote lies in the marked passages (quotes that overlap share marks)
        assert all(word in marked for word in q.split()[:3]), q
    assert len(page.marks) >= 20
    assert path_of(TRANSFER) in page.links


def test_fact_page(srv):
    page, _body, _ = html(srv, path_of(TRANSFER))
    assert "Russia" in page.h1 and "Tajikistan" in page.h1 and "S-300" in page.h1
    assert "/id/country/russia" in page.links and "/id/weapon-system/s-300" in page.links
    assert path_of(ARTICLE_IRI) in page.links
    assert len(page.marks) == 1 and "S-300" in page.marks[0]  # evidence in its context


@pytest.mark.parametrize("path", ["/id/organization/evil", "/id/article/hostile-2024",
                                  "/id/article/hostile-2024/evil-meeting", "/id/country/russia",
                                  "/id/organization/evil?lang=it", "/graph/article/hostile-2024"])
def test_pages_escape_user_data(srv, path):
    _, body, _ = html(srv, path)
    text = body.decode()
    for raw in ("<script>alert", "<img src=x", "<svg onload", "<iframe", "<b>bold</b>"):
        assert raw not in text, f"{raw} unescaped in {path}"
    assert "<script" not in text.lower()


def test_escaped_data_still_reads_right(srv):
    page, _body, _ = html(srv, "/id/organization/evil")
    assert page.h1.strip() == f"Evil {HOSTILE}"  # the browser shows the text as written
    page, _, _ = html(srv, "/id/article/hostile-2024")
    assert page.marks == [f"The {HOSTILE} met <b>bold</b> & co."]


# ---- ontology, context, VoID ------------------------------------------------------------------------------


def test_ontology_turtle_is_the_file_and_other_formats_agree(srv, context):
    status, _headers, body = get(srv.url + "/ontology", {"Accept": "text/turtle"})
    assert status == 200 and body == (ROOT / "ontology" / "newsgraph.ttl").read_bytes()
    reference = Graph().parse(data=body, format="turtle")
    for suffix in ("jsonld", "nt", "rdf"):
        status, _, other = get(f"{srv.url}/ontology.{suffix}")
        assert status == 200 and isomorphic(parse(other, suffix, context), reference), suffix


def test_ontology_page_documents_every_term(srv):
    g = Graph().parse(ROOT / "ontology" / "newsgraph.ttl")
    terms = {str(s).split("#")[1] for s in g.subjects(RDF.type, None) if str(s).startswith(str(NF))}
    assert len(terms) > 40
    page, body, _ = html(srv, "/ontology")
    ids = set(re.findall(rb'id="([A-Za-z]+)"', body))
    missing = terms - {i.decode() for i in ids}
    assert not missing, missing
    assert "/ontology#Meeting" in page.links
    fact, _, _ = html(srv, path_of(TRANSFER) + ".html")  # pages link the terms they show to their place
    assert "/ontology#supplier" in fact.links


def test_shapes_are_served(srv):
    status, _headers, body = get(srv.url + "/ontology/shapes.ttl")
    assert status == 200 and body == (ROOT / "ontology" / "shapes.ttl").read_bytes()


def test_jsonld_expands_against_the_published_context(srv, context):
    assert context["@context"]["nf"] == str(NF)
    _status, _, body = get(srv.url + "/id/country/russia.jsonld")
    doc = json.loads(body)
    assert "@graph" in doc and any(n.get("@id") == str(RUSSIA) for n in doc["@graph"])
    node = next(n for n in doc["@graph"] if n["@id"] == str(RUSSIA))
    assert "rdfs:label" in node and node["owl:sameAs"] == {"@id": "wd:Q159"}  # compacted
    assert isomorphic(parse(body, "jsonld", context), turtle(srv, context, "/id/country/russia"))


JSONLD_DOCUMENTS = ["/id/country/russia", "/id/article/askanews-2023-11-22-csto",
                    "/id/article/askanews-2023-11-22-csto/s300-to-tajikistan",
                    "/graph/article/askanews-2023-11-22-csto", "/ontology", "/id/country/no-such-country"]
#: run with no network: proves it has none, then parses each file and prints its triple counts
OFFLINE_PARSE = """
import json, socket, sys
from rdflib import Graph
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
    sys.exit("the network is reachable")
except OSError:
    pass
print(json.dumps({f: len(Graph().parse(f, format="json-ld")) for f in sys.argv[2:]}))
"""


def test_every_jsonld_answer_parses_with_networking_refused(srv, tmp_path):
    """Offline, behind a proxy, or reading a service whose base IRI is not where it runs, a client cannot fetch a
    context by URL: every JSON-LD answer carries its context inline, and rdflib reads it in a process that has no
    network at all (a network namespace of its own, no interface up)."""
    import subprocess
    import sys

    expected = {}
    for i, path in enumerate(JSONLD_DOCUMENTS):
        status, headers, body = get(srv.url + path, {"Accept": "application/ld+json"})
        if status == 404:
            assert headers["Content-Type"].startswith("application/ld+json"), headers
        else:
            assert status == 200, (path, status)
        (tmp_path / f"{i}.jsonld").write_bytes(body)
        expected[i] = len(turtle(srv, {}, path)) if status == 200 else 0
    files = [str(tmp_path / f"{i}.jsonld") for i in expected]
    run = subprocess.run(["unshare", "--net", sys.executable, "-c", OFFLINE_PARSE, str(srv.port), *files],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    sizes = json.loads(run.stdout)
    assert [sizes[f] for f in files] == list(expected.values())


def test_void_description(srv, context):
    status, _headers, body = get(srv.url + "/.well-known/void", {"Accept": "text/turtle"})
    assert status == 200
    g = parse(body, "ttl", context)
    dataset = g.value(predicate=RDF.type, object=VOID.Dataset)
    _, _, health = get(srv.url + "/health")
    assert int(g.value(dataset, VOID.triples)) == json.loads(health)["triples"]
    assert g.value(dataset, VOID.sparqlEndpoint) == URIRef(BASE + "sparql")
    counts = {g.value(p, VOID["class"]): int(g.value(p, VOID.entities))
              for p in g.objects(dataset, VOID.classPartition)}
    countries = srv.cli.select(f"SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ ?c a <{NF.Country}> }}")[0]["n"]
    assert counts[NF.Country] == int(countries)
    assert URIRef(str(NF)) in set(g.objects(dataset, VOID.vocabulary))
    page, _, _ = html(srv, "/.well-known/void")
    assert page.h1


def test_new_data_changes_the_page_and_its_etag(tmp_path):
    cli = Cli(tmp_path / "store")
    assert cli("load", str(SEEDS)).exit_code == 0
    sheet = tmp_path / "extra.yaml"
    sheet.write_text("""article: {id: extra-2024, title: Extra, publisher: askanews, published: 2024-01-05,
          language: en}
facts:
  - {type: statement, speaker: russia, date: 2024-01-04, text: something new, quote: something new}
""")
    with Server(tmp_path / "store") as srv:
        url = srv.url + "/id/country/russia"
        _, before, body = get(url, {"Accept": "text/turtle"})
        assert b"something new" not in body
        assert cli("load", str(sheet)).exit_code == 0
        status, after, body = get(url, {"Accept": "text/turtle", "If-None-Match": before["ETag"]})
        assert status == 200 and after["ETag"] != before["ETag"] and b"something new" in body
