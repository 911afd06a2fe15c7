"""Quantities as the text gives them: digits ("12", "1.000") or words ("due", "four"), with a unit word
after them ("divisioni" → battalion) and the components named ("piattaforme di lancio" → launchers)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .language import Language
from .text import Article


@dataclass(frozen=True)
class Quantity:
    value: int | float
    unit: str | None
    start: int  # offsets in the original text
    end: int


def parse_number(word: str, lang: Language) -> int | float | None:
    """A number written in digits (with the language's separators) or in words."""
    w = " ".join(word.split()).casefold()
    words = lang.table("numbers")
    if w in words:
        return words[w]
    thousands = str(lang.data.get("thousands_separator", ","))
    decimal = str(lang.data.get("decimal_separator", "."))
    if re.fullmatch(r"\d{1,3}(?:" + re.escape(thousands) + r"\d{3})+", w):
        return int(w.replace(thousands, ""))
    if re.fullmatch(r"\d+", w):
        return int(w)
    if re.fullmatch(r"\d+" + re.escape(decimal) + r"\d+", w):
        return float(w.replace(decimal, "."))
    return None


_NUMBER_RE: dict[str, re.Pattern[str]] = {}


def _number_regex(lang: Language) -> re.Pattern[str]:
    if lang.code not in _NUMBER_RE:
        words = sorted(lang.table("numbers"), key=len, reverse=True)
        alts = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)
        units = sorted(lang.table("units"), key=len, reverse=True)
        unit_alts = "|".join(re.escape(u).replace(r"\ ", r"\s+") for u in units)
        _NUMBER_RE[lang.code] = re.compile(
            r"(?<![\w.,-])(?P<n>\d{1,3}(?:[.,]\d{3})+|\d+(?:[.,]\d+)?|" + alts + r")(?!\w)"
            r"(?:\s*[\"'“”‘’«»]?\s*(?P<unit>" + unit_alts + r")(?!\w))?")
    return _NUMBER_RE[lang.code]


def find_quantities(article: Article, lang: Language, start: int, end: int) -> list[Quantity]:
    """Numbers in the original text between ``start`` and ``end``, each with the unit word after it."""
    f = article.f
    a, b = f.folded_at(start), f.folded_at(end)
    out = []
    for m in _number_regex(lang).finditer(f.folded, a, b):
        value = parse_number(m.group("n"), lang)
        if value is None or value <= 0:
            continue
        if re.fullmatch(r"(?:1[89]|20)\d\d", m.group("n")) and not m.group("unit"):
            continue  # a year
        unit = lang.table("units")[" ".join(m.group("unit").split())] if m.group("unit") else None
        s, e = f.original(m.start(), m.end())
        out.append(Quantity(value, unit, s, e))
    return out


def find_components(article: Article, lang: Language, start: int, end: int) -> list[str]:
    """The components the passage names (as the data file translates them), in order, once each."""
    folded = article.f.folded[article.f.folded_at(start):article.f.folded_at(end)]
    found: list[tuple[int, str]] = []
    for phrase, name in sorted(lang.table("components").items(), key=lambda kv: -len(kv[0])):
        m = re.search(r"(?<!\w)" + re.escape(phrase).replace(r"\ ", r"\s+") + r"(?!\w)", folded)
        if m and name not in [n for _, n in found]:
            found.append((m.start(), str(name)))
            folded = folded[:m.start()] + " " * (m.end() - m.start()) + folded[m.end():]
    return [n for _, n in sorted(found)]
