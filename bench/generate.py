"""Corpus generator: a synthetic but realistic news corpus as newsgraph fact sheets.

    .venv/bin/python bench/generate.py --articles 100000 --out CORPUS [--facts 15] [--seed 1] [--zipf 1.1]

A registry of entities (200 countries, 60 organisations, 2,000 persons, 300 weapon systems,
500 places; labels in en/it/ru, aliases, no Wikidata ids) and N fact sheets, each with its article
text (Italian or English) and about ``--facts`` facts of all seven kinds in the proportions of
KIND_WEIGHTS, every quote cut from the text it cites. Publication dates 1990-2025, fact dates
from 1990 on. Country popularity is skewed (a few countries are in many articles), as in the news.

Article ``i`` is generated from its own random stream (seed, i), so a corpus of N articles is a
prefix of every larger corpus with the same seed: the 1k corpus is the first 1k of the 100k one.

``--zipf S`` makes the news Zipfian, as real news is: every kind of entity — countries, alliances,
persons, weapon systems — is picked with probability proportional to 1 / rank^S (S ≈ 1.1), so the
busiest of each kind is named in a large share of all articles; and the registry grows with the
corpus: one newcomer (a person) per ten articles, newcomer ``j`` appearing from article ``10 j`` on,
in the tail of the ranking. The default (no ``--zipf``) keeps the milder skew of countries only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import sys
import textwrap
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

# ================================================================================================
# Names
# ================================================================================================

ONSETS = ["b", "d", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "dr", "gr", "kr", "tr",
          "st", "sl", "sv", "kh", "zh", "sh", "ch", "ts", "f", "j"]
VOWELS = ["a", "e", "i", "o", "u", "a", "o", "e"]
CODAS = ["", "", "", "", "n", "r", "l", "s", "m", "k"]
RESERVED = {"null", "true", "false", "yes", "no", "on", "off", "y", "n"}

CYRILLIC = [("shch", "щ"), ("sh", "ш"), ("ch", "ч"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ya", "я"),
            ("yu", "ю"), ("ye", "е"), ("a", "а"), ("b", "б"), ("c", "к"), ("d", "д"), ("e", "е"), ("f", "ф"),
            ("g", "г"), ("h", "х"), ("i", "и"), ("j", "й"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"),
            ("o", "о"), ("p", "п"), ("q", "к"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("v", "в"),
            ("w", "в"), ("x", "кс"), ("y", "ы"), ("z", "з")]


def to_cyrillic(text: str) -> str:
    """A rough Latin → Cyrillic transliteration, enough for plausible Russian labels."""
    out, i, low = [], 0, text.lower()
    while i < len(text):
        for lat, cyr in CYRILLIC:
            if low.startswith(lat, i):
                out.append(cyr.upper() if text[i].isupper() else cyr)
                i += len(lat)
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out).replace("ы", "и").replace("Ы", "И")  # "y" reads better as и in names


def italianise(name: str) -> str:
    """The Italian press's spelling of a transliterated name."""
    for a, b in (("Kh", "Ch"), ("kh", "ch"), ("Sh", "Sc"), ("sh", "sc"), ("Zh", "G"), ("zh", "g"),
                 ("Ts", "Z"), ("ts", "z"), ("y", "i"), ("Y", "I")):
        name = name.replace(a, b)
    return name


def slug(text: str) -> str:
    bare = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", bare.lower()).strip("-")


def syllables(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS) for _ in range(n))


def stem(rng: random.Random, n: int = 2) -> str:
    s = syllables(rng, n)
    return s[:-1] if s[-1] in "aeiou" and rng.random() < 0.6 else s


def cap(s: str) -> str:
    return s[:1].upper() + s[1:]


# ================================================================================================
# Registry
# ================================================================================================


@dataclass(eq=False)  # identity: hashable, and fast to compare
class Ent:
    id: str
    type: str
    labels: dict[str, str]
    aliases: list[str] = field(default_factory=list)
    country: str | None = None
    role: str | None = None
    #: Italian definite article ("il", "la", "l'", "lo"), None for names taken without one
    it_art: str | None = None
    #: English names that take "the"
    the: bool = False
    kind: str = ""  # organisations: alliance | agency | government; weapons: category key


WEAPON_CATEGORIES = {  # key: (en plural, it plural, designation prefixes, typical unit en/it, quantity range)
    "air-defence": ("air-defence systems", "sistemi di difesa aerea", ["S", "SA", "TR", "KS", "ZRK"],
                    ("battalion", "battaglioni"), (1, 6)),
    "tank": ("tanks", "carri armati", ["T", "MBT", "KT", "LT"], ("unit", "esemplari"), (4, 120)),
    "fighter": ("fighter jets", "caccia", ["MiK", "F", "SU", "JF"], ("aircraft", "velivoli"), (2, 36)),
    "howitzer": ("self-propelled howitzers", "obici semoventi", ["2S", "SPH", "PZ", "KH"], ("unit", "esemplari"),
                 (4, 60)),
    "drone": ("combat drones", "droni da combattimento", ["UAV", "BR", "OR", "SK"], ("unit", "esemplari"), (6, 200)),
    "missile": ("ballistic missiles", "missili balistici", ["SS", "BM", "KR", "R"], ("unit", "esemplari"), (2, 50)),
    "helicopter": ("attack helicopters", "elicotteri d'attacco", ["Mi", "KA", "AH", "HX"], ("aircraft", "velivoli"),
                   (2, 24)),
    "frigate": ("frigates", "fregate", ["FF", "PR", "KF"], ("ship", "unità"), (1, 4)),
}
COMPONENTS = {"air-defence": [("launchers", "piattaforme di lancio"), ("radars", "radar"),
                              ("command posts", "posti di comando")],
              "missile": [("launchers", "lanciatori"), ("warheads", "testate")]}

