"""The embedded pyoxigraph store, kept as versioned snapshots.

Reading: everything goes through :class:`Store`, so the HTTP interface and the command line see the
same dataset view — the default graph is the union of all graphs.

Writing: pyoxigraph's transactional writes on disk run at about 40,000 quads/s here, a quarter of
its bulk loader, and only one process may open a folder read-write. So a load does not write into
the store that readers use. It takes a checkpoint of the current version (``Store.backup``: hard
links, milliseconds), writes into that private copy with the fast bulk loader, flushes it, and then
makes it current by renaming a symlink — one atomic step. A load therefore lands whole or not at
all (a fortiori each of its articles), a crash or a full disk leaves the current version untouched,
and readers (``newsgraph serve``, ``query``, ``export``) keep reading a consistent version and
move to the new one when the symlink changes.

On disk, for ``--store data/store``::

    data/store                   -> .store-versions/000007   (a symlink: what readers open)
    data/.store-versions/000006  the previous version, kept for readers still on it
    data/.store-versions/000007  the current version (a pyoxigraph store)
    data/.store-versions/LOCK    held by the one load that may run at a time

``memory:`` stores are written in place: they have no versions and vanish with the process.

The default graph is a set (SPARQL's default graph is an RDF graph): a triple that two articles state
is one triple of it. pyoxigraph's union of graphs is a multiset, so the store keeps the default graph
itself: every write puts each triple of a named graph in the real default graph too, and removes
from it the triples no named graph holds any more; queries then read the real default graph. The
per-article graphs are as they were. A version written so says ``default-graph: set`` in its
``.committed`` file; one written before (an empty mark) is read as the union, as it was, until the
next load builds its default graph.
"""

from __future__ import annotations

import fcntl
import itertools
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Literal, TypeVar

import pyoxigraph as ox

from newsgraph.loaders import SILENT, Progress, Unit
from newsgraph.loaders.ontology import ontology_unit
from newsgraph.loaders.vocab import NF, PREFIXES, RDF, Iris
from newsgraph.service.config import Settings
from newsgraph.service.sparql.saved_queries import stored_forms
from newsgraph.service.store import answers, interface, linkstats
from newsgraph.service.store.changes import Change
from newsgraph.service.store.interface import Reader, SparqlReads, StoreError, solutions
from newsgraph.service.store.linkstats import Links, LinkTable
from newsgraph.service.store.remote import RemoteStore

DEFAULT = ox.DefaultGraph()
SET_MARK = "default-graph: set\n"  # a version's .committed content: its default graph is kept as a set
KEEP_VERSIONS = 2
BULK_CHUNK = 200_000  # quads handed to the bulk loader at once


