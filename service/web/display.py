"""What the HTML pages show, worked out from a description's triples.

The pages and the RDF answers come from the same :class:`~newsgraph.service.web.describe.Description`, so a page
never says more or less than the data. This module turns its triples into plain structures the
templates lay out: labels in the reader's language, facts grouped by kind with their roles,
counterparts and sources, an article's text cut into marked passages.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pyoxigraph as ox

from newsgraph.loaders.ontology import CLASS_FACT_KINDS, DATE_PROPERTIES, ROLE_NAMES, ROLE_PROPERTIES
from newsgraph.loaders.vocab import (
    DCTERMS,
    ENTITY_CLASSES,
    NF,
    NF_ONTOLOGY,
    OA,
    OWL,
    PREFIXES,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
)
from newsgraph.service.web.describe import Index

ROLE_OF_PROPERTY = {ox.NamedNode(iri): name for iri, name in ROLE_NAMES.items()}
ROLE_WORDS = {"participants": "participant", "parties": "party", "of": "body of"}
KIND_TITLES = {"membership": "Memberships", "arms-transfer": "Arms transfers", "meeting": "Meetings",
               "agreement": "Agreements", "statement": "Statements", "deployment": "Deployments",
               "military-action": "Military actions", "founding": "Foundings"}
ENTITY_KINDS = {cls.value: name for name, cls in ENTITY_CLASSES.items()}
#: vocabularies whose local names read well alone ("participant", "member"); others keep their prefix
PLAIN_NAMES = frozenset({"nf", "schema", "org", "oa", "prov", "skos", "rdfs", "rdf"})
DATE_ORDER = [DATE_PROPERTIES[n] for n in ("date", "as_of", "start")]


def parse_languages(header: str | None) -> list[str]:
    """``Accept-Language`` as language tags, most wanted first (RFC 9110 §12.5.4)."""
    ranked = []
    for i, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag and tag != "*" and q > 0:
            ranked.append((-q, i, tag))
    return [tag for _, _, tag in sorted(ranked)]


class Labels:
    """Picks the label of a resource in the reader's languages, falling back to English, then to any."""

    def __init__(self, index: Index, base: str, languages: list[str]):
        self.index = index
        self.base = base
        wanted = [*languages, *[t.split("-")[0] for t in languages], "en"]
        self.languages = list(dict.fromkeys(wanted))
        self._names: dict = {}  # a page names the same few resources hundreds of times

    def literal(self, node, prop=RDFS.label) -> ox.Literal | None:
        """The value in the first language wanted (``en`` also takes ``en-US``), else an untagged one,
        else any; only literals count (a label that is an IRI is no name)."""
        found = [lit for lit in self.index.objects(node, prop) if isinstance(lit, ox.Literal)]
        if not found:
            return None
        for lang in self.languages:
            tagged = [lit for lit in found if lit.language and lit.language.lower() == lang]
            tagged = tagged or [lit for lit in found if lit.language and lit.language.lower().split("-")[0] == lang]
            if tagged:
                return tagged[0]
        for lit in found:
            if not lit.language:
                return lit
        return sorted(found, key=lambda lit: lit.language or "")[0]

    def __call__(self, node) -> str:
        if isinstance(node, ox.Literal):
            return node.value
        name = self._names.get(node)
        if name is None:
            name = self._names[node] = self._name(node)
        return name

    def _name(self, node) -> str:
        for prop in (RDFS.label, SKOS.prefLabel, SCHEMA.headline):
            lit = self.literal(node, prop)
            if lit is not None:
                return lit.value
        return local_name(node)

    def href(self, node) -> str | None:
        return href(node, self.base)


def local_name(node) -> str:
    if isinstance(node, ox.BlankNode):
        return f"_:{node.value}"
    value = node.value
    for prefix, ns in PREFIXES.items():
        if value.startswith(ns) and len(value) > len(ns):
            rest = value[len(ns):]
            return rest if prefix in PLAIN_NAMES else f"{prefix}:{rest}"
    return value.rstrip("/").rsplit("/", 1)[-1] or value


def href(node, base: str) -> str | None:
    """Where a link to ``node`` goes: this site's page for IRIs it mints, the ontology's section for
    its terms, the IRI itself elsewhere (http and https only: nothing else is clickable safely)."""
    if not isinstance(node, ox.NamedNode):
        return None
    value = node.value
    if value.startswith(base) and not value[len(base):].startswith("/"):  # "//host" would leave the site
        return "/" + value[len(base):]
    if value.startswith(NF_ONTOLOGY):
        return "/ontology" + value[len(NF_ONTOLOGY):]
    if value.startswith(("http://", "https://")):
        return value
    return None


