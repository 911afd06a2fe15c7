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
import pickle
import shutil
import signal
import tempfile
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import forkserver, resource_tracker
from pathlib import Path
from typing import IO, TypeVar

import pyoxigraph as ox

from . import rdf, shacl, tables
from .entities import Registry
from .mapping import Mapped, entity_quads, map_article, referenced_type_quads
from .progress import SILENT, Progress
from .records import Entity, Problem
from .sheets import SheetFile, check_references, read_yaml_file, referenced_ids
from .units import Unit, nquads, ntriples
from .vocab import NF, Iris

YAML_SUFFIXES = (".yaml", ".yml")
TABLE_SUFFIXES = (".csv",)
LOADABLE = (*YAML_SUFFIXES, *TABLE_SUFFIXES, *rdf.FORMATS)


@dataclass
class Plan:
    units: Iterator[Unit] = field(default_factory=lambda: iter(()))
    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    #: where a large load's checked sheets wait to be mapped (removed once the units are consumed)
    spool: tempfile.TemporaryDirectory | None = None

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
#: files a worker maps per task, and tasks in flight per worker: what a load holds of mapped units at once
TASK_FILES = 16
TASKS_IN_FLIGHT = 4


@dataclass
class Checked:
    """A file as the cross-file checks see it: what it declares and uses, not the whole sheet.

    Why: a load of 100,000 sheets cannot hold them all (about 30 KB each as objects) between checking
    and mapping. Large loads spool each checked sheet to a temporary file, and the main process keeps
    just this; a worker reads the sheet back to map it. The messages of cross-file problems need the
    sheet's lines, so they are ``deferred``: written from the sheet where it is read again.
    """

    file: str
    is_registry: bool
    entities: list[Entity]
    article_id: str | None
    id_line: int
    ids: tuple[str, ...]  # every entity id the file uses, each once, in order of first use
    problems: list[Problem]
    sheet: SheetFile | None = None  # held here: small loads, tables, files with problems
    spooled: tuple[str, int, int] | None = None  # (spool file, offset, length)
    #: cross-file problems found here, whose messages the sheet gives: ("unknown",), ("cascade", id, file)
    deferred: list[tuple[str, ...]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.problems or self.deferred)

    @classmethod
    def of(cls, sheet: SheetFile, spool: Path | None = None) -> Checked:
        a = sheet.article
        checked = cls(sheet.file, sheet.is_registry, sheet.entities, a.id if a is not None else None,
                      a.lines.get("id", a.line) if a is not None else 0,
                      tuple(dict.fromkeys(eid for eid, _, _ in referenced_ids(sheet))), sheet.problems)
        if spool is None or sheet.problems:
            checked.sheet = sheet
        else:
            checked.spooled = _spool(spool, sheet)
        return checked


#: the entities a store holds with these ids or Wikidata ids (ids None: every one), as a store's
#: ``known_entities`` gives them
KnownEntities = Callable[[set[str] | None, set[str]], Iterable[Entity]]
#: the content digests a store holds for these graphs
Digests = Callable[[list[str]], dict[str, str]]


