"""Arms-transfer tables (CSV, contract §6): one article per file, one fact per row, names resolved."""

from __future__ import annotations

from decimal import Decimal

import pyoxigraph as ox
from conftest import BASE
from helpers import TABLE_ROWS, write_table

NF = "https://w3id.org/newsgraph/ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"

ARTICLE_ID = "sipri-trade-2024"


def terms(cli, query: str) -> list[dict[str, ox.Term]]:
    result = cli("query", query, "--format", "json")
    assert result.exit_code == 0, result.stderr
    parsed = ox.parse_query_results(result.stdout_bytes, format=ox.QueryResultsFormat.JSON)
    return [{v.value: s[v] for v in parsed.variables if s[v] is not None} for s in parsed]


def test_table_loads_as_one_article_with_one_fact_per_row(cli, tmp_path):
    path = write_table(tmp_path / "in")
    result = cli("load", str(tmp_path / "in"))
    assert result.exit_code == 0, result.output
    assert "loaded 1 article, 3 facts" in result.stdout

    article = f"{BASE}id/article/{ARTICLE_ID}"
    graph = f"{BASE}graph/article/{ARTICLE_ID}"
    ids = {r["id"] for r in cli.select("SELECT ?id WHERE { ?a a nf:Article ; dcterms:identifier ?id }")}
    assert ids == {ARTICLE_ID}
    graphs = {r["g"] for r in cli.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?f a nf:Fact } }")}
    assert graphs == {graph}

    rows = terms(cli, f"""
        SELECT ?f ?supplier ?recipient ?item ?quantity ?status ?quote ?source ?date ?after ?before WHERE {{
          GRAPH <{graph}> {{
            ?f a nf:ArmsTransfer ; prov:wasDerivedFrom <{article}> ; nf:supplier ?supplier ;
               nf:recipient ?recipient ; nf:item ?item ; nf:status ?status ; nf:quote ?quote ;
               dcterms:source ?source .
            OPTIONAL {{ ?f nf:quantity ?quantity }}
            OPTIONAL {{ ?f nf:date ?date }}
            OPTIONAL {{ ?f nf:notBefore ?after }}
            OPTIONAL {{ ?f nf:notAfter ?before }}
          }}
        }}""")
    by_quote = {r["quote"].value: r for r in rows}
    assert set(by_quote) == set(TABLE_ROWS), "each fact's quote is its row's own text"

    def check(row: str, supplier: str, recipient: str, item: str, quantity: int, status: str, source: ox.Term,
              date: str | None = None, after: str | None = None, before: str | None = None):
        r = by_quote[row]
        assert r["supplier"] == ox.NamedNode(f"{BASE}id/country/{supplier}")
        assert r["recipient"] == ox.NamedNode(f"{BASE}id/country/{recipient}")
        assert r["item"] == ox.NamedNode(f"{BASE}id/weapon-system/{item}")
        assert Decimal(r["quantity"].value) == quantity
        assert r["status"].value == status
        assert r["source"] == source
        for key, value in (("date", date), ("after", after), ("before", before)):
            if value is None:
                assert key not in r, (key, r)
            else:
                assert r[key] == ox.Literal(value, datatype=ox.NamedNode(XSD + "gYear"))

    check(TABLE_ROWS[0], "russia", "belarus", "s-400", 4, "delivered", ox.NamedNode("https://armstrade.sipri.org/"),
          after="2022", before="2023")
    check(TABLE_ROWS[1], "russia", "belarus", "s-400", 8, "ordered", ox.Literal("SIPRI Arms Transfers Database 2024"),
          date="2024")
    check(TABLE_ROWS[2], "russia", "belarus", "t-72", 6, "delivered", ox.NamedNode("https://example.org/t72"),
          date="2020")

    # the evidence points at the row in the file's text
    text = path.read_text(encoding="utf-8")
    spans = cli.select(f"""
        SELECT ?exact ?start ?end WHERE {{ GRAPH <{graph}> {{
          ?t oa:hasSource <{article}> ; oa:hasSelector ?qs, ?ps .
          ?qs oa:exact ?exact . ?ps oa:start ?start ; oa:end ?end . }} }}""")
    assert len(spans) == 3
    for s in spans:
        assert text[int(s["start"]):int(s["end"])] == s["exact"]


def test_validate_accepts_a_good_table(cli, tmp_path):
    write_table(tmp_path / "in")
    result = cli("validate", str(tmp_path / "in"))
    assert result.exit_code == 0, result.output
    assert "2 files OK" in result.stdout
    assert cli.export() == set()


def test_unresolved_name_is_reported_at_its_row_and_nothing_is_written(cli, tmp_path):
    rows = [
        # a quoted cell over two physical lines: the next row starts on line 4
        'Russia,Belarus,S-400,SAM system,4,2021,2022,4,"first batch\nsecond batch",https://armstrade.sipri.org/',
        "Russia,Atlantis,S-400,SAM system,2,2022,2023,2,,https://armstrade.sipri.org/",
        "Russia,Belarus,Buk-M3,SAM system,2,2022,2023,2,,https://armstrade.sipri.org/",
    ]
    path = write_table(tmp_path / "in", rows)
    registry = tmp_path / "in" / "entities.yaml"
    assert cli("load", str(registry)).exit_code == 0
    before = cli.export()
    result = cli("load", str(path))
    assert result.exit_code == 1
    assert f"{path}:4: `recipient`: no entity is named 'Atlantis'" in result.stderr, result.stderr
    assert f"{path}:5: `designation`: no entity is named 'Buk-M3'" in result.stderr, result.stderr
    assert not any(line.startswith(f"{path}:2:") for line in result.stderr.splitlines())
    assert cli.export() == before, "nothing from the table may be written"
    assert cli.select("SELECT ?f WHERE { ?f a nf:ArmsTransfer }") == []


def test_table_with_a_missing_column_is_refused(cli, tmp_path):
    path = tmp_path / "in" / "short.csv"
    write_table(tmp_path / "in")
    path.write_text("supplier,recipient,designation\nRussia,Belarus,S-400\n", encoding="utf-8")
    result = cli("load", str(path))
    assert result.exit_code == 1
    assert f"{path}:1: missing column(s): description, number_ordered" in result.stderr
    assert cli.export() == set()


def test_reloading_the_same_table_changes_nothing(cli, tmp_path):
    path = write_table(tmp_path / "in")
    first = cli("load", str(tmp_path / "in"))
    assert first.exit_code == 0, first.output
    before = cli.export()
    assert any(f"graph/article/{ARTICLE_ID}>" in q for q in before)
    second = cli("load", str(path))
    assert second.exit_code == 0, second.output
    assert "unchanged" in second.stdout
    assert cli.export() == before
