"""How many links each well-linked entity has, per property — counted once per store version, at load.

Why: an entity page says how many facts name the entity and how many links each property brings, and
pages through them. Counting those on every request costs time in proportion to the links: the most
linked country of a 100,000-article corpus is named by ~130,000 facts, and counting them took seconds.
The counts only change when a load makes a new version, so the load counts them once, for every
entity with at least ``MIN_LINKS`` links, and leaves them beside the version as
``NNNNNN.links.json``; descriptions read them there, and count live what the file does not hold
(small entities, a remote store, a memory store, a version written before this file existed).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from newsgraph.loaders.ontology import ROLE_NAMES
from newsgraph.loaders.vocab import ENTITY_CLASSES, NF, PREFIXES, RDF
from newsgraph.service.store.changes import Change

#: entities with fewer links in both directions together are counted live: that takes about a millisecond
MIN_LINKS = 200
SUFFIX = ".links.json"
FORMAT = 1

_CLASSES = " ".join(f"<{c.value}>" for c in ENTITY_CLASSES.values())
#: the properties by which a fact names an entity in one of its roles
ROLE_NODES = [ox.NamedNode(iri) for iri in sorted(ROLE_NAMES)]
ARTICLE = NF.Article
_ROLES = " ".join(str(p) for p in ROLE_NODES)
IN_LINKS = f"SELECT ?r ?p (COUNT(DISTINCT ?s) AS ?n) WHERE {{ VALUES ?c {{ {_CLASSES} }} ?r a ?c . ?s ?p ?r }} " \
           "GROUP BY ?r ?p"
OUT_LINKS = f"SELECT ?r ?p (COUNT(DISTINCT ?o) AS ?n) WHERE {{ VALUES ?c {{ {_CLASSES} }} ?r a ?c . ?r ?p ?o }} " \
            "GROUP BY ?r ?p"
#: the facts that name an entity: the resources that name it in one of the roles of the fact kinds (an
#: RDF file's plain org:Membership counts too: it is a membership claim). Not also `?f a nf:Fact`: that
#: join took 130 s at 100,000 articles against 3 s without it. describe counts live by the same rule.
FACTS = f"SELECT ?r (COUNT(DISTINCT ?f) AS ?n) WHERE {{ VALUES ?p {{ {_ROLES} }} ?f ?p ?r }} GROUP BY ?r"
ARTICLES = "SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a nf:Article }"
FACTS_OF = f"SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE {{ VALUES ?p {{ {_ROLES} }} ?f ?p ?r }}"


@dataclass(frozen=True)
class Links:
    """One entity's counts: (property, distinct resources) each way, and the facts that name it."""

    incoming: list[tuple[ox.NamedNode, int]]
    outgoing: list[tuple[ox.NamedNode, int]]
    facts: int


def path_for(version_dir: Path) -> Path:
    return version_dir.with_name(version_dir.name + SUFFIX)


def _select(store: ox.Store, query: str) -> ox.QuerySolutions:
    rows = store.query(query, prefixes=PREFIXES)
    assert isinstance(rows, ox.QuerySolutions)  # a SELECT query answers solutions
    return rows


def count(store: ox.Store) -> dict[str, Any]:
    """The counts of every well-linked entity in ``store`` (a whole version whose default graph is the set of
    all its triples: see :mod:`.embedded`), as the file holds them."""
    by: dict[str, dict] = {}

    def collect(query: str, key: str) -> None:
        for row in _select(store, query):
            by.setdefault(row["r"].value, {"in": [], "out": [], "facts": 0})[key].append(
                [row["p"].value, int(row["n"].value)])

    collect(IN_LINKS, "in")
    collect(OUT_LINKS, "out")
    for row in _select(store, FACTS):
        if row["r"].value in by:
            by[row["r"].value]["facts"] = int(row["n"].value)
    heavy = {iri: c for iri, c in by.items() if sum(n for _, n in c["in"]) + sum(n for _, n in c["out"]) >= MIN_LINKS}
    articles = next(iter(_select(store, ARTICLES)))["n"]
    # what /health reports: counting 44 million quads takes seconds, too long for a health check
    triples = next(iter(_select(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))["n"]
    return {"format": FORMAT, "min_links": MIN_LINKS, "triples": int(triples.value), "articles": int(articles.value),
            "entities": heavy}


def write(store: ox.Store, version_dir: Path, previous: ox.Store | None = None, previous_dir: Path | None = None,
          change: Change | None = None) -> None:
    """Count and write the file for a version about to be committed (atomically: a reader sees all or none):
    from the previous version's file with the entities that the ``change`` names counted again, or
    (no previous file, no ``change``) from the whole store."""
    target = path_for(version_dir)
    tmp = target.with_name(target.name + ".tmp")
    data = None
    if previous is not None and previous_dir is not None and change is not None:
        data = _recount(store, previous, path_for(previous_dir), change)
    if data is None:
        data = count(store)
    tmp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, target)


