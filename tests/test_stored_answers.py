"""Stored answers: a list query answered from the rows the load stored is the SPARQL answer, page for page.

Two apps read the same on-disk store, one with the stored rows and one with SPARQL alone
(``NEWSGRAPH_STORED_ANSWERS=off``); every stored saved query is asked of both with sampled parameters —
the busiest entities, typical and empty ones, filters, several pages — and the answers (rows, order,
``Link`` headers, CSV) must be identical. On the seeds, a generated corpus and a Zipf-distributed one,
and again after loads that add, replace and re-label.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import sqlite3
import zlib
from pathlib import Path

import pyoxigraph as ox
import pytest
from helpers import SEEDS, app_client, generate, loaded

from newsgraph.service.sparql.saved_queries import load_queries
from newsgraph.service.store import answers
from newsgraph.service.store.embedded import versions_dir

STORED = {name: q for name, q in load_queries().items() if q.stored is not None}
DATES = ["1995-01-01", "2002-10-07", "2015-06-30", "2022-01-01", "2023-11-22", "2024-06-01"]


def test_every_list_and_report_query_is_stored():
    assert set(STORED) == {"members", "arms-transfers", "meetings", "statements", "agreements", "entity-facts",
                           "timeline", "conflicts", "corroborated"}
    assert {n for n, q in STORED.items() if q.stored.grouping != "article"} == {"conflicts", "corroborated"}


def _keys_by_busyness(store: Path, name: str, key: str) -> list[str]:
    """The entities that key the query's stored rows, most rows first (read from the rows themselves)."""
    db = sqlite3.connect(versions_dir(store) / answers.FILE)
    table = answers._table(name)
    rows = db.execute(f"SELECT k_{key}, COUNT(*) FROM {table} WHERE k_{key} IS NOT NULL AND removed IS NULL "
                      f"GROUP BY k_{key} ORDER BY COUNT(*) DESC, k_{key}").fetchall()
    db.close()
    return [k for k, _ in rows]


def _requests(store: Path, rng: random.Random, per_query: int) -> list[tuple[str, dict]]:
    """(query, params) pairs: for every key, its busiest entities, some others, one with no rows, with
    filters and pages drawn at random."""
    out: list[tuple[str, dict]] = []
    empty = "http://localhost:5000/id/country/nowhere-at-all"
    for name, q in STORED.items():
        form = q.stored
        assert form is not None
        for key in form.keys:
            ranked = _keys_by_busyness(store, name, key)
            picks = ranked[:3] + rng.sample(ranked[3:], min(3, len(ranked[3:]))) + [empty]
            if form.grouping != "article":  # a report's rows answer a request without its key too
                picks.append(None)
            for value in picks:
                for _ in range(per_query):
                    params: dict = {"limit": rng.choice(["3", "10", "100"])}
                    if value is not None:
                        params[key] = value
                    params["offset"] = rng.choice(["0", "0", "3", "10", "50"])
                    for pname in form.filters:
                        p = q.param(pname)
                        if p is None or rng.random() < 0.6:
                            continue
                        if p.type == "enum":
                            params[pname] = rng.sample(list(p.values), rng.randint(1, 2) if p.multiple else 1)
                        elif p.type == "date":
                            params[pname] = rng.choice(DATES)
                        elif p.type == "entity":
                            params[pname] = rng.choice(ranked[:5] or [empty])
                        elif p.type == "integer":
                            params[pname] = rng.choice(["1", "2", "3", "10"])
                    for other in form.keys:
                        if other != key and rng.random() < 0.3:
                            params[other] = rng.choice(_keys_by_busyness(store, name, other)[:5] or [empty])
                    out.append((name, params))
    return out


#: columns made by GROUP_CONCAT, whose order SPARQL leaves to the engine (Oxigraph's follows how a store was
#: written; Virtuoso's is another): compared as lists of the same values in any order
CONCATS = {name: set(re.findall(r"GROUP_CONCAT\((?:[^()]|\([^()]*\))*\)\s+AS\s+\?(\w+)", q.text))
           for name, q in STORED.items()}


def _answers(client, name: str, params: dict) -> tuple[int, str, object]:
    r = client.get(f"/queries/{name}", query_string=params, headers={"Accept": "application/json"})
    body = r.get_json() if r.is_json else r.get_data(as_text=True)
    if isinstance(body, dict) and "rows" in body:
        for row in body["rows"]:
            for column in CONCATS[name] & set(row):
                row[column] = sorted(row[column].split("; "))
    return r.status_code, r.headers.get("Link", ""), body


def _compare(store: Path, requests: list[tuple[str, dict]]) -> int:
    fast = app_client(store)
    plain = app_client(store, stored_answers=False)
    nonempty = 0
    for name, params in requests:
        got, want = _answers(fast, name, params), _answers(plain, name, params)
        assert got == want, f"/queries/{name} {params}"
        nonempty += bool(want[0] == 200 and want[2]["rows"])
    # CSV too (the same rows through another writer), for the first request of each query without lists
    for name in {n for n, _ in requests if not CONCATS[n]}:
        params = next(p for n, p in requests if n == name)
        a = fast.get(f"/queries/{name}", query_string={**params, "format": "csv"}).get_data()
        b = plain.get(f"/queries/{name}", query_string={**params, "format": "csv"}).get_data()
        assert a == b
    return nonempty


