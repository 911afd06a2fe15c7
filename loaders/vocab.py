"""Namespaces and IRI minting: the ontology's terms as pyoxigraph nodes.

The ontology namespace is fixed and independent of where the data is served; the data's own IRIs
(entities, articles, facts, graphs) hang off the configurable base.
"""

from __future__ import annotations

import pyoxigraph as ox

_TERMS: dict[str, ox.NamedNode] = {}


class Namespace(str):
    """``NF.Meeting`` → the NamedNode; each term is made once (the mapping asks for them per triple)."""

    def __getattr__(self, name: str) -> ox.NamedNode:
        if name.startswith("__"):
            raise AttributeError(name)
        node = self.term(name)
        self.__dict__[name] = node  # found directly next time, without __getattr__
        return node

    def term(self, name: str) -> ox.NamedNode:
        iri = self + name
        node = _TERMS.get(iri)
        if node is None:
            node = _TERMS[iri] = ox.NamedNode(iri)
        return node


NF_ONTOLOGY = "https://w3id.org/newsgraph/ns"
NF = Namespace(NF_ONTOLOGY + "#")
SCHEMA = Namespace("http://schema.org/")
PROV = Namespace("http://www.w3.org/ns/prov#")
OA = Namespace("http://www.w3.org/ns/oa#")
ORG = Namespace("http://www.w3.org/ns/org#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
WIKIDATA = Namespace("http://www.wikidata.org/entity/")

PREFIXES: dict[str, str] = {
    "nf": str(NF), "schema": str(SCHEMA), "prov": str(PROV), "oa": str(OA), "org": str(ORG),
    "skos": str(SKOS), "owl": str(OWL), "rdfs": str(RDFS), "rdf": str(RDF), "xsd": str(XSD),
    "dcterms": str(DCTERMS), "wd": str(WIKIDATA),
}

ENTITY_CLASSES: dict[str, ox.NamedNode] = {
    "country": NF.Country, "organization": NF.Organization, "person": NF.Person, "place": NF.Place,
    "weapon-system": NF.WeaponSystem, "event": NF.Event,
}
CLASS_ENTITY_TYPES = {cls.value: t for t, cls in ENTITY_CLASSES.items()}


class Iris:
    """Mints the data's IRIs under one base (``NEWSGRAPH_BASE_IRI``)."""

    def __init__(self, base: str):
        self.base = base if base.endswith("/") else base + "/"
        self.entities_graph = ox.NamedNode(self.base + "graph/entities")
        self.ontology_graph = ox.NamedNode(self.base + "graph/ontology")

    def entity(self, entity_type: str, entity_id: str) -> ox.NamedNode:
        return ox.NamedNode(f"{self.base}id/{entity_type}/{entity_id}")

    def article(self, article_id: str) -> ox.NamedNode:
        return ox.NamedNode(f"{self.base}id/article/{article_id}")

    def fact(self, article_id: str, fact_id: str) -> ox.NamedNode:
        return ox.NamedNode(f"{self.base}id/article/{article_id}/{fact_id}")

    def article_graph(self, article_id: str) -> ox.NamedNode:
        return ox.NamedNode(f"{self.base}graph/article/{article_id}")

    def file_graph(self, slug: str) -> ox.NamedNode:
        return ox.NamedNode(f"{self.base}graph/file/{slug}")
