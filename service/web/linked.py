"""Linked Data: every IRI the service mints answers, for people (HTML) and for code (RDF).

``/id/...`` (entities, articles, facts), ``/graph/...`` (named graphs), ``/ontology`` (the
vocabulary and its shapes), ``/context.jsonld`` and ``/.well-known/void``. Each answer is chosen by
``Accept`` (or a ``format`` parameter) or named by a suffix (``.html .ttl .jsonld .nt .rdf``), carries
a strong ``ETag`` (a hash of its bytes, so ``304`` is exact) and ``Link`` headers to its other
formats, and is kept per store version in the response cache.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template, request
from werkzeug.routing import PathConverter

from newsgraph.loaders.ontology import ONTOLOGY_FILE, SHAPES_FILE
from newsgraph.loaders.vocab import DCTERMS, ENTITY_CLASSES, NF, NF_ONTOLOGY, PREFIXES, PROV, RDF, RDFS, SCHEMA, SKOS
from newsgraph.service.store.summary import figures
from newsgraph.service.web import display
from newsgraph.service.web.charts import counterparts, relations, timeline
from newsgraph.service.web.conditional import respond
from newsgraph.service.web.describe import Description, Index, LinkGroup, describe
from newsgraph.service.web.errors import HttpError, text_response
from newsgraph.service.web.jsonld import CONTEXT, compact, compact_iri
from newsgraph.service.web.negotiate import PAGE_FORMATS, SUFFIX_OF, SUFFIXES, Format, NotAcceptable, choose

bp = Blueprint("linked", __name__)


class AnyPath(PathConverter):
    """A path that may hold any character: werkzeug's own stops at a newline, which would leave such a
    request to the generic 404 instead of a 404 in the format asked for."""

    regex = r"[^/][\s\S]*?"


bp.record_once(lambda state: state.app.url_map.converters.setdefault("anypath", AnyPath))

RDF_PAGE_FORMATS = tuple(f for f in PAGE_FORMATS if f.engine is not None)
ENTITY_KINDS = {cls.value for cls in ENTITY_CLASSES.values()}


@dataclass
class Answer:
    status: int
    body: bytes


def _base() -> str:
    return current_app.config["NEWSGRAPH"].base


def _store():
    return current_app.extensions["newsgraph.store"].get()


def languages() -> list[str]:
    wanted = request.args.get("lang", "").strip().lower()
    return ([wanted] if wanted else []) + display.parse_languages(request.headers.get("Accept-Language"))


def negotiated(path: str, suffix: str | None, render: Callable[[Format], Answer],
               formats: tuple[Format, ...] = PAGE_FORMATS) -> Response:
    """Answer ``path`` in the format the client wants, with validators and links to the alternatives.

    ``path`` is the resource's own path (no suffix); ``render`` makes the bytes of one format.
    """
    # headers carry the path and the query: re-encoded, so no character of the request can end a <target>
    query = ("?" + urlencode(list(request.args.items(multi=True)))) if request.args else ""
    path = quote(path, safe="/:@!$&'()*+,;=-._~%")
    alternates = ", ".join(f'<{path}.{SUFFIX_OF[f.name]}{query}>; rel="alternate"; type="{f.media_type}"'
                           for f in formats if f.name in SUFFIX_OF)
    if suffix is not None:
        fmt = SUFFIXES.get(suffix)
        if fmt not in formats:
            return text_response(404, f"{path} has no .{suffix} form; it has " + ", ".join(
                "." + SUFFIX_OF[f.name] for f in formats if f.name in SUFFIX_OF))
        vary = ["Accept-Language"] if fmt.name == "html" else []
    else:
        try:
            fmt = choose(formats, request.headers.get("Accept"), request.args.get("format"))
        except NotAcceptable as e:
            return text_response(406, str(e), {"Link": alternates, "Vary": "Accept"})
        vary = ["Accept", "Accept-Language"]
    langs = languages() if fmt.name == "html" else []
    cache = current_app.extensions.get("newsgraph.cache")
    store = _store()
    key = ("page", store.version, path, suffix, fmt.name, tuple(langs), request.query_string) \
        if cache is not None and store.version else None
    hit = cache.get(key) if key is not None else None
    if hit is not None:
        answer = Answer(hit[0], hit[1])
    else:
        answer = render(fmt)
        if key is not None and answer.status == 200:
            cache.put(key, (answer.status, answer.body))
    headers = {"Link": alternates}
    if vary:
        headers["Vary"] = ", ".join(vary)
    if suffix is None and fmt.name in SUFFIX_OF and answer.status == 200:
        headers["Content-Location"] = f"{path}.{SUFFIX_OF[fmt.name]}{query}"
    if answer.status != 200:
        return Response(answer.body, status=answer.status, content_type=fmt.content_type, headers=headers)
    return respond(answer.body, fmt.content_type, headers)


def split_suffix(rest: str) -> tuple[str, str | None]:
    stem, dot, suffix = rest.rpartition(".")
    if dot and suffix in SUFFIXES and "/" not in suffix and stem:
        return stem, suffix
    return rest, None


def node(iri: str) -> ox.NamedNode | None:
    try:
        return ox.NamedNode(iri)
    except ValueError:
        return None


# ---- RDF answers ---------------------------------------------------------------------------------------


class Unrepresentable(Exception):
    """Triples a format cannot carry (RDF/XML: characters XML 1.0 forbids, predicates with no local name)."""


_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NCNAME_END = re.compile(r"[A-Za-z_\u00C0-\uFFFF][\w.\u00B7\u00C0-\uFFFF-]*$")


def check_rdfxml(triples: list[ox.Triple]) -> None:
    for t in triples:
        if not _NCNAME_END.search(t.predicate.value):
            raise Unrepresentable(f"RDF/XML cannot name the property <{t.predicate.value}>: ask for Turtle, "
                                  "N-Triples or JSON-LD")
        for term in (t.subject, t.object):
            if _XML_FORBIDDEN.search(term.value):
                raise Unrepresentable("the description holds characters XML 1.0 cannot carry: ask for Turtle, "
                                      "N-Triples or JSON-LD")


def rdf_bytes(triples: list[ox.Triple], fmt: Format, prefixes: dict[str, str] | None = None) -> bytes:
    if fmt.name == "jsonld":
        return compact(triples)
    if fmt.name == "rdfxml":
        check_rdfxml(triples)
    prefixes = {**PREFIXES, **(prefixes or {})} if fmt.engine in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else None
    return ox.serialize(triples, format=fmt.engine, prefixes=prefixes)


def not_found_rdf(iri: str, fmt: Format) -> bytes:
    """An empty document in the format asked for, so a client's parser still succeeds. The IRI it names
    is percent-encoded: nothing from the request can end the comment and become data."""
    shown = quote(iri, safe=":/?&=#@+,;~").replace("--", "%2D%2D")
    if fmt.name in ("turtle", "ntriples"):
        return f"# {shown} is not described here\n".encode()
    if fmt.name == "jsonld":
        return compact([])
    if fmt.name == "rdfxml":
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<!-- {shown} is not described here -->\n'
                '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>\n').encode()
    return b""


# ---- /id/... --------------------------------------------------------------------------------------------


def _raw_path() -> str | None:
    """The request's path as sent, before percent-decoding (gunicorn's RAW_URI, werkzeug's REQUEST_URI)."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if not raw:
        return None
    raw = raw.split("?", 1)[0]
    if raw.startswith(("http://", "https://")):  # an absolute request-target
        raw = "/" + raw.split("/", 3)[-1] if raw.count("/") >= 3 else "/"
    root = request.script_root
    return raw[len(root):] if root and raw.startswith(root) else raw


