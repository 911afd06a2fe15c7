"""Dates in an article's text, resolved against its publication date.

"20 febbraio 2023" and "4 April 2023" are absolute; "martedì", "ieri", "lo scorso giugno", "on Thursday",
"last month" count from the publication date; "il mese successivo", "three days earlier" from the date the
text named last. A date is kept at the precision the text gives (2022, 2022-02, 2022-02-03); where only a
bound is known ("di recente", "recently") it is a bound: the fact gets `date_before` / `date_after`.
The words and the templates that combine them are the language's (``date_patterns`` in its data file).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from .language import Language
from .text import Article

_FIELD = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class When:
    """A resolved date: ``value`` at its precision, or only bounds (``after`` / ``before``)."""

    value: str | None = None
    after: str | None = None
    before: str | None = None

    @property
    def first_day(self) -> date | None:
        if self.value is None:
            return None
        parts = [int(p) for p in self.value.split("-")]
        return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)

    @property
    def precision(self) -> str:
        return {1: "year", 2: "month", 3: "day"}[len(self.value.split("-"))] if self.value else "day"


@dataclass(frozen=True)
class DateMention:
    start: int  # offsets in the original text
    end: int
    when: When
    text: str


def iso(d: date, precision: str) -> str:
    if precision == "year":
        return f"{d.year:04d}"
    if precision == "month":
        return f"{d.year:04d}-{d.month:02d}"
    return d.isoformat()


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 + n, 12)
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def shift(d: date, n: int, span: str) -> date:
    if span == "day":
        return d + timedelta(days=n)
    if span == "week":
        return d + timedelta(weeks=n)
    if span == "month":
        return add_months(d, n)
    return add_months(d, 12 * n)


_PRECISION = {"day": "day", "week": "day", "month": "month", "year": "year"}
_ORDER = ("year", "month", "day")


def coarser(a: str, b: str) -> str:
    return a if _ORDER.index(a) < _ORDER.index(b) else b


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    resolve: str


_COMPILED: dict[str, tuple[_Pattern, ...]] = {}


def _patterns(lang: Language) -> tuple[_Pattern, ...]:
    """The language's date templates, compiled once."""
    if lang.code not in _COMPILED:
        _COMPILED[lang.code] = _compile(lang)
    return _COMPILED[lang.code]


def _compile(lang: Language) -> tuple[_Pattern, ...]:
    alternatives = {
        "month": lang.table("months"), "month_abbr": lang.table("month_abbreviations"),
        "weekday": lang.table("weekdays"), "relday": lang.table("relative_days"), "span": lang.table("spans"),
        "last": lang.words("last"), "next": lang.words("next"), "this": lang.words("this"), "ago": lang.words("ago"),
        "earlier": lang.words("earlier"), "later": lang.words("later"), "recently": lang.words("recently"),
    }
    numbers = list(lang.table("numbers"))
    groups = {
        "day": r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|°|o)?",
        "year": r"(?P<year>(?:1[89]|20)\d\d)",
        "number": r"(?P<number>\d{1,3}|" + _alternation(numbers) + ")",
    }
    for name, words in alternatives.items():
        groups[name] = f"(?P<{name}>{_alternation(list(words))})"
    out = []
    for item in lang.data.get("date_patterns") or []:
        template = str(item["pattern"])
        body = template.replace(".", r"\.").replace("'", r"'\s*").replace(" ", r"(?:(?<=')|\s+)")
        body = _FIELD.sub(lambda m: groups[m.group(1)], body)
        out.append(_Pattern(re.compile(r"(?<![\w'])" + body + r"(?!\w)"), str(item["resolve"])))
    return tuple(out)


def _alternation(words: list[str]) -> str:
    words = sorted({w for w in words if w}, key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"\s+").replace("'", r"'\s*") for w in words) or "(?!)"