def fact_kind(index: Index, fact) -> str | None:
    for t in index.types(fact):
        if t in CLASS_FACT_KINDS:
            return CLASS_FACT_KINDS[t]
    return None


def date_text(index: Index, fact) -> str:
    """The fact's date as the sheet gave it: a date, a span, or the bounds that are known."""
    start, end = index.value(fact, NF.start), index.value(fact, NF.end)
    for p in DATE_ORDER:
        d = index.value(fact, p)
        if d is not None:
            if p == NF.start and end is not None:
                return f"{d.value} – {end.value}"
            if p == NF.asOf:
                return f"as of {d.value}"
            return d.value
    if end is not None and start is None:
        return f"until {end.value}"
    after, before = index.value(fact, NF.notBefore), index.value(fact, NF.notAfter)
    if after is not None and before is not None:
        return f"between {after.value} and {before.value}"
    if before is not None:
        return f"before {before.value}"
    if after is not None:
        return f"after {after.value}"
    earliest, latest = index.value(fact, NF.earliest), index.value(fact, NF.latest)
    if earliest is not None and earliest == latest:  # dated by its article (a membership claim, §3.1)
        return f"as of {earliest.value}"
    return ""


@dataclass
class Link:
    text: str
    href: str | None
    lang: str | None = None


@dataclass
class Role:
    role: str
    entity: Link


@dataclass
class FactRow:
    iri: str
    href: str | None
    kind: str | None
    summary: str
    date: str
    roles: list[str] = field(default_factory=list)  # the described entity's roles in it
    counterparts: list[Role] = field(default_factory=list)
    source: Link | None = None
    published: str = ""
    quote: str = ""
    earliest: str | None = None
    latest: str | None = None
    anchor: str = ""


def participants(index: Index, labels: Labels, fact, leave_out=None) -> list[Role]:
    """Every entity the fact names, with its role; ``leave_out``: the entity whose page this is."""
    roles: dict = {}
    for t in index.out.get(fact, ()):
        name = ROLE_OF_PROPERTY.get(t.predicate)
        if name is not None and t.object != leave_out:
            roles.setdefault(t.object, []).append(ROLE_WORDS.get(name, name))
    return [Role(", ".join(names), Link(labels(o), labels.href(o))) for o, names in roles.items()]


def summary(index: Index, labels: Labels, fact) -> str:
    """One line saying what the fact claims, in English, with the entities' labels."""
    v = index.value
    kind = fact_kind(index, fact)

    def names(p) -> str:
        found = index.objects(fact, p)
        return ", ".join(labels(x) for x in found) if found else "?"

    def text(p, default="") -> str:
        lit = v(fact, p)
        return lit.value if lit is not None else default

    if kind == "membership":
        status = text(NF.status, "member")
        article = "an" if status[:1] in "aeiou" else "a"
        return f"{names(ORG_MEMBER)} is {article} {status} of {names(ORG_ORGANIZATION)}"
    if kind == "arms-transfer":
        amount = " ".join(x for x in (text(NF.quantity), text(NF.unit)) if x)
        what = f"{amount} × {names(NF.item)}" if amount else names(NF.item)
        return f"{names(NF.supplier)} → {names(NF.recipient)}: {what} ({text(NF.status, 'delivered')})"
    if kind == "meeting":
        where = f" in {names(NF.location)}" if v(fact, NF.location) is not None else ""
        return f"Meeting of {names(NF.participant)}{where}"
    if kind == "agreement":
        status = text(NF.status)
        return f"Agreement of {names(NF.party)} on {text(NF.subject)}" + (f" ({status})" if status else "")
    if kind == "statement":
        said = text(NF.text)
        return f"{names(NF.speaker)}: {said}" if said[:1] in "“\"«„'‘" else f"{names(NF.speaker)}: “{said}”"
    if kind == "deployment":
        what = text(NF.kind, "deployment")
        return f"{names(NF.actor)}: {what} in {names(NF.location)}"
    if kind == "founding":
        return f"{names(NF.foundedOrganization)} founded"
    if kind == "military-action":
        against = f" against {names(NF.target)}" if v(fact, NF.target) is not None else ""
        where = f" in {names(NF.location)}" if v(fact, NF.location) is not None else ""
        return f"{names(NF.actor)}: {text(NF.kind, 'military action')}{against}{where}"
    return labels(fact)


