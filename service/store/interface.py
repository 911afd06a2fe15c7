"""What every store offers the rest of the service, written down as protocols both backends implement.

The embedded store (:mod:`.embedded`) and the remote one (:mod:`.remote`) are interchangeable behind
:class:`Reader` and :class:`Writer`; the web layer, the command line and the executors name only these.
Keeping them here, apart from either backend, is also what lets the two backends import each other's
interface without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

import pyoxigraph as ox

from newsgraph.loaders import Entity, Unit, entities_from
from newsgraph.loaders.vocab import Iris
from newsgraph.service.store import linkstats
from newsgraph.service.store.linkstats import Links


class StoreError(Exception):
    """A store that cannot be opened or written, with a message for the person at the terminal."""


def solutions(answer: object) -> ox.QuerySolutions:
    """The answer to a SELECT query, as what it is: a store's ``query`` answers booleans and triples too."""
    assert isinstance(answer, ox.QuerySolutions), f"a SELECT query answered {type(answer).__name__}"
    return answer


@runtime_checkable
class Writer(Protocol):
    """A load session: units and updates applied together, made visible to readers by :meth:`commit`.
    Used as a context manager: leaving it normally commits, leaving it by an exception discards."""

    def __enter__(self) -> Writer: ...
    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]: ...
    def digest(self, graph: ox.NamedNode) -> str | None: ...
    def write(self, unit: Unit) -> bool: ...
    def update(self, sparql: str, base_iri: str | None = None) -> None: ...
    def ensure_ontology(self, iris: Iris) -> None: ...
    def commit(self) -> None: ...


@runtime_checkable
class Reader(Protocol):
    """A read view of the dataset; the default graph is the union of all graphs."""

    location: str
    plain: bool
    version: str | None
    #: names this view's data for caches kept across stores (None: the data can change in place, keep nothing)
    cache_key: str | None

    def query(self, sparql: str, *, substitutions: dict[ox.Variable, Any] | None = None,
              base_iri: str | None = None, default_graph: list[ox.NamedNode] | None = None,
              named_graphs: list[ox.NamedNode] | None = None) -> Any: ...
    def triples(self, s: ox.NamedNode | ox.BlankNode | None = None, p: ox.NamedNode | None = None,
                o: Any = None, limit: int | None = None) -> list[ox.Triple]: ...
    def about(self, nodes: Iterable[Any], predicates: Iterable[ox.NamedNode] | None = None) -> list[ox.Triple]: ...
    def quads(self, graph: ox.NamedNode) -> list[ox.Quad]: ...
    def __len__(self) -> int: ...
    def is_empty(self) -> bool: ...
    def digests(self, graphs: Iterable[str] | None = None) -> dict[str, str]: ...
    def dump(self, output: IO[bytes], fmt: ox.RdfFormat) -> None: ...
    def is_stale(self) -> bool: ...
    def close(self) -> None: ...
    def stats(self) -> dict[str, int]: ...
    def class_counts(self) -> list[tuple[ox.NamedNode, int]]: ...
    def known_entities(self, ids: Iterable[str] | None = None, wikidata: Iterable[str] = ()) -> list[Entity]: ...
    def links(self, iri: ox.NamedNode) -> Links | None: ...
    def derive_in_workers(self) -> tuple[Callable[..., None], tuple] | None: ...
    def stored_page(self, plan: Any, offset: int, count: int) -> list[bytes] | None: ...
    def stored_links(self, iri: ox.NamedNode, prop: ox.NamedNode, offset: int, count: int,
                     total: int) -> list[ox.NamedNode] | None: ...
    def fact_count(self, iri: ox.NamedNode) -> int: ...
    def writer(self) -> Writer: ...


class Current(Protocol):
    """Hands out the read view a request uses: the current version's (the web layer's ``CurrentStore``)."""

    def get(self) -> Reader: ...


class SparqlReads:
    """What a store answers through SPARQL alone, the same on the embedded store and a remote engine."""

    if TYPE_CHECKING:  # what the stores that inherit these methods provide them with
        def query(self, sparql: str, *, substitutions: dict[ox.Variable, Any] | None = None,
                  base_iri: str | None = None, default_graph: list[ox.NamedNode] | None = None,
                  named_graphs: list[ox.NamedNode] | None = None) -> Any: ...
        def __len__(self) -> int: ...

    def stats(self) -> dict[str, int]:
        articles = next(iter(self.query(linkstats.ARTICLES)))[0]
        return {"triples": len(self), "articles": int(articles.value)}

    def class_counts(self) -> list[tuple[ox.NamedNode, int]]:
        """How many distinct resources each class has, most populous first."""
        rows = self.query("SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?c)) } "
                          "GROUP BY ?c ORDER BY DESC(?n) ?c")
        return [(row["c"], int(row["n"].value)) for row in rows]

    def known_entities(self, ids: Iterable[str] | None = None, wikidata: Iterable[str] = ()) -> list[Entity]:
        """The entities in the store, with labels and aliases, for resolving ids and names in new input:
        every one, or those with ``ids`` and those holding one of the ``wikidata`` ids."""
        return entities_from(self, ids, wikidata)

    def links(self, iri: ox.NamedNode) -> Links | None:
        """The entity's link counts as its version's load counted them (see :mod:`.linkstats`),
        or None: then whoever needs them counts them live."""
        return None

    def derive_in_workers(self) -> tuple[Callable[..., None], tuple] | None:
        """What a load's workers should compute from the units they map, for this store (``plan_load``'s
        ``derive``); None: nothing, the writer computes what it needs at commit."""
        return None

    def stored_page(self, plan: Any, offset: int, count: int) -> list[bytes] | None:
        """Rows of a saved query's answer that the load stored for this version (see
        :mod:`newsgraph.service.store.answers`, whose ``terms`` reads one); None: SPARQL answers."""
        return None

    def stored_links(self, iri: ox.NamedNode, prop: ox.NamedNode, offset: int, count: int,
                     total: int) -> list[ox.NamedNode] | None:
        """A page of a large dated group of an entity page, newest first, as the load stored it for this
        version (:mod:`newsgraph.service.store.answers`); None: the group is read in index order."""
        return None

    def fact_count(self, iri: ox.NamedNode) -> int:
        """How many facts name the resource in one of their roles (the rule of :data:`linkstats.FACTS`)."""
        rows = self.query(linkstats.FACTS_OF, substitutions={ox.Variable("r"): iri})
        return int(next(iter(rows))["n"].value)
