"""The SERVICE/LOAD check read on its own: what it must find, and what it must leave alone."""

from __future__ import annotations

import pytest

from newsgraph.service.sparql.text import DatasetConflict, remote_targets, with_using

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
    import pyoxigraph as ox

    from newsgraph.service.sparql.text import bind_each, binds_surely, union_branches, where_brace

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
