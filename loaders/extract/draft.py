"""A draft fact sheet (the contract's §3) assembled from what the rules propose.

The draft is meant to validate as it is: every entity it names is in the registry it was drafted against
or declared in its own `entities:`, every quote is a slice of the text, every fact carries a confidence and
a note saying which rule proposed it. What it cannot know it leaves for the person to decide: a new name is
proposed as a new entity with a guessed type, a date the text does not give is left as a bound.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from ..entities import Registry
from ..records import Entity
from ..schema import FACT_TYPES
from .dates import find_dates
from .entities import Found, _slug, find_entities
from .language import LANGUAGES
from .language import language as language_data
from .patterns import Context, Proposal, propose
from .text import DATELINE, Article, clean


def draft_sheet(text: str, language: str, published: date, *, registry: Registry,
                article_id: str | None = None, title: str | None = None, publisher: str | None = None,
                text_file: str | None = None) -> dict[str, Any]:
    """Draft the fact sheet of one article: ``{"article": …, "entities": […], "facts": […]}``.

    ``registry`` holds every entity the sheet may name without declaring it (the registry files and the
    store the draft will be validated against). Raises ValueError for an unknown language or an empty text.
    """
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}: the drafter knows {', '.join(LANGUAGES)}")
    if not text or not text.strip():
        raise ValueError("the article text is empty: nothing to draft from")
    if isinstance(published, datetime):
        published = published.date()
    lang = language_data(language)
    article = Article(text, lang.words("abbreviations"))
    found = find_entities(article, lang, registry)
    ctx = Context(article, lang, published, _with_new(registry, found), found.mentions,
                  find_dates(article, lang, published))
    proposals = propose(ctx)

    aid = _article_id(article_id)
    named = {m.entity for m in found.mentions if m.how == "new" and m.start >= article.head_end}
    entities: dict[str, Entity] = {k: e for k, e in found.new.items() if k in named}
    head: dict[str, Any] = {"id": aid, "title": title.strip() if title and title.strip() else _title(text)}
    head["publisher"] = _publisher(publisher, article.agency, aid, lang.code, registry, entities)
    head["published"] = published.isoformat()
    head["language"] = lang.code
    if text_file:
        head["text"] = text_file
    facts = _facts(proposals, text)
    used = {v for f in facts for v in _entity_values(f)} | {head["publisher"]}
    declared = [_entity_dict(e) for e in sorted(entities.values(), key=lambda e: (e.id not in used, e.id))]
    return {"article": head, "entities": declared, "facts": facts}


def _with_new(registry: Registry, found: Found) -> Registry:
    """The registry with the draft's new entities, so that rules see their types."""
    if not found.new:
        return registry
    return Registry([*registry, *found.new.values()])


def _article_id(given: str | None) -> str:
    slug = _slug(given or "") if given else ""
    return slug or "article"


def article_id_from(filename: str) -> str:
    """An article id from a file name: ``ASKANEWS 2023_11_22.txt`` → ``askanews-2023-11-22``."""
    stem = re.sub(r"\.[A-Za-z0-9]+$", "", filename.rsplit("/", 1)[-1])
    return _article_id(stem)


def _title(text: str) -> str:
    """The first line, without a dateline ("Roma, 22 nov. (askanews) –"), to its first sentence's end."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    m = DATELINE.search(first[:200])
    if m:
        first = first[m.end():].strip()
    cut = re.split(r"(?<=[.!?])\s|:\s", first, maxsplit=1)[0].strip()
    if len(cut) > 140:
        cut = cut[:140].rsplit(" ", 1)[0] + "…"
    return clean(cut) or "Untitled"


def _publisher(given: str | None, agency: str | None, aid: str, lang: str, registry: Registry,
               entities: dict[str, Entity]) -> str:
    """The publisher's entity id: the one given, the agency of the dateline, or the id's first word."""
    name = given or agency or re.split(r"-\d", aid, maxsplit=1)[0] or "publisher"
    known = registry.get(name) or next((e for e in registry.resolve_name(name) if e.type == "organization"), None)
    if known is not None and known.type == "organization":
        return known.id
    slug = _slug(name) or "publisher"
    held = registry.get(slug)
    if (held is not None and held.type != "organization") or \
            (slug in entities and entities[slug].type != "organization"):
        slug = f"{slug}-publisher"
    if registry.get(slug) is None and slug not in entities:
        entities[slug] = Entity(slug, "organization", {lang: name})
    return slug


_ORDER = ("date", "date_after", "date_before", "confidence", "note", "quote")


def _facts(proposals: list[Proposal], text: str) -> list[dict[str, Any]]:
    out = []
    ids: set[str] = set()
    for p in proposals:
        fact: dict[str, Any] = {"type": p.kind, "id": _fact_id(p, ids)}
        for name in FACT_TYPES[p.kind]:
            if name in p.values and name != "date":
                fact[name] = p.values[name]
        for name in _ORDER[:3]:
            if name in p.values:
                fact[name] = p.values[name]
        fact["confidence"] = p.confidence
        fact["note"] = f"proposed by {p.note}"
        fact["quote"] = clean(text[p.start:p.end])
        out.append(fact)
    return out


def _fact_id(p: Proposal, ids: set[str]) -> str:
    v = p.values

    def one(x: Any) -> str:
        return x[0] if isinstance(x, list) else str(x)

    parts = {
        "membership": lambda: [v["member"], v.get("status", "member"), v["organization"]],
        "arms-transfer": lambda: [v["item"], "to", v["recipient"]],
        "meeting": lambda: ["meeting", *v["participants"][:2]],
        "agreement": lambda: ["agreement", *v["parties"][:2]],
        "statement": lambda: [v["speaker"], "statement"],
        "deployment": lambda: [one(v["actor"]), "in", v["location"]],
        "military-action": lambda: [one(v["actor"]), v.get("kind", "action"), one(v.get("target") or v["location"])],
        "founding": lambda: [v["organization"], "founded"],
    }[p.kind]()
    base = _slug("-".join(str(x) for x in parts))[:60].strip("-") or p.kind
    fid, n = base, 2
    while fid in ids:
        fid, n = f"{base}-{n}", n + 1
    ids.add(fid)
    return fid


def _entity_values(fact: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for name, spec in FACT_TYPES[fact["type"]].items():
        if spec.kind in ("entity", "entities") and name in fact:
            value = fact[name]
            out += value if isinstance(value, list) else [value]
    return out


def _entity_dict(e: Entity) -> dict[str, Any]:
    d: dict[str, Any] = {"id": e.id, "type": e.type, "labels": dict(e.labels)}
    if e.aliases:
        d["aliases"] = list(e.aliases)
    return d