def find_dates(article: Article, lang: Language, published: date) -> list[DateMention]:
    """Every date the text names, in order, resolved (relative ones against the publication date, or the
    date named before them)."""
    folded = article.f.folded
    candidates = []
    for order, p in enumerate(_patterns(lang)):
        for m in p.regex.finditer(folded):
            candidates.append((m.start(), -(m.end() - m.start()), order, m, p.resolve))
    chosen: list[tuple[int, int, re.Match[str], str]] = []
    taken: list[tuple[int, int]] = []
    for start, neg_len, _, m, how in sorted(candidates, key=lambda c: (c[1], c[0], c[2])):
        end = start - neg_len
        if any(start < b and a < end for a, b in taken):
            continue
        taken.append((start, end))
        chosen.append((start, end, m, how))
    chosen.sort(key=lambda c: c[0])
    out: list[DateMention] = []
    anchor: When | None = None
    for start, end, m, how in chosen:
        when = _resolve(how, m, lang, published, anchor)
        if when is None:
            continue
        a, b = article.f.original(start, end)
        out.append(DateMention(a, b, when, article.text[a:b]))
        if when.value is not None:
            anchor = when
    return out


def _number(m: re.Match[str], lang: Language) -> int:
    raw = m.group("number")
    return int(raw) if raw.isdigit() else int(lang.table("numbers")[" ".join(raw.split())])


def _resolve(how: str, m: re.Match[str], lang: Language, pub: date, anchor: When | None) -> When | None:
    g = m.groupdict()

    def month() -> int:
        if g.get("month"):
            return int(lang.table("months")[g["month"]])
        return int(lang.table("month_abbreviations")[g["month_abbr"]])

    def span() -> str:
        return str(lang.table("spans")[" ".join(g["span"].split())])

    try:
        if how == "absolute":
            if g.get("month") is None and g.get("month_abbr") is None:
                return When(g["year"])
            mo = month()
            if g.get("day") is None:
                if g.get("year"):
                    return When(f"{int(g['year']):04d}-{mo:02d}")
                return _month(mo, pub, 0)
            d = int(g["day"])
            if g.get("year"):
                return When(date(int(g["year"]), mo, d).isoformat())
            year = pub.year if (mo, d) <= (pub.month, pub.day) else pub.year - 1
            return When(date(year, mo, d).isoformat())
        if how in ("month", "month_last", "month_next"):
            return _month(month(), pub, {"month": 0, "month_last": -1, "month_next": 1}[how])
        if how == "relative_day":
            return When((pub + timedelta(days=int(lang.table("relative_days")[" ".join(g["relday"].split())])))
                        .isoformat())
        if how.startswith("weekday"):
            wd = int(lang.table("weekdays")[g["weekday"]])
            back = (pub.weekday() - wd) % 7
            if how == "weekday_last" and back == 0:
                back = 7
            if how == "weekday_next":
                return When((pub + timedelta(days=(wd - pub.weekday()) % 7 or 7)).isoformat())
            return When((pub - timedelta(days=back)).isoformat())
        if how == "ago":
            s = span()
            return When(iso(shift(pub, -_number(m, lang), s), _PRECISION[s]))
        if how in ("anchor_before", "anchor_after", "anchor_next", "anchor_previous"):
            s = span()
            base = anchor or When(pub.isoformat())
            n = _number(m, lang) if how in ("anchor_before", "anchor_after") else 1
            sign = -1 if how in ("anchor_before", "anchor_previous") else 1
            first = base.first_day
            assert first is not None
            return When(iso(shift(first, sign * n, s), coarser(base.precision, _PRECISION[s])))
        if how in ("span_last", "span_next", "span_this"):
            s = span()
            n = {"span_last": -1, "span_next": 1, "span_this": 0}[how]
            if s == "week":
                monday = pub - timedelta(days=pub.weekday()) + timedelta(weeks=n)
                return When(after=(monday - timedelta(days=1)).isoformat(),
                            before=(monday + timedelta(days=7)).isoformat())
            return When(iso(shift(pub, n, s), _PRECISION[s]))
        if how == "recently":
            return When(before=pub.isoformat())
    except (KeyError, ValueError):  # a day that is no calendar day ("31 febbraio"), a word the tables lack
        return None
    raise ValueError(f"unknown date resolver {how!r} in the {lang.code} data file")


def _month(mo: int, pub: date, direction: int) -> When:
    """A month named without its year: the last one up to the publication (direction 0), the last one before
    the publication month (-1), or the next one after it (+1)."""
    if direction == 0:
        year = pub.year if mo <= pub.month else pub.year - 1
    elif direction < 0:
        year = pub.year if mo < pub.month else pub.year - 1
    else:
        year = pub.year if mo > pub.month else pub.year + 1
    return When(f"{year:04d}-{mo:02d}")
