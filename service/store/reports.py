"""What the rows of a report query (``conflicts``, ``corroborated``) are made of, and which a load changes.

Why: a list's row reads one fact and its article, so the rows of the articles a load changed are the list
query's answer over a small store of those articles (:class:`newsgraph.service.store.answers.Context`). A
report compares or counts claims *across* articles — the articles that state one relation, a claim and the
reference record it contradicts, two claims about one transfer — so a report's rows are made per *group*
of what they depend on, from a small store holding the whole group, and a load makes again the groups it
touched. The query text is still the definition: the stored form is run over those small stores, and
``tests/test_stored_answers.py`` holds the rows equal to the SPARQL answers over the whole store.

Two groupings (the query's ``stored:`` header says which):

- ``relations``: a row counts the articles that state one subject–object relation. Its group is the
  (subject, object) pair; the small store holds every quad between the two in every graph, the typing of
  those graphs' articles, and the two IRIs' labels. A load touches the pairs its graphs state (before and
  after) and the pairs of any IRI whose label, identifier or type it changed.
- ``comparisons``: a row compares a claim of one article with a reference record or with another
  article's claim about the same transfer (supplier, recipient, item). Its group is the claim's article,
  and its row also depends on the other article; the small store holds the group's articles and their
  claims of the classes the query names, every reference record, and every claim that gives a quantity
  for the same transfers. A load touches the articles it wrote and
  those naming a re-labelled IRI; a changed reference record makes every row again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

import pyoxigraph as ox

from newsgraph.loaders.vocab import DCTERMS, NF, PREFIXES, PROV, RDF, RDFS
from newsgraph.service.sparql.stored import StoredForm
from newsgraph.service.sparql.text import tokens

#: what, changed in a graph that is no article's, can change the rows of articles that name its subject
LABEL_PREDICATES = (RDFS.label, DCTERMS.identifier, RDF.type)
#: the roles that say which transfer a claim is about (two claims with the same three are compared)
TRANSFER_KEYS = (NF.supplier, NF.recipient, NF.item)
DEFAULT = ox.DefaultGraph()


def _named(form: StoredForm) -> list[tuple[str, str]]:
    """(IRI, the word before it) for every IRI the stored query names, comments and strings aside."""
    out: list[tuple[str, str]] = []
    before = ""
    for t in tokens(form.text):
        iri = None
        if t.kind == "iri":
            iri = t.text
        elif t.kind == "word" and (m := re.fullmatch(r"([A-Za-z][\w-]*):([A-Za-z_][\w-]*)", t.text)):
            iri = PREFIXES[m[1]] + m[2] if m[1] in PREFIXES else None
        if iri is not None:
            out.append((iri, before))
        before = t.text
    return out


def named_classes(form: StoredForm) -> list[ox.NamedNode]:
    """The IRIs the stored query names as a class (``?x a nf:Article``)."""
    return [ox.NamedNode(i) for i in dict.fromkeys(iri for iri, before in _named(form)
                                                    if before in ("a", "rdf:type"))]


def relation_predicates(form: StoredForm) -> list[ox.NamedNode]:
    """The IRIs the stored query names that may be a relation's predicate: all but its classes and what
    the rows read of any resource (labels, identifiers, types), whose changes a load finds otherwise."""
    skip = {c.value for c in named_classes(form)} | {p.value for p in LABEL_PREDICATES}
    return [ox.NamedNode(i) for i in dict.fromkeys(iri for iri, _ in _named(form) if iri not in skip)]


def units(form: StoredForm, binding: dict) -> tuple[str, str | None]:
    """(group, other article) of one SPARQL JSON row of the stored form."""
    def value(var: str) -> str | None:
        cell = binding.get(var)
        return cell["value"] if cell is not None else None

    if form.grouping == "relations":
        return f"{value('subject')} {value('object')}", None
    return value("article") or "", value("otherArticle")


def pair_key(s: ox.NamedNode, o: ox.NamedNode) -> str:
    return f"{s.value} {o.value}"


# ---- which groups a load changes ----------------------------------------------------------------------------


def changed(form: StoredForm, store: ox.Store, previous: ox.Store, graphs: Iterable[str],
            relabelled: set, written: set[str], articles: set[str]) -> set[str] | None:
    """The groups whose rows may differ between ``previous`` and ``store``, or None: all of them.
    ``graphs``: the graphs the load wrote; ``relabelled``: IRIs whose label, identifier or type changed in a
    graph that is no article's; ``written``: the articles the load wrote; ``articles``: those and the
    articles whose facts name a relabelled IRI (what a list makes again, see answers)."""
    if form.grouping == "relations":
        predicates = relation_predicates(form)
        out: set[str] = set()
        for g in graphs:
            node = ox.NamedNode(g)
            for s in (store, previous):
                for p in predicates:
                    out.update(pair_key(q.subject, q.object) for q in s.quads_for_pattern(None, p, None, node)
                               if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.NamedNode))
        for e in relabelled:
            if not isinstance(e, ox.NamedNode):
                continue
            for p in predicates:
                out.update(pair_key(e, q.object) for q in store.quads_for_pattern(e, p, None, DEFAULT)
                           if isinstance(q.object, ox.NamedNode))
                out.update(pair_key(q.subject, e) for q in store.quads_for_pattern(None, p, e, DEFAULT)
                           if isinstance(q.subject, ox.NamedNode))
        return out

    def is_record(a: str) -> bool:
        node = ox.NamedNode(a)
        return any(next(iter(s.quads_for_pattern(node, RDF.type, NF.ReferenceRecord, DEFAULT)), None)
                   for s in (store, previous))

    if any(is_record(a) for a in written):  # a reference record is compared with every claim
        return None
    out = set(articles)
    if any(is_record(a) for a in articles - written):
        # a record names a re-labelled member: the complete lists that leave it out say its label
        out.update(q.object.value for f in store.quads_for_pattern(None, NF.completeList, None, DEFAULT)
                   for q in store.quads_for_pattern(f.subject, PROV.wasDerivedFrom, None, DEFAULT)
                   if isinstance(q.object, ox.NamedNode))
    return out


#: a whole rebuild's batch of transfers (``TRANSFER supplier recipient item``) rather than of articles
TRANSFER = "transfer"


def every(form: StoredForm, store: ox.Store, articles: Callable[[], list[ox.NamedNode]]) -> list[str]:
    """Every group of the store (``articles()``: everything a fact is derived from).

    For ``comparisons`` the groups of a whole rebuild are not the articles: an article's batch would carry
    every claim about its transfers, and the busiest transfers' claims would be compared again in every
    batch (at 100,000 articles that is hours). Instead the claims that give a quantity are grouped by
    their transfer, each group made once, and the articles are batched (without those claims) only when
    there is a reference record to compare them with."""
    if form.grouping == "relations":
        out: set[str] = set()
        for p in relation_predicates(form):
            out.update(pair_key(q.subject, q.object) for q in store.quads_for_pattern(None, p, None, DEFAULT)
                       if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.NamedNode))
        return sorted(out)
    keys = {" ".join([TRANSFER, *(t.value for t in key)]) for key in _transfers(store)}
    records = next(iter(store.quads_for_pattern(None, RDF.type, NF.ReferenceRecord, DEFAULT)), None)
    return sorted(keys) + ([a.value for a in articles()] if records is not None else [])


def _transfers(store: ox.Store) -> dict[tuple, set]:
    """The claims that give a quantity, by their transfer (supplier, recipient, item)."""
    out: dict[tuple, set] = {}
    for q in store.quads_for_pattern(None, NF.quantity, None, DEFAULT):
        key = _transfer_key(store, q.subject)
        if key is not None and all(isinstance(t, ox.NamedNode) for t in key):
            out.setdefault(key, set()).add(q.subject)
    return out


# ---- what a batch of groups' rows are made of ---------------------------------------------------------------


class Builder:
    """Makes the small stores of one report's batches: ``data_for`` a batch of groups. ``whole``: every group
    is made, the groups :func:`every` lists (then the claims about each transfer are indexed once, by
    reading every quantity, instead of looked up per batch)."""

    def __init__(self, form: StoredForm, store: ox.Store, whole: bool):
        self.form, self.store, self.whole = form, store, whole
        self._classes = named_classes(form)
        self._class_set = set(self._classes)
        self._transfers: dict[tuple, set] | None = None

    def data_for(self, groups: list[str]) -> bytes:
        """The small store's content (N-Quads) from which the rows of ``groups`` are made."""
        quads = list(self._relations(groups) if self.form.grouping == "relations" else self._comparisons(groups))
        data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
        assert data is not None
        return data

    def _relations(self, groups: list[str]) -> Iterator[ox.Quad]:
        store = self.store
        graphs: set = set()
        ends: set[ox.NamedNode] = set()
        for key in groups:
            s, o = (ox.NamedNode(x) for x in key.split(" "))
            ends.update((s, o))
            for q in store.quads_for_pattern(s, None, o, None):  # every graph's, the default graph's too
                yield q
                if isinstance(q.graph_name, ox.NamedNode):
                    graphs.add(q.graph_name)
        for g in graphs:  # which article each graph is (…GRAPH ?graph { … ?article a nf:Article })
            for c in self._classes:
                yield from store.quads_for_pattern(None, RDF.type, c, g)
        yield from _labels(store, ends)

    def _comparisons(self, groups: list[str]) -> Iterator[ox.Quad]:
        store = self.store
        subjects: set = set()
        transfers = [tuple(ox.NamedNode(x) for x in g.split(" ")[1:]) for g in groups if g.startswith(TRANSFER + " ")]
        for key in transfers:  # a whole rebuild's batch of transfers: their claims, compared with each other
            subjects |= self._claims_about(key)
        articles = [ox.NamedNode(a) for a in groups if not a.startswith(TRANSFER + " ")]
        if articles:
            records = [q.subject for q in store.quads_for_pattern(None, RDF.type, NF.ReferenceRecord, DEFAULT)]
            subjects |= set(articles) | set(records)
            for a in [*articles, *records]:  # their claims of the kinds the query compares
                subjects.update(q.subject for q in store.quads_for_pattern(None, PROV.wasDerivedFrom, a, DEFAULT)
                                if any(t.object in self._class_set
                                       for t in store.quads_for_pattern(q.subject, RDF.type, None, DEFAULT))
                                and not (self.whole and _gives_quantity(store, q.subject)))
            if not self.whole:  # (a whole rebuild compares the quantities in the transfers' batches)
                subjects |= self._same_transfers(subjects)
        pointed: set = set()
        for s in subjects:
            for q in store.quads_for_pattern(s, None, None, DEFAULT):
                yield q
                if isinstance(q.object, ox.NamedNode):
                    pointed.add(q.object)
        # what the rows say of what the claims name: labels, the other claims' articles' identifiers and types
        yield from _labels(store, pointed - subjects)

    def _same_transfers(self, facts: set) -> set:
        """The claims that give a quantity for the same transfer as one of ``facts`` that gives one (two
        claims are compared only when both do)."""
        out: set = set()
        for f in facts:
            if not _gives_quantity(self.store, f):
                continue
            key = _transfer_key(self.store, f)
            if key is not None:
                out |= self._claims_about(key)
        return out

    def _claims_about(self, key: tuple) -> set:
        if self.whole:
            if self._transfers is None:
                self._transfers = _transfers(self.store)
            return self._transfers.get(key, set())
        return {c for c in _claims_with(self.store, key) if _gives_quantity(self.store, c)}


