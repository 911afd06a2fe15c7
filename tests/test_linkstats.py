"""The link counts a load leaves beside each version: present, right, used, and removed with the version.

Whatever the data (memberships from another tool's RDF, facts named through other properties, an article
replaced with fewer facts, RDF with blank-node facts and `#` entities, a replaced RDF file, a SIPRI
table), the counts read from the file are those live counting gives.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import BASE, SEEDS
from helpers import counts, generate, live, write_table

from newsgraph.service.store import linkstats
from newsgraph.service.store.embedded import open_store, versions_dir
from newsgraph.service.web.describe import describe

CSTO = ox.NamedNode(f"{BASE}id/organization/csto")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """60 generated articles: a few countries get past MIN_LINKS, most entities stay under it."""
    out = tmp_path_factory.mktemp("linkstats") / "corpus"
    generate(out, 60, 15, 7)
    return out


def sidecars(store: Path) -> list[str]:
    return sorted(p.name for p in versions_dir(store).glob(f"*{linkstats.SUFFIX}"))


def test_a_load_writes_the_counts_of_the_well_linked_entities(cli, corpus):
    assert cli("load", str(corpus)).exit_code == 0
    version = versions_dir(cli.store) / os.readlink(cli.store).rsplit("/", 1)[-1]
    data = json.loads(linkstats.path_for(version).read_text())
    assert data["format"] == linkstats.FORMAT
    heavy = data["entities"]
    assert heavy, "some country of 60 articles has hundreds of links"
    assert len(heavy) < 100, "small entities are left to live counting"
    store, plain = open_store(str(cli.store)), live(cli.store)
    for iri in list(heavy)[:5]:
        node = ox.NamedNode(iri)
        assert store.links(node) is not None and plain.links(node) is None
        counted, counted_live = describe(store, node), describe(plain, node)
        assert counted.facts == counted_live.facts > 0
        assert [(g.property, g.total) for g in counted.incoming] == \
               [(g.property, g.total) for g in counted_live.incoming]
        assert [(g.property, g.total) for g in counted.outgoing] == \
               [(g.property, g.total) for g in counted_live.outgoing]
        assert set(counted.triples) == set(counted_live.triples)


@pytest.mark.slow
def test_the_counts_follow_the_version_and_go_with_it(cli, corpus, tmp_path):
    more = tmp_path / "more"
    generate(more, 5, 15, 8)
    for folder in (corpus, str(SEEDS), more):
        assert cli("load", str(folder)).exit_code == 0
    numbers = sorted(p.name for p in versions_dir(cli.store).iterdir() if p.name.isdigit())
    assert len(numbers) == 2, "two versions kept"
    assert sidecars(cli.store) == [n + linkstats.SUFFIX for n in numbers], "one file per kept version, no other"


def test_a_version_without_the_file_is_counted_live(cli, corpus):
    assert cli("load", str(corpus)).exit_code == 0
    for f in versions_dir(cli.store).glob(f"*{linkstats.SUFFIX}"):
        f.unlink()
    store = open_store(str(cli.store))
    rows = store.query("SELECT ?c WHERE { ?c a nf:Country } LIMIT 1")
    iri = next(iter(rows))["c"]
    assert store.links(iri) is None
    assert describe(store, iri).facts > 0


def test_counts_file_is_valid_json_beside_the_current_version(seeded):
    version = Path(str(seeded.store)).parent / open_store(str(seeded.store)).version
    data = json.loads(linkstats.path_for(version).read_text())
    assert data["format"] == linkstats.FORMAT and data["min_links"] == linkstats.MIN_LINKS


# ---- the counts from the file are the live counts, whatever the data ------------------------------------------


def _org_memberships(n: int) -> str:
    """Membership data in the W3C ORG vocabulary, as another tool exports it: no nf:Fact, no article."""
    lines = ["@prefix org: <http://www.w3.org/ns/org#> ."]
    lines += [f"<http://example.org/membership/{i}> a org:Membership ; org:member <http://example.org/state/{i}> ; "
              f"org:organization <{CSTO.value}> ." for i in range(n)]
    return "\n".join(lines) + "\n"


def test_fact_count_of_a_well_linked_entity_from_the_file_is_the_live_count_with_rdf_memberships(seeded, tmp_path):
    ttl = tmp_path / "org-export.ttl"
    ttl.write_text(_org_memberships(210))
    assert seeded("load", str(ttl)).exit_code == 0
    store = open_store(str(seeded.store))
    assert store.links(CSTO) is not None, "CSTO now has over MIN_LINKS links: its counts come from the file"
    assert describe(store, CSTO).facts == describe(live(seeded.store), CSTO).facts


def test_fact_count_of_a_well_linked_entity_counts_facts_named_through_other_properties(seeded, tmp_path):
    ttl = tmp_path / "mentions.ttl"
    mentions = "\n".join(f"<http://example.org/page/{i}> <http://schema.org/mentions> <{CSTO.value}> ."
                         for i in range(210))
    fact = f"<http://example.org/fact/1> a nf:Fact, nf:Statement ; <http://schema.org/about> <{CSTO.value}> ."
    ttl.write_text(f"@prefix nf: <https://w3id.org/newsgraph/ns#> .\n{mentions}\n{fact}\n")
    assert seeded("load", str(ttl)).exit_code == 0
    store = open_store(str(seeded.store))
    assert store.links(CSTO) is not None
    assert describe(store, CSTO).facts == describe(live(seeded.store), CSTO).facts


@pytest.mark.slow
def test_link_counts_in_the_file_are_the_live_counts_after_replacing_an_article_rdf_and_tables(
        cli, tmp_path, monkeypatch):
    """With every entity in the file (MIN_LINKS 0), the counts a load writes equal live counting for every
    entity that has links — after a sheet replaced with fewer facts, an RDF file with a blank-node fact and
    a `#` entity, the RDF file replaced, and a SIPRI table."""
    monkeypatch.setattr(linkstats, "MIN_LINKS", 0)
    generate(tmp_path / "corpus", 3, 15, 11)
    for source in (SEEDS, tmp_path / "corpus"):
        assert cli("load", str(source)).exit_code == 0
    sheet = next(p for p in sorted((tmp_path / "corpus").rglob("*.yaml")) if "facts:" in p.read_text())
    text = sheet.read_text()
    head, facts = text[:text.index("facts:")], text[text.index("facts:"):].split("\n  - ")
    sheet.write_text(head + "\n  - ".join(facts[:3]) + "\n")
    assert "loaded 1 article" in cli("load", str(tmp_path / "corpus")).output
    ttl = tmp_path / "extra.ttl"
    ttl.write_text(f"""@prefix nf: <https://w3id.org/newsgraph/ns#> .
