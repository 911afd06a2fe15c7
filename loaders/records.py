"""Plain records that sit between the input formats and the RDF mapping.

Every record keeps where it came from (file and line) so that any later check — entity references,
quotes, SHACL — can still point the user at the line to fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

ENTITY_TYPES = ("country", "organization", "person", "place", "weapon-system", "event")


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, printed as ``FILE:LINE: message``."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        # one problem, one line: a line break or control character quoted from the input is escaped
        return f"{self.file}:{self.line}: {self.message.translate(_ESCAPES)}"


_ESCAPES = ({c: f"\\x{c:02x}" for c in (*range(32), *range(127, 160))} | {9: "\\t", 10: "\\n", 13: "\\r"}
            | {0x2028: "\\u2028", 0x2029: "\\u2029"})  # C0, DEL, C1 (NEL…), and the Unicode line breaks


class InputError(Exception):
    """Raised with every problem found, so that the user sees them all at once."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class DateValue:
    """An ISO 8601 date as written, with its precision and the day range it covers."""

    lexical: str
    datatype: str  # gYear | gYearMonth | date | dateTime
    earliest: date
    latest: date


@dataclass
class Entity:
    id: str
    type: str
    labels: dict[str, str] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    wikidata: str | None = None
    country: str | None = None
    role: str | None = None
    file: str = ""
    line: int = 0
    #: line of each field, for errors that concern one field
    lines: dict[str, int] = field(default_factory=dict)


@dataclass
class Fact:
    kind: str  # the sheet's `type`, e.g. "arms-transfer"
    id: str
    quote: str
    values: dict[str, Any]  # field -> str | DateValue | number | list[str]
    confidence: float | None = None
    note: str | None = None
    line: int = 0
    lines: dict[str, int] = field(default_factory=dict)
    #: where the claim is cited from, for table rows (their `source` column)
    source: str | None = None
    #: (start, end) character offsets of the quote in the article text, when the text is known
    span: tuple[int, int] | None = None


@dataclass(frozen=True)
class Source:
    """A document a reference record compiles (a treaty, a charter, a depositary's notice)."""

    title: str
    date: DateValue | None = None
    url: str | None = None
    line: int = 0


@dataclass
class Article:
    id: str
    title: str
    publisher: str | None  # None for tables, and for reference records that name a compiler instead
    published: DateValue | None  # None for tables, and for reference records dated by `compiled`
    language: str
    file: str
    line: int = 1
    url: str | None = None
    text: str | None = None
    reference: bool = False
    #: a reference record's compiler (entity id), its compilation date and the documents it compiles
    compiler: str | None = None
    compiled: DateValue | None = None
    sources: list[Source] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)
    #: a table is an article made from rows, not a news report
    is_table: bool = False
