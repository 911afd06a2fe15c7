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
                          "MilitaryAction"}


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
    rows = seeded.select("""
        SELECT ?start ?end WHERE {
          ?a a nf:ReferenceRecord . ?m prov:wasDerivedFrom ?a ; org:member ?uz ; nf:start ?start .
          ?uz dcterms:identifier "uzbekistan" . OPTIONAL { ?m nf:end ?end }
        } ORDER BY ?start""")
    assert [(r["start"], r.get("end")) for r in rows] == [("1992-05-15", "1999"), ("2006-06-23", "2012-06-28")]


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
