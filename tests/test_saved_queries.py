"""Saved queries over HTTP: the eight required ones on the seeds and on fixture sheets of our own,
their formats, paging, validators, errors, and the start-up checks of the query files.

Expected answers come from the seed sheets themselves (read with the project's own YAML reader)
or from SPARQL run through the command line on the same store — never typed in by hand where the
data can say it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import BASE, ROOT, SEEDS, Cli
from server import NEWSGRAPH, Server, fetch

from newsgraph.service.sparql.saved_queries import QueryFileError, load_queries, read_query

ARTICLE = f"{BASE}id/article/askanews-2023-11-22-csto"
RECORD = f"{BASE}id/article/csto-treaty-record"
E = f"{BASE}id/"
REQUIRED = ("members", "arms-transfers", "meetings", "statements", "agreements", "entity-facts", "conflicts",
            "search")


def quantity_sheets(folder: Path) -> None:
    """Two articles that disagree on a transfer's quantity, and a third that agrees with the seeds."""
    for name, qty, day in (("report-a", 2, "2023-11-20"), ("report-b", 4, "2023-11-21"), ("report-c", 2, "2023-11-25")):
        (folder / f"{name}.yaml").write_text(f"""article: {{id: {name}, title: "Report {name}", publisher: askanews,
  published: {day}, language: en}}
facts:
  - {{type: arms-transfer, id: s300, supplier: russia, recipient: tajikistan, item: s-300, quantity: {qty},
     date_before: {day}, quote: "{qty} S-300 battalions"}}
  - {{type: membership, member: tajikistan, organization: csto, quote: "Tajikistan, a CSTO member"}}
""")


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    folder = tmp_path_factory.mktemp("saved")
    quantity_sheets(folder)
    cli = Cli(folder / "store")
    result = cli("load", str(SEEDS), *(str(folder / f"report-{x}.yaml") for x in "abc"))
    assert result.exit_code == 0, result.output
    with Server(folder / "store") as server:
        server.cli = cli
        yield server


call = fetch  # (status, headers, body), errors included

def run(srv, name: str, params: dict | list | None = None, headers: dict | None = None):
    query = urllib.parse.urlencode(params or {}, doseq=True)
    return call(f"{srv.url}/queries/{name}" + (f"?{query}" if query else ""), headers)


def rows(srv, name: str, params: dict | list | None = None) -> list[dict]:
    pairs = list(params.items()) if isinstance(params, dict) else list(params or [])
    status, _headers, body = run(srv, name, [*pairs, ("limit", 10000)])
    assert status == 200, body
    doc = json.loads(body)
    assert doc["query"] == name and set(doc) >= {"params", "columns", "rows"}
    for row in doc["rows"]:
        assert list(row) == doc["columns"]
    return doc["rows"]


# ---- the required queries on the seeds ----------------------------------------------------------------------


def test_every_required_query_is_listed(srv):
    _status, _, body = call(srv.url + "/queries", {"Accept": "application/json"})
    listed = {q["name"]: q for q in json.loads(body)["queries"]}
    assert set(REQUIRED) <= set(listed)
    assert listed["members"]["params"][0] == {
        "name": "organization", "type": "entity", "required": True, "multiple": False, "example": "csto",
        "description": "the organisation, by its IRI, id or Wikidata id"}
    for q in listed.values():
        assert q["summary"] and q["columns"]


