"""Reloading: the same input changes nothing, a changed sheet replaces its article, exports load back."""

from __future__ import annotations

import random
import re

import pytest
import rdflib
from conftest import BASE, SEEDS, Cli
from helpers import REGISTRY, SHEET, write_sheet

SHEET_NAME = "askanews-2023-11-22-csto.yaml"
ARTICLE_ID = "askanews-2023-11-22-csto"
ARTICLE_GRAPH = f"<{BASE}graph/article/{ARTICLE_ID}>"
TREATY_GRAPH = f"<{BASE}graph/article/csto-treaty-record>"
ENTITIES_GRAPH = f"<{BASE}graph/entities>"
FACT_PREFIX = f"{BASE}id/article/{ARTICLE_ID}/"

def in_graph(quads: set[str], graph: str) -> set[str]:
    return {q for q in quads if q.endswith(f" {graph} .")}


def split_sheet(text: str) -> tuple[str, list[str]]:
    """The sheet's head (up to `facts:`) and its fact blocks, each starting at `  - type:`."""
    head, _, body = text.partition("\nfacts:\n")
    blocks: list[list[str]] = []
    for line in body.splitlines(keepends=True):
        if line.startswith("  - type:"):
            blocks.append([line])
        elif blocks:
            blocks[-1].append(line)
    return head + "\nfacts:\n", ["".join(b).rstrip("\n") + "\n" for b in blocks]


def without_ids(block: str) -> str:
    return "".join(line for line in block.splitlines(keepends=True) if not re.match(r"^    id: ", line))


def fact_iris(cli: Cli) -> set[str]:
    rows = cli.select(f"SELECT ?f WHERE {{ GRAPH {ARTICLE_GRAPH} {{ ?f a nf:Fact }} }}")
    return {r["f"] for r in rows}


def test_loading_the_same_folder_twice_changes_nothing(cli, workdir):
    first = cli("load", str(workdir))
    assert first.exit_code == 0, first.output
    assert "loaded 2 articles" in first.stdout
    before = cli.export()
    assert len(before) > 1000
    second = cli("load", str(workdir))
    assert "loaded 0 articles, 0 facts, 0 triples" in second.stdout, second.output
    assert "unchanged" in second.stdout
    assert cli.export() == before


def test_loading_the_same_folder_twice_succeeds_without_complaints(cli, workdir):
    assert cli("load", str(workdir)).exit_code == 0
    second = cli("load", str(workdir))
    assert second.stderr == ""
    assert second.exit_code == 0


def test_derived_fact_ids_are_stable_across_reorderings(tmp_path, workdir):
    head, blocks = split_sheet((workdir / SHEET_NAME).read_text(encoding="utf-8"))
    assert len(blocks) == 30
    stripped = [without_ids(b) for b in blocks]
    assert not any("\n    id:" in b for b in stripped)
    shuffled = stripped[:]
    random.Random(20231122).shuffle(shuffled)
    assert shuffled != stripped and shuffled != stripped[::-1]
    variants = {"reversed": stripped[::-1], "shuffled": shuffled}
    paths = {}
    for name, order in variants.items():
        path = workdir / f"{name}.yaml"  # beside the original, so `text:` resolves the same way
        path.write_text(head + "\n".join(order), encoding="utf-8")
        paths[name] = path

    store_a, store_b = Cli(tmp_path / "store-a"), Cli(tmp_path / "store-b")
    for store, name in ((store_a, "reversed"), (store_b, "shuffled")):
        result = store("load", str(workdir / "entities.yaml"), str(paths[name]))
        assert result.exit_code == 0, result.output
        assert "1 article, 30 facts" in result.stdout
    iris_a, iris_b = fact_iris(store_a), fact_iris(store_b)
    assert len(iris_a) == 30
    assert iris_a == iris_b
    explicit = {FACT_PREFIX + "s300-to-tajikistan", FACT_PREFIX + "russia-member-csto"}
    assert not iris_a & explicit, "ids were removed, so the IRIs must be derived"
    assert all(re.fullmatch(re.escape(FACT_PREFIX) + r"[a-z0-9-]+", iri) for iri in iris_a)

    # the other ordering, loaded over the first: the same facts, so nothing changes
    before = store_a.export()
    again = store_a("load", str(paths["shuffled"]))
    assert again.exit_code == 0, again.output
    assert "unchanged" in again.stdout
    assert store_a.export() == before


