"""The seed article, its registry and the treaty record load, and say what the article says."""

from __future__ import annotations

import re

from conftest import SEEDS

NF = "https://w3id.org/newsgraph/ns#"
ARTICLE = "http://localhost:5000/id/article/askanews-2023-11-22-csto"


def test_seed_facts_cover_every_kind(seeded):
    rows = seeded.select(f"""
        SELECT ?kind (COUNT(?f) AS ?n) WHERE {{
          ?f a nf:Fact, ?kind ; prov:wasDerivedFrom <{ARTICLE}> .
          FILTER(?kind != nf:Fact && STRSTARTS(STR(?kind), STR(nf:)))
        }} GROUP BY ?kind""")
    kinds = {r["kind"].removeprefix(NF): int(r["n"]) for r in rows}
    assert set(kinds) == {"Membership", "ArmsTransfer", "Meeting", "Agreement", "Statement", "Deployment",
                          "MilitaryAction", "Founding"}


def test_s300_transfer_as_reported(seeded):
    rows = seeded.select("""
        SELECT ?q ?unit ?component ?before ?status ?quote WHERE {
          ?t a nf:ArmsTransfer ; nf:supplier <http://localhost:5000/id/country/russia> ;
             nf:recipient <http://localhost:5000/id/country/tajikistan> ;
             nf:item <http://localhost:5000/id/weapon-system/s-300> ;
             nf:quantity ?q ; nf:unit ?unit ; nf:component ?component ; nf:notAfter ?before ;
             nf:status ?status ; nf:quote ?quote .
        }""")
    assert len(rows) == 1
    row = rows[0]
    assert (row["q"], row["unit"], row["component"], row["before"], row["status"]) == (
        "2", "battalion", "launchers", "2023-11-22", "delivered")
    assert "S-300" in row["quote"]


def test_article_claims_six_members_including_uzbekistan(seeded):
    rows = seeded.select("""
        SELECT DISTINCT ?id WHERE {
          GRAPH <http://localhost:5000/graph/article/askanews-2023-11-22-csto> {
            ?m a org:Membership ; org:member ?e ; org:organization ?csto ; nf:status "member" .
            ?e org:memberOf ?csto .
          }
          ?e dcterms:identifier ?id . ?csto dcterms:identifier "csto" .
        }""")
    assert {r["id"] for r in rows} == {"russia", "armenia", "kazakhstan", "kyrgyzstan", "tajikistan", "uzbekistan"}


def test_reference_record_holds_uzbekistan_periods(seeded):
    """A party to the Treaty until 1999 (of `cst`: the CSTO did not exist yet), a member of the CSTO from 2006,
    and suspended — not gone — from 28 June 2012."""
    rows = seeded.select("""
        SELECT ?org ?status ?start ?end WHERE {
          ?a a nf:ReferenceRecord . ?m prov:wasDerivedFrom ?a ; org:member ?uz ; org:organization ?o ;
             nf:status ?status ; nf:start ?start .
          ?uz dcterms:identifier "uzbekistan" . ?o dcterms:identifier ?org . OPTIONAL { ?m nf:end ?end }
        } ORDER BY ?start ?status""")
    assert [(r["org"], r["status"], r["start"], r.get("end")) for r in rows] == [
        ("cst", "member", "1992-05-15", "1999"), ("csto", "member", "2006-06-23", "2012-06-28"),
        ("csto", "suspended", "2012-06-28", None)]


def test_no_membership_of_the_csto_before_its_charter(seeded):
    rows = seeded.select("""
        SELECT ?start WHERE { ?m org:organization ?csto ; nf:start ?start . ?csto dcterms:identifier "csto" }""")
    assert rows and min(r["start"] for r in rows) >= "2002-10-07"


def test_reference_record_is_compiled_not_published_news(seeded):
    record = "http://localhost:5000/id/article/csto-treaty-record"
    types = {r["t"] for r in seeded.select(f"SELECT ?t WHERE {{ <{record}> a ?t }}")}
    assert NF + "ReferenceRecord" in types and "http://schema.org/NewsArticle" not in types
    assert not seeded.select(f"SELECT ?p WHERE {{ <{record}> schema:publisher ?p }}")  # the CSTO published nothing
    who = seeded.select(f"""SELECT ?id ?created WHERE {{ <{record}> prov:wasAttributedTo ?c ;
                                schema:dateCreated ?created . ?c dcterms:identifier ?id }}""")
    assert [(r["id"], r["created"]) for r in who] == [("newsgraph", "2024-12-31")]
    sources = seeded.select(f"""SELECT ?name ?date ?url WHERE {{ <{record}> dcterms:source ?s . ?s schema:name ?name
                                OPTIONAL {{ ?s schema:datePublished ?date }} OPTIONAL {{ ?s schema:url ?url }} }}""")
    names = " | ".join(r["name"] for r in sources)
    assert "Collective Security Treaty" in names and "Charter" in names and len(sources) >= 4
    assert any(r.get("url", "").startswith("https://en.odkb-csto.org/") for r in sources)


def test_the_founding_in_1992_is_a_founding_not_an_agreement(seeded):
    fact = f"{ARTICLE}/csto-founded-1992"
    types = {r["t"].removeprefix(NF) for r in seeded.select(f"SELECT ?t WHERE {{ <{fact}> a ?t }}")}
    assert "Founding" in types and "Agreement" not in types
    assert not seeded.select(f"SELECT ?p WHERE {{ <{fact}> nf:party ?p }}")  # the text names no signatories
    dates = seeded.select("""SELECT ?d WHERE { GRAPH <http://localhost:5000/graph/article/askanews-2023-11-22-csto>
                              { ?o schema:foundingDate ?d } }""")
    assert [r["d"] for r in dates] == ["1992"]


def test_evidence_offsets_point_at_the_quote(seeded):
    text = (SEEDS / "articles" / "askanews-2023-11-22-csto.txt").read_text(encoding="utf-8")
    rows = seeded.select(f"""
        SELECT ?exact ?start ?end WHERE {{
          ?ann a oa:Annotation ; oa:hasBody ?fact ; oa:hasTarget ?t .
          ?t oa:hasSource <{ARTICLE}> ; oa:hasSelector ?qs, ?ps .
          ?qs a oa:TextQuoteSelector ; oa:exact ?exact .
          ?ps a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end .
        }}""")
    assert len(rows) >= 30
    for r in rows:
        passage = text[int(r["start"]):int(r["end"])]
        assert re.sub(r"\s+", " ", passage) == re.sub(r"\s+", " ", r["exact"]).strip()


def test_entities_have_labels_aliases_and_wikidata(seeded):
    rows = seeded.select("""
        SELECT ?label ?alias ?wd WHERE {
          ?e dcterms:identifier "tajikistan" ; rdfs:label ?label ; skos:altLabel ?alias ; owl:sameAs ?wd .
          FILTER(LANG(?label) = "it")
        }""")
    assert {r["alias"] for r in rows} >= {"Tagikistan"}
    assert {r["wd"] for r in rows} == {"http://www.wikidata.org/entity/Q863"}


def test_article_metadata_uses_schema_org(seeded):
    rows = seeded.select(f"""
        SELECT ?headline ?published ?lang ?publisher WHERE {{
          <{ARTICLE}> a schema:NewsArticle ; schema:headline ?headline ; schema:datePublished ?published ;
             schema:inLanguage ?lang ; schema:publisher ?publisher .
        }}""")
    assert rows == [{"headline": "Mosca vuole un sistema antimissile congiunto per la Csto",
                     "published": "2023-11-22", "lang": "it",
                     "publisher": "http://localhost:5000/id/organization/askanews"}]
