"""Bad input: every problem reported as FILE:LINE: message, and nothing from that file written."""

from __future__ import annotations

import pytest
from helpers import REGISTRY, SHEET, line_of, write_sheet


def test_valid_sheet_loads(cli, tmp_path):
    write_sheet(tmp_path / "in")
    result = cli("load", str(tmp_path / "in"))
    assert result.exit_code == 0, result.output
    assert "loaded 1 article, 1 facts" in result.stdout


CASES = {
    "unknown entity id": (SHEET.replace("recipient: belarus", "recipient: belarussia"), "recipient: belarussia",
                          "unknown entity 'belarussia'"),
    "unknown fact type": (SHEET.replace("type: arms-transfer", "type: arms-sale"), "type: arms-sale",
                          "unknown fact type 'arms-sale'"),
    "missing required field": (SHEET.replace("    item: s-400\n", ""), "- type: arms-transfer",
                               "missing `item`"),
    "malformed date": (SHEET.replace("date: 2024-03-03", "date: 2024-13-03"), "date: 2024-13-03",
                       "not a calendar date"),
    "impossible day": (SHEET.replace("date: 2024-03-03", "date: 2024-02-30"), "date: 2024-02-30",
                       "not a calendar date"),
    "quote not in text": (SHEET.replace("quattro sistemi", "cinque sistemi"), "quote:",
                          "quote not found in the article text"),
    "quote with straight apostrophe": (SHEET.replace("la Russia ha consegnato", "La Russia ha consegnato"), "quote:",
                                       "the text has it as: 'la Russia ha consegnato"),
    "unknown field": (SHEET.replace("    quantity: 4\n", "    quantity: 4\n    quantiti: 5\n"), "quantiti:",
                      "unknown field 'quantiti'"),
    "bad status": (SHEET.replace("    quantity: 4\n", "    quantity: 4\n    status: sold\n"), "status: sold",
                   "'sold' is not one of delivered, ordered, announced"),
    "negative quantity": (SHEET.replace("quantity: 4", "quantity: -4"), "quantity: -4", "positive number"),
    "missing article field": (SHEET.replace("  publisher: testwire\n", ""), "article:", "missing `publisher`"),
    "duplicate fact id": (SHEET.replace("  - type: arms-transfer\n", "  - type: arms-transfer\n    id: t1\n") +
                          SHEET.split("facts:\n")[1].replace("  - type: arms-transfer\n",
                                                            "  - type: arms-transfer\n    id: t1\n"),
                          None, "fact id 't1' appears twice"),
    "broken YAML": (SHEET.replace('title: "Test"', 'title: "Test'), None, "invalid YAML"),
    "text file missing": (SHEET.replace("text: test.txt", "text: missing.txt"), "text: missing.txt",
                          "file 'missing.txt' not found"),
    # a reference record says who stands behind it and when; those fields are for reference records only
    "reference record with nobody behind it": (
        SHEET.replace("  publisher: testwire\n", "  reference: true\n"), "article:",
        "a reference record needs `compiler` (who compiled it) or `publisher`"),
    "reference record with no date": (
        SHEET.replace("  published: 2024-03-04\n", "  reference: true\n  compiler: testwire\n"), "article:",
        "a reference record needs `compiled`"),
    "compiler on a news article": (SHEET.replace("  language: it\n", "  language: it\n  compiler: testwire\n"),
                                   "compiler: testwire", "`compiler` is for reference records only"),
    "source without a title": (
        SHEET.replace("  language: it\n", "  language: it\n  reference: true\n  sources:\n    - {date: 1992}\n"),
        "- {date: 1992}", "a source is missing `title`"),
    "source with a bad url": (
        SHEET.replace("  language: it\n", "  language: it\n  reference: true\n  sources:\n"
                                          "    - {title: Treaty, url: 'ftp://x'}\n"),
        "- {title: Treaty", "is not an absolute http(s) URL"),
    "founding without a date": (
        SHEET + "  - {type: founding, organization: testwire, quote: \"la Russia\"}\n", "type: founding",
        "a founding needs `date`"),
    "complete that is not a boolean": (
        SHEET + "  - {type: membership, member: belarus, organization: testwire, complete: yes,"
                " quote: \"la Russia\"}\n", "type: membership", "'yes' is not one of true, false"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_sheet_is_refused_whole_with_its_line(cli, tmp_path, case):
    sheet, needle, message = CASES[case]
    path = write_sheet(tmp_path / "in", sheet)
    before = cli.export()
    result = cli("load", str(path))
    assert result.exit_code == 1
    problems = [line for line in result.stderr.splitlines() if line.startswith(str(path) + ":")]
    assert any(message in p for p in problems), result.stderr
    if needle is not None:
        expected = f"{path}:{line_of(path, needle)}:"
        assert any(p.startswith(expected) and message in p for p in problems), result.stderr
    assert cli.export() == before, "nothing from the bad file may be written"


def test_every_problem_is_reported_at_once(cli, tmp_path):
    sheet = SHEET.replace("recipient: belarus", "recipient: nowhere").replace("date: 2024-03-03", "date: 03/03/2024")
    path = write_sheet(tmp_path / "in", sheet)
    result = cli("load", str(path))
    assert result.exit_code == 1
    assert f"{path}:{line_of(path, 'recipient: nowhere')}: unknown entity 'nowhere'" in result.stderr
    assert f"{path}:{line_of(path, 'date: 03/03/2024')}:" in result.stderr


def test_entity_declared_twice_in_one_file(cli, tmp_path):
    registry = REGISTRY + "- {id: russia, type: country, labels: {it: Russia}}\n"
    write_sheet(tmp_path / "in", registry=registry)
    reg = tmp_path / "in" / "entities.yaml"
    result = cli("load", str(reg))
    assert result.exit_code == 1
    assert f"{reg}:6: entity 'russia' is declared twice in this file (first at line 1)" in result.stderr
    assert cli.export() == set()


def test_unknown_entity_type(cli, tmp_path):
    write_sheet(tmp_path / "in", registry=REGISTRY + "- {id: wagner, type: militia, labels: {en: Wagner}}\n")
    reg = tmp_path / "in" / "entities.yaml"
    result = cli("load", str(reg))
    assert result.exit_code == 1
    assert f"{reg}:6: unknown entity type 'militia'" in result.stderr


def test_same_id_other_type_names_both(cli, tmp_path):
    path = write_sheet(tmp_path / "in", SHEET.replace("facts:", "entities:\n  - {id: minsk, type: country, labels: "
                                                "{en: Minsk}}\nfacts:"))
    result = cli("load", str(tmp_path / "in"))
    assert result.exit_code == 1
    reg = tmp_path / "in" / "entities.yaml"
    assert (f"{path}:{line_of(path, 'id: minsk')}: entity 'minsk' is declared here as country but as place in "
            f"{reg}:4") in result.stderr
    # the registry itself was fine and is written; the sheet is not
    rows = cli.select("ASK { ?a a nf:Article }".replace("ASK", "SELECT * WHERE").replace("}", "} LIMIT 1"))
    assert rows == []


def test_same_id_other_type_against_the_store(cli, tmp_path):
    write_sheet(tmp_path / "in")
    assert cli("load", str(tmp_path / "in")).exit_code == 0
    other = tmp_path / "other.yaml"
    other.write_text("- {id: minsk, type: organization, labels: {en: Minsk Group}}\n", encoding="utf-8")
    result = cli("load", str(other))
    assert result.exit_code == 1
    assert f"{other}:1: entity 'minsk' is declared here as organization but as place in the store" in result.stderr


def test_wikidata_id_held_by_another_entity(cli, tmp_path):
    registry = REGISTRY.replace("labels: {en: Russia}}", "labels: {en: Russia}, wikidata: Q159}") + \
        "- {id: russian-federation, type: country, labels: {en: Russian Federation}, wikidata: Q159}\n"
    write_sheet(tmp_path / "in", registry=registry)
    reg = tmp_path / "in" / "entities.yaml"
    result = cli("load", str(reg))
    assert result.exit_code == 1
    assert f"{reg}:6: Wikidata id Q159 is given to 'russian-federation' here but already belongs to 'russia'" \
        in result.stderr


def test_a_load_checks_its_entities_against_those_the_store_holds(cli, tmp_path):
    """A load asks the store only for the entities its input names: a Wikidata id the store gives to
    another entity, and an unknown id's nearest known name, are still found there."""
    registry = REGISTRY.replace("labels: {en: Russia}}", "labels: {en: Russia}, wikidata: Q159}")
    write_sheet(tmp_path / "in", registry=registry)
    assert cli("load", str(tmp_path / "in")).exit_code == 0
    other = tmp_path / "other.yaml"
    other.write_text("- {id: russian-federation, type: country, labels: {en: Russian Federation}, wikidata: Q159}\n",
                     encoding="utf-8")
    result = cli("load", str(other))
    assert result.exit_code == 1
    assert f"{other}:1: Wikidata id Q159 is given to 'russian-federation' here but already belongs to 'russia'" \
        in result.stderr
    sheet = write_sheet(tmp_path / "more", SHEET.replace("recipient: belarus", "recipient: belarusia"), registry="")
    result = cli("load", str(sheet))
    assert result.exit_code == 1
    assert "unknown entity 'belarusia' in `recipient` (did you mean 'belarus'?)" in result.stderr


def test_shacl_violation_points_at_the_field(cli, tmp_path):
    # minsk is a place: a place cannot supply weapons; only the shapes know that
    path = write_sheet(tmp_path / "in", SHEET.replace("supplier: russia", "supplier: minsk"))
    result = cli("load", str(tmp_path / "in"))
    assert result.exit_code == 1
    assert any(p.startswith(f"{path}:{line_of(path, 'supplier: minsk')}:") for p in result.stderr.splitlines()), \
        result.stderr
    assert cli.select("SELECT ?a WHERE { ?a a nf:Article }") == []


def test_other_files_still_load_when_one_is_bad(cli, tmp_path):
    write_sheet(tmp_path / "in")
    bad = tmp_path / "in" / "bad.yaml"
    bad.write_text(SHEET.replace("test-article", "bad-article").replace("quantity: 4", "quantity: many"),
                   encoding="utf-8")
    result = cli("load", str(tmp_path / "in"))
    assert result.exit_code == 1
    assert f"{bad}:" in result.stderr
    ids = {r["id"] for r in cli.select("SELECT ?id WHERE { ?a a nf:Article ; dcterms:identifier ?id }")}
    assert ids == {"test-article"}


def test_validate_writes_nothing(cli, tmp_path):
    write_sheet(tmp_path / "in")
    result = cli("validate", str(tmp_path / "in"))
    assert result.exit_code == 0, result.output
    assert "2 files OK" in result.stdout
    assert cli.export() == set()
    write_sheet(tmp_path / "in", SHEET.replace("recipient: belarus", "recipient: atlantis"))
    assert cli("validate", str(tmp_path / "in")).exit_code == 1


def test_missing_path_and_unsupported_file(cli, tmp_path):
    (tmp_path / "notes.docx").write_bytes(b"x")
    result = cli("load", str(tmp_path / "nope.yaml"), str(tmp_path / "notes.docx"))
    assert result.exit_code == 1
    assert f"{tmp_path / 'nope.yaml'}:1: no such file or folder" in result.stderr
    assert f"{tmp_path / 'notes.docx'}:1: cannot load '.docx' files" in result.stderr