class Store(SparqlReads):
    """A read view of the dataset: the current version of an on-disk store, or an in-memory store."""

    def __init__(self, store: ox.Store, location: str, version: str | None = None, plain: bool = False,
                 set_default: bool = False):
        self._store = store
        self.location = location
        self.plain = plain
        #: the real default graph holds the set of all triples (see the module's docstring); else the union
        self.set_default = set_default
        self._graph = DEFAULT if set_default else None  # where a pattern over the default graph looks
        #: the version folder this view reads, for noticing that a load made a newer one current
        self.version = version
        #: what names this view's data for caches shared by several stores in one process: the version
        #: folder's real path (a version never changes); None where the data can change in place
        self.cache_key: str | None = (os.path.realpath(Path(location).parent / version)
                                      if version else None)
        self._links = LinkTable(Path(location).parent / version if version else None)
        self._stats: dict[str, int] | None = None

    # ---- reading --------------------------------------------------------------------------------

    def query(self, sparql: str, *, substitutions: dict[ox.Variable, Any] | None = None,
              base_iri: str | None = None, default_graph: list[ox.NamedNode] | None = None,
              named_graphs: list[ox.NamedNode] | None = None) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """Run a SPARQL query. The default graph is the union of all graphs, unless ``default_graph``
        names the graphs to merge instead (as the protocol's ``default-graph-uri`` does)."""
        union = default_graph is None and named_graphs is None and not self.set_default
        # pyoxigraph's stub types the graph lists as list[NamedNode | BlankNode …], which a list[NamedNode]
        # is not (a list is invariant): the engine only reads them, a Sequence is what it takes
        return self._store.query(sparql, use_default_graph_as_union=union,
                                 default_graph=default_graph, named_graphs=named_graphs,  # type: ignore[arg-type]
                                 substitutions=substitutions, base_iri=base_iri, prefixes=PREFIXES)

    def links(self, iri: ox.NamedNode) -> Links | None:
        return self._links.get(iri)

    def stored_page(self, plan: Any, offset: int, count: int) -> list[bytes] | None:
        if not self.version:
            return None
        # (a report's rows answer a request without its key too: value "")
        is_entity = plan.value == "" or answers.is_entity(t.object for t in self.triples(ox.NamedNode(plan.value),
                                                                                          RDF.type))
        return answers.reader(versions_dir(Path(self.location))).page(Path(self.version).name, plan, is_entity,
                                                                      offset, count)

    def stored_links(self, iri: ox.NamedNode, prop: ox.NamedNode, offset: int, count: int,
                     total: int) -> list[ox.NamedNode] | None:
        if not self.version:
            return None
        found = answers.reader(versions_dir(Path(self.location))).links(
            Path(self.version).name, iri.value, prop.value, offset, count, total)
        return [ox.NamedNode(s) for s in found] if found is not None else None

    def stats(self) -> dict[str, int]:
        # from the load's counts file, else counted once for this view: a version (or a plain read-only
        # folder) never changes; a memory store changes in place and is counted each time
        if not (self.version or self.plain):
            return super().stats()
        if self._stats is None:
            sizes = self._links.sizes()
            self._stats = sizes if len(sizes) == 2 else super().stats()
        return dict(self._stats)

    def fact_count(self, iri: ox.NamedNode) -> int:
        # by index lookups: as a query with the resource substituted, the engine would read every role link
        return len({q.subject for role in linkstats.ROLE_NODES
                    for q in self._store.quads_for_pattern(None, role, iri, self._graph)})

    def triples(self, s: ox.NamedNode | ox.BlankNode | None = None, p: ox.NamedNode | None = None,
                o: Any = None, limit: int | None = None) -> list[ox.Triple]:
        """The triples matching a pattern in the union of all graphs, each once (a triple that several
        graphs hold is one statement), in index order; at most ``limit`` of them."""
        quads = self._store.quads_for_pattern(s, p, o, self._graph)
        if limit is None:
            return list(dict.fromkeys(q.triple for q in quads))
        out: dict[ox.Triple, None] = {}
        for q in quads:
            out[q.triple] = None
            if len(out) >= limit:
                break
        return list(out)

    def about(self, nodes: Iterable[Any], predicates: Iterable[ox.NamedNode] | None = None) -> list[ox.Triple]:
        """The triples whose subject is one of ``nodes`` (and predicate one of ``predicates``), each once:
        what a description asks of many resources at once (one round trip on a remote engine)."""
        out: dict[ox.Triple, None] = {}
        for n in dict.fromkeys(nodes):
            for p in predicates or (None,):
                for q in self._store.quads_for_pattern(n, p, None, self._graph):
                    out[q.triple] = None
        return list(out)

    def quads(self, graph: ox.NamedNode) -> list[ox.Quad]:
        """Every quad of one named graph."""
        return list(self._store.quads_for_pattern(None, None, None, graph))

    def __len__(self) -> int:
        """The triples of the default graph: each once however many graphs state it."""
        if not self.set_default:
            return len(self._store)
        return count_default(self._store)

    def is_empty(self) -> bool:
        return next(iter(self._store.quads_for_pattern(None, None, None, None)), None) is None

    def digests(self, graphs: Iterable[str] | None = None) -> dict[str, str]:
        """Content digest of every graph that carries one (or of ``graphs``): what a load compares to skip
        unchanged input. A load of a few articles looks up theirs: reading all costs seconds at 100,000."""
        if graphs is None:
            quads: Iterable[ox.Quad] = self._store.quads_for_pattern(None, NF.contentDigest, None, None)
        else:
            quads = (q for g in map(ox.NamedNode, graphs)
                     for q in self._store.quads_for_pattern(g, NF.contentDigest, None, g))
        return {q.graph_name.value: q.object.value for q in quads
                if isinstance(q.graph_name, ox.NamedNode) and q.subject == q.graph_name
                and not isinstance(q.object, ox.Triple)}  # (a triple term: no digest, and no value to read)

    def dump(self, output: IO[bytes], fmt: ox.RdfFormat) -> None:
        """Every named graph, and of the default graph what was written to it directly: the copies of the
        named graphs' triples that keep it a set are the store's own, not data (a reload makes them again)."""
        prefixes = PREFIXES if fmt in (ox.RdfFormat.TRIG, ox.RdfFormat.TURTLE) else None
        if not self.set_default:
            self._store.dump(output, fmt, prefixes=prefixes)
            return
        store = self._store
        direct = (q for q in store.quads_for_pattern(None, None, None, DEFAULT) if not in_named(store, q.triple))
        named = (q for q in store.quads_for_pattern(None, None, None, None)
                 if not isinstance(q.graph_name, ox.DefaultGraph))
        ox.serialize(itertools.chain(direct, named), output, fmt, prefixes=prefixes)

    def is_stale(self) -> bool:
        """True when a load has made another version current since this view was opened."""
        return self.version is not None and (current_version(Path(self.location)) or "") != self.version

    def holds_in_default(self, triple: ox.Triple) -> bool:
        return next(iter(self._store.quads_for_pattern(triple.subject, triple.predicate, triple.object, DEFAULT)),
                    None) is not None

    def backup(self, folder: Path) -> None:
        """A checkpoint of this version in ``folder`` (hard links where it can): what a load writes into."""
        self._store.backup(str(folder))

    def close(self) -> None:
        """Release the store now rather than whenever it is collected."""
        self.__dict__.pop("_store", None)

    # ---- writing --------------------------------------------------------------------------------

    def derive_in_workers(self) -> tuple[Callable[..., None], tuple] | None:
        """For a load into an empty store: its stored rows, made by the workers that map its sheets (the
        rows of one article need nothing but what the load itself holds); otherwise the writer makes the
        changed articles' rows at its commit, from the store."""
        if self.version is None or self.plain or not self.is_empty():
            return None
        forms = stored_forms(Settings.from_env().queries)
        return (answers.rows_of_units, (forms,)) if forms else None

    def writer(self) -> Writer:
        """A load session: see the module's docstring. Use as a context manager."""
        if self.plain:
            raise StoreError(f"{self.location} is a pyoxigraph folder that newsgraph did not create: it can be "
                             f"queried and exported, not loaded into; `newsgraph export --store {self.location}` "
                             f"and load the dump into a new --store path")
        if self.version is None:
            return Writer(self._store, self, None)
        return Writer(None, self, Path(self.location))