def test_members_of_the_csto(srv):
    found = rows(srv, "members", {"organization": "csto"})
    expected = {r["m"] for r in srv.cli.select(f"""SELECT ?m WHERE {{
        ?c a <http://www.w3.org/ns/org#Membership> ; <http://www.w3.org/ns/org#organization> <{E}organization/csto> ;
           <http://www.w3.org/ns/org#member> ?m }}""")}
    assert {r["member"] for r in found} == expected
    from_article = {r["member"] for r in found if r["article"] == ARTICLE and r["status"] == "member"}
    assert from_article == {f"{E}country/{c}" for c in
                            ("russia", "armenia", "kazakhstan", "kyrgyzstan", "tajikistan", "uzbekistan")}
    assert all(set(r) >= {"member", "memberLabel", "status", "date", "article", "published", "quote"} for r in found)
    uzbek = [r for r in found if r["member"].endswith("/uzbekistan") and r["article"] == ARTICLE]
    assert uzbek[0]["date"] == "2023-11-22" and uzbek[0]["published"] == "2023-11-22"  # dated by publication
    assert uzbek[0]["memberLabel"] == "Uzbekistan" and uzbek[0]["reference"] is False
    dates = [r["date"] for r in found]
    assert dates[0] >= dates[-1]  # newest first


def test_members_date_rule(srv):
    """Only claims whose date (as_of, else start, else publication) is on or before `date`."""
    before = rows(srv, "members", {"organization": "csto", "date": "2000-01-01"})
    assert before and all(r["date"][:10] <= "2000-01-01" for r in before)
    assert not [r for r in before if r["article"] == ARTICLE]  # the 2023 article's claims are later
    members = {r["member"].rsplit("/", 1)[1] for r in before}
    assert {"uzbekistan", "azerbaijan", "georgia", "russia"} <= members
    day_of = rows(srv, "members", {"organization": "csto", "date": "2023-11-22"})
    assert [r for r in day_of if r["article"] == ARTICLE]  # on the day counts
    assert len(day_of) > len(before)


def test_entity_parameters_take_an_iri_an_id_or_a_wikidata_id(srv):
    by_id = rows(srv, "members", {"organization": "csto"})
    by_iri = rows(srv, "members", {"organization": f"{E}organization/csto"})
    assert by_id == by_iri
    tajik = rows(srv, "entity-facts", {"entity": "tajikistan"})
    assert tajik == rows(srv, "entity-facts", {"entity": "Q863"})


def test_arms_transfers(srv):
    found = rows(srv, "arms-transfers", {"supplier": "russia", "item": "s-300"})
    seed = [r for r in found if r["article"] == ARTICLE]
    assert len(seed) == 1
    t = seed[0]
    assert t["transfer"] == f"{ARTICLE}/s300-to-tajikistan"
    assert (t["supplier"], t["recipient"], t["item"]) == (f"{E}country/russia", f"{E}country/tajikistan",
                                                          f"{E}weapon-system/s-300")
    assert t["quantity"] == 2 and t["unit"] == "battalion" and t["itemLabel"] == "S-300"
    assert t["date"] == "../2023-11-22"  # known only as "before the article"
    assert "S-300" in t["quote"]
    assert rows(srv, "arms-transfers", {"supplier": "tajikistan"}) == []
    both = rows(srv, "arms-transfers", [("recipient", "tajikistan"), ("recipient", "armenia")])
    assert len(both) == 4  # the seed's and the three reports': lists accept any of their values


def test_meetings(srv):
    found = rows(srv, "meetings", {"participant": "putin"})
    ids = {r["meeting"].rsplit("/", 1)[1] for r in found}
    assert ids == {"csto-summit-2023-11-23", "putin-rahmon-moscow", "putin-visit-kyrgyzstan"}
    summit = next(r for r in found if r["meeting"].endswith("csto-summit-2023-11-23"))
    assert summit["absent"] == "Armenia"
    assert set(summit["participants"].split("; ")) == {"Russia", "Vladimir Putin"}
    moscow = next(r for r in found if r["meeting"].endswith("putin-rahmon-moscow"))
    assert moscow["locationLabel"] == "Moscow" and moscow["start"] == "2023-11-21"
    assert {r["meeting"] for r in rows(srv, "meetings", {"location": "minsk"})} == {
        f"{ARTICLE}/csto-ministerial-minsk"}
    october = rows(srv, "meetings", {"from": "2023-10-01", "to": "2023-10-31"})
    assert [r["meeting"].rsplit("/", 1)[1] for r in october] == ["putin-visit-kyrgyzstan"]


