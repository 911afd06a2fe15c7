"""Proposing facts: each rule of the language's data file is tried at every trigger word in the text.

A rule names its trigger words, the values it sets (a status, a kind) and, for each role, the ways to
find the role's entity around the trigger (the strategies described in the data files). The code below
is the same for every language; what is specific to a fact kind — a statement's words in quotation
marks, a meeting's participants with the persons' countries, an arms transfer's quantity — is here too,
because it follows from the contract's fields, not from the language.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..entities import Registry
from ..schema import ENTITIES, FACT_TYPES
from .dates import DateMention, When
from .entities import Mention
from .language import Language, Rule, Strategy, trigger_regex
from .numbers import find_components, find_quantities
from .text import Article, Quotation, Sentence, clean, fold_phrase

C, G, P, L, W, E = "country", "organization", "person", "place", "weapon-system", "event"
#: the entity types each role takes (the SHACL shapes of ontology/shapes.ttl)
ROLE_TYPES: dict[str, dict[str, tuple[str, ...]]] = {
    "membership": {"member": (C, G), "organization": (G,)},
    "founding": {"organization": (G,), "location": (L, C)},
    "arms-transfer": {"supplier": (C, G), "recipient": (C, G), "item": (W,)},
    "meeting": {"participants": (C, G, P), "location": (L, C), "host": (C, G, P), "of": (G,), "absent": (C, G, P)},
    "agreement": {"parties": (C, G)},  # persons may be parties, but as proposals they are mostly wrong
    "statement": {"speaker": (P, G, C), "about": (C, G, P, L, W, E), "audience": (C, G, P)},
    "deployment": {"actor": (C, G, P), "location": (L, C)},
    "military-action": {"actor": (C, G, P), "target": (C, G, L, P), "location": (L, C)},
}
#: roles a proposal cannot do without (a fact without them would not validate, or would say nothing)
REQUIRED: dict[str, tuple[str, ...]] = {
    "membership": ("member", "organization"), "founding": ("organization",),
    "arms-transfer": ("supplier", "recipient", "item"), "meeting": ("participants",), "agreement": ("parties",),
    "statement": ("speaker",), "deployment": ("actor", "location"), "military-action": ("actor",),
}
#: the field that holds a fact's own date
DATE_FIELD = {"arms-transfer": "date", "meeting": "start", "agreement": "date", "statement": "date",
              "deployment": "start", "military-action": "start", "founding": "date"}
#: kinds whose date, when the text gives none, is bounded by the publication (the schema needs one)
BOUNDED = ("statement", "meeting", "arms-transfer")
WINDOW = 160  # characters a role is looked for from its trigger, by default
FIRM = ("name", "new", "city", "pair")  # mentions that name an entity outright (not an adjective, not a pronoun)


@dataclass
class Proposal:
    kind: str
    values: dict[str, Any]
    start: int
    end: int
    confidence: float
    note: str
    sentence: int
    group: int = 0  # a statement's quotation group within its sentence


@dataclass
class Context:
    """Everything the rules look at in one article."""

    article: Article
    lang: Language
    published: date
    registry: Registry
    mentions: list[Mention]
    dates: list[DateMention]
    _by_sentence: dict[int, list[Mention]] = field(default_factory=dict)
    #: the sentence of the last agreement proposed and its parties (a next sentence may go on about it)
    last_parties: tuple[int, list[Mention]] = (-9, [])
    #: by fact kind, the sentence of its last trigger and the roles found there ("Washington will send arms to
    #: Kyiv. The package includes …": the next sentence goes on about the same transfer)
    frames: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        quotes = self.article.quotations
        self.skip_until = self.article.head_end
        self.mentions = [m for m in self.mentions if m.start >= self.skip_until]
        self.dates = [d for d in self.dates if d.start >= self.skip_until]
        for m in self.mentions:
            s = self.article.sentence_at(m.start)
            self._by_sentence.setdefault(s.index, []).append(m)
        self.quoted = {m for m in self.mentions if any(q.start < m.start and m.end < q.end for q in quotes)}

    def in_sentence(self, s: Sentence) -> list[Mention]:
        return self._by_sentence.get(s.index, [])

    def inside_name(self, a: int, b: int) -> bool:
        """Whether ``[a, b)`` overlaps a name (a trigger word inside a name is no trigger)."""
        if not hasattr(self, "_names"):
            self._names = sorted((m.start, m.end) for m in self.mentions if m.how in FIRM)
            self._name_starts = [s for s, _ in self._names]
        k = bisect_left(self._name_starts, b)
        return any(s < b and a < e for s, e in self._names[max(0, k - 3):k])

    def standing_for(self, s: Sentence, types: tuple[str, ...], cities: bool = True) -> list[Mention]:
        """The sentence's mentions of entities of these types; where places (or persons) cannot stand, a city
        (or a leader) stands for its country ("Washington ha avvertito", "Mosca vuole", "Putin signed")."""
        out = []
        for m in self.in_sentence(s):
            if m.type in types:
                out.append(m)
            elif cities and m.type in ("place", "person") and "country" in types and \
                    (m.how in FIRM or (m.how == "ref" and m.type == "person")):
                e = self.registry.get(m.entity)
                if e is not None and e.country and self.entity_type(e.country) == "country":
                    # "the two leaders" stand for their two countries together, as a pair still
                    how = "pair" if m.how == "pair" else "city"
                    out.append(Mention(m.start, m.end, e.country, "country", how, m.text))
        return out

    def entity_type(self, eid: str) -> str | None:
        e = self.registry.get(eid)
        return e.type if e is not None else None


def propose(ctx: Context) -> list[Proposal]:
    """Every proposal of every rule, best first among duplicates, in text order."""
    out: list[Proposal] = []
    folded = ctx.article.f.folded
    negations = set(ctx.lang.words("negations"))
    hypothetical = trigger_regex(ctx.lang.words("hypothetical"))
    for rule in ctx.lang.rules:
        rx = _trigger_regex(rule, ctx.lang)
        if rx is None:
            continue
        for m in rx.finditer(folded):
            a, b = ctx.article.f.original(m.start(), m.end())
            if a < ctx.skip_until:
                continue
            if ctx.inside_name(a, b):
                continue  # a word of a name ("Trattato" in "Organizzazione del Trattato …")
            if _negated(folded, m.start(), negations):
                continue
            sent = ctx.article.sentence_at(a)
            if rule.kind != "statement" and hypothetical is not None and \
                    hypothetical.search(folded, ctx.article.f.folded_at(sent.start), ctx.article.f.folded_at(sent.end)):
                continue
            if rule.kind != "statement" and any(q.start < a and b < q.end for q in ctx.article.quotations):
                continue  # what someone said is the statement's, not a fact of its own
            if _unless(ctx, rule, m.start(), m.end()):
                continue  # "applied for membership", "la domanda di adesione": not what the rule means
            build = _BUILDERS.get(rule.kind, _generic)
            out += build(ctx, rule, sent, a, b)
    return _dedupe(out)


_RULE_RE: dict[int, re.Pattern[str] | None] = {}


def _trigger_regex(rule: Rule, lang: Language | None = None) -> re.Pattern[str] | None:
    if id(rule) not in _RULE_RE:
        _RULE_RE[id(rule)] = trigger_regex(rule.triggers, lang.words("fillers") if lang is not None else ())
    return _RULE_RE[id(rule)]


_UNLESS_RE: dict[int, re.Pattern[str] | None] = {}


def _unless(ctx: Context, rule: Rule, a: int, b: int) -> bool:
    """Whether one of the rule's `unless` words stands within 30 characters of the trigger (folded offsets)."""
    if id(rule) not in _UNLESS_RE:
        _UNLESS_RE[id(rule)] = trigger_regex([fold_phrase(str(w)) for w in rule.sets.get("unless") or []])
    rx = _UNLESS_RE[id(rule)]
    return rx is not None and rx.search(ctx.article.f.folded, max(0, a - 30), b + 30) is not None


