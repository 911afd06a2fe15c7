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
from newsgraph.loaders.vocab import ENTITY_CLASSES, PREFIXES

#: entities with fewer links in both directions together are counted live: that takes about a millisecond
MIN_LINKS = 200
SUFFIX = ".links.json"
FORMAT = 1

_CLASSES = " ".join(f"<{c.value}>" for c in ENTITY_CLASSES.values())
#: the properties by which a fact names an entity in one of its roles
ROLE_NODES = [ox.NamedNode(iri) for iri in sorted(ROLE_NAMES)]
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


def write(store: ox.Store, version_dir: Path) -> None:
    """Count and write the file for a version about to be committed (atomically: a reader sees all or none)."""
    target = path_for(version_dir)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps(count(store), separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, target)


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