ORG_MEMBER = ROLE_PROPERTIES["member"]
ORG_ORGANIZATION = ROLE_PROPERTIES["organization"]


def fact_row(index: Index, labels: Labels, fact, about=None) -> FactRow:
    article = index.value(fact, PROV.wasDerivedFrom)
    published = (index.value(article, SCHEMA.datePublished) or index.value(article, SCHEMA.dateCreated)
                 if article is not None else None)
    roles = [ROLE_WORDS.get(n, n) for t in index.out.get(fact, ())
             if t.object == about and (n := ROLE_OF_PROPERTY.get(t.predicate))]
    counterparts = participants(index, labels, fact, leave_out=about)
    quote = index.value(fact, NF.quote)
    earliest, latest = index.value(fact, NF.earliest), index.value(fact, NF.latest)
    ident = index.value(fact, DCTERMS.identifier)
    return FactRow(
        iri=fact.value, href=labels.href(fact), kind=fact_kind(index, fact), summary=summary(index, labels, fact),
        date=date_text(index, fact), roles=roles, counterparts=counterparts,
        source=Link(labels(article), labels.href(article)) if article is not None else None,
        published=published.value if published is not None else "", quote=quote.value if quote is not None else "",
        earliest=earliest.value if earliest is not None else None,
        latest=latest.value if latest is not None else None,
        anchor=f"fact-{ident.value}" if ident is not None else "")


def facts_by_kind(index: Index, labels: Labels, facts, about=None) -> list[tuple[str, str, list[FactRow]]]:
    """(kind, title, rows newest first) for each fact kind present, in the contract's order."""
    rows = [fact_row(index, labels, f, about) for f in dict.fromkeys(facts)]
    rows.sort(key=lambda r: (r.latest or "", r.iri), reverse=True)
    out = []
    for kind, title in KIND_TITLES.items():
        group = [r for r in rows if r.kind == kind]
        if group:
            out.append((kind, title, group))
    return out


@dataclass
class Passage:
    text: str
    facts: list[FactRow] = field(default_factory=list)
    first_of: list[FactRow] = field(default_factory=list)  # facts whose evidence starts here


def evidence_span(index: Index, fact) -> tuple[int, int] | None:
    """Character offsets of the fact's quote in its article's text, from its TextPositionSelector."""
    for ann in index.subjects(OA.hasBody, fact):
        for target in index.objects(ann, OA.hasTarget):
            for sel in index.objects(target, OA.hasSelector):
                if OA.TextPositionSelector.value in index.types(sel):
                    start, end = index.value(sel, OA.start), index.value(sel, OA.end)
                    if start is not None and end is not None:
                        try:
                            return int(start.value), int(end.value)
                        except ValueError:  # loaded from an RDF file that says otherwise: no highlight
                            return None
    return None


def passages(text: str, spans: list[tuple[int, int, FactRow]]) -> list[Passage]:
    """The text cut at every evidence boundary; each piece knows the facts whose evidence covers it.
    Overlapping quotes (two facts citing one sentence) mark the shared piece once, for both."""
    cuts = sorted({0, len(text), *(p for s, e, _ in spans for p in (s, e) if 0 <= p <= len(text))})
    out = []
    for a, b in itertools.pairwise(cuts):
        covering = [row for s, e, row in spans if s <= a and b <= e and s < e]
        starting = [row for s, _, row in spans if s == a]
        out.append(Passage(text[a:b], covering, starting))
    return out


def generic_rows(index: Index, labels: Labels, subject) -> list[tuple[Link, list[Link]]]:
    """(property, values) of a resource, for the pages that list triples as they are."""
    grouped: dict = {}
    for t in index.out.get(subject, ()):
        grouped.setdefault(t.predicate, []).append(t.object)
    out = []
    for p, values in sorted(grouped.items(), key=lambda kv: (kv[0] != RDF.type, local_name(kv[0]))):
        links = []
        for o in values:
            if isinstance(o, ox.Literal):
                links.append(Link(o.value, None, o.language))
            else:
                links.append(Link(labels(o), labels.href(o)))
        out.append((Link(local_name(p), labels.href(p)), links))
    return out


def entity_kind(index: Index, entity) -> str | None:
    for t in index.types(entity):
        if t in ENTITY_KINDS:
            return ENTITY_KINDS[t]
    return None


def wikidata(index: Index, entity) -> str | None:
    for o in index.objects(entity, OWL.sameAs):
        if isinstance(o, ox.NamedNode) and o.value.startswith("http://www.wikidata.org/entity/"):
            return o.value.rsplit("/", 1)[1]
    return None

