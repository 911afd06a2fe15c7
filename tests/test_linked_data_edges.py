"""Linked Data at its edges (/id, /graph, JSON-LD, negotiation, pages): the odd shapes RDF data takes.

One real `newsgraph serve` reads a store holding the seeds, two fact sheets of our own (evidence with
emoji, overlapping quotes and quotes at both ends of the text; a fact dated in the year 9999; a
text with a form feed) and a Turtle file with the odd shapes RDF data takes: IRIs whose scheme is a
prefix name, a blank node pointing at a resource, a hash IRI, a percent-encoded IRI, a label that
is an IRI, a fact named by a URN, a predicate IRI ending in a slash and a publisher of 125 articles
one of which carries two publication dates. Each test began as a proof of a bug the review found.
"""

from __future__ import annotations

import http.client
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import BASE, SEEDS, Cli
from rdflib import RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from server import Server, fetch

NF = Namespace("https://w3id.org/newsgraph/ns#")
ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("http://schema.org/")
EX = Namespace("http://example.org/")
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

SEED_ARTICLE = "/id/article/askanews-2023-11-22-csto"
# no trailing newline: the last quote ends the text
TEXT = "Alpha beta gamma delta. 🎉🎉🎉 Epsilon zeta eta theta iota. 😀 Kappa lambda mu."
QUOTES = {  # fact id -> quote; starts, ends, overlaps, after emoji
    "q-start": "Alpha beta gamma",
    "q-overlap": "gamma delta. 🎉🎉🎉 Epsilon",
    "q-emoji": "zeta eta theta",
    "q-overlap2": "eta theta iota.",
    "q-end": "Kappa lambda mu.",
}
PUBLISHED = 125  # articles of one publisher (one of them with two publication dates)


