"""An article's text as the drafter reads it: folded for matching, cut into sentences, its quotations found.

Matching is done on a folded copy (lower case, no accents, typographic apostrophes as ') so that
"TAGIKISTAN", "Tagikistan" and "Tagìkistan" agree; every folded character remembers where it came from,
so that what is proposed — a quote, a name — is always a slice of the original text, verbatim.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cached_property

from ..folding import fold

# letters whose difference NFKD keeps in the base letter; apostrophes and dashes of every kind as ASCII
_LETTERS = {"ø": "o", "đ": "d", "ł": "l", "ħ": "h", "ı": "i", "œ": "oe", "æ": "ae", "þ": "th", "ð": "d",
            "ŋ": "n", "ʼ": "'", "’": "'", "‘": "'", "`": "'", "´": "'", "‐": "-", "‑": "-", "–": "-", "—": "-"}
WORD = re.compile(r"[^\W_]+")
SPACE = re.compile(r"\s+")


def fold_char(c: str) -> str:
    """One character folded: lower case, no diacritics, ASCII apostrophes and hyphens, white space as ' '."""
    if c.isspace():
        return " "
    if c in _LETTERS:
        return _LETTERS[c]
    low = c.casefold()
    if low.isascii():
        return low
    bare = "".join(x for x in unicodedata.normalize("NFKD", low) if not unicodedata.combining(x))
    return "".join(_LETTERS.get(x, x) for x in bare)


def fold_phrase(phrase: str) -> str:
    """A word or phrase of the language data, folded as the text is (single spaces, no accents)."""
    return SPACE.sub(" ", "".join(fold_char(c) for c in fold(phrase))).strip()


class Folded:
    """The folded text with, for each of its characters, the offset of the original one."""

    def __init__(self, text: str):
        self.text = text
        out: list[str] = []
        origin: list[int] = []
        for i, c in enumerate(text):
            f = fold_char(c)
            if f == " " and out and out[-1] == " ":
                continue
            out.append(f)
            origin.extend([i] * len(f))
        self.folded = "".join(out)
        origin.append(len(text))
        self.origin = origin

    def original(self, start: int, end: int) -> tuple[int, int]:
        """Original offsets of the folded slice ``[start, end)``."""
        if start >= end:
            o = self.origin[start]
            return o, o
        return self.origin[start], self.origin[end - 1] + 1

    def folded_at(self, original: int) -> int:
        """The folded offset of an original offset (the first folded character at or after it)."""
        return bisect_left(self.origin, original)


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    index: int


@dataclass(frozen=True)
class Quotation:
    """A passage in quotation marks: ``start``/``end`` include the marks, ``inner`` is what was said."""

    start: int
    end: int
    inner: str


#: a dateline: up to 80 characters, the agency in brackets, a dash ("MOSCOW (AP) —", "Roma, 22 nov. (askanews) –")
DATELINE = re.compile(r"^[^\n]{0,80}?\(([^()\n]{2,40})\)\s*[-–—]\s*")
#: a dateline without an agency: a city in capitals, perhaps a date, a dash ("ANKARA, 12 LUG -")
CITY_DATELINE = re.compile(r"^[A-ZÀ-Þ][A-ZÀ-Þ .'/-]{2,40}(?:,[^\n\-–—]{0,30})?\s[-–—]\s*")

_OPEN_CLOSE = {"“": "”", "«": "»", "„": "“"}
_CLOSERS = "”»’\"')]"


class Article:
    """The text, folded, in sentences, with its quotations."""

    def __init__(self, text: str, abbreviations: list[str]):
        self.text = text
        self.f = Folded(text)
        self._abbrev = set(abbreviations)

    @cached_property
    def sentences(self) -> list[Sentence]:
        out: list[Sentence] = []
        for line in re.finditer(r"[^\n]+", self.text):
            start = line.start()
            depth = 0
            s = line.group()
            for i, c in enumerate(s):
                if c in "“«":
                    depth += 1
                elif c in "”»" and depth:
                    depth -= 1
                if c not in ".!?…" or depth:
                    continue
                j = i + 1
                while j < len(s) and s[j] in _CLOSERS:
                    j += 1
                if j >= len(s) or not s[j].isspace():
                    continue
                k = j
                while k < len(s) and s[k].isspace():
                    k += 1
                if k >= len(s) or not (s[k].isupper() or s[k].isdigit() or s[k] in "“«\"'‘("):
                    continue
                word = re.search(r"([^\W\d_]+)\.$", s[:i + 1]) if c == "." else None
                if word and (fold_phrase(word.group(1)) in self._abbrev or len(word.group(1)) == 1):
                    continue
                self._add(out, start, line.start() + j)
                start = line.start() + k
            self._add(out, start, line.end())
        return out

    def _add(self, out: list[Sentence], start: int, end: int) -> None:
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1].isspace():
            end -= 1
        if end > start:
            out.append(Sentence(start, end, len(out)))

    @cached_property
    def head_end(self) -> int:
        """Where the report begins: after a headline (a first line without a final full stop, with more text
        below) and a dateline ("KYIV, Ukraine (AP) —"), which restate the report or name its publisher."""
        text = self.text
        start = len(text) - len(text.lstrip())
        first = text[start:].split("\n", 1)[0].rstrip()
        bare = first.rstrip("”\"»’' ")
        if "\n" in text[start:].strip() and bare and bare[-1] not in ".!?" and len(first) <= 200:
            start = text.find("\n", start) + 1
            start += len(text[start:]) - len(text[start:].lstrip())
        m = DATELINE.match(text[start:]) or CITY_DATELINE.match(text[start:])
        return start + m.end() if m else start

    @cached_property
    def agency(self) -> str | None:
        """The agency a dateline names ("Roma, 22 nov. (askanews) –" → askanews)."""
        head = self.text[:self.head_end]
        line_start = head.rstrip().rfind("\n") + 1
        m = DATELINE.match(head[line_start:])
        return m.group(1).strip() if m else None

    def sentence_at(self, offset: int) -> Sentence:
        starts = [s.start for s in self.sentences]
        return self.sentences[max(0, bisect_right(starts, offset) - 1)]

    @cached_property
    def quotations(self) -> list[Quotation]:
        """Passages between “ ” or « » (the first closing mark ends one), and between straight double quotes."""
        out: list[Quotation] = []
        text = self.text
        i = 0
        while i < len(text):
            c = text[i]
            if c in _OPEN_CLOSE or c == '"':
                close = _OPEN_CLOSE.get(c, '"')
                j = text.find(close, i + 1)
                nl = text.find("\n", i + 1)
                if j > i + 1 and (nl < 0 or j < nl):
                    inner = text[i + 1:j].replace("“", "").strip()
                    out.append(Quotation(i, j + 1, SPACE.sub(" ", inner)))
                    i = j + 1
                    continue
            i += 1
        return out


def clean(passage: str) -> str:
    """A passage with its white-space runs as single spaces (quotes are compared that way)."""
    return SPACE.sub(" ", passage).strip()
