"""Fact sheets and registry files (YAML) → records, with every problem and its line.

Reading is in two steps because a sheet may use entities that another file of the same command
declares: :func:`read_yaml_file` checks each file on its own (shape, fields, dates, quotes against
the text), :func:`check_references` then checks entity ids once the registry is complete.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyoxigraph as ox

from .dates import parse_date
from .entities import Registry
from .quotes import FoldedText
from .records import ENTITY_TYPES, Article, DateValue, Entity, Fact, InputError, Problem, Source
from .schema import (
    ARTICLE_FIELDS,
    COMMON_FIELDS,
    DATE,
    ENTITIES,
    ENTITY,
    ENTITY_FIELDS,
    FACT_TYPES,
    ONE_OF,
    QUANTITY,
    TEXT,
    TEXTS,
    FieldSpec,
)
from .yamlnodes import Mapping, Scalar, Sequence, Value, read_yaml

# \Z, not $: "$" also matches before a final newline, and "x\n" is no id
ID = re.compile(r"^[a-z0-9][a-z0-9-]*\Z")
FACT_ID = re.compile(r"^[a-z0-9-]+\Z")
LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*\Z")
WIKIDATA = re.compile(r"^Q[1-9][0-9]*\Z")
MAX_TEXT = 16 * 1024 * 1024  # bytes of an article text
MAX_EXPONENT = 30  # a quantity's or confidence's decimal exponent, either way (1e5000 took seconds to print)


def is_language_tag(tag: str) -> bool:
    """A tag the RDF store accepts (BCP 47 well-formed: `en-US-US` repeats a region and is not)."""
    if not LANG.match(tag):
        return False
    try:
        ox.Literal("x", language=tag)
    except ValueError:
        return False
    return True


@dataclass
class SheetFile:
    """What one YAML file holds: an article with its entities, or a registry of entities."""

    file: str
    article: Article | None = None
    entities: list[Entity] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def is_registry(self) -> bool:
        return self.article is None


def read_yaml_file(path: Path, display: str | None = None) -> SheetFile:
    """Read a fact sheet or a registry file; problems are collected, not raised."""
    display = display or str(path)
    try:
        root = read_yaml(path, display)
    except InputError as e:
        return SheetFile(display, problems=e.problems)
    reader = _Reader(display, path.parent)
    return reader.read(root)


def referenced_ids(sheet: SheetFile) -> list[tuple[str, int, str]]:
    """Every entity id a file uses, as (id, line, field)."""
    out: list[tuple[str, int, str]] = [(e.country, e.lines.get("country", e.line), "country")
                                        for e in sheet.entities if e.country]
    a = sheet.article
    if a is None:
        return out
    for name in ("publisher", "compiler"):
        if getattr(a, name):
            out.append((getattr(a, name), a.lines.get(name, a.line), name))
    for f in a.facts:
        spec = FACT_TYPES[f.kind]
        for name, value in f.values.items():
            kind = spec[name].kind if name in spec else None
            if kind in (ENTITY, ENTITIES):
                line = f.lines.get(name, f.line)
                out += [(v, line, name) for v in (value if isinstance(value, list) else [value])]
    return out


def check_references(sheet: SheetFile, registry: Registry) -> list[Problem]:
    """Every entity id a file uses must be known: declared here, in a registry file, or in the store."""
    return [Problem(sheet.file, line, f"unknown entity '{eid}' in `{what}`{_suggest(eid, registry)}")
            for eid, line, what in referenced_ids(sheet) if eid not in registry]


def _suggest(entity_id: str, registry: Registry) -> str:
    found = registry.resolve_name(entity_id) or registry.closest(entity_id)
    if found:
        return f" (did you mean '{found[0].id}'?)"
    return " (declare it in seeds/entities.yaml or in the sheet's `entities:`)"


class _Reader:
    def __init__(self, display: str, folder: Path):
        self.file = display
        self.folder = folder
        self.problems: list[Problem] = []

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.file, line, message))

    def read(self, root: Value | None) -> SheetFile:
        out = SheetFile(self.file)
        if root is None:
            self.error(1, "the file is empty: expected a fact sheet (`article:` and `facts:`) or a list of entities")
        elif isinstance(root, Sequence):
            out.entities = self.entities(root)
        elif isinstance(root, Mapping) and "article" not in root and "entities" in root:
            self.unknown_keys(root, ("entities",), "a registry file")
            seq = root["entities"]
            if isinstance(seq, Sequence):
                out.entities = self.entities(seq)
            else:
                self.error(_line(seq, root), "`entities` must be a list")
        elif isinstance(root, Mapping) and "article" in root:
            self.unknown_keys(root, ("article", "entities", "facts"), "a fact sheet")
            ents = root.get("entities")
            if ents is not None:
                if isinstance(ents, Sequence):
                    out.entities = self.entities(ents)
                elif not (isinstance(ents, Scalar) and ents.is_null):
                    self.error(_line(ents, root), "`entities` must be a list")
            out.article = self.article(root)
            if out.article is not None:
                out.article.entities = out.entities
        else:
            self.error(getattr(root, "line", 1),
                       "expected a fact sheet (a mapping with `article:`) or a registry (a list of entities, "
                       "or a mapping with `entities:`)")
        out.problems = self.problems
        return out

    # ---- shared field readers -------------------------------------------------------------------

    def unknown_keys(self, m: Mapping, allowed, what: str) -> None:
        for k in m:
            if k not in allowed:
                self.error(m.key_lines[k], f"unknown field '{k}' in {what} (allowed: {', '.join(allowed)})")

    def scalar(self, v: Value, name: str) -> Scalar | None:
        if isinstance(v, Scalar) and not v.is_null:
            return v
        if isinstance(v, Scalar):
            self.error(v.line, f"`{name}` is empty")
        else:
            kind = "a list" if isinstance(v, Sequence) else "a mapping"
            self.error(v.line, f"`{name}` must be a single value, not {kind}")
        return None

    def value(self, name: str, spec: FieldSpec, v: Value) -> Any:
        """One field's value checked against its kind; None (with an error recorded) when wrong."""
        if spec.kind in (ENTITIES, TEXTS):
            items = v if isinstance(v, Sequence) else [v]
            if isinstance(v, Sequence) and not v:
                self.error(v.line, f"`{name}` is an empty list")
                return None
            out = []
            for item in items:
                s = self.scalar(item, name)
                if s is None:
                    return None
                if spec.kind == ENTITIES and not ID.match(s):
                    self.error(s.line, f"`{name}`: '{s}' is not an entity id ([a-z0-9][a-z0-9-]*)")
                    return None
                out.append(str(s))
            return out
        s = self.scalar(v, name)
        if s is None:
            return None
        if spec.kind == ENTITY:
            if not ID.match(s):
                self.error(s.line, f"`{name}`: '{s}' is not an entity id ([a-z0-9][a-z0-9-]*)")
                return None
            return str(s)
        if spec.kind == DATE:
            try:
                return parse_date(s)
            except ValueError as e:
                self.error(s.line, f"`{name}`: {e}")
                return None
        if spec.kind == QUANTITY:
            try:
                number = Decimal(s)
            except InvalidOperation:
                self.error(s.line, f"`{name}`: '{s}' is not a number")
                return None
            if number.is_finite() and abs(number.adjusted()) > MAX_EXPONENT:
                self.error(s.line, f"`{name}`: {s} is out of range")
                return None
            if not number.is_finite() or (number <= 0 and name != "confidence"):
                self.error(s.line, f"`{name}` must be a positive number, not {s}")
                return None
            if name == "confidence" and not 0 <= number <= 1:
                self.error(s.line, f"`confidence` must be between 0 and 1, not {s}")
                return None
            return int(number) if number == number.to_integral_value() and name != "confidence" else number
        if spec.choices and s not in spec.choices:
            self.error(s.line, f"`{name}`: '{s}' is not one of {', '.join(spec.choices)}")
            return None
        return str(s)

    # ---- entities -------------------------------------------------------------------------------

    def entities(self, seq: Sequence) -> list[Entity]:
        out: list[Entity] = []
        first: dict[str, int] = {}
        for item in seq:
            e = self.entity(item)
            if e is None:
                continue
            if e.id in first:
                self.error(e.line, f"entity '{e.id}' is declared twice in this file (first at line {first[e.id]})")
                continue
            first[e.id] = e.line
            out.append(e)
        return out

    def entity(self, m: Value) -> Entity | None:
        if not isinstance(m, Mapping):
            self.error(m.line, "an entity must be a mapping with `id`, `type` and `labels`")
            return None
        self.unknown_keys(m, ENTITY_FIELDS, "an entity")
        ok = True
        for required in ("id", "type", "labels"):
            if required not in m:
                self.error(m.line, f"entity is missing `{required}`")
                ok = False
        if not ok:
            return None
        eid = self.scalar(m["id"], "id")
        etype = self.scalar(m["type"], "type")
        if eid is None or etype is None:
            return None
        if not ID.match(eid):
            self.error(eid.line, f"entity id '{eid}' must match [a-z0-9][a-z0-9-]*")
            ok = False
        if etype not in ENTITY_TYPES:
            self.error(etype.line, f"unknown entity type '{etype}' (one of {', '.join(ENTITY_TYPES)})")
            ok = False
        e = Entity(str(eid), str(etype), file=self.file, line=m.line,
                   lines={k: _line(v, m) for k, v in m.items()})
        labels = m["labels"]
        if not isinstance(labels, Mapping) or not labels:
            self.error(_line(labels, m), "`labels` must be a mapping of language tag to label, e.g. {en: Tajikistan}")
            ok = False
        else:
            for lang, label in labels.items():
                s = self.scalar(label, f"labels.{lang}")
                if not is_language_tag(lang):
                    self.error(labels.key_lines[lang], f"'{lang}' is not a BCP 47 language tag")
                    ok = False
                elif s is None:
                    ok = False
                else:
                    e.labels[lang] = str(s).strip()
        if "aliases" in m:
            aliases = self.value("aliases", FieldSpec(TEXTS), m["aliases"])
            if aliases is None:
                ok = False
            else:
                e.aliases = [a.strip() for a in aliases]
        if "wikidata" in m:
            q = self.scalar(m["wikidata"], "wikidata")
            if q is None or not WIKIDATA.match(q):
                if q is not None:
                    self.error(q.line, f"`wikidata`: '{q}' is not a Wikidata item id like Q863")
                ok = False
            else:
                e.wikidata = str(q)
        if "country" in m:
            if e.type not in ("person", "place", "organization"):
                self.error(m.key_lines["country"], "`country` applies to persons, places and organisations")
                ok = False
            e.country = self.value("country", FieldSpec(ENTITY), m["country"])
            ok = ok and e.country is not None
        if "role" in m:
            if e.type != "person":
                self.error(m.key_lines["role"], "`role` applies to persons")
                ok = False
            role = self.scalar(m["role"], "role")
            e.role = str(role) if role is not None else None
            ok = ok and role is not None
        return e if ok else None

    # ---- article and facts ----------------------------------------------------------------------

    def article(self, root: Mapping) -> Article | None:
        m = root["article"]
        if not isinstance(m, Mapping):
            self.error(_line(m, root), "`article` must be a mapping with id, title, publisher, published, language")
            return None
        self.unknown_keys(m, tuple(ARTICLE_FIELDS), "`article`")
        values: dict[str, Any] = {}
        for name, spec in ARTICLE_FIELDS.items():
            if name not in m:
                if spec.required:
                    self.error(root.key_lines["article"], f"`article` is missing `{name}`")
                continue
            if name != "sources":
                values[name] = self.value(name, spec, m[name])
        aid = values.get("id")
        if aid is not None and not ID.match(aid):
            self.error(m.key_lines["id"], f"article id '{aid}' must match [a-z0-9][a-z0-9-]*")
        lang = values.get("language")
        if lang is not None and not is_language_tag(lang):
            self.error(m.key_lines["language"], f"'{lang}' is not a BCP 47 language tag (e.g. it, en, ru, pt-BR)")
        pub = values.get("published")
        if pub is not None and pub.datatype not in ("date", "dateTime"):
            self.error(m.key_lines["published"], "`published` must be a full date (2023-11-22) or a date-time")
        url = values.get("url")
        if url is not None and not _is_http_url(url):
            self.error(m.key_lines["url"], f"`url`: '{url}' is not an absolute http(s) URL")
        reference = False
        if values.get("reference") is not None:
            ref = values["reference"].lower()
            if ref not in ("true", "false"):
                self.error(m.key_lines["reference"], "`reference` must be true or false")
            reference = ref == "true"
        self.who_and_when(m, root, values, reference)
        sources = self.sources(m["sources"]) if "sources" in m else []
        comp = values.get("compiled")
        if comp is not None and comp.datatype not in ("date", "dateTime"):
            self.error(m.key_lines["compiled"], "`compiled` must be a full date (2024-12-31) or a date-time")
        text: str | None = None
        if values.get("text") is not None:
            text = self.article_text(values["text"], m.key_lines["text"])
        facts = self.facts(root.get("facts"), root, text)
        # returned even when something is wrong, so that entity references are still checked and
        # every problem reported at once; a file with problems is never written
        return Article(id=aid or "", title=(values.get("title") or "").strip(), publisher=values.get("publisher"),
                       published=pub, language=lang or "", file=self.file, line=m.line, url=url, text=text,
                       reference=reference, compiler=values.get("compiler"), compiled=comp, sources=sources,
                       facts=facts, lines={k: _line(v, m) for k, v in m.items()})

    def who_and_when(self, m: Mapping, root: Mapping, values: dict[str, Any], reference: bool) -> None:
        """A news article names its publisher and publication date. A reference record is compiled, not
        published as news: it names who stands behind it (a `compiler`, or the `publisher` of an official
        register) and a date (`compiled` or `published`); `compiler`, `compiled` and `sources` belong to
        reference records only."""
        where = root.key_lines["article"]
        if not reference:
            for name in ("publisher", "published"):
                if name not in m:
                    self.error(where, f"`article` is missing `{name}`")
            for name in ("compiler", "compiled", "sources"):
                if name in m:
                    self.error(m.key_lines[name], f"`{name}` is for reference records only (`reference: true`)")
            return
        if "publisher" not in m and "compiler" not in m:
            self.error(where, "a reference record needs `compiler` (who compiled it) or `publisher`")
        if "published" not in m and "compiled" not in m:
            self.error(where, "a reference record needs `compiled` (the date it was compiled) or `published`")

    def sources(self, v: Value) -> list[Source]:
        """The documents a reference record compiles: each `{title, date, url}`, title required."""
        items = v if isinstance(v, Sequence) else None
        if not items:
            self.error(v.line, "`sources` must be a non-empty list of {title, date, url}")
            return []
        out: list[Source] = []
        for item in items:
            if not isinstance(item, Mapping):
                self.error(item.line, "a source must be a mapping with `title` (and `date`, `url`)")
                continue
            self.unknown_keys(item, ("title", "date", "url"), "a source")
            title = self.value("title", FieldSpec(TEXT), item["title"]) if "title" in item else None
            if "title" not in item:
                self.error(item.line, "a source is missing `title`")
            when = self.value("date", FieldSpec(DATE), item["date"]) if "date" in item else None
            url = self.value("url", FieldSpec(TEXT), item["url"]) if "url" in item else None
            if url is not None and not _is_http_url(url):
                self.error(item.key_lines["url"], f"`url`: '{url}' is not an absolute http(s) URL")
                url = None
            if title:
                out.append(Source(title=title.strip(), date=when, url=url, line=item.line))
        return out

    def article_text(self, rel: str, line: int) -> str | None:
        """The text beside the sheet. Only files in the sheet's own folder tree: a sheet from someone else
        must not publish /etc/passwd or any file of the machine that loads it, nor read /dev/zero."""
        if "\x00" in rel:
            self.error(line, "`text`: the path holds a NUL character")
            return None
        path = self.folder / rel
        try:
            inside = not Path(rel).is_absolute() and path.resolve().is_relative_to(self.folder.resolve())
        except (OSError, ValueError):
            inside = False
        if not inside:
            self.error(line, f"`text`: '{rel}' is outside the sheet's folder (give a path relative to the sheet, "
                             "in its folder or below)")
            return None
        try:
            if path.exists() and not path.is_file():
                self.error(line, f"`text`: '{rel}' is not a plain file")
                return None
            if path.exists() and path.stat().st_size > MAX_TEXT:
                self.error(line, f"`text`: '{rel}' is larger than {MAX_TEXT // (1024 * 1024)} MiB")
                return None
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            self.error(line, f"`text`: file '{rel}' not found (paths are relative to the sheet)")
            return None
        except UnicodeDecodeError as e:
            self.error(line, f"`text`: '{rel}' is not UTF-8 ({e.reason} at byte {e.start})")
            return None
        except (OSError, ValueError) as e:  # ValueError: a NUL in the path
            self.error(line, f"`text`: cannot read '{rel}': {getattr(e, 'strerror', None) or e}")
            return None
        if not text.strip():
            self.error(line, f"`text`: '{rel}' is empty")
            return None
        return text

    def facts(self, seq: Value | None, root: Mapping, text: str | None) -> list[Fact]:
        if seq is None or (isinstance(seq, Scalar) and seq.is_null):
            return []
        if not isinstance(seq, Sequence):
            self.error(_line(seq, root), "`facts` must be a list")
            return []
        folded = FoldedText(text) if text is not None else None
        out: list[Fact] = []
        ids: dict[str, int] = {}
        for item in seq:
            f = self.fact(item, folded)
            if f is None:
                continue
            if f.id in ids:
                what = "fact id" if "id" in f.lines else "fact (same content)"
                self.error(f.lines.get("id", f.line), f"{what} '{f.id}' appears twice (first at line {ids[f.id]})")
                continue
            ids[f.id] = f.lines.get("id", f.line)
            out.append(f)
        return out

    def fact(self, m: Value, folded: FoldedText | None) -> Fact | None:
        if not isinstance(m, Mapping):
            self.error(m.line, "a fact must be a mapping with `type` and `quote`")
            return None
        if "type" not in m:
            self.error(m.line, f"fact is missing `type` (one of {', '.join(FACT_TYPES)})")
            return None
        kind = self.scalar(m["type"], "type")
        if kind is None:
            return None
        if kind not in FACT_TYPES:
            self.error(kind.line, f"unknown fact type '{kind}' (one of {', '.join(FACT_TYPES)})")
            return None
        spec = {**COMMON_FIELDS, **FACT_TYPES[kind]}
        self.unknown_keys(m, tuple(spec), f"a {kind} fact")
        values: dict[str, Any] = {}
        for name, fspec in spec.items():
            if name == "type":
                continue
            if name not in m or (isinstance(m[name], Scalar) and m[name].is_null):
                if fspec.required:
                    self.error(m.line, f"{kind} fact is missing `{name}`")
                elif fspec.default is not None:
                    values[name] = fspec.default
                continue
            values[name] = self.value(name, fspec, m[name])
        if kind in ONE_OF:
            fields, message = ONE_OF[kind]
            if not any(values.get(f) is not None for f in fields):
                self.error(m.line, message)
        lines = {k: _line(v, m) for k, v in m.items()}
        fid = values.pop("id", None)
        if fid is not None and not FACT_ID.match(fid):
            self.error(lines["id"], f"fact id '{fid}' must match [a-z0-9-]+")
            fid = None
        quote = values.pop("quote", None)
        if quote is None:  # already reported; kept for the reference check only
            return Fact(kind=str(kind), id=fid or f"invalid-{m.line}", quote="", values=_valid(values),
                        line=m.line, lines=lines)
        confidence = values.pop("confidence", None)
        note = values.pop("note", None)
        values = _valid(values)
        fact = Fact(kind=str(kind), id=fid or derive_fact_id(str(kind), values, quote), quote=quote, values=values,
                    confidence=float(confidence) if confidence is not None else None, note=note,
                    line=m.line, lines=lines)
        if folded is not None:
            fact.span = folded.find(quote)
            if fact.span is None:
                near = folded.near_miss(quote)
                hint = f"; the text has it as: {near!r}" if near else ""
                self.error(lines["quote"], f"quote not found in the article text{hint}")
        return fact


def _valid(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def derive_fact_id(kind: str, values: dict[str, Any], quote: str) -> str:
    """An id from the fact's content, so the same fact keeps its IRI across reloads and reorderings."""

    def canon(v: Any) -> Any:
        if isinstance(v, DateValue):
            return v.lexical
        if isinstance(v, list):
            return sorted(canon(x) for x in v)
        return str(v)

    payload = json.dumps([kind, {k: canon(v) for k, v in sorted(values.items())}, " ".join(quote.split())],
                         ensure_ascii=False, sort_keys=True)
    return f"{kind}-{hashlib.sha256(payload.encode()).hexdigest()[:12]}"


def _line(v: Value | None, parent: Mapping) -> int:
    return getattr(v, "line", parent.line)


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        ox.NamedNode(url)  # an IRI the store takes: no control characters, no broken %-escapes
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not re.search(r"[\s<>\"{}|\\^`]", url)