def fixture_files(folder: Path) -> list[Path]:
    (folder / "review.txt").write_text(TEXT)
    lines = ["article:", "  id: review-2024", "  title: Review", "  publisher: askanews",
             "  published: 2024-02-01", "  language: en", "  text: review.txt", "entities:",
             "  - {id: doubler, type: person, labels: {en: Doubler}}",
             "  - {id: seer, type: person, labels: {en: Seer}}", "facts:"]
    for i, (fid, quote) in enumerate(QUOTES.items()):
        lines += ["  - type: statement", f"    id: {fid}", "    speaker: doubler", f"    date: 2024-01-0{i + 1}",
                  f"    text: remark {i}", f"    quote: {json.dumps(quote, ensure_ascii=False)}"]
    # the same person as host and as participant of one meeting: one fact, two roles
    lines += ["  - type: meeting", "    id: host-meeting", "    host: doubler", "    participants: [doubler, russia]",
              "    start: 2024-01-20", '    quote: "beta gamma delta."']
    lines += ["  - type: statement", "    id: far-future", "    speaker: seer", "    date: 9999",
              "    text: much later", '    quote: "lambda mu."']
    (folder / "review.yaml").write_text("\n".join(lines) + "\n")

    (folder / "ff.txt").write_text("Page one ends here.\fPage two starts here.\n")
    (folder / "ff.yaml").write_text("""article: {id: ff-2024, title: Form feed, publisher: askanews,
          published: 2024-03-01, language: en, text: ff.txt}
facts:
  - {type: statement, id: two, speaker: seer, date: 2024-02-02, text: two, quote: Page two starts here.}
""")

    b = BASE
    ttl = [
        "@prefix nf: <https://w3id.org/newsgraph/ns#> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
        "@prefix ex: <http://example.org/> .",
        "@prefix org: <http://www.w3.org/ns/org#> .",
        "@prefix prov: <http://www.w3.org/ns/prov#> .",
        "@prefix schema: <http://schema.org/> .",
        # IRIs whose scheme is one of the context's prefix names
        f"<{b}id/thing/schemey> rdfs:label \"Schemey\"@en ; rdfs:seeAlso <wd:Q1> ; ex:also <nf:foo> .",
        # literals and nodes of every kind that compact well
        f"<{b}id/thing/typed> a ex:C , _:cls ; rdfs:label \"Typed\"@en-GB , \"typé\"@fr , \"plain\" ;",
        "  ex:int 42 ; ex:dec 1.50 ; ex:dbl 1.0e3 ; ex:bool true ;",
        "  ex:dt \"2024-01-01T10:00:00+02:00\"^^xsd:dateTime ; ex:custom \"x\"^^<http://example.org/dt#t> ;",
        "  <http://schema.org//weird> <http://schema.org//other> ; ex:urn <urn:isbn:123> ;",
        "  ex:node [ rdfs:label \"blank one\" ; ex:deeper [ rdfs:label \"blank two\" ; ex:loop _:cls ] ] .",
        "_:cls rdfs:label \"blank class\" .",
        # a qualified membership as a blank node pointing at the entity
        f"<{b}id/place/moor> a nf:Place ; rdfs:label \"Moor\"@en .",
        f"[] a org:Membership ; org:member <{b}id/place/moor> ; org:organization <{b}id/organization/csto> .",
        # a fact named by a URN, from a source named by a URN
        f"<urn:uuid:f1> a nf:Fact , nf:Statement ; nf:speaker <{b}id/place/moor> ; nf:text \"hello\" ;",
        "  nf:earliest \"2024-01-01\"^^xsd:date ; nf:latest \"2024-01-01\"^^xsd:date ; nf:quote \"hello there\" ;",
        "  prov:wasDerivedFrom <urn:uuid:a1> .",
        # hash and percent-encoded IRIs, linked from a plain resource
        f"<{b}id/thing/hash#it> rdfs:label \"Hash thing\"@en .",
        f"<{b}id/place/caf%C3%A9> a nf:Place ; rdfs:label \"Café\"@fr .",
        f"<{b}id/thing/linker> rdfs:label \"Linker\"@en ; ex:near <{b}id/place/caf%C3%A9> ;",
        f"  ex:see <{b}id/thing/hash#it> ;",
        f"  ex:under <{b}/evil.example/x> .",  # an IRI under the base whose path starts with '//'
        f"<{b}/evil.example/x> rdfs:label \"Under the base\"@en .",
        # labels in a regional English and in German only
        f"<{b}id/place/regional> a nf:Place ; rdfs:label \"Friedenskorps\"@de , \"Peace Corps\"@en-US .",
        # an IRI as a label
        f"<{b}id/thing/iri-label> rdfs:label <http://example.org/label> .",
        # a predicate IRI with no local name
        f"<{b}id/thing/rx> rdfs:label \"Rx\"@en ; <http://example.org/rel/> \"v\" .",
        # a resource that only appears as an object
        f"<{b}id/thing/objonly-src> ex:points <{b}id/thing/objonly> .",
        f"<{b}id/organization/bigpub> a nf:Organization ; rdfs:label \"Big publisher\"@en .",
    ]
    for i in range(PUBLISHED):
        dates = [f'"{2000 + i // 10}-01-{i % 10 + 10:02d}"^^xsd:date']
        if i == 0:  # a correction: published first in 2099, and again in the middle of the list
            dates = ['"2099-12-31"^^xsd:date', '"2006-01-15"^^xsd:date']
        ttl.append(f"<{b}id/article/bp-{i:03d}> a schema:NewsArticle ; schema:headline \"BP {i}\" ; "
                   f"schema:publisher <{b}id/organization/bigpub> ; schema:datePublished {' , '.join(dates)} .")
    (folder / "odd.ttl").write_text("\n".join(ttl) + "\n")
    return [folder / "review.yaml", folder / "ff.yaml", folder / "odd.ttl"]


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    folder = tmp_path_factory.mktemp("review")
    files = fixture_files(folder)
    cli = Cli(folder / "store")
    result = cli("load", str(SEEDS), *map(str, files))
    assert result.exit_code == 0, result.output
    with Server(folder / "store") as server:
        server.cli = cli
        yield server


get = fetch  # (status, headers, body), errors included

@pytest.fixture(scope="module")
def context(srv) -> dict:
    status, _, body = get(srv.url + "/context.jsonld")
    assert status == 200
    return json.loads(body)


def ttl(srv, path: str) -> Graph:
    status, _, body = get(srv.url + path, {"Accept": "text/turtle"})
    assert status == 200, (path, status, body[:300])
    return Graph().parse(data=body, format="turtle")


def jsonld(srv, context: dict, path: str) -> Graph:
    status, _, body = get(srv.url + path, {"Accept": "application/ld+json"})
    assert status == 200, (path, status, body[:300])
    doc = json.loads(body)
    # the published context inline, less the prefixes this document switches off
    assert isinstance(doc["@context"], dict) and doc["@context"].items() <= context["@context"].items()
    return Graph().parse(data=body, format="json-ld")