def _candidates(prefix: str, stem: str, suffix: str | None) -> list[ox.NamedNode]:
    """The IRIs a path may name: as decoded, and as sent (an IRI may hold percent-escapes itself)."""
    out = [n for n in (node(_base() + prefix[1:] + stem),) if n is not None]
    raw = _raw_path()
    if raw and raw.startswith(prefix):
        raw_stem = raw[len(prefix):]
        if suffix and raw_stem.endswith("." + suffix):
            raw_stem = raw_stem[: -len(suffix) - 1]
        n = node(_base() + prefix[1:] + raw_stem)
        if n is not None and n not in out:
            out.append(n)
    return out


@bp.get("/id/<anypath:rest>")
def resource(rest: str) -> Response:
    stem, suffix = split_suffix(rest)
    path = "/id/" + stem
    candidates = _candidates("/id/", stem, suffix)
    only, outgoing, offset = _paging()

    def render(fmt: Format) -> Answer:
        d = None
        for iri in candidates:
            d = describe(_store(), iri, only=only, outgoing=outgoing, offset=offset)
            if d:
                break
        if not d:
            if fmt.name == "html":
                return Answer(404, _not_found_page(path))
            return Answer(404, not_found_rdf(_base() + path[1:], fmt))
        if fmt.name == "html":
            return Answer(200, _page(d, path, suffix).encode())
        try:
            return Answer(200, rdf_bytes(d.triples + _more_triples(d, path), fmt))
        except Unrepresentable as e:
            return Answer(406, (str(e) + "\n").encode())

    return negotiated(path, suffix, render)


