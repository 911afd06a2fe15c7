"""The unit of work a load hands to a store writer: one file's graphs to replace and quads to insert."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox


@dataclass
class Unit:
    """One file's effect on the store: drop the ``replace`` graphs, then insert ``data``.

    The quads travel as N-Quads bytes: serialising and parsing them is done by pyoxigraph in Rust,
    some 25 times faster than pickling quad objects between processes.
    """

    file: str
    kind: str  # article | registry | rdf | ontology
    replace: list[ox.NamedNode]
    data: bytes
    count: int
    #: for articles: the content digest; the writer skips the unit when the store holds the same
    digest: str | None = None
    articles: int = 0
    facts: int = 0
    #: graphs it adds to without replacing them (the entities graph): what a load changed, for the
    #: rows it stores (newsgraph.service.store.answers)
    touches: list[ox.NamedNode] = field(default_factory=list)
    #: the same triples as N-Triples, graphs dropped: what the default graph gets (made where the unit
    #: is, in a worker, rather than by the writer, whose thread is a large load's bottleneck)
    triples: bytes | None = None
    #: what the store computed from the unit where it was made (``plan_load``'s ``derive``)
    derived: Any = None

    @classmethod
    def of(cls, file: str, kind: str, replace: list[ox.NamedNode], quads: list[ox.Quad], **kw: Any) -> Unit:
        return cls(file, kind, replace, nquads(quads), len(quads), **kw)

    def quads(self) -> list[ox.Quad]:
        return list(ox.parse(self.data, format=ox.RdfFormat.N_QUADS))


def ntriples(quads: Iterable[ox.Quad]) -> bytes:
    """The quads' triples as N-Triples."""
    data = ox.serialize((q.triple for q in quads), format=ox.RdfFormat.N_TRIPLES)
    assert data is not None
    return data


def nquads(quads: Iterable[ox.Quad]) -> bytes:
    """The quads as N-Quads."""
    data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    assert data is not None  # given no output, serialize returns the bytes (pyoxigraph's stub says bytes | None)
    return data