def _negated(folded: str, at: int, negations: set[str]) -> bool:
    before = re.findall(r"[\w']+", folded[max(0, at - 25):at])[-2:]
    return any(w.strip("'") in negations for w in before)


# ---- finding a role's entity ------------------------------------------------------------------------

def _preceded_by(ctx: Context, m: Mention, preps: tuple[str, ...], skip_word: bool = True) -> bool:
    """Whether one of the words comes right before the name, an article ("from the United States") or one
    lower-case word ("to neighbouring Ukraine", "in northern Armenia") apart."""
    f = ctx.article.f
    at = f.folded_at(m.start)
    before = f.folded[max(0, at - 60):at].rstrip()
    if _ends_with(before, preps):
        return True
    articles = set(ctx.lang.words("articles"))
    words = list(re.finditer(r"[\w']+", before))
    skipped = 0
    while words and skipped < 2:
        w = words.pop()
        if before[w.end():].strip():
            return False  # punctuation in between
        text = ctx.article.text[f.origin[max(0, at - 60) + w.start()]:f.origin[max(0, at - 60) + w.end() - 1] + 1]
        if w.group() not in articles and (skipped or not skip_word or not text[:1].islower() or w.group() in preps):
            return False
        before = before[:w.start()].rstrip()
        skipped += 1 if w.group() not in articles else 0
        if _ends_with(before, preps):
            return True
    return False


def _ends_with(before: str, preps: tuple[str, ...]) -> bool:
    return any(before.endswith(p) and (len(before) == len(p) or not before[-len(p) - 1].isalnum()) for p in preps)


def find_role(ctx: Context, rule: Rule, role: str, sent: Sentence, a: int, b: int,
              exclude: set[str]) -> tuple[list[Mention], int]:
    """The mentions a role takes (several for a list) and which of its strategies found them (-1: none)."""
    allowed = ROLE_TYPES.get(rule.kind, {}).get(role, ())
    for k, st in enumerate(rule.roles.get(role, ())):
        types = tuple(t for t in (st.types or allowed) if t in allowed)
        found = _apply(ctx, st, types, sent, a, b, exclude, clause=rule.kind != "statement")
        if found:
            return found, k
    return [], -1


def _apply(ctx: Context, st: Strategy, types: tuple[str, ...], sent: Sentence, a: int, b: int,
           exclude: set[str], clause: bool = False) -> list[Mention]:
    window = st.window or WINDOW
    cities = st.how in ("before", "subject") or (st.how == "after" and bool(st.preps)) or \
        (st.how == "list" and st.preps in (("before",), ("after",)))
    here = [m for m in ctx.standing_for(sent, types, cities) if m.entity not in exclude and m not in ctx.quoted]
    if clause and st.how != "context":  # a fact's roles stay on the trigger's side of a semicolon (or colon)
        lo, hi = _clause(ctx, sent, a, colon=st.adjectives)
        here = [m for m in here if lo <= m.start < hi]
    if st.how in ("before", "subject") and not st.preps:
        # who acts is not where it happens: a city stands for its government as a subject ("Washington has
        # warned"), not after a preposition of place ("the U.S. embassy in New Delhi said", "sent jets to
        # Britain and destroyers to Spain")
        places = tuple(ctx.lang.words("location_prepositions")) + tuple(ctx.lang.words("target_prepositions"))
        here = [m for m in here if m.how not in ("city", "name", "new") or not _preceded_by(ctx, m, places, False)]
    kinds = ("adj",) if st.only_adjectives else (*FIRM, "ref", "adj") if st.adjectives else (*FIRM, "ref")
    if st.how == "before":
        closed = _closed_relatives(ctx, sent, a)
        c = [m for m in here if m.end <= a and a - m.end <= window and m.how in kinds
             and (not st.preps or _preceded_by(ctx, m, st.preps))
             and not any(s <= m.start < e for s, e in closed)]
        if len(c) > 1:  # "Biden, who met Tusk on Tuesday, said": the one who said is Biden
            for k in range(len(c) - 1):
                appositive = c[k] is here[0] and _opens_apposition(ctx, c[k], c[-1], a)
                if (_opens_relative(ctx, c[k].end) or appositive) and "," in ctx.article.text[c[-1].end:a]:
                    return _listed(ctx, here, c[k])
        return _listed(ctx, here, c[-1]) if c else []
    if st.how == "after":
        c = [m for m in here if m.start >= b and m.start - b <= window and m.how in kinds
             and (not st.preps or _preceded_by(ctx, m, st.preps)) and (not st.direct or _direct(ctx, b, m))]
        return _listed(ctx, here, c[0]) if c else []
    if st.how == "subject":
        c = [m for m in here if m.end <= a and m.how in kinds]
        return _listed(ctx, here, c[0]) if c else []
    if st.how == "between":
        return _enumeration(ctx, here, b, window, first_after=st.preps)
    if st.how == "demonym":
        c = [m for m in here if m.how == "adj" and m.start >= b and m.start - b <= (st.window or 40)]
        return c[:1]
    if st.how == "context":
        if types == ("weapon-system",) and not _speaks_of_weapons(ctx, sent):
            return []
        for s in range(sent.index - 1, max(-1, sent.index - 4), -1):
            c = [m for m in ctx.in_sentence(ctx.article.sentences[s]) if m.type in types and m.how in FIRM
                 and m.entity not in exclude]
            if c:
                return c[-1:]
        return []
    if st.how == "previous":
        return _previous_subject(ctx, sent, a, types, exclude, st.preps)
    if st.how == "topic":  # what the text is about: the entity named in most sentences up to here
        counts: dict[str, int] = {}
        seen: set[tuple[str, int]] = set()
        for m in ctx.mentions:
            if m.start >= a or m.type not in types or m.how not in ("name", "new", "adj", "ref") or m.entity in exclude:
                continue
            s = ctx.article.sentence_at(m.start).index
            if (m.entity, s) not in seen:
                seen.add((m.entity, s))
                counts[m.entity] = counts.get(m.entity, 0) + 1
        if not counts:
            return []
        top = max(counts.values())
        best = [e for e, n in counts.items() if n == top]
        if len(best) > 1 or top < 2:
            return []  # no one clear topic
        chosen = next(m for m in ctx.mentions if m.entity == best[0] and m.start < a)
        return [Mention(chosen.start, chosen.end, chosen.entity, chosen.type, "ref", chosen.text)]
    if st.how == "list":
        if st.preps == ("before",):
            return _enumeration_before(ctx, here, a, st.window or 40)
        if st.preps == ("after",) or st.window:
            return _enumeration(ctx, here, b, st.window or 40)
        closed = [(s, e) for s, e in _closed_relatives(ctx, sent, sent.end) if not s <= a < e]
        # a person the sentence names by pronoun or title is one of them too ("He met President Marcos")
        return _unique([m for m in here if (m.how in FIRM or (m.how == "ref" and m.type == P))
                        and not any(s <= m.start < e for s, e in closed)])
    raise ValueError(f"unknown strategy {st.how!r}")


