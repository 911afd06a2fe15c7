"""Finding the entities an article names: registry names, nationality adjectives, references, new names.

Names are matched on the folded text, longest first, through every label and alias in every language
(so the article's own spellings — Tagikistan, Erevan, Mosca — are found when the registry lists them).
A name the registries do not know is proposed as a new entity when something tells what it is: a title
before it (a person), a word inside it (an organisation, a country, a place), a weapon designation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..entities import Registry
from ..records import Entity
from .language import Language
from .text import WORD, Article, fold_phrase

#: which type wins when one name belongs to several entities
_TYPE_ORDER = ("country", "organization", "person", "place", "weapon-system", "event")
_SEPARATOR = re.compile(r"[ \-'./]*\Z")
_DESIGNATION = re.compile(r"(?<![\w-])([A-Z][A-Za-z]{0,5}-?\d{1,4}[A-Z]{0,2}(?:-\d)?)(?![\w-])")


@dataclass(frozen=True)
class Mention:
    """A stretch of the text that names an entity: ``how`` is name, adj (a nationality adjective), ref (a
    phrase standing for an entity named before) or new (a name the registries do not know)."""

    start: int
    end: int
    entity: str
    type: str
    how: str
    text: str


@dataclass
class Found:
    mentions: list[Mention]
    new: dict[str, Entity] = field(default_factory=dict)


@dataclass(frozen=True)
class _Name:
    tokens: tuple[str, ...]
    entity: str
    type: str
    how: str
    capital: bool  # the text must spell it with a capital (or a digit) first


class NameIndex:
    """Folded names by their first word, longest first."""

    def __init__(self) -> None:
        self.by_first: dict[str, list[_Name]] = {}

    def add(self, phrase: str, entity: str, etype: str, how: str, capital: bool) -> None:
        tokens = tuple(WORD.findall(fold_phrase(phrase)))
        if not tokens:
            return
        names = self.by_first.setdefault(tokens[0], [])
        if any(n.tokens == tokens and n.how == how for n in names):
            return
        names.append(_Name(tokens, entity, etype, how, capital))
        names.sort(key=lambda n: (-len(n.tokens), n.how != "name"))


_INDEX_CACHE: dict[tuple[int, int, str], NameIndex] = {}


#: the language file's lists of words that refer to an entity named elsewhere: (key, kind of reference, type)
REFERENCE_WORDS = (("country_references", "", "country"), ("place_references", "region", "place"),
                   ("person_references", "", "person"), ("person_pronouns", "pronoun", "person"),
                   ("country_pronouns", "pronoun", "country"), ("organization_references", "", "organization"))

def registry_index(registry: Registry, lang: Language) -> NameIndex:
    """Every label and alias of the registry, the language's nationality adjectives and reference phrases."""
    entities = sorted(registry, key=lambda e: (_TYPE_ORDER.index(e.type) if e.type in _TYPE_ORDER else 9, e.id))
    key = (id(registry), len(entities), lang.code)
    if key in _INDEX_CACHE:
        return _INDEX_CACHE[key]
    index = NameIndex()
    for e in entities:
        for name in (*e.labels.values(), *e.aliases):
            if name.strip():
                index.add(name, e.id, e.type, "name", name.strip()[0].isupper())
    for country, adjectives in (lang.data.get("demonyms") or {}).items():
        found = registry.resolve_name(str(country))
        if found:
            for adj in adjectives:
                index.add(str(adj), found[0].id, found[0].type, "adj", False)
    for name, country in (lang.data.get("institutions") or {}).items():
        found = registry.resolve_name(str(country))
        if found:  # "the Pentagon", "la Farnesina": the state whose institution it is
            index.add(str(name), found[0].id, found[0].type, "name", str(name).strip()[:1].isupper())
    for etype, phrases in (lang.data.get("pair_references") or {}).items():
        for phrase in phrases:  # "the two countries", "i due leader": the two entities the text is about
            index.add(str(phrase), "pair", str(etype), "ref", False)
    for words, kind, etype in REFERENCE_WORDS:
        for phrase in lang.words(words):
            index.add(phrase, kind, etype, "ref", False)
    if len(_INDEX_CACHE) > 16:
        _INDEX_CACHE.clear()
    _INDEX_CACHE[key] = index
    return index