def html(srv, path: str, headers: dict | None = None) -> bytes:
    status, _, body = get(srv.url + path, {"Accept": "text/html", **(headers or {})})
    assert status == 200, (path, status, body[:300])
    return body


class Text(HTMLParser):
    """The article's text as the page shows it, with which characters are marked."""

    def __init__(self, body: bytes):
        super().__init__()
        self.text, self.marked, self.ids, self.anchors, self.links = "", [], set(), [], []
        self._depth = 0  # inside <div class="text">
        self._mark = 0
        self.feed(body.decode())

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
            if a["href"].startswith("#"):
                self.anchors.append(a["href"][1:])
        if self._depth:
            self._depth += 1
            if tag == "mark":
                self._mark = self._depth
        elif tag == "div" and a.get("class") == "text":
            self._depth = 1

    def handle_endtag(self, tag):
        if self._depth:
            if self._mark == self._depth:
                self._mark = 0
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.text += data
            self.marked += [bool(self._mark)] * len(data)


# ---- the article page: evidence highlighting ---------------------------------------------------------------


def test_evidence_marks_exactly_the_quotes_with_emoji_overlaps_and_both_ends(srv):
    page = Text(html(srv, "/id/article/review-2024"))
    assert page.text == TEXT
    expected = [False] * len(TEXT)
    for quote in QUOTES.values():
        start = TEXT.index(quote)  # code points, as Python counts them
        expected[start:start + len(quote)] = [True] * len(quote)
    start = TEXT.index("beta gamma delta.")
    expected[start:start + len("beta gamma delta.")] = [True] * len("beta gamma delta.")
    assert page.marked == expected


def test_fact_page_marks_its_quote_after_emoji(srv):
    body = html(srv, "/id/article/review-2024/q-emoji")
    marks = re.findall(r"<mark>(.*?)</mark>", body.decode(), re.S)
    assert marks == [QUOTES["q-emoji"]]


def test_every_in_page_link_of_the_article_page_has_its_target(srv):
    page = Text(html(srv, SEED_ARTICLE))
    assert page.anchors
    missing = sorted({a for a in page.anchors if a not in page.ids})
    assert not missing, missing


# ---- entity pages -----------------------------------------------------------------------------------------


def test_entity_page_counts_each_fact_once(srv):
    rows = srv.cli.select(f"""SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE {{
        ?f a <{NF.Fact}> ; ?role <{BASE}id/person/doubler> }}""")
    assert rows[0]["n"] == "6"
    body = html(srv, "/id/person/doubler").decode()
    assert re.search(r"<dt>Facts</dt><dd>(\d+)</dd>", body).group(1) == "6"


def test_entity_with_a_far_future_fact_still_has_a_page(srv):
    status, _, body = get(srv.url + "/id/person/seer", {"Accept": "text/html"})
    assert status == 200, body[:200]


def test_resource_whose_label_is_an_iri_has_a_page(srv):
    status, _, body = get(srv.url + "/id/thing/iri-label", {"Accept": "text/html"})
    assert status == 200, body[:200]


def test_no_link_goes_to_none(srv):
    body = html(srv, "/id/place/moor").decode()
    assert "hello" in body  # the fact is listed
    assert 'href="None"' not in body


def test_regional_english_label_is_chosen_for_an_english_reader(srv):
    for headers in ({}, {"Accept-Language": "en"}, {"Accept-Language": "en-GB,en;q=0.8"}):
        body = html(srv, "/id/place/regional", headers).decode()
        assert "<h1>Peace Corps</h1>" in body, headers


# ---- links on pages lead somewhere -------------------------------------------------------------------------


def _links(body: bytes) -> list[str]:
    return Text(body).links


def test_link_to_a_percent_encoded_iri_dereferences(srv):
    links = _links(html(srv, "/id/thing/linker"))
    assert "/id/place/caf%C3%A9" in links
    g = ttl(srv, "/id/place/caf%C3%A9")
    assert (URIRef(BASE + "id/place/caf%C3%A9"), RDFS.label, Literal("Café", lang="fr")) in g


def test_link_to_a_hash_iri_dereferences(srv):
    links = _links(html(srv, "/id/thing/linker"))
    assert "/id/thing/hash#it" in links
    g = ttl(srv, "/id/thing/hash")  # what a browser or client asks for: the fragment stays on the client
    assert (URIRef(BASE + "id/thing/hash#it"), RDFS.label, Literal("Hash thing", lang="en")) in g


