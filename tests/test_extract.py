"""newsgraph extract: drafts that validate as they are, quotes that are the text's, dates, numbers and names
read as a person would read them, and the drafter's measured precision and recall on held-out articles."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml

from newsgraph.loaders.extract import LANGUAGES, draft_sheet, read_registries, sheet_yaml
from newsgraph.loaders.extract.dates import find_dates
from newsgraph.loaders.extract.entities import find_entities
from newsgraph.loaders.extract.evaluate import Score, evaluate, validate
from newsgraph.loaders.extract.language import language
from newsgraph.loaders.extract.numbers import find_quantities, parse_number
from newsgraph.loaders.extract.text import Article
from newsgraph.loaders.quotes import FoldedText

ROOT = Path(__file__).resolve().parent.parent
SEED_SHEET = ROOT / "seeds" / "askanews-2023-11-22-csto.yaml"
SEED_TEXT = ROOT / "seeds" / "articles" / "askanews-2023-11-22-csto.txt"
REGISTRY = ROOT / "seeds" / "entities.yaml"
NEWSGRAPH = Path(sys.executable).parent / "newsgraph"
LABELLED = ROOT / "tests" / "extraction"


def newsgraph(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSGRAPH_")}
    return subprocess.run([str(NEWSGRAPH), "--store", "memory:", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture(scope="module")
def registry():
    reg, problems = read_registries([REGISTRY])
    assert not problems
    return reg


def draft(text: str, lang: str, published: date, registry, **kw) -> dict:
    return draft_sheet(text, lang, published, registry=registry, **kw)


# ---- the seed article through the real command ---------------------------------------------------------------

def test_the_seed_draft_validates_as_it_is_and_recovers_most_of_its_sheet(tmp_path: Path):
    shutil.copy(SEED_TEXT, tmp_path / SEED_TEXT.name)
    out = newsgraph("extract", str(tmp_path / SEED_TEXT.name), "--language", "it", "--published", "2023-11-22",
                    "--registry", str(REGISTRY))
    assert out.returncode == 0, out.stderr
    sheet = tmp_path / "draft.yaml"
    sheet.write_text(out.stdout, encoding="utf-8")
    checked = newsgraph("validate", str(REGISTRY), str(sheet))
    assert checked.returncode == 0, checked.stderr

    drafted = yaml.safe_load(out.stdout)
    assert drafted["article"]["id"] == "askanews-2023-11-22-csto"
    assert drafted["article"]["publisher"] == "askanews"  # the agency of the dateline, a registry entity
    assert drafted["article"]["text"] == SEED_TEXT.name
    for fact in drafted["facts"]:
        assert 0 < fact["confidence"] <= 1 and "proposed by" in fact["note"]
    score = Score()
    score.add(yaml.safe_load(SEED_SHEET.read_text(encoding="utf-8"))["facts"], drafted["facts"])
    assert score.recall() >= 0.7, f"{sum(score.matched.values())} of {sum(score.gold.values())} seed facts"
    transfer = next(f for f in drafted["facts"] if f["type"] == "arms-transfer")
    assert (transfer["supplier"], transfer["recipient"], transfer["item"]) == ("russia", "tajikistan", "s-300")
    assert (transfer["quantity"], transfer["unit"], transfer["components"]) == (2, "battalion", ["launchers"])


def test_json_output_and_a_publisher_proposed_when_no_registry_knows_it(tmp_path: Path):
    text = tmp_path / "gazzetta-2024-03-01-nato.txt"
    text.write_text("La Finlandia è entrata nella Nato\nLa Finlandia è membro della Nato dal 4 aprile 2023.\n",
                    encoding="utf-8")
    out = newsgraph("extract", str(text), "--language", "it", "--published", "2024-03-01", "--format", "json")
    assert out.returncode == 0, out.stderr
    drafted = json.loads(out.stdout)
    assert list(drafted) == ["article", "entities", "facts"]
    assert drafted["article"]["publisher"] == "gazzetta"
    assert {"id": "gazzetta", "type": "organization", "labels": {"it": "gazzetta"}} in drafted["entities"]
    # without registries every name is new, and the draft still validates as it is
    sheet = tmp_path / "draft.yaml"
    sheet.write_text(sheet_yaml(drafted), encoding="utf-8")
    assert newsgraph("validate", str(sheet)).returncode == 0


@pytest.mark.parametrize(("args", "says"), [
    (["--language", "fr", "--published", "2023-11-22"], "'fr' is not one of"),
    (["--language", "it", "--published", "2023-02-30"], "2023-02-30"),
    (["--language", "it", "--published", "22/11/2023"], "22/11/2023"),
])
def test_bad_options_are_refused_with_their_reason(args: list[str], says: str):
    out = newsgraph("extract", str(SEED_TEXT), *args)
    assert out.returncode == 2 and says in out.stderr, out.stderr


def test_missing_or_empty_articles_and_broken_registries_are_refused(tmp_path: Path):
    missing = newsgraph("extract", str(tmp_path / "nowhere.txt"), "--language", "it", "--published", "2023-11-22")
    assert missing.returncode == 2 and "nowhere.txt" in missing.stderr and "does not exist" in missing.stderr
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    out = newsgraph("extract", str(empty), "--language", "it", "--published", "2023-11-22")
    assert out.returncode == 2 and "empty" in out.stderr
    broken = tmp_path / "registry.yaml"
    broken.write_text("- {id: Bad Id, type: country, labels: {en: Bad}}\n", encoding="utf-8")
    out = newsgraph("extract", str(SEED_TEXT), "--language", "it", "--published", "2023-11-22",
                    "--registry", str(broken))
    assert out.returncode == 1 and f"{broken}:1:" in out.stderr and not out.stdout


def test_the_api_refuses_an_unknown_language_and_an_empty_text(registry):
    assert set(LANGUAGES) >= {"it", "en"}
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        draft("Testo.", "fr", date(2023, 1, 1), registry)
    with pytest.raises(ValueError, match="empty"):
        draft(" \n ", "it", date(2023, 1, 1), registry)


# ---- what the drafter reads -------------------------------------------------------------------------------------

IT_DATES = [  # published Wednesday 22 November 2023
    ("ieri", "2023-11-21"), ("oggi", "2023-11-22"), ("domani", "2023-11-23"), ("martedì", "2023-11-21"),
    ("lunedì scorso", "2023-11-20"), ("lo scorso giugno", "2023-06"), ("a dicembre", "2022-12"),
    ("20 febbraio", "2023-02-20"), ("20 febbraio 2021", "2021-02-20"), ("nel 1992", "1992"),
    ("a metà ottobre", "2023-10"), ("tre giorni fa", "2023-11-19"), ("il mese scorso", "2023-10"),
    ("l'anno scorso", "2022"), ("22 nov.", "2023-11-22"),
]
EN_DATES = [  # published Tuesday 4 April 2023
    ("yesterday", "2023-04-03"), ("today", "2023-04-04"), ("tomorrow", "2023-04-05"), ("on Thursday", "2023-03-30"),
    ("last month", "2023-03"), ("last year", "2022"), ("4 April 2023", "2023-04-04"), ("April 4, 2023", "2023-04-04"),
    ("Feb. 24", "2023-02-24"), ("in 2022", "2022"), ("two weeks ago", "2023-03-21"), ("last June", "2022-06"),
    ("next Tuesday", "2023-04-11"),
]


@pytest.mark.parametrize(("lang", "published", "phrase", "expected"),
                         [("it", date(2023, 11, 22), p, e) for p, e in IT_DATES]
                         + [("en", date(2023, 4, 4), p, e) for p, e in EN_DATES])
def test_dates_resolve_against_the_publication_date(lang: str, published: date, phrase: str, expected: str):
    text = f"Xx {phrase} xx."
    found = find_dates(Article(text, []), language(lang), published)
    assert [(d.text, d.when.value) for d in found] == [(phrase, expected)]


@pytest.mark.parametrize(("lang", "text", "expected"), [
    ("it", "Era gennaio 2022. Il mese successivo arrivò la guerra.", ["2022-01", "2022-02"]),
    ("it", "Il 3 marzo 2021 firmarono; due giorni dopo, lo ratificarono.", ["2021-03-03", "2021-03-05"]),
    ("en", "They met on 4 April 2023. Three days earlier they had talked.", ["2023-04-04", "2023-04-01"]),
])
def test_dates_relative_to_the_date_named_before(lang: str, text: str, expected: list[str]):
    found = find_dates(Article(text, []), language(lang), date(2023, 11, 22))
    assert [d.when.value for d in found] == expected


@pytest.mark.parametrize(("lang", "phrase"), [("it", "di recente"), ("en", "recently")])
def test_recently_is_only_a_bound(lang: str, phrase: str):
    (found,) = find_dates(Article(f"It happened {phrase}.", []), language(lang), date(2023, 11, 22))
    assert (found.when.value, found.when.before) == (None, "2023-11-22")


def test_a_week_is_a_pair_of_bounds():
    (found,) = find_dates(Article("It happened last week.", []), language("en"), date(2023, 4, 5))
    assert (found.when.after, found.when.before) == ("2023-03-26", "2023-04-03")


@pytest.mark.parametrize(("lang", "word", "value"), [
    ("it", "due", 2), ("it", "quattro", 4), ("it", "venti", 20), ("it", "1.000", 1000), ("it", "2,5", 2.5),
    ("en", "four", 4), ("en", "twelve", 12), ("en", "1,000", 1000), ("en", "31", 31),
])
def test_numbers_in_digits_and_words(lang: str, word: str, value: float):
    assert parse_number(word, language(lang)) == value


@pytest.mark.parametrize(("lang", "text", "expected"), [
    ("it", "ha trasferito due “divisioni” di S-300", (2, "battalion")),
    ("it", "prevede la fornitura di quattro batterie", (4, "battery")),
    ("en", "will send four batteries of Patriots", (4, "battery")),
    ("en", "would provide 31 M1 Abrams tanks", (31, None)),
])
def test_quantities_with_their_unit_words(lang: str, text: str, expected: tuple):
    (q,) = find_quantities(Article(text, []), language(lang), 0, len(text))
    assert (q.value, q.unit) == expected


def test_names_are_found_through_italian_spellings_and_accents_longest_first(registry):
    text = ("Il presidente del TAGIKISTAN è arrivato a Mosca, poi a Erevan; la Federazione russa e "
            "l’Organizzazione del Trattato di Sicurezza Collettiva tacciono. Tagìkistan e Azerbagian.")
    found = find_entities(Article(text, []), language("it"), registry)
    named = [(m.text, m.entity) for m in found.mentions if m.how == "name"]
    assert named == [("TAGIKISTAN", "tajikistan"), ("Mosca", "moscow"), ("Erevan", "yerevan"),
                     ("Federazione russa", "russia"),
                     ("Organizzazione del Trattato di Sicurezza Collettiva", "csto"),
                     ("Tagìkistan", "tajikistan"), ("Azerbagian", "azerbaijan")]


def test_unknown_names_are_proposed_as_new_entities_and_the_draft_still_validates(registry, tmp_path: Path):
    text = ("Vertice ad Astana\n"
            "Il presidente kazako Kassym-Jomart Tokayev ha incontrato oggi ad Astana il presidente Vladimir Putin. "
            "“La cooperazione è solida”, ha dichiarato Tokayev. Il ministro degli Esteri turco Hakan Fidan "
            "ha detto che la Turchia sostiene il dialogo.\n")
    drafted = draft(text, "it", date(2024, 5, 2), registry, article_id="test-astana", text_file="test-astana.txt")
    new = {e["id"]: e for e in drafted["entities"]}
    assert new["tokayev"]["type"] == "person" and new["tokayev"]["labels"] == {"it": "Kassym-Jomart Tokayev"}
    assert new["fidan"]["type"] == "person"
    assert {"tokayev", "putin"} == set(next(f for f in drafted["facts"] if f["type"] == "meeting")["participants"])
    assert "tokayev" in {f["speaker"] for f in drafted["facts"] if f["type"] == "statement"}
    assert validate(drafted, text, "test-astana.txt", [REGISTRY]) == []


def test_every_quote_of_every_draft_is_in_its_text(registry):
    reg, problems = read_registries([REGISTRY, LABELLED / "entities.yaml"] if (LABELLED / "entities.yaml").is_file()
                                    else [REGISTRY])
    assert not problems
    texts = [(SEED_TEXT.read_text(encoding="utf-8"), "it", date(2023, 11, 22))]
    for gold in sorted((LABELLED / "tuning").glob("*.yaml")):
        head = yaml.safe_load(gold.read_text(encoding="utf-8"))["article"]
        texts.append((gold.with_suffix(".txt").read_text(encoding="utf-8"), head["language"],
                      date.fromisoformat(str(head["published"])[:10])))
    for text, lang, published in texts:
        folded = FoldedText(text)
        for fact in draft(text, lang, published, reg)["facts"]:
            assert folded.find(fact["quote"]) is not None, fact["quote"]


# ---- measured on the articles written while developing (tests/extraction/dev, with their own registry) ---------

#: just below what the dev split measured when these floors were set (precision 0.93, recall 0.79); the dev
#: articles were written to develop the rules on, so they guard against regressions, not measure generalisation
DEV_PRECISION = 0.90
DEV_RECALL = 0.75


def test_general_mechanisms_lists_pairs_institutions_and_passives():
    registry, problems = read_registries([REGISTRY, LABELLED / "entities.yaml"])
    assert not problems
    text = ("Vertice a Minsk\n"
            "Russia e Bielorussia hanno firmato ieri un accordo sulla difesa aerea. "
            "I due Paesi avevano già firmato nel 2021 un trattato di cooperazione. "
            "Il Pentagono ha fatto sapere che gli Stati Uniti non riconoscono l’intesa. "
            "Mosca ha inviato truppe in Armenia e in Tagikistan.\n")
    facts = draft(text, "it", date(2023, 11, 22), registry)["facts"]
    agreements = [set(f["parties"]) for f in facts if f["type"] == "agreement"]
    assert agreements.count({"russia", "belarus"}) == 2  # the list, then "i due Paesi"
    assert "united-states" in {f["speaker"] for f in facts if f["type"] == "statement"}  # the Pentagon
    assert {(tuple(f["actor"]), f["location"]) for f in facts if f["type"] == "deployment"} == \
        {(("russia",), "armenia"), (("russia",), "tajikistan")}  # one deployment per place of the list


def test_the_alliance_is_the_organisation_the_article_is_about_not_the_last_one_named():
    registry, problems = read_registries([REGISTRY])
    assert not problems
    text = ("Vertice Nato a Vilnius\n"
            "La Nato ha aperto ieri il vertice di Vilnius. I leader della Nato discutono dell'Ucraina. "
            "Il Cremlino ha criticato il vertice. L'Italia, membro dell'alleanza militare, manda due ministri.\n")
    facts = draft(text, "it", date(2023, 7, 12), registry)["facts"]
    memberships = {(f["member"], f["organization"]) for f in facts if f["type"] == "membership"}
    assert ("italy", "nato") in memberships and ("italy", "kremlin") not in memberships


def test_roles_named_a_sentence_away_are_carried_over():
    registries = [REGISTRY, LABELLED / "entities.yaml", LABELLED / "dev" / "entities.yaml"]
    registry, problems = read_registries(registries)
    assert not problems
    en = ("Probe\n"
          "Joe Biden met Andrzej Duda at the White House on Tuesday. The two leaders signed a defence agreement.\n"
          "The United States will send more weapons to Ukraine. The package includes 31 M1 Abrams tanks.\n"
          "Germany will deliver Leopard 2 tanks to Ukraine. It would also send Marder vehicles.\n")
    facts = draft(en, "en", date(2023, 11, 22), registry)["facts"]
    assert {"united-states", "poland"} in [set(f["parties"]) for f in facts if f["type"] == "agreement"]  # a pair
    transfers = {(f["supplier"], f["recipient"], f["item"]) for f in facts if f["type"] == "arms-transfer"}
    assert ("united-states", "ukraine", "m1-abrams") in transfers  # who sends to whom: the sentence before
    assert ("germany", "ukraine", "marder") in transfers  # "would also send": an adverb inside the trigger
    abrams = next(f for f in facts if f.get("item") == "m1-abrams")
    assert "from the sentence before" in abrams["note"] and abrams["confidence"] < 0.65
    it = ("Prova\n"
          "Il ministro della Difesa Guido Crosetto ha firmato ieri a Tirana un accordo con l'Albania. "
          "Ha poi incontrato il premier Edi Rama.\n"
          "L'Azerbaigian ha lanciato martedì un'offensiva nel Nagorno-Karabakh. In poche ore ha conquistato Shusha.\n")
    sheet = draft(it, "it", date(2023, 11, 22), registry, text_file="probe.txt")
    facts = sheet["facts"]
    assert {"crosetto", "rama"} in [set(f["participants"]) for f in facts if f["type"] == "meeting"]  # no subject:
    assert [f["actor"] for f in facts if f["type"] == "military-action"] == [["azerbaijan"], ["azerbaijan"]]
    assert validate(sheet, it, "probe.txt", registries) == []  # who met Rama, who took Shusha: the sentence before


# ---- measured on articles the drafter was not tuned on ----------------------------------------------------------

#: just below what the held-out split (30 articles) measured when these floors were set (precision 0.78, recall
#: 0.50; its two batches of 2026-12-06, each scored once when unseen: 0.70 / 0.40 and 0.72 / 0.48): the goals
#: (0.8, 0.6) are not reached on new text; `make eval` prints the figures per fact kind
HOLDOUT_PRECISION = 0.77
HOLDOUT_RECALL = 0.49


@pytest.mark.parametrize("split, precision, recall", [("holdout", HOLDOUT_PRECISION, HOLDOUT_RECALL),
                                                       ("dev", DEV_PRECISION, DEV_RECALL)])
def test_drafts_validate_and_keep_their_precision_and_recall(split: str, precision: float, recall: float):
    result = evaluate(ROOT, split)
    assert result.articles >= (30 if split == "holdout" else 8)
    assert not result.invalid, result.invalid
    assert not result.not_verbatim, result.not_verbatim
    assert result.score.precision() >= precision, result.score.precision()
    assert result.score.recall() >= recall, result.score.recall()



# ---- over HTTP: POST /extract answers the draft, GET /extract is the page ------------------------------------------


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """The app on a store holding the seeds: the draft resolves names against the store's entities."""
    from helpers import app_client, loaded

    store = tmp_path_factory.mktemp("extract") / "store"
    loaded(store)
    client = app_client(str(store))
    client.store = store
    return client


