"""Property: whatever valid fact sheet is loaded, the store gives back exactly its facts, and exports are stable.

Sheets are generated from a small fixed registry: random fact kinds, random subsets of their fields,
dates at year, month and day precision, quantities, statuses, and quotes drawn from the generated
article text. Each example loads into a fresh on-disk store through the real command.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
from conftest import BASE, Cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

NF = "https://w3id.org/newsgraph/ns#"
ORG = "http://www.w3.org/ns/org#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SKOS_NOTE = "http://www.w3.org/2004/02/skos/core#note"
ARTICLE_ID = "prop-article"

ENTITIES = {
    "country": ["russia", "belarus", "armenia", "kazakhstan"],
    "organization": ["csto", "nato", "wire"],
    "person": ["putin", "pashinyan"],
    "place": ["minsk", "moscow"],
    "weapon-system": ["s-400", "t-72"],
}
TYPE_OF = {eid: t for t, ids in ENTITIES.items() for eid in ids}
REGISTRY = "".join(f"- {{id: {eid}, type: {t}, labels: {{en: {eid.title()}}}}}\n" for eid, t in TYPE_OF.items())

COUNTRIES, ORGS, PERSONS = ENTITIES["country"], ENTITIES["organization"], ENTITIES["person"]
PLACES, WEAPONS = ENTITIES["place"], ENTITIES["weapon-system"]
C_O = COUNTRIES + ORGS
C_O_P = C_O + PERSONS
PL_C = PLACES + COUNTRIES
ANY = list(TYPE_OF)

# field: (value kind, pool or choices, required)
FACT_FIELDS: dict[str, dict[str, tuple[str, list[str] | None, bool]]] = {
    "membership": {"member": ("one", C_O, True), "organization": ("one", ORGS, True),
                   "status": ("choice", ["member", "observer", "suspended", "considering-withdrawal", "withdrawn"],
                              False),
                   "start": ("date", None, False), "end": ("date", None, False), "as_of": ("date", None, False)},
    "arms-transfer": {"supplier": ("one", C_O, True), "recipient": ("one", C_O, True),
                      "item": ("one", WEAPONS, True), "quantity": ("quantity", None, False),
                      "unit": ("text", None, False), "components": ("texts", None, False),
                      "status": ("choice", ["delivered", "ordered", "announced"], False),
                      "date": ("date", None, False)},
    "meeting": {"participants": ("many", C_O_P, True), "location": ("one", PL_C, False),
                "start": ("date", None, False), "end": ("date", None, False), "host": ("one", C_O_P, False),
                "of": ("one", ORGS, False), "absent": ("many", C_O_P, False), "topic": ("text", None, False)},
    "agreement": {"parties": ("many", C_O_P, True), "subject": ("text", None, True),
                  "status": ("choice", ["proposed", "signed", "ratified", "in-force"], False),
                  "date": ("date", None, False)},
    "statement": {"speaker": ("one", C_O_P, True), "date": ("date", None, False), "text": ("text", None, True),
                  "about": ("many", ANY, False), "audience": ("many", C_O_P, False)},
    "deployment": {"actor": ("one-or-many", C_O_P, True), "location": ("one", PL_C, True),
                   "kind": ("text", None, False), "start": ("date", None, False), "end": ("date", None, False)},
    "military-action": {"actor": ("one-or-many", C_O_P, True), "target": ("one-or-many", C_O + PLACES + PERSONS,
                                                                         False),
                        "location": ("one", PL_C, False), "kind": ("text", None, False),
                        "start": ("date", None, False), "end": ("date", None, False),
                        "outcome": ("text", None, False)},
}
COMMON_FIELDS = {"date_before": ("date", None, False), "date_after": ("date", None, False),
                 "confidence": ("confidence", None, False), "note": ("text", None, False)}
#: "one of these" requirements (contract §3.1)
NEEDS_ONE_OF = {"meeting": ["start", "date_after", "date_before"], "statement": ["date", "date_after", "date_before"],
                "military-action": ["target", "location"]}
DEFAULT_STATUS = {"membership": "member", "arms-transfer": "delivered"}

FACT_CLASS = {"membership": "Membership", "arms-transfer": "ArmsTransfer", "meeting": "Meeting",
              "agreement": "Agreement", "statement": "Statement", "deployment": "Deployment",
              "military-action": "MilitaryAction"}
PROPERTY = {
    "member": ORG + "member", "organization": ORG + "organization", "supplier": NF + "supplier",
    "recipient": NF + "recipient", "item": NF + "item", "participants": NF + "participant",
    "location": NF + "location", "host": NF + "host", "of": NF + "bodyOf", "absent": NF + "absent",
    "parties": NF + "party", "speaker": NF + "speaker", "about": NF + "about", "audience": NF + "audience",
    "actor": NF + "actor", "target": NF + "target", "status": NF + "status", "unit": NF + "unit",
    "components": NF + "component", "topic": NF + "topic", "subject": NF + "subject", "kind": NF + "kind",
    "outcome": NF + "outcome", "date": NF + "date", "start": NF + "start", "end": NF + "end",
    "as_of": NF + "asOf", "date_before": NF + "notAfter", "date_after": NF + "notBefore",
    "quantity": NF + "quantity", "text": NF + "text", "confidence": NF + "confidence", "note": SKOS_NOTE,
}
CHECKED = {RDF_TYPE, *PROPERTY.values()}
DATATYPE = {1: "gYear", 2: "gYearMonth", 3: "date"}

# ---- generated values ---------------------------------------------------------------------------

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzàèéìòùçäöüßABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ДМРСТабвгдеж",
               min_size=1, max_size=8)
PHRASE = st.lists(WORD, min_size=1, max_size=6).map(" ".join)


@dataclass(frozen=True)
class DateField:
    lexical: str
    datatype: str


@st.composite
def dates(draw) -> DateField:
    d = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31)))
    precision = draw(st.sampled_from([1, 2, 3]))
    lexical = {1: f"{d.year:04d}", 2: f"{d.year:04d}-{d.month:02d}", 3: d.isoformat()}[precision]
    return DateField(lexical, DATATYPE[precision])


QUANTITIES = st.one_of(
    st.integers(min_value=1, max_value=100_000),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"), places=2, allow_nan=False,
                allow_infinity=False).filter(lambda d: d != d.to_integral_value()),
)
CONFIDENCES = st.decimals(min_value=Decimal("0"), max_value=Decimal("1"), places=2, allow_nan=False,
                          allow_infinity=False)


@dataclass
class GenFact:
    kind: str
    quote: str
    id: str | None
    #: field -> str | list[str] | DateField | int | Decimal
    values: dict = field(default_factory=dict)


def draw_value(draw, kind: str, pool: list[str] | None):
    if kind == "one":
        return draw(st.sampled_from(pool))
    if kind == "many":
        return draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))
    if kind == "one-or-many":
        return draw(st.one_of(st.sampled_from(pool), st.lists(st.sampled_from(pool), min_size=1, max_size=3,
                                                               unique=True)))
    if kind == "choice":
        return draw(st.sampled_from(pool))
    if kind == "date":
        return draw(dates())
    if kind == "quantity":
        return draw(QUANTITIES)
    if kind == "confidence":
        return draw(CONFIDENCES)
    if kind == "text":
        return draw(PHRASE)
    if kind == "texts":
        return draw(st.lists(PHRASE, min_size=1, max_size=3, unique=True))
    raise AssertionError(kind)


@st.composite
def facts(draw, quote: str, index: int) -> GenFact:
    kind = draw(st.sampled_from(list(FACT_FIELDS)))
    spec = {**FACT_FIELDS[kind], **COMMON_FIELDS}
    fid = draw(st.one_of(st.none(), st.just(f"fact-{index}")))
    fact = GenFact(kind, quote, fid)
    for name, (vkind, pool, required) in spec.items():
        if required or draw(st.booleans()):
            fact.values[name] = draw_value(draw, vkind, pool)
    if kind in NEEDS_ONE_OF and not any(f in fact.values for f in NEEDS_ONE_OF[kind]):
        name = draw(st.sampled_from(NEEDS_ONE_OF[kind]))
        fact.values[name] = draw_value(draw, *spec[name][:2])
    return fact


@dataclass
class GenSheet:
    language: str
    title: str
    published: date
    text: str
    facts: list[GenFact]


@st.composite
def sheets(draw) -> GenSheet:
    sentences = draw(st.lists(PHRASE, min_size=1, max_size=6, unique=True))
    separators = [draw(st.sampled_from([". ", ".\n", ".\n\n", ".  "])) for _ in sentences]
    text = "".join(s + sep for s, sep in zip(sentences, separators, strict=True))
    quoted = draw(st.lists(st.sampled_from(sentences), min_size=1, max_size=len(sentences), unique=True))
    return GenSheet(
        language=draw(st.sampled_from(["it", "en", "ru"])),
        title=draw(PHRASE),
        published=draw(st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31))),
        text=text,
        facts=[draw(facts(q, i)) for i, q in enumerate(quoted)],
    )


# ---- writing the sheet ------------------------------------------------------------------------


ENTITY_KINDS = ("one", "many", "one-or-many")


def value_kind(fact_kind: str, name: str) -> str:
    return {**FACT_FIELDS[fact_kind], **COMMON_FIELDS}[name][0]


def yaml_value(v, vkind: str) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(yaml_value(x, vkind) for x in v) + "]"
    if isinstance(v, DateField):
        return v.lexical
    if isinstance(v, int | Decimal) or vkind in (*ENTITY_KINDS, "choice"):
        return str(v)
    return json.dumps(v, ensure_ascii=False)


def sheet_yaml(sheet: GenSheet) -> str:
    lines = ["article:", f"  id: {ARTICLE_ID}", f"  title: {json.dumps(sheet.title, ensure_ascii=False)}",
             "  publisher: wire", f"  published: {sheet.published.isoformat()}", f"  language: {sheet.language}",
             "  text: article.txt", "facts:"]
    for f in sheet.facts:
        lines.append(f"  - type: {f.kind}")
        if f.id:
            lines.append(f"    id: {f.id}")
        lines += [f"    {name}: {yaml_value(v, value_kind(f.kind, name))}" for name, v in f.values.items()]
        lines.append(f"    quote: {json.dumps(f.quote, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


# ---- what the store must hold ---------------------------------------------------------------------


def norm(term: ox.Term) -> tuple:
    """A term in a comparable form: numbers by value and datatype, literals with datatype or language."""
    if isinstance(term, ox.NamedNode):
        return ("iri", term.value)
    assert isinstance(term, ox.Literal), term
    if term.language:
        return ("lang", term.value, term.language)
    dt = term.datatype.value
    if dt in (XSD + "integer", XSD + "decimal"):
        return ("num", dt, Decimal(term.value))
    return ("lit", term.value, dt)


def expected_facts(sheet: GenSheet) -> dict[str, dict[str, set[tuple]]]:
    out: dict[str, dict[str, set[tuple]]] = {}
    for f in sheet.facts:
        props: dict[str, set[tuple]] = {RDF_TYPE: {("iri", NF + "Fact"), ("iri", NF + FACT_CLASS[f.kind])}}
        if f.kind == "membership":
            props[RDF_TYPE].add(("iri", ORG + "Membership"))
        values = dict(f.values)
        if f.kind in DEFAULT_STATUS:
            values.setdefault("status", DEFAULT_STATUS[f.kind])
        for name, v in values.items():
            p = PROPERTY[name]
            items = v if isinstance(v, list) else [v]
            for x in items:
                if isinstance(x, DateField):
                    t = ("lit", x.lexical, XSD + x.datatype)
                elif name == "quantity":
                    t = ("num", XSD + ("integer" if isinstance(x, int) else "decimal"), Decimal(x))
                elif name == "confidence":
                    t = ("num", XSD + "decimal", Decimal(x))
                elif name == "text":
                    t = ("lang", x, sheet.language)
                elif name == "note":
                    t = ("lang", x, "en")
                elif value_kind(f.kind, name) in ENTITY_KINDS:
                    t = ("iri", f"{BASE}id/{TYPE_OF[x]}/{x}")
                else:
                    t = ("lit", x, XSD + "string")
                props.setdefault(p, set()).add(t)
        out[f.quote] = props
    return out


def terms(cli: Cli, query: str) -> list[dict[str, ox.Term]]:
    result = cli("query", query, "--format", "json")
    assert result.exit_code == 0, result.stderr
    parsed = ox.parse_query_results(result.stdout_bytes, format=ox.QueryResultsFormat.JSON)
    return [{v.value: s[v] for v in parsed.variables if s[v] is not None} for s in parsed]


@settings(max_examples=15, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(sheets())
def test_loaded_sheets_give_back_exactly_their_facts(sheet: GenSheet):
    with tempfile.TemporaryDirectory(prefix="newsgraph-prop-") as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        (folder / "entities.yaml").write_text(REGISTRY, encoding="utf-8")
        (folder / "article.txt").write_text(sheet.text, encoding="utf-8")
        path = folder / "sheet.yaml"
        path.write_text(sheet_yaml(sheet), encoding="utf-8")
        cli = Cli(Path(tmp) / "store")

        result = cli("load", str(folder))
        assert result.exit_code == 0, result.output + "\n" + path.read_text(encoding="utf-8")
        assert f"loaded 1 article, {len(sheet.facts)} facts" in result.stdout

        graph = f"{BASE}graph/article/{ARTICLE_ID}"
        rows = terms(cli, f"""SELECT ?f ?quote ?p ?o WHERE {{ GRAPH <{graph}> {{
            ?f a nf:Fact ; nf:quote ?quote ; ?p ?o }} }}""")
        actual: dict[str, dict[str, set[tuple]]] = {}
        iris: dict[str, str] = {}
        for r in rows:
            iris[r["quote"].value] = r["f"].value
            if r["p"].value in CHECKED:
                actual.setdefault(r["quote"].value, {}).setdefault(r["p"].value, set()).add(norm(r["o"]))
        assert actual == expected_facts(sheet)
        assert len(set(iris.values())) == len(sheet.facts)
        for f in sheet.facts:
            if f.id:
                assert iris[f.quote] == f"{BASE}id/article/{ARTICLE_ID}/{f.id}"

        # evidence offsets point at the quote in the text
        spans = cli.select(f"""SELECT ?exact ?start ?end WHERE {{ GRAPH <{graph}> {{
            ?sel oa:exact ?exact . ?t oa:hasSelector ?sel, ?pos . ?pos oa:start ?start ; oa:end ?end }} }}""")
        assert len(spans) == len(sheet.facts)
        for s in spans:
            assert sheet.text[int(s["start"]):int(s["end"])] == s["exact"]

        # membership shortcut: `member org:memberOf organization` exactly for status member with no end
        shortcuts = {(r["m"], r["o"]) for r in cli.select(
            f"SELECT ?m ?o WHERE {{ GRAPH <{graph}> {{ ?m org:memberOf ?o }} }}")}
        assert shortcuts == {(f"{BASE}id/{TYPE_OF[f.values['member']]}/{f.values['member']}",
                              f"{BASE}id/organization/{f.values['organization']}")
                             for f in sheet.facts
                             if f.kind == "membership" and f.values.get("status", "member") == "member"
                             and f.values.get("end") is None}

        # the article itself
        meta = terms(cli, f"""SELECT ?published ?lang WHERE {{
            <{BASE}id/article/{ARTICLE_ID}> schema:datePublished ?published ; schema:inLanguage ?lang }}""")
        assert [(norm(m["published"]), m["lang"].value) for m in meta] == [
            (("lit", sheet.published.isoformat(), XSD + "date"), sheet.language)]

        # export -> load into a fresh store -> export: the same dataset
        exported = cli.export()
        dump = Path(tmp) / "dump.nq"
        dump.write_text("\n".join(sorted(exported)) + "\n", encoding="utf-8")
        fresh = Cli(Path(tmp) / "fresh")
        assert fresh("load", str(dump)).exit_code == 0
        assert fresh.export() == exported
