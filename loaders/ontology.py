"""The ontology's files and the tables that tie sheet fields to its terms: one place for both.

The loaders map records with these tables and the service reads data with them (which property is a
role, which class is which fact kind), so they live here rather than inside the mapping code. The
files are package data, found through :mod:`importlib.resources`, so an installed wheel finds them
as a checkout does.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

import pyoxigraph as ox

from .units import Unit
from .vocab import NF, ORG, SKOS, Iris

ONTOLOGY_DIR = Path(str(resources.files("newsgraph.ontology")))
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"
ONTOLOGY_FILE = ONTOLOGY_DIR / "newsgraph.ttl"

FACT_CLASSES: dict[str, tuple[ox.NamedNode, ...]] = {
    "membership": (NF.Membership, ORG.Membership),
    "arms-transfer": (NF.ArmsTransfer,),
    "meeting": (NF.Meeting,),
    "agreement": (NF.Agreement,),
    "statement": (NF.Statement,),
    "deployment": (NF.Deployment,),
    "military-action": (NF.MilitaryAction,),
    "founding": (NF.Founding,),
}
CLASS_FACT_KINDS = {classes[0].value: kind for kind, classes in FACT_CLASSES.items()}

#: sheet field -> property linking a fact to an entity
ROLE_PROPERTIES: dict[str, ox.NamedNode] = {
    "member": ORG.member, "organization": ORG.organization,
    "supplier": NF.supplier, "recipient": NF.recipient, "item": NF.item,
    "participants": NF.participant, "location": NF.location, "host": NF.host, "of": NF.bodyOf,
    "absent": NF.absent, "parties": NF.party, "speaker": NF.speaker, "about": NF.about,
    "audience": NF.audience, "actor": NF.actor, "target": NF.target,
}
#: where a field's usual property would say something false of a kind, the kind's own property: a
#: founding's organisation is no org:organization, whose domain is org:Membership
KIND_ROLE_PROPERTIES: dict[str, dict[str, ox.NamedNode]] = {"founding": {"organization": NF.foundedOrganization}}
#: every property that links a fact to an entity, by IRI, with the sheet field it comes from
ROLE_NAMES: dict[str, str] = {p.value: name for name, p in ROLE_PROPERTIES.items()} | {
    p.value: name for table in KIND_ROLE_PROPERTIES.values() for name, p in table.items()}


def role_property(kind: str, name: str) -> ox.NamedNode:
    return KIND_ROLE_PROPERTIES.get(kind, {}).get(name) or ROLE_PROPERTIES[name]


#: sheet field -> property with a plain literal value
LITERAL_PROPERTIES: dict[str, ox.NamedNode] = {
    "status": NF.status, "unit": NF.unit, "components": NF.component, "topic": NF.topic,
    "subject": NF.subject, "kind": NF.kind, "outcome": NF.outcome,
}
DATE_PROPERTIES: dict[str, ox.NamedNode] = {
    "date": NF.date, "start": NF.start, "end": NF.end, "as_of": NF.asOf,
    "date_before": NF.notAfter, "date_after": NF.notBefore,
}
#: every property a sheet field maps to, for pointing SHACL results back at a line
FIELD_OF_PROPERTY: dict[str, str] = ROLE_NAMES | {
    p.value: f for table in (LITERAL_PROPERTIES, DATE_PROPERTIES) for f, p in table.items()
} | {NF.quantity.value: "quantity", NF.text.value: "text", NF.quote.value: "quote",
     NF.confidence.value: "confidence", SKOS.note.value: "note", NF.completeList.value: "complete"}



def ontology_unit(iris: Iris) -> Unit:
    """The ontology as a unit of its own graph, with its digest: loaded once, replaced when it changes."""
    data = ONTOLOGY_FILE.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    graph = iris.ontology_graph
    quads = [ox.Quad(t.subject, t.predicate, t.object, graph) for t in ox.parse(data, format=ox.RdfFormat.TURTLE)]
    quads.append(ox.Quad(graph, NF.contentDigest, ox.Literal(digest), graph))
    return Unit.of(str(ONTOLOGY_FILE), "ontology", [graph], quads, digest=digest)