def test_statements(srv):
    putin = rows(srv, "statements", {"speaker": "putin"})
    assert {r["statement"].rsplit("/", 1)[1] for r in putin} == {"putin-air-defence-work", "putin-unified-air-defence"}
    assert all(r["speakerLabel"] == "Vladimir Putin" and r["date"] == "2023-11-22" for r in putin)
    june = rows(srv, "statements", {"from": "2023-06-01", "to": "2023-06-30"})
    dated = {r["statement"].rsplit("/", 1)[1] for r in june if r["date"] == "2023-06"}
    assert dated == {"patrushev-anglo-saxons", "patrushev-ukraine-threat"}
    # the others may have been made in June: the article says only "before 2023-11-22"
    assert {r["date"] for r in june if r["date"] != "2023-06"} == {"../2023-11-22"}
    assert not [r for r in june if r["date"] == "2023-11-22"]  # made on a known day outside June
    about_ukraine = rows(srv, "statements", {"about": "ukraine"})
    assert [r["statement"].rsplit("/", 1)[1] for r in about_ukraine] == ["patrushev-ukraine-threat"]
    assert set(about_ukraine[0]["about"].split("; ")) == {"Ukraine", "Collective Security Treaty Organization"}


def test_agreements(srv):
    found = rows(srv, "agreements", {"party": "kyrgyzstan"})
    ids = {r["agreement"].rsplit("/", 1)[1] for r in found}
    assert {"russia-kyrgyzstan-air-defence-ratified", "russia-kyrgyzstan-air-defence-in-force", "cst-signed"} <= ids
    ratified = next(r for r in found if r["agreement"].endswith("russia-kyrgyzstan-air-defence-ratified"))
    assert ratified["status"] == "ratified" and ratified["date"] == "2023-10"
    assert set(ratified["parties"].split("; ")) == {"Russia", "Kyrgyzstan"}
    signed = rows(srv, "agreements", {"party": "kyrgyzstan", "stage": "signed"})
    assert signed and all(r["status"] == "signed" for r in signed)


def test_entity_facts_with_roles(srv):
    found = rows(srv, "entity-facts", {"entity": "tajikistan"})
    expected = {r["f"] for r in srv.cli.select(
        f"SELECT DISTINCT ?f WHERE {{ ?f a <https://w3id.org/newsgraph/ns#Fact> ; ?p <{E}country/tajikistan> }}")}
    assert {r["fact"] for r in found} == expected
    assert len(found) == len(expected)  # one row per fact, whatever its number of roles
    transfer = next(r for r in found if r["fact"] == f"{ARTICLE}/s300-to-tajikistan")
    assert transfer["type"] == "arms-transfer" and transfer["role"] == "recipient"
    moscow = next(r for r in found if r["fact"] == f"{ARTICLE}/putin-rahmon-moscow")
    assert moscow["type"] == "meeting" and moscow["role"] == "participant"
    only = rows(srv, "entity-facts", {"entity": "tajikistan", "type": "membership"})
    assert only and all(r["type"] == "membership" for r in only)


def test_conflicts_flag_uzbekistan_against_the_treaty_record(srv):
    found = rows(srv, "conflicts")
    reference = [r for r in found if r["rule"] == "reference"]
    assert [r["claim"] for r in reference] == [f"{ARTICLE}/uzbekistan-member-csto"]
    row = reference[0]
    assert row["article"] == ARTICLE and row["conflictsWith"] == RECORD
    reason = row["reason"]
    assert "Uzbekistan" in reason and "2023-11-22" in reason and "reference record" in reason
    assert rows(srv, "conflicts", {"entity": "russia"}) == [r for r in found if r["rule"] == "quantity"]
    assert rows(srv, "conflicts", {"entity": "uzbekistan"}) == reference