def test_changed_sheet_replaces_the_articles_facts(cli, workdir):
    assert cli("load", str(workdir)).exit_code == 0
    before = cli.export()
    sheet = workdir / SHEET_NAME
    head, blocks = split_sheet(sheet.read_text(encoding="utf-8"))
    edited = []
    for b in blocks:
        if "id: uzbekistan-member-csto" in b:
            continue  # dropped
        if "id: s300-to-tajikistan" in b:
            assert "    quantity: 2\n" in b
            b = b.replace("    quantity: 2\n", "    quantity: 3\n")
        edited.append(b)
    edited.append("  - type: membership\n"
                  "    id: kazakhstan-cautious\n"
                  "    member: kazakhstan\n"
                  "    organization: csto\n"
                  "    status: observer\n"
                  "    quote: \"il Kazakistan è passato a posizioni a dir poco caute\"\n")
    sheet.write_text(head + "\n".join(edited), encoding="utf-8")

    result = cli("load", str(sheet))
    assert result.exit_code == 0, result.output
    assert "loaded 1 article, 30 facts" in result.stdout
    after = cli.export()

    # the edited quantity: the new value only
    rows = cli.select(f"SELECT ?q WHERE {{ <{FACT_PREFIX}s300-to-tajikistan> nf:quantity ?q }}")
    assert [r["q"] for r in rows] == ["3"]
    # the dropped fact: gone from the whole dataset, with its shortcut triple
    assert not any(f"<{FACT_PREFIX}uzbekistan-member-csto" in q for q in after)
    assert cli.select(f"""SELECT ?x WHERE {{ GRAPH {ARTICLE_GRAPH} {{
        <{BASE}id/country/uzbekistan> org:memberOf ?x }} }}""") == []
    # the added fact
    rows = cli.select(f"""SELECT ?status ?member WHERE {{ <{FACT_PREFIX}kazakhstan-cautious> a nf:Membership ;
        nf:status ?status ; org:member ?member }}""")
    assert rows == [{"status": "observer", "member": f"{BASE}id/country/kazakhstan"}]
    assert len(fact_iris(cli)) == 30
    # other articles and the registry untouched
    assert in_graph(after, TREATY_GRAPH) == in_graph(before, TREATY_GRAPH)
    assert in_graph(after, ENTITIES_GRAPH) == in_graph(before, ENTITIES_GRAPH)
    assert in_graph(after, TREATY_GRAPH)


def test_export_loads_back_into_a_fresh_store_unchanged(seeded, tmp_path):
    exported = seeded.export()
    assert not any("_:" in q for q in exported)
    dump = tmp_path / "dump.nq"
    dump.write_text("\n".join(sorted(exported)) + "\n", encoding="utf-8")
    fresh = Cli(tmp_path / "fresh")
    result = fresh("load", str(dump))
    assert result.exit_code == 0, result.output
    assert fresh.export() == exported
    # and the fresh store answers queries as the original does
    q = "SELECT ?id WHERE { ?a a nf:Article ; dcterms:identifier ?id } ORDER BY ?id"
    assert fresh.select(q) == seeded.select(q) == [{"id": "askanews-2023-11-22-csto"},
                                                    {"id": "csto-treaty-record"}]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib's TriG parser uses its own deprecated API
def test_trig_export_parses_with_rdflib(seeded):
    nquads = seeded.export()
    result = seeded("export", "--format", "trig")
    assert result.exit_code == 0, result.stderr
    ds = rdflib.Dataset()
    ds.parse(data=result.stdout, format="trig")
    quads = list(ds.quads((None, None, None, None)))
    assert len(quads) == len(nquads)
    graphs = {str(g) for *_, g in quads}
    assert graphs == {re.search(r"<([^>]*)> \.$", q).group(1) for q in nquads}
    assert f"{BASE}graph/article/{ARTICLE_ID}" in graphs