def _previous_subject(ctx: Context, sent: Sentence, a: int, types: tuple[str, ...], exclude: set[str],
                      objects: tuple[str, ...] = ()) -> list[Mention]:
    """Who the sentence before was about, for a verb with no subject of its own ("Ha poi annunciato l'invio",
    "The package includes"): the first name of the previous sentence (with its list), the one before that if
    the previous sentence names no one either. A sentence naming anyone but a place or a target has a
    subject of its own, perhaps one the rules cannot tell ("The attack came a week after Russia fired");
    names after ``objects`` ("signed a deal with Japan") are not subjects either, nor, with ``before`` among
    them, any name after the verb ("Ha poi incontrato Macron")."""
    places = tuple(ctx.lang.words("location_prepositions")) + tuple(ctx.lang.words("target_prepositions"))
    who = ("country", "organization", "person")
    if any((m.type in who or (m.how == "city" and m.end <= a)) and not _preceded_by(ctx, m, places + objects, False)
           and (m.end <= a or "before" not in objects) for m in ctx.standing_for(sent, who) if m not in ctx.quoted):
        return []  # "Canberra will scrap a contract": a city before the verb is its subject too
    for s in range(sent.index - 1, max(-1, sent.index - 3), -1):
        before = ctx.article.sentences[s]
        if before.end <= ctx.skip_until:
            return []
        named = [m for m in ctx.standing_for(before, types) if m not in ctx.quoted and m.how in (*FIRM, "ref")]
        subjects = [m for m in named if not _preceded_by(ctx, m, places, False)]
        if subjects:
            return [m for m in _listed(ctx, named, subjects[0]) if m.entity not in exclude]
        if any(m.type in ("country", "organization", "person") for m in ctx.in_sentence(before)):
            return []  # it names someone, not of the role's types: no subject to carry over
    return []


def _direct(ctx: Context, b: int, m: Mention) -> bool:
    """Whether only articles stand between a verb and a name: its object, not a preposition's."""
    f = ctx.article.f
    between = re.findall(r"[\w']+", f.folded[f.folded_at(b):f.folded_at(m.start)])
    return all(w in ctx.lang.words("articles") for w in between)


def _listed(ctx: Context, here: list[Mention], m: Mention) -> list[Mention]:
    """The mention with the others of its list ("Roma e Parigi", "to Poland and Romania") and, for "the two
    countries", both of them."""
    if m.how == "pair":
        return [n for n in here if (n.start, n.end) == (m.start, m.end)]
    if m.how not in FIRM:
        return [m]
    firm = [n for n in here if n.how in FIRM and n.how != "pair"]
    if m not in firm:
        return [m]
    k = firm.index(m)
    lo = hi = k
    while lo > 0 and _joins(ctx, firm[lo - 1].end, firm[lo].start):
        lo -= 1
    while hi + 1 < len(firm) and _joins(ctx, firm[hi].end, firm[hi + 1].start):
        hi += 1
    return _unique(firm[lo:hi + 1])


def _closed_relatives(ctx: Context, sent: Sentence, a: int) -> list[tuple[int, int]]:
    """The relative clauses that open and close before the trigger ("The contract, which India wants to guard
    against China and Pakistan, was signed"): the names inside are not the verb's."""
    f = ctx.article.f
    lo, hi = f.folded_at(sent.start), f.folded_at(a)
    chunk = f.folded[lo:hi]
    out = []
    for marker in ctx.lang.words("relative_markers"):
        for m in re.finditer(re.escape(marker) + r"(?!\w)", chunk):
            close = chunk.find(",", m.end())
            if close >= 0:
                out.append((f.origin[lo + m.start()], f.origin[lo + close]))
    return out


def _opens_apposition(ctx: Context, subject: Mention, inner: Mention, a: int) -> bool:
    """Whether a name in commas follows the subject ("La Turchia, paese della Nato, ha fornito"): the verb's
    subject is the one before."""
    text = ctx.article.text
    return bool(re.fullmatch(r",[^,]*", text[subject.end:inner.start])) and "," in text[inner.end:a]