def _paging() -> tuple[ox.NamedNode | None, bool, int]:
    """``property`` (a prefixed name or an IRI), ``direction`` (``in``, the default, or ``out``), ``offset``."""
    prop, offset = request.args.get("property"), request.args.get("offset", "0")
    direction = request.args.get("direction", "in")
    if direction not in ("in", "out"):
        raise HttpError(400, f"direction must be in (links to the resource) or out (links from it), not {direction!r}")
    try:
        start = int(offset)
        if start < 0:
            raise ValueError
    except ValueError:
        raise HttpError(400, f"offset must be a whole number ≥ 0, not {offset!r}") from None
    if not prop:
        if "offset" in request.args or "direction" in request.args:
            raise HttpError(400, "offset and direction page the links of one property: give property= as well")
        return None, False, 0
    prefix, colon, local = prop.partition(":")
    iri = PREFIXES[prefix] + local if colon and prefix in PREFIXES else prop
    found = node(iri)
    if found is None or ":" not in iri:
        raise HttpError(400, f"property must be an IRI or a prefixed name (nf:participant), not {prop!r}")
    return found, direction == "out", start


def _next_page(path: str, suffix: str | None, group, outgoing: bool) -> str:
    args = {"property": compact_iri(group.property.value)}
    if outgoing:
        args["direction"] = "out"
    args["offset"] = str(group.offset + len(group.subjects))
    return f"{path}{'.' + suffix if suffix else ''}?{urlencode(args)}"


def _pages(d: Description, path: str, suffix: str | None) -> list[tuple[LinkGroup, str, bool]]:
    """(group, next page, outgoing) of every group cut short."""
    return [(g, _next_page(path, suffix, g, out), out) for out, groups in ((False, d.incoming), (True, d.outgoing))
            for g in groups if g.more]


def _more_triples(d: Description, path: str) -> list[ox.Triple]:
    """``rdfs:seeAlso`` the next page of every cut group, so RDF readers find the rest too."""
    return [ox.Triple(d.subject, RDFS.seeAlso, ox.NamedNode(_base() + href[1:]))
            for _, href, _ in _pages(d, path, None)]