def _recount(store: ox.Store, previous: ox.Store, source: Path, change: Change) -> dict[str, Any] | None:
    """The previous counts moved by what the default graph gained and lost in the graphs the load changed.

    The counts are of distinct resources per (entity, property), which in a graph (a set of triples) is
    the number of its triples: a triple the default graph gained adds one, one it lost takes one away. An
    entity's facts change where a fact gains its first role link to it or loses its last (two lookups).
    An entity the file does not hold yet, or whose type changed, is counted whole (a small one is cheap;
    a type change is rare). The cost follows the changes, not the entities' sizes nor the store."""
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("format") != FORMAT or data.get("min_links") != MIN_LINKS or not isinstance(data.get("triples"), int):
        return None
    default = ox.DefaultGraph()
    changed = change.differences(store, previous)  # what a changed graph holds in one version and not the other
    entities = {iri: {"in": dict(map(tuple, c["in"])), "out": dict(map(tuple, c["out"])), "facts": c["facts"]}
                for iri, c in data["entities"].items()}
    whole: set[ox.NamedNode] = set()  # counted again from the store
    pairs: set[tuple[Any, ox.NamedNode]] = set()  # (fact, entity) whose role links changed
    roles = {p.value for p in ROLE_NODES}
    for t in changed:
        d = ((ox.Quad(t.subject, t.predicate, t.object, default) in store)
             - (ox.Quad(t.subject, t.predicate, t.object, default) in previous))
        if not d:
            continue  # another graph holds it too: the default graph is as it was
        data["triples"] += d
        p = t.predicate.value
        if t.predicate == RDF.type:
            if t.object == ARTICLE:
                data["articles"] += d
            if isinstance(t.subject, ox.NamedNode):
                whole.add(t.subject)
        # a link into its object, out of its subject
        ends: list[tuple[Any, str]] = [(t.object, "in"), (t.subject, "out")]
        for node, way in ends:
            if not isinstance(node, ox.NamedNode):
                continue
            c = entities.get(node.value)
            if c is None:
                whole.add(node)
            elif node not in whole:
                c[way][p] = c[way].get(p, 0) + d
                if way == "in" and p in roles:
                    pairs.add((t.subject, node))
    for fact, r in pairs:  # a fact counts once, whatever its roles: did it name the entity before, and now?
        if r not in whole and r.value in entities:
            entities[r.value]["facts"] += _names(store, fact, r) - _names(previous, fact, r)
    classes = {c.value for c in ENTITY_CLASSES.values()}
    for r in whole:
        entities.pop(r.value, None)
        if any(q.object.value in classes for q in store.quads_for_pattern(r, RDF.type, None, default)
               if isinstance(q.object, ox.NamedNode)):
            c = _count_one(store, r)
            entities[r.value] = {"in": dict(map(tuple, c["in"])), "out": dict(map(tuple, c["out"])),
                                 "facts": c["facts"]}
    data["entities"] = {}
    for iri, c in entities.items():
        incoming = [[p, n] for p, n in c["in"].items() if n > 0]
        outgoing = [[p, n] for p, n in c["out"].items() if n > 0]
        if sum(n for _, n in incoming) + sum(n for _, n in outgoing) >= MIN_LINKS:
            data["entities"][iri] = {"in": incoming, "out": outgoing, "facts": c["facts"]}
    return data


def _names(store: ox.Store, fact: object, entity: ox.NamedNode) -> bool:
    """Whether ``fact`` names ``entity`` in one of the roles, in that version's default graph."""
    default = ox.DefaultGraph()
    if not isinstance(fact, ox.NamedNode | ox.BlankNode):
        return False
    return any(next(iter(store.quads_for_pattern(fact, p, entity, default)), None) is not None
                   for p in ROLE_NODES)


def _count_one(store: ox.Store, r: ox.NamedNode) -> dict[str, Any]:
    """One entity's counts as :func:`count` makes them (distinct resources per property, each way)."""
    default = ox.DefaultGraph()
    incoming: dict[str, set] = {}
    outgoing: dict[str, set] = {}
    for q in store.quads_for_pattern(None, None, r, default):
        incoming.setdefault(q.predicate.value, set()).add(q.subject)
    for q in store.quads_for_pattern(r, None, None, default):
        outgoing.setdefault(q.predicate.value, set()).add(q.object)
    facts = set().union(*(incoming.get(p.value, set()) for p in ROLE_NODES))
    return {"in": [[p, len(v)] for p, v in incoming.items()], "out": [[p, len(v)] for p, v in outgoing.items()],
            "facts": len(facts)}


class LinkTable:
    """The counts of one version, read from its file on first use; None for what it does not hold."""

    def __init__(self, version_dir: Path | None):
        self._path = path_for(version_dir) if version_dir is not None else None
        self._entities: dict[str, dict] | None = None
        self._sizes: dict[str, int] = {}

    def sizes(self) -> dict[str, int]:
        """The version's triples and articles as the load counted them; empty without the file."""
        if self._entities is None:
            self._entities = self._read()
        return self._sizes

    def get(self, iri: ox.NamedNode) -> Links | None:
        if self._entities is None:
            self._entities = self._read()
        c = self._entities.get(iri.value)
        if c is None:
            return None
        return Links([(ox.NamedNode(p), n) for p, n in sorted(c["in"])],
                     [(ox.NamedNode(p), n) for p, n in sorted(c["out"])], c["facts"])

    def _read(self) -> dict[str, dict]:
        if self._path is None:
            return {}
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # no file (an older version, or none written): everything is counted live
        if data.get("format") != FORMAT:
            return {}
        self._sizes = {k: data[k] for k in ("triples", "articles") if isinstance(data.get(k), int)}
        return data.get("entities", {})