REGIONS = [  # en, it masculine, it feminine, ru genitive
    ("Northern", "Settentrionale", "Settentrionale", "Севера"), ("Eastern", "Orientale", "Orientale", "Востока"),
    ("Southern", "Meridionale", "Meridionale", "Юга"), ("Western", "Occidentale", "Occidentale", "Запада"),
    ("Central", "Centrale", "Centrale", "Центра"), ("Atlantic", "Atlantico", "Atlantica", "Атлантики"),
    ("Pacific", "del Pacifico", "del Pacifico", "Тихого океана"), ("Caspian", "Caspico", "Caspica", "Каспия"),
    ("Baltic", "Baltico", "Baltica", "Балтики"), ("Eurasian", "Eurasiatico", "Eurasiatica", "Евразии"),
    ("Arctic", "Artico", "Artica", "Арктики"), ("Black Sea", "del Mar Nero", "del Mar Nero", "Черного моря"),
    ("Danube", "Danubiano", "Danubiana", "Дуная"), ("Steppe", "delle Steppe", "delle Steppe", "Степи"),
    ("Mediterranean", "Mediterraneo", "Mediterranea", "Средиземноморья"), ("Andean", "Andino", "Andina", "Анд"),
    ("Sahel", "del Sahel", "del Sahel", "Сахеля"), ("Gulf", "del Golfo", "del Golfo", "Залива"),
    ("Adriatic", "Adriatico", "Adriatica", "Адриатики"), ("Himalayan", "Himalayano", "Himalayana", "Гималаев"),
]
BODIES = [  # en, it, it gender, it article, ru
    ("Security Treaty Organization", "Organizzazione del Trattato di Sicurezza", "f", "l'",
     "Организация Договора о безопасности"),
    ("Defence Council", "Consiglio di Difesa", "m", "il", "Совет обороны"),
    ("Economic Union", "Unione Economica", "f", "l'", "Экономический союз"),
    ("Cooperation Organization", "Organizzazione per la Cooperazione", "f", "l'", "Организация сотрудничества"),
    ("Alliance", "Alleanza", "f", "l'", "Альянс"),
    ("Community", "Comunità", "f", "la", "Сообщество"),
    ("Pact", "Patto", "m", "il", "Пакт"),
    ("Parliamentary Assembly", "Assemblea Parlamentare", "f", "l'", "Парламентская ассамблея"),
]
COUNTRY_ENDINGS = ["ia", "ia", "stan", "land", "ovia", "ania", "ar", "esh", "istan", "onia", "ira", "enia"]
PLACE_ENDINGS = ["grad", "sk", "ovo", "burg", "polis", "abad", "ino", "ara", "ets", "opol", "an", "ik"]
SURNAME_ENDINGS = ["ov", "ev", "enko", "ić", "escu", "adze", "yan", "ski", "ani", "oglu", "in", "ovich", "uk", "as"]
AGENCY_SUFFIXES = ["press", "news", "info", "media", "tel", "wire"]
GIVEN = ["Ivan", "Nikolai", "Sergei", "Andrei", "Dmitri", "Olga", "Maria", "Elena", "Aleksandr", "Mikhail",
         "Pavel", "Anna", "Irina", "Yusuf", "Emil", "Tamara", "Rustam", "Aziz", "Farhod", "Nino", "Giorgi",
         "Levan", "Armen", "Ilham", "Kassym", "Nursultan", "Viktor", "Oleg", "Natalia", "Svetlana", "Marek",
         "Tomas", "Jan", "Ana", "Bogdan", "Milan", "Zoran", "Vesna", "Ahmed", "Omar", "Leila", "Samir", "Karim",
         "Daniel", "Lucas", "Sofia", "Petra", "Goran", "Arman", "Timur", "Dilnoza", "Bakhtiyor", "Sadyr"]
ROLES = ["President of {c}", "Prime Minister of {c}", "Foreign Minister of {c}", "Defence Minister of {c}",
         "Spokesperson of the Foreign Ministry of {c}", "Chief of the General Staff of {c}",
         "Secretary of the Security Council of {c}", "Speaker of the Parliament of {c}",
         "Deputy Foreign Minister of {c}", "Interior Minister of {c}"]
MINOR_ROLES = ["Member of Parliament of {c}", "Opposition leader in {c}", "Ambassador of {c} to {o}",
               "Governor of a province of {c}", "General of the armed forces of {c}", "Deputy Defence Minister of {c}",
               "Adviser to the President of {c}", "Mayor of the capital of {c}"]


def it_article(label: str) -> str:
    if label[0].lower() in "aeiou":
        return "l'"
    if label.endswith("a"):
        return "la"
    if (label[0] in "SZ" and label[1].lower() not in "aeiou") or label[0] == "Z":
        return "lo"
    return "il"


@dataclass
class Registry:
    countries: list[Ent]
    orgs: list[Ent]
    alliances: list[Ent]
    agencies: list[Ent]
    governments: list[Ent]
    persons: list[Ent]
    places: list[Ent]
    weapons: list[Ent]
    by_id: dict[str, Ent]
    persons_of: dict[str, list[Ent]]
    places_of: dict[str, list[Ent]]
    capital: dict[str, Ent]
    country_weights: list[float]  # cumulative, for rng.choices
    zipf: float | None = None
    #: Zipf mode: every person, ranked (the busiest countries' first), and the newcomers after them
    ranked_persons: list[Ent] = field(default_factory=list)
    newcomers: list[Ent] = field(default_factory=list)

    def all(self) -> list[Ent]:
        return [*self.countries, *self.orgs, *self.persons, *self.places, *self.weapons]


def zipf_cum(n: int, s: float, offset: int = 1) -> list[float]:
    """Cumulative weights 1 / (rank + offset)^s for ranks 0…n-1, for ``rng.choices(cum_weights=…)``."""
    out, total = [], 0.0
    for rank in range(n):
        total += 1 / (rank + offset) ** s
        out.append(total)
    return out


def newcomers(seed: int, count: int, countries: list[Ent], cum: list[float], taken: set[str]) -> list[Ent]:
    """Persons the registry gains as the corpus grows; newcomer ``j`` from its own random stream, so a
    smaller corpus's newcomers are the first ones of a larger corpus's."""
    out = []
    for j in range(count):
        rng = random.Random(f"newcomer:{seed}:{j}")
        c = rng.choices(countries, cum_weights=cum)[0]
        given = rng.choice(GIVEN)
        surname = cap(stem(rng, rng.choice((1, 2, 2)))) + rng.choice(SURNAME_ENDINGS)
        eid = f"{slug(surname)}-{j}"
        while eid in taken:
            eid += "x"
        taken.add(eid)
        en = f"{given} {surname}"
        role = rng.choice(MINOR_ROLES).format(c=c.labels["en"], o=rng.choice(countries).labels["en"])
        out.append(Ent(eid, "person", {"en": en, "it": italianise(en), "ru": to_cyrillic(en)}, [surname],
                       country=c.id, role=role))
    return out