def _joins(ctx: Context, start: int, end: int) -> bool:
    """Whether the text between two names only joins them in a list (", ", " e ", ", and the ")."""
    connectors = set(ctx.lang.words("list_connectors")) | {",", *ctx.lang.words("articles")}
    between = ctx.article.f.folded[ctx.article.f.folded_at(start):ctx.article.f.folded_at(end)].strip()
    if not between:
        return False
    words = re.findall(r"[\w']+|,", between)
    if between in connectors or all(w in connectors for w in words):
        return True
    if len(words) == 2 and words[0] in connectors and words[1] in ctx.lang.words("place_prepositions"):
        return True  # "in Armenia e in Tagikistan": the preposition said again
    # "Vladimir Putin and North Korean leader Kim Jong Un": a title and a nationality before the next name
    return bool(words) and words[0] in connectors and all(w in connectors or w in _title_words(ctx.lang)
                                                          for w in words)


_TITLES: dict[str, set[str]] = {}


def _title_words(lang: Language) -> set[str]:
    """The words of persons' titles and of nationality adjectives."""
    if lang.code not in _TITLES:
        words = {w for t in lang.words("person_titles") for w in t.split()}
        for adjectives in (lang.data.get("demonyms") or {}).values():
            words |= {w for a in adjectives for w in re.findall(r"[\w']+", fold_phrase(str(a)))}
        _TITLES[lang.code] = words
    return _TITLES[lang.code]


def _enumeration(ctx: Context, here: list[Mention], b: int, gap: int,
                 first_after: tuple[str, ...] = ()) -> list[Mention]:
    """Names listed one after the other right after the trigger ("composta da Russia, Armenia e …"), or, with
    ``first_after``, after one of those words ("tra Russia e Kirghizistan")."""
    out: list[Mention] = []
    last = b
    for m in (m for m in here if m.start >= b and m.how in FIRM):
        if not out:
            if m.start - b > gap or (first_after and not _preceded_by(ctx, m, first_after)):
                if first_after:
                    continue
                break
        elif not _joins(ctx, last, m.start):
            break
        out.append(m)
        last = m.end
    return _unique(out) if len(out) > 1 or not first_after else []


def _enumeration_before(ctx: Context, here: list[Mention], a: int, gap: int) -> list[Mention]:
    """Names listed one after the other right before the trigger ("Egypt, Ethiopia and Iran became members")."""
    out: list[Mention] = []
    first = a
    for m in reversed([m for m in here if m.end <= a and m.how in FIRM]):
        if not out:
            if a - m.end > gap:
                break
        elif not _joins(ctx, m.end, first):
            break
        out.append(m)
        first = m.start
    return _unique(list(reversed(out)))


def _speaks_of_weapons(ctx: Context, sent: Sentence) -> bool:
    """Whether a sentence names weapons with a common noun ("the system", "i caccia"), so that the weapon
    named before is the one it means."""
    f = ctx.article.f
    words = set(re.findall(r"\w+", f.folded[f.folded_at(sent.start):f.folded_at(sent.end)]))
    return bool(words & set(ctx.lang.words_in("type_cues", "weapon-system")))


def _opens_relative(ctx: Context, end: int) -> bool:
    """Whether a relative clause starts right after a name ("Biden, who …", "L'Armenia, che …")."""
    after = ctx.article.f.folded[ctx.article.f.folded_at(end):ctx.article.f.folded_at(end) + 20]
    return any(after.startswith(marker) and not after[len(marker):len(marker) + 1].isalnum()
               for marker in ctx.lang.words("relative_markers"))


def _unique(mentions: list[Mention]) -> list[Mention]:
    seen: set[str] = set()
    out = []
    for m in mentions:
        if m.entity not in seen:
            seen.add(m.entity)
            out.append(m)
    return out


# ---- building proposals ---------------------------------------------------------------------------

@dataclass
class _Draft:
    """A proposal being built: its values, the spans that support it, its confidence so far."""

    values: dict[str, Any] = field(default_factory=dict)
    spans: list[tuple[int, int]] = field(default_factory=list)
    confidence: float = 1.0
    entities: list[Mention] = field(default_factory=list)
    found_by: dict[str, str] = field(default_factory=dict)  # role → the strategy that found it
    carried: list[str] = field(default_factory=list)  # roles taken from the sentence before


def _roles(ctx: Context, rule: Rule, sent: Sentence, a: int, b: int, d: _Draft, skip: tuple[str, ...] = ()) -> None:
    used: set[str] = set()
    for role in rule.roles:
        if role in skip:
            continue
        found, k = find_role(ctx, rule, role, sent, a, b, used)
        if not found:
            continue
        many = FACT_TYPES[rule.kind][role].kind == ENTITIES
        if not many and rule.kind == "meeting":
            found = found[:1]
        d.values[role] = [m.entity for m in found] if many or len(found) > 1 else found[0].entity
        used.update(m.entity for m in found)
        d.found_by[role] = rule.roles[role][k].how
        d.spans += [(m.start, m.end) for m in found if sent.start <= m.start < sent.end]  # the quote: one sentence
        d.entities += found
        if k > 0:
            d.confidence *= 0.9
        if any(m.how == "ref" for m in found):
            d.confidence *= 0.8
        if any(m.how == "adj" for m in found):
            d.confidence *= 0.9


def _variants(ctx: Context, rule: Rule, sent: Sentence) -> list[dict[str, Any]]:
    """One set of values per variant word found in the sentence (a status, a kind), or the rule's own."""
    plain = {k: v for k, v in rule.sets.items() if k in FACT_TYPES[rule.kind]}
    variants = rule.sets.get("variants") or {}
    if not variants:
        return [plain]
    f = ctx.article.f
    chunk = f.folded[f.folded_at(sent.start):f.folded_at(sent.end)]
    out = []
    for fieldname, values in variants.items():
        for value, words in values.items():
            rx = trigger_regex([fold_phrase(str(w)) for w in words])
            if rx is not None and rx.search(chunk):
                out.append({**plain, fieldname: value})
    return out or [plain]


