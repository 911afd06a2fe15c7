"""Bounded descriptions of the resources the service mints: what ``/id/...`` answers, as triples.

A description holds the resource's own triples — and those of the resources that belong to its
document: blank nodes it points to, and the ``#fragment`` IRIs under its own (a fact's evidence
annotation, target and selectors) — the links that point to it, the facts it takes part in with
their own triples, and the labels and types of everything linked. Incoming links are capped per
property, so an entity that tens of thousands of facts name still answers quickly; each cut group
says how many links it has and where the next page is.

Every lookup binds the resource as an RDF term (pyoxigraph's ``substitutions`` or a triple
pattern); no IRI from a request is ever pasted into query text.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from newsgraph.loaders.ontology import ROLE_NAMES
from newsgraph.loaders.vocab import NF, OA, PROV, RDF, RDFS, SCHEMA
from newsgraph.service.store.interface import Reader

#: incoming links of one property in a resource's description; the rest is paged
LINKS_PER_PROPERTY = 10
#: values of one of the resource's own properties before they are paged: labels in many languages, aliases
#: and keys stay whole; only crowded ones (a shortcut property with thousands of values) are cut
OWN_VALUES_PER_PROPERTY = 25
#: links on one page of a single property (``?property=…&offset=…``)
PAGE_SIZE = 100
#: an article's own facts: its page highlights every one in the text, so they come whole up to this many
ARTICLE_FACTS = 500
#: groups larger than this are listed in index order instead of newest first: sorting means reading the
#: whole group, which for an entity named by tens of thousands of facts costs more than the page itself
SORTED_GROUP_LIMIT = 100
#: properties whose subjects carry dates (facts through their roles, articles): only their groups are sorted
DATED = frozenset({*(ox.NamedNode(iri) for iri in ROLE_NAMES), PROV.wasDerivedFrom, SCHEMA.publisher})
#: the roles of facts: what links through one is a fact (or, in RDF from elsewhere, a node like one)
ROLES = frozenset(ox.NamedNode(iri) for iri in ROLE_NAMES)
#: properties pointing at a document's own parts rather than at other resources
PART_OF_FACT = (OA.hasBody,)

_R, _P = ox.Variable("r"), ox.Variable("p")
IN_COUNTS = "SELECT ?r ?p (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?r } GROUP BY ?r ?p"
OUT_COUNTS = "SELECT ?r ?p (COUNT(DISTINCT ?o) AS ?n) WHERE { ?r ?p ?o } GROUP BY ?r ?p"
OUT_PAGE = "SELECT DISTINCT ?r ?p ?o WHERE { ?r ?p ?o }"
#: fragments by which documents commonly name their main resource (``…/doc#it``), tried when ``…/doc``
#: itself is not described
COMMON_FRAGMENTS = ("it", "this", "id", "me", "self", "thing")
IN_ORDER = "SELECT DISTINCT ?r ?p ?s WHERE { ?s ?p ?r }"


@dataclass
class LinkGroup:
    """The resources linked to the described one through ``property`` (pointing to it, or for an outgoing
    group the values it has): one page of them."""

    property: ox.NamedNode
    total: int
    subjects: list[ox.NamedNode | ox.BlankNode]
    offset: int = 0
    newest_first: bool = True  # False: index order, for undated links and groups too large to sort each time

    @property
    def more(self) -> bool:
        return self.offset + len(self.subjects) < self.total


@dataclass
class Description:
    subject: ox.NamedNode
    triples: list[ox.Triple] = field(default_factory=list)
    incoming: list[LinkGroup] = field(default_factory=list)
    outgoing: list[LinkGroup] = field(default_factory=list)  # only the properties with too many values
    facts: int = 0  # distinct facts that name the resource, whatever their number of roles
    _seen: set[ox.Triple] = field(default_factory=set, repr=False)

    def add(self, triples: Iterable[ox.Triple]) -> None:
        for t in triples:
            if t not in self._seen:
                self._seen.add(t)
                self.triples.append(t)

    def __bool__(self) -> bool:
        return bool(self.triples)


class Index:
    """The triples of a description, looked up by subject and by object, for the HTML views."""

    def __init__(self, triples: Iterable[ox.Triple]):
        self.out: dict[object, list[ox.Triple]] = {}
        self.into: dict[object, list[ox.Triple]] = {}
        for t in triples:
            self.out.setdefault(t.subject, []).append(t)
            self.into.setdefault(t.object, []).append(t)

    def objects(self, s, p) -> list:
        return [t.object for t in self.out.get(s, ()) if t.predicate == p]

    def value(self, s, p):
        for t in self.out.get(s, ()):
            if t.predicate == p:
                return t.object
        return None

    def subjects(self, p, o) -> list:
        return [t.subject for t in self.into.get(o, ()) if t.predicate == p]

    def types(self, s) -> set[str]:
        return {t.object.value for t in self.out.get(s, ()) if t.predicate == RDF.type}


def describe(store: Reader, iri: ox.NamedNode, *, limit: int | None = None,
             only: ox.NamedNode | None = None, outgoing: bool = False, offset: int = 0) -> Description:
    """The description of ``iri``; empty when the store knows nothing of it.

    ``only``: describe just one page of the links through that property — the links that point to the
    resource, or with ``outgoing`` the ones it makes — from ``offset`` (paging); the rest of the
    description is then reduced to the resource's types and labels.
    """
    own_limit = limit or (PAGE_SIZE if only is not None else OWN_VALUES_PER_PROPERTY)
    limit = limit or (PAGE_SIZE if only is not None else LINKS_PER_PROPERTY)
    d = Description(iri)
    counted = store.links(iri)  # a well-linked entity's counts, made by the load of this version
    out_counts = counted.outgoing if counted else _counts(store, iri, OUT_COUNTS)
    in_counts = counted.incoming if counted else _counts(store, iri, IN_COUNTS)
    if not out_counts and not in_counts:
        # a document known only through its #it (an IRI with a fragment already has no other)
        for fragment in COMMON_FRAGMENTS if "#" not in iri.value else ():
            part = ox.NamedNode(f"{iri.value}#{fragment}")
            if store.triples(part, None, None, limit=1):
                d.add(_document(store, part, iri))
        d.add(_labels(store, [t.object for t in d.triples if isinstance(t.object, ox.NamedNode)], skip=iri))
        return d
    if counted:
        d.facts = counted.facts
    elif in_counts:
        d.facts = store.fact_count(iri)
    linked: list = []
    described: set = set()  # the facts whose every triple is in the description already
    # what the resource says itself: every triple of an ordinary property, a page of a crowded one
    for prop, total in out_counts:
        paging = only is not None and outgoing and prop == only
        if only is not None and not paging and prop not in (RDF.type, RDFS.label):
            continue
        if total <= own_limit and not paging:
            own = store.triples(iri, prop)
            d.add(own)
            objects = [t.object for t in own]
        else:
            start = offset if paging else 0
            objects = _outgoing_page(store, iri, prop, start, own_limit) if start < total else []
            d.outgoing.append(LinkGroup(prop, total, objects, start))
            d.add(ox.Triple(iri, prop, o) for o in objects)
        for o in objects:
            if isinstance(o, ox.BlankNode) or _is_part(o, iri):
                d.add(_document(store, o, iri))
            elif isinstance(o, ox.NamedNode):
                linked.append(o)
    if only is None:  # parts that point at their document: a fact's evidence annotation
        for p in PART_OF_FACT:
            for t in store.triples(None, p, iri, limit=100):
                if _is_part(t.subject, iri):
                    d.add(_document(store, t.subject, iri))
    # what points to it: the facts it takes part in, articles, shortcut links — a page of each
    for prop, total in in_counts:
        if only is not None and (outgoing or prop != only):
            continue
        start = offset if only is not None else 0
        cap = ARTICLE_FACTS if only is None and prop == PROV.wasDerivedFrom else limit
        subjects, newest = _incoming_page(store, iri, prop, total, start, cap)
        d.incoming.append(LinkGroup(prop, total, subjects, start, newest))
        d.add(ox.Triple(s, prop, iri) for s in subjects)
        named = [s for s in subjects if isinstance(s, ox.NamedNode) and prop not in PART_OF_FACT
                 and not _is_part(s, iri)]
        if prop in ROLES:  # what links through a role is a fact (or a node like one): its triples at once
            own = store.about(named)
            facts = {t.subject for t in own if t.predicate == RDF.type and t.object == NF.Fact}
        else:  # a shortcut link's subject may be an entity with thousands of triples: the type first
            own = None
            facts = {t.subject for t in store.about(named, [RDF.type]) if t.object == NF.Fact}
        for s in subjects:
            if isinstance(s, ox.BlankNode) and prop not in PART_OF_FACT:  # reachable from nowhere else
                d.add(_document(store, s, iri))
        if prop == PROV.wasDerivedFrom:  # an article's own facts come with their evidence, for its page
            fact_triples = [t for f in named if f in facts for t in _document(store, f, f)]
        elif own is not None:  # the facts it takes part in: role, dates, counterparts, quote
            fact_triples = [t for t in own if t.subject in facts]
        else:
            fact_triples = store.about([f for f in named if f in facts])
        d.add(fact_triples)
        described |= facts
        linked += [t.object for t in fact_triples if not isinstance(t.object, ox.Literal)]
        linked += named
    typed = [t for t in d.triples if t.predicate == RDF.type and t.subject in described]
    d.add(_labels(store, [n for n in linked if n not in described], skip=iri, typed=typed))
    return d


def _document(store: Reader, node: ox.NamedNode | ox.BlankNode, doc: ox.NamedNode) -> list[ox.Triple]:
    """The triples of ``node`` and of the blank nodes and ``doc#fragment`` parts it leads to, transitively;
    for ``node == doc`` also the parts that point at it (``<f#evidence> oa:hasBody <f>``)."""
    out: list[ox.Triple] = []
    todo: list[ox.NamedNode | ox.BlankNode] = [node]
    if node == doc:
        todo += [t.subject for p in PART_OF_FACT for t in store.triples(None, p, doc, limit=100)
                 if _is_part(t.subject, doc)]
    done: set = set()
    while todo:
        n = todo.pop()
        if n in done or len(done) > 1000:  # a part-of-a-part chain this long is not a document
            continue
        done.add(n)
        own = store.triples(n)
        out += own
        todo += [t.object for t in own if isinstance(t.object, ox.BlankNode) or _is_part(t.object, doc)]
    return out


def _is_part(node, iri: ox.NamedNode) -> bool:
    return isinstance(node, ox.NamedNode) and node.value.startswith(iri.value + "#")


def _counts(store: Reader, iri: ox.NamedNode, query: str) -> list[tuple[ox.NamedNode, int]]:
    """(property, number of distinct resources linked through it), by property."""
    rows = store.query(query, substitutions={_R: iri})
    return sorted(((row["p"], int(row["n"].value)) for row in rows), key=lambda c: c[0].value)


def _outgoing_page(store: Reader, iri: ox.NamedNode, prop: ox.NamedNode, offset: int, limit: int) -> list:
    rows = store.query(f"{OUT_PAGE} LIMIT {int(limit)} OFFSET {int(offset)}", substitutions={_R: iri, _P: prop})
    return [row["o"] for row in rows]


def _incoming_page(store: Reader, iri: ox.NamedNode, prop: ox.NamedNode, total: int, offset: int,
                   limit: int) -> tuple[list[ox.NamedNode | ox.BlankNode], bool]:
    """One page of the subjects linking to ``iri`` through ``prop``, and whether it is newest first (facts
    by their latest day, articles by publication): only groups small enough to sort are."""
    if offset >= total:
        return [], True
    newest = prop in DATED and total <= SORTED_GROUP_LIMIT
    if newest:
        return _newest_first(store, iri, prop)[offset:offset + limit], True
    if prop in DATED:  # a large group: newest first from what the load stored, where it did
        stored = store.stored_links(iri, prop, offset, limit, total)
        if stored is not None:
            return stored, True
    # LIMIT and OFFSET are whole numbers this code computed, not request text
    rows = store.query(f"{IN_ORDER} LIMIT {int(limit)} OFFSET {int(offset)}", substitutions={_R: iri, _P: prop})
    return list(dict.fromkeys(row["s"] for row in rows)), False


def _newest_first(store: Reader, iri: ox.NamedNode, prop: ox.NamedNode) -> list:
    """The whole (small) group, newest first: a fact by its latest day, an article by its publication; undated
    last; ties by the resource (blank nodes before IRIs, as SPARQL orders them).

    Why not ORDER BY in SPARQL: the engine joins the dates by scanning every ``nf:latest`` of the store (a
    hash join), which costs ~25 ms at 1.5 million facts; looking up each subject's dates costs a few µs.
    """
    subjects = list(dict.fromkeys(row["s"] for row in store.query(IN_ORDER, substitutions={_R: iri, _P: prop})))
    latest: dict = {}
    published: dict = {}
    for t in store.about(subjects, [NF.latest, SCHEMA.datePublished, SCHEMA.dateCreated]):
        into = latest if t.predicate == NF.latest else published
        into[t.subject] = max(into.get(t.subject, ""), _instant(t.object))

    def when(s) -> tuple:
        d = latest.get(s) or published.get(s)
        return (d is not None, d or "")

    # two stable sorts: ties keep the resource order of the first (blank nodes, then IRIs by their text)
    in_order = sorted(subjects, key=lambda s: (isinstance(s, ox.NamedNode), s.value))
    return sorted(in_order, key=when, reverse=True)


def _instant(term) -> str:
    """A date or time as a string that sorts in time order: times with an offset moved to UTC, fractions
    of seconds kept (``…T10:00:00Z`` before ``…T10:00:00.5Z``), dates and years as they are."""
    text = term.value if isinstance(term, ox.Literal) else ""
    if "T" not in text:
        return text
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")


def _labels(store: Reader, nodes: Iterable, skip: ox.NamedNode, typed: Iterable[ox.Triple] = ()) -> list[ox.Triple]:
    """Labels and types of the linked resources (headline and date for articles), and labels of the types
    (of those and of the ``typed`` ones, described already)."""
    wanted = [n for n in dict.fromkeys(nodes) if isinstance(n, ox.NamedNode) and n != skip]
    out = _types_and_labels(store, wanted)
    classes = {t.object for t in [*out, *typed] if t.predicate == RDF.type} - set(wanted) - {skip}
    out += store.about(classes, [RDFS.label])
    return out


#: types and labels of linked resources kept per store version (a version never changes) in each web worker:
#: the counterparts of a busy entity's facts — its allies, their leaders — are on most of its pages and on
#: their own. Bounded: started again when full. A store without versions (a remote one) is asked each time.
TYPES_AND_LABELS_KEPT = 50_000
_kept: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _types_and_labels(store: Reader, nodes: list) -> list[ox.Triple]:
    """Types and labels of ``nodes``, and the headline and date of those that are articles."""
    if not getattr(store, "version", None):
        return _read_types_and_labels(store, nodes)
    kept = _kept.setdefault(store, {})
    have: dict = {}  # read once: another thread may start the memo again meanwhile
    for n in nodes:
        if (triples := kept.get(n)) is not None:
            have[n] = triples
    missing = [n for n in nodes if n not in have]
    if missing:
        found: dict = {n: [] for n in missing}
        for t in _read_types_and_labels(store, missing):
            found[t.subject].append(t)
        if len(kept) + len(missing) > TYPES_AND_LABELS_KEPT:
            kept.clear()
        kept.update(found)
        have.update(found)
    return [t for n in nodes for t in have[n]]


def _read_types_and_labels(store: Reader, nodes: list) -> list[ox.Triple]:
    out = store.about(nodes, [RDF.type, RDFS.label])
    articles = [t.subject for t in out if t.predicate == RDF.type and t.object == NF.Article]
    return out + store.about(articles, [SCHEMA.headline, SCHEMA.datePublished, SCHEMA.dateCreated])