def make_registry(seed: int, zipf: float | None = None, n_articles: int = 0) -> Registry:
    rng = random.Random(f"registry:{seed}")
    ids: set[str] = set()

    def fresh(candidate: str) -> bool:
        return bool(candidate) and candidate not in ids and candidate not in RESERVED and not candidate[0].isdigit()

    # countries ------------------------------------------------------------------------------
    countries: list[Ent] = []
    while len(countries) < 200:
        base = cap(stem(rng, rng.choice((1, 2, 2, 3))))
        ending = rng.choice(COUNTRY_ENDINGS)
        if base[-1] in "aeiou" and ending[0] in "aeiou":
            base = base[:-1]
        en = base + ending
        if not 5 <= len(en) <= 14:
            continue
        it = italianise(en[:-4] + "landia" if en.endswith("land") else en)
        prefix = rng.random()
        aliases = [f"Republic of {en}"]
        if prefix < 0.06:
            en, it = f"North {en}", f"{it} del Nord"
        elif prefix < 0.1:
            en, it = f"New {en}", f"Nuova {it}"
        eid = slug(en)
        if not fresh(eid):
            continue
        ids.add(eid)
        ru = to_cyrillic(en.replace("North ", "Северная ").replace("New ", "Новая "))
        if it != en:
            aliases.append(it)
        if rng.random() < 0.3:
            aliases.append(en.replace("ia", "iya") if "ia" in en else en + "a")
        aliases.append(f"Repubblica di {it}")
        countries.append(Ent(eid, "country", {"en": en, "it": it, "ru": ru}, list(dict.fromkeys(aliases)),
                             it_art=it_article(it)))
    cum, total = [], 0.0
    for rank in range(len(countries)):
        total += 1 / (rank + 3) ** 0.9  # a few countries are in the news far more than the rest
        cum.append(total)

    # organisations: 40 alliances, 12 agencies (publishers), 8 government bodies --------------
    alliances: list[Ent] = []
    combos = [(r, b) for r in REGIONS for b in BODIES]
    rng.shuffle(combos)
    for (r_en, r_itm, r_itf, r_ru), (b_en, b_it, b_g, b_art, b_ru) in combos:
        if len(alliances) == 40:
            break
        en = f"{r_en} {b_en}"
        acronym = "".join(w[0] for w in en.split()).upper()
        eid = acronym.lower()
        if not fresh(eid) or len(eid) < 3:
            continue
        ids.add(eid)
        it = f"{b_it} {r_itf if b_g == 'f' else r_itm}"
        aliases = [acronym, cap(acronym.lower()), en.replace("Organization", "Organisation")]
        if rng.random() < 0.5:
            aliases.append(to_cyrillic(acronym))
        alliances.append(Ent(eid, "organization", {"en": en, "it": it, "ru": f"{b_ru} {r_ru}"},
                             list(dict.fromkeys(aliases)), it_art=b_art, the=True, kind="alliance"))
    agencies: list[Ent] = []
    while len(agencies) < 12:
        name = cap(stem(rng, 2)) + rng.choice(AGENCY_SUFFIXES)
        eid = slug(name)
        if not fresh(eid):
            continue
        ids.add(eid)
        agencies.append(Ent(eid, "organization", {"en": name, "it": name, "ru": to_cyrillic(name)},
                            [name.upper(), name.lower()], kind="agency"))
    governments: list[Ent] = []
    for c in countries[:8]:
        eid = f"{c.id}-presidency"
        ids.add(eid)
        governments.append(Ent(eid, "organization",
                               {"en": f"Presidency of {c.labels['en']}",
                                "it": f"Presidenza della Repubblica di {c.labels['it']}",
                                "ru": f"Администрация президента ({c.labels['ru']})"},
                               [f"{c.labels['en']}n presidency", f"the {c.labels['en']} presidency"],
                               country=c.id, it_art="la", the=True, kind="government"))
    orgs = [*alliances, *agencies, *governments]

    # places: one capital per country, 300 more where the news is ------------------------------
    places: list[Ent] = []
    places_of: dict[str, list[Ent]] = {c.id: [] for c in countries}
    capital: dict[str, Ent] = {}
    owners = list(countries) + rng.choices(countries, cum_weights=cum, k=300)
    for c in owners:
        while True:
            base = cap(stem(rng, rng.choice((1, 2, 2))))
            ending = rng.choice(PLACE_ENDINGS)
            if base[-1] in "aeiou" and ending[0] in "aeiou":
                base = base[:-1]
            en = base + ending
            eid = slug(en)
            if 4 <= len(en) <= 13 and fresh(eid):
                break
        ids.add(eid)
        it = italianise(en)
        aliases = [it] if it != en else []
        if rng.random() < 0.25:
            aliases.append(en.replace("grad", "gorod") if "grad" in en else en + "e")
        p = Ent(eid, "place", {"en": en, "it": it, "ru": to_cyrillic(en)}, aliases, country=c.id)
        places.append(p)
        places_of[c.id].append(p)
        capital.setdefault(c.id, p)

    # persons ----------------------------------------------------------------------------------
    persons: list[Ent] = []
    persons_of: dict[str, list[Ent]] = {c.id: [] for c in countries}
    owners = list(countries) * 3 + rng.choices(countries, cum_weights=cum, k=2000 - 3 * len(countries))
    surname_count: dict[str, int] = {}
    for c in owners:
        while True:
            given = rng.choice(GIVEN)
            surname = cap(stem(rng, rng.choice((1, 2, 2)))) + rng.choice(SURNAME_ENDINGS)
            if not 4 <= len(surname) <= 14:
                continue
            eid = slug(surname)
            if not fresh(eid):
                eid = slug(f"{given} {surname}")  # the contract: add the given name to tell two apart
            if fresh(eid):
                break
        ids.add(eid)
        surname_count[surname] = surname_count.get(surname, 0) + 1
        en = f"{given} {surname}"
        it = italianise(en)
        mine = persons_of[c.id]
        if len(mine) < len(ROLES):
            role = ROLES[len(mine)].format(c=c.labels["en"])
        elif rng.random() < 0.1:
            role = f"Secretary General of the {rng.choice(alliances).labels['en']}"
        else:
            role = rng.choice(MINOR_ROLES).format(c=c.labels["en"], o=rng.choice(countries).labels["en"])
        aliases = list(dict.fromkeys(a for a in (surname, it, italianise(surname), f"{given[0]}. {surname}")
                                     if a != en))
        p = Ent(eid, "person", {"en": en, "it": it, "ru": to_cyrillic(en)}, aliases, country=c.id, role=role)
        persons.append(p)
        mine.append(p)

    # weapon systems ---------------------------------------------------------------------------
    weapons: list[Ent] = []
    cats = list(WEAPON_CATEGORIES)
    while len(weapons) < 300:
        cat = rng.choice(cats)
        prefix = rng.choice(WEAPON_CATEGORIES[cat][2])
        r = rng.random()
        if r < 0.6:
            name = f"{prefix}-{rng.randint(2, 600)}"
            if rng.random() < 0.3:
                name += rng.choice(["M", "M2", "K", "U", "A"])
        else:
            name = f"{cap(stem(rng, 2))}-{rng.choice(['M', 'M2', '2', 'K', 'E'])}"
        eid = slug(name)
        if not fresh(eid):
            continue
        ids.add(eid)
        aliases = [name.replace("-", ""), name.replace("-", " ")]
        if cat == "air-defence" and rng.random() < 0.6:
            aliases.append(f"SA-{rng.randint(2, 30)} {cap(stem(rng, 2))}")
        weapons.append(Ent(eid, "weapon-system", {"en": name, "it": name, "ru": to_cyrillic(name)}, aliases, kind=cat))

    ranked: list[Ent] = []
    added: list[Ent] = []
    if zipf is not None:
        cum = zipf_cum(len(countries), zipf)
        rank_of = {c.id: i for i, c in enumerate(countries)}
        ranked = sorted(persons, key=lambda p: (rank_of[p.country or ""], persons_of[p.country or ""].index(p)))
        added = newcomers(seed, n_articles // 10, countries, cum, set(ids))
        persons = [*persons, *added]
    by_id = {e.id: e for e in [*countries, *orgs, *persons, *places, *weapons]}
    assert len(by_id) == len(countries) + len(orgs) + len(persons) + len(places) + len(weapons)
    return Registry(countries, orgs, alliances, agencies, governments, persons, places, weapons, by_id,
                    persons_of, places_of, capital, cum, zipf, ranked, added)


def q(s: str) -> str:
    """A YAML scalar for any text: a JSON string is a valid YAML double-quoted scalar."""
    return json.dumps(s, ensure_ascii=False)


def registry_yaml(reg: Registry, seed: int) -> str:
    out = [f"# Synthetic entity registry generated by bench/load.py (seed {seed}). No Wikidata ids.", ""]
    sections = [("countries", reg.countries), ("organisations", reg.orgs), ("persons", reg.persons),
                ("places", reg.places), ("weapon systems", reg.weapons)]
    for title, ents in sections:
        out.append(f"# --- {title} ({len(ents)}) " + "-" * 60)
        for e in ents:
            labels = ", ".join(f"{k}: {q(v)}" for k, v in e.labels.items())
            out.append(f"- id: {e.id}")
            out.append(f"  type: {e.type}")
            out.append(f"  labels: {{{labels}}}")
            if e.aliases:
                out.append(f"  aliases: [{', '.join(q(a) for a in e.aliases)}]")
            if e.country:
                out.append(f"  country: {e.country}")
            if e.role:
                out.append(f"  role: {q(e.role)}")
            out.append("")
    return "\n".join(out)


# ================================================================================================
# Articles
# ================================================================================================

EN_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December"]
IT_MONTHS = ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
             "ottobre", "novembre", "dicembre"]
