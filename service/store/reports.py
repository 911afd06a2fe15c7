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
from array import array
from collections.abc import Callable, Iterable, Iterator

import pyoxigraph as ox

from newsgraph.loaders.vocab import DCTERMS, NF, PREFIXES, PROV, RDF, RDFS
from newsgraph.service.sparql.stored import StoredForm
from newsgraph.service.sparql.text import tokens
from newsgraph.service.store.changes import Change

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


def changed(form: StoredForm, store: ox.Store, previous: ox.Store, change: Change,
            relabelled: set, written: set[str], articles: set[str]) -> set[str] | None:
    """The groups whose rows may differ between ``previous`` and ``store``, or None: all of them.
    ``change``: what the load wrote; ``relabelled``: IRIs whose label, identifier or type changed in a
    graph that is no article's; ``written``: the articles the load wrote; ``articles``: those and the
    articles whose facts name a relabelled IRI (what a list makes again, see answers)."""
    if form.grouping == "relations":
        predicates = relation_predicates(form)
        out: set[str] = set()
        for g in change.replaced():
            node = ox.NamedNode(g)
            for s in (store, previous):
                for p in predicates:
                    out.update(pair_key(q.subject, q.object) for q in s.quads_for_pattern(None, p, None, node)
                               if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.NamedNode))
        out.update(pair_key(t.subject, t.object) for added in change.added.values() for t in added
                   if t.predicate in predicates and isinstance(t.subject, ox.NamedNode)
                   and isinstance(t.object, ox.NamedNode))
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
#: resources whose labels a builder keeps at hand (the busiest are in most batches); past this the
#: memo starts again, so that its memory stays bounded
LABELLED_MEMO = 200_000