@dataclass(frozen=True)
class Token:
    start: int  # folded offsets
    end: int
    word: str


def tokens_of(article: Article) -> list[Token]:
    return [Token(m.start(), m.end(), m.group()) for m in WORD.finditer(article.f.folded)]


def find_entities(article: Article, lang: Language, registry: Registry) -> Found:
    """Every mention of an entity in the text, in order, with the new entities proposed for unknown names."""
    toks = tokens_of(article)
    index = registry_index(registry, lang)
    mentions, covered = _scan(article, toks, index)
    found = Found(mentions)
    _new_names(article, lang, registry, toks, covered, found)
    found.mentions.sort(key=lambda m: m.start)
    _resolve_references(article, found, registry, lang)
    return found


def _scan(article: Article, toks: list[Token], index: NameIndex) -> tuple[list[Mention], set[int]]:
    f = article.f
    out: list[Mention] = []
    covered: set[int] = set()
    i = 0
    while i < len(toks):
        match = None
        for name in index.by_first.get(toks[i].word, ()):
            n = len(name.tokens)
            if i + n > len(toks):
                continue
            if any(toks[i + k].word != name.tokens[k] for k in range(1, n)):
                continue
            if any(not _SEPARATOR.match(f.folded[toks[i + k - 1].end:toks[i + k].start]) for k in range(1, n)):
                continue
            start, end = f.original(toks[i].start, toks[i + n - 1].end)
            first = article.text[start]
            if name.capital and not (first.isupper() or first.isdigit()):
                continue
            match = (name, n, start, end)
            break
        if match is None:
            i += 1
            continue
        name, n, start, end = match
        if name.how == "ref" and _longer_name_inside(toks, index, i, n):
            i += 1  # "the Group of Seven": the name, not "the group"
            continue
        if name.how == "adj" and start > 0 and article.text[start - 1] == "-":
            i += n  # "filo-iraniani", "pro-Russian": an attitude, not a nationality
            continue
        out.append(Mention(start, end, name.entity, name.type, name.how, article.text[start:end]))
        covered.update(range(i, i + n))
        i += n
    return out, covered


def _longer_name_inside(toks: list[Token], index: NameIndex, i: int, n: int) -> bool:
    """Whether a registry name starts inside the phrase at token ``i`` and runs past its end."""
    for k in range(i + 1, i + n):
        for name in index.by_first.get(toks[k].word, ()):
            m = len(name.tokens)
            if name.how == "name" and k + m > i + n and k + m <= len(toks) and \
                    all(toks[k + j].word == name.tokens[j] for j in range(m)):
                return True
    return False


