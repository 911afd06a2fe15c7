"""A load plan: files → checked, mapped units of work, one per transaction.

Everything is read and checked before anything is written, so that a sheet may use an entity that
another file of the same command declares, and so that every problem of every file is reported at
once. A file with any problem yields no unit: nothing from it is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import rdf, shacl, tables
from .entities import Registry
from .mapping import Mapped, entity_quads, map_article, referenced_type_quads
from .records import Entity, Problem
from .sheets import SheetFile, check_references, read_yaml_file, referenced_ids
from .vocab import NF, Iris

YAML_SUFFIXES = (".yaml", ".yml")
TABLE_SUFFIXES = (".csv",)
LOADABLE = (*YAML_SUFFIXES, *TABLE_SUFFIXES, *rdf.FORMATS)


@dataclass
class Unit:
    """One transaction: drop ``replace`` graphs, insert ``quads``."""

    file: str
    kind: str  # article | registry | rdf
    replace: list[ox.NamedNode]
    quads: list[ox.Quad]
    #: for articles: the content digest; the writer skips the unit when the store holds the same
    digest: str | None = None
    articles: int = 0
    facts: int = 0


@dataclass
class Plan:
    units: list[Unit] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: int = 0

    @property
    def failed_files(self) -> set[str]:
        return {p.file for p in self.problems}


def find_files(paths: Iterable[Path]) -> tuple[list[Path], list[Problem]]:
    """Expand folders (recursively, sorted); files of other kinds inside folders are ignored."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in LOADABLE
                            and not any(part.startswith(".") for part in p.relative_to(path).parts))
        elif path.is_file():
            if path.suffix.lower() in LOADABLE:
                files.append(path)
            else:
                problems.append(Problem(str(path), 1, f"cannot load '{path.suffix}' files "
                                        f"(loadable: {' '.join(LOADABLE)})"))
        else:
            problems.append(Problem(str(path), 1, "no such file or folder"))
    return list(dict.fromkeys(files)), problems


def digest_of(quads: Iterable[ox.Quad]) -> str:
    h = hashlib.sha256(shacl.shapes_digest().encode())
    for line in sorted(str(q) for q in quads):
        h.update(line.encode())
        h.update(b"\n")
    return h.hexdigest()


def plan_load(paths: Iterable[Path], known: Iterable[Entity], iris: Iris, *, check_shapes: bool = True,
              progress: Callable[[int], None] | None = None) -> Plan:
    """Read, check and map every file under ``paths`` against the entities already ``known``."""
    plan = Plan()
    files, plan.problems = find_files(paths)
    plan.files = len(files)
    registry = Registry(known)

    sheets: list[SheetFile] = []
    table_paths: list[Path] = []
    rdf_paths: list[Path] = []
    for path in files:
        suffix = path.suffix.lower()
        if suffix in YAML_SUFFIXES:
            sheets.append(read_yaml_file(path, str(path)))
        elif suffix in TABLE_SUFFIXES:
            table_paths.append(path)
        else:
            rdf_paths.append(path)

    # entities first, registry files before sheets, so sheets resolve against the whole registry
    additions: dict[str, list[Entity]] = {}
    for sheet in sorted(sheets, key=lambda s: not s.is_registry):
        for e in sheet.entities:
            added, problems = registry.declare(e)
            sheet.problems += problems
            if added is not None:
                additions.setdefault(sheet.file, []).append(added)
    for path in table_paths:
        sheets.append(tables.read_table(path, str(path), registry))

    for sheet in sheets:
        sheet.problems += check_references(sheet, registry)
    _duplicate_articles(sheets)
    _cascade(sheets, registry)

    for sheet in sheets:
        if not sheet.problems:
            unit = _unit_for_sheet(sheet, registry, iris, additions.get(sheet.file, []), check_shapes)
            if unit is not None:
                plan.units.append(unit)
        plan.problems += sheet.problems
        if progress:
            progress(1)
    for path in rdf_paths:
        graphs, problems = rdf.read_rdf(path, str(path), iris)
        plan.problems += problems
        if not problems:
            quads = [q for qs in graphs.values() for q in qs]
            plan.units.append(Unit(str(path), "rdf", list(graphs), quads))
        if progress:
            progress(1)
    plan.problems.sort()
    return plan


def _unit_for_sheet(sheet: SheetFile, registry: Registry, iris: Iris, added: list[Entity],
                    check_shapes: bool) -> Unit | None:
    if sheet.article is None:
        quads = [q for e in added for q in entity_quads(e, iris, registry)]
        mapped = Mapped(iris.entities_graph, [], quads, {iris.entity(e.type, e.id).value: (e.line, {}) for e in added})
        if check_shapes and not _shapes_ok(sheet, mapped, registry, iris):
            return None
        return Unit(sheet.file, "registry", [], quads)
    article = sheet.article
    mapped = map_article(article, registry, iris, added)
    if check_shapes and not _shapes_ok(sheet, mapped, registry, iris):
        return None
    digest = digest_of([*mapped.quads, *mapped.entity_quads])
    quads = [*mapped.quads, ox.Quad(mapped.graph, NF.contentDigest, ox.Literal(digest), mapped.graph),
             *mapped.entity_quads]
    return Unit(sheet.file, "article", [mapped.graph], quads, digest, articles=1, facts=len(article.facts))


def _shapes_ok(sheet: SheetFile, mapped: Mapped, registry: Registry, iris: Iris) -> bool:
    data = [*mapped.quads, *mapped.entity_quads, *referenced_type_quads(mapped, registry, iris)]
    for v in shacl.validate(data):
        node = v.focus.split("#", 1)[0] if v.focus not in mapped.lines else v.focus
        line, prop_lines = mapped.lines.get(node, (1, {}))
        if v.path and v.path in prop_lines:
            line = prop_lines[v.path]
        sheet.problems.append(Problem(sheet.file, line, v.message))
    return not sheet.problems


def _duplicate_articles(sheets: list[SheetFile]) -> None:
    first: dict[str, SheetFile] = {}
    for sheet in sheets:
        a = sheet.article
        if a is None or not a.id:
            continue
        if a.id in first:
            other = first[a.id]
            sheet.problems.append(Problem(sheet.file, a.lines.get("id", a.line),
                                          f"article id '{a.id}' is also used by {other.file}"))
        else:
            first[a.id] = sheet


def _cascade(sheets: list[SheetFile], registry: Registry) -> None:
    """A file that uses an entity declared only in files with errors fails too: it would dangle."""
    changed = True
    while changed:
        changed = False
        failed = {s.file for s in sheets if s.problems}
        for sheet in sheets:
            if sheet.problems:
                continue
            for eid, line, what in referenced_ids(sheet):
                declared = registry.declared_in.get(eid, [])
                if declared and all(d.file in failed for d in declared):
                    sheet.problems.append(Problem(sheet.file, line, f"entity '{eid}' in `{what}` is declared only "
                                                  f"in {declared[0].file}, which has errors"))
                    changed = True
                    break