def _page(d: Description, path: str, suffix: str | None) -> str:
    index = Index(d.triples)
    labels = display.Labels(index, _base(), languages())
    types = index.types(d.subject)
    common = {"path": path, "iri": d.subject.value, "labels": labels, "index": index,
              "title": labels(d.subject), "formats": _format_links(path),
              "more": _pages(d, path, suffix),
              "html_lang": _lang_of(labels, d.subject)}
    if types & ENTITY_KINDS:
        return _entity_page(d, index, labels, common)
    if NF.Article.value in types:
        return _article_page(d, index, labels, common)
    if NF.Fact.value in types:
        return _fact_page(d, index, labels, common)
    return render_template("resource.html", rows=display.generic_rows(index, labels, d.subject),
                           incoming=_incoming_links(d, labels), **common)


def _lang_of(labels: display.Labels, subject) -> str:
    lit = labels.literal(subject)
    return lit.language if lit is not None and lit.language else "en"


def _format_links(path: str) -> list[tuple[str, str]]:
    return [(f.media_type, f"{path}.{SUFFIX_OF[f.name]}") for f in RDF_PAGE_FORMATS]


def _incoming_links(d: Description, labels: display.Labels,
                    skip=()) -> list[tuple[display.Link, list[display.Link], int]]:
    out = []
    for g in d.incoming:
        if g.property in skip:
            continue
        out.append((display.Link(display.local_name(g.property), labels.href(g.property)),
                    [display.Link(labels(s), labels.href(s)) for s in g.subjects], g.total))
    return out


def _facts_linked(d: Description, index: Index) -> list:
    return [s for g in d.incoming for s in g.subjects if NF.Fact.value in index.types(s)]


def _entity_page(d: Description, index: Index, labels: display.Labels, common: dict) -> str:
    e = d.subject
    facts = _facts_linked(d, index)
    groups = display.facts_by_kind(index, labels, facts, about=e)
    rows = [r for _, _, rs in groups for r in rs]
    fact_props = {g.property for g in d.incoming if any(s in facts for s in g.subjects)}
    others = [lit for lit in index.objects(e, RDFS.label) if lit.value != common["title"]]
    return render_template(
        "entity.html", kind=display.entity_kind(index, e), wikidata=display.wikidata(index, e),
        aliases=[a.value for a in index.objects(e, SKOS.altLabel)],
        other_labels=sorted((lit.language or "", lit.value) for lit in others),
        role=index.value(e, NF.role), country=index.value(e, NF.country),
        groups=groups, timeline=timeline(rows, f"Timeline of {common['title']}"),
        relations_picture=relations(common["title"], counterparts(rows)),
        links=_incoming_links(d, labels, skip=fact_props), fact_count=d.facts,
        relations=_relations(index, labels, e), **common)


#: what an entity page shows elsewhere (its header) rather than among its relations
SHOWN_IN_HEADER = {RDF.type.value, "http://www.w3.org/2002/07/owl#sameAs", NF.country.value}


def _relations(index: Index, labels: display.Labels, e) -> list:
    """The entity's own links to other resources: memberships, who it met and armed (shortcut triples)."""
    grouped: dict = {}
    for t in index.out.get(e, ()):
        if isinstance(t.object, ox.NamedNode) and t.predicate.value not in SHOWN_IN_HEADER:
            grouped.setdefault(t.predicate, []).append(t.object)
    return [(display.Link(display.local_name(p), labels.href(p)),
             sorted((display.Link(labels(o), labels.href(o)) for o in objects), key=lambda link: link.text))
            for p, objects in sorted(grouped.items(), key=lambda kv: display.local_name(kv[0]))]