def _new_names(article: Article, lang: Language, registry: Registry, toks: list[Token], covered: set[int],
               found: Found) -> None:
    """Capitalised runs no registry knows, each with a type guessed from the words around it."""
    text, f = article.text, article.f
    skip = set(lang.words("not_names")) | set(lang.table("months")) | set(lang.table("weekdays"))
    skip |= set(lang.table("relative_days")) | set(lang.words("person_titles")) | set(lang.table("numbers"))
    particles = set(lang.words("name_particles"))
    titles = set(lang.words("person_titles"))
    cues = {t: set(lang.words_in("type_cues", t)) for t in ("organization", "country", "place", "weapon-system")}
    place_preps = set(lang.words("place_prepositions"))
    sentence_starts = {f.folded_at(s.start) for s in article.sentences}

    def capital(k: int) -> bool:
        o = f.origin[toks[k].start]
        return text[o].isupper() and toks[k].word not in skip

    runs: list[tuple[int, int]] = []
    k = 0
    while k < len(toks):
        if k in covered or not capital(k):
            k += 1
            continue
        j = k
        while True:
            nxt = j + 1
            if nxt < len(toks) and nxt not in covered and capital(nxt) and \
                    re.fullmatch(r"[ \-]", f.folded[toks[j].end:toks[nxt].start]):
                j = nxt
                continue
            if nxt + 1 < len(toks) and toks[nxt].word in particles and nxt not in covered and \
                    nxt + 1 not in covered and capital(nxt + 1) and not text[f.origin[toks[nxt].start]].isupper():
                j = nxt + 1
                continue
            break
        runs.append((k, j))
        k = j + 1

    new_by_surname: dict[str, tuple[str, str]] = {}
    for k, j in runs:
        start, end = f.original(toks[k].start, toks[j].end)
        words = [t.word for t in toks[k:j + 1]]
        at_start = _opens_sentence(f.folded, toks[k].start, sentence_starts)
        before = [t.word for t in toks[max(0, k - 5):k]]
        if all(w in skip or any(w in c for c in cues.values()) for w in words):
            continue  # "Trattato", "Ministero": a common noun with a capital, no name
        etype = _guess_type(words, before, text[start:end], cues, titles, place_preps)
        if etype is None or (at_start and j == k and etype not in ("person", "organization")):
            continue
        if at_start and j == k and not (text[start:end].isupper() and len(text[start:end]) > 1) and \
                not (before and before[-1] in titles):
            continue
        entity = _declare(text[start:end], words, etype, lang, registry, found)
        if entity is None:
            continue
        found.mentions.append(Mention(start, end, entity.id, entity.type, "new", text[start:end]))
        covered.update(range(k, j + 1))
        if etype == "person" and len(words) > 1:
            new_by_surname[words[-1]] = (entity.id, entity.type)
    for k, t in enumerate(toks):  # a person named in full, then by surname alone
        if k not in covered and t.word in new_by_surname and capital(k):
            start, end = f.original(t.start, t.end)
            eid, etype = new_by_surname[t.word]
            found.mentions.append(Mention(start, end, eid, etype, "new", text[start:end]))
    for m in _DESIGNATION.finditer(text):
        _designation(article, m, toks, covered, cues["weapon-system"], registry, lang, found)


def _opens_sentence(folded: str, at: int, starts: set[int]) -> bool:
    back = at
    while back > 0 and folded[back - 1] in " \"'“«(-":
        back -= 1
    return back in starts or back == 0


def _guess_type(words: list[str], before: list[str], surface: str, cues: dict[str, set[str]], titles: set[str],
                place_preps: set[str]) -> str | None:
    if any(w in cues["organization"] for w in words):
        return "organization"
    if any(w in cues["country"] for w in words) or " ".join(words[:2]) in cues["country"]:
        return "country"
    if any(w in cues["place"] for w in words):
        return "place"
    if surface.isupper() and len(surface) >= 2 and len(words) == 1:
        return "organization"
    titled = bool(before) and before[-1] in titles
    if len(words) <= 4 and (titled or (len(words) > 1 and any(w in titles for w in before[-4:]))):
        return "person"
    if before and before[-1] in place_preps and len(words) <= 3:
        return "place"
    return None


def _declare(surface: str, words: list[str], etype: str, lang: Language, registry: Registry,
             found: Found) -> Entity | None:
    """The new entity for a name (or the registry's, when an id of the same type already has it)."""
    slug = _slug(words[-1] if etype == "person" else "-".join(words))
    if not slug:
        return None
    existing = registry.get(slug) or found.new.get(slug)
    if existing is not None and existing.type == etype:
        if slug in found.new and surface not in (*existing.labels.values(), *existing.aliases):
            existing.aliases.append(surface)
        return existing
    if existing is not None:
        slug = f"{slug}-{etype}"
        if registry.get(slug) is not None or slug in found.new:
            return registry.get(slug) or found.new[slug]
    entity = Entity(slug, etype, {lang.code: surface})
    found.new[slug] = entity
    return entity


