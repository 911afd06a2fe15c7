"""Linked Data over HTTP: every IRI the service mints dereferences, in every format, for people and code.

One real `newsgraph serve` reads a store holding the seeds and fixture sheets of our own:
- a person named in 250 facts and meeting 40 others (to see descriptions capped and paged);
- an article whose labels, title and quotes are hostile HTML (to see every page escape them).
Another reads the seeds, more sheets and a Turtle file, for what is odd rather than minted:
- an article whose evidence has emoji, overlapping quotes and quotes at both ends of the text, with a
  fact dated in the year 9999, and one whose text has a form feed (which XML cannot carry);
- the odd shapes RDF data takes: IRIs whose scheme is a prefix name, a blank node pointing at a
  resource, a hash IRI, a percent-encoded IRI, an IRI under the base whose path starts with `//`, a
  label that is an IRI, a fact named by a URN, a predicate IRI ending in a slash, and a publisher of
  125 articles one of which carries two publication dates.
Every RDF answer is parsed with rdflib; JSON-LD is expanded against the context the service itself
publishes. Descriptions are also built in-process (``describe``) to check the order of their groups.
"""

from __future__ import annotations

import http.client
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
from conftest import BASE, ROOT, SEEDS, Cli
from helpers import app_client, loaded
from rdflib import RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from server import Server
from server import fetch as get  # (status, headers, body), errors included

from newsgraph.loaders.vocab import NF as OX_NF
from newsgraph.loaders.vocab import RDFS as OX_RDFS
from newsgraph.loaders.vocab import SCHEMA as OX_SCHEMA
from newsgraph.service.store.embedded import Store, open_store
from newsgraph.service.web.describe import LINKS_PER_PROPERTY, OWN_VALUES_PER_PROPERTY, PAGE_SIZE, describe