def _gives_quantity(store: ox.Store, fact: object) -> bool:
    return next(iter(store.quads_for_pattern(fact, NF.quantity, None, DEFAULT)), None) is not None  # type: ignore[arg-type]


def _labels(store: ox.Store, iris: Iterable) -> Iterator[ox.Quad]:
    for o in iris:
        for p in LABEL_PREDICATES:
            yield from store.quads_for_pattern(o, p, None, DEFAULT)


def _transfer_key(store: ox.Store, fact: object) -> tuple | None:
    key = tuple(next((q.object for q in store.quads_for_pattern(fact, p, None, DEFAULT)), None)  # type: ignore[arg-type]
                for p in TRANSFER_KEYS)
    return None if None in key else key


def _claims_with(store: ox.Store, key: tuple) -> set:
    """The subjects holding all three (role, value) pairs: the shortest of the three lists is read (read in
    step, the first that ends is the shortest), the others tested per subject."""
    lists = [store.quads_for_pattern(None, p, v, DEFAULT) for p, v in zip(TRANSFER_KEYS, key, strict=True)]
    read: list[list] = [[] for _ in lists]
    shortest = None
    while shortest is None:
        for i, it in enumerate(lists):
            q = next(it, None)
            if q is None:
                shortest = i
                break
            read[i].append(q.subject)
    return {c for c in read[shortest]
            if all(ox.Quad(c, p, v, DEFAULT) in store for p, v in zip(TRANSFER_KEYS, key, strict=True))}
