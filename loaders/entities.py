"""The entity registry: ids, types, labels, aliases and Wikidata ids, merged from every source.

Sources are the store (entities already loaded), registry files and the `entities:` lists of
sheets. The contract's rules live here: the same id with the same type merges, with another type
it is an error naming both places; a Wikidata id may belong to one entity id only.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

import pyoxigraph as ox

from .records import Entity, Problem
from .vocab import CLASS_ENTITY_TYPES, ENTITY_CLASSES

STORE = "(store)"


def where(e: Entity) -> str:
    return "the store" if e.file == STORE else f"{e.file}:{e.line}"


def normalise_name(name: str) -> str:
    """Case-, accent- and spacing-insensitive form of a name, for matching labels and aliases."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\s_\-‐–—.]+", " ", bare.casefold()).strip()


class Registry:
    """All entities known to one load, keyed by id."""

    def __init__(self, known: Iterable[Entity] = ()):
        self._by_id: dict[str, Entity] = {}
        self._wikidata: dict[str, str] = {}
        #: every place an id was declared, for errors and for dropping declarations of failed files
        self.declared_in: dict[str, list[Entity]] = {}
        self._names: dict[str, set[str]] | None = None
        for e in known:
            self._by_id[e.id] = e
            self.declared_in.setdefault(e.id, []).append(e)
            if e.wikidata:
                self._wikidata[e.wikidata] = e.id

    def __contains__(self, entity_id: str) -> bool:
        return entity_id in self._by_id

    def get(self, entity_id: str) -> Entity | None:
        return self._by_id.get(entity_id)

    def __iter__(self) -> Iterator[Entity]:
        return iter(self._by_id.values())

    def declare(self, e: Entity) -> tuple[Entity | None, list[Problem]]:
        """Add or merge one declaration.

        Returns what this declaration adds to the entity (the part a writer must store) and the
        problems it raises. Labels in a language the entity already has under another spelling
        become aliases, so nothing an author wrote is lost.
        """
        problems: list[Problem] = []
        holder = self._wikidata.get(e.wikidata) if e.wikidata else None
        if holder and holder != e.id:
            other = self._by_id[holder]
            problems.append(Problem(e.file, e.lines.get("wikidata", e.line),
                                    f"Wikidata id {e.wikidata} is given to '{e.id}' here but already belongs to "
                                    f"'{holder}' ({where(other)})"))
        old = self._by_id.get(e.id)
        if old is not None and old.type != e.type:
            problems.append(Problem(e.file, e.lines.get("type", e.line),
                                    f"entity '{e.id}' is declared here as {e.type} but as {old.type} in "
                                    f"{where(old)}"))
        if old is not None and e.wikidata and old.wikidata and old.wikidata != e.wikidata:
            problems.append(Problem(e.file, e.lines.get("wikidata", e.line),
                                    f"entity '{e.id}' is given Wikidata id {e.wikidata} here but {old.wikidata} "
                                    f"in {where(old)}"))
        if problems:
            return None, problems
        self._names = None
        self.declared_in.setdefault(e.id, []).append(e)
        if e.wikidata:
            self._wikidata[e.wikidata] = e.id
        if old is None:
            merged = Entity(e.id, e.type, dict(e.labels), list(e.aliases), e.wikidata, e.country, e.role,
                            e.file, e.line, dict(e.lines))
            self._by_id[e.id] = merged
            return e, []
        added = Entity(e.id, e.type, {}, [], None, None, None, e.file, e.line, dict(e.lines))
        for lang, label in e.labels.items():
            if lang not in old.labels:
                old.labels[lang] = label
                added.labels[lang] = label
            elif old.labels[lang] != label and label not in old.aliases:
                old.aliases.append(label)
                added.aliases.append(label)
        for alias in e.aliases:
            if alias not in old.aliases and alias not in old.labels.values():
                old.aliases.append(alias)
                added.aliases.append(alias)
        if e.wikidata and not old.wikidata:
            old.wikidata = added.wikidata = e.wikidata
        if e.country and not old.country:
            old.country = added.country = e.country
        if e.role and not old.role:
            old.role = added.role = e.role
        return added, []

    def closest(self, name: str) -> list[Entity]:
        """Entities whose id or name is spelled most like ``name``, for "did you mean" hints."""
        self.resolve_name(name)  # builds the name index
        names = self._names
        assert names is not None
        close = difflib.get_close_matches(normalise_name(name), list(names), n=1, cutoff=0.75)
        return [self._by_id[i] for c in close for i in sorted(names[c])][:1]

    def resolve_name(self, name: str) -> list[Entity]:
        """Entities whose id, label or alias matches ``name`` (case, accents and spacing ignored)."""
        if self._names is None:
            names: dict[str, set[str]] = {}
            for e in self._by_id.values():
                for n in (e.id, *e.labels.values(), *e.aliases):
                    names.setdefault(normalise_name(n), set()).add(e.id)
            self._names = names
        return [self._by_id[i] for i in sorted(self._names.get(normalise_name(name), ()))]


#: past this many ids a load asks the store for every entity: one pass costs less than a long VALUES list
WANTED_AT_MOST = 500


def entities_from(reader: Any, ids: Iterable[str] | None = None, wikidata: Iterable[str] = ()) -> list[Entity]:
    """The entities a store (embedded or remote) holds, with labels, aliases, Wikidata id and role: every
    one, or (``ids``) those with these ids and those holding one of the ``wikidata`` ids.

    Why the choice: a load of one article into a store of 100,000 needs the few entities it names, and
    reading every entity costs seconds there; a large load names most of them anyway."""
    classes = " ".join(f"<{c.value}>" for c in ENTITY_CLASSES.values())
    found: dict[str, Entity] = {}
    only = ""
    if ids is not None:
        wanted = set(ids)
        wd = sorted({w for w in wikidata if re.fullmatch(r"Q[0-9]+", w)})
        if wd:
            values = " ".join(f"<http://www.wikidata.org/entity/{w}>" for w in wd)
            wanted |= {row[0].value for row in reader.query(
                f"SELECT ?id WHERE {{ VALUES ?wd {{ {values} }} ?e owl:sameAs ?wd ; dcterms:identifier ?id }}")}
        if len(wanted) <= WANTED_AT_MOST:
            if not wanted:
                return []
            # (ids are written as escaped literals, never pasted in as they came)
            only = "VALUES ?id { " + " ".join(str(ox.Literal(i)) for i in sorted(wanted)) + " }"
    rows = reader.query(f"""
        SELECT ?cls ?id ?wd ?role WHERE {{
          {only}
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
    for eid, label, alias in reader.query(f"""
        SELECT ?id ?label ?alias WHERE {{
          {only}
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
