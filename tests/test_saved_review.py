"""Review of the saved queries: semantics against CONTRACT §5 on fact sheets of our own, formats, the HTML
form, errors that should never be 500, the start-up checks of query files, and the OpenAPI document.

Each test asserts what a user is promised; most began as the proof of a bug the review found, and stay
to keep it fixed. Fact sheets are in ``tests/fixture_review/``; query files used only here are written to
temporary folders from the strings below.
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import BASE, ROOT, SEEDS, Cli
from server import Server, fetch

from newsgraph.service.sparql.saved_queries import QueryFileError, read_query

FIXTURES = ROOT / "tests" / "fixture_review"
E = f"{BASE}id/"
NEWS = f"{E}article/rv-news"
RECORD, RECORD_2 = f"{E}article/rv-record", f"{E}article/rv-record-2"

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


# ---- servers -------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("review")
    cli = Cli(folder / "store")
    result = cli("load", str(SEEDS), str(FIXTURES))
    assert result.exit_code == 0, result.output
    return folder / "store"


@pytest.fixture(scope="module")
def srv(store):
    with Server(store) as server:
        yield server


@pytest.fixture(scope="module")
def fx(store, tmp_path_factory):
    """The fixture queries above, on the same data, with a one-second time limit."""
    folder = tmp_path_factory.mktemp("review-queries")
    for name, text in (("exists", EXISTS_RQ), ("ratio", RATIO_RQ), ("lang", LANG_RQ), ("slow", SLOW_RQ)):
        (folder / f"{name}.rq").write_text(text)
    with Server(store, timeout=1, env={"NEWSGRAPH_QUERIES": str(folder)}) as server:
        yield server


call = fetch  # (status, headers, body), errors included

def run(server, name: str, params: dict | list | None = None, headers: dict | None = None):
    query = urllib.parse.urlencode(params or {}, doseq=True)
    return call(f"{server.url}/queries/{name}" + (f"?{query}" if query else ""), headers)


def rows(server, name: str, params: dict | list | None = None) -> list[dict]:
    pairs = list(params.items()) if isinstance(params, dict) else list(params or [])
    status, _headers, body = run(server, name, [*pairs, ("limit", 10000)])
    assert status == 200, body
    return json.loads(body)["rows"]


def ids(found: list[dict], column: str) -> list[str]:
    return [r[column].rsplit("/", 1)[1] for r in found]


def strict_json(body: bytes):
    """JSON as RFC 8259 has it: NaN and Infinity are not JSON (JavaScript's JSON.parse refuses them)."""
    def refuse(word):
        raise ValueError(f"{word} is not JSON")
    return json.loads(body, parse_constant=refuse)


# ---- members, conflicts: what works ------------------------------------------------------------------------------


def test_members_date_is_as_of_before_start_before_publication(srv):
    found = {r["claim"].rsplit("/", 1)[1]: r for r in rows(srv, "members", {"organization": "rv-pact"})}
    assert found["alfa-member-since-2001"]["date"] == "2020-05-05"  # as_of wins over start
    assert found["bravo-member-published"]["date"] == "2023-06-15"  # no as_of, no start: the publication
    before = ids(rows(srv, "members", {"organization": "rv-pact", "date": "2010-01-01"}), "claim")
    assert "alfa-member-since-2001" not in before and "bravo-member-published" not in before
    assert {"alfa-observer-2008", "bravo-considering-2009", "alfa-2000-2005"} <= set(before)


def test_conflicts_reference_rule_statuses_month_ends_and_several_records(srv):
    found = [r for r in rows(srv, "conflicts", {"entity": "rv-pact"}) if r["rule"] == "reference"]
    claims = {r["claim"].rsplit("/", 1)[1] for r in found}
    # observer and considering-withdrawal claims outside every interval are conflicts
    assert claims == {"alfa-observer-2008", "bravo-considering-2009"}, found
    # 2005-06-20 is inside an interval that ends in "2005-06"; withdrawn is no membership claim; the 2020 claim
    # is held by the second record (start 2019) though not by the first
    assert {r["conflictsWith"] for r in found} <= {RECORD, RECORD_2}
    assert all(r["article"] == NEWS and "Review Pact" in r["reason"] for r in found)


def test_conflicts_quantity_rule_needs_overlapping_dates(srv):
    found = [r for r in rows(srv, "conflicts", {"entity": "rv-gun"})]
    pairs = {frozenset((r["claim"].rsplit("/", 1)[1], r["conflictsWith"].rsplit("/", 1)[1])) for r in found}
    assert pairs == {frozenset(("guns-3", "guns-5"))}  # 2020 and 2020-06 overlap; 2022 does not
    assert all(r["rule"] == "quantity" for r in found)


# ---- meetings, entity-facts, search: bugs -----------------------------------------------------------------------


def test_meetings_without_a_location_are_listed(srv):
    found = ids(rows(srv, "meetings", {"participant": "rv-alfa"}), "meeting")
    assert "three-day-summit" in found  # it has a location: listed today
    assert "phone-call" in found


def test_meetings_from_keeps_a_meeting_still_running_that_day(srv):
    assert "three-day-summit" in ids(rows(srv, "meetings", {"location": "rv-city"}), "meeting")
    assert "three-day-summit" not in ids(rows(srv, "meetings", {"location": "rv-city", "to": "2023-04-30"}), "meeting")
    assert "three-day-summit" in ids(rows(srv, "meetings", {"location": "rv-city", "from": "2023-05-02"}), "meeting")


def test_entity_facts_dates_a_membership_by_publication(srv):
    fact = next(r for r in rows(srv, "entity-facts", {"entity": "rv-bravo"})
                if r["fact"].endswith("/bravo-member-published"))
    assert fact["type"] == "membership" and fact["role"] == "member"
    assert fact["date"] == "2023-06-15"


def test_search_puts_the_shorter_name_first_within_a_rank(srv):
    found = rows(srv, "search", {"q": "zorbex"})
    assert [r["score"] // 1000 for r in found] == [1, 1]  # both names start with "zorbex": rank 2, less length
    assert ids(found, "entity") == ["rv-zorbex-bay", "rv-zorbex-hall"]  # "Zorbex Bay" is the shorter


def test_search_finds_an_entity_loaded_from_rdf(srv):
    assert ids(rows(srv, "entity-facts", {"entity": "rv-turtle"}), "fact") == []  # it is an entity: no 400
    assert ids(rows(srv, "search", {"q": "Turtleland"}), "entity") == ["rv-turtle"]
    assert ids(rows(srv, "search", {"q": "schildkroten"}), "entity") == ["rv-turtle"]


# ---- the VALUES block and values that reach the engine ------------------------------------------------------------


def test_a_parameter_beside_exists_in_the_select_clause_is_bound(fx):
    status, _, body = run(fx, "exists", {"x": "hello"})
    assert status == 200, body
    assert json.loads(body)["rows"] == [{"x": "hello", "any": True}]


def test_a_language_tag_with_a_trailing_newline_is_400_not_500(fx):
    status, headers, body = run(fx, "lang", {"l": "Mosca@it\n"})
    assert (status, headers["Content-Type"]) == (400, "application/problem+json"), body
    assert json.loads(body)["invalid-params"][0]["name"] == "l"


def test_hostile_text_in_a_language_tagged_value_stays_a_literal(fx):
    for text in ('"} UNION { ?s ?p ?o } #', "\\u0022 } #", "x\\\\u0022@en"):
        status, _, body = run(fx, "lang", {"l": f"{text}@en"})
        assert status == 200, body
        assert json.loads(body)["rows"] == [{"l": text}]


def test_a_query_stopped_after_its_first_rows_is_503_not_500(fx):
    status, headers, body = run(fx, "slow", {"limit": 10000})
    assert status == 503, (status, body[:200])
    assert headers["Content-Type"] == "application/problem+json"


# ---- formats -------------------------------------------------------------------------------------------------------


def test_infinite_numbers_still_give_valid_json(fx):
    status, _, body = run(fx, "ratio", {"n": 0})
    assert status == 200
    strict_json(body)


def test_csv_booleans_are_true_and_false(srv):
    status, _, body = run(srv, "members", {"organization": "rv-pact", "format": "csv"})
    assert status == 200
    values = {r["reference"] for r in csv.DictReader(io.StringIO(body.decode()))}
    assert values == {"true", "false"}


def test_link_prev_and_first_keep_the_format(srv):
    status, headers, _ = run(srv, "members", {"organization": "rv-pact", "limit": 2, "offset": 4, "format": "tsv"})
    assert status == 200 and headers["Content-Type"].startswith("text/tab-separated-values")
    links = dict((rel, href) for href, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', headers["Link"]))
    assert set(links) == {"next", "prev", "first"}
    assert all("format=tsv" in href for href in links.values())
    assert "offset=2" in links["prev"] and "offset=0" in links["first"] and "offset=6" in links["next"]


def test_every_bad_parameter_and_paging_value_is_listed(srv):
    status, headers, body = run(srv, "members", {"organization": "ctso", "limit": 0, "offset": "x",
                                                  "format": "xml", "colour": "red"})
    assert status == 400 and headers["Content-Type"] == "application/problem+json"
    names = {p["name"] for p in json.loads(body)["invalid-params"]}
    assert names == {"organization", "limit", "offset", "format", "colour"}


# ---- the HTML form ------------------------------------------------------------------------------------------------


def test_values_echoed_into_the_form_are_escaped(srv):
    hostile = '"><script>alert(1)</script>'
    status, headers, body = run(srv, "search", {"q": hostile}, {"Accept": "text/html"})
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b"<script>alert(1)" not in body
    assert b'value="&#34;&gt;&lt;script&gt;' in body or b'value="&quot;&gt;&lt;script&gt;' in body


def test_a_form_submission_with_a_typo_answers_the_form_with_the_hint(srv):
    status, headers, body = run(srv, "members", {"organization": "ctso"}, {"Accept": "text/html"})
    assert status == 400
    assert headers["Content-Type"].startswith("text/html")
    assert b"did you mean csto" in body and b'name="organization"' in body


def test_the_empty_form_shows_no_error(srv):
    status, headers, body = run(srv, "members", None, {"Accept": "text/html"})
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b'name="organization"' in body
    assert b'role="alert"' not in body


def test_the_form_keeps_every_value_of_a_list_parameter(srv):
    status, _, body = run(srv, "arms-transfers", [("recipient", "tajikistan"), ("recipient", "armenia")],
                          {"Accept": "text/html"})
    assert status == 200
    assert b'value="tajikistan"' in body and b'value="armenia"' in body


# ---- start-up checks ----------------------------------------------------------------------------------------------


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


def test_openapi_never_fails_on_a_query_file_the_service_accepted(store, tmp_path):
    write(tmp_path, "bad-example", "#+ summary: A test\n#+ params:\n#+   n: {type: integer, example: many}\n"
          "SELECT $n WHERE { }\n")
    try:
        server = Server(store, env={"NEWSGRAPH_QUERIES": str(tmp_path)}).__enter__()
    except RuntimeError:
        return  # refused at start-up: fine
    try:
        for path in ("/openapi.json", "/api"):
            status, _, body = call(server.url + path)
            assert status == 200, (path, body[:200])
    finally:
        server.__exit__(None, None, None)


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


def test_serve_refuses_a_queries_folder_that_does_not_exist(store, tmp_path):
    try:
        server = Server(store, env={"NEWSGRAPH_QUERIES": str(tmp_path / "no-such-folder")}).__enter__()
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