class Writer:
    """Applies load units to a private copy and makes it current on :meth:`commit`."""

    def __init__(self, store: ox.Store | None, reader: Store, location: Path | None):
        self.reader = reader
        self.location = location
        #: what this session writes: a memory store itself, or the private copy that __enter__ opens (and
        #: commit and abort let go of)
        self._store: ox.Store
        if store is not None:
            self._store = store
        self._lock: IO[str] | None = None
        self._dir: Path | None = None
        self._pending: list[tuple[bytes, bytes | None]] = []
        self._pending_size = 0
        self._pending_graphs: set[ox.NamedNode] = set()
        self.changed = False
        self.committed = False  # the new version was made current (an interruption after it changes nothing)
        self._loaded = False  # units were written: the commit counts links (an update alone does not)
        #: what this session changed, for the stored answers (:mod:`.answers`)
        self._change = Change()
        #: told the phases of the commit (a load's last minutes at 100,000 articles)
        self.progress: Progress = SILENT
        #: the rows of a load into an empty store, stored as its units bring them (see Store.derive_in_workers);
        #: None when none came yet, or when a unit came without them (then the commit makes them all)
        self._rows: answers.RowWriter | None = None
        self._rows_from_units = reader.version is not None and reader.is_empty()

    def __enter__(self) -> Writer:
        if self.location is None:
            return self
        versions = versions_dir(self.location)
        versions.mkdir(parents=True, exist_ok=True)
        self._lock = open(versions / "LOCK", "w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise StoreError(f"another load into {self.location} is running; try again when it ends") from None
        if self.reader.version is not None and (current_version(self.location) or "") != self.reader.version:
            self._release()  # another load committed while this one was reading its input
            raise StoreError(f"another load changed {self.location} while this one was checking its input; "
                             "nothing was written: run the load again")
        _remove_uncommitted(versions, current_version(self.location))
        numbers = [int(p.name) for p in versions.iterdir() if p.name.isdigit()]
        self._dir = versions / f"{max(numbers, default=0) + 1:06d}"
        try:
            if self.reader.version is not None and not self.reader.is_empty():
                self.reader.backup(self._dir)
            self._store = ox.Store(str(self._dir))
            if not self.reader.set_default and not self.reader.is_empty():  # written before the default graph
                self._store.update(COPY_NAMED_TO_DEFAULT)                  # was kept: build it, once
                self.changed = True
        except OSError as e:
            self._abort()
            raise StoreError(f"cannot prepare a new version of {self.location}: {e}") from None
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        if exc_type is None:
            self.commit()
        else:
            self._abort()
        return False

    def digest(self, graph: ox.NamedNode) -> str | None:
        for q in self._store.quads_for_pattern(graph, NF.contentDigest, None, graph):
            return q.object.value if not isinstance(q.object, ox.Triple) else None  # (as digests() reads them)
        return None

    def write(self, unit: Unit) -> bool:
        """Apply one unit. False when the store already holds exactly this content."""
        if unit.digest is not None and unit.replace and self.digest(unit.replace[0]) == unit.digest:
            return False
        if unit.digest is None and self._holds(unit):
            return False  # a registry whose triples are all there, or an RDF file loaded as it is
        self.changed = True
        self._loaded = True
        if unit.kind == "article":
            self._change.articles.update(g.value for g in unit.replace)
        elif unit.kind == "rdf":  # an RDF file may hold facts, and add to graphs it does not replace
            self._change.whole = True
        else:
            self._change.others.update(g.value for g in unit.replace)
        if unit.touches and self.reader.version:  # (into a store with no version yet nothing is compared)
            touched = set(unit.touches) - set(unit.replace)
            for q in unit.quads():
                if isinstance(q.graph_name, ox.NamedNode) and q.graph_name in touched and q not in self._store:
                    self._change.added.setdefault(q.graph_name.value, set()).add(q.triple)
        if unit.kind in ("article", "rdf") and self._rows_from_units and self.location is not None:
            self._keep_rows(unit)
        if self.location is None:  # memory: written in place, the drop and the insert in one update (one step)
            old = graph_triples(self._store, unit.replace)
            self._store.update(replace_update(unit) + " ;\n" + drop_orphans(old))
            remove_orphans(self._store, {t for t in old if _has_blank(t)})  # (VALUES cannot name blank nodes)
            return True
        present = [g for g in unit.replace if g in self._pending_graphs or self._has_graph(g)]
        if present:  # a new article has nothing to drop: no need to stop batching
            self._flush_pending()
            old = graph_triples(self._store, present)
            # what the new version states again comes back with it when it is written
            self._store.update(";\n".join([*(f"DROP SILENT GRAPH {g}" for g in present), drop_orphans(old)]))
            remove_orphans(self._store, {t for t in old if _has_blank(t)})
        self._pending.append((unit.data, unit.triples))
        self._pending_size += unit.count
        self._pending_graphs.update(unit.replace)
        if self._pending_size >= BULK_CHUNK:
            self._flush_pending()
        return True

    def _keep_rows(self, unit: Unit) -> None:
        if unit.derived is None:  # a unit without its rows: the commit makes every row from the store
            self._rows_from_units = False
            if self._rows is not None:
                self._rows.abort()
                self._rows = None
            return
        if self._rows is None:
            self._rows = answers.RowWriter(*self._rows_target())
            self._rows.replace(None)
        self._rows.insert(unit.derived)

    def update(self, sparql: str, base_iri: str | None = None) -> None:
        """Apply a SPARQL Update to this session's copy (one transaction; committed with the session).

        The default graph stays the set of every named graph's triples and of what the update writes to it
        directly: the named graphs' triples are copied into it after the update, and a triple the update
        removed from the last named graph that held it leaves it too. That reads the whole store (seconds at a
        million triples): updates are for corrections, loads for data.
        """
        # self._store is never held in a local name here: an update that fails leaves its traceback (and the
        # frames in it) alive for a while, and a local would keep the aborted version's database open after
        # _abort removed its folder, to write into the next version that takes the same number
        self._flush_pending()
        direct_before = set(direct_triples(self._store))
        before = None if self.location is not None else set(q.triple for q in self._store.quads_for_pattern(
            None, None, None, DEFAULT))  # memory: written in place, no earlier version to ask
        self._store.update(sparql, base_iri=base_iri, prefixes=PREFIXES)
        self._store.update(COPY_NAMED_TO_DEFAULT)  # (not appended to the text: it may end in a comment or ';')
        for t in set(direct_triples(self._store)) - direct_before:
            # in the default graph before the update, not written there directly: a copy whose last named
            # graph the update emptied of it (a triple the update wrote to the default graph was not there)
            was_copy = t in before if before is not None else self.reader.holds_in_default(t)
            if was_copy:
                self._store.remove(ox.Quad(t.subject, t.predicate, t.object, DEFAULT))
        self.changed = True
        self._change.whole = True

    def ensure_ontology(self, iris: Iris) -> None:
        """Keep a copy of the ontology in the store, so queries can use its labels and hierarchy."""
        self.write(ontology_unit(iris))

    def _holds(self, unit: Unit) -> bool:
        """True when the store already holds exactly what the unit would leave there."""
        quads = unit.quads()
        if any(g in self._pending_graphs for g in unit.replace):
            return False
        if unit.replace:
            stored = sum(1 for g in unit.replace for _ in self._store.quads_for_pattern(None, None, None, g))
            if stored != len(quads) or any(isinstance(t, ox.BlankNode) for q in quads
                                           for t in (q.subject, q.object)):
                return False
        return all(q in self._store for q in quads)

    def _has_graph(self, graph: ox.NamedNode) -> bool:
        return next(iter(self._store.quads_for_pattern(None, None, None, graph)), None) is not None

    def _flush_pending(self) -> None:
        if self._pending:
            data = b"".join(d for d, _ in self._pending)
            if b"_:" in data:  # blank nodes: the bulk loader names them afresh, per call; keep both copies alike
                quads = list(fresh_blank_nodes(ox.parse(data, format=ox.RdfFormat.N_QUADS)))
                self._store.bulk_extend(itertools.chain(quads, (ox.Quad(q.subject, q.predicate, q.object, DEFAULT)
                                                                for q in quads)))
            else:
                triples = b"".join(t if t is not None else as_triples(d) for d, t in self._pending)
                self._store.bulk_load(data, format=ox.RdfFormat.N_QUADS)
                self._store.bulk_load(triples, format=ox.RdfFormat.N_TRIPLES, to_graph=DEFAULT)
            self._pending, self._pending_size, self._pending_graphs = [], 0, set()

    def commit(self) -> None:
        if self.location is None:
            return
        if not self.changed:
            self._abort()
            return
        assert self._dir is not None  # made by __enter__, which opened the copy that was changed
        try:
            self._flush_pending()
            self._store.flush()
            if self._loaded:  # counting takes seconds on a large store: loads do it, a SPARQL update does not
                self.progress.phase("indexing: link counts", 0, "")
                self._count_links()
                self._store_answers()
        except (OSError, sqlite3.Error) as e:
            self._abort()
            raise StoreError(f"writing the new version of {self.location} failed, nothing was changed: {e}") from None
        except BaseException:  # Ctrl+C while indexing: the version is not made current, and goes
            self._abort()
            raise
        del self._store
        versions = self._dir.parent
        (versions / f"{self._dir.name}.committed").write_text(SET_MARK)
        tmp = self.location.with_name(f".{self.location.name}.{os.getpid()}.tmp")
        if tmp.is_symlink():
            tmp.unlink()
        tmp.symlink_to(os.path.relpath(self._dir, self.location.parent))
        if self.location.exists() and not self.location.is_symlink():
            raise StoreError(f"{self.location} is a plain folder, not a newsgraph store link")
        os.replace(tmp, self.location)  # the commit: readers now see the new version
        self.committed = True
        _fsync_dir(self.location.parent)
        _prune(versions, keep=KEEP_VERSIONS)
        self._release()

    def _count_links(self) -> None:
        """The link counts of the version about to be committed (see :mod:`.linkstats`): the previous
        version's, recounted for what this session changed, where that is known."""
        assert self._dir is not None
        name = Path(self.reader.version).name if self.reader.version else ""
        change = self._change
        if name.isdigit() and not change.whole:
            linkstats.write(self._store, self._dir, self.reader._store, self._dir.parent / name, change)
        else:
            linkstats.write(self._store, self._dir)  # (a version without the file is counted live)

    def _rows_target(self) -> tuple[Path, int, int | None, list, int]:
        """(versions folder, this version, the prior one, the stored forms, the first version kept)."""
        assert self._dir is not None
        versions = self._dir.parent
        numbers = sorted({int(p.name) for p in versions.iterdir() if p.name.isdigit()} | {int(self._dir.name)})
        keep_from = numbers[-KEEP_VERSIONS] if len(numbers) >= KEEP_VERSIONS else numbers[0]
        name = Path(self.reader.version).name if self.reader.version else ""
        prior = int(name) if name.isdigit() else None
        return versions, int(self._dir.name), prior, stored_forms(Settings.from_env().queries), keep_from

    def _store_answers(self) -> None:
        """The list queries' rows for the version about to be committed (see :mod:`.answers`)."""
        if self._rows is not None and self._rows_from_units:  # made by the workers, stored as they came
            rows, self._rows = self._rows, None
            try:
                answers.store_reports(rows, self._store, self.progress)
            except BaseException:
                rows.abort()
                raise
            rows.finish()
            return
        versions, version, prior, forms, keep_from = self._rows_target()
        if not forms:
            return
        previous = self.reader._store if prior is not None else None
        answers.write(versions, self._store, previous, version, prior, forms, self._change, keep_from,
                      self.progress)

    def _abort(self) -> None:
        self._pending, self._pending_size, self._pending_graphs = [], 0, set()
        if self._rows is not None:
            rows, self._rows = self._rows, None
            rows.abort()
        if self.location is None:
            return
        self.__dict__.pop("_store", None)
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            linkstats.path_for(self._dir).unlink(missing_ok=True)
            linkstats.path_for(self._dir).with_name(linkstats.path_for(self._dir).name + ".tmp").unlink(missing_ok=True)
        self._release()

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None


#: one SPARQL update: every named graph's triples into the default graph (a set: what is there stays once)
COPY_NAMED_TO_DEFAULT = "INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
_DIRECT = "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } } }"


def count_default(store: ox.Store) -> int:
    """How many triples the default graph holds (each once)."""
    return int(next(iter(solutions(store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"))))[0].value)


def in_named(store: ox.Store, t: ox.Triple) -> bool:
    return any(not isinstance(q.graph_name, ox.DefaultGraph)
               for q in store.quads_for_pattern(t.subject, t.predicate, t.object, None))


def direct_triples(store: ox.Store) -> Iterator[ox.Triple]:
    """The default graph's triples that no named graph holds: written there directly."""
    for row in solutions(store.query(_DIRECT)):
        yield ox.Triple(row[0], row[1], row[2])


def graph_triples(store: ox.Store, graphs: list[ox.NamedNode]) -> set[ox.Triple]:
    return {q.triple for g in graphs for q in store.quads_for_pattern(None, None, None, g)}


def remove_orphans(store: ox.Store, candidates: set[ox.Triple]) -> None:
    """Out of the default graph: the candidates no named graph holds any more."""
    for t in candidates:
        if not in_named(store, t):
            store.remove(ox.Quad(t.subject, t.predicate, t.object, DEFAULT))


def drop_orphans(candidates: set[ox.Triple]) -> str:
    """An update that takes out of the default graph the candidates no named graph holds (after the drops
    before it in the same request); blank nodes are left to :func:`remove_orphans`."""
    rows = "\n".join(f"({t.subject} {t.predicate} {t.object})" for t in candidates if not _has_blank(t))
    return ("DELETE { ?s ?p ?o } WHERE { VALUES (?s ?p ?o) {\n" + rows + "\n} "
            "FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } } }")


def _has_blank(t: ox.Triple) -> bool:
    return isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode)


def as_triples(nquads: bytes) -> bytes:
    """N-Quads as N-Triples, graphs dropped: what the default graph gets of a unit (in Rust, not per quad)."""
    data = ox.serialize((q.triple for q in ox.parse(nquads, format=ox.RdfFormat.N_QUADS)),
                        format=ox.RdfFormat.N_TRIPLES)
    assert data is not None  # given no output, serialize returns the bytes (its stub says bytes | None)
    return data


_T = TypeVar("_T")


def fresh_blank_nodes(quads: Iterable[ox.Quad]) -> Iterator[ox.Quad]:
    """The quads with each blank node label replaced by a new blank node: labels are local to their file."""
    fresh: dict[str, ox.BlankNode] = {}

    def term(x: _T) -> _T | ox.BlankNode:
        return fresh.setdefault(x.value, ox.BlankNode()) if isinstance(x, ox.BlankNode) else x

    for q in quads:
        g = q.graph_name
        yield ox.Quad(term(q.subject), q.predicate, term(q.object), term(g) if isinstance(g, ox.BlankNode) else g)


def replace_update(unit: Unit) -> str:
    """One SPARQL update that drops the unit's graphs and inserts its quads: one transaction, so a reader of
    a store written in place never sees the article gone, or half there."""
    by_graph: dict[str, list[str]] = {}
    for q in unit.quads():
        graph = "" if isinstance(q.graph_name, ox.DefaultGraph) else str(q.graph_name)
        by_graph.setdefault(graph, []).append(f"{q.subject} {q.predicate} {q.object} .")
    blocks = [("\n".join(lines) if not g else f"GRAPH {g} {{\n" + "\n".join(lines) + "\n}")
              for g, lines in by_graph.items()]
    copies = {line for lines in by_graph.values() for line in lines}  # the default graph keeps every triple once
    blocks.append("\n".join(sorted(copies)))
    drops = [f"DROP SILENT GRAPH {g}" for g in unit.replace]
    return " ;\n".join([*drops, "INSERT DATA {\n" + "\n".join(blocks) + "\n}"])


def versions_dir(location: Path) -> Path:
    return location.parent / f".{location.name}-versions"


def current_version(location: Path) -> str | None:
    try:
        return os.readlink(location)
    except OSError:
        return None


def _remove_uncommitted(versions: Path, current: str | None) -> None:
    """Leftovers of a load that crashed before its commit: never current, safe to delete. A version
    newer than the current one was marked committed by a load killed before it switched the link."""
    newest = int(Path(current).name) if current and Path(current).name.isdigit() else None
    for p in versions.iterdir():
        if p.name.isdigit() and (not (versions / f"{p.name}.committed").exists()
                                 or (newest is not None and int(p.name) > newest)):
            shutil.rmtree(p, ignore_errors=True)
            linkstats.path_for(p).unlink(missing_ok=True)
            (versions / f"{p.name}.committed").unlink(missing_ok=True)
    for p in versions.glob(f"*{linkstats.SUFFIX}.tmp"):  # a counts file whose writing was interrupted
        p.unlink(missing_ok=True)


def _prune(versions: Path, keep: int) -> None:
    committed = sorted(p.name for p in versions.iterdir() if p.name.isdigit())
    for name in committed[:-keep]:
        shutil.rmtree(versions / name, ignore_errors=True)
        linkstats.path_for(versions / name).unlink(missing_ok=True)
        (versions / f"{name}.committed").unlink(missing_ok=True)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_store(location: str, settings: Settings | None = None) -> Reader:
    """A read view of the store a location names: a folder (its current version), ``memory:``, or a
    SPARQL endpoint (http, https) reached with ``settings``' remote-store options."""
    if location.startswith(("http://", "https://")):
        return RemoteStore.from_settings(location, settings or Settings(store=location))
    if location == "memory:":
        return Store(ox.Store(), location, set_default=True)
    path = Path(location)
    if path.exists() and not path.is_symlink():
        # a plain pyoxigraph folder (made by another tool): readable, but loads need the versioned layout
        try:
            return Store(ox.Store.read_only(str(path)), location, version=None, plain=True)
        except OSError as e:
            raise StoreError(f"{location} is not a pyoxigraph store: {e}") from None
    version = current_version(path)
    if version is None:  # nothing loaded yet: an empty view
        return Store(ox.Store(), location, version="", set_default=True)
    try:
        # open the version folder itself, not the link: files opened later must come from this version
        mark = versions_dir(path) / f"{Path(version).name}.committed"
        set_default = mark.exists() and mark.read_text() == SET_MARK
        return Store(ox.Store.read_only(str(path.parent / version)), location, version, set_default=set_default)
    except OSError as e:
        raise StoreError(f"cannot open the store at {location}: {e}") from None


if TYPE_CHECKING:  # mypy's proof that the store and its load session implement the interface
    def _implements(store: Store) -> None:
        _reader: Reader = store
        _writer: interface.Writer = store.writer()
