"""The SERVICE/LOAD check read on its own: what it must find, and what it must leave alone."""

from __future__ import annotations

import pytest

from service.sparqltext import DatasetConflict, remote_targets, with_using

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