def _article_page(d: Description, index: Index, labels: display.Labels, common: dict) -> str:
    a = d.subject
    facts = index.subjects(PROV.wasDerivedFrom, a)
    rows = [display.fact_row(index, labels, f) for f in dict.fromkeys(facts)]
    text = index.value(a, SCHEMA.articleBody)
    spans = []
    for row, f in zip(rows, dict.fromkeys(facts), strict=True):
        span = display.evidence_span(index, f)
        if span is not None:
            spans.append((span[0], span[1], row))
    order = {id(r): s for s, _, r in spans}
    rows.sort(key=lambda r: (order.get(id(r), 1 << 60), r.iri))
    published = index.value(a, SCHEMA.datePublished)
    publisher = index.value(a, SCHEMA.publisher)
    compiler = index.value(a, PROV.wasAttributedTo)
    compiled = index.value(a, SCHEMA.dateCreated)
    url = index.value(a, SCHEMA.url)
    return render_template(
        "article.html", rows=rows, passages=display.passages(text.value, spans) if text is not None else [],
        text_lang=(index.value(a, SCHEMA.inLanguage) or ox.Literal("")).value,
        published=published.value if published is not None else "",
        publisher=display.Link(labels(publisher), labels.href(publisher)) if publisher is not None else None,
        compiler=display.Link(labels(compiler), labels.href(compiler)) if compiler is not None else None,
        compiled=compiled.value if compiled is not None else "",
        sources=_compiled_sources(index, a),
        url=url.value if url is not None and url.value.startswith(("http://", "https://")) else None,
        reference=NF.ReferenceRecord.value in index.types(a), table=SCHEMA.Dataset.value in index.types(a),
        identifier=(index.value(a, DCTERMS.identifier) or ox.Literal("")).value,
        unplaced=[r for r in rows if id(r) not in order], **common)


def _compiled_sources(index: Index, a: ox.NamedNode) -> list[dict[str, str]]:
    """The documents a reference record compiles, in the sheet's order (``#source-1``, ``#source-2``…): the
    record's description holds their triples (they are parts of it)."""
    out = []
    nodes = [n for n in index.objects(a, DCTERMS.source) if isinstance(n, ox.NamedNode)]
    for node in sorted(nodes, key=lambda n: (len(n.value), n.value)):
        name, date, url = (index.value(node, p) for p in (SCHEMA.name, SCHEMA.datePublished, SCHEMA.url))
        link = url.value if url is not None else ""
        out.append({"title": name.value if name is not None else node.value,
                    "date": date.value if date is not None else "",
                    "url": link if link.startswith(("http://", "https://")) else ""})
    return out


def _fact_page(d: Description, index: Index, labels: display.Labels, common: dict) -> str:
    f = d.subject
    row = display.fact_row(index, labels, f)
    article = index.value(f, PROV.wasDerivedFrom)
    context = None
    span = display.evidence_span(index, f)
    if article is not None and span is not None:
        body = _store().triples(article, SCHEMA.articleBody, None, limit=1)
        if body:
            text = body[0].object.value
            start, end = span
            lo, hi = max(0, start - 300), min(len(text), end + 300)
            before, after = ("…" if lo else "") + text[lo:start], text[end:hi] + ("…" if hi < len(text) else "")
            context = before, text[start:end], after
    return render_template(
        "fact.html", row=row, roles=display.participants(index, labels, f), context=context,
        rows=display.generic_rows(index, labels, f), **common)


def _not_found_page(path: str) -> bytes:
    """A page that helps: the same id under another type, when there is one."""
    slug = path.rstrip("/").rsplit("/", 1)[-1]
    suggestions = []
    if slug:
        for t in _store().triples(None, DCTERMS.identifier, ox.Literal(slug), limit=10):
            if isinstance(t.subject, ox.NamedNode):
                link = display.href(t.subject, _base())
                if link and link != path:
                    suggestions.append(link)
    return render_template("not_found.html", path=path, suggestions=suggestions, title="Not found",
                           html_lang="en").encode()


# ---- /graph/... ------------------------------------------------------------------------------------------


