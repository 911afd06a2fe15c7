"""What a fact sheet may say: fact types, their fields, and what kind of value each field takes.

This is the contract's §3.1 as data. The sheet reader checks input against it; the mapping turns
its field names into ontology terms. Nothing here knows RDF.
"""

from __future__ import annotations

from dataclasses import dataclass

# value kinds
ENTITY = "entity"  # one entity id
ENTITIES = "entities"  # one entity id or a list of them
TEXT = "text"
TEXTS = "texts"  # one text or a list of texts
DATE = "date"
QUANTITY = "quantity"  # a positive number


@dataclass(frozen=True)
class FieldSpec:
    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()
    default: str | None = None


MEMBERSHIP_STATUSES = ("member", "observer", "suspended", "considering-withdrawal", "withdrawn")
TRANSFER_STATUSES = ("delivered", "ordered", "announced")
AGREEMENT_STATUSES = ("proposed", "signed", "ratified", "in-force")

#: fields every fact takes besides its own
COMMON_FIELDS: dict[str, FieldSpec] = {
    "type": FieldSpec(TEXT, required=True),
    "id": FieldSpec(TEXT),
    "quote": FieldSpec(TEXT, required=True),
    "confidence": FieldSpec(QUANTITY),
    "note": FieldSpec(TEXT),
    "date_before": FieldSpec(DATE),
    "date_after": FieldSpec(DATE),
}

FACT_TYPES: dict[str, dict[str, FieldSpec]] = {
    "membership": {
        "member": FieldSpec(ENTITY, required=True),
        "organization": FieldSpec(ENTITY, required=True),
        "status": FieldSpec(TEXT, choices=MEMBERSHIP_STATUSES, default="member"),
        "start": FieldSpec(DATE),
        "end": FieldSpec(DATE),
        "as_of": FieldSpec(DATE),
    },
    "arms-transfer": {
        "supplier": FieldSpec(ENTITY, required=True),
        "recipient": FieldSpec(ENTITY, required=True),
        "item": FieldSpec(ENTITY, required=True),
        "quantity": FieldSpec(QUANTITY),
        "unit": FieldSpec(TEXT),
        "components": FieldSpec(TEXTS),
        "status": FieldSpec(TEXT, choices=TRANSFER_STATUSES, default="delivered"),
        "date": FieldSpec(DATE),
    },
    "meeting": {
        "participants": FieldSpec(ENTITIES, required=True),
        "location": FieldSpec(ENTITY),
        "start": FieldSpec(DATE),
        "end": FieldSpec(DATE),
        "host": FieldSpec(ENTITY),
        "of": FieldSpec(ENTITY),
        "absent": FieldSpec(ENTITIES),
        "topic": FieldSpec(TEXT),
    },
    "agreement": {
        "parties": FieldSpec(ENTITIES, required=True),
        "subject": FieldSpec(TEXT, required=True),
        "status": FieldSpec(TEXT, choices=AGREEMENT_STATUSES),
        "date": FieldSpec(DATE),
    },
    "statement": {
        "speaker": FieldSpec(ENTITY, required=True),
        "date": FieldSpec(DATE),
        "text": FieldSpec(TEXT, required=True),
        "about": FieldSpec(ENTITIES),
        "audience": FieldSpec(ENTITIES),
    },
    "deployment": {
        "actor": FieldSpec(ENTITIES, required=True),
        "location": FieldSpec(ENTITY, required=True),
        "kind": FieldSpec(TEXT),
        "start": FieldSpec(DATE),
        "end": FieldSpec(DATE),
    },
    "military-action": {
        "actor": FieldSpec(ENTITIES, required=True),
        "target": FieldSpec(ENTITIES),
        "location": FieldSpec(ENTITY),
        "kind": FieldSpec(TEXT),
        "start": FieldSpec(DATE),
        "end": FieldSpec(DATE),
        "outcome": FieldSpec(TEXT),
    },
}

#: "this field, or one of these" requirements: type -> (fields, message)
ONE_OF: dict[str, tuple[tuple[str, ...], str]] = {
    "meeting": (("start", "date_after", "date_before"), "a meeting needs `start` (or `date_before`/`date_after`)"),
    "statement": (("date", "date_after", "date_before"), "a statement needs `date` (or `date_before`/`date_after`)"),
    "military-action": (("target", "location"), "a military-action needs `target` or `location`"),
}

ARTICLE_FIELDS: dict[str, FieldSpec] = {
    "id": FieldSpec(TEXT, required=True),
    "title": FieldSpec(TEXT, required=True),
    "publisher": FieldSpec(ENTITY, required=True),
    "published": FieldSpec(DATE, required=True),
    "language": FieldSpec(TEXT, required=True),
    "url": FieldSpec(TEXT),
    "text": FieldSpec(TEXT),
    "reference": FieldSpec(TEXT),
}

ENTITY_FIELDS = ("id", "type", "labels", "aliases", "wikidata", "country", "role")