def test_conflicts_flag_different_quantities_for_the_same_transfer(srv):
    found = [r for r in rows(srv, "conflicts") if r["rule"] == "quantity"]
    pairs = {frozenset((r["claim"], r["conflictsWith"])) for r in found}
    b = f"{E}article/report-b/s300"
    assert pairs == {frozenset((b, f"{E}article/report-a/s300")), frozenset((b, f"{E}article/report-c/s300")),
                     frozenset((b, f"{ARTICLE}/s300-to-tajikistan"))}
    assert all("4" in r["reason"] and "2" in r["reason"] and "S-300" in r["reason"] for r in found)


def test_search_any_language_accents_and_case(srv):
    for q in ("Tagik", "TAGIK", "tagík", "tajik", "Таджик"):
        found = rows(srv, "search", {"q": q})
        assert found and found[0]["entity"] == f"{E}country/tajikistan", q
        assert found[0]["label"] == "Tajikistan" and found[0]["type"] == "country"
    italian = rows(srv, "search", {"q": "tagik", "lang": "it"})
    assert italian[0]["label"] == "Tagikistan"
    assert rows(srv, "search", {"q": "zzzzqqq"}) == []


def test_search_ranks_exact_then_prefix_then_word_then_inside(srv):
    found = rows(srv, "search", {"q": "russia"})
    assert found[0]["entity"] == f"{E}country/russia"  # a name equal to q
    scores = [r["score"] for r in found]
    assert scores == sorted(scores, reverse=True)
    persons = rows(srv, "search", {"q": "putin", "type": "person"})
    assert persons and all(r["type"] == "person" for r in persons)


def test_corroborated_relations(srv):
    found = rows(srv, "corroborated", {"sources": 3})
    pairs = {(r["subject"], r["relation"], r["object"]): r["articles"] for r in found}
    assert pairs[(f"{E}country/tajikistan", "member of", f"{E}organization/csto")] >= 3
    assert pairs[(f"{E}country/russia", "supplied arms to", f"{E}country/tajikistan")] == 4
    assert all(n >= 3 for n in pairs.values())


def test_timeline_is_in_date_order(srv):
    found = rows(srv, "timeline", {"entity": "uzbekistan"})
    days = [r["earliest"] for r in found if r["earliest"]]
    assert days == sorted(days) and days[0].startswith("1992")


# ---- formats ------------------------------------------------------------------------------------------------


def test_csv_tsv_sparql_json_and_html(srv):
    params = {"organization": "csto", "date": "2000-01-01"}
    plain = rows(srv, "members", params)
    status, headers, body = run(srv, "members", params, {"Accept": "text/csv"})
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(body.decode())))
    assert [r["member"] for r in table] == [r["member"] for r in plain]
    status, headers, body = run(srv, "members", {**params, "format": "tsv"})
    assert headers["Content-Type"].startswith("text/tab-separated-values")
    parsed = list(ox.parse_query_results(body, format=ox.QueryResultsFormat.TSV))
    assert [s["member"].value for s in parsed] == [r["member"] for r in plain]
    status, headers, body = run(srv, "members", params, {"Accept": "application/sparql-results+json"})
    parsed = list(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON))
    assert [s["member"].value for s in parsed] == [r["member"] for r in plain]
    assert parsed[0]["date"].datatype.value.endswith("#date") or parsed[0]["date"].datatype.value.endswith("gYear")
    status, headers, body = run(srv, "members", params, {"Accept": "text/html"})
    assert headers["Content-Type"].startswith("text/html")
    assert body.count(b"<tr>") == len(plain) + 1
    assert b'href="/id/country/uzbekistan"' in body  # IRIs link to their pages
    assert b'name="organization"' in body  # the form, filled in
    _, _, default = run(srv, "members", params)
    assert json.loads(default)["rows"] == plain  # JSON when nothing is asked


def test_nothing_acceptable_is_406(srv):
    status, headers, _body = run(srv, "members", {"organization": "csto"}, {"Accept": "image/png"})
    assert status == 406 and headers["Content-Type"] == "application/problem+json"


