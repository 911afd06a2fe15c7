"""What a saved query is once read: its parameters and text, and how values are bound into it.

Kept apart from the file reader (:mod:`.saved_queries`) and the value checks (:mod:`.params`), which
both need these types: each of those imports this module, and neither imports the other's reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from newsgraph.service.sparql.text import bind_each, binds_surely, union_branches

if TYPE_CHECKING:
    from newsgraph.service.sparql.stored import StoredForm


@dataclass
class Param:
    name: str
    type: str
    required: bool = False
    default: str | None = None
    example: str | None = None
    description: str = ""
    multiple: bool = False  # repeated in the request (``?party=a&party=b``): any of them matches
    values: tuple[str, ...] = ()  # for enum
    min: int | float | None = None
    max: int | float | None = None
    fold: bool = False  # for string: folded like nf:searchKey before it is bound (accent/case-insensitive)
    max_length: int = 500
    line: int = 0
    var: str = ""  # the query's variable, when it differs from the name (a column may need the name)

    def __post_init__(self) -> None:
        self.var = self.var or self.name


@dataclass
class SavedQuery:
    name: str
    file: Path
    text: str
    summary: str
    description: str
    params: list[Param]
    columns: list[str]
    where: int  # offset in ``text`` just after the WHERE group's opening brace
    tags: list[str] = field(default_factory=list)
    #: with the header line ``stored: true``: how the load stores its rows (:mod:`.stored`)
    stored: StoredForm | None = None

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def bound(self, values: dict[str, list[ox.NamedNode | ox.Literal]]) -> str:
        """The query with ``values`` (parameter → checked terms) bound; absent parameters stay unbound."""
        by_var = {p.var: terms for name, terms in values.items() if (p := self.param(name)) is not None}
        places = [(self.where, by_var)]
        for start, stop in union_branches(self.text, self.where):  # copies where the engine can use them
            places.append((start, {v: ts for v, ts in by_var.items() if binds_surely(self.text, start, stop, v)}))
        return bind_each(self.text, places)