@bp.get("/graph/<anypath:rest>")
def graph(rest: str) -> Response:
    stem, suffix = split_suffix(rest)
    path = "/graph/" + stem
    graphs = _candidates("/graph/", stem, suffix)

    def render(fmt: Format) -> Answer:
        store = _store()
        g, triples = None, []
        for g in graphs:
            triples = [q.triple for q in store.quads(g)]
            if triples:
                break
        if not triples:
            return Answer(404, _not_found_page(path) if fmt.name == "html" else not_found_rdf(path, fmt))
        if fmt.name != "html":
            try:
                return Answer(200, rdf_bytes(triples, fmt))
            except Unrepresentable as e:
                return Answer(406, (str(e) + "\n").encode())
        article = None
        if stem.startswith("article/"):
            article = "/id/" + stem
        index = Index(triples)
        labels = display.Labels(index, _base(), languages())
        return Answer(200, render_template(
            "graph.html", path=path, iri=g.value, title=f"Graph {stem}", count=len(triples), article=article,
            subjects=len(index.out), formats=_format_links(path), labels=labels, html_lang="en").encode())

    return negotiated(path, suffix, render)


# ---- the ontology, its shapes, the JSON-LD context --------------------------------------------------------


def _file_triples(path) -> list[ox.Triple]:
    return list(ox.parse(path.read_bytes(), format=ox.RdfFormat.TURTLE))


@bp.get("/ontology")
@bp.get("/ontology.<suffix>")
@bp.get("/ns")
def ontology(suffix: str | None = None) -> Response:
    def render(fmt: Format) -> Answer:
        if fmt.name == "turtle":
            return Answer(200, ONTOLOGY_FILE.read_bytes())  # the file itself, with its comments
        triples = _file_triples(ONTOLOGY_FILE)
        if fmt.name != "html":
            return Answer(200, rdf_bytes(triples, fmt))
        return Answer(200, _ontology_page(triples).encode())

    return negotiated("/ontology", suffix, render)


@bp.get("/ontology/shapes")
@bp.get("/ontology/shapes.<suffix>")
@bp.get("/shapes")
def shapes(suffix: str | None = None) -> Response:
    def render(fmt: Format) -> Answer:
        if fmt.name == "turtle":
            return Answer(200, SHAPES_FILE.read_bytes())
        return Answer(200, rdf_bytes(_file_triples(SHAPES_FILE), fmt))

    return negotiated("/ontology/shapes", suffix, render, RDF_PAGE_FORMATS)


def _ontology_page(triples: list[ox.Triple]) -> str:
    index = Index(triples)
    labels = display.Labels(index, _base(), [])
    owl = "http://www.w3.org/2002/07/owl#"
    onto = ox.NamedNode(NF_ONTOLOGY)

    def terms(*kinds: str) -> list[dict]:
        found = [s for s, ts in index.out.items()
                 if isinstance(s, ox.NamedNode) and s.value.startswith(NF_ONTOLOGY + "#")
                 and any(t.predicate == RDF.type and t.object.value in kinds for t in ts)]
        out = []
        for s in sorted(found, key=lambda s: s.value.lower()):
            out.append({"id": s.value.split("#", 1)[1], "iri": s.value, "label": labels(s),
                        "comment": (labels.literal(s, RDFS.comment) or ox.Literal("")).value,
                        "rows": [r for r in display.generic_rows(index, labels, s)
                                 if r[0].text not in ("label", "comment", "isDefinedBy", "type")]})
        return out

    title = labels.literal(onto, DCTERMS.term("title"))
    description = labels.literal(onto, DCTERMS.description)
    return render_template(
        "ontology.html", title=title.value if title else "Ontology", html_lang="en",
        description=description.value if description else "", namespace=NF_ONTOLOGY + "#",
        version=(index.value(onto, ox.NamedNode(owl + "versionInfo")) or ox.Literal("")).value,
        classes=terms(owl + "Class"),
        properties=terms(owl + "ObjectProperty", owl + "DatatypeProperty", "http://www.w3.org/1999/02/22-rdf-syntax-ns#Property",
                         owl + "AnnotationProperty"),
        formats=_format_links("/ontology"), path="/ontology")


@bp.get("/context.jsonld")
def context() -> Response:
    body = (json.dumps(CONTEXT, indent=2, ensure_ascii=False) + "\n").encode()
    return respond(body, "application/ld+json; charset=utf-8", {}, cache_control="public, max-age=86400")


# ---- VoID ------------------------------------------------------------------------------------------------