def plan_load(paths: Iterable[Path], known: Iterable[Entity] | KnownEntities, iris: Iris, *,
              check_shapes: bool = True, progress: Progress = SILENT, stored: dict[str, str] | Digests | None = None,
              workers: int | None = None, shacl_engine: str = "fast",
              derive: tuple[Callable[..., None], tuple] | None = None) -> Plan:
    """Read and cross-check every file under ``paths`` against the entities already ``known`` (a list, or
    a store's lookup: then it is asked for the entities the input names, once the input is read).

    ``stored`` maps graph IRIs to the content digest the store holds for them (or looks up those of the
    input's articles): a sheet whose mapped graph has that digest already is not validated again (it was
    when it was written). The units
    are produced lazily, in ``workers`` processes for large loads, a bounded number ahead of the
    writer. ``shacl_engine`` is one of :data:`~.shacl.ENGINES`. ``derive`` is ``(function, arguments)``: what
    the store computes from units where they are made, called as ``function(units, registry, iris,
    *arguments)`` on every task's units (the stored rows of a load into an empty store).
    """
    shacl.check_engine(shacl_engine)
    plan = Plan()
    files, plan.problems = find_files(paths)
    plan.files = len(files)
    yaml_paths = [p for p in files if p.suffix.lower() in YAML_SUFFIXES]
    if workers is None:
        workers = min(os.cpu_count() or 1, 8) if len(yaml_paths) >= PARALLEL_FROM else 1
    spool = None
    if workers > 1 and len(yaml_paths) >= 2:
        _remove_stale_spools()
        spool = tempfile.TemporaryDirectory(prefix=f"{SPOOL_PREFIX}{os.getpid()}-")
        plan.spool = spool
    progress.phase("checking", len(yaml_paths))
    checked = []
    for c in _parallel(_checks, yaml_paths, workers, (Path(spool.name) if spool else None,)):
        checked.append(c)
        progress.advance()

    has_tables = any(p.suffix.lower() in TABLE_SUFFIXES for p in files)
    registry = Registry(known if not callable(known) else _entities_named(known, checked, has_tables))
    # entities first, registry files before sheets, so sheets resolve against the whole registry
    additions: dict[str, list[Entity]] = {}
    for c in sorted(checked, key=lambda c: not c.is_registry):
        for e in c.entities:
            added, problems = registry.declare(e)
            c.problems += problems
            if added is not None:
                additions.setdefault(c.file, []).append(added)
    checked += [Checked.of(tables.read_table(p, str(p), registry)) for p in files
                if p.suffix.lower() in TABLE_SUFFIXES]
    for c in checked:
        if any(eid not in registry for eid in c.ids):
            c.deferred.append(("unknown",))
    _duplicate_articles(checked)
    _cascade(checked, registry)
    for c in checked:  # the messages of the spooled sheets that will be mapped: where a worker reads them
        if c.deferred and (c.sheet is not None or c.problems):
            sheet = c.sheet if c.sheet is not None else _unspool(c.spooled) if c.spooled else None
            c.problems += _explain(sheet, c.deferred, registry) if sheet is not None else []
            c.deferred = []
    plan.problems += [p for c in checked for p in c.problems]

    todo = [(c.sheet if c.sheet is not None else c.spooled, additions.get(c.file, []), c.deferred)
            for c in checked if not c.problems]
    if callable(stored):
        stored = stored([iris.article_graph(c.article_id).value for c in checked if c.article_id and not c.problems])
    del checked
    rdf_paths = [p for p in files if p.suffix.lower() in rdf.FORMATS]
    context = (registry, iris, check_shapes, stored or {}, shacl_engine, derive)

    def units() -> Iterator[Unit]:
        progress.phase("writing", len(todo) + len(rdf_paths))
        try:
            for unit, problems in _parallel(_units, todo, workers, context):
                plan.problems += problems
                if unit is not None:
                    yield unit
                progress.advance(1, unit.facts if unit is not None else 0)
        finally:
            if spool is not None:
                spool.cleanup()
        for path in rdf_paths:
            graphs, problems = rdf.read_rdf(path, str(path), iris)
            plan.problems += problems
            if not problems:
                yield Unit.of(str(path), "rdf", list(graphs), [q for qs in graphs.values() for q in qs])
            progress.advance()
        plan.problems.sort()

    plan.units = units()
    return plan


# ---- running the per-file steps in worker processes ------------------------------------------------

_context: tuple | None = None  # what the step needs besides its item: see plan_load
_spool_file: tuple[int, IO[bytes]] | None = None  # (pid, file) of this process's spool


def _checks(paths: list[Path]) -> list[Checked]:
    assert _context is not None
    (spool,) = _context
    return [Checked.of(read_yaml_file(path, str(path)), spool) for path in paths]


SPOOL_PREFIX = "newsgraph-load-"


