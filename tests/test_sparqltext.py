"""The query text read on its own: what the SERVICE/LOAD check must find and leave alone, USING clauses,
and where parameter values are bound (the VALUES block and its copies in UNION branches)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from newsgraph.service.sparql.text import (
    DatasetConflict,
    bind_each,
    bind_values,
    binds_surely,
    remote_targets,
    union_branches,
    where_brace,
    with_using,
)

EVIL = "http://127.0.0.1:9/"


@pytest.mark.parametrize("text", [
    f"PREFIX ex: <http://allowed.example/> PREFIXex:<{EVIL}> SELECT * {{ SERVICE ex:sparql {{ ?s ?p ?o }} }}",
    f"PREFIX ex: <http://allowed.example/> PREFIX ex: <{EVIL}> SELECT * {{ SERVICE ex:sparql {{ ?s ?p ?o }} }}",
    f"PREFIX ex: <http://allowed.example/> PREFIXex:<{EVIL}> LOAD SILENT ex:data.ttl",
])
def test_a_prefix_declared_twice_is_checked_with_every_iri(text):
    targets = [iri for _, iri in remote_targets(text)]
    assert any(t and t.startswith(EVIL) for t in targets), targets


@pytest.mark.parametrize("text", [
    'SELECT * { ?s ?p "SERVICE <http://x> { }" }',
    "SELECT * { ?s ?p ?o } # SERVICE <http://x> { }",
    "PREFIX ex: <http://ex/> SELECT * { ?s ex:SERVICE ?o ; ex:download <http://x> ; ex:webService ?z }",
    "SELECT * { ?s a <http://schema.org/Service> . ?x <http://ex/load/1> ?service }",
    "SELECT ?service ?load { ?service ?load ?o FILTER(?a < ?b && ?c > 1) }",
    "SELECT * { ?s <http://ex/a#SERVICE> ?o }",
])
def test_ordinary_queries_naming_services_are_left_alone(text):
    assert remote_targets(text) == []


def test_using_parameters_become_using_clauses():
    text = with_using("INSERT { ?s a <x> } WHERE { ?s a <y> } ; DELETE WHERE { ?a ?b ?c }", ["http://d"], ["http://n"])
    assert text.startswith("INSERT { ?s a <x> } USING <http://d> USING NAMED <http://n> WHERE")
    assert text.endswith("DELETE WHERE { ?a ?b ?c }")
    with pytest.raises(DatasetConflict):
        with_using("WITH <g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", ["http://d"], [])


def test_parameters_are_bound_in_each_top_level_union_branch_that_binds_them_surely():
    """Copies of the VALUES block go at the start of each branch of a UNION directly in WHERE that binds the
    variable in a triple pattern of its own — never where it is only optional, filtered or nested, nor into
    a sub-SELECT — and the answers are those of the outer block alone."""
    text = """SELECT ?s ?o WHERE {
      { ?s <http://ex/p> ?e } UNION { GRAPH ?g { ?s <http://ex/q> $e } }
      UNION { ?s <http://ex/r> ?o OPTIONAL { ?s <http://ex/q> ?e } } UNION { ?s ?p ?o FILTER(?o = ?e) }
      UNION { SELECT ?s WHERE { ?s ?p ?e } } UNION { ?s ?p ?x BIND(?x AS ?e) }
      { SELECT ?o WHERE { { ?o ?z ?e } UNION { ?o ?w ?e } } }
    }"""
    where = where_brace(text)
    branches = union_branches(text, where)
    assert len(branches) == 6, "the top-level branches only"
    assert [binds_surely(text, a, b, "e") for a, b in branches] == [True, True, False, False, False, False]

    e = ox.NamedNode("http://ex/e")
    store = ox.Store()
    for s, p, o in (("a", "p", "e"), ("b", "q", "e"), ("c", "p", "other"), ("d", "q", "other"), ("m", "r", "x")):
        store.add(ox.Quad(*(ox.NamedNode(f"http://ex/{x}") for x in (s, p, o))))
    store.add(ox.Quad(*(ox.NamedNode(f"http://ex/{x}") for x in ("m", "q", "other"))))
    flat = ("SELECT ?s WHERE { { ?s <http://ex/p> ?e } UNION { ?s <http://ex/q> ?e } "
            "UNION { ?s <http://ex/r> ?x OPTIONAL { ?s <http://ex/q> ?e } } }")
    w = where_brace(flat)
    once = bind_each(flat, [(w, {"e": [e]})])
    copies = [(w, {"e": [e]})] + [(a, {"e": [e]}) for a, b in union_branches(flat, w) if binds_surely(flat, a, b, "e")]
    copied = bind_each(flat, copies)
    assert copied.count("VALUES") == 3, "outer block and the two branches that bind ?e in a pattern"
    answers = [sorted(r["s"].value for r in store.query(q)) for q in (once, copied)]
    assert answers[0] == answers[1] == ["http://ex/a", "http://ex/b"], "m's optional ?e is 'other': no match"


UNION_CASES = {
    "comment with braces and UNION":
        'SELECT ?s WHERE { # { UNION }\n { ?s ex:p ?e } # } UNION {\n UNION { ?s ex:q ?e } }',
    "strings with braces": 'SELECT ?s WHERE { { ?s ex:p ?e FILTER(STR(?s) != "} UNION {") } UNION '
                           '{ ?s ex:q ?e FILTER(?s != \'{\') } }',
    "long string": 'SELECT ?s WHERE { { ?s ex:p ?e FILTER(STR(?s) != """}\n UNION {""") } UNION { ?s ex:q ?e } }',
    "lower-case union": "SELECT ?s WHERE { { ?s ex:p ?e } union { ?s ex:q ?e } }",
    "three branches": "SELECT ?s WHERE { { ?s ex:p ?e } UNION { ?s ex:q ?e } UNION { ?s ex:host ?e } }",
    "in OPTIONAL": "SELECT ?s WHERE { ?s ?z ?w OPTIONAL { { ?s ex:p ?e } UNION { ?s ex:q ?e } } }",
    "in GRAPH": "SELECT ?s WHERE { GRAPH ?g { { ?s ex:p ?e } UNION { ?s ex:q ?e } } }",
    "in MINUS": "SELECT ?s WHERE { ?s ?z ?w MINUS { { ?s ex:p ?e } UNION { ?s ex:q ?e } } }",
    "in FILTER EXISTS": "SELECT ?s WHERE { ?s ?z ?w FILTER EXISTS { { ?s ex:p ?e } UNION { ?s ex:q ?e } } }",
    "union last": "SELECT ?s WHERE { ?s ?z ?w . { ?s ex:p ?e } UNION { ?s ex:q ?e } }",
    "trailing VALUES": "SELECT ?s WHERE { { ?s ex:p ?e } UNION { ?s ex:q ?e } } VALUES ?z { ex:p }",
    "EXISTS in the projection": "SELECT ?s (EXISTS { { ?s ?a ?b } UNION { ?s ?c ?d } } AS ?x) WHERE "
                                "{ { ?s ex:p ?e } UNION { ?s ex:q ?e } }",
    "sub-SELECT inside a branch": "SELECT ?s WHERE { { { SELECT ?s ?e WHERE { ?s ex:p ?e } } } UNION { ?s ex:q ?e } }",
}
EXPECTED_BRANCHES = {"in OPTIONAL": 0, "in GRAPH": 0, "in MINUS": 0, "in FILTER EXISTS": 0, "three branches": 3}


@pytest.mark.parametrize("name", list(UNION_CASES))
def test_union_branches_at_their_edges_parse_and_answer_as_the_outer_block_alone(name):
    text = UNION_CASES[name]
    store = ox.Store()
    ex = "http://ex/"
    g = ox.NamedNode(ex + "g")
    for s, p, o in (("a", "p", "e"), ("b", "q", "e"), ("c", "p", "x"), ("d", "q", "x"), ("a", "host", "e")):
        store.add(ox.Quad(ox.NamedNode(ex + s), ox.NamedNode(ex + p), ox.NamedNode(ex + o), g))
    where = where_brace(text)
    offsets = union_branches(text, where)
    assert len(offsets) == EXPECTED_BRANCHES.get(name, 2)
    values = {"e": [ox.NamedNode(ex + "e")]}
    run = [sorted(str(row["s"]) for row in store.query(t, prefixes={"ex": ex}, use_default_graph_as_union=True))
           for t in (bind_values(text, where, values),
                     bind_each(text, [(where, values)] + [(a, values) for a, b in offsets
                                                          if binds_surely(text, a, b, "e")]))]
    assert run[0] == run[1]
