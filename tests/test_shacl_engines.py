"""The fast SHACL Core validator and pyshacl agree, on valid data and on every kind of breakage.

The mutations are systematic: for one fact of each kind and for the article, every triple is in
turn removed, doubled with a second value, and given a value of the wrong kind. Both engines must
report the same (focus node, path, message) results for each mutated graph.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from newsgraph.loaders.entities import Registry
from newsgraph.loaders.mapping import map_article, referenced_type_quads
from newsgraph.loaders.shacl import validate
from newsgraph.loaders.sheets import read_yaml_file
from newsgraph.loaders.vocab import NF, RDF, XSD, Iris

ROOT = Path(__file__).resolve().parent.parent
IRIS = Iris("http://localhost:5000/")


def seed_graph() -> list[ox.Quad]:
    registry = Registry()
    reg = read_yaml_file(ROOT / "seeds" / "entities.yaml")
    sheet = read_yaml_file(ROOT / "seeds" / "askanews-2023-11-22-csto.yaml")
    added = []
    for e in [*reg.entities, *sheet.entities]:
        a, problems = registry.declare(e)
        assert not problems
        added.append(a)
    mapped = map_article(sheet.article, registry, IRIS, added)
    return [*mapped.quads, *mapped.entity_quads, *(ox.Quad(t.subject, t.predicate, t.object, mapped.graph)
                                                   for t in referenced_type_quads(mapped, registry, IRIS))]


GRAPH = seed_graph()
WRONG_IRI = ox.NamedNode("http://localhost:5000/id/weapon-system/s-300")
WRONG_LITERAL = ox.Literal("not-a-date", datatype=XSD.string)


def subjects_to_mutate() -> list[ox.NamedNode]:
    """The article, one fact of each kind, and its evidence nodes."""
    kinds: dict[str, ox.NamedNode] = {}
    for q in GRAPH:
        if q.predicate == RDF.type and q.object.value.startswith(str(NF)) and q.object != NF.Fact:
            kinds.setdefault(q.object.value, q.subject)
    facts = [s for s in kinds.values() if "/id/article/" in s.value and s.value.count("/") > 5]
    article = next(q.subject for q in GRAPH if q.object == NF.Article)
    evidence = [ox.NamedNode(facts[0].value + frag) for frag in ("#evidence", "#target", "#quote", "#position")]
    return [article, *facts, *evidence]


def mutations():
    for subject in subjects_to_mutate():
        own = [q for q in GRAPH if q.subject == subject]
        for q in own:
            name = f"{subject.value.rsplit('/', 1)[-1]} {q.predicate.value.rsplit('/', 1)[-1]}"
            rest = [x for x in GRAPH if x != q]
            yield f"drop {name}", rest
            wrong = WRONG_LITERAL if isinstance(q.object, ox.NamedNode) else WRONG_IRI
            yield f"wrong kind {name}", [*rest, ox.Quad(q.subject, q.predicate, wrong, q.graph_name)]
            if isinstance(q.object, ox.Literal):
                twin = ox.Literal(q.object.value + "0", datatype=q.object.datatype) if not q.object.language \
                    else ox.Literal(q.object.value + "0", language=q.object.language)
            else:
                twin = ox.NamedNode(q.object.value + "-other")
            yield f"second value {name}", [*GRAPH, ox.Quad(q.subject, q.predicate, twin, q.graph_name)]


CASES = list(mutations())


def test_valid_graph_conforms_in_both():
    assert validate(GRAPH, "fast") == []
    assert validate(GRAPH, "pyshacl") == []


def test_mutations_are_many_and_most_are_caught():
    caught = sum(1 for _, g in CASES if validate(g, "fast"))
    assert len(CASES) > 150
    assert caught > len(CASES) // 2


@pytest.mark.parametrize("graph", [g for _, g in CASES], ids=[n for n, _ in CASES])
def test_engines_agree(graph):
    assert validate(graph, "fast") == validate(graph, "pyshacl")


# ---- sh:severity and sh:flags: both engines implement them the same way, or the fast one refuses ----------

PROBE_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
ex:Probe a sh:NodeShape ; sh:targetClass ex:T ;
  sh:property [ sh:path ex:code ; sh:pattern "^abc$" ; sh:flags "i" ; sh:message "code: abc, any case" ] ;
  sh:property [ sh:path ex:lines ; sh:pattern "^two$" ; sh:flags "m" ; sh:message "lines: a line 'two'" ] ;
  sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:severity sh:Warning ; sh:message "name: advised" ] ;
  sh:property [ sh:path ex:note ; sh:maxLength 3 ; sh:severity sh:Info ; sh:message "note: short" ] ;
  sh:property [ sh:path ex:id ; sh:minCount 1 ; sh:severity sh:Violation ; sh:message "id: required" ] .
"""
EX = "http://example.org/"


def probe(**values: str) -> list[ox.Triple]:
    node = ox.NamedNode(EX + "x")
    triples = [ox.Triple(node, RDF.type, ox.NamedNode(EX + "T"))]
    triples += [ox.Triple(node, ox.NamedNode(EX + k), ox.Literal(v)) for k, v in values.items()]
    return triples


PROBES = {
    "all-good": probe(code="abc", lines="one\ntwo", name="X", note="ok", id="1"),
    "code-upper-case-passes": probe(code="ABC", lines="two", name="X", id="1"),
    "code-wrong": probe(code="abd", lines="two", name="X", id="1"),
    "multiline-match": probe(code="abc", lines="one\ntwo\nthree", id="1"),
    "multiline-no-match": probe(code="abc", lines="one two", id="1"),
    "warning-only": probe(code="abc", lines="two", id="1"),
    "info-only": probe(code="abc", lines="two", name="X", note="too long", id="1"),
    "violation-and-warning": probe(code="abc", lines="two"),
}


@pytest.fixture(scope="module")
def probe_shapes(tmp_path_factory):
    path = tmp_path_factory.mktemp("shapes") / "probe.ttl"
    path.write_text(PROBE_SHAPES, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", sorted(PROBES))
def test_engines_agree_on_severity_and_flags(probe_shapes, name):
    fast = validate(PROBES[name], "fast", probe_shapes)
    slow = validate(PROBES[name], "pyshacl", probe_shapes)
    assert fast == slow
    messages = {v.message for v in fast}
    assert not messages & {"name: advised", "note: short"}, "a warning or an info result blocked"
    expected = {"code-wrong": {"code: abc, any case"}, "multiline-no-match": {"lines: a line 'two'"},
                "violation-and-warning": {"id: required"}}.get(name, set())
    assert messages == expected


@pytest.mark.parametrize("feature, value", [("sh:flags", '"s"'), ("sh:flags", '"x"'), ("sh:flags", '"iq"'),
                                            ("sh:severity", "<http://example.org/Fatal>")])
def test_the_fast_engine_refuses_what_it_does_not_implement(tmp_path, feature, value):
    from newsgraph.loaders.shaclcore import ShapesError, Validator

    path = tmp_path / "shapes.ttl"
    path.write_text(f"""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
ex:S a sh:NodeShape ; sh:targetClass ex:T ; sh:property [ sh:path ex:p ; sh:pattern "a" ; {feature} {value} ] .
""", encoding="utf-8")
    with pytest.raises(ShapesError, match=feature.split(":")[1]):
        Validator(path)