# ---- paging, validators ---------------------------------------------------------------------------------------


def test_paging_follows_link_next_to_the_end(srv):
    everything = rows(srv, "members", {"organization": "csto"})
    assert len(everything) > 5
    seen, url, pages = [], f"{srv.url}/queries/members?organization=csto&limit=4", 0
    while url:
        _status, headers, body = call(url)
        doc = json.loads(body)
        seen += doc["rows"]
        pages += 1
        links = dict((rel, href) for href, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', headers.get("Link", "")))
        url = urllib.parse.urljoin(srv.url, links["next"]) if "next" in links else None
        assert ("next" in doc) == ("next" in links)
        assert pages < 20
    assert seen == everything  # no row lost, none twice, same order
    assert pages == -(-len(everything) // 4)


def test_bad_limit_and_offset_are_400(srv):
    for params in ({"limit": 0}, {"limit": "ten"}, {"limit": 10001}, {"offset": -1}):
        status, _, body = run(srv, "members", {"organization": "csto", **params})
        assert status == 400, params
        assert json.loads(body)["invalid-params"][0]["name"] in params


def test_etag_and_304_change_with_the_parameters(srv):
    _status, headers, _ = run(srv, "members", {"organization": "csto"})
    etag = headers["ETag"]
    assert run(srv, "members", {"organization": "csto"}, {"If-None-Match": etag})[0] == 304
    _, other, _ = run(srv, "members", {"organization": "csto", "date": "2000-01-01"})
    assert other["ETag"] != etag
    assert run(srv, "members", {"organization": "csto", "date": "2000-01-01"}, {"If-None-Match": etag})[0] == 200


def test_post_form_is_the_same_as_get(srv):
    data = urllib.parse.urlencode({"organization": "csto", "date": "2000-01-01"}).encode()
    status, _, body = call(f"{srv.url}/queries/members", {"Content-Type": "application/x-www-form-urlencoded"}, data)
    assert status == 200
    assert json.loads(body)["rows"] == rows(srv, "members", {"organization": "csto", "date": "2000-01-01"})


# ---- errors ------------------------------------------------------------------------------------------------------


def test_unknown_query_is_404(srv):
    status, headers, body = run(srv, "no-such-query")
    assert status == 404 and headers["Content-Type"] == "application/problem+json"
    assert json.loads(body)["status"] == 404


def test_every_bad_parameter_is_listed(srv):
    status, headers, body = run(srv, "members", {"date": "22/11/2023", "status": "boss", "colour": "red"})
    assert status == 400 and headers["Content-Type"] == "application/problem+json"
    problem = json.loads(body)
    bad = {p["name"]: p["reason"] for p in problem["invalid-params"]}
    assert set(bad) == {"organization", "date", "status", "colour"}
    assert "required" in bad["organization"] and "YYYY-MM-DD" in bad["date"] and "member" in bad["status"]


def test_unknown_entity_says_did_you_mean(srv):
    status, _, body = run(srv, "members", {"organization": "ctso"})
    assert status == 400
    reason = json.loads(body)["invalid-params"][0]["reason"]
    assert "ctso" in reason and "csto" in reason
    status, _, body = run(srv, "entity-facts", {"entity": "Tagikistan"})  # a name, not an id: a hint
    assert status == 400 and "tajikistan" in json.loads(body)["invalid-params"][0]["reason"]
    assert run(srv, "entity-facts", {"entity": "Q1"})[0] == 400
    assert run(srv, "entity-facts", {"entity": f"{ARTICLE}/s300-to-tajikistan"})[0] == 400  # a fact is no entity


def test_an_absent_optional_parameter_matches_anything(srv):
    everything = rows(srv, "arms-transfers")
    assert len(everything) == len(srv.cli.select(
        "SELECT ?t WHERE { ?t a <https://w3id.org/newsgraph/ns#ArmsTransfer> }"))
    assert rows(srv, "arms-transfers", {"supplier": ""}) == everything  # an empty form field is "not given"


# ---- the start-up checks ------------------------------------------------------------------------------------------


GOOD_HEADER = "#+ summary: A test\n#+ params:\n#+   x: {type: string}\n"


@pytest.mark.parametrize("text, line, message", [
    (GOOD_HEADER + "SELECT $x WHERE { ?s ?p $x FILTER(?s = $y) }", 4, "$y looks like a parameter"),
    ("#+ summary: A test\n#+ params:\n#+   x: {type: string}\n#+   z: {type: date}\nSELECT $x WHERE { ?s ?p $x }", 4,
     "'z' is declared but the query never uses $z"),
    (GOOD_HEADER + "SELECT $x ?x WHERE { ?s ?p $x }", 3, "also written ?x"),
    (GOOD_HEADER + "SELECT $x WHERE { ?s ?p $x ", 4, "not a valid SPARQL query"),  # the parser's line
    (GOOD_HEADER + "INSERT DATA { <a:b> <a:c> $x }", 4, "not a valid SPARQL query"),
    (GOOD_HEADER + "CONSTRUCT { ?s ?p $x } WHERE { ?s ?p $x }", 1, "must be a SELECT"),
    (GOOD_HEADER + "SELECT $x WHERE { SERVICE <http://evil.example/> { ?s ?p $x } }", 4, "SERVICE"),
    ("#+ summary: A test\n#+ params:\n#+   x: {type: text}\nSELECT $x WHERE { ?s ?p $x }", 3, "needs a `type`"),
    ("#+ summary: A test\n#+ colour: red\n#+ params:\n#+   x: {type: string}\nSELECT $x WHERE { ?s ?p $x }", 2,
     "unknown header field 'colour'"),
    ("#+ params:\n#+   x: {type: string}\nSELECT $x WHERE { ?s ?p $x }", 1, "needs a one-line `summary`"),
    ("SELECT ?x WHERE { ?s ?p ?x }", 1, "needs a header"),
    ("#+ summary: A test\n#+ params:\n#+   x: {type: enum}\nSELECT $x WHERE { ?s ?p $x }", 3, "needs `values`"),
    ("#+ summary: A test\n#+ params:\n#+   limit: {type: integer}\nSELECT $limit WHERE { ?s ?p $limit }", 3,
     "reserved"),
])
def test_broken_query_files_are_refused_with_file_and_line(tmp_path, text, line, message):
    path = tmp_path / "broken.rq"
    path.write_text(text)
    with pytest.raises(QueryFileError) as e:
        read_query(path)
    found = [(p.line, p.message) for p in e.value.problems]
    assert any(ln == line and message in m for ln, m in found), found


def test_the_shipped_query_files_pass_their_checks():
    found = load_queries()
    assert set(REQUIRED) <= set(found)
    assert len(found) >= 11


def test_serve_refuses_to_start_on_a_broken_query_file(tmp_path):
    folder = tmp_path / "queries"
    folder.mkdir()
    (folder / "good.rq").write_text(GOOD_HEADER + "SELECT $x WHERE { ?s ?p $x }")
    (folder / "bad.rq").write_text(GOOD_HEADER + "SELECT $x WHERE { ?s ?p $x FILTER(?s = $nope) }")
    env = {"NEWSGRAPH_QUERIES": str(folder), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([str(NEWSGRAPH), "serve", "--store", str(tmp_path / "store"), "--port", "1"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert re.search(r"bad\.rq:4: \$nope looks like a parameter", result.stderr), result.stderr


def test_the_readme_of_queries_documents_every_header_field():
    readme = (ROOT / "queries" / "README.md").read_text()
    from newsgraph.service.sparql.saved_queries import HEADER_FIELDS, PARAM_FIELDS, TYPES

    for word in (*HEADER_FIELDS, *PARAM_FIELDS, *TYPES):
        assert f"`{word}`" in readme, word
