"""A load plan: files → checked, mapped units of work.

Every file is read and every cross-file rule (entity declarations, references, duplicate article
ids) is checked before the first unit is produced, so that a sheet may use an entity that another
file of the same command declares. Units are then produced one file at a time — in worker
processes for large loads — and handed to the writer as they come, so checking and writing overlap.
A file with any problem yields no unit: nothing from it is written. The plan's ``problems`` are
complete once its units have been consumed.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox

from . import rdf, shacl, tables
from .entities import Registry
from .mapping import Mapped, entity_quads, map_article, referenced_type_quads
from .records import Entity, Problem
from .sheets import SheetFile, check_references, read_yaml_file, referenced_ids
from .units import Unit, nquads
from .vocab import NF, Iris

YAML_SUFFIXES = (".yaml", ".yml")
TABLE_SUFFIXES = (".csv",)
LOADABLE = (*YAML_SUFFIXES, *TABLE_SUFFIXES, *rdf.FORMATS)


@dataclass
class Plan:
    units: Iterator[Unit] = field(default_factory=lambda: iter(()))
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


def digest_of(*parts: bytes) -> str:
    """The content digest of N-Quads (and of the shapes they were checked with), whatever their order."""
    h = hashlib.sha256(shacl.shapes_digest().encode())
    for line in sorted(line for part in parts for line in part.split(b"\n") if line):
        h.update(line)
        h.update(b"\n")
    return h.hexdigest()


#: below this many files one process does the work; above it, one per core (starting workers costs ~0.5 s)
PARALLEL_FROM = 200


def plan_load(paths: Iterable[Path], known: Iterable[Entity], iris: Iris, *, check_shapes: bool = True,
              progress: Callable[[int], None] | None = None, stored: dict[str, str] | None = None,
              workers: int | None = None, shacl_engine: str = "fast") -> Plan:
    """Read and cross-check every file under ``paths`` against the entities already ``known``.

    ``stored`` maps graph IRIs to the content digest the store holds for them: a sheet whose mapped
    graph has that digest already is not validated again (it was when it was written). The units
    are produced lazily, in ``workers`` processes for large loads. ``shacl_engine`` is one of
    :data:`~.shacl.ENGINES`.
    """
    shacl.check_engine(shacl_engine)
    plan = Plan()
    files, plan.problems = find_files(paths)
    plan.files = len(files)
    registry = Registry(known)
    yaml_paths = [p for p in files if p.suffix.lower() in YAML_SUFFIXES]
    if workers is None:
        workers = min(os.cpu_count() or 1, 8) if len(yaml_paths) >= PARALLEL_FROM else 1
    sheets = list(_parallel(_read, yaml_paths, workers))

    # entities first, registry files before sheets, so sheets resolve against the whole registry
    additions: dict[str, list[Entity]] = {}
    for sheet in sorted(sheets, key=lambda s: not s.is_registry):
        for e in sheet.entities:
            added, problems = registry.declare(e)
            sheet.problems += problems
            if added is not None:
                additions.setdefault(sheet.file, []).append(added)
    sheets += [tables.read_table(p, str(p), registry) for p in files if p.suffix.lower() in TABLE_SUFFIXES]
    for sheet in sheets:
        sheet.problems += check_references(sheet, registry)
    _duplicate_articles(sheets)
    _cascade(sheets, registry)
    plan.problems += [p for sheet in sheets for p in sheet.problems]
    if progress and any(sheet.problems for sheet in sheets):
        progress(sum(1 for sheet in sheets if sheet.problems))

    todo = [(sheet, additions.get(sheet.file, [])) for sheet in sheets if not sheet.problems]
    rdf_paths = [p for p in files if p.suffix.lower() in rdf.FORMATS]
    context = (registry, iris, check_shapes, stored or {}, shacl_engine)

    def units() -> Iterator[Unit]:
        for unit, problems in _parallel(_unit, todo, workers, context):
            plan.problems += problems
            if unit is not None:
                yield unit
            if progress:
                progress(1)
        for path in rdf_paths:
            graphs, problems = rdf.read_rdf(path, str(path), iris)
            plan.problems += problems
            if not problems:
                yield Unit.of(str(path), "rdf", list(graphs), [q for qs in graphs.values() for q in qs])
            if progress:
                progress(1)
        plan.problems.sort()

    plan.units = units()
    return plan


# ---- running the per-file steps in worker processes ------------------------------------------------

_context: tuple | None = None  # (registry, iris, check_shapes, stored, shacl_engine) in a worker


def _read(path: Path) -> SheetFile:
    return read_yaml_file(path, str(path))


def _unit(item: tuple[SheetFile, list[Entity]]) -> tuple[Unit | None, list[Problem]]:
    assert _context is not None  # set by _parallel, here or as the worker started
    registry, iris, check_shapes, stored, engine = _context
    sheet, added = item
    unit = _unit_for_sheet(sheet, registry, iris, added, check_shapes, stored, engine)
    return unit, sheet.problems


def _set_context(context: tuple | None) -> None:
    global _context
    _context = context


def _start_worker(context: tuple | None, load_pid: int) -> None:
    """A worker's start: its context, and a watch on the load that ends the worker when the load is gone.

    Workers are children of the forkserver, not of the load, and wait on a queue whose write end they
    hold themselves: a load killed with SIGKILL would leave them (and the forkserver) running for ever.
    """
    _set_context(context)

    def watch() -> None:
        while True:
            time.sleep(1)
            try:
                os.kill(load_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # the pid is someone else's now: the load is gone
                os._exit(1)

    threading.Thread(target=watch, daemon=True, name="load-watch").start()


_T = TypeVar("_T")
_R = TypeVar("_R")


def _parallel(fn: Callable[[_T], _R], items: list[_T], workers: int, context: tuple | None = None) -> Iterator[_R]:
    """``fn`` over ``items``, in order: here, or for many items in worker processes.

    Workers get ``context`` (the registry above all) once, when they start, not with every item.
    """
    if workers <= 1 or len(items) < 2:
        _set_context(context)
        yield from map(fn, items)
        return
    with worker_pool(workers, context) as pool:
        yield from pool.map(fn, items, chunksize=max(1, min(32, len(items) // (workers * 8))))


@contextmanager
def worker_pool(workers: int, context: tuple | None = None) -> Iterator[ProcessPoolExecutor]:
    """Worker processes for a load's parallel steps: started from the forkserver with ``context`` (read
    back with :func:`worker_context`), and gone when the load is, even after a SIGKILL."""
    ctx = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_start_worker,
                             initargs=(context, os.getpid())) as pool:
        yield pool


def worker_context() -> tuple | None:
    """The context this worker was started with (see :func:`worker_pool`)."""
    return _context


def _unit_for_sheet(sheet: SheetFile, registry: Registry, iris: Iris, added: list[Entity],
                    check_shapes: bool, stored: dict[str, str], engine: str = "fast") -> Unit | None:
    if sheet.article is None:
        quads = [q for e in added for q in entity_quads(e, iris, registry)]
        mapped = Mapped(iris.entities_graph, [], quads, {iris.entity(e.type, e.id).value: (e.line, {}) for e in added})
        if check_shapes and not _shapes_ok(sheet, mapped, registry, iris, engine):
            return None
        return Unit.of(sheet.file, "registry", [], quads, touches=[iris.entities_graph])
    article = sheet.article
    mapped = map_article(article, registry, iris, added)
    article_data = nquads(mapped.quads)
    # the digest covers the entities as the sheet declares them, not what they add to the store:
    # a second load adds nothing, and must still count as the same content
    declared = [q for e in sheet.entities for q in entity_quads(e, iris, registry)]
    digest = digest_of(article_data, nquads(declared))
    unchanged = stored.get(mapped.graph.value) == digest
    if check_shapes and not unchanged and not _shapes_ok(sheet, mapped, registry, iris, engine):
        return None
    digest_quad = ox.Quad(mapped.graph, NF.contentDigest, ox.Literal(digest), mapped.graph)
    data = article_data + nquads([digest_quad, *mapped.entity_quads])
    return Unit(sheet.file, "article", [mapped.graph], data, len(mapped.quads) + 1 + len(mapped.entity_quads),
                digest=digest, articles=1, facts=len(article.facts),
                touches=[iris.entities_graph] if mapped.entity_quads else [])


def _shapes_ok(sheet: SheetFile, mapped: Mapped, registry: Registry, iris: Iris, engine: str) -> bool:
    # entities as the registry now describes them (a re-declaration may add nothing of its own)
    described = [q for e in sheet.entities if (full := registry.get(e.id)) is not None
                 for q in entity_quads(full, iris, registry)]
    data: list[ox.Triple | ox.Quad] = [*mapped.quads, *described, *referenced_type_quads(mapped, registry, iris)]
    for v in shacl.validate(data, engine):
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