def seed_form(**extra: str) -> dict:
    return {"text": SEED_TEXT.read_text(encoding="utf-8"), "language": "it", "published": "2023-11-22", **extra}


def test_post_extract_answers_the_draft_as_json_or_yaml_by_accept_and_writes_nothing(web, tmp_path: Path):
    before = web.get("/health").get_json()
    as_json = web.post("/extract", data=seed_form(id="askanews-2023-11-22-csto"),
                       headers={"Accept": "application/json"})
    assert as_json.status_code == 200 and as_json.mimetype == "application/json"
    sheet = as_json.get_json()
    assert set(sheet) == {"article", "entities", "facts"}
    assert sheet["article"]["id"] == "askanews-2023-11-22-csto"
    text = SEED_TEXT.read_text(encoding="utf-8")
    assert all(FoldedText(text).find(f["quote"]) is not None for f in sheet["facts"])
    # the store's entities are known: the seed's countries are not proposed again
    assert {"russia", "tajikistan", "csto"} <= {v for f in sheet["facts"] for v in _values(f)}
    assert not {"russia", "tajikistan", "csto"} & {e["id"] for e in sheet["entities"]}
    as_yaml = web.post("/extract", data=seed_form(), headers={"Accept": "application/yaml"})
    assert as_yaml.status_code == 200 and as_yaml.mimetype == "application/yaml"
    assert len(yaml.safe_load(as_yaml.get_data(as_text=True))["facts"]) == len(sheet["facts"])
    # saved next to the text, the draft validates against the store it came from
    (tmp_path / "askanews-2023-11-22-csto.txt").write_text(text, encoding="utf-8")
    (tmp_path / "draft.yaml").write_text(sheet_yaml({**sheet, "article": {**sheet["article"],
                                                                           "text": "askanews-2023-11-22-csto.txt"}}),
                                         encoding="utf-8")
    checked = newsgraph("validate", str(tmp_path / "draft.yaml"), "--store", str(web.store))
    assert checked.returncode == 0, checked.stderr
    assert web.get("/health").get_json() == before


