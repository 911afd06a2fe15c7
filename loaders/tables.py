"""Arms-transfer tables in the columns of the SIPRI trade register (CSV) → an article of facts.

A table loads like one article whose id is the file's name: one graph, one transaction. Each row is
an ``arms-transfer`` fact whose quote is the row as the file has it, so its evidence points at the
row like a sheet's quote points at a sentence. Names resolve through the registry's labels and aliases.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from .dates import parse_date
from .entities import Registry
from .quotes import FoldedText
from .rdf import slug
from .records import Article, Fact, Problem
from .sheets import SheetFile, derive_fact_id

COLUMNS = ("supplier", "recipient", "designation", "description", "number_ordered", "order_year",
           "delivery_years", "number_delivered", "comments", "source")
REQUIRED = ("supplier", "recipient", "designation")
_YEAR = re.compile(r"\b(\d{4})\b")
_NUMBER = re.compile(r"^\(?(\d+)\)?$")  # SIPRI writes estimates in brackets: (12)


def read_table(path: Path, display: str, registry: Registry) -> SheetFile:
    out = SheetFile(display)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        out.problems.append(Problem(display, 1, f"not UTF-8 text ({e.reason} at byte {e.start})"))
        return out
    except OSError as e:
        out.problems.append(Problem(display, 1, f"cannot read: {e.strerror}"))
        return out
    lines = text.splitlines(keepends=True)
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower().replace(" ", "_") for h in next(reader)]
    except StopIteration:
        out.problems.append(Problem(display, 1, "the table is empty: expected a header row"))
        return out
    except csv.Error as e:
        out.problems.append(Problem(display, 1, f"invalid CSV: {e}"))
        return out
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing:
        out.problems.append(Problem(display, 1, f"missing column(s): {', '.join(missing)}"))
    if unknown:
        out.problems.append(Problem(display, 1, f"unknown column(s): {', '.join(unknown)}"))
    if out.problems:
        return out

    article = Article(id=slug(path.stem), title=f"Arms-transfer table {path.name}", publisher=None, published=None,
                      language="en", file=display, line=1, text=text, is_table=True)
    folded = FoldedText(text)
    ids: dict[str, int] = {}
    previous_end = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            out.problems.append(Problem(display, reader.line_num, f"invalid CSV: {e}"))
            break
        line = previous_end + 1
        raw = "".join(lines[previous_end:reader.line_num]).strip()
        previous_end = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            out.problems.append(Problem(display, line, f"{len(row)} cells where the header has {len(header)}"))
            continue
        fact = _row_fact(dict(zip(header, (c.strip() for c in row), strict=True)), raw, line, registry, out)
        if fact is None:
            continue
        fact.span = folded.find(raw)
        if fact.id in ids:
            out.problems.append(Problem(display, line, f"the same row as line {ids[fact.id]}"))
            continue
        ids[fact.id] = line
        article.facts.append(fact)
    if not out.problems:
        out.article = article
    return out


def _row_fact(row: dict[str, str], raw: str, line: int, registry: Registry, out: SheetFile) -> Fact | None:
    before = len(out.problems)

    def problem(message: str) -> None:
        out.problems.append(Problem(out.file, line, message))

    values: dict = {}
    for column, field in (("supplier", "supplier"), ("recipient", "recipient"), ("designation", "item")):
        name = row[column]
        if not name:
            problem(f"`{column}` is empty")
            continue
        found = registry.resolve_name(name)
        if not found:
            problem(f"`{column}`: no entity is named '{name}' (add it, or an alias, to the entity registry)")
        elif len(found) > 1:
            problem(f"`{column}`: '{name}' names several entities: {', '.join(e.id for e in found)}")
        else:
            values[field] = found[0].id

    delivered, ordered = _number(row["number_delivered"]), _number(row["number_ordered"])
    for column, parsed in (("number_delivered", delivered), ("number_ordered", ordered)):
        if row[column] and parsed is None:
            problem(f"`{column}`: '{row[column]}' is not a whole number")
    quantity = delivered or ordered
    if quantity:
        values["quantity"] = quantity
    values["status"] = "delivered" if delivered or row["delivery_years"] else "ordered"
    years = sorted(set(_YEAR.findall(row["delivery_years"])))
    try:
        if len(years) == 1:
            values["date"] = parse_date(years[0])
        elif years:
            values["date_after"], values["date_before"] = parse_date(years[0]), parse_date(years[-1])
        elif row["order_year"]:
            values["date"] = parse_date(row["order_year"])
    except ValueError as e:
        problem(str(e))
    if row["delivery_years"] and not years:
        problem(f"`delivery_years`: '{row['delivery_years']}' holds no year")
    if row["description"]:
        values["unit"] = row["description"]
    if len(out.problems) > before:
        return None
    note = row["comments"] or None
    return Fact(kind="arms-transfer", id=derive_fact_id("arms-transfer", values, raw), quote=raw, values=values,
                note=note, line=line, source=row["source"] or None)


def _number(cell: str) -> int | None:
    m = _NUMBER.match(cell.replace(",", "").strip()) if cell else None
    return int(m.group(1)) if m else None