def _date(ctx: Context, kind: str, sent: Sentence, a: int, b: int, d: _Draft) -> None:
    """The date nearest the trigger in its sentence (two joined by "e"/"and" make a start and an end)."""
    fieldname = DATE_FIELD.get(kind)
    if fieldname is None:
        return
    here = [x for x in ctx.dates if sent.start <= x.start and x.end <= sent.end
            and not any(q.start < x.start and x.end < q.end for q in ctx.article.quotations)]
    if here:
        best = min(here, key=lambda x: min(abs(x.start - b), abs(a - x.end)))
        _set_when(d, fieldname, best.when)
        d.spans.append((best.start, best.end))
        if kind == "meeting" and best.when.value:
            i = here.index(best)
            for j in (i - 1, i + 1):
                if 0 <= j < len(here) and here[j].when.value:
                    first, second = sorted((here[i], here[j]), key=lambda x: x.start)
                    joint = ctx.article.text[first.end:second.start].strip()
                    if (joint in ctx.lang.data.get("list_connectors", []) and first.when.value and second.when.value
                            and first.when.value < second.when.value):
                        d.values["start"], d.values["end"] = first.when.value, second.when.value
                        d.spans += [(first.start, first.end), (second.start, second.end)]
        return
    if kind in BOUNDED:
        d.values["date_before"] = ctx.published.isoformat()


def _set_when(d: _Draft, fieldname: str, when: When) -> None:
    if when.value:
        d.values[fieldname] = when.value
    else:
        if when.after:
            d.values["date_after"] = when.after
        if when.before:
            d.values["date_before"] = when.before


def _finish(ctx: Context, rule: Rule, sent: Sentence, a: int, b: int, d: _Draft) -> Proposal | None:
    if any(r not in d.values for r in REQUIRED.get(rule.kind, ())):
        return None
    if rule.kind == "military-action" and not ("target" in d.values or "location" in d.values):
        return None
    start = min([a, *(s for s, _ in d.spans)])
    end = max([b, *(e for _, e in d.spans)])
    start, end = _word_bounds(ctx.article.text, start, end, sent)
    trigger = clean(ctx.article.text[a:b])
    if any(m.how == "new" for m in d.entities):
        d.confidence *= 0.9
    carried = f"; {', '.join(d.carried)} from the sentence before" if d.carried else ""
    return Proposal(rule.kind, d.values, start, end, round(max(0.05, min(1.0, rule.confidence * d.confidence)), 2),
                    f"{rule.name} (trigger “{trigger}”{carried})", sent.index)


def _word_bounds(text: str, start: int, end: int, sent: Sentence) -> tuple[int, int]:
    while start > sent.start and (text[start - 1].isalnum()):
        start -= 1
    while end < sent.end and text[end].isalnum():
        end += 1
    return start, end


def _generic(ctx: Context, rule: Rule, sent: Sentence, a: int, b: int) -> list[Proposal]:
    out = []
    for values in _variants(ctx, rule, sent):
        d = _Draft(values=dict(values))
        _roles(ctx, rule, sent, a, b, d)
        if not _carry(ctx, rule, sent, d):
            continue
        _date(ctx, rule.kind, sent, a, b, d)
        for one in _one_each(rule.kind, d.values):
            p = _finish(ctx, rule, sent, a, b, _Draft(one, d.spans, d.confidence, d.entities, carried=d.carried))
            if p is not None:
                out.append(p)
    return out


#: strategies that only guess a role (the text's topic, the previous sentence's subject): a role the sentence
#: before gave for the same kind of fact is a better guess
_GUESSES = ("topic", "previous")
#: the roles a fact may take from the same kind of fact in the sentence before: who acts, not where or what
CARRIED = {"arms-transfer": ("supplier", "recipient"), "deployment": ("actor",), "military-action": ("actor",)}


def _carry(ctx: Context, rule: Rule, sent: Sentence, d: _Draft) -> bool:
    """Fill the roles a trigger's sentence leaves open from the same kind of fact in the sentence before ("The
    package includes 31 Abrams tanks": who sends them to whom, the sentence before said), and remember this
    sentence's roles for the next. False when a rule that only continues (`continues: true`) has nothing to
    continue."""
    kind = rule.kind
    if kind not in CARRIED:
        return True
    own = {r: v for r, v in d.values.items() if r in ROLE_TYPES[kind] and d.found_by.get(r) not in _GUESSES}
    frame = ctx.frames.get(kind)
    if frame is not None and sent.index - frame[0] == 1 and own and not _unexplained(ctx, sent, d, frame[1]):
        for role, value in frame[1].items():
            if role not in own and value not in own.values():
                d.values[role] = value
                d.carried.append(role)
        if d.carried:
            d.confidence *= 0.8
    if own and (frame is None or frame[0] != sent.index or len(own) >= len(frame[1])):
        ctx.frames[kind] = (sent.index, {r: d.values[r] for r in CARRIED[kind] if r in d.values})
    return bool(d.carried) or not rule.sets.get("continues")


def _unexplained(ctx: Context, sent: Sentence, d: _Draft, frame: dict[str, Any]) -> bool:
    """Whether the sentence names a state, an organisation or a person neither the roles found nor the sentence
    before account for (not as a place or a target): then it may be about someone else, and nothing is carried
    into it."""
    places = tuple(ctx.lang.words("location_prepositions")) + tuple(ctx.lang.words("target_prepositions"))
    taken: set[Any] = {m.entity for m in d.entities} | {(m.start, m.end) for m in d.entities}
    carried = {e for v in frame.values() for e in (v if isinstance(v, list) else [v])}  # by a pronoun ("It includes")
    return any(m.type in (C, G, P) and m.entity not in taken and (m.start, m.end) not in taken
               and _country_of(ctx, m) not in taken and not (m.how == "ref" and m.entity in carried)
               and not _preceded_by(ctx, m, places, False)
               for m in ctx.in_sentence(sent) if m not in ctx.quoted)


def _country_of(ctx: Context, m: Mention) -> str | None:
    e = ctx.registry.get(m.entity)
    return e.country if e is not None and e.country else None


