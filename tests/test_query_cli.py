"""`newsgraph query`: one SPARQL query over the union of all graphs, in the format asked."""

from __future__ import annotations

import csv
import io
import json

import pyoxigraph as ox
import pytest
import rdflib
import yaml
from conftest import BASE, SEEDS

COUNTRIES_QUERY = "SELECT ?id ?label WHERE { ?e a nf:Country ; dcterms:identifier ?id ; rdfs:label ?label " \
                  "FILTER(LANG(?label) = \"en\") } ORDER BY ?id"


@pytest.fixture(scope="module")
def registry() -> list[dict]:
    return yaml.safe_load((SEEDS / "entities.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def countries(registry) -> list[tuple[str, str]]:
    """(id, English label) of every country in the seed registry, by id: what COUNTRIES_QUERY must return."""
    return sorted((e["id"], e["labels"]["en"]) for e in registry if e["type"] == "country")


def test_table_output_has_a_header_and_a_row_count(seeded, countries):
    result = seeded("query", COUNTRIES_QUERY)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [c.strip() for c in lines[0].split("|")] == ["id", "label"]
    assert set(lines[1]) <= {"-", "+"}
    body = lines[2:-1]
    assert len(body) == len(countries) > 5
    assert [tuple(c.strip() for c in line.split("|")) for line in body] == \
        [(i, f"{label}@en") for i, label in countries]
    assert lines[-1] == f"({len(countries)} rows)"

    one = seeded("query", 'SELECT ?e WHERE { ?e dcterms:identifier "tajikistan" }')
    assert one.stdout.splitlines()[-1] == "(1 row)"
    assert ":id/country/tajikistan" in one.stdout  # IRIs under the base are shortened for reading


def test_json_output_parses_back(seeded, countries):
    result = seeded("query", COUNTRIES_QUERY, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["head"]["vars"] == ["id", "label"]
    rows = data["results"]["bindings"]
    assert [(r["id"]["value"], r["label"]["value"]) for r in rows] == countries
    assert all(r["label"]["xml:lang"] == "en" for r in rows)


def test_csv_output_parses_back(seeded, countries):
    result = seeded("query", COUNTRIES_QUERY, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["id"], r["label"]) for r in rows] == countries


def test_tsv_output_parses_back(seeded, countries):
    result = seeded("query", COUNTRIES_QUERY, "--format", "tsv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0].split("\t") == ["?id", "?label"]
    parsed = ox.parse_query_results(result.stdout_bytes, format=ox.QueryResultsFormat.TSV)
    rows = [(s["id"].value, s["label"].value, s["label"].language) for s in parsed]
    assert rows == [(i, label, "en") for i, label in countries]


@pytest.mark.parametrize("args", [("--format", "ttl"), ()], ids=["ttl", "default"])
def test_construct_as_turtle_parses_with_rdflib(seeded, registry, args):
    result = seeded("query", 'CONSTRUCT { ?e rdfs:label ?l ; a ?t } WHERE { ?e dcterms:identifier "russia" ; '
                             'rdfs:label ?l ; a ?t }', *args)
    assert result.exit_code == 0, result.stderr
    g = rdflib.Graph().parse(data=result.stdout, format="turtle")
    russia = rdflib.URIRef(f"{BASE}id/country/russia")
    labels = {(lit.language, str(lit)) for lit in g.objects(russia, rdflib.RDFS.label)}
    expected = next(e for e in registry if e["id"] == "russia")["labels"]
    assert labels == set(expected.items())
    assert set(g.objects(russia, rdflib.RDF.type)) == {rdflib.URIRef("https://w3id.org/newsgraph/ns#Country")}
    assert len(g) == len(expected) + 1


def test_ask_prints_true_or_false(seeded):
    yes = seeded("query", 'ASK { ?e dcterms:identifier "tajikistan" }')
    no = seeded("query", 'ASK { ?e dcterms:identifier "atlantis" }')
    assert (yes.exit_code, yes.stdout) == (0, "true\n")
    assert (no.exit_code, no.stdout) == (0, "false\n")
    as_json = seeded("query", 'ASK { ?e dcterms:identifier "atlantis" }', "--format", "json")
    assert json.loads(as_json.stdout)["boolean"] is False


def test_query_from_a_file(seeded, tmp_path, countries):
    path = tmp_path / "countries.rq"
    path.write_text("# countries with their English names\n"
                    "PREFIX nf: <https://w3id.org/newsgraph/ns#>\n"
                    "SELECT ?id ?label\nWHERE {\n"
                    "  ?e a nf:Country ; dcterms:identifier ?id ; rdfs:label ?label .\n"
                    "  FILTER(LANG(?label) = \"en\")\n}\nORDER BY ?id\n", encoding="utf-8")
    result = seeded("query", str(path), "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert [(r["id"], r["label"]) for r in csv.DictReader(io.StringIO(result.stdout))] == countries


def test_syntax_error_exits_1_with_the_parsers_message(seeded):
    result = seeded("query", "SELECT ?x WHERE { ?x ?y }")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "invalid query" in result.stderr
    assert "error at 1:" in result.stderr, result.stderr  # the parser's own position
    with pytest.raises(SyntaxError) as parser:
        ox.Store().query("SELECT ?x WHERE { ?x ?y }")
    assert str(parser.value) in result.stderr


def test_select_cannot_be_written_as_turtle(seeded):
    result = seeded("query", "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1", "--format", "ttl")
    assert result.exit_code == 1
    assert "cannot be written as ttl" in result.stderr


def test_default_graph_is_the_union_of_all_graphs(seeded):
    rows = seeded.select("SELECT DISTINCT ?id WHERE { ?f a nf:Fact ; prov:wasDerivedFrom ?a . "
                         "?a dcterms:identifier ?id } ORDER BY ?id")
    assert [r["id"] for r in rows] == ["askanews-2023-11-22-csto", "csto-treaty-record"]
    # a join across graphs: facts sit in article graphs, labels in the entities graph
    rows = seeded.select("""SELECT DISTINCT ?label WHERE {
        ?t a nf:ArmsTransfer ; nf:item ?item . ?item rdfs:label ?label FILTER(LANG(?label) = "en") }""")
    assert rows == [{"label": "S-300"}]
    # the union, not only the (empty) real default graph
    triples = {q.rsplit(" ", 2)[0] for q in seeded.export()}  # quads without their graph
    counted = seeded.select("SELECT (COUNT(DISTINCT *) AS ?n) WHERE { ?s ?p ?o }")
    assert int(counted[0]["n"]) == len(triples) > 1000


@pytest.mark.parametrize("text, says", [
    ("SELECT (<http://a/>(1) AS ?x) {}", "custom function <http://a/> is not supported"),
    ("SELECT * { ?s ?p ?o FILTER(<http://example.org/f>(?o)) }", "not supported"),
    ("SELECT * { SERVICE ?x { ?s ?p ?o } }", "service name is unbound"),
], ids=["unknown-function", "unknown-function-in-filter", "unbound-service"])
def test_a_query_the_engine_cannot_run_is_a_clear_error_not_a_traceback(seeded, text, says):
    result = seeded("query", text)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("newsgraph: the query cannot run:") and says in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_one_line_query_longer_than_a_file_name_is_run_as_a_query(seeded):
    """A query text is a query: it is never opened as a path (`File name too long` for > 255 bytes)."""
    filters = " ".join(f'FILTER(?id != "no-such-{i}")' for i in range(12))
    text = f"SELECT ?id WHERE {{ ?e a nf:Country ; dcterms:identifier ?id {filters} }} ORDER BY ?id"
    assert len(text.encode()) > 255 and "\n" not in text
    result = seeded("query", text, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert "armenia" in result.stdout


@pytest.mark.parametrize("arg", ["no/such/query.rq", "missing.rq", "x" * 300 + ".rq"])
def test_a_path_that_is_not_a_file_says_so(seeded, arg):
    result = seeded("query", arg)
    assert result.exit_code == 1
    assert f"{arg} is neither a file nor a SPARQL query" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_query_file_that_is_not_utf8_says_which_byte(seeded, tmp_path):
    path = tmp_path / "latin1.rq"
    path.write_bytes("SELECT * WHERE { ?s rdfs:label \"Bélarus\" }".encode("latin-1"))
    result = seeded("query", str(path))
    assert result.exit_code == 1
    assert f"{path} is not UTF-8 text (byte" in result.stderr, result.stderr


def test_a_store_with_nothing_loaded_answers_empty_and_says_why(cli, seeded):
    empty = cli.__class__(seeded.store.parent / "never-loaded")
    result = empty("query", "SELECT ?s WHERE { ?s ?p ?o }", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["results"]["bindings"] == []
    assert "nothing has been loaded into" in result.stderr and "never-loaded" in result.stderr
    assert "nothing has been loaded" not in seeded("query", "ASK { ?s ?p ?o }").stderr