IT_PREP = {"di": {"il": "del", "la": "della", "l'": "dell'", "lo": "dello"},
           "a": {"il": "al", "la": "alla", "l'": "all'", "lo": "allo"},
           "da": {"il": "dal", "la": "dalla", "l'": "dall'", "lo": "dallo"},
           "in": {"il": "nel", "la": "nella", "l'": "nell'", "lo": "nello"},
           "su": {"il": "sul", "la": "sulla", "l'": "sull'", "lo": "sullo"},
           "con": {"il": "con il", "la": "con la", "l'": "con l'", "lo": "con lo"},
           "tra": {"il": "tra il", "la": "tra la", "l'": "tra l'", "lo": "tra lo"},
           "contro": {"il": "contro il", "la": "contro la", "l'": "contro l'", "lo": "contro lo"}}
KIND_WEIGHTS = {"statement": 28, "meeting": 22, "membership": 14, "agreement": 12, "arms-transfer": 10,
                "deployment": 7, "military-action": 7}
TOPICS = [("regional security", "la sicurezza regionale"), ("energy supplies", "le forniture energetiche"),
          ("air-defence cooperation", "la cooperazione nella difesa aerea"),
          ("border demarcation", "la demarcazione dei confini"), ("arms control", "il controllo degli armamenti"),
          ("the humanitarian situation", "la situazione umanitaria"), ("sanctions", "le sanzioni"),
          ("trade and transit", "il commercio e il transito"),
          ("joint military exercises", "le esercitazioni congiunte"),
          ("the peace process", "il processo di pace"), ("the fight against terrorism", "la lotta al terrorismo"),
          ("water sharing", "la gestione delle risorse idriche")]
SUBJECTS = [("a joint air-defence system", "un sistema di difesa aerea congiunto"),
            ("military-technical cooperation", "la cooperazione tecnico-militare"),
            ("the construction of a gas pipeline", "la costruzione di un gasdotto"),
            ("the demarcation of the border", "la demarcazione del confine"),
            ("visa-free travel", "l'esenzione dai visti"), ("a free-trade zone", "una zona di libero scambio"),
            ("the lease of a naval base", "l'affitto di una base navale"),
            ("civil nuclear cooperation", "la cooperazione nel nucleare civile"),
            ("a ceasefire", "un cessate il fuoco"),
            ("the exchange of prisoners", "lo scambio di prigionieri"),
            ("the joint production of drones", "la produzione congiunta di droni"),
            ("intelligence sharing", "lo scambio di informazioni di intelligence")]
DEPLOY_KINDS = {"peacekeeping": ("peacekeeping", "di pace"), "air-defence": ("air-defence", "di difesa aerea"),
                "civilian-mission": ("civilian monitoring", "civile di osservazione"),
                "naval": ("naval", "navale"), "training-mission": ("training", "di addestramento"),
                "border-guard": ("border-guard", "di guardie di frontiera")}
ACTION_KINDS = {"offensive": ("an offensive", "un'offensiva"), "air-strike": ("air strikes", "raid aerei"),
                "invasion": ("an invasion", "un'invasione"), "shelling": ("artillery shelling",
                                                                        "bombardamenti di artiglieria"),
                "intervention": ("a military intervention", "un intervento militare"),
                "border-clash": ("border clashes", "scontri di confine"),
                "drone-attack": ("drone attacks", "attacchi con droni"),
                "naval-blockade": ("a naval blockade", "un blocco navale")}
OUTCOMES = ["Ceasefire after three days", "Withdrawal of the attacking forces", "Capture of the town",
            "No change in the front line", "Heavy losses on both sides"]
NOTES = ["The date is inferred from the context of the article.", "The article gives only the month.",
         "Read as the same event the article reports in its lead.", "The article does not name the source.",
         "Recorded as the article states it; other sources differ.", "The parties are inferred from the context."]
STATEMENTS = {  # {x}, {y}, {o}: entities; {di_x}, {con_y}…: the same with an Italian preposition
    "en": ["{x} will not accept any threat to its security", "the talks with {y} were constructive and will continue",
           "{x} is ready to strengthen military cooperation with {y}",
           "the deployment of new weapons near our borders is a provocation",
           "{o} must respond collectively to the crisis in {y}", "we expect {y} to respect the agreements it signed",
           "{x} has never threatened {y} and has no intention of doing so",
           "the sanctions against {x} are illegal and will not change our course",
           "the door to dialogue with {y} remains open", "{o} is not a threat to anyone",
           "the security of {x} is inseparable from the security of the region",
           "{y} is trying to drag {o} into a conflict"],
    "it": ["{x} non accetterà alcuna minaccia alla propria sicurezza",
           "i colloqui {con_y} sono stati costruttivi e proseguiranno",
           "{x} intende rafforzare la cooperazione militare {con_y}",
           "il dispiegamento di nuove armi vicino ai nostri confini è una provocazione",
           "{o} deve rispondere in modo collettivo alla crisi {in_y}",
           "ci aspettiamo che {y} rispetti gli accordi firmati",
           "{x} non ha mai minacciato {y} e non ha alcuna intenzione di farlo",
           "le sanzioni {contro_x} sono illegali e non cambieranno la nostra linea",
           "la porta del dialogo {con_y} resta aperta", "{o} non è una minaccia per nessuno",
           "la sicurezza {di_x} è inseparabile dalla sicurezza della regione",
           "{y} sta cercando di trascinare {o} in un conflitto"]}