def test_links_to_iris_under_the_base_stay_on_the_site(srv):
    links = _links(html(srv, "/id/thing/linker"))
    assert any("evil.example/x" in link for link in links)
    assert not [link for link in links if link.startswith("//")]


def test_resource_that_only_appears_as_an_object(srv):
    g = ttl(srv, "/id/thing/objonly")
    assert (URIRef(BASE + "id/thing/objonly-src"), EX.points, URIRef(BASE + "id/thing/objonly")) in g
    assert "/id/thing/objonly-src" in _links(html(srv, "/id/thing/objonly"))


# ---- descriptions -----------------------------------------------------------------------------------------


def test_incoming_blank_node_comes_with_its_triples(srv):
    moor = URIRef(BASE + "id/place/moor")
    g = ttl(srv, "/id/place/moor")
    memberships = [s for s in g.subjects(ORG.member, moor) if isinstance(s, BNode)]
    assert memberships
    assert g.value(memberships[0], ORG.organization) == URIRef(BASE + "id/organization/csto")


def test_outgoing_blank_nodes_come_with_their_closure(srv):
    typed = URIRef(BASE + "id/thing/typed")
    g = ttl(srv, "/id/thing/typed")
    one = g.value(typed, EX.node)
    two = g.value(one, EX.deeper)
    assert g.value(one, RDFS.label) == Literal("blank one") and g.value(two, RDFS.label) == Literal("blank two")
    assert g.value(g.value(two, EX.loop), RDFS.label) == Literal("blank class")


def test_following_next_pages_gives_every_incoming_link_once(srv):
    pub = URIRef(BASE + "id/organization/bigpub")
    seen: list = []
    path = "/id/organization/bigpub.ttl"
    pages = 0
    while path and pages < 10:
        pages += 1
        status, _, body = get(srv.url + path)
        assert status == 200
        g = Graph().parse(data=body, format="turtle")
        seen += list(g.subjects(SCHEMA.publisher, pub))
        nxt = [str(o) for o in g.objects(pub, RDFS.seeAlso) if "publisher" in str(o)]
        path = ("/" + nxt[0][len(BASE):]).replace("/bigpub?", "/bigpub.ttl?") if nxt else None
    assert len(set(seen)) == PUBLISHED, f"{PUBLISHED - len(set(seen))} links never shown"
    assert len(seen) == len(set(seen)), "links shown twice"


def test_graph_page_holds_the_whole_file_with_its_blank_nodes(srv):
    g = ttl(srv, "/graph/file/odd")
    moor = URIRef(BASE + "id/place/moor")
    membership = next(s for s in g.subjects(ORG.member, moor) if isinstance(s, BNode))
    assert g.value(membership, ORG.organization) == URIRef(BASE + "id/organization/csto")
    assert len(set(g.subjects(SCHEMA.publisher, URIRef(BASE + "id/organization/bigpub")))) == PUBLISHED
    body = html(srv, "/graph/file/odd").decode()
    assert re.search(r"<dt>Triples</dt><dd>(\d+)</dd>", body).group(1) == str(len(g))


# ---- JSON-LD: the compacted answer expands to the Turtle answer ---------------------------------------------


def test_jsonld_keeps_literals_blank_nodes_and_foreign_iris(srv, context):
    assert isomorphic(jsonld(srv, context, "/id/thing/typed"), ttl(srv, "/id/thing/typed"))


def test_jsonld_keeps_iris_that_look_like_compact_iris(srv, context):
    node = URIRef(BASE + "id/thing/schemey")
    g = jsonld(srv, context, "/id/thing/schemey")
    assert (node, RDFS.seeAlso, URIRef("wd:Q1")) in g
    assert (node, EX.also, URIRef("nf:foo")) in g
    assert isomorphic(g, ttl(srv, "/id/thing/schemey"))


# ---- RDF/XML ----------------------------------------------------------------------------------------------


def test_rdfxml_refuses_what_xml_cannot_carry_and_names_the_formats_that_can(srv):
    """XML 1.0 has no way to write a form feed, not even as a character reference: RDF/XML of this
    article cannot exist. The answer is 406 naming the formats that can carry it, never a 200 that no
    parser reads; Turtle still gives the whole text."""
    status, _headers, body = get(srv.url + "/id/article/ff-2024.rdf")
    assert status == 406 and b"Turtle" in body
    assert "\x0c" in str(ttl(srv, "/id/article/ff-2024").value(URIRef(BASE + "id/article/ff-2024"),
                                                                 URIRef("http://schema.org/articleBody")))