def _remove_stale_spools() -> None:
    """The spools of loads that were killed (SIGKILL leaves no time to clean up): their pid is gone."""
    for folder in Path(tempfile.gettempdir()).glob(f"{SPOOL_PREFIX}*"):
        pid = folder.name[len(SPOOL_PREFIX):].split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:
            pass


def _spool(folder: Path, sheet: SheetFile) -> tuple[str, int, int]:
    """Append the sheet to this process's spool file: where a worker finds it again to map it."""
    global _spool_file
    name = folder / f"{os.getpid()}.sheets"
    if _spool_file is None or _spool_file[1].name != str(name):
        # open for the worker's life: one append per sheet (closed when the worker ends)
        _spool_file = (os.getpid(), open(name, "ab", buffering=0))  # noqa: SIM115
    f = _spool_file[1]
    data = zlib.compress(pickle.dumps(sheet, protocol=pickle.HIGHEST_PROTOCOL), 1)
    offset = f.seek(0, os.SEEK_END)
    f.write(data)
    return f.name, offset, len(data)


def _unspool(where: tuple[str, int, int]) -> SheetFile:
    name, offset, length = where
    with open(name, "rb") as f:
        f.seek(offset)
        return pickle.loads(zlib.decompress(f.read(length)))


def _unit(item: tuple[SheetFile | tuple[str, int, int], list[Entity], list[tuple[str, ...]]]
          ) -> tuple[Unit | None, list[Problem]]:
    assert _context is not None  # set by _parallel, here or as the worker started
    registry, iris, check_shapes, stored, engine, _ = _context
    where, added, deferred = item
    sheet = where if isinstance(where, SheetFile) else _unspool(where)
    if deferred:
        return None, _explain(sheet, deferred, registry)
    unit = _unit_for_sheet(sheet, registry, iris, added, check_shapes, stored, engine)
    return unit, sheet.problems


def _units(items: list) -> list[tuple[Unit | None, list[Problem]]]:
    assert _context is not None
    registry, iris, derive = _context[0], _context[1], _context[-1]
    out = [_unit(item) for item in items]
    if derive is not None:
        function, arguments = derive
        function([unit for unit, _ in out if unit is not None], registry, iris, *arguments)
    return out


def _explain(sheet: SheetFile, deferred: list[tuple[str, ...]], registry: Registry) -> list[Problem]:
    """The messages, with their lines, of the cross-file problems found without the sheet."""
    out: list[Problem] = []
    for reason in deferred:
        if reason[0] == "unknown":
            out += check_references(sheet, registry)
        else:
            _, eid, declared = reason
            line, what = next((line, what) for e, line, what in referenced_ids(sheet) if e == eid)
            out.append(Problem(sheet.file, line, f"entity '{eid}' in `{what}` is declared only "
                                                 f"in {declared}, which has errors"))
    return out


def _set_context(context: tuple | None) -> None:
    global _context
    _context = context


