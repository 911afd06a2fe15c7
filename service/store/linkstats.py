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
from newsgraph.loaders.vocab import ENTITY_CLASSES, NF, PREFIXES

#: entities with fewer links in both directions together are counted live: that takes about a millisecond
MIN_LINKS = 200
SUFFIX = ".links.json"
FORMAT = 1

_CLASSES = " ".join(f"<{c.value}>" for c in ENTITY_CLASSES.values())
#: the properties by which a fact names an entity in one of its roles
ROLE_NODES = [ox.NamedNode(iri) for iri in sorted(ROLE_NAMES)]
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
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
          graphs: set[str] | None = None) -> None:
    """Count and write the file for a version about to be committed (atomically: a reader sees all or none):
    from the previous version's file with the entities that the changed ``graphs`` name counted again, or
    (no previous file, ``graphs`` None) from the whole store."""
    target = path_for(version_dir)
    tmp = target.with_name(target.name + ".tmp")
    data = None
    if previous is not None and previous_dir is not None and graphs is not None:
        data = _recount(store, previous, path_for(previous_dir), graphs)
    if data is None:
        data = count(store)
    tmp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, target)


def _recount(store: ox.Store, previous: ox.Store, source: Path, graphs: set[str]) -> dict[str, Any] | None:
    """The previous counts with those of every resource named by a triple that a changed graph gained or
    lost made again by index lookups; the totals moved by what the default graph gained and lost.
    Its cost follows the graphs changed and the links of the entities they name, not the store."""
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("format") != FORMAT or data.get("min_links") != MIN_LINKS or not isinstance(data.get("triples"), int):
        return None
    touched: set[ox.NamedNode] = set()
    triples: set[ox.Triple] = set()  # what a changed graph holds in one version and not in the other
    for g in graphs:
        node = ox.NamedNode(g)
        new = {q.triple for q in store.quads_for_pattern(None, None, None, node)}
        old = {q.triple for q in previous.quads_for_pattern(None, None, None, node)}
        triples |= new ^ old
    for t in triples:
        touched.update(x for x in (t.subject, t.object) if isinstance(x, ox.NamedNode))
    default = ox.DefaultGraph()
    data["triples"] += sum((ox.Quad(t.subject, t.predicate, t.object, default) in store)
                           - (ox.Quad(t.subject, t.predicate, t.object, default) in previous) for t in triples)
    data["articles"] = sum(1 for _ in store.quads_for_pattern(None, RDF_TYPE, ARTICLE, default))
    entities = data["entities"]
    classes = {c.value for c in ENTITY_CLASSES.values()}
    for r in touched:
        if not any(q.object.value in classes for q in store.quads_for_pattern(r, RDF_TYPE, None, default)
                   if isinstance(q.object, ox.NamedNode)):
            entities.pop(r.value, None)
            continue
        c = _count_one(store, r)
        if sum(n for _, n in c["in"]) + sum(n for _, n in c["out"]) >= MIN_LINKS:
            entities[r.value] = c
        else:
            entities.pop(r.value, None)
    return data


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
