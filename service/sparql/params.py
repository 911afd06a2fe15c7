"""Saved-query parameter values: checked by type, then turned into RDF terms — never into query text.

Each type has one reader that either returns the term to bind or says, in a sentence, what is wrong
with the value. Entity values are resolved against the store: an entity's IRI, its id
(``tajikistan``) or its Wikidata id (``Q863``) all name the same IRI.
"""

from __future__ import annotations

import difflib
import re
import threading
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

import pyoxigraph as ox

from newsgraph.loaders import fold
from newsgraph.loaders.vocab import CLASS_ENTITY_TYPES, DCTERMS, NF, OWL, RDF, WIKIDATA, XSD
from newsgraph.service.sparql.definitions import Param, SavedQuery

INTEGER = re.compile(r"^[+-]?[0-9]{1,18}$")
DECIMAL = re.compile(r"^[+-]?(?:[0-9]{1,18}(?:\.[0-9]{0,18})?|\.[0-9]{1,18})$")
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
LANGTAG = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$")
ENTITY_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
WIKIDATA_ID = re.compile(r"^[Qq][1-9][0-9]*$")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no")
MAX_IRI = 2000


class BadValue(ValueError):
    """A value that does not fit its parameter; the message says why, for the person who sent it."""


@dataclass
class Checked:
    """A request's parameters once checked: the terms to bind and the values to echo back."""

    terms: dict[str, list[ox.NamedNode | ox.Literal]]
    echo: dict[str, object]
    problems: list[dict[str, str]]


def check(query: SavedQuery, given: dict[str, list[str]], resolver: EntityResolver) -> Checked:
    """Check every given value against its parameter; list every problem, not only the first."""
    terms: dict[str, list] = {}
    echo: dict[str, object] = {}
    problems: list[dict[str, str]] = []
    for name in given:
        if query.param(name) is None:
            known = ", ".join(p.name for p in query.params) or "none"
            problems.append({"name": name, "reason": f"unknown parameter; this query takes: {known}"})
    for p in query.params:
        values = [v for v in given.get(p.name, []) if v != ""]  # an empty form field means "not given"
        if not values and p.default is not None:
            values = [p.default]
        if not values:
            if p.required:
                problems.append({"name": p.name, "reason": f"required ({_describe(p)})"})
            continue
        if len(values) > 1 and not p.multiple:
            problems.append({"name": p.name, "reason": f"give one value, not {len(values)}"})
            continue
        out = []
        for value in values:
            try:
                out.append(term(p, value, resolver))
            except BadValue as e:
                problems.append({"name": p.name, "reason": str(e)})
        if len(out) == len(values):
            terms[p.name] = out
            shown = [_plain(t) for t in out]
            echo[p.name] = shown if p.multiple else shown[0]
    return Checked(terms, echo, problems)


def _describe(p: Param) -> str:
    what = {"entity": "an entity's IRI, id or Wikidata id", "iri": "an absolute IRI", "string": "text",
            "langstring": "text@language", "integer": "a whole number", "decimal": "a number",
            "boolean": "true or false", "date": "a date YYYY-MM-DD",
            "enum": "one of " + ", ".join(p.values)}[p.type]
    return f"{what}, e.g. {p.example}" if p.example else what


def _plain(t) -> object:
    if isinstance(t, ox.Literal):
        if t.datatype == XSD.integer:
            return int(t.value)
        if t.datatype == XSD.boolean:
            return t.value == "true"
        if t.language:
            return f"{t.value}@{t.language}"
    return t.value


def term(p: Param, value: str, resolver: EntityResolver | None) -> ox.NamedNode | ox.Literal:
    """The RDF term for one value of ``p``, or :class:`BadValue`."""
    if len(value) > max(p.max_length, MAX_IRI):
        raise BadValue(f"too long ({len(value)} characters)")
    if p.type == "entity":
        if resolver is None:
            raise BadValue("an entity is resolved against the data, and there is none here")
        return resolver.resolve(value)
    if p.type == "iri":
        return _iri(value)
    if CONTROL.search(value):
        raise BadValue("control characters are not allowed")
    if p.type == "string":
        if len(value) > p.max_length:
            raise BadValue(f"too long ({len(value)} characters; at most {p.max_length})")
        text = fold(value) if p.fold else value
        if not text:
            raise BadValue("empty once spaces and accents are set aside")
        return ox.Literal(text)
    if p.type == "langstring":
        text, at, tag = value.rpartition("@")
        if not at or not LANGTAG.fullmatch(tag) or not text:
            raise BadValue("text with its language after @, e.g. Mosca@it")
        return ox.Literal(text, language=tag.lower())
    if p.type == "integer":
        if not INTEGER.fullmatch(value.strip(" ")):
            raise BadValue(f"not a whole number: {value!r}")
        n = int(value)
        _bounds(p, n)
        return ox.Literal(str(n), datatype=XSD.integer)
    if p.type == "decimal":
        if not DECIMAL.fullmatch(value.strip()):
            raise BadValue(f"not a number: {value!r}")
        v = value.strip()
        _bounds(p, float(v))
        return ox.Literal(v if not v.startswith(".") else "0" + v, datatype=XSD.decimal)
    if p.type == "boolean":
        v = value.strip().lower()
        if v not in TRUE + FALSE:
            raise BadValue("true or false")
        return ox.Literal("true" if v in TRUE else "false", datatype=XSD.boolean)
    if p.type == "date":
        v = value.strip()
        try:
            if not DATE.fullmatch(v):
                raise ValueError
            date.fromisoformat(v)
        except ValueError:
            raise BadValue(f"not a date YYYY-MM-DD: {value!r}") from None
        return ox.Literal(v, datatype=XSD.date)
    if p.type == "enum":
        if value not in p.values:
            raise BadValue("one of " + ", ".join(p.values))
        return ox.Literal(value)
    raise BadValue(f"unsupported type {p.type}")  # queryfiles refuses other types at start-up