NF = Namespace("https://w3id.org/newsgraph/ns#")
OA = Namespace("http://www.w3.org/ns/oa#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
PROV = Namespace("http://www.w3.org/ns/prov#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
SCHEMA = Namespace("http://schema.org/")
ORG = Namespace("http://www.w3.org/ns/org#")
VOID = Namespace("http://rdfs.org/ns/void#")
EX = Namespace("http://example.org/")
XSD = "http://www.w3.org/2001/XMLSchema#"

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


def odd_files(folder: Path) -> list[Path]:
    """Emoji and overlapping evidence, a far-future fact, a form feed, and the odd shapes of RDF data."""
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
    """The seeds, the talker and the hostile article."""
    folder = tmp_path_factory.mktemp("linked")
    fixture_sheets(folder)
    cli = loaded(folder / "store", SEEDS, folder / "talk.yaml", folder / "hostile.yaml")
    with Server(folder / "store") as server:
        server.cli = cli
        yield server


@pytest.fixture(scope="module")
def odd_srv(tmp_path_factory):
    """The seeds, the emoji and form-feed articles and the odd shapes of RDF data (apart from the data of
    `srv`: IRIs such as ``<{BASE}/evil.example/x>`` are under the base but minted by no one)."""
    folder = tmp_path_factory.mktemp("odd")
    cli = loaded(folder / "store", SEEDS, *odd_files(folder))
    with Server(folder / "store") as server:
        server.cli = cli
        yield server


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


def test_link_header_targets_stay_on_the_resource(odd_srv):
    host = urlsplit(odd_srv.url)
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


def test_negotiation_q_values_wildcards_and_format(odd_srv):
    url = odd_srv.url + "/id/country/russia"
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


def test_validators_head_and_404(odd_srv):
    url = odd_srv.url + "/id/thing/typed"
    status, h, body = get(url, {"Accept": "application/n-triples"})
    assert status == 200
    assert get(url, {"Accept": "application/n-triples", "If-None-Match": "*"})[0] == 304
    status, hh, empty = get(url, {"Accept": "application/n-triples"}, method="HEAD")
    assert status == 200 and empty == b"" and hh["ETag"] == h["ETag"]
    status, h, _ = get(odd_srv.url + "/id/thing/typed.nt")
    assert status == 200 and "Vary" not in h and "Content-Location" not in h
    status, h, body = get(odd_srv.url + "/id/thing/nothing-here", {"Accept": "application/ld+json"})
    assert status == 404 and h["Content-Type"].startswith("application/ld+json") and json.loads(body)["@graph"] == []
    assert get(odd_srv.url + "/id/thing/nothing-here", {"Accept": "text/turtle"}, method="HEAD")[0] == 404


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


def test_404_turtle_body_holds_no_triples_from_the_path(odd_srv):
    path = "/id/country/x%0D%3Chttp://e.org/s%3E%20%3Chttp://e.org/p%3E%20%22pwned%22%20.%23"
    status, headers, body = get(odd_srv.url + path, {"Accept": "text/turtle"})
    assert status == 404 and headers["Content-Type"].startswith("text/turtle")
    assert len(Graph().parse(data=body, format="turtle")) == 0


def test_404_for_a_path_with_a_newline_is_in_the_format_asked(odd_srv):
    status, headers, _ = get(odd_srv.url + "/id/country/a%0Ab", {"Accept": "text/turtle"})
    assert status == 404
    assert headers["Content-Type"].startswith("text/turtle"), headers["Content-Type"]


# ---- what a description holds -----------------------------------------------------------------------------


def turtle(srv, path: str) -> Graph:
    status, _, body = get(srv.url + path, {"Accept": "text/turtle"})
    assert status == 200, (path, status, body[:300])
    return parse(body, "ttl", {})


def jsonld(srv, context: dict, path: str) -> Graph:
    status, _, body = get(srv.url + path, {"Accept": "application/ld+json"})
    assert status == 200, (path, status, body[:300])
    return parse(body, "jsonld", context)


def test_entity_description(srv, context):
    g = turtle(srv, "/id/country/russia")
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
    g = turtle(srv, path_of(TRANSFER))
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
    g = turtle(srv, path_of(ARTICLE_IRI))
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
    g = turtle(srv, "/id/person/talker")
    first = set(g.objects(talker, NF.metWith))
    assert len(first) == OWN_VALUES_PER_PROPERTY
    nxt = [path_of(str(o)) for o in g.objects(talker, RDFS.seeAlso) if "direction=out" in str(o)]
    assert len(nxt) == 1 and "property=nf%3AmetWith" in nxt[0]
    rest = set(turtle(srv, nxt[0]).objects(talker, NF.metWith))
    assert len(rest) == GUESTS - OWN_VALUES_PER_PROPERTY and not rest & first
    # labels of the linked people come along
    assert all(g.value(guest, RDFS.label) is not None for guest in first)


def test_resource_that_only_appears_as_an_object(odd_srv):
    g = turtle(odd_srv, "/id/thing/objonly")
    assert (URIRef(BASE + "id/thing/objonly-src"), EX.points, URIRef(BASE + "id/thing/objonly")) in g
    assert "/id/thing/objonly-src" in html(odd_srv, "/id/thing/objonly")[0].links


def test_incoming_blank_node_comes_with_its_triples(odd_srv):
    moor = URIRef(BASE + "id/place/moor")
    g = turtle(odd_srv, "/id/place/moor")
    memberships = [s for s in g.subjects(ORG.member, moor) if isinstance(s, BNode)]
    assert memberships
    assert g.value(memberships[0], ORG.organization) == URIRef(BASE + "id/organization/csto")


def test_outgoing_blank_nodes_come_with_their_closure(odd_srv):
    typed = URIRef(BASE + "id/thing/typed")
    g = turtle(odd_srv, "/id/thing/typed")
    one = g.value(typed, EX.node)
    two = g.value(one, EX.deeper)
    assert g.value(one, RDFS.label) == Literal("blank one") and g.value(two, RDFS.label) == Literal("blank two")
    assert g.value(g.value(two, EX.loop), RDFS.label) == Literal("blank class")


def test_following_next_pages_gives_every_incoming_link_once(odd_srv):
    pub = URIRef(BASE + "id/organization/bigpub")
    seen: list = []
    path = "/id/organization/bigpub.ttl"
    pages = 0
    while path and pages < 10:
        pages += 1
        status, _, body = get(odd_srv.url + path)
        assert status == 200
        g = Graph().parse(data=body, format="turtle")
        seen += list(g.subjects(SCHEMA.publisher, pub))
        nxt = [str(o) for o in g.objects(pub, RDFS.seeAlso) if "publisher" in str(o)]
        path = ("/" + nxt[0][len(BASE):]).replace("/bigpub?", "/bigpub.ttl?") if nxt else None
    assert len(set(seen)) == PUBLISHED, f"{PUBLISHED - len(set(seen))} links never shown"
    assert len(seen) == len(set(seen)), "links shown twice"


def test_graph_page_holds_the_whole_file_with_its_blank_nodes(odd_srv):
    g = turtle(odd_srv, "/graph/file/odd")
    moor = URIRef(BASE + "id/place/moor")
    membership = next(s for s in g.subjects(ORG.member, moor) if isinstance(s, BNode))
    assert g.value(membership, ORG.organization) == URIRef(BASE + "id/organization/csto")
    assert len(set(g.subjects(SCHEMA.publisher, URIRef(BASE + "id/organization/bigpub")))) == PUBLISHED
    body = html(odd_srv, "/graph/file/odd")[1].decode()
    assert re.search(r"<dt>Triples</dt><dd>(\d+)</dd>", body).group(1) == str(len(g))


#: the order of a small dated group: newest first by the latest of a subject's dates (a fact's nf:latest, an
#: article's schema:datePublished), compared as dates and times; undated last; ties by the subject (blank
#: nodes before IRIs, IRIs by code point) — SPARQL's own ordering, written out as a query on the data
NEWEST_FIRST = """
SELECT ?r ?p ?s (MAX(COALESCE(?latest, ?published)) AS ?d) WHERE {
  ?s ?p ?r
  OPTIONAL { ?s nf:latest ?latest }
  OPTIONAL { ?s schema:datePublished ?published }
} GROUP BY ?r ?p ?s ORDER BY DESC(?d) ?s"""


def newest_first(store: Store, iri: ox.NamedNode, prop: ox.NamedNode) -> list:
    """The subjects linking to ``iri`` through ``prop``, in the order NEWEST_FIRST gives them."""
    rows = store.query(NEWEST_FIRST, substitutions={ox.Variable("r"): iri, ox.Variable("p"): prop})
    return list(dict.fromkeys(row["s"] for row in rows))


def group(d, prop: ox.NamedNode):
    return next(g for g in d.incoming if g.property == prop)


TZ_SHEET = """\
article:
  id: {id}
  title: "{title}"
  publisher: askanews
  published: {published}
  language: en
facts:
  - {{type: arms-transfer, supplier: russia, recipient: tajikistan, item: s-300, quantity: 1,
     quote: "one more battalion"}}
"""


def test_newest_first_compares_publication_times_as_times(cli, workdir):
    (workdir / "tz-new-york.yaml").write_text(TZ_SHEET.format(
        id="tz-new-york", title="Evening edition, New York", published="2023-11-22T23:00:00-05:00"))
    (workdir / "tz-utc.yaml").write_text(TZ_SHEET.format(
        id="tz-utc", title="Night edition, UTC", published="2023-11-23T01:00:00Z"))
    result = cli("load", str(workdir))
    assert result.exit_code == 0, result.output
    store = open_store(str(cli.store))
    askanews = ox.NamedNode(f"{BASE}id/organization/askanews")
    publisher = group(describe(store, askanews), OX_SCHEMA.publisher)
    assert publisher.newest_first
    new_york, utc = (ox.NamedNode(f"{BASE}id/article/{a}") for a in ("tz-new-york", "tz-utc"))
    assert publisher.subjects == newest_first(store, askanews, OX_SCHEMA.publisher)
    assert publisher.subjects.index(new_york) < publisher.subjects.index(utc), "04:00 UTC is after 01:00 UTC"


def test_newest_first_follows_the_ordering_rule_across_pages(monkeypatch):
    """The rule of NEWEST_FIRST, page after page: undated last, blank nodes before IRIs on ties, IRIs by code
    point, dates of mixed precision and type, a subject with two dates, several pages of one group."""
    def lit(v: str, dt: str) -> ox.Literal:
        return ox.Literal(v, datatype=ox.NamedNode(XSD + dt))

    r, g = ox.NamedNode("http://example.org/r"), ox.NamedNode("http://example.org/g")
    ex = "http://example.org/"
    items = [
        (ox.NamedNode(ex + "a"), [lit("2023", "gYear")]), (ox.NamedNode(ex + "b"), [lit("2023-05-01", "date")]),
        (ox.NamedNode(ex + "c"), [lit("2023-11", "gYearMonth")]), (ox.NamedNode(ex + "d"), [lit("2022-12-31", "date")]),
        (ox.NamedNode(ex + "e"), [lit("2023-11-22T10:00:00", "dateTime")]),
        (ox.NamedNode(ex + "f"), [lit("2023-11-22", "date")]),
        (ox.NamedNode(ex + "g"), [lit("2020-01-01", "date"), lit("2021-06-01", "date")]),
        (ox.NamedNode(ex + "Z"), []), (ox.NamedNode(ex + "é"), []), (ox.NamedNode(ex + "B"), []),
        (ox.BlankNode("x1"), []), (ox.BlankNode("x2"), [lit("2020-01-01", "date")]),
        (ox.NamedNode(ex + "h"), [lit("2020-01-01", "date")]),
        *[(ox.BlankNode(), [lit(f"2019-0{1 + i % 9}-01", "date")] if i % 3 else []) for i in range(40)],
    ]
    raw = ox.Store()
    for s, dates in items:
        raw.add(ox.Quad(s, OX_SCHEMA.publisher, r, g))
        for d in dates:
            raw.add(ox.Quad(s, OX_SCHEMA.datePublished, d, g))
    store = Store(raw, "memory:")
    expected = newest_first(store, r, OX_SCHEMA.publisher)
    seen = []
    for offset in range(0, len(items), 10):
        page = describe(store, r, only=OX_SCHEMA.publisher, offset=offset, limit=10).incoming[0]
        assert page.newest_first
        seen += page.subjects
    assert seen == expected
    # facts by their latest day
    raw.add(ox.Quad(ox.NamedNode(ex + "f1"), OX_NF.participant, r, g))
    raw.add(ox.Quad(ox.NamedNode(ex + "f1"), OX_NF.latest, lit("2024-01-01", "date"), g))
    raw.add(ox.Quad(ox.NamedNode(ex + "f2"), OX_NF.participant, r, g))
    assert group(describe(store, r), OX_NF.participant).subjects == newest_first(store, r, OX_NF.participant)


# ---- HTML pages -------------------------------------------------------------------------------------------


class Page(HTMLParser):
    """The parts of a page the tests look at: links (and in-page ones), element ids, marks, headings, the
    svg, the html lang, and the article's text as the page shows it with which characters are marked."""

    def __init__(self, body: bytes):
        super().__init__()
        self.links: list[str] = []
        self.anchors: list[str] = []  # targets of in-page links
        self.ids: set[str] = set()
        self.marks: list[str] = []
        self.h1 = ""
        self.lang = None
        self.svg = 0
        self.circles = 0
        self.text, self.marked = "", []  # inside <div class="text">
        self._in: list[str] = []
        self._depth = 0  # inside <div class="text">
        self._mark = 0
        self.feed(body.decode())

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "html":
            self.lang = a.get("lang")
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
        if self._depth:
            if self._mark == self._depth:
                self._mark = 0
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.text += data
            self.marked += [bool(self._mark)] * len(data)
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


def test_regional_english_label_is_chosen_for_an_english_reader(odd_srv):
    for headers in ({}, {"Accept-Language": "en"}, {"Accept-Language": "en-GB,en;q=0.8"}):
        body = html(odd_srv, "/id/place/regional", headers)[1].decode()
        assert "<h1>Peace Corps</h1>" in body, headers


def test_entity_page_shows_the_label_in_the_readers_language_with_a_dozen_languages(cli, tmp_path):
    langs = ["en", "it", "ru", "fr", "de", "es", "pt", "zh", "ar", "ja", "pl", "uk"]
    reg = tmp_path / "polyglot.yaml"
    reg.write_text("- id: polyglotia\n  type: country\n  labels: {"
                   + ", ".join(f"{lang}: Polyglotia-{lang}" for lang in langs) + "}\n")
    assert cli("load", str(reg)).exit_code == 0
    iri = ox.NamedNode(f"{BASE}id/country/polyglotia")
    d = describe(open_store(str(cli.store)), iri)
    page = app_client(cli.store).get("/id/country/polyglotia?lang=uk", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "Polyglotia-uk" in page.get_data(as_text=True)
    assert {t.object.language for t in d.triples if t.subject == iri and t.predicate == OX_RDFS.label} == set(langs)


def test_a_page_names_its_linked_entities_as_the_newest_version_does(seeded, tmp_path):
    """Pages keep the labels of what they link to per store version: a load that gives Belarus a French
    name shows it on the next Russia page, in the same running app."""
    client = app_client(seeded.store)

    def page() -> str:
        answer = client.get("/id/country/russia?lang=fr", headers={"Accept": "text/html"})
        assert answer.status_code == 200
        return answer.get_data(as_text=True)

    assert "Biélorussie" not in page() and "Belarus" in page()
    reg = tmp_path / "french.yaml"
    reg.write_text("- {id: belarus, type: country, labels: {fr: Biélorussie}}\n", encoding="utf-8")
    assert seeded("load", str(reg)).exit_code == 0
    assert "Biélorussie" in page()


def test_entity_page_counts_each_fact_once(odd_srv):
    rows = odd_srv.cli.select(f"""SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE {{
        ?f a <{NF.Fact}> ; ?role <{BASE}id/person/doubler> }}""")
    assert rows[0]["n"] == "6"
    body = html(odd_srv, "/id/person/doubler")[1].decode()
    assert re.search(r"<dt>Facts</dt><dd>(\d+)</dd>", body).group(1) == "6"


def test_entity_with_a_far_future_fact_still_has_a_page(odd_srv):
    status, _, body = get(odd_srv.url + "/id/person/seer", {"Accept": "text/html"})
    assert status == 200, body[:200]


def test_resource_whose_label_is_an_iri_has_a_page(odd_srv):
    status, _, body = get(odd_srv.url + "/id/thing/iri-label", {"Accept": "text/html"})
    assert status == 200, body[:200]


def test_no_link_goes_to_none(odd_srv):
    body = html(odd_srv, "/id/place/moor")[1].decode()
    assert "hello" in body  # the fact is listed
    assert 'href="None"' not in body


def test_article_page_highlights_each_evidence(srv):
    page, _body, _ = html(srv, path_of(ARTICLE_IRI))
    quotes = {r["q"] for r in srv.cli.select(
        f"SELECT DISTINCT ?q WHERE {{ ?f <{PROV.wasDerivedFrom}> <{ARTICLE_IRI}> ; <{NF.quote}> ?q }}")}
    marked = " ".join(page.marks)
    for q in quotes:  # every quote lies in the marked passages (quotes that overlap share marks)
        assert all(word in marked for word in q.split()[:3]), q
    assert len(page.marks) >= 20
    assert path_of(TRANSFER) in page.links


def test_reference_record_page_says_who_compiled_it_and_from_what(srv):
    page, body, _ = html(srv, "/id/article/csto-treaty-record")
    text = body.decode()
    assert "Compiled by" in text and 'href="/id/organization/newsgraph"' in text and "Publisher" not in text
    sources = [link for link in page.links if link.startswith("https://en.odkb-csto.org/")]
    assert len(sources) == 2  # the Treaty and the Charter, in the sheet's order
    assert sources[0].endswith("/dogovor_o_kollektivnoy_bezopasnosti/")


def test_evidence_marks_exactly_the_quotes_with_emoji_overlaps_and_both_ends(odd_srv):
    page = html(odd_srv, "/id/article/review-2024")[0]
    assert page.text == TEXT
    expected = [False] * len(TEXT)
    for quote in QUOTES.values():
        start = TEXT.index(quote)  # code points, as Python counts them
        expected[start:start + len(quote)] = [True] * len(quote)
    start = TEXT.index("beta gamma delta.")
    expected[start:start + len("beta gamma delta.")] = [True] * len("beta gamma delta.")
    assert page.marked == expected


def test_every_in_page_link_of_the_article_page_has_its_target(odd_srv):
    page = html(odd_srv, SEED_ARTICLE)[0]
    assert page.anchors
    missing = sorted({a for a in page.anchors if a not in page.ids})
    assert not missing, missing


def test_fact_page(srv):
    page, _body, _ = html(srv, path_of(TRANSFER))
    assert "Russia" in page.h1 and "Tajikistan" in page.h1 and "S-300" in page.h1
    assert "/id/country/russia" in page.links and "/id/weapon-system/s-300" in page.links
    assert path_of(ARTICLE_IRI) in page.links
    assert len(page.marks) == 1 and "S-300" in page.marks[0]  # evidence in its context


def test_fact_page_marks_its_quote_after_emoji(odd_srv):
    body = html(odd_srv, "/id/article/review-2024/q-emoji")[1]
    marks = re.findall(r"<mark>(.*?)</mark>", body.decode(), re.S)
    assert marks == [QUOTES["q-emoji"]]


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


def test_query_parameters_are_not_reflected_into_pages(odd_srv):
    hostile = "%22%3E%3Cscript%3Ealert(1)%3C/script%3E"
    for query in (f"?lang={hostile}", f"?x={hostile}"):
        body = html(odd_srv, "/id/place/moor" + query)[1].decode()
        assert "<script" not in body.lower()
    status, h, body = get(odd_srv.url + f"/id/place/moor?property={hostile}", {"Accept": "text/html"})
    assert status == 400 and h["Content-Type"].startswith("text/plain")


def test_link_to_a_percent_encoded_iri_dereferences(odd_srv):
    links = html(odd_srv, "/id/thing/linker")[0].links
    assert "/id/place/caf%C3%A9" in links
    g = turtle(odd_srv, "/id/place/caf%C3%A9")
    assert (URIRef(BASE + "id/place/caf%C3%A9"), RDFS.label, Literal("Café", lang="fr")) in g


def test_link_to_a_hash_iri_dereferences(odd_srv):
    links = html(odd_srv, "/id/thing/linker")[0].links
    assert "/id/thing/hash#it" in links
    g = turtle(odd_srv, "/id/thing/hash")  # what a browser or client asks for: the fragment stays on the client
    assert (URIRef(BASE + "id/thing/hash#it"), RDFS.label, Literal("Hash thing", lang="en")) in g


def test_links_to_iris_under_the_base_stay_on_the_site(odd_srv):
    links = html(odd_srv, "/id/thing/linker")[0].links
    assert any("evil.example/x" in link for link in links)
    assert not [link for link in links if link.startswith("//")]


# ---- RDF/XML: what it cannot carry ------------------------------------------------------------------------


def test_rdfxml_refuses_what_xml_cannot_carry_and_names_the_formats_that_can(odd_srv):
    """XML 1.0 has no way to write a form feed, not even as a character reference: RDF/XML of this
    article cannot exist. The answer is 406 naming the formats that can carry it, never a 200 that no
    parser reads; Turtle still gives the whole text."""
    status, _headers, body = get(odd_srv.url + "/id/article/ff-2024.rdf")
    assert status == 406 and b"Turtle" in body
    assert "\x0c" in str(turtle(odd_srv, "/id/article/ff-2024").value(URIRef(BASE + "id/article/ff-2024"),
                                                                 URIRef("http://schema.org/articleBody")))


def test_rdfxml_refuses_a_property_it_cannot_name(odd_srv):
    """RDF/XML writes a property as an element name; <http://example.org/rel/> has no local name to use."""
    status, _, body = get(odd_srv.url + "/id/thing/rx.rdf")
    assert status == 406 and b"http://example.org/rel/" in body
    g = turtle(odd_srv, "/id/thing/rx")
    assert (URIRef(BASE + "id/thing/rx"), URIRef("http://example.org/rel/"), Literal("v")) in g


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
    assert isomorphic(parse(body, "jsonld", context), turtle(srv, "/id/country/russia"))


def test_jsonld_keeps_literals_blank_nodes_and_foreign_iris(odd_srv, context):
    assert isomorphic(jsonld(odd_srv, context, "/id/thing/typed"), turtle(odd_srv, "/id/thing/typed"))


def test_jsonld_keeps_iris_that_look_like_compact_iris(odd_srv, context):
    node = URIRef(BASE + "id/thing/schemey")
    g = jsonld(odd_srv, context, "/id/thing/schemey")
    assert (node, RDFS.seeAlso, URIRef("wd:Q1")) in g
    assert (node, EX.also, URIRef("nf:foo")) in g
    assert isomorphic(g, turtle(odd_srv, "/id/thing/schemey"))


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
        expected[i] = len(turtle(srv, path)) if status == 200 else 0
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