FILLERS = {
    "en": ["Analysts in {city} warn that the situation remains tense", "The news was reported by several local media",
           "Officials did not comment further", "Diplomats describe the atmosphere as cautious",
           "The opposition in {country} criticised the move", "Observers expect further talks in the coming weeks",
           "The foreign ministry of {country} has not yet reacted",
           "The issue has weighed on relations for years", "Independent confirmation was not available"],
    "it": ["Secondo gli analisti di {city}, la situazione resta tesa",
           "La notizia è stata ripresa da diversi media locali",
           "Le autorità non hanno rilasciato altri commenti", "I diplomatici descrivono un clima di cautela",
           "L'opposizione {di_country} ha criticato la decisione",
           "Gli osservatori si attendono nuovi colloqui nelle prossime settimane",
           "Il ministero degli Esteri {di_country} non ha ancora reagito",
           "La questione pesa da anni sulle relazioni bilaterali",
           "Non è stato possibile ottenere conferme indipendenti"]}


def np(e: Ent, lang: str, prep: str | None = None) -> str:
    """A noun phrase naming the entity, with its preposition (and, in Italian, its article)."""
    label = e.labels[lang]
    if lang == "en":
        base = f"the {label}" if e.the else label
        return f"{prep} {base}" if prep else base
    art = e.it_art if e.type in ("country", "organization") else None
    if art is None:
        if prep == "in" and e.type == "place":
            prep = "a"
        return f"{prep} {label}" if prep else label
    if prep is None:
        return f"l'{label}" if art == "l'" else f"{art} {label}"
    if prep == "in" and e.type == "country" and art in ("la", "l'"):
        return f"in {label}"
    pa = IT_PREP[prep][art]
    return pa + label if pa.endswith("'") else f"{pa} {label}"


def join(items: list[str], lang: str) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + (" and " if lang == "en" else " e ") + items[-1]


def lex(d: dt.date, prec: str) -> str:
    return {"day": d.isoformat(), "month": f"{d.year:04d}-{d.month:02d}", "year": f"{d.year:04d}"}[prec]


def when(d: dt.date | None, prec: str, lang: str, pub: dt.date, rng: random.Random) -> str:
    """How the article says a date."""
    if d is None:  # only bounds are known
        vague = ["", "recently", "in recent weeks"] if lang == "en" else ["", "di recente", "nelle ultime settimane"]
        return rng.choice(vague)
    if prec == "day":
        if d == pub:
            return "today" if lang == "en" else "oggi"
        if d == pub - dt.timedelta(days=1):
            return "yesterday" if lang == "en" else "ieri"
        if lang == "en":
            return f"on {d.day} {EN_MONTHS[d.month - 1]} {d.year}"
        return f"il {'1°' if d.day == 1 else d.day} {IT_MONTHS[d.month - 1]} {d.year}"
    if prec == "month":
        if lang == "en":
            return f"in {EN_MONTHS[d.month - 1]} {d.year}"
        m = IT_MONTHS[d.month - 1]
        return f"nell'{m} {d.year}" if m[0] in "ao" else f"nel {m} {d.year}"
    return f"in {d.year}" if lang == "en" else f"nel {d.year}"


@dataclass
class FactOut:
    kind: str
    fields: list[tuple[str, str]]  # (key, YAML scalar text), in the order written
    sentence: str
    main: str  # the entity id that names the fact