[] a nf:Fact, nf:Meeting ; nf:participant <{BASE}id/country/russia>, <http://example.org/doc#it> .
<http://example.org/doc#it> a nf:Country ; <http://www.w3.org/2000/01/rdf-schema#label> "Fragmentia"@en .
<{BASE}id/country/armenia> <http://schema.org/mentions> [ a nf:Place ] .
""")
    assert cli("load", str(ttl)).exit_code == 0
    ttl.write_text(ttl.read_text().replace("country/russia", "country/belarus"))
    assert cli("load", str(ttl)).exit_code == 0
    write_table(tmp_path / "table")
    assert cli("load", str(tmp_path / "table")).exit_code == 0

    store, plain = open_store(str(cli.store)), live(cli.store)
    entities = [r["e"] for r in store.query(
        "SELECT DISTINCT ?e WHERE { ?e a ?c . ?s ?p ?e FILTER(isIRI(?e)) VALUES ?c { nf:Country nf:Organization "
        "nf:Person nf:Place nf:WeaponSystem nf:Event } }")]
    assert len(entities) > 30
    for e in [*entities, ox.NamedNode("http://example.org/doc#it")]:
        assert store.links(e) is not None, e
        assert counts(describe(store, e)) == counts(describe(plain, e)), e


def test_counts_a_load_updates_equal_a_whole_count_of_the_version(cli, tmp_path, monkeypatch):
    """A load recounts only the entities its changes name; the file it leaves equals counting the whole version:
    after new articles with new entities, a sheet replaced with fewer facts and a registry label changed."""
    monkeypatch.setattr(linkstats, "MIN_LINKS", 0)
    generate(tmp_path / "corpus", 20, 12, 3, zipf=1.1)
    generate(tmp_path / "more", 6, 12, 4, zipf=1.1)
    assert cli("load", str(tmp_path / "corpus")).exit_code == 0
    assert cli("load", str(tmp_path / "more")).exit_code == 0
    sheet = next(p for p in sorted((tmp_path / "corpus").rglob("*.yaml")) if "facts:" in p.read_text())
    head, *facts = sheet.read_text().split("\n  - type: ")
    sheet.write_text("\n  - type: ".join([head, *facts[:-2]]))
    registry = tmp_path / "corpus" / "entities.yaml"
    registry.write_text(registry.read_text().replace("{en: ", "{en: Renamed ", 2))
    assert cli("load", str(tmp_path / "corpus")).exit_code == 0

    def normal(data: dict) -> dict:
        return {**data, "entities": {e: {"in": sorted(c["in"]), "out": sorted(c["out"]), "facts": c["facts"]}
                                     for e, c in data["entities"].items()}}

    version = versions_dir(cli.store) / os.readlink(cli.store).rsplit("/", 1)[-1]
    written = json.loads(linkstats.path_for(version).read_text())
    whole = linkstats.count(ox.Store.read_only(str(version)))
    assert normal(written) == normal(whole)
