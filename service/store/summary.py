"""The dataset in figures: what the home page and the VoID description say about its size and shape.

Counting classes and years reads every fact, so the figures are worked out once per store version
and kept: a load or an update makes a new version, and the next request counts again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import pyoxigraph as ox

from newsgraph.loaders.ontology import CLASS_FACT_KINDS
from newsgraph.loaders.vocab import CLASS_ENTITY_TYPES
from newsgraph.service.store.interface import Reader

NEWEST = """
SELECT ?article ?title ?published ?reference WHERE {
  ?article a nf:Article ; schema:headline ?title ; schema:datePublished|schema:dateCreated ?published .
  BIND(EXISTS { ?article a nf:ReferenceRecord } AS ?reference)
} ORDER BY DESC(?published) ?article LIMIT 8"""
BY_YEAR = """
SELECT ?class ?year (COUNT(DISTINCT ?fact) AS ?n) WHERE {
  ?fact a nf:Fact ; a ?class ; nf:earliest ?earliest .
  FILTER(?class != nf:Fact && ?class != org:Membership)
  BIND(YEAR(?earliest) AS ?year)
} GROUP BY ?class ?year"""


@dataclass
class Figures:
    triples: int = 0
    articles: int = 0
    references: int = 0
    facts: int = 0
    facts_by_kind: dict[str, int] = field(default_factory=dict)
    entities: int = 0
    entities_by_kind: dict[str, int] = field(default_factory=dict)
    classes: list[tuple[ox.NamedNode, int]] = field(default_factory=list)
    newest: list[dict] = field(default_factory=list)
    by_year: dict[int, dict[str, int]] = field(default_factory=dict)


_cache: dict[str, Figures] = {}
_lock = threading.Lock()
_counting = threading.Lock()  # one count at a time: requests that arrive meanwhile wait for it, not count again


def figures(store: Reader) -> Figures:
    """The figures of the store's current version, counted once per version."""
    key = store.cache_key  # not the version alone: two stores in one process share this cache
    with _lock:
        found = _cache.get(key) if key else None
    if found is not None:
        return found
    with _counting:
        with _lock:
            found = _cache.get(key) if key else None
        if found is not None:
            return found
        f = _count(store)
        if key:
            with _lock:
                _cache.clear()
                _cache[key] = f
    return f


def _count(store: Reader) -> Figures:
    f = Figures(triples=len(store))
    f.classes = store.class_counts()
    counts = {cls.value: n for cls, n in f.classes}
    f.articles = counts.get("https://w3id.org/newsgraph/ns#Article", 0)
    f.references = counts.get("https://w3id.org/newsgraph/ns#ReferenceRecord", 0)
    f.facts = counts.get("https://w3id.org/newsgraph/ns#Fact", 0)
    f.facts_by_kind = {kind: counts[iri] for iri, kind in CLASS_FACT_KINDS.items() if counts.get(iri)}
    f.entities_by_kind = {kind: counts[iri] for iri, kind in CLASS_ENTITY_TYPES.items() if counts.get(iri)}
    f.entities = sum(f.entities_by_kind.values())
    for row in store.query(NEWEST):
        f.newest.append({"iri": row["article"].value, "title": row["title"].value,
                         "published": row["published"].value, "reference": row["reference"].value == "true"})
    for row in store.query(BY_YEAR):
        kind = CLASS_FACT_KINDS.get(row["class"].value)
        if kind is not None and row["year"] is not None:
            f.by_year.setdefault(int(row["year"].value), {})[kind] = int(row["n"].value)
    return f