class ArticleMaker:
    """One article: its cast of entities, its facts, their sentences, the text they make."""

    def __init__(self, reg: Registry, index: int, seed: int, n_facts: int):
        self.reg, self.index = reg, index
        rng = self.rng = random.Random(f"article:{seed}:{index}")
        self.lang = "it" if rng.random() < 0.55 else "en"
        self.publisher = rng.choice(reg.agencies)
        start, end = dt.date(1990, 1, 1), dt.date(2025, 12, 31)
        self.pub = start + dt.timedelta(days=rng.randrange((end - start).days + 1))
        self.n_facts = max(1, round(n_facts * rng.uniform(0.8, 1.2)))
        # the cast: a few countries and what belongs to them; most facts are about them
        countries: list[Ent] = []
        cast = rng.randint(3, 6)
        while len(countries) < cast:
            c = rng.choices(reg.countries, cum_weights=reg.country_weights)[0]
            if c not in countries:
                countries.append(c)
        self.countries = countries
        if reg.zipf is None:
            self.orgs = rng.sample(reg.alliances, rng.randint(1, 2))
            people = [p for c in countries for p in reg.persons_of[c.id][:6]]
            self.persons = rng.sample(people, min(len(people), rng.randint(3, 6)))
        else:
            self.orgs = self.zipf_pick(reg.alliances, rng.randint(1, 2))
            # the persons known by this article's time: the ranked registry, then the newcomers so far
            known = [*reg.ranked_persons, *reg.newcomers[:index // 10]]
            self.persons = self.zipf_pick(known, rng.randint(3, 6))
        places = [p for c in countries for p in reg.places_of[c.id]]
        self.places = rng.sample(places, min(len(places), rng.randint(2, 4)))
        self.weapons = rng.sample(reg.weapons, rng.randint(1, 3)) if reg.zipf is None \
            else self.zipf_pick(reg.weapons, rng.randint(1, 3))
        self.new_entities: list[Ent] = []
        if rng.random() < 0.05:  # a sheet that introduces a village the registry does not know
            c = countries[0]
            name = cap(stem(rng, 2)) + rng.choice(["ka", "ovka", "ovo", "dere"])
            eid = f"{slug(name)}-{c.id}"
            if eid not in reg.by_id:
                village = Ent(eid, "place", {"en": name, "it": name}, country=c.id)
                self.new_entities.append(village)
                self.places.append(village)

    # ---- helpers ----------------------------------------------------------------------------------

    def zipf_pick(self, pool: list[Ent], k: int) -> list[Ent]:
        """``k`` distinct entities of ``pool``, each drawn with weight 1 / rank^s."""
        cum = zipf_cum(len(pool), self.reg.zipf or 1.0)
        out: list[Ent] = []
        while len(out) < min(k, len(pool)):
            e = self.rng.choices(pool, cum_weights=cum)[0]
            if e not in out:
                out.append(e)
        return out

    def date(self, lo_years: int = 5, *, weights=(45, 25, 10, 20)) -> tuple[str, dt.date | None]:
        """A date as an article gives it: to the day, month or year, or only bounded (None)."""
        rng = self.rng
        prec = rng.choices(["day", "month", "year", "bounds"], weights=weights)[0]
        if prec == "bounds":
            return prec, None
        lo = max(dt.date(1990, 1, 1), self.pub - dt.timedelta(days=365 * lo_years))
        r = rng.random()
        if prec == "day" and r < 0.35:
            return prec, self.pub
        if prec == "day" and r < 0.55:
            return prec, self.pub - dt.timedelta(days=1)
        return prec, lo + dt.timedelta(days=rng.randrange(max(1, (self.pub - lo).days)))

    def date_fields(self, prec: str, d: dt.date | None, key: str) -> list[tuple[str, str]]:
        if d is not None:
            return [(key, lex(d, prec))]
        out = [("date_before", self.pub.isoformat())]
        if self.rng.random() < 0.4:
            after = self.pub - dt.timedelta(days=self.rng.randint(1, 400))
            out.insert(0, ("date_after", lex(after, self.rng.choice(["day", "month"]))))
        return out

    def country(self) -> Ent:
        return self.rng.choice(self.countries)

    def two_countries(self) -> tuple[Ent, Ent]:
        a, b = self.rng.sample(self.countries, 2)
        return a, b

    def place_or_country(self) -> Ent:
        return self.rng.choice(self.places) if self.places and self.rng.random() < 0.7 else self.country()

    @staticmethod
    def ids(ents: list[Ent]) -> str:
        return "[" + ", ".join(e.id for e in ents) + "]"

    def ids_or_one(self, ents: list[Ent]) -> str:
        return ents[0].id if len(ents) == 1 and self.rng.random() < 0.5 else self.ids(ents)

    # ---- fact kinds -------------------------------------------------------------------------------

    def membership(self) -> FactOut:
        rng, L, pub = self.rng, self.lang, self.pub
        m, o = self.country(), rng.choice(self.orgs)
        status = rng.choices(["member", "observer", "suspended", "considering-withdrawal", "withdrawn"],
                             weights=[55, 12, 8, 10, 15])[0]
        f: list[tuple[str, str]] = [("member", m.id), ("organization", o.id)]
        if status != "member" or rng.random() < 0.4:
            f.append(("status", status))
        mem, org = np(m, L), np(o, L)
        if status == "member":
            if rng.random() < 0.6:
                y = rng.randint(1990, pub.year)
                f.append(("start", str(y)))
                s = (f"{mem} has been a member of {org} since {y}" if L == "en"
                     else f"{cap(mem)} fa parte {np(o, L, 'di')} dal {y}")
            else:
                s = f"{mem}, a member of {org}, backed the decision" if L == "en" else \
                    f"{cap(mem)}, membro {np(o, L, 'di')}, ha sostenuto la decisione"
        elif status == "observer":
            s = f"{mem} holds observer status in {org}" if L == "en" else \
                f"{cap(mem)} ha lo status di osservatore presso {np(o, L)}"
        elif status == "suspended":
            prec, d = self.date(weights=(30, 40, 30, 0))
            f.append(("as_of", lex(d, prec)))
            s = f"the membership of {mem} in {org} was suspended {when(d, prec, L, pub, rng)}" if L == "en" else \
                f"la partecipazione {np(m, L, 'di')} {np(o, L, 'a')} è stata sospesa {when(d, prec, L, pub, rng)}"
        elif status == "considering-withdrawal":
            if rng.random() < 0.5:
                f.append(("as_of", pub.isoformat()))
            s = f"{mem} is considering leaving {org}" if L == "en" else \
                f"{cap(mem)} sta valutando di uscire {np(o, L, 'da')}"
        else:
            y1 = rng.randint(1990, max(1990, pub.year - 1))
            y2 = rng.randint(y1 + 1, pub.year) if y1 < pub.year else pub.year
            f += [("start", str(y1)), ("end", str(y2))]
            s = f"{mem} joined {org} in {y1} and left it in {y2}" if L == "en" else \
                f"{cap(mem)} ha aderito {np(o, L, 'a')} nel {y1} e lo ha lasciato nel {y2}"
        return FactOut("membership", f, s, f"{m.id}-{o.id}")

    def arms_transfer(self) -> FactOut:
        rng, L, pub = self.rng, self.lang, self.pub
        s_, r_ = self.two_countries()
        if rng.random() < 0.1:
            s_ = rng.choice(self.orgs)
        w = rng.choice(self.weapons)
        cat_en, cat_it, _, (unit_en, unit_it), (lo, hi) = WEAPON_CATEGORIES[w.kind]
        status = rng.choices(["delivered", "ordered", "announced"], weights=[55, 25, 20])[0]
        f: list[tuple[str, str]] = [("supplier", s_.id), ("recipient", r_.id), ("item", w.id)]
        qty = None
        if rng.random() < 0.75:
            qty = rng.randint(lo, hi)
            f.append(("quantity", str(qty)))
            if w.kind in ("air-defence",) or rng.random() < 0.3:
                f.append(("unit", unit_en))
        comps = []
        if w.kind in COMPONENTS and rng.random() < 0.5:
            comps = rng.sample(COMPONENTS[w.kind], rng.randint(1, len(COMPONENTS[w.kind])))
            f.append(("components", "[" + ", ".join(c[0] for c in comps) + "]"))
        if status != "delivered" or rng.random() < 0.5:
            f.append(("status", status))
        prec, d = self.date(weights=(15, 40, 15, 30))
        f += self.date_fields(prec, d, "date")
        t = when(d, prec, L, pub, rng)
        S, R, W = np(s_, L), np(r_, L), w.labels[L]
        if L == "en":
            amount = f"{qty} {unit_en}s of {W} {cat_en}" if qty and ("unit", unit_en) in f else \
                f"{qty} {W} {cat_en}" if qty else f"{W} {cat_en}"
            comp = f", including {join([c[0] for c in comps], L)}" if comps else ""
            s = {"delivered": f"{S} delivered {amount} to {R}{comp} {t}",
                 "ordered": f"{R} ordered {amount} from {S}{comp} {t}",
                 "announced": f"{S} announced the supply of {amount} to {R}{comp} {t}"}[status]
        else:
            amount = f"{qty} {unit_it} di {cat_it} {W}" if qty else f"{cat_it} {W}"
            comp = f", comprese {join([c[1] for c in comps], L)}" if comps else ""
            s = {"delivered": f"{cap(S)} ha consegnato {np(r_, L, 'a')} {amount}{comp} {t}",
                 "ordered": f"{cap(R)} ha ordinato {np(s_, L, 'a')} {amount}{comp} {t}",
                 "announced": f"{cap(S)} ha annunciato la fornitura {np(r_, L, 'a')} di {amount}{comp} {t}"}[status]
        return FactOut("arms-transfer", f, s, f"{w.id}-to-{r_.id}")

    def meeting(self) -> FactOut:
        rng, L, pub = self.rng, self.lang, self.pub
        pool = self.persons + self.countries
        parts = rng.sample(pool, min(len(pool), rng.randint(2, 4)))
        loc = self.place_or_country() if rng.random() < 0.85 else None
        f: list[tuple[str, str]] = [("participants", self.ids(parts))]
        if loc is not None:
            f.append(("location", loc.id))
        prec, d = self.date(weights=(70, 10, 0, 20))
        f += self.date_fields(prec, d, "start")
        if prec == "day" and d is not None and rng.random() < 0.2:
            f.append(("end", (d + dt.timedelta(days=rng.randint(1, 3))).isoformat()))
        host = body = None
        if rng.random() < 0.3:
            host = rng.choice([p for p in parts if p.type == "country"] or self.countries)
            f.append(("host", host.id))
        if rng.random() < 0.25:
            body = rng.choice(self.orgs)
            f.append(("of", body.id))
        absent = [c for c in self.countries if c not in parts][:1] if rng.random() < 0.1 else []
        if absent:
            f.append(("absent", self.ids(absent)))
        topic = rng.choice(TOPICS) if rng.random() < 0.6 else None
        if topic:
            f.append(("topic", cap(topic[0])))
        t = when(d, prec, L, pub, rng)
        P = join([np(p, L) for p in parts], L)
        where_ = f" {np(loc, L, 'in')}" if loc else ""
        if L == "en":
            s = f"{P} met{where_} {t}" if body is None else \
                f"a meeting of {np(body, L)} brought together {P}{where_} {t}"
            if host:
                s += f", hosted by {np(host, L)}"
            if absent:
                s += f", without {np(absent[0], L)}"
            if topic:
                s += f", to discuss {topic[0]}"
        else:
            s = f"{P} si sono incontrati{where_} {t}" if body is None else \
                f"una riunione {np(body, L, 'di')} ha visto la partecipazione di {P}{where_} {t}"
            if host:
                s += f", su invito {np(host, L, 'di')}"
            if absent:
                s += f", in assenza {np(absent[0], L, 'di')}"
            if topic:
                s += f", per discutere del tema: {topic[1]}"
        return FactOut("meeting", f, s, "-".join(p.id for p in parts[:2]) + "-meeting")

    def agreement(self) -> FactOut:
        rng, L, pub = self.rng, self.lang, self.pub
        parties = [rng.choice(self.orgs)] if rng.random() < 0.1 else rng.sample(self.countries, rng.randint(2, 3))
        subj = rng.choice(SUBJECTS)
        status = rng.choices(["signed", "ratified", "in-force", "proposed", None], weights=[45, 15, 15, 20, 5])[0]
        f: list[tuple[str, str]] = [("parties", self.ids(parties)), ("subject", q(cap(f"Agreement on {subj[0]}")))]
        if status:
            f.append(("status", status))
        prec, d = self.date(weights=(35, 30, 15, 20))
        f += self.date_fields(prec, d, "date")
        t = when(d, prec, L, pub, rng)
        A = join([np(p, L) for p in parties], L)
        if L == "en":
            s = {"signed": f"{A} signed an agreement on {subj[0]} {t}",
                 "ratified": f"the parliament of {np(parties[0], L)} ratified the agreement on {subj[0]} {t}",
                 "in-force": f"the agreement on {subj[0]} between {A} entered into force {t}",
                 "proposed": f"{A} are discussing a proposed agreement on {subj[0]}",
                 None: f"{A} reached an understanding on {subj[0]} {t}"}[status]
        else:
            s = {"signed": f"{A} hanno firmato un accordo per {subj[1]} {t}",
                 "ratified": f"il parlamento {np(parties[0], L, 'di')} ha ratificato l'accordo per {subj[1]} {t}",
                 "in-force": f"è entrato in vigore {t} l'accordo tra {A} per {subj[1]}",
                 "proposed": f"{A} discutono una proposta di accordo per {subj[1]}",
                 None: f"{A} hanno raggiunto un'intesa per {subj[1]} {t}"}[status]
        if len(parties) == 1 and L == "en":
            s = s.replace(" are ", " is ")
        return FactOut("agreement", f, s, "-".join(p.id for p in parties[:2]) + "-agreement")

    def statement(self) -> FactOut:
        rng, L, pub = self.rng, self.lang, self.pub
        r = rng.random()
        if r < 0.75:
            speaker = rng.choice(self.persons)
        elif r < 0.85:
            speaker = rng.choice(self.reg.governments)
        else:
            speaker = self.country()
        x, y = self.two_countries()
        o = rng.choice(self.orgs)
        template = rng.choice(STATEMENTS[L])
        slots = re.findall(r"\{(\w+)\}", template)
        ents = {"x": x, "y": y, "o": o}
        text = template.format(**{k: np(ents[k[-1]], L, k[:-2] or None) for k in slots})
        text = cap(text) if rng.random() < 0.5 else text
        about = list(dict.fromkeys(ents[k[-1]] for k in slots))
        prec, d = self.date(1, weights=(75, 5, 0, 20))
        f: list[tuple[str, str]] = [("speaker", speaker.id)]
        f += self.date_fields(prec, d, "date")
        if about:
            f.append(("about", self.ids(about)))
        if rng.random() < 0.1:
            aud = rng.choice(self.orgs)
            f.append(("audience", self.ids_or_one([aud])))
        f.append(("text", q(text)))
        t = when(d, prec, L, pub, rng)
        S = np(speaker, L)
        if rng.random() < 0.7:
            verb = rng.choice(["said", "declared", "stressed"]) if L == "en" else \
                rng.choice(["ha dichiarato", "ha affermato", "ha sottolineato"])
            s = f"“{text}”, {S} {verb} {t}" if L == "en" else f"“{text}”, {verb} {t} {S}"
        else:
            s = f"{S} said {t} that {text}" if L == "en" else f"{S} ha detto {t} che {text[0].lower() + text[1:]}"
        return FactOut("statement", f, s, f"{speaker.id}-statement")

    def deployment(self) -> FactOut:
        rng, L, pub = self.rng, self.lang, self.pub
        actors = [rng.choice(self.orgs)] if rng.random() < 0.2 else [self.country()]
        loc = self.place_or_country()
        kind = rng.choice(list(DEPLOY_KINDS))
        f: list[tuple[str, str]] = [("actor", self.ids_or_one(actors)), ("location", loc.id), ("kind", kind)]
        prec, d = self.date(weights=(40, 40, 20, 0))
        f.append(("start", lex(d, prec)))
        if rng.random() < 0.2 and d is not None:
            f.append(("end", str(min(pub.year, d.year + rng.randint(1, 3)))))
        t = when(d, prec, L, pub, rng)
        A = np(actors[0], L)
        a_ = "an" if DEPLOY_KINDS[kind][0][0] in "aeiou" else "a"
        s = f"{A} deployed {a_} {DEPLOY_KINDS[kind][0]} contingent {np(loc, L, 'to')} {t}" if L == "en" else \
            f"{cap(A)} ha schierato un contingente {DEPLOY_KINDS[kind][1]} {np(loc, L, 'in')} {t}"
        return FactOut("deployment", f, s, f"{actors[0].id}-deployment")

    def military_action(self) -> FactOut:
        rng, L, pub = self.rng, self.lang, self.pub
        a, tg = self.two_countries()
        actors = [a, rng.choice(self.orgs)] if rng.random() < 0.15 else [a]
        kind = rng.choice(list(ACTION_KINDS))
        f: list[tuple[str, str]] = [("actor", self.ids_or_one(actors))]
        target = tg if rng.random() < 0.8 else None
        loc = rng.choice([p for p in self.places if p.country == tg.id] or [tg]) if rng.random() < 0.6 else None
        if target is None and loc is None:
            loc = tg
        if target is not None:
            f.append(("target", target.id))
        if loc is not None:
            f.append(("location", loc.id))
        f.append(("kind", kind))
        prec, d = self.date(weights=(40, 35, 10, 15))
        f += self.date_fields(prec, d, "start")
        if d is not None and rng.random() < 0.25:
            f.append(("end", lex(min(pub, d + dt.timedelta(days=rng.randint(1, 90))), "month")))
        outcome = rng.choice(OUTCOMES) if rng.random() < 0.15 else None
        if outcome:
            f.append(("outcome", q(outcome)))
        t = when(d, prec, L, pub, rng)
        A = join([np(x, L) for x in actors], L)
        if L == "en":
            s = f"{A} launched {ACTION_KINDS[kind][0]}"
            if target is not None:
                s += f" against {np(target, L)}"
            if loc is not None and loc is not target:
                s += f" {np(loc, L, 'in')}"
        else:
            s = f"{cap(A)} {'hanno' if len(actors) > 1 else 'ha'} lanciato {ACTION_KINDS[kind][1]}"
            if target is not None:
                s += f" {np(target, L, 'contro')}"
            if loc is not None and loc is not target:
                s += f" {np(loc, L, 'in')}"
        s += f" {t}"
        return FactOut("military-action", f, s, f"{actors[0].id}-{kind}")

    # ---- the sheet and its text ---------------------------------------------------------------------

    def build(self) -> tuple[str, str, str, str, dict[str, int]]:
        """(relative folder, article id, sheet YAML, article text, facts per kind)."""
        rng, L, pub = self.rng, self.lang, self.pub
        makers = {"statement": self.statement, "meeting": self.meeting, "membership": self.membership,
                  "agreement": self.agreement, "arms-transfer": self.arms_transfer, "deployment": self.deployment,
                  "military-action": self.military_action}
        kinds, weights = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
        facts: list[FactOut] = []
        seen: set[str] = set()
        tries = 0
        while len(facts) < self.n_facts and tries < self.n_facts * 5:
            tries += 1
            fo = makers[rng.choices(kinds, weights=weights)[0]]()
            fo.sentence = " ".join(fo.sentence.split())
            fo.sentence = cap(fo.sentence.rstrip(" ,")) + "."
            key = fo.main if fo.kind == "membership" else fo.sentence  # one claim per member and organisation
            if key in seen:
                continue
            seen.add(key)
            facts.append(fo)

        # the text: a dateline, then paragraphs of two or three fact sentences and some context
        city = next((p for p in self.places if p.type == "place"), self.reg.capital[self.countries[0].id])
        pub_name = self.publisher.labels["en"]
        if L == "it":
            dateline = f"{city.labels['it']}, {pub.day} {IT_MONTHS[pub.month - 1][:3]}. ({pub_name}) – "
        else:
            dateline = f"{city.labels['en'].upper()}, {EN_MONTHS[pub.month - 1]} {pub.day} ({pub_name}) – "
        paragraphs: list[list[str]] = []
        i = 0
        while i < len(facts):
            k = rng.randint(2, 3)
            para = [fo.sentence for fo in facts[i:i + k]]
            for _ in range(rng.choice((0, 1, 1, 2))):
                c = self.country()
                filler = rng.choice(FILLERS[L]).format(city=city.labels[L], country=np(c, L),
                                                       di_country=np(c, L, "di"))
                para.insert(rng.randint(1, len(para)), filler + ".")
            paragraphs.append(para)
            i += k
        paragraphs[0][0] = dateline + paragraphs[0][0]
        text = "\n\n".join(textwrap.fill(" ".join(p), width=88, break_on_hyphens=False, break_long_words=False)
                           for p in paragraphs) + "\n"

        # the sheet
        lead = facts[0].sentence.rstrip(".")
        title = lead if len(lead) <= 90 else lead[:lead.rfind(" ", 0, 87)] + "…"
        aid = f"{self.publisher.id}-{pub.isoformat()}-{slug(facts[0].main)[:40].strip('-')}-{self.index}"
        folder = f"articles/{pub.year}"
        published = pub.isoformat()
        if rng.random() < 0.1:
            published += f"T{rng.randint(6, 22):02d}:{rng.randint(0, 59):02d}:00+01:00"
        out = [f"# Synthetic fact sheet generated by bench/load.py (article {self.index}).", "article:",
               f"  id: {aid}", f"  title: {q(title)}", f"  publisher: {self.publisher.id}",
               f"  published: {published}", f"  language: {L}"]
        if rng.random() < 0.3:
            out.append(f"  url: https://www.{self.publisher.id}.example/{pub.year}/{pub.month:02d}/{aid}")
        out.append(f"  text: {aid}.txt")
        if self.new_entities:
            out.append("entities:")
            for e in self.new_entities:
                labels = ", ".join(f"{k}: {q(v)}" for k, v in e.labels.items())
                out.append(f"  - {{id: {e.id}, type: {e.type}, labels: {{{labels}}}, country: {e.country}}}")
        out.append("facts:")
        counts: dict[str, int] = {}
        for n, fo in enumerate(facts, 1):
            counts[fo.kind] = counts.get(fo.kind, 0) + 1
            sentence = fo.sentence.rstrip(".")
            quote = sentence
            head = sentence.split(", ")[0]
            named = rng.random() < 0.8
            if named and ", " in sentence and len(head) >= 30 and rng.random() < 0.3:
                quote = head  # a clause, not the whole sentence
            out.append(f"  - type: {fo.kind}")
            if named:
                out.append(f"    id: {slug(fo.main)[:50].strip('-')}-{n}")
            out += [f"    {k}: {v}" for k, v in fo.fields]
            if rng.random() < 0.15:
                out.append(f"    confidence: {rng.choice(['0.5', '0.6', '0.7', '0.8', '0.9', '0.95'])}")
            if rng.random() < 0.2:
                out.append(f"    note: {q(rng.choice(NOTES))}")
            out.append(f"    quote: {q(quote)}")
            out.append("")
        return folder, aid, "\n".join(out), text, counts


def generate(out: Path, n_articles: int, n_facts: int, seed: int, zipf: float | None = None) -> dict:
    """Write the registry and ``n_articles`` sheets with their texts under ``out``; return statistics."""
    started = time.perf_counter()
    reg = make_registry(seed, zipf, n_articles)
    out.mkdir(parents=True)
    (out / "entities.yaml").write_text(registry_yaml(reg, seed), encoding="utf-8")
    kinds: dict[str, int] = dict.fromkeys(KIND_WEIGHTS, 0)
    langs: dict[str, int] = {}
    size = 0
    for i in range(n_articles):
        maker = ArticleMaker(reg, i, seed, n_facts)
        folder, aid, sheet, text, counts = maker.build()
        d = out / folder
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{aid}.yaml").write_text(sheet, encoding="utf-8")
        (d / f"{aid}.txt").write_text(text, encoding="utf-8")
        size += len(sheet.encode()) + len(text.encode())
        for k, v in counts.items():
            kinds[k] += v
        langs[maker.lang] = langs.get(maker.lang, 0) + 1
    return {"articles": n_articles, "facts": sum(kinds.values()), "facts_by_kind": kinds, "languages": langs,
            "entities": len(reg.by_id), "bytes": size, "seconds": round(time.perf_counter() - started, 2)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True, help="a folder that does not exist yet")
    ap.add_argument("--facts", type=int, default=15, help="facts per article, on average (default 15)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--zipf", type=float, default=None, metavar="S",
                    help="Zipf-distributed entity popularity with exponent S (about 1.1), a growing registry")
    args = ap.parse_args(argv)
    if args.out.exists():
        ap.error(f"{args.out} exists: the generator writes a new folder")
    print(json.dumps(generate(args.out, args.articles, args.facts, args.seed, args.zipf), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