def _designation(article: Article, m: re.Match[str], toks: list[Token], covered: set[int], cues: set[str],
                 registry: Registry, lang: Language, found: Found) -> None:
    """A weapon designation (S-400, Su-35, F-16) next to a word for weapons: a new weapon system."""
    f = article.f
    a, b = f.folded_at(m.start()), f.folded_at(m.end())
    inside = [k for k, t in enumerate(toks) if t.start >= a and t.end <= b]
    if not inside or any(k in covered for k in inside):
        return
    near = [t.word for t in toks[max(0, inside[0] - 6):inside[-1] + 6]]
    if not any(w in cues for w in near):
        return
    surface = m.group(1)
    entity = _declare(surface, [surface.casefold()], "weapon-system", lang, registry, found)
    if entity is None:
        return
    found.mentions.append(Mention(m.start(), m.end(), entity.id, entity.type, "new", surface))
    covered.update(inside)


def _slug(name: str) -> str:
    ascii_name = fold_phrase(name).encode("ascii", "ignore").decode()
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", ascii_name)).strip("-")


def _country_of(m: Mention, registry: Registry) -> str | None:
    """The country a mention names or stands for: itself, a city's or a person's country."""
    if m.type == "country":
        return m.entity
    e = registry.get(m.entity)
    if e is not None and e.country and m.type in ("place", "person"):
        held = registry.get(e.country)
        return e.country if held is not None and held.type == "country" else None
    return None


def _pair(m: Mention, before: list[Mention], registry: Registry, article: Article, n: int = 2) -> list[Mention]:
    """"The two countries", "i due leader": the two entities of that type its paragraph (or else the text) has
    named most so far (the later first among equals), as two mentions of the same words."""
    paragraph = article.text.rfind("\n", 0, m.start)
    best = _most_named(m, [x for x in before if x.start > paragraph], registry, article, n)
    if len(best) < n:
        best = _most_named(m, before, registry, article, n)
    if len(best) < n:
        return []
    return [Mention(m.start, m.end, e, m.type, "pair", m.text) for e in best]


def _most_named(m: Mention, before: list[Mention], registry: Registry, article: Article, n: int = 2) -> list[str]:
    """The ``n`` entities named in most sentences (the later first among equals)."""
    seen: set[tuple[str, int]] = set()
    counts: dict[str, int] = {}
    last: dict[str, int] = {}
    for x in before:
        if x.how not in ("name", "new", "adj"):
            continue
        eid = x.entity if x.type == m.type else (_country_of(x, registry) if m.type == "country" else None)
        if eid:
            s = article.sentence_at(x.start).index
            if (eid, s) not in seen:
                seen.add((eid, s))
                counts[eid] = counts.get(eid, 0) + 1
            last[eid] = x.start
    best = sorted(counts, key=lambda e: (-counts[e], -last[e]))[:n]
    return sorted(best, key=lambda e: last[e])


