"""Saved queries over HTTP: the eight required ones on the seeds and on fixture sheets of our own,
the binding of their parameters, their formats, paging, validators, errors, the HTML form, and the
start-up checks of the query files.

Expected answers come from the seed sheets themselves (read with the project's own YAML reader)
or from SPARQL run through the command line on the same store — never typed in by hand where the
data can say it. Fact sheets of our own are in ``tests/fixture_conflicts/`` (semantics against CONTRACT §5:
dates, statuses, month ends, several reference records); query files used only here are written to
temporary folders from the strings below.
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
from conftest import BASE, ROOT, SEEDS
from helpers import generate, loaded
from server import NEWSGRAPH, Server
from server import fetch as call  # (status, headers, body), errors included

from newsgraph.loaders.vocab import NF, PREFIXES
from newsgraph.service.sparql.saved_queries import QueryFileError, load_queries, read_query
from newsgraph.service.sparql.text import bind_values
from newsgraph.service.store.embedded import open_store

ARTICLE = f"{BASE}id/article/askanews-2023-11-22-csto"
RECORD = f"{BASE}id/article/csto-treaty-record"
E = f"{BASE}id/"
REQUIRED = ("members", "arms-transfers", "meetings", "statements", "agreements", "entity-facts", "conflicts",
            "search")
FIXTURES = ROOT / "tests" / "fixture_conflicts"
RV_NEWS = f"{E}article/rv-news"
RV_RECORD, RV_RECORD_2 = f"{E}article/rv-record", f"{E}article/rv-record-2"

# ---- query files used only here ----------------------------------------------------------------------------------

EXISTS_RQ = """#+ summary: A parameter beside an EXISTS expression in the SELECT clause
#+ params:
#+   x: {type: string, example: hello}
SELECT $x (EXISTS { ?s ?p ?o } AS ?any)
WHERE {
}
"""

RATIO_RQ = """#+ summary: A ratio, which is infinite for zero
#+ params:
#+   n: {type: integer, example: "1"}
SELECT (1.0e0 / $n AS ?ratio)
WHERE {
}
"""

LANG_RQ = """#+ summary: Echoes a language-tagged string
#+ params:
#+   l: {type: langstring, example: Mosca@it}
SELECT $l
WHERE {
}
"""

# rows of ~7 KB each come steadily for several seconds: the first 64 KiB leave the executor (and with them the
# status line) long before the time limit stops the query
SLOW_RQ = """#+ summary: A big page of rows that come slowly
#+ params:
#+   x: {type: string, example: hello}
SELECT ?a ?d $x (REPLACE(STR(?a), ".", "%s") AS ?pad)
WHERE {
  ?a ?b ?c . ?d ?e ?f
  FILTER(IF(STRENDS(STR(?c), "a") && STRENDS(STR(?f), "a"), true, STR(?c) = CONCAT(STR(?f), "!")))
}
""" % ("x" * 120)


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
    cli = loaded(folder / "store", SEEDS, *(folder / f"report-{x}.yaml" for x in "abc"))
    with Server(folder / "store") as server:
        server.cli = cli
        yield server


@pytest.fixture(scope="module")
def review_store(tmp_path_factory) -> Path:
    """The seeds (a reference record and its conflicts), the fact sheets of ``tests/fixture_conflicts`` and 8
    generated articles, in one store."""
    folder = tmp_path_factory.mktemp("review")
    generate(folder / "corpus", 8, 15, 5)
    return loaded(folder / "store", SEEDS, FIXTURES, folder / "corpus").store


@pytest.fixture(scope="module")
def review_srv(review_store):
    with Server(review_store) as server:
        yield server


@pytest.fixture(scope="module")
def own_queries(review_store, tmp_path_factory):
    """The query files above, on the same data, with a one-second time limit."""
    folder = tmp_path_factory.mktemp("review-queries")
    for name, text in (("exists", EXISTS_RQ), ("ratio", RATIO_RQ), ("lang", LANG_RQ), ("slow", SLOW_RQ)):
        (folder / f"{name}.rq").write_text(text)
    with Server(review_store, timeout=1, env={"NEWSGRAPH_QUERIES": str(folder)}) as server:
        yield server


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


def ids(found: list[dict], column: str) -> list[str]:
    return [r[column].rsplit("/", 1)[1] for r in found]


def strict_json(body: bytes):
    """JSON as RFC 8259 has it: NaN and Infinity are not JSON (JavaScript's JSON.parse refuses them)."""
    def refuse(word):
        raise ValueError(f"{word} is not JSON")
    return json.loads(body, parse_constant=refuse)


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
    before = rows(srv, "members", {"organization": "csto", "date": "2010-01-01"})
    assert before and all(r["date"][:10] <= "2010-01-01" for r in before)
    assert not [r for r in before if r["article"] == ARTICLE]  # the 2023 article's claims are later
    members = {r["member"].rsplit("/", 1)[1] for r in before}
    assert {"uzbekistan", "belarus", "russia"} <= members
    # the CSTO has no members before its Charter (2002); the Treaty's parties are members of `cst`
    assert rows(srv, "members", {"organization": "csto", "date": "2000-01-01"}) == []
    cst = rows(srv, "members", {"organization": "cst", "date": "2000-01-01"})
    parties = {r["member"].rsplit("/", 1)[1] for r in cst}
    assert {"uzbekistan", "azerbaijan", "georgia", "russia"} <= parties
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
    assert "suspended since 2012-06-28" in reason  # what the record holds instead, not only that it differs
    assert rows(srv, "conflicts", {"entity": "russia"}) == [r for r in found if r["rule"] == "quantity"]
    assert rows(srv, "conflicts", {"entity": "uzbekistan"}) == reference


def test_conflicts_flag_a_member_a_complete_list_leaves_out(srv):
    """The seed article's enumerating sentence is marked complete and names six states: Belarus, a member
    the reference record holds since the Charter of 2002, is left out — a conflict as much as a wrong claim."""
    found = [r for r in rows(srv, "conflicts") if r["rule"] == "omission"]
    assert [(r["omitted"], r["article"], r["conflictsWith"]) for r in found] == [
        (f"{E}country/belarus", ARTICLE, RECORD)]
    reason = found[0]["reason"]
    assert "leaves out Belarus" in reason and "6 named" in reason and "2002-10-07" in reason
    assert found[0]["claim"].startswith(ARTICLE + "/")  # a claim of the list, which links to its evidence
    assert [r["rule"] for r in rows(srv, "conflicts", {"entity": "belarus"})] == ["omission"]
    assert "omission" in {r["rule"] for r in rows(srv, "conflicts", {"entity": "csto"})}
    # a state the list names is no omission, and a list not marked complete omits nothing
    assert not [r for r in rows(srv, "conflicts", {"entity": "armenia"}) if r["rule"] == "omission"]


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


# ---- the required queries on fixture sheets of our own (tests/fixture_conflicts) ------------------------------------


def test_members_date_is_as_of_before_start_before_publication(review_srv):
    found = {r["claim"].rsplit("/", 1)[1]: r for r in rows(review_srv, "members", {"organization": "rv-pact"})}
    assert found["alfa-member-since-2001"]["date"] == "2020-05-05"  # as_of wins over start
    assert found["bravo-member-published"]["date"] == "2023-06-15"  # no as_of, no start: the publication
    before = ids(rows(review_srv, "members", {"organization": "rv-pact", "date": "2010-01-01"}), "claim")
    assert "alfa-member-since-2001" not in before and "bravo-member-published" not in before
    assert {"alfa-observer-2008", "bravo-considering-2009", "alfa-2000-2005"} <= set(before)


def test_conflicts_reference_rule_statuses_month_ends_and_several_records(review_srv):
    found = [r for r in rows(review_srv, "conflicts", {"entity": "rv-pact"}) if r["rule"] == "reference"]
    claims = {r["claim"].rsplit("/", 1)[1] for r in found}
    # observer and considering-withdrawal claims outside every interval are conflicts
    assert claims == {"alfa-observer-2008", "bravo-considering-2009"}, found
    # 2005-06-20 is inside an interval that ends in "2005-06"; withdrawn is no membership claim; the 2020 claim
    # is held by the second record (start 2019) though not by the first
    assert {r["conflictsWith"] for r in found} <= {RV_RECORD, RV_RECORD_2}
    assert all(r["article"] == RV_NEWS and "Review Pact" in r["reason"] for r in found)


def test_conflicts_quantity_rule_needs_overlapping_dates(review_srv):
    found = [r for r in rows(review_srv, "conflicts", {"entity": "rv-gun"})]
    pairs = {frozenset((r["claim"].rsplit("/", 1)[1], r["conflictsWith"].rsplit("/", 1)[1])) for r in found}
    assert pairs == {frozenset(("guns-3", "guns-5"))}  # 2020 and 2020-06 overlap; 2022 does not
    assert all(r["rule"] == "quantity" for r in found)


def test_meetings_without_a_location_are_listed(review_srv):
    found = ids(rows(review_srv, "meetings", {"participant": "rv-alfa"}), "meeting")
    assert "three-day-summit" in found  # it has a location: listed today
    assert "phone-call" in found


def test_meetings_from_keeps_a_meeting_still_running_that_day(review_srv):
    def meetings(**dates: str) -> list[str]:
        return ids(rows(review_srv, "meetings", {"location": "rv-city", **dates}), "meeting")

    assert "three-day-summit" in meetings()
    assert "three-day-summit" not in meetings(to="2023-04-30")
    assert "three-day-summit" in meetings(**{"from": "2023-05-02"})


def test_entity_facts_dates_a_membership_by_publication(review_srv):
    fact = next(r for r in rows(review_srv, "entity-facts", {"entity": "rv-bravo"})
                if r["fact"].endswith("/bravo-member-published"))
    assert fact["type"] == "membership" and fact["role"] == "member"
    assert fact["date"] == "2023-06-15"


def test_search_puts_the_shorter_name_first_within_a_rank(review_srv):
    found = rows(review_srv, "search", {"q": "zorbex"})
    assert [r["score"] // 1000 for r in found] == [1, 1]  # both names start with "zorbex": rank 2, less length
    assert ids(found, "entity") == ["rv-zorbex-bay", "rv-zorbex-hall"]  # "Zorbex Bay" is the shorter


def test_search_finds_an_entity_loaded_from_rdf(review_srv):
    assert ids(rows(review_srv, "entity-facts", {"entity": "rv-turtle"}), "fact") == []  # it is an entity: no 400
    assert ids(rows(review_srv, "search", {"q": "Turtleland"}), "entity") == ["rv-turtle"]
    assert ids(rows(review_srv, "search", {"q": "schildkroten"}), "entity") == ["rv-turtle"]


# ---- parameter values: how they are bound and what reaches the engine ------------------------------------------


def test_a_parameter_beside_exists_in_the_select_clause_is_bound(own_queries):
    status, _, body = run(own_queries, "exists", {"x": "hello"})
    assert status == 200, body
    assert json.loads(body)["rows"] == [{"x": "hello", "any": True}]


def test_a_language_tag_with_a_trailing_newline_is_400_not_500(own_queries):
    status, headers, body = run(own_queries, "lang", {"l": "Mosca@it\n"})
    assert (status, headers["Content-Type"]) == (400, "application/problem+json"), body
    assert json.loads(body)["invalid-params"][0]["name"] == "l"


def test_hostile_text_in_a_language_tagged_value_stays_a_literal(own_queries):
    for text in ('"} UNION { ?s ?p ?o } #', "\\u0022 } #", "x\\\\u0022@en"):
        status, _, body = run(own_queries, "lang", {"l": f"{text}@en"})
        assert status == 200, body
        assert json.loads(body)["rows"] == [{"l": text}]


def test_a_query_stopped_after_its_first_rows_is_503_not_500(own_queries):
    status, headers, body = run(own_queries, "slow", {"limit": 10000})
    assert status == 503, (status, body[:200])
    assert headers["Content-Type"] == "application/problem+json"


SUBSELECT_BRANCH = """\
#+ summary: the first countries, and whoever met the given entity
#+ params:
#+   who: {type: iri, example: "http://example.org/who", description: an entity}
SELECT ?x WHERE {
  { SELECT ?x WHERE { ?x a nf:Country } ORDER BY ?x LIMIT 3 }
  UNION
  { ?x nf:metWith $who }
}
"""


def test_a_saved_query_whose_union_branch_is_a_sub_select_still_loads(tmp_path):
    path = tmp_path / "first-or-met.rq"
    path.write_text(SUBSELECT_BRANCH)
    q = read_query(path)
    store = ox.Store()
    store.query(q.bound({"who": [ox.NamedNode("http://example.org/who")]}), prefixes=PREFIXES)


OPTIONAL_BRANCH = """\
#+ summary: meetings (with the host when it is the given one) and statements by the given one
#+ params:
#+   who: {type: iri, required: true, example: "http://example.org/a", description: an entity}
SELECT ?fact $who WHERE {
  { ?fact a nf:Meeting OPTIONAL { ?fact nf:host $who } }
  UNION
  { ?fact a nf:Statement ; nf:speaker $who }
}
"""


def test_union_branch_copies_leave_the_meaning_of_an_optional_unchanged(tmp_path):
    path = tmp_path / "hosted.rq"
    path.write_text(OPTIONAL_BRANCH)
    q = read_query(path)
    ex = "http://example.org/"
    store = ox.Store()
    triples = [("m1", "a", NF.Meeting), ("m1", NF.host, ox.NamedNode(ex + "A")),
               ("m2", "a", NF.Meeting), ("m2", NF.host, ox.NamedNode(ex + "B")),
               ("s1", "a", NF.Statement), ("s1", NF.speaker, ox.NamedNode(ex + "A"))]
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    for s, p, o in triples:
        store.add(ox.Quad(ox.NamedNode(ex + s), rdf_type if p == "a" else p, o))
    who = {"who": [ox.NamedNode(ex + "A")]}
    before = bind_values(q.text, q.where, who)  # the binding as it was: the outer block alone
    answer = {(r["fact"].value, r["who"].value) for r in store.query(q.bound(who), prefixes=PREFIXES)}
    expected = {(r["fact"].value, r["who"].value) for r in store.query(before, prefixes=PREFIXES)}
    assert answer == expected


@pytest.mark.slow
def test_the_fast_saved_queries_give_the_rows_of_their_plain_formulations(review_store):
    """conflicts, corroborated and search as shipped (written for speed, their parameters bound in UNION
    branches too) against the same questions written the plain way (``tests/fixture_plain_queries``, bound
    by the outer VALUES block only): the same rows, with and without the optional entity, and for
    multi-valued and duplicated `type` values. (Rows tied on every ORDER BY key may come in another order.)"""
    from newsgraph.service.sparql.params import EntityResolver, check

    store = open_store(str(review_store))
    plain, fast = load_queries(ROOT / "tests" / "fixture_plain_queries"), load_queries()
    resolver = EntityResolver(store)

    def rows(q, given: dict, outer_values_only: bool) -> list:
        checked = check(q, given, resolver)
        assert not checked.problems, checked.problems
        if outer_values_only:
            text = bind_values(q.text, q.where, {q.param(n).var: t for n, t in checked.terms.items()})
        else:
            text = q.bound(checked.terms)
        r = store.query(text)
        return [tuple(str(s[v]) if s[v] is not None else "" for v in r.variables) for s in r]

    def same(name: str, given: dict, ordered: bool = False) -> int:
        a, b = rows(plain[name], given, True), rows(fast[name], given, False)
        assert (a == b) if ordered else (sorted(a) == sorted(b)), (name, given)
        return len(a)

    assert same("conflicts", {}, ordered=True) >= 3, "the seeds' and fixtures' conflicts"
    assert same("corroborated", {}) > 0
    assert same("corroborated", {"sources": ["1"]}) > 0
    ids = [r["id"].value for r in store.query(
        "SELECT DISTINCT ?id WHERE { ?e a ?c ; dcterms:identifier ?id . ?f ?p ?e . ?f a nf:Fact "
        "VALUES ?c { nf:Country nf:Organization nf:WeaponSystem nf:Person } } ORDER BY ?id")]
    ids = [*ids[:: max(1, len(ids) // 40)], "uzbekistan", "belarus", "csto", "rv-alfa", "rv-gun", "russia"]
    found = 0
    for entity in ids:
        found += same("conflicts", {"entity": [entity]}, ordered=True)
        same("corroborated", {"entity": [entity]})
        same("corroborated", {"entity": [entity], "sources": ["1"]})
    assert found >= 3
    for q in ("tagik", "ro", "mosca", "a", "rv"):
        for extra in ({}, {"type": ["country"]}, {"type": ["country", "person"]}, {"type": ["person", "person"]},
                      {"lang": ["it"]}):
            same("search", {"q": [q], **extra})


# ---- formats ------------------------------------------------------------------------------------------------


def test_csv_tsv_sparql_json_and_html(srv):
    params = {"organization": "cst", "date": "2000-01-01"}
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


def test_infinite_numbers_still_give_valid_json(own_queries):
    status, _, body = run(own_queries, "ratio", {"n": 0})
    assert status == 200
    strict_json(body)


def test_csv_booleans_are_true_and_false(review_srv):
    status, _, body = run(review_srv, "members", {"organization": "rv-pact", "format": "csv"})
    assert status == 200
    values = {r["reference"] for r in csv.DictReader(io.StringIO(body.decode()))}
    assert values == {"true", "false"}


def test_link_prev_and_first_keep_the_format(review_srv):
    status, headers, _ = run(review_srv, "members",
                             {"organization": "rv-pact", "limit": 2, "offset": 4, "format": "tsv"})
    assert status == 200 and headers["Content-Type"].startswith("text/tab-separated-values")
    links = dict((rel, href) for href, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', headers["Link"]))
    assert set(links) == {"next", "prev", "first"}
    assert all("format=tsv" in href for href in links.values())
    assert "offset=2" in links["prev"] and "offset=0" in links["first"] and "offset=6" in links["next"]


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


def test_every_bad_parameter_and_paging_value_is_listed(review_srv):
    status, headers, body = run(review_srv, "members", {"organization": "ctso", "limit": 0, "offset": "x",
                                                  "format": "xml", "colour": "red"})
    assert status == 400 and headers["Content-Type"] == "application/problem+json"
    names = {p["name"] for p in json.loads(body)["invalid-params"]}
    assert names == {"organization", "limit", "offset", "format", "colour"}


# ---- the HTML form ------------------------------------------------------------------------------------------------


def test_values_echoed_into_the_form_are_escaped(review_srv):
    hostile = '"><script>alert(1)</script>'
    status, headers, body = run(review_srv, "search", {"q": hostile}, {"Accept": "text/html"})
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b"<script>alert(1)" not in body
    assert b'value="&#34;&gt;&lt;script&gt;' in body or b'value="&quot;&gt;&lt;script&gt;' in body


def test_a_form_submission_with_a_typo_answers_the_form_with_the_hint(review_srv):
    status, headers, body = run(review_srv, "members", {"organization": "ctso"}, {"Accept": "text/html"})
    assert status == 400
    assert headers["Content-Type"].startswith("text/html")
    assert b"did you mean csto" in body and b'name="organization"' in body


def test_the_empty_form_shows_no_error(review_srv):
    status, headers, body = run(review_srv, "members", None, {"Accept": "text/html"})
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b'name="organization"' in body
    assert b'role="alert"' not in body


def test_the_form_keeps_every_value_of_a_list_parameter(review_srv):
    status, _, body = run(review_srv, "arms-transfers", [("recipient", "tajikistan"), ("recipient", "armenia")],
                          {"Accept": "text/html"})
    assert status == 200
    assert b'value="tajikistan"' in body and b'value="armenia"' in body


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


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.rq"
    path.write_text(text)
    return path


def problems(path: Path) -> list[tuple[int, str]]:
    with pytest.raises(QueryFileError) as e:
        read_query(path)
    return [(p.line, p.message) for p in e.value.problems]


def test_a_default_that_does_not_fit_its_type_is_refused(tmp_path):
    path = write(tmp_path, "bad-default", "#+ summary: A test\n#+ params:\n"
                 "#+   n: {type: integer, default: two}\n#+   k: {type: enum, values: [a, b], default: c}\n"
                 "SELECT $n $k WHERE { }\n")
    found = problems(path)
    assert {line for line, _ in found} >= {3, 4}, found


def test_an_unknown_prefix_is_reported_on_its_line(tmp_path):
    path = write(tmp_path, "typo", "#+ summary: A test\n#+ params:\n#+   x: {type: string}\n\n"
                 "SELECT $x\nWHERE {\n  ?s ?p $x .\n  ?s nope:x ?o\n}\n")
    found = problems(path)
    assert [line for line, _ in found] == [8], found


def test_service_is_reported_on_its_line(tmp_path):
    path = write(tmp_path, "remote", "#+ summary: A test\n#+ params:\n#+   x: {type: string}\n\n"
                 "SELECT $x\nWHERE {\n  ?s ?p $x .\n  SERVICE <http://evil.example/sparql> { ?s ?p ?o }\n}\n")
    found = problems(path)
    assert any(line == 8 and "SERVICE" in message for line, message in found), found


def test_two_parameters_on_one_variable_are_refused(tmp_path):
    path = write(tmp_path, "clash", "#+ summary: A test\n#+ params:\n#+   a: {type: string, var: x}\n"
                 "#+   x: {type: string}\nSELECT $x WHERE { ?s ?p $x }\n")
    assert problems(path)


def test_a_parameter_used_only_inside_a_sub_select_is_refused(tmp_path):
    path = write(tmp_path, "inner", "#+ summary: A test\n#+ params:\n#+   x: {type: string}\n"
                 "SELECT ?s WHERE { { SELECT ?s WHERE { ?s ?p $x } } }\n")
    assert problems(path)


def test_serve_refuses_a_queries_folder_that_does_not_exist(review_store, tmp_path):
    try:
        server = Server(review_store, env={"NEWSGRAPH_QUERIES": str(tmp_path / "no-such-folder")}).__enter__()
    except RuntimeError:
        return  # refused: fine
    try:
        assert run(server, "members", {"organization": "csto"})[0] == 200
    finally:
        server.__exit__(None, None, None)


def test_crlf_query_files_are_read(tmp_path):
    path = write(tmp_path, "crlf", "")
    path.write_bytes(b"#+ summary: A test\r\n#+ params:\r\n#+   x: {type: string}\r\nSELECT $x WHERE { ?s ?p $x }\r\n")
    q = read_query(path)
    assert q.summary == "A test" and [p.name for p in q.params] == ["x"] and q.columns == ["x"]