def _one_each(kind: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    """One set of values for each entity of a list found for a role that takes one ("sent troops to Poland and
    Romania": two deployments)."""
    out = [values]
    for role, spec in FACT_TYPES[kind].items():
        if spec.kind == "entity" and isinstance(values.get(role), list):
            out = [{**v, role: e} for v in out for e in values[role]]
    return out


def _membership(ctx: Context, rule: Rule, sent: Sentence, a: int, b: int) -> list[Proposal]:
    out = []
    for p in _generic(ctx, rule, sent, a, b):
        members = p.values["member"] if isinstance(p.values["member"], list) else [p.values["member"]]
        for member in members:
            out.append(Proposal(p.kind, {**p.values, "member": member}, p.start, p.end, p.confidence, p.note,
                                p.sentence))
    return out


def _founding(ctx: Context, rule: Rule, sent: Sentence, a: int, b: int) -> list[Proposal]:
    return [p for p in _generic(ctx, rule, sent, a, b)
            if any(k in p.values for k in ("date", "date_before", "date_after"))]


def _arms_transfer(ctx: Context, rule: Rule, sent: Sentence, a: int, b: int) -> list[Proposal]:
    out = []
    for p in _also_listed_items(ctx, sent, a, b, _generic(ctx, rule, sent, a, b)):
        item = next((m for m in ctx.in_sentence(sent) if m.entity == p.values["item"]), None)
        if item is None:  # the weapon the sentence before named ("il sistema"): its quantity is not here
            out.append(p)
            continue
        lo, hi = min(a, item.start), max(b, item.end)
        quantities = [q for q in find_quantities(ctx.article, ctx.lang, lo, hi) if q.end <= item.start]
        if quantities:
            q = quantities[-1]
            p.values["quantity"] = q.value
            if q.unit:
                p.values["unit"] = q.unit
        components = find_components(ctx.article, ctx.lang, item.end, sent.end)
        if components:
            p.values["components"] = components
        out.append(p)
    return out


def _also_listed_items(ctx: Context, sent: Sentence, a: int, b: int, found: list[Proposal]) -> list[Proposal]:
    """Each weapon named with the item on the same side of the trigger ("10 K2 tanks and 24 K9 howitzers"),
    supplied by the same and to the same: a transfer of its own."""
    out = list(found)
    weapons = [m for m in ctx.in_sentence(sent) if m.type == "weapon-system" and m.how in FIRM]
    for p in found:
        item = next(m for m in weapons if m.entity == p.values["item"]) if any(
            m.entity == p.values["item"] for m in weapons) else None
        if item is None:
            continue
        after = item.start >= b
        for m in weapons:
            if m.entity == item.entity or (m.start >= b) != after or abs(m.start - item.start) > 100 or \
                    re.search(r"[;:]", ctx.article.text[min(m.end, item.end):max(m.start, item.start)]):
                continue
            if not any(q.values["item"] == m.entity and q.values["supplier"] == p.values["supplier"] for q in out):
                out.append(Proposal(p.kind, {**p.values, "item": m.entity}, p.start, max(p.end, m.end),
                                    round(p.confidence * 0.9, 2), p.note, p.sentence))
    return out


def _meeting(ctx: Context, rule: Rule, sent: Sentence, a: int, b: int) -> list[Proposal]:
    out = []
    for values in _variants(ctx, rule, sent):
        d = _Draft(values=dict(values))
        _roles(ctx, rule, sent, a, b, d, skip=("participants",))
        taken = {v for k, v in d.values.items() if k in ("location", "host", "of") and isinstance(v, str)}
        found, _ = find_role(ctx, rule, "participants", sent, a, b, taken)
        lo, hi = _clause(ctx, sent, a)
        found = [m for m in found if lo <= m.start < hi]
        persons = [m for m in found if m.type == "person"]
        if persons:  # the people who met, not the countries their titles name
            found = list(persons)
        if len({m.entity for m in persons}) > 2:
            found = _who_met(ctx, rule, sent, a, b, persons)
        theirs = {e.country for m in found if (e := ctx.registry.get(m.entity)) is not None and e.country}
        found += _counterparts(ctx, sent, lo, hi, taken | theirs | {m.entity for m in found})
        if found:  # "Ha poi incontrato Macron": who met him, the sentence before said
            earlier = _previous_role(ctx, rule, "participants", sent, a, found)
            found = [*earlier, *found]
            d.confidence *= 0.8 if earlier else 1.0
        people = list(dict.fromkeys(m.entity for m in found))
        if not any(m.type == "person" for m in found) and not isinstance(d.values.get("of"), str):
            continue  # countries named near a meeting word, no one who met: seldom a meeting of theirs
        if not people and isinstance(d.values.get("of"), str):
            people = [d.values["of"]]  # "a virtual summit of the alliance": the body that met
            d.confidence *= 0.8
        elif len(people) < 2:
            continue
        d.values["participants"] = people
        d.spans += [(m.start, m.end) for m in found if sent.start <= m.start < sent.end]
        d.entities += found
        _date(ctx, "meeting", sent, a, b, d)
        p = _finish(ctx, rule, sent, a, b, d)
        if p is not None:
            out.append(p)
    return out


def _clause(ctx: Context, sent: Sentence, a: int, colon: bool = True) -> tuple[int, int]:
    """The part of the sentence between semicolons (and colons) around an offset."""
    text = ctx.article.text
    marks = ";:" if colon else ";"
    lo = max(text.rfind(c, sent.start, a) for c in marks)
    his = [i for i in (text.find(c, a, sent.end) for c in marks) if i >= 0]
    return (lo + 1 if lo >= 0 else sent.start), (min(his) if his else sent.end)


def _counterparts(ctx: Context, sent: Sentence, lo: int, hi: int, taken: set[str]) -> list[Mention]:
    """"Their Philippine counterparts", "il collega francese": the country of people the text does not name."""
    words = ctx.lang.words("counterparts")
    if not words:
        return []
    rx = trigger_regex(words)
    f = ctx.article.f
    out = []
    for m in ctx.in_sentence(sent):
        if m.how != "adj" or not lo <= m.start < hi or m.entity in taken or m.type != "country":
            continue
        near = f.folded[f.folded_at(max(lo, m.start - 25)):f.folded_at(min(hi, m.end + 25))]
        at = f.folded_at(m.start) - f.folded_at(max(lo, m.start - 25))
        size = f.folded_at(m.end) - f.folded_at(m.start)
        if rx is not None and any(w.end() >= at - 2 and w.start() <= at + size + 2 for w in rx.finditer(near)):
            out.append(m)
    return out


def _who_met(ctx: Context, rule: Rule, sent: Sentence, a: int, b: int, persons: list[Mention]) -> list[Mention]:
    """Of many people in a sentence, those of this meeting: the ones named after its word up to the next
    meeting word, with the sentence's subject ("X was received by Y, after talks with Z": X–Y, X–Z)."""
    rx = _trigger_regex(rule, ctx.lang)
    f = ctx.article.f
    nxt = sent.end
    if rx is not None:
        for m in rx.finditer(f.folded, f.folded_at(b), f.folded_at(sent.end)):
            start = f.original(m.start(), m.end())[0]
            if start >= b and not ctx.inside_name(start, start + 1):
                nxt = start
                break
    after = [m for m in persons if b <= m.start < nxt]
    chosen = _unique([persons[0], *after]) if after else []
    return chosen if len(chosen) >= 2 else persons


def _agreement(ctx: Context, rule: Rule, sent: Sentence, a: int, b: int) -> list[Proposal]:
    parties: list[Mention] = []
    allowed = ROLE_TYPES["agreement"]["parties"]
    for st in rule.roles.get("parties", ()):  # every way adds its parties: "X signed … with Y"
        if st.how == "previous":
            continue  # only for a sentence that names too few parties (below)
        types = tuple(t for t in (st.types or allowed) if t in allowed)
        found = _apply(ctx, st, types, sent, a, b, {m.entity for m in parties}, clause=True)
        if st.how == "list" and len(found) < 2:
            continue  # a list of one is the next way's to find
        parties += found
        if st.how == "list":
            break  # "Armenia, Azerbaigian e Russia hanno firmato": the list is the parties
    parties = _unique(parties)
    at_least = int(rule.sets.get("parties_at_least", 2))  # 1: a decision an organisation's members took
    if at_least == 1 and len(parties) == 1:  # "Israel and Hamas agreed": not the organisation alone
        every = ctx.standing_for(sent, allowed, cities=True)
        parties = _listed(ctx, every, parties[0]) if parties[0] in every else parties
    earlier: list[Mention] = []
    if len(parties) < 2:  # "Ha poi firmato un accordo con il Giappone": who signed, the sentence before said
        earlier = _previous_role(ctx, rule, "parties", sent, a, parties)
        parties = _unique([*earlier, *parties])
    carried = False
    dated = any(sent.start <= x.start < sent.end for x in ctx.dates)
    if len(parties) < 2 and ctx.last_parties[0] == sent.index - 1 and dated:
        # "Poland signed agreements with Seoul in July. Contracts followed in August": the same parties (a
        # sentence with a date of its own: another event, not the same one told again)
        parties = _unique([*ctx.last_parties[1], *parties])
        carried = True
    if len(parties) < at_least:
        return []
    if not carried:
        ctx.last_parties = (sent.index, parties)
    out = []
    subject = _subject(ctx, sent, a)
    for values in _variants(ctx, rule, sent):
        d = _Draft(values={**values, "parties": [m.entity for m in parties], "subject": subject},
                   confidence=0.8 if carried or earlier else 1.0)
        d.spans += [(m.start, m.end) for m in parties if sent.start <= m.start < sent.end]
        d.entities += parties
        _date(ctx, "agreement", sent, a, b, d)
        p = _finish(ctx, rule, sent, a, b, d)
        if p is not None:
            out.append(p)
    return out


def _previous_role(ctx: Context, rule: Rule, role: str, sent: Sentence, a: int,
                   taken: list[Mention]) -> list[Mention]:
    """What the rule's `previous` ways find for a role of a sentence without a subject of its own."""
    allowed = ROLE_TYPES[rule.kind][role]
    for st in (st for st in rule.roles.get(role, ()) if st.how == "previous"):
        types = tuple(t for t in (st.types or allowed) if t in allowed)
        found = _previous_subject(ctx, sent, a, types, {m.entity for m in taken}, st.preps)
        if found:
            return found
    return []


def _subject(ctx: Context, sent: Sentence, a: int) -> str:
    """What an agreement is about: the words from its trigger to the end of their clause."""
    rest = ctx.article.text[a:sent.end]
    cut = re.split(r"[,;:.(“”\"]", rest, maxsplit=1)[0]
    return clean(cut[:160]) or clean(rest[:160])


def _statement(ctx: Context, rule: Rule, sent: Sentence, a: int, b: int) -> list[Proposal]:
    text = ctx.article.text
    quotes = [q for q in ctx.article.quotations if q.start < sent.end and q.end > sent.start and len(q.inner) > 12]
    opener = re.match(r"[\w']+", ctx.article.f.folded[ctx.article.f.folded_at(sent.start):])
    inverted = (opener is not None and opener.group() in ctx.lang.words("inversion_openers")
                and not _person_before(ctx, sent, a)) or \
        any(q.end <= a and re.fullmatch(r"[\s,–—-]*", text[q.end:a]) for q in quotes) or \
        (bool(re.search(r",\s*$", text[sent.start:a])) and not _person_before(ctx, sent, a)
         and (_speaker_closes(ctx, sent, b) or _speaker_next(ctx, sent, b)))
    d = _Draft(values={k: v for k, v in rule.sets.items() if k != "variants"})
    strategies = list(rule.roles.get("speaker", ()))
    if inverted:
        strategies.sort(key=lambda st: st.how != "after")
    elif any(st.how != "after" for st in strategies):
        # "Western officials say hundreds of Wagner fighters …": who is named after the verb did not say it
        strategies = [st for st in strategies if st.how != "after"]
    ordered = Rule(rule.kind, rule.triggers, rule.sets, {"speaker": tuple(strategies)}, rule.confidence, rule.name)
    found, k = find_role(ctx, ordered, "speaker", sent, a, b, set())
    if not found or found[0].how == "pair":
        return []  # "the two countries said": no one speaker
    speaker = found[0]
    others = [m for m in found[1:] if m.how in FIRM and m.how != "pair"
              and (m.type == speaker.type == "person" or min(abs(m.start - b), abs(a - m.end)) <= 40)]
    d.values["speaker"] = speaker.entity
    d.confidence *= 0.9 if k > 0 else 1.0
    d.confidence *= 0.8 if speaker.how == "ref" else 1.0
    d.entities.append(speaker)
    groups = _quote_groups(ctx, quotes)
    out = []
    if not groups and inverted and speaker.start >= b:  # "…, ha annunciato Putin": what comes before the comma
        said = clean(text[sent.start:a]).rstrip(",").strip()
        groups_spans: list[tuple[str, int, int, list[Quotation]]] = [(said, sent.start, speaker.end, [])]
    elif not groups and speaker.end <= a and re.search(r",\s*$", text[sent.start:speaker.start]) and \
            re.fullmatch(r"[\s\w.'’-]*", text[speaker.end:a]) and speaker.start - sent.start > 15:
        # "Australia will buy Tomahawks from the United States, Morrison said": what comes before the comma
        said = clean(text[sent.start:speaker.start]).rstrip(",").strip()
        groups_spans = [(said, sent.start, b, [])]
    elif not groups:
        said = _reported(ctx, sent, b)
        if not said:
            return []
        groups_spans = [(said, b, sent.end, [])]
    else:
        groups_spans = [(" ".join(q.inner for q in g), g[0].start if i else min(g[0].start, speaker.start, a),
                         g[-1].end if i else max(g[-1].end, speaker.end, b), g) for i, g in enumerate(groups)]
    for n, (said, start, end, _) in enumerate(groups_spans):
        g = _Draft(values={**d.values, "text": said}, confidence=d.confidence, entities=list(d.entities))
        about = [m.entity for m in ctx.mentions if start <= m.start and m.end <= end and m.how in FIRM
                 and m.entity != speaker.entity]
        if about:
            g.values["about"] = list(dict.fromkeys(about))
        g.spans = [(start, end), (speaker.start, speaker.end)]
        _date(ctx, "statement", sent, a, b, g)
        p = _finish(ctx, rule, sent, a, b, g)
        if p is not None:
            p.group = n
            out.append(p)
    for m in others:  # "lo hanno annunciato i premier X e Y": the same words, said by each
        out += [Proposal(p.kind, {**p.values, "speaker": m.entity}, min(p.start, m.start), max(p.end, m.end),
                         p.confidence, p.note, p.sentence, p.group)
                for p in list(out) if p.values["speaker"] == speaker.entity]
    return out


def _person_before(ctx: Context, sent: Sentence, a: int) -> bool:
    """Whether a person is named in the sentence before the verb ("Kim, arrived by train, invited Putin")."""
    return any(m.type == "person" and m.end <= a and m.how in FIRM and m.how != "pair" for m in ctx.in_sentence(sent))


def _speaker_next(ctx: Context, sent: Sentence, b: int) -> bool:
    """Whether a person is named right after the verb ("…, ha annunciato ieri Vladimir Putin intervenendo")."""
    before = [m for m in ctx.in_sentence(sent) if m.type == "person" and m.end <= b and m.how in FIRM]
    return not before and any(m.type == "person" and m.how in (*FIRM, "ref") and 0 <= m.start - b <= 20
               and re.fullmatch(r"[^\W\d]*(?:\s+[^\W\d]+)*\s*", ctx.article.text[b:m.start])
               and not ctx.article.text[b:m.start].strip()[:1].isupper()
               for m in ctx.in_sentence(sent))


def _speaker_closes(ctx: Context, sent: Sentence, b: int) -> bool:
    """Whether the verb is followed by its speaker and the clause ends there ("…, ha annunciato Putin.")."""
    after = [m for m in ctx.in_sentence(sent) if m.start >= b and m.start - b <= 60 and m.how in (*FIRM, "ref")
             and m.type in ("person", "organization", "country")]
    return bool(after) and bool(re.fullmatch(r"\W*|\s*,.*|\s*\W?\s*(?:\w+\s*){0,4}[.,;:]?\s*",
                                            ctx.article.text[after[-1].end:sent.end][:200], re.DOTALL))


def _quote_groups(ctx: Context, quotes: list[Quotation]) -> list[list[Quotation]]:
    """Quotations of one sentence: one utterance unless a connector ("e come", "and that") starts another."""
    splits = ctx.lang.words("statement_split")
    groups: list[list[Quotation]] = []
    for q in quotes:
        if groups:
            between = ctx.article.f.folded[ctx.article.f.folded_at(groups[-1][-1].end):ctx.article.f.folded_at(q.start)]
            if not any(re.search(r"(?<!\w)" + re.escape(s) + r"(?!\w)", between) for s in splits):
                groups[-1].append(q)
                continue
        groups.append([q])
    return groups


def _reported(ctx: Context, sent: Sentence, b: int) -> str:
    """Reported speech: the clause after the verb ("ha reso noto che …"), without its opening "che"."""
    rest = ctx.article.text[b:sent.end]
    m = re.match(r"\s*(?:\w+\s+){0,3}?(?:" + "|".join(re.escape(w) for w in ctx.lang.words("that") or ["che"])
                 + r")\s+(.+)", rest, re.IGNORECASE | re.DOTALL)
    said = m.group(1) if m else rest
    said = clean(said).rstrip(".")
    return said if len(said) >= 10 else ""


def _dedupe(proposals: list[Proposal]) -> list[Proposal]:
    best: dict[tuple, Proposal] = {}
    for p in proposals:
        key = _key(p)
        if key not in best or p.confidence > best[key].confidence:
            best[key] = p
    out = sorted(best.values(), key=lambda p: (p.start, p.kind))
    met: list[Proposal] = []
    kept = []
    for p in out:  # "Putin visited Pyongyang … The two leaders held talks": one meeting told twice
        if p.kind == "meeting" and any(q.kind == "meeting" and q.sentence == p.sentence and
                                       set(p.values["participants"]) < set(q.values["participants"]) for q in out):
            continue  # "Ha incontrato Mattarella e Meloni", said of Macron: the meeting with him in it
        if p.kind == "meeting":
            same = [q for q in met if set(q.values["participants"]) == set(p.values["participants"])
                    and 0 < p.sentence - q.sentence <= 2
                    and (q.values.get("start") is None or p.values.get("start") in (None, q.values.get("start")))]
            met.append(p)
            if same:
                continue
        kept.append(p)
    return kept


def _key(p: Proposal) -> tuple:
    v = p.values

    def s(x: Any) -> Any:
        return tuple(sorted(x)) if isinstance(x, list) else x

    if p.kind == "membership":
        return p.kind, v["member"], v["organization"], v.get("status")
    if p.kind == "arms-transfer":
        return p.kind, v["supplier"], v["recipient"], v["item"]
    if p.kind == "deployment":
        return p.kind, s(v["actor"]), v["location"]
    if p.kind == "founding":
        return p.kind, v["organization"]
    if p.kind == "military-action":
        return p.kind, s(v["actor"]), p.sentence
    if p.kind == "meeting":
        return p.kind, s(v["participants"]), p.sentence
    if p.kind == "agreement":
        return p.kind, s(v["parties"]), v.get("status"), p.sentence
    return p.kind, v.get("speaker"), p.sentence, p.group


_BUILDERS = {"membership": _membership, "founding": _founding, "arms-transfer": _arms_transfer,
             "meeting": _meeting, "agreement": _agreement, "statement": _statement}
