"""The store interface and the embedded pyoxigraph store.

Everything that reads or writes the dataset goes through :class:`Store`, so the HTTP interface and
the command line see the same dataset view: the default graph is the union of all graphs. Writes
come as load units (drop some graphs, insert quads) and each unit is one SPARQL Update request,
which pyoxigraph applies in one transaction: an article lands whole or not at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from loaders.entities import STORE
from loaders.plan import Unit
from loaders.records import Entity
from loaders.shacl import ONTOLOGY_FILE
from loaders.vocab import CLASS_ENTITY_TYPES, ENTITY_CLASSES, NF, PREFIXES, Iris


class StoreError(Exception):
    """A store that cannot be opened or used, with a message for the person at the terminal."""


class Store:
    """The embedded pyoxigraph store: a folder on disk, or ``memory:``."""

    def __init__(self, location: str = "data/store", *, _store: ox.Store | None = None):
        self.location = location
        self._read_only = _store is not None
        if _store is not None:
            self._store = _store
            return
        try:
            if location == "memory:":
                self._store = ox.Store()
            else:
                Path(location).mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(location)
        except OSError as e:
            if "lock" in str(e).lower():
                raise StoreError(f"the store at {location} is open in another process "
                                 f"(a running `newsgraph serve` or `load`?): {e}") from None
            raise StoreError(f"cannot open the store at {location}: {e}") from None

    @classmethod
    def read_only(cls, location: str) -> Store:
        """A read-only view beside a writer: a snapshot of the store as it is when opened."""
        try:
            return cls(location, _store=ox.Store.read_only(location))
        except OSError as e:
            raise StoreError(f"cannot open the store at {location} read-only: {e}") from None

    # ---- reading --------------------------------------------------------------------------------

    def query(self, sparql: str, *, substitutions: dict[ox.Variable, Any] | None = None,
              base_iri: str | None = None, union: bool = True):
        """Run a SPARQL query; the default graph is the union of all graphs unless ``union`` is False."""
        return self._store.query(sparql, use_default_graph_as_union=union, substitutions=substitutions,
                                 base_iri=base_iri, prefixes=PREFIXES)

    def __len__(self) -> int:
        return len(self._store)

    def stats(self) -> dict[str, int]:
        articles = next(iter(self.query("SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a nf:Article }")))[0]
        return {"triples": len(self._store), "articles": int(articles.value)}

    def digest(self, graph: ox.NamedNode) -> str | None:
        for q in self._store.quads_for_pattern(graph, NF.contentDigest, None, graph):
            return q.object.value
        return None

    def is_empty(self) -> bool:
        return next(iter(self._store.quads_for_pattern(None, None, None, None)), None) is None

    def known_entities(self) -> list[Entity]:
        """Every entity in the store, with labels and aliases, for resolving ids and names in new input."""
        classes = " ".join(f"<{c.value}>" for c in ENTITY_CLASSES.values())
        found: dict[str, Entity] = {}
        rows = self.query(f"""
            SELECT ?cls ?id ?wd ?role WHERE {{
              VALUES ?cls {{ {classes} }}
              ?e a ?cls ; dcterms:identifier ?id .
              OPTIONAL {{ ?e owl:sameAs ?wd FILTER(STRSTARTS(STR(?wd), "http://www.wikidata.org/entity/Q")) }}
              OPTIONAL {{ ?e nf:role ?role }}
            }}""")
        for cls, eid, wd, role in rows:
            e = found.setdefault(eid.value, Entity(eid.value, CLASS_ENTITY_TYPES[cls.value], file=STORE))
            if wd is not None:
                e.wikidata = wd.value.rsplit("/", 1)[1]
            if role is not None:
                e.role = role.value
        for eid, label, alias in self.query(f"""
            SELECT ?id ?label ?alias WHERE {{
              VALUES ?cls {{ {classes} }}
              ?e a ?cls ; dcterms:identifier ?id .
              {{ ?e rdfs:label ?label }} UNION {{ ?e skos:altLabel ?alias }}
            }}"""):
            e = found[eid.value]
            if label is not None and label.language and label.language not in e.labels:
                e.labels[label.language] = label.value
            elif alias is not None and alias.value not in e.aliases:
                e.aliases.append(alias.value)
        return list(found.values())

    def dump(self, output: IO[bytes], fmt: ox.RdfFormat) -> None:
        prefixes = PREFIXES if fmt in (ox.RdfFormat.TRIG, ox.RdfFormat.TURTLE) else None
        self._store.dump(output, fmt, prefixes=prefixes)

    # ---- writing --------------------------------------------------------------------------------

    def write(self, unit: Unit) -> bool:
        """Apply one unit in one transaction. False when the store already holds exactly this content."""
        if unit.digest is not None and unit.replace and self.digest(unit.replace[0]) == unit.digest:
            return False
        if not unit.replace and all(q in self._store for q in unit.quads):
            return False  # an add-only unit (a registry) whose triples are all there already
        self._store.update(update_text(unit.replace, unit.quads))
        return True

    def ensure_ontology(self, iris: Iris) -> None:
        """Keep a copy of the ontology in the store, so queries can use its labels and hierarchy."""
        data = ONTOLOGY_FILE.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        graph = iris.ontology_graph
        if self.digest(graph) == digest:
            return
        quads = [ox.Quad(t.subject, t.predicate, t.object, graph)
                 for t in ox.parse(data, format=ox.RdfFormat.TURTLE)]
        quads.append(ox.Quad(graph, NF.contentDigest, ox.Literal(digest), graph))
        self._store.update(update_text([graph], quads))

    def flush(self) -> None:
        self._store.flush()

    def close(self) -> None:
        """Release the store (and its folder lock) now rather than whenever it is collected."""
        store = self.__dict__.pop("_store", None)
        if store is not None and not self._read_only:
            store.flush()


def update_text(replace: Iterable[ox.NamedNode], quads: Iterable[ox.Quad]) -> str:
    """One SPARQL Update request that drops graphs and inserts quads; terms print as N-Triples."""
    parts = [f"DROP SILENT GRAPH {g} ;" for g in replace]
    by_graph: dict[str, list[str]] = {}
    for q in quads:
        by_graph.setdefault(str(q.graph_name), []).append(f"{q.subject} {q.predicate} {q.object} .")
    if by_graph:
        parts.append("INSERT DATA {")
        for g, triples in by_graph.items():
            parts.append(f"GRAPH {g} {{")
            parts.extend(triples)
            parts.append("}")
        parts.append("}")
    elif parts:
        parts[-1] = parts[-1].rstrip(" ;")
    return "\n".join(parts)


def open_store(location: str) -> Store:
    """The store a location names: a folder, ``memory:``, or (later) a remote SPARQL endpoint."""
    if location.startswith(("http://", "https://")):
        raise StoreError(f"remote SPARQL stores ({location}) are not supported yet: use a folder or memory:")
    return Store(location)