@pytest.fixture(scope="module")
def seeds_store(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("seeds") / "store"
    loaded(store, SEEDS)
    return store


@pytest.fixture(scope="module", params=["uniform", "zipf"])
def corpus_store(request, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp(request.param)
    generate(root / "corpus", 1000 if request.param == "uniform" else 400, 12, 11,
             zipf=1.1 if request.param == "zipf" else None)
    store = root / "store"
    loaded(store, root / "corpus")
    return store


def test_the_seeds_stored_answers_are_the_sparql_answers(seeds_store):
    requests = _requests(seeds_store, random.Random(1), 4)
    assert _compare(seeds_store, requests) > len(requests) // 4


def test_a_corpus_stored_answers_are_the_sparql_answers(corpus_store):
    requests = _requests(corpus_store, random.Random(2), 2)
    assert _compare(corpus_store, requests) > len(requests) // 3


@pytest.mark.parametrize("name, params, column", [
    ("members", {"organization": "http://localhost:5000/id/organization/csto"}, "quote"),
    ("conflicts", {}, "reason"),  # a report, asked without its key
])
def test_the_stored_rows_answer_the_request(tmp_path, name, params, column):
    """Not SPARQL behind the scenes: a stored row changed by hand shows in the answer (and only there)."""
    store = tmp_path / "store"
    loaded(store, SEEDS)
    form = STORED[name].stored
    before = app_client(store).get(f"/queries/{name}", query_string=params).get_json()
    db = sqlite3.connect(versions_dir(store) / answers.FILE)
    key, value = next(iter(form.keys)), next(iter(params.values()), "")
    order = ", ".join(f"{c} DESC" if desc else c for c, desc in form.order)
    (first_id, row), = db.execute(f"SELECT id, row FROM {answers._table(name)} WHERE k_{key} = ? "
                                  f"ORDER BY {order}, id LIMIT 1", (value,)).fetchall()
    changed = json.loads(zlib.decompress(row))
    changed[STORED[name].columns.index(column)] = "altered by the test"
    db.execute(f"UPDATE {answers._table(name)} SET row = ? WHERE id = ?",
               (zlib.compress(json.dumps(changed).encode()), first_id))
    db.commit()
    db.close()
    after = app_client(store).get(f"/queries/{name}", query_string=params).get_json()
    plain = app_client(store, stored_answers=False).get(f"/queries/{name}", query_string=params).get_json()
    assert after["rows"][0][column] == "altered by the test"
    assert plain == before


def _drop_fact(sheet: Path, rng: random.Random, needle: str = "") -> None:
    """Rewrite a sheet without one of its facts (one that contains ``needle``): its article is replaced."""
    head, *facts = sheet.read_text(encoding="utf-8").split("\n  - type: ")
    candidates = [i for i, f in enumerate(facts) if needle in f]
    assert len(facts) > 1 and candidates
    del facts[rng.choice(candidates)]
    sheet.write_text("\n  - type: ".join([head, *facts]), encoding="utf-8")


def test_stored_answers_follow_incremental_loads(tmp_path):
    corpus = tmp_path / "corpus"
    generate(corpus, 120, 10, 5, zipf=1.1)
    store = tmp_path / "store"
    cli = loaded(store, corpus)
    # a second corpus adds articles (and entities); the first, edited, replaces some and renames others
    more = tmp_path / "more"
    generate(more, 30, 10, 6, zipf=1.1)
    result = cli("load", str(more))
    assert result.exit_code == 0, result.output
    rng = random.Random(3)
    sheets = sorted(p for p in corpus.rglob("*.yaml") if p.name != "entities.yaml")
    for sheet in rng.sample(sheets, 5):
        _drop_fact(sheet, rng)
    registry = corpus / "entities.yaml"
    text = registry.read_text(encoding="utf-8")
    assert "{en: " in text
    registry.write_text(text.replace("{en: ", "{en: Renamed ", 3), encoding="utf-8")
    result = cli("load", str(corpus))
    assert result.exit_code == 0, result.output
    requests = _requests(store, rng, 2)
    assert _compare(store, requests) > len(requests) // 3


def test_report_answers_follow_loads_that_change_claims_and_reference_records(tmp_path):
    """The reports' rows compare articles: a load that changes a complete list, or the reference record the
    claims are compared with, changes rows of other articles too."""
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    store = tmp_path / "store"
    cli = loaded(store, seeds)
    generate(tmp_path / "more", 20, 10, 7)  # (so that changing one article makes only its rows again)
    assert cli("load", str(tmp_path / "more")).exit_code == 0
    reports = [n for n, q in STORED.items() if q.stored.grouping != "article"]
    entities = ["http://localhost:5000/id/country/" + c for c in ("belarus", "uzbekistan", "russia", "armenia")]
    requests = [(n, p) for n in reports for p in [{}, {"sources": "1"}, *({"entity": e} for e in entities)]
                if "sources" not in p or n == "corroborated"]

    def answers_of(client) -> list:
        return [_answers(client, n, p) for n, p in requests]

    before = answers_of(app_client(store))
    registry = seeds / "entities.yaml"

    def relabel() -> None:  # Belarus, which the record holds and the complete list leaves out
        registry.write_text(registry.read_text(encoding="utf-8").replace("{en: Belarus,", "{en: Belarus (renamed),"),
                            encoding="utf-8")

    # the news article's complete list loses a member, Belarus is renamed, the record loses Belarus's membership
    for edit in [lambda: _drop_fact(seeds / "askanews-2023-11-22-csto.yaml", random.Random(5), "complete: true"),
                 relabel,
                 lambda: _drop_fact(seeds / "reference" / "csto-membership.yaml", random.Random(5),
                                    "id: belarus-member")]:
        edit()
        result = cli("load", str(seeds))
        assert result.exit_code == 0, result.output
        assert _compare(store, requests) > 0
    assert answers_of(app_client(store)) != before


def test_a_query_stored_for_the_first_time_gets_every_article_rows(tmp_path):
    """A store written before a query was stored (or by another text of it): the next load, whatever it
    changes, makes that query's rows for every article, not only for the articles it wrote."""
    corpus = tmp_path / "corpus"
    generate(corpus, 40, 10, 8)
    store = tmp_path / "store"
    cli = loaded(store, corpus)
    db = sqlite3.connect(versions_dir(store) / answers.FILE)
    for name in ("members", "corroborated"):
        db.execute(f"DROP TABLE {answers._table(name)}")
        db.execute("DELETE FROM queries WHERE name = ?", (name,))
    db.commit()
    db.close()
    sheet = sorted(p for p in corpus.rglob("*.yaml") if p.name != "entities.yaml")[0]
    _drop_fact(sheet, random.Random(6))
    result = cli("load", str(corpus))
    assert result.exit_code == 0, result.output
    requests = [(n, p) for n, p in _requests(store, random.Random(7), 2) if n in ("members", "corroborated")]
    assert _compare(store, requests) > 0
    # the entity pages' stored links are the changed articles' too, as a count of the whole version says
    db = sqlite3.connect(versions_dir(store) / answers.FILE)
    live = db.execute("SELECT COUNT(*) FROM links WHERE removed IS NULL").fetchone()[0]
    db.close()
    fresh = tmp_path / "fresh"
    loaded(fresh, corpus)
    db = sqlite3.connect(versions_dir(fresh) / answers.FILE)
    assert live == db.execute("SELECT COUNT(*) FROM links WHERE removed IS NULL").fetchone()[0]
    db.close()


def test_a_reader_keeps_its_version_rows_while_a_load_commits_another(tmp_path):
    from newsgraph.service.sparql import stored
    from newsgraph.service.store.embedded import open_store

    store = tmp_path / "store"
    cli = loaded(store, SEEDS)
    csto = "http://localhost:5000/id/organization/csto"
    q = STORED["members"]
    import pyoxigraph as ox

    plan = stored.plan(q.stored, {"organization": [ox.NamedNode(csto)]})
    old = open_store(str(store))
    first = old.stored_page(plan, 0, 1000)
    assert first
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    _drop_fact(seeds / "askanews-2023-11-22-csto.yaml", random.Random(4), "organization: csto")
    result = cli("load", str(seeds))
    assert result.exit_code == 0, result.output
    new = open_store(str(store))
    assert new.version != old.version
    assert len(new.stored_page(plan, 0, 1000)) == len(first) - 1
    assert old.stored_page(plan, 0, 1000) == first


def test_large_groups_of_an_entity_page_come_newest_first_from_the_stored_links(corpus_store):
    """An entity page's groups of more than SORTED_GROUP_LIMIT dated links are paged newest first, in the
    order the page sorts small groups in (by looking up every link's date), at any offset."""
    from newsgraph.service.store.embedded import open_store
    from newsgraph.service.web import describe as d

    store = open_store(str(corpus_store))
    big = []
    for name in ("entity-facts",):
        for iri in _keys_by_busyness(corpus_store, name, "entity")[:4]:
            node = ox.NamedNode(iri)
            counted = store.links(node)
            assert counted is not None
            big += [(node, p, n) for p, n in counted.incoming if p in d.DATED and n > d.SORTED_GROUP_LIMIT]
    assert big, "the busiest entities have large dated groups"
    for node, prop, total in big:
        whole = d._newest_first(store, node, prop)
        assert len(whole) == total
        for offset in (0, 100, total - 5):
            assert store.stored_links(node, prop, offset, 100, total) == whole[offset:offset + 100], (node, prop)
        page = d.describe(store, node, only=prop, offset=100)
        group = next(g for g in page.incoming if g.property == prop)
        assert group.newest_first and group.subjects == whole[100:200]