def test_rdfxml_refuses_a_property_it_cannot_name(srv):
    """RDF/XML writes a property as an element name; <http://example.org/rel/> has no local name to use."""
    status, _, body = get(srv.url + "/id/thing/rx.rdf")
    assert status == 406 and b"http://example.org/rel/" in body
    g = ttl(srv, "/id/thing/rx")
    assert (URIRef(BASE + "id/thing/rx"), URIRef("http://example.org/rel/"), Literal("v")) in g


# ---- HTTP -------------------------------------------------------------------------------------------------


def test_404_turtle_body_holds_no_triples_from_the_path(srv):
    path = "/id/country/x%0D%3Chttp://e.org/s%3E%20%3Chttp://e.org/p%3E%20%22pwned%22%20.%23"
    status, headers, body = get(srv.url + path, {"Accept": "text/turtle"})
    assert status == 404 and headers["Content-Type"].startswith("text/turtle")
    assert len(Graph().parse(data=body, format="turtle")) == 0


def test_404_for_a_path_with_a_newline_is_in_the_format_asked(srv):
    status, headers, _ = get(srv.url + "/id/country/a%0Ab", {"Accept": "text/turtle"})
    assert status == 404
    assert headers["Content-Type"].startswith("text/turtle"), headers["Content-Type"]


def test_link_header_targets_stay_on_the_resource(srv):
    host = urlsplit(srv.url)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    conn.request("GET", '/id/country/russia?x=a>,<http://evil.example/>;rel="preload"',
                 headers={"Accept": "text/turtle"})
    r = conn.getresponse()
    r.read()
    link = r.getheader("Link")
    conn.close()
    assert r.status == 200
    targets = re.findall(r"<([^>]*)>", link)
    assert len(targets) == 5 and all(t.startswith("/id/country/russia.") for t in targets), targets
    assert all(">" not in t and '"' not in t for t in targets)  # the value is carried, percent-encoded


def test_negotiation_q_values_wildcards_and_format(srv):
    url = srv.url + "/id/country/russia"
    cases = [
        ({"Accept": "text/*;q=0.3, application/ld+json;q=0.2"}, "text/html"),
        ({"Accept": "text/html;q=0, */*"}, "text/turtle"),
        ({"Accept": "application/json"}, "application/ld+json"),
        ({"Accept": "text/plain"}, "application/n-triples"),
        ({"Accept": "application/xml;q=0.9, text/turtle;q=0.8"}, "application/rdf+xml"),
        ({"Accept": "TEXT/TURTLE"}, "text/turtle"),
    ]
    for headers, media in cases:
        status, h, _ = get(url, headers)
        assert status == 200 and h["Content-Type"].split(";")[0] == media, (headers, h["Content-Type"])
    status, h, _ = get(url + "?format=jsonld", {"Accept": "text/turtle"})
    assert h["Content-Type"].startswith("application/ld+json") and h["Content-Location"] == \
        "/id/country/russia.jsonld?format=jsonld"
    assert get(url + "?format=csv")[0] == 406  # no Accept to fall back on


def test_validators_head_and_404(srv):
    url = srv.url + "/id/thing/typed"
    status, h, body = get(url, {"Accept": "application/n-triples"})
    assert status == 200
    assert get(url, {"Accept": "application/n-triples", "If-None-Match": "*"})[0] == 304
    status, hh, empty = get(url, {"Accept": "application/n-triples"}, method="HEAD")
    assert status == 200 and empty == b"" and hh["ETag"] == h["ETag"]
    status, h, _ = get(srv.url + "/id/thing/typed.nt")
    assert status == 200 and "Vary" not in h and "Content-Location" not in h
    status, h, body = get(srv.url + "/id/thing/nothing-here", {"Accept": "application/ld+json"})
    assert status == 404 and h["Content-Type"].startswith("application/ld+json") and json.loads(body)["@graph"] == []
    assert get(srv.url + "/id/thing/nothing-here", {"Accept": "text/turtle"}, method="HEAD")[0] == 404


def test_query_parameters_are_not_reflected_into_pages(srv):
    hostile = "%22%3E%3Cscript%3Ealert(1)%3C/script%3E"
    for query in (f"?lang={hostile}", f"?x={hostile}"):
        body = html(srv, "/id/place/moor" + query).decode()
        assert "<script" not in body.lower()
    status, h, body = get(srv.url + f"/id/place/moor?property={hostile}", {"Accept": "text/html"})
    assert status == 400 and h["Content-Type"].startswith("text/plain")