def _resolve_references(article: Article, found: Found, registry: Registry, lang: Language | None = None) -> None:
    """A phrase standing for someone named before ("il leader del Cremlino") takes that entity; a title
    followed by the name it belongs to is no reference; "the two countries" stands for the two named most."""
    of_words = set(lang.words("of_words")) if lang is not None else set()
    out: list[Mention] = []
    last: dict[str, Mention] = {}
    subject: Mention | None = None  # the first person of the last sentence that names one
    subject_sentence = -1
    persons: list[Mention] = []
    mentions = found.mentions
    for i, m in enumerate(mentions):
        if m.how != "ref":
            out.append(m)
            if m.how in ("name", "new") and m.start >= article.head_end:  # not the dateline's agency or city
                last[m.type] = m
                if m.type == "person":
                    persons.append(m)
                    s = article.sentence_at(m.start).index
                    if s != subject_sentence:
                        subject, subject_sentence = m, s
            continue
        if m.entity == "pair":
            numbers = lang.table("numbers") if lang is not None else {}
            n = next((int(numbers[w]) for w in WORD.findall(fold_phrase(m.text)) if w in numbers), 2)
            out += _pair(m, out, registry, article, n)
            continue
        if m.entity == "region":
            # "nella regione": the place the text has named most so far (the later first among equals)
            best = _most_named(Mention(m.start, m.end, "", "place", "ref", m.text), out, registry, article, 1)
            if best:
                out.append(Mention(m.start, m.end, best[0], "place", "ref", m.text))
            continue
        if m.entity == "pronoun" and m.type == "country":
            # "Manila is diversifying its suppliers. In January it signed …": the previous sentence's subject
            here = article.sentence_at(m.start)
            before = article.sentences[here.index - 1].start if here.index > 0 else here.start
            prev = [n for n in out if before <= n.start < here.start]
            first = prev[0] if prev else None
            if first is not None and first.start - before <= 12 and \
                    (c := _country_of(first, registry)) is not None:
                out.append(Mention(m.start, m.end, c, "country", "ref", m.text))
            continue
        if m.entity == "pronoun":
            if subject is not None:
                out.append(Mention(m.start, m.end, subject.entity, m.type, "ref", m.text))
            continue
        text = article.text
        following = next((n for n in mentions[i + 1:i + 4] if n.how in ("name", "new") and n.type == m.type
                          and m.type in ("person", "organization")
                          and n.start - m.end <= 40 and not re.search(r"[.!?;\n]", text[m.end:n.start])), None)
        if following is not None and m.entity != "pronoun":
            # a title before the name it belongs to ("il presidente Vladimir Putin", "l'alleanza …, la Csto")
            out.append(Mention(m.start, m.end, following.entity, m.type, "name", m.text))
            continue
        if m.type == "organization":
            # "l'Alleanza", "the bloc": the organisation the text is about, the one named in most sentences
            # so far, not the last one named (the Kremlin that comments on it, the firm it mentions)
            best = _most_named(Mention(m.start, m.end, "", "organization", "ref", m.text), out, registry, article, 1)
            if best:
                out.append(Mention(m.start, m.end, best[0], "organization", "ref", m.text))
            continue
        antecedent = last.get(m.type)
        if m.type == "country" and antecedent is not None and \
                re.fullmatch(r"\s+[^\W\d]+(?:\s+[^\W\d]+)?\s+", text[antecedent.end:m.start]):
            # "Russia invaded the country": not the subject of the verb before it, the country named earlier
            earlier = [n for n in out if n.type == "country" and n.how in ("name", "new")
                       and n.entity != antecedent.entity and n.start < antecedent.start]
            antecedent = earlier[-1] if earlier else antecedent
        nxt = mentions[i + 1] if i + 1 < len(mentions) else None
        if m.type == "person" and nxt is not None and nxt.how == "name" and \
                text[m.end:nxt.start].strip().casefold() in of_words and (c := _country_of(nxt, registry)):
            # "il leader di Kiev", "the president of France": the last person named of that country
            own = next((p for p in reversed(persons) if (e := registry.get(p.entity)) is not None
                        and e.country == c), None)
            if own is not None:
                out.append(Mention(m.start, m.end, own.entity, m.type, "ref", m.text))
                continue
        if m.type == "person" and nxt is not None and nxt.how == "adj" and nxt.start - m.end <= 2:
            # "il presidente americano": the last person named who is American
            antecedent = next((p for p in reversed(persons) if (e := registry.get(p.entity)) is not None
                               and e.country == nxt.entity), antecedent)
        if antecedent is None:
            continue
        out.append(Mention(m.start, m.end, antecedent.entity, m.type, "ref", m.text))
    found.mentions[:] = out