def _start_worker(context: tuple | None, load_pid: int) -> None:
    """A worker's start: its context, and a watch on the load that ends the worker when the load is gone.

    Workers are children of the forkserver, not of the load, and wait on a queue whose write end they
    hold themselves: a load killed with SIGKILL would leave them (and the forkserver) running for ever.
    Ctrl+C is the load's to handle (it stops cleanly): workers ignore it, and end with the pool.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
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


def _parallel(fn: Callable[[list[_T]], list[_R]], items: list[_T], workers: int,
              context: tuple | None = None) -> Iterator[_R]:
    """``fn`` over ``items`` a task (a few items) at a time, results in order: here, or for many items in
    worker processes.

    Workers get ``context`` (the registry above all) once, when they start, not with every item. At most
    ``TASKS_IN_FLIGHT`` tasks per worker are submitted ahead of the one being consumed: results wait
    for a slow consumer (the writer) in a bounded number, not all of them.
    """
    size = max(1, min(TASK_FILES, len(items) // (max(workers, 1) * 8)))
    tasks = (items[i:i + size] for i in range(0, len(items), size))
    if workers <= 1 or len(items) < 2:
        _set_context(context)
        for task in tasks:
            yield from fn(task)
        return
    with worker_pool(workers, context) as pool:
        pending: deque[Future] = deque()
        try:
            for task in tasks:
                pending.append(pool.submit(fn, task))
                while len(pending) >= workers * TASKS_IN_FLIGHT:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


@contextmanager
def worker_pool(workers: int, context: tuple | None = None) -> Iterator[ProcessPoolExecutor]:
    """Worker processes for a load's parallel steps: started from the forkserver with ``context`` (read
    back with :func:`worker_context`), and gone when the load is, even after a SIGKILL."""
    ctx = multiprocessing.get_context("forkserver")
    # the forkserver and the resource tracker start with Ctrl+C ignored (that survives their exec, Python then
    # installs no handler of its own, and the workers get the forkserver's): a Ctrl+C while they import would
    # print their tracebacks; the load alone handles it
    handler = signal.signal(signal.SIGINT, signal.SIG_IGN) if threading.current_thread() is threading.main_thread() \
        else None
    try:
        resource_tracker.ensure_running()
        forkserver.ensure_running()
    finally:
        if handler is not None:
            signal.signal(signal.SIGINT, handler)
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
                touches=[iris.entities_graph] if mapped.entity_quads else [],
                triples=ntriples([*mapped.quads, digest_quad, *mapped.entity_quads]))


def _shapes_ok(sheet: SheetFile, mapped: Mapped, registry: Registry, iris: Iris, engine: str) -> bool:
    # entities as the registry now describes them (a re-declaration may add nothing of its own)
    described = [q for e in sheet.entities if (full := registry.get(e.id)) is not None
                 for q in entity_quads(full, iris, registry)]
    # (a re-declaration that adds a label is checked with the whole entity: its `country` needs that type too)
    data: list[ox.Triple | ox.Quad] = [*mapped.quads, *described,
                                       *referenced_type_quads(mapped, registry, iris, also=described)]
    for v in shacl.validate(data, engine):
        node = v.focus.split("#", 1)[0] if v.focus not in mapped.lines else v.focus
        line, prop_lines = mapped.lines.get(node, (1, {}))
        if v.path and v.path in prop_lines:
            line = prop_lines[v.path]
        sheet.problems.append(Problem(sheet.file, line, v.message))
    return not sheet.problems


def _entities_named(known: KnownEntities, checked: list[Checked], has_tables: bool) -> list[Entity]:
    """The store's entities that the input names or declares (its Wikidata ids too); every one when a table
    resolves names, or when an id is unknown (its message suggests the closest known name)."""
    if has_tables:
        return list(known(None, set()))
    declared = {e.id for c in checked for e in c.entities}
    ids = {eid for c in checked for eid in c.ids} | declared
    found = list(known(ids, {e.wikidata for c in checked for e in c.entities if e.wikidata}))
    if ids - declared - {e.id for e in found}:
        return list(known(None, set()))
    return found


def _duplicate_articles(checked: list[Checked]) -> None:
    first: dict[str, Checked] = {}
    for c in checked:
        if not c.article_id:
            continue
        if c.article_id in first:
            c.problems.append(Problem(c.file, c.id_line, f"article id '{c.article_id}' is also used by "
                                                         f"{first[c.article_id].file}"))
        else:
            first[c.article_id] = c


def _cascade(checked: list[Checked], registry: Registry) -> None:
    """A file that uses an entity declared only in files with errors fails too: it would dangle."""
    changed = True
    while changed:
        changed = False
        failed = {c.file for c in checked if c.failed}
        for c in checked:
            if c.failed:
                continue
            for eid in c.ids:
                declared = registry.declared_in.get(eid, [])
                if declared and all(d.file in failed for d in declared):
                    c.deferred.append(("cascade", eid, declared[0].file))
                    changed = True
                    break
