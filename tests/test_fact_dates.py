"""A fact's date bounds: ``nf:earliest`` and ``nf:latest``, and that every saved query filters by the same rule.

A fact's latest day is the latest day any of its dates allows — its ``end``, its ``date_before``, the last
day of a year or month written at that precision — so a meeting of 21–22 November is still there when
the period asked starts on the 22nd.
"""

from __future__ import annotations

import json
import urllib.parse

import pytest
from conftest import BASE, SEEDS, Cli

TEXT = "Testo di prova: ogni fatto ha la sua frase qui.\n"
ARTICLE = "dates-test"

#: kind -> (fields of one fact, expected earliest, expected latest)
CASES = {
    "membership-start-end": ("type: membership\n    member: armenia\n    organization: csto\n"
                             "    start: 2020-03\n    end: 2021", "2020-03-01", "2021-12-31"),
    "membership-as-of": ("type: membership\n    member: armenia\n    organization: csto\n    as_of: 2022",
                         "2022-01-01", "2022-12-31"),
    "membership-published": ("type: membership\n    member: armenia\n    organization: csto", "2024-03-04",
                             "2024-03-04"),
    "arms-transfer-before": ("type: arms-transfer\n    supplier: russia\n    recipient: tajikistan\n"
                             "    item: s-300\n    date_before: 2023-11", None, "2023-11-30"),
    "arms-transfer-between": ("type: arms-transfer\n    supplier: russia\n    recipient: tajikistan\n"
                              "    item: s-300\n    date_after: 2023-02-10\n    date_before: 2023-03-01",
                              "2023-02-10", "2023-03-01"),
    "meeting-two-days": ("type: meeting\n    participants: [putin, rahmon]\n    start: 2023-11-21\n"
                         "    end: 2023-11-22", "2023-11-21", "2023-11-22"),
    "agreement-month": ("type: agreement\n    parties: [russia, armenia]\n    subject: Test\n    date: 2023-05",
                        "2023-05-01", "2023-05-31"),
    "statement-day": ("type: statement\n    speaker: putin\n    date: 2023-11-22\n    text: Prova",
                      "2023-11-22", "2023-11-22"),
    "deployment-start-end": ("type: deployment\n    actor: russia\n    location: armenia\n    start: 2020-11\n"
                             "    end: 2024-04-17", "2020-11-01", "2024-04-17"),
    "military-action-year": ("type: military-action\n    actor: russia\n    location: armenia\n    start: 2022\n"
                             "    end: 2023-06", "2022-01-01", "2023-06-30"),
}


def sheet(fact: str) -> str:
    return (f"article:\n  id: {ARTICLE}\n  title: Date\n  publisher: askanews\n  published: 2024-03-04\n"
            f"  language: it\n  text: dates.txt\nfacts:\n  - {fact}\n    quote: \"ogni fatto ha la sua frase\"\n")


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_facts_latest_day_is_the_latest_any_of_its_dates_allows(tmp_path, case):
    fields, earliest, latest = CASES[case]
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "dates.txt").write_text(TEXT, encoding="utf-8")
    (folder / "sheet.yaml").write_text(sheet(fields), encoding="utf-8")
    cli = Cli(tmp_path / "store")
    result = cli("load", str(SEEDS / "entities.yaml"), str(folder))
    assert result.exit_code == 0, result.output
    rows = cli.select(f"""SELECT ?e ?l WHERE {{ GRAPH <{BASE}graph/article/{ARTICLE}> {{
        ?f a nf:Fact . OPTIONAL {{ ?f nf:earliest ?e }} OPTIONAL {{ ?f nf:latest ?l }} }} }}""")
    assert rows == [{k: v for k, v in (("e", earliest), ("l", latest)) if v is not None}]


def _saved(srv, name: str, **params: str) -> list[dict]:
    from server import fetch

    status, _, body = fetch(f"{srv.url}/queries/{name}?" + urllib.parse.urlencode(params),
                            {"Accept": "application/json"})
    assert status == 200, body
    return json.loads(body)["rows"]


def test_the_two_day_meeting_is_kept_from_its_second_day_by_every_query(srv):
    """Putin and Rahmon met on 21–22 November 2023: asked from the 22nd, `meetings`, `timeline` and
    `entity-facts` (which sorts by the same day) all keep it."""
    meeting = f"{BASE}id/article/askanews-2023-11-22-csto/putin-rahmon-moscow"
    assert meeting in {r["meeting"] for r in _saved(srv, "meetings", participant="rahmon", **{"from": "2023-11-22"})}
    assert meeting in {r["fact"] for r in _saved(srv, "timeline", entity="rahmon", **{"from": "2023-11-22"})}
    assert meeting not in {r["fact"] for r in _saved(srv, "timeline", entity="rahmon", **{"from": "2023-11-23"})}
    latest = {r["fact"]: r.get("latest") for r in _saved(srv, "entity-facts", entity="rahmon")}
    assert latest[meeting] == "2023-11-22"