class Builder:
    """Makes the small stores of one report's batches: ``data_for`` a batch of groups.

    ``whole``: every group is made, the groups :meth:`every` lists. A whole rebuild reads what its batches
    need by scanning the store once per predicate and class, in index order, instead of looking it up per
    group: at 100,000 articles the store is larger than the memory the page cache gets, and each of
    ~130,000 lookups per 20,000 subject–object pairs cost ~0.25 ms (most of the time of a rebuild), while
    a scan reads ~50,000 quads per second in order."""

    def __init__(self, form: StoredForm, store: ox.Store, whole: bool):
        self.form, self.store, self.whole = form, store, whole
        self._classes = named_classes(form)
        self._class_set = set(self._classes)
        self._transfers: dict[tuple, set] | None = None
        self._quantified: set = set()
        # a whole rebuild of ``relations``: "subject object" -> packed (graph number, predicate number)
        self._pairs: dict[str, array] = {}
        self._predicates = relation_predicates(form)
        self._graphs: list = [DEFAULT]
        self._typing: dict = {}  # graph -> its typing quads of the query's classes
        self._labelled: dict = {}
        # a whole rebuild of ``comparisons``: article -> its claims compared with the records
        self._claims_of: dict = {}
        self._records: list = []

    def every(self) -> list[str]:
        """Every group of the store, read for a whole rebuild.

        For ``comparisons`` the groups of a whole rebuild are not every article: an article's batch would
        carry every claim about its transfers, and the busiest transfers' claims would be compared again in
        every batch (at 100,000 articles that is hours). Instead the claims that give a quantity are grouped
        by their transfer, each group made once, and the articles with claims of the query's classes are
        batched (without those claims) only when there is a reference record to compare them with."""
        assert self.whole
        if self.form.grouping == "relations":
            self._index_pairs()
            return sorted(self._pairs)
        keys = sorted(" ".join([TRANSFER, *(t.value for t in key)]) for key in self._transfer_index())
        self._records = [q.subject for q in self.store.quads_for_pattern(None, RDF.type, NF.ReferenceRecord, DEFAULT)]
        if not self._records:
            return keys
        for c in self._classes:
            for q in self.store.quads_for_pattern(None, RDF.type, c, DEFAULT):
                if q.subject in self._quantified:  # (compared in the transfers' batches)
                    continue
                for d in self.store.quads_for_pattern(q.subject, PROV.wasDerivedFrom, None, DEFAULT):
                    self._claims_of.setdefault(d.object, set()).add(q.subject)
        return keys + sorted(a.value for a in self._claims_of if isinstance(a, ox.NamedNode))

    def _index_pairs(self) -> None:
        graph_number: dict = {DEFAULT: 0}
        n = len(self._predicates)
        for i, p in enumerate(self._predicates):
            for q in self.store.quads_for_pattern(None, p, None, None):  # every graph's, the default graph's too
                s, o, g = q.subject, q.object, q.graph_name
                if not (isinstance(s, ox.NamedNode) and isinstance(o, ox.NamedNode)):
                    continue
                number = graph_number.get(g)
                if number is None:
                    number = graph_number[g] = len(self._graphs)
                    self._graphs.append(g)
                packed = self._pairs.get(key := pair_key(s, o))
                if packed is None:
                    packed = self._pairs[key] = array("q")
                packed.append(number * n + i)
        for c in self._classes:  # which article each graph is
            for q in self.store.quads_for_pattern(None, RDF.type, c, None):
                if not isinstance(q.graph_name, ox.DefaultGraph):
                    self._typing.setdefault(q.graph_name, []).append(q)

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
        n = len(self._predicates)
        for key in groups:
            s, o = (ox.NamedNode(x) for x in key.split(" "))
            ends.update((s, o))
            if self.whole:
                for packed in self._pairs[key]:
                    number, i = divmod(packed, n)
                    yield ox.Quad(s, self._predicates[i], o, self._graphs[number])
                    if number:
                        graphs.add(self._graphs[number])
                continue
            for q in store.quads_for_pattern(s, None, o, None):  # every graph's, the default graph's too
                yield q
                if isinstance(q.graph_name, ox.NamedNode):
                    graphs.add(q.graph_name)
        for g in graphs:  # which article each graph is (…GRAPH ?graph { … ?article a nf:Article })
            if self.whole:
                yield from self._typing.get(g, ())
                continue
            for c in self._classes:
                yield from store.quads_for_pattern(None, RDF.type, c, g)
        yield from self._labels(ends)

    def _comparisons(self, groups: list[str]) -> Iterator[ox.Quad]:
        store = self.store
        subjects: set = set()
        transfers = [tuple(ox.NamedNode(x) for x in g.split(" ")[1:]) for g in groups if g.startswith(TRANSFER + " ")]
        for key in transfers:  # a whole rebuild's batch of transfers: their claims, compared with each other
            subjects |= self._claims_about(key)
        articles = [ox.NamedNode(a) for a in groups if not a.startswith(TRANSFER + " ")]
        if articles and self.whole:  # (a whole rebuild compares the quantities in the transfers' batches)
            subjects |= {*articles, *self._records}
            for a in [*articles, *self._records]:
                subjects |= self._claims_of.get(a, set())
        elif articles:
            records = [q.subject for q in store.quads_for_pattern(None, RDF.type, NF.ReferenceRecord, DEFAULT)]
            subjects |= set(articles) | set(records)
            for a in [*articles, *records]:  # their claims of the kinds the query compares
                subjects.update(q.subject for q in store.quads_for_pattern(None, PROV.wasDerivedFrom, a, DEFAULT)
                                if any(t.object in self._class_set
                                       for t in store.quads_for_pattern(q.subject, RDF.type, None, DEFAULT)))
            subjects |= self._same_transfers(subjects)
        # what the rows say of what the claims name: labels, the other claims' articles' identifiers and types
        yield from with_labels(store, subjects, self._labels)

    def _labels(self, iris: Iterable) -> Iterator[ox.Quad]:
        for o in iris:
            quads = self._labelled.get(o)
            if quads is None:
                if len(self._labelled) >= LABELLED_MEMO:
                    self._labelled.clear()
                quads = self._labelled[o] = list(_labels(self.store, (o,)))
            yield from quads

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
            return self._transfer_index().get(key, set())
        return {c for c in _claims_with(self.store, key) if _gives_quantity(self.store, c)}

    def _transfer_index(self) -> dict[tuple, set]:
        """The claims that give a quantity, by their transfer (supplier, recipient, item): each role read
        by one scan, kept for the claims that give a quantity (the first value in index order, as a lookup
        would give it)."""
        if self._transfers is None:
            store = self.store
            self._quantified = {q.subject for q in store.quads_for_pattern(None, NF.quantity, None, DEFAULT)}
            roles: list[dict] = []
            for p in TRANSFER_KEYS:
                values: dict = {}
                for q in store.quads_for_pattern(None, p, None, DEFAULT):
                    if q.subject in self._quantified and q.subject not in values:
                        values[q.subject] = q.object
                roles.append(values)
            self._transfers = {}
            for claim in self._quantified:
                key = tuple(r.get(claim) for r in roles)
                if all(isinstance(t, ox.NamedNode) for t in key):
                    self._transfers.setdefault(key, set()).add(claim)
        return self._transfers


def with_labels(store: ox.Store, subjects: set, labels: Callable[[set], Iterable[ox.Quad]]) -> Iterator[ox.Quad]:
    """Every quad of ``subjects`` in the default graph, then ``labels`` of the IRIs they point to (their
    labels, identifiers and types): what a small store needs so that rows can name what facts name."""
    pointed: set = set()
    for s in subjects:
        for q in store.quads_for_pattern(s, None, None, DEFAULT):
            yield q
            if isinstance(q.object, ox.NamedNode):
                pointed.add(q.object)
    yield from labels(pointed - subjects)


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
