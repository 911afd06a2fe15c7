"""What a load changed, as the steps of its commit (link counts, stored rows) need to know it.

Why a record of its own: the graphs an article's sheet adds to without replacing them (its entity
declarations, in the shared entities graph) hold every entity of the store. Comparing such a graph in
the two versions costs what the store holds (seconds at 100,000 articles) for the few triples one
article added; the writer knows those triples, so it keeps them here.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import pyoxigraph as ox


@dataclass
class Change:
    """``articles``: the graphs of the articles a load wrote (or replaced); ``others``: the other graphs it
    replaced (a registry's, the ontology's); ``added``: what it added to graphs it did not replace (an
    article's entity declarations), by graph; ``whole``: anything else (RDF files, a SPARQL update) —
    then everything is counted and made again."""

    articles: set[str] = field(default_factory=set)
    others: set[str] = field(default_factory=set)
    added: dict[str, set[ox.Triple]] = field(default_factory=dict)
    whole: bool = False

    def replaced(self) -> set[str]:
        return self.articles | self.others

    def graphs(self) -> set[str]:
        """Every graph the load wrote into."""
        return self.articles | self.others | set(self.added)

    def differences(self, store: ox.Store, previous: ox.Store, graphs: Collection[str] | None = None,
                    predicates: Collection[ox.NamedNode] | None = None) -> set[ox.Triple]:
        """The triples that one version holds in a changed graph (of ``graphs``; every one: None) and the
        other does not, with one of ``predicates`` (any: None)."""
        out: set[ox.Triple] = set()
        for g in self.replaced() if graphs is None else self.replaced() & set(graphs):
            node = ox.NamedNode(g)
            for p in predicates or (None,):
                new = {q.triple for q in store.quads_for_pattern(None, p, None, node)}
                old = {q.triple for q in previous.quads_for_pattern(None, p, None, node)}
                out |= new ^ old
        for g, added in self.added.items():
            if graphs is None or g in graphs:
                out |= {t for t in added if predicates is None or t.predicate in predicates}
        return out