def test_registry_reload_is_idempotent(cli):
    registry = SEEDS / "entities.yaml"
    first = cli("load", str(registry))
    assert first.exit_code == 0, first.output
    before = cli.export()
    second = cli("load", str(registry))
    assert cli.export() == before
    assert second.stderr == ""
    assert second.exit_code == 0


MERGING_SHEET = SHEET.replace("facts:", """entities:
  - {id: belarus, type: country, labels: {en: Byelarus, ru: Беларусь}, aliases: [Belorussia, Bielorussia]}
facts:""")


@pytest.mark.parametrize("how", ["registry already in the store", "registry in the same command"])
def test_entity_redeclared_with_same_type_merges_labels_and_aliases(cli, tmp_path, how):
    path = write_sheet(tmp_path / "in", MERGING_SHEET)
    registry = tmp_path / "in" / "entities.yaml"
    if how == "registry already in the store":
        assert cli("load", str(registry)).exit_code == 0
        result = cli("load", str(path))
    else:
        result = cli("load", str(registry), str(path))
    assert result.exit_code == 0, result.output

    node = f"<{BASE}id/country/belarus>"
    labels = cli.select(f"SELECT ?l (LANG(?l) AS ?lang) WHERE {{ {node} rdfs:label ?l }}")
    assert sorted((r["lang"], r["l"]) for r in labels) == [("en", "Belarus"), ("ru", "Беларусь")]
    aliases = {r["a"] for r in cli.select(f"SELECT ?a WHERE {{ {node} skos:altLabel ?a }}")}
    # the sheet's English label differs from the registry's: it is kept, as an alias
    assert aliases == {"Bielorussia", "Byelarus", "Belorussia"}
    types = {r["t"] for r in cli.select(f"SELECT ?t WHERE {{ {node} a ?t }}")}
    assert types == {"https://w3id.org/newsgraph/ns#Country"}
    assert cli.select("SELECT ?e WHERE { ?e dcterms:identifier \"belarus\" }") == [{"e": node[1:-1]}]


def test_reloading_a_sheet_that_redeclares_entities_is_unchanged(cli, tmp_path):
    path = write_sheet(tmp_path / "in", MERGING_SHEET)
    assert cli("load", str(tmp_path / "in")).exit_code == 0
    before = cli.export()
    second = cli("load", str(path))
    assert cli.export() == before
    assert second.exit_code == 0, second.stderr
    assert "unchanged" in second.stdout


def test_a_place_declared_in_two_registries_gains_the_second_ones_label(cli, tmp_path):
    """The second declaration adds only a label, but is checked with the whole place: its country (declared
    in the first file) must be known as a country there too."""
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("- {id: germany, type: country, labels: {en: Germany}}\n"
                     "- {id: berlin, type: place, labels: {en: Berlin}, country: germany}\n", encoding="utf-8")
    second.write_text("- {id: berlin, type: place, labels: {en: Berlin, it: Berlino}, country: germany}\n",
                      encoding="utf-8")
    result = cli("load", str(first), str(second))
    assert result.exit_code == 0, result.output
    labels = cli.select(f"SELECT ?l WHERE {{ <{BASE}id/place/berlin> rdfs:label ?l }} ORDER BY ?l")
    assert [r["l"] for r in labels] == ["Berlin", "Berlino"]


def test_registry_file_adding_an_alias_extends_the_stored_entity(cli, tmp_path):
    path = write_sheet(tmp_path / "in")
    assert cli("load", str(path.parent)).exit_code == 0
    extra = tmp_path / "more.yaml"
    extra.write_text(REGISTRY.splitlines()[1].replace("aliases: [Bielorussia]", "aliases: [Belorussia]") + "\n",
                     encoding="utf-8")
    result = cli("load", str(extra))
    assert result.exit_code == 0, result.output
    aliases = {r["a"] for r in cli.select(
        f"SELECT ?a WHERE {{ <{BASE}id/country/belarus> skos:altLabel ?a }}")}
    assert aliases == {"Bielorussia", "Belorussia"}
    labels = cli.select(f"SELECT ?l WHERE {{ <{BASE}id/country/belarus> rdfs:label ?l }}")
    assert [r["l"] for r in labels] == ["Belarus"]