VOID = "http://rdfs.org/ns/void#"
FOAF = "http://xmlns.com/foaf/0.1/"


@bp.get("/.well-known/void")
@bp.get("/.well-known/void.<suffix>")
def void(suffix: str | None = None) -> Response:
    def render(fmt: Format) -> Answer:
        triples = void_triples()
        if fmt.name != "html":
            return Answer(200, rdf_bytes(triples, fmt, {"void": VOID, "foaf": FOAF}))
        index = Index(triples)
        labels = display.Labels(index, _base(), [])
        dataset = ox.NamedNode(_base() + "dataset")
        parts = [display.generic_rows(index, labels, o)
                 for o in index.objects(dataset, ox.NamedNode(VOID + "classPartition"))]
        return Answer(200, render_template(
            "resource.html", path="/.well-known/void", iri=dataset.value, title="Dataset description (VoID)",
            rows=display.generic_rows(index, labels, dataset), partitions=parts, incoming=[], labels=labels,
            formats=_format_links("/.well-known/void"), more=[], html_lang="en").encode())

    return negotiated("/.well-known/void", suffix, render)


def void_triples() -> list[ox.Triple]:
    """The dataset's VoID description: size, class partitions, vocabularies, where to query it."""
    base = _base()
    store = _store()
    v = ox.NamedNode
    dataset, doc = v(base + "dataset"), v(base + ".well-known/void")
    xsd_int = v("http://www.w3.org/2001/XMLSchema#integer")

    def n(x: int) -> ox.Literal:
        return ox.Literal(str(x), datatype=xsd_int)

    out = [
        ox.Triple(doc, RDF.type, v(VOID + "DatasetDescription")),
        ox.Triple(doc, DCTERMS.term("title"), ox.Literal("Description of the newsgraph dataset", language="en")),
        ox.Triple(doc, v(FOAF + "primaryTopic"), dataset),
        ox.Triple(dataset, RDF.type, v(VOID + "Dataset")),
        ox.Triple(dataset, DCTERMS.term("title"), ox.Literal("newsgraph", language="en")),
        ox.Triple(dataset, DCTERMS.description, ox.Literal(
            "Claims that news articles make about states and alliances, each with its source article, its date "
            "and the sentence that supports it; one named graph per article.", language="en")),
        ox.Triple(dataset, v(VOID + "sparqlEndpoint"), v(base + "sparql")),
        ox.Triple(dataset, v(VOID + "uriSpace"), ox.Literal(base + "id/")),
        ox.Triple(dataset, v(VOID + "triples"), n(len(store))),
        ox.Triple(dataset, v(VOID + "feature"), v("http://www.w3.org/ns/formats/Turtle")),
        ox.Triple(dataset, v(VOID + "feature"), v("http://www.w3.org/ns/formats/JSON-LD")),
        ox.Triple(dataset, v(VOID + "feature"), v("http://www.w3.org/ns/formats/N-Triples")),
        ox.Triple(dataset, v(VOID + "feature"), v("http://www.w3.org/ns/formats/RDF_XML")),
    ]
    out += [ox.Triple(dataset, v(VOID + "vocabulary"), v(ns)) for ns in
            (NF_ONTOLOGY + "#", *(PREFIXES[p] for p in ("schema", "prov", "oa", "org", "skos", "dcterms")))]
    counted = figures(store)
    for i, (cls, count) in enumerate(counted.classes):
        part = v(f"{base}dataset#class-{i + 1}")
        out += [ox.Triple(dataset, v(VOID + "classPartition"), part),
                ox.Triple(part, v(VOID + "class"), cls), ox.Triple(part, v(VOID + "entities"), n(count))]
    out.append(ox.Triple(dataset, v(VOID + "entities"), n(counted.entities)))
    example = store.triples(None, RDF.type, NF.Country, limit=1)
    if example:
        out.append(ox.Triple(dataset, v(VOID + "exampleResource"), example[0].subject))
    return out
