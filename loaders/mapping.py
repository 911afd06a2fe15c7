"""Records → quads: the one place that decides which ontology terms the data uses.

Each article becomes one named graph holding the article node, one n-ary node per fact with its
evidence as a Web Annotation, and the shortcut triples (``org:memberOf``, ``nf:metWith``,
``nf:suppliedArmsTo``) beside the full statements, as Wikidata keeps truthy statements beside
qualified ones. Entities go to the shared entities graph, where declarations merge.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import permutations

import pyoxigraph as ox

from .entities import Registry
from .folding import fold
from .ontology import DATE_PROPERTIES, FACT_CLASSES, LITERAL_PROPERTIES, ROLE_PROPERTIES, role_property
from .records import Article, DateValue, Entity, Fact
from .vocab import DCTERMS, ENTITY_CLASSES, NF, OA, ORG, OWL, PROV, RDF, RDFS, SCHEMA, SKOS, WIKIDATA, XSD, Iris

SELECTOR_CONTEXT = 32


@dataclass
class Mapped:
    """One article's quads, its entities' quads, and where each node came from in the sheet."""

    graph: ox.NamedNode
    quads: list[ox.Quad] = field(default_factory=list)
    entity_quads: list[ox.Quad] = field(default_factory=list)
    #: IRI of a node -> (line, {property IRI: line}) in the source file
    lines: dict[str, tuple[int, dict[str, int]]] = field(default_factory=dict)


def literal(value: str, datatype: ox.NamedNode | None = None, language: str | None = None) -> ox.Literal:
    if language:
        return ox.Literal(value, language=language)
    return ox.Literal(value, datatype=datatype) if datatype else ox.Literal(value)


def date_literal(d: DateValue) -> ox.Literal:
    return ox.Literal(d.lexical, datatype=XSD.term(d.datatype))


def day(d) -> ox.Literal:
    return ox.Literal(d.isoformat(), datatype=XSD.date)


def number_literal(n: int | Decimal) -> ox.Literal:
    if isinstance(n, int):
        return ox.Literal(str(n), datatype=XSD.integer)
    return ox.Literal(format(n, "f"), datatype=XSD.decimal)


def entity_quads(e: Entity, iris: Iris, registry: Registry) -> list[ox.Quad]:
    """The triples one declaration adds to the entities graph."""
    g = iris.entities_graph
    node = iris.entity(e.type, e.id)
    out = [ox.Quad(node, RDF.type, ENTITY_CLASSES[e.type], g),
           ox.Quad(node, DCTERMS.identifier, ox.Literal(e.id), g)]
    out += [ox.Quad(node, RDFS.label, ox.Literal(label, language=lang), g) for lang, label in e.labels.items()]
    out += [ox.Quad(node, SKOS.altLabel, ox.Literal(alias), g) for alias in e.aliases]
    keys = dict.fromkeys(fold(name) for name in (*e.labels.values(), *e.aliases))
    out += [ox.Quad(node, NF.searchKey, ox.Literal(key), g) for key in keys if key]
    if e.wikidata:
        out.append(ox.Quad(node, OWL.sameAs, WIKIDATA.term(e.wikidata), g))
    if e.country:
        country = registry.get(e.country)
        if country is not None:
            out.append(ox.Quad(node, NF.country, iris.entity(country.type, country.id), g))
    if e.role:
        out.append(ox.Quad(node, NF.role, ox.Literal(e.role), g))
    return out


def entity_node(entity_id: str, iris: Iris, registry: Registry) -> ox.NamedNode:
    e = registry.get(entity_id)
    if e is None:  # callers check references first; this is a programming error
        raise KeyError(f"unknown entity {entity_id!r}")
    return iris.entity(e.type, entity_id)


def map_article(article: Article, registry: Registry, iris: Iris, entity_additions: list[Entity]) -> Mapped:
    graph = iris.article_graph(article.id)
    out = Mapped(graph)
    a = iris.article(article.id)
    q = out.quads

    def add(s, p, o) -> None:
        q.append(ox.Quad(s, p, o, graph))

    # a reference record is compiled, not reported: it is no schema:NewsArticle, and only its publisher
    # (an official register's) or its compiler (prov:wasAttributedTo) stands behind it
    add(a, RDF.type, SCHEMA.Dataset if article.is_table else NF.ReferenceRecord if article.reference
        else SCHEMA.NewsArticle)
    add(a, RDF.type, NF.Article)
    if article.reference:
        add(a, RDF.type, SCHEMA.CreativeWork)
        _reference_record(article, a, registry, iris, add)
    add(a, DCTERMS.identifier, ox.Literal(article.id))
    add(a, SCHEMA.headline, ox.Literal(article.title, language=article.language))
    if article.published is not None:
        add(a, SCHEMA.datePublished, date_literal(article.published))
    if article.publisher is not None:
        add(a, SCHEMA.publisher, entity_node(article.publisher, iris, registry))
    add(a, SCHEMA.inLanguage, ox.Literal(article.language))
    if article.url:
        add(a, SCHEMA.url, ox.NamedNode(article.url))
    if article.text is not None:
        add(a, SCHEMA.articleBody, ox.Literal(article.text))
    field_lines = {SCHEMA.term(p).value: article.lines.get(f, article.line) for f, p in
                   (("title", "headline"), ("published", "datePublished"), ("publisher", "publisher"),
                    ("language", "inLanguage"), ("url", "url"))}
    out.lines[a.value] = (article.line, field_lines)

    for fact in article.facts:
        _map_fact(fact, article, a, registry, iris, add, out)

    for e in entity_additions:
        out.entity_quads += entity_quads(e, iris, registry)
        node = iris.entity(e.type, e.id)
        out.lines[node.value] = (e.line, {})
    return out


def _reference_record(article: Article, a: ox.NamedNode, registry: Registry, iris: Iris, add) -> None:
    if article.compiler is not None:
        add(a, PROV.wasAttributedTo, entity_node(article.compiler, iris, registry))
    if article.compiled is not None:
        add(a, SCHEMA.dateCreated, date_literal(article.compiled))
    for n, source in enumerate(article.sources, 1):
        node = ox.NamedNode(f"{a.value}#source-{n}")
        add(a, DCTERMS.source, node)
        add(node, RDF.type, SCHEMA.CreativeWork)
        add(node, SCHEMA.name, ox.Literal(source.title))
        if source.date is not None:
            add(node, SCHEMA.datePublished, date_literal(source.date))
        if source.url is not None:
            add(node, SCHEMA.url, ox.NamedNode(source.url))


def _map_fact(fact: Fact, article: Article, a: ox.NamedNode, registry: Registry, iris: Iris, add, out: Mapped):
    f = iris.fact(article.id, fact.id)
    for cls in (NF.Fact, *FACT_CLASSES[fact.kind]):
        add(f, RDF.type, cls)
    add(f, DCTERMS.identifier, ox.Literal(fact.id))
    add(f, PROV.wasDerivedFrom, a)
    add(f, NF.quote, ox.Literal(fact.quote))
    if fact.confidence is not None:
        add(f, NF.confidence, ox.Literal(format(Decimal(str(fact.confidence)), "f"), datatype=XSD.decimal))
    if fact.note:
        add(f, SKOS.note, ox.Literal(fact.note, language="en"))
    if fact.source:
        is_url = fact.source.startswith(("http://", "https://")) and " " not in fact.source
        add(f, DCTERMS.source, ox.NamedNode(fact.source) if is_url else ox.Literal(fact.source))
    values = fact.values
    for name, value in values.items():
        if name in ROLE_PROPERTIES:
            for v in value if isinstance(value, list) else [value]:
                add(f, role_property(fact.kind, name), entity_node(v, iris, registry))
        elif name in DATE_PROPERTIES:
            add(f, DATE_PROPERTIES[name], date_literal(value))
        elif name in LITERAL_PROPERTIES:
            for v in value if isinstance(value, list) else [value]:
                add(f, LITERAL_PROPERTIES[name], ox.Literal(v))
        elif name == "quantity":
            add(f, NF.quantity, number_literal(value))
        elif name == "text":
            add(f, NF.text, ox.Literal(value, language=article.language))
        elif name == "complete":
            if value == "true":
                add(f, NF.completeList, ox.Literal("true", datatype=XSD.boolean))
        else:  # the schema and this table disagree: fail loudly rather than drop data
            raise KeyError(f"no property for field {name!r}")

    earliest, latest = claim_bounds(fact, article)
    if earliest is not None:
        add(f, NF.earliest, day(earliest))
    if latest is not None:
        add(f, NF.latest, day(latest))

    # evidence: a Web Annotation whose body is the fact and whose target is the quoted passage
    ann, target = ox.NamedNode(f.value + "#evidence"), ox.NamedNode(f.value + "#target")
    quote_sel = ox.NamedNode(f.value + "#quote")
    add(ann, RDF.type, OA.Annotation)
    add(ann, OA.hasBody, f)
    add(ann, OA.hasTarget, target)
    add(ann, OA.motivatedBy, OA.describing)
    add(target, RDF.type, OA.SpecificResource)
    add(target, OA.hasSource, a)
    add(target, OA.hasSelector, quote_sel)
    add(quote_sel, RDF.type, OA.TextQuoteSelector)
    add(quote_sel, OA.exact, ox.Literal(fact.quote))
    if fact.span is not None and article.text is not None:
        start, end = fact.span
        prefix = article.text[max(0, start - SELECTOR_CONTEXT):start]
        suffix = article.text[end:end + SELECTOR_CONTEXT]
        if prefix:
            add(quote_sel, OA.prefix, ox.Literal(prefix))
        if suffix:
            add(quote_sel, OA.suffix, ox.Literal(suffix))
        pos = ox.NamedNode(f.value + "#position")
        add(target, OA.hasSelector, pos)
        add(pos, RDF.type, OA.TextPositionSelector)
        # xsd:integer, not the xsd:nonNegativeInteger of the Web Annotation model: pyoxigraph keeps every
        # integer subtype as xsd:integer, and both stores must give the same answers (the shapes check ≥ 0)
        add(pos, OA.start, ox.Literal(str(start), datatype=XSD.integer))
        add(pos, OA.end, ox.Literal(str(end), datatype=XSD.integer))

    _shortcuts(fact, registry, iris, add)
    prop_lines = {p.value: fact.lines.get(name, fact.line)
                  for table in (LITERAL_PROPERTIES, DATE_PROPERTIES)
                  for name, p in table.items() if name in fact.lines}
    prop_lines |= {role_property(fact.kind, name).value: line for name, line in fact.lines.items()
                   if name in ROLE_PROPERTIES}
    for name, p in (("quantity", NF.quantity), ("text", NF.text), ("quote", NF.quote),
                    ("confidence", NF.confidence), ("note", SKOS.note), ("complete", NF.completeList)):
        if name in fact.lines:
            prop_lines[p.value] = fact.lines[name]
    out.lines[f.value] = (fact.line, prop_lines)


def _shortcuts(fact: Fact, registry: Registry, iris: Iris, add) -> None:
    v = fact.values
    # org:memberOf says "is a member" with no time: written only for a membership reported with status
    # member and no end; an ended one stays an org:Membership node with its dates (ontology: org:memberOf)
    if fact.kind == "membership" and v.get("status") == "member" and v.get("end") is None:
        add(entity_node(v["member"], iris, registry), ORG.memberOf, entity_node(v["organization"], iris, registry))
    elif fact.kind == "meeting":
        people = [entity_node(p, iris, registry) for p in dict.fromkeys(v["participants"])]
        for x, y in permutations(people, 2):
            add(x, NF.metWith, y)
    elif fact.kind == "arms-transfer":
        add(entity_node(v["supplier"], iris, registry), NF.suppliedArmsTo, entity_node(v["recipient"], iris, registry))
    elif fact.kind == "founding":
        org = entity_node(v["organization"], iris, registry)
        if v.get("date") is not None:
            add(org, SCHEMA.foundingDate, date_literal(v["date"]))
        if v.get("location") is not None:
            add(org, SCHEMA.foundingLocation, entity_node(v["location"], iris, registry))


def claim_bounds(fact: Fact, article: Article):
    """First and last day the fact's date can be.

    The first: a membership claim is dated by its ``as_of``, else its ``start``, else the article's
    publication (contract §3.1); other facts by ``date`` or ``start``, else by their ``date_after``. The
    last: the latest day any of its dates allows — its ``end`` (a meeting of 21–22 November ends on the
    22nd), its ``date_before``, the last day of a year or a month given as such — so that every query
    that filters by date with ``nf:latest`` keeps a fact that lasted into the period asked.
    """
    v = fact.values
    if fact.kind == "membership":
        d = v.get("as_of") or v.get("start") or article.published or article.compiled
        first = d.earliest if d is not None else None
    else:
        d = v.get("date") or v.get("start")
        after = v.get("date_after")
        first = d.earliest if d is not None else after.earliest if after is not None else None
    lasts = [x.latest for x in (d, v.get("end"), v.get("date_before")) if x is not None]
    return first, max(lasts) if lasts else None


def referenced_type_quads(mapped: Mapped, registry: Registry, iris: Iris,
                          also: Iterable[ox.Quad] = ()) -> list[ox.Triple]:
    """rdf:type triples of the entities an article (and ``also``: the entities it declares, as the registry
    describes them) points at, so SHACL can check roles by class."""
    seen: dict[str, ox.NamedNode] = {}
    prefix = iris.base + "id/"
    for quad in (*mapped.quads, *mapped.entity_quads, *also):
        o = quad.object
        if isinstance(o, ox.NamedNode) and o.value.startswith(prefix) and "/article/" not in o.value:
            seen.setdefault(o.value, o)
    out = []
    for value, node in seen.items():
        _, _, entity_id = value[len(prefix):].partition("/")
        e = registry.get(entity_id)
        if e is not None:
            out.append(ox.Triple(node, RDF.type, ENTITY_CLASSES[e.type]))
    return out