def _bounds(p: Param, n: float) -> None:
    if p.min is not None and n < p.min:
        raise BadValue(f"at least {p.min:g}")
    if p.max is not None and n > p.max:
        raise BadValue(f"at most {p.max:g}")


def _iri(value: str) -> ox.NamedNode:
    v = value.strip()
    if len(v) > MAX_IRI or not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", v):
        raise BadValue("an absolute IRI, e.g. http://localhost:5000/id/country/russia")
    try:
        return ox.NamedNode(v)
    except ValueError:
        raise BadValue(f"not a valid IRI: {value!r}") from None


def example_term(p: Param) -> ox.NamedNode | ox.Literal:
    """A term of the parameter's type, for checking at start-up that the bound query still parses."""
    examples: dict[str, ox.NamedNode | ox.Literal] = {
        "entity": ox.NamedNode("http://example.org/entity"), "iri": ox.NamedNode("http://example.org/x"),
        "string": ox.Literal("x"), "langstring": ox.Literal("x", language="en"),
        "integer": ox.Literal("1", datatype=XSD.integer), "decimal": ox.Literal("1.5", datatype=XSD.decimal),
        "boolean": ox.Literal("true", datatype=XSD.boolean), "date": ox.Literal("2023-11-22", datatype=XSD.date),
        "enum": ox.Literal(p.values[0] if p.values else "x"),
    }
    return examples[p.type]


class EntityResolver:
    """Entity values → IRIs, against one read view of the store; ids are listed once per store version,
    for the did-you-mean hint."""

    _ids_cache: ClassVar[dict[str | None, list[str]]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, store):
        self.store = store

    def _is_entity(self, node: ox.NamedNode) -> bool:
        return any(t.object.value in CLASS_ENTITY_TYPES for t in self.store.triples(node, RDF.type))

    def resolve(self, value: str) -> ox.NamedNode:
        v = value.strip()
        if WIKIDATA_ID.fullmatch(v):
            v = v.upper()
            for t in self.store.triples(None, OWL.sameAs, WIKIDATA.term(v), limit=5):
                if isinstance(t.subject, ox.NamedNode) and self._is_entity(t.subject):
                    return t.subject
            raise BadValue(f"no entity has the Wikidata id {v}")
        if ENTITY_ID.fullmatch(v):
            for t in self.store.triples(None, DCTERMS.identifier, ox.Literal(v), limit=50):
                if isinstance(t.subject, ox.NamedNode) and self._is_entity(t.subject):
                    return t.subject
            raise BadValue(f"no entity has the id {v!r}" + self._hint(v))
        if re.match(r"^https?://", v):
            node = _iri(v)
            if self._is_entity(node):
                return node
            raise BadValue(f"{v} is not an entity of this dataset")
        raise BadValue(f"{value!r} is not an entity IRI, id (e.g. tajikistan) or Wikidata id (e.g. Q863)"
                       + self._hint(v))

    def _hint(self, value: str) -> str:
        """Did you mean: the ids closest in spelling, or the entity whose name this is."""
        by_name = [t.subject for t in self.store.triples(None, NF.searchKey, ox.Literal(fold(value)), limit=3)]
        names = [self._id(s) for s in by_name if isinstance(s, ox.NamedNode)]
        close = names or difflib.get_close_matches(value.lower(), self._ids(), n=3, cutoff=0.7)
        return f"; did you mean {' or '.join(dict.fromkeys(c for c in close if c))}?" if close else ""

    def _id(self, node: ox.NamedNode) -> str:
        found = self.store.triples(node, DCTERMS.identifier, None, limit=1)
        return found[0].object.value if found else ""

    def _ids(self) -> list[str]:
        key = self.store.cache_key  # not the version alone: two stores in one process share this cache
        with self._lock:
            ids = self._ids_cache.get(key)
        if ids is None or key is None:
            rows = self.store.query("SELECT DISTINCT ?id WHERE { ?e nf:searchKey ?k ; dcterms:identifier ?id }")
            ids = sorted(row["id"].value for row in rows)
            with self._lock:
                self._ids_cache.clear()
                self._ids_cache[key] = ids
        return ids