def _values(fact: dict) -> list[str]:
    return [v for value in fact.values() for v in (value if isinstance(value, list) else [value])
            if isinstance(v, str)]


def test_an_uploaded_text_file_is_drafted_like_a_pasted_text(web):
    """`curl -F text=@article.txt` sends the file as an upload, not as a field."""
    import io

    upload = web.post("/extract", data={"text": (io.BytesIO(SEED_TEXT.read_bytes()), "article.txt"),
                                        "language": "it", "published": "2023-11-22"},
                      headers={"Accept": "application/json"}, content_type="multipart/form-data")
    pasted = web.post("/extract", data=seed_form(), headers={"Accept": "application/json"})
    assert upload.status_code == 200 and upload.get_json() == pasted.get_json()
    latin = web.post("/extract", data={"text": (io.BytesIO("Mosca è".encode("latin-1")), "a.txt"), "language": "it",
                                       "published": "2023-11-22"}, content_type="multipart/form-data")
    assert latin.status_code == 400 and "not UTF-8" in latin.get_data(as_text=True)


@pytest.mark.parametrize("form, status, says", [
    ({"language": "it", "published": "2023-11-22"}, 400, "`text` is missing"),
    ({"text": "Mosca.", "language": "fr", "published": "2023-11-22"}, 400, "`language` must be one of"),
    ({"text": "Mosca.", "published": "2023-11-22"}, 400, "`language` is missing"),
    ({"text": "Mosca.", "language": "it", "published": "22/11/2023"}, 400, "`published` must be a date"),
    ({"text": "Mosca.", "language": "it", "published": "2023-11-22", "publisher": "Ask News"}, 400, "`publisher`"),
    ({"text": "x" * 210_000, "language": "it", "published": "2023-11-22"}, 413, "at most 200 KB"),
])
def test_bad_requests_say_which_field_and_why(web, form: dict, status: int, says: str):
    answer = web.post("/extract", data=form, headers={"Accept": "application/json"})
    assert answer.status_code == status
    assert says in answer.get_data(as_text=True)


def test_the_page_downloads_only_the_ticked_facts_and_the_entities_they_name(web):
    page = web.post("/extract", data=seed_form(), headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert html.count('name="keep"') >= 10 and "<mark" in html
    full = web.post("/extract", data=seed_form(), headers={"Accept": "application/json"}).get_json()
    kept = web.post("/extract", data={**seed_form(), "select": "1", "keep": ["0", "2"], "download": "json"})
    assert kept.status_code == 200
    assert kept.headers["Content-Disposition"].startswith("attachment;")
    sheet = kept.get_json()
    assert sheet["facts"] == [full["facts"][0], full["facts"][2]]
    named = {v for f in sheet["facts"] for v in _values(f)} | set(_values(sheet["article"]))
    assert {e["id"] for e in sheet["entities"]} <= named
    assert web.get("/extract").status_code == 200
