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
        # the claim is one of a list the article gives as the organisation's whole membership on the
        # claim's date (an enumerating sentence): `conflicts` flags the reference members it leaves out
        "complete": FieldSpec(TEXT, choices=("true", "false")),
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
    # an organisation's founding, as a text dates it ("è nata nel 1992"): not an agreement, whose
    # parties would have to be named
    "founding": {
        "organization": FieldSpec(ENTITY, required=True),
        "date": FieldSpec(DATE),
        "location": FieldSpec(ENTITY),
    },
}

#: "this field, or one of these" requirements: type -> (fields, message)
ONE_OF: dict[str, tuple[tuple[str, ...], str]] = {
    "meeting": (("start", "date_after", "date_before"), "a meeting needs `start` (or `date_before`/`date_after`)"),
    "statement": (("date", "date_after", "date_before"), "a statement needs `date` (or `date_before`/`date_after`)"),
    "military-action": (("target", "location"), "a military-action needs `target` or `location`"),
    "founding": (("date", "date_after", "date_before"), "a founding needs `date` (or `date_before`/`date_after`)"),
}

ARTICLE_FIELDS: dict[str, FieldSpec] = {
    "id": FieldSpec(TEXT, required=True),
    "title": FieldSpec(TEXT, required=True),
    # required of a news article; a reference record may name a `compiler` and a `compiled` date instead
    "publisher": FieldSpec(ENTITY),
    "published": FieldSpec(DATE),
    "language": FieldSpec(TEXT, required=True),
    "url": FieldSpec(TEXT),
    "text": FieldSpec(TEXT),
    "reference": FieldSpec(TEXT),
    # reference records only: who compiled it (an entity id), when, and from which documents
    "compiler": FieldSpec(ENTITY),
    "compiled": FieldSpec(DATE),
    "sources": FieldSpec(TEXT),  # a list of {title, date, url}; read by the sheet reader itself
}

ENTITY_FIELDS = ("id", "type", "labels", "aliases", "wikidata", "country", "role")
