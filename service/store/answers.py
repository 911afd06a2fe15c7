"""The list and report queries' answers, stored by the load for every version, read a page at a time.

Why: a page of ``members`` or ``entity-facts`` for the busiest entity costs the engine every fact of
that entity (seconds at 100,000 articles); a range read of rows stored in the query's order costs the
page. The rows are those of each saved query's stored form (:mod:`newsgraph.service.sparql.stored`), run
by the load over what it changed: a list's per article, a report's per group of what its rows compare or
count across articles (:mod:`newsgraph.service.store.reports`).

One SQLite file beside the versions (``.store-versions/answers.sqlite``) holds the rows of every kept
version: a row says in which version it was ``added`` and, once an article that gave it is replaced,
in which it was ``removed``; a reader of version ``v`` reads the rows with ``added <= v`` and not
removed by ``v``. So a load writes only the rows of the articles it changed (no copy of the rows of
the others), readers of the previous version keep reading theirs while it writes (SQLite's WAL gives
each read a snapshot), and nobody mixes two versions. The versions whose rows are complete are listed
in ``versions``: a version made by a SPARQL update is not (its reader falls back to SPARQL, and the
next load rebuilds the rows), nor is one whose load stopped before its commit (the next load first
removes what that load wrote).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from newsgraph.loaders import SILENT, Progress, Registry, Unit, entity_quads, worker_context, worker_pool
from newsgraph.loaders.ontology import ROLE_NAMES, ontology_unit
from newsgraph.loaders.vocab import ENTITY_CLASSES, PREFIXES, PROV, Iris
from newsgraph.service.sparql.stored import Plan, StoredForm
from newsgraph.service.store import reports
from newsgraph.service.store.changes import Change
from newsgraph.service.store.reports import DEFAULT, LABEL_PREDICATES

FILE = "answers.sqlite"
FORMAT = "5"
XSD_NS = "http://www.w3.org/2001/XMLSchema#"
#: articles whose rows are made together, in one small store (see Context)
CHUNK = 200
#: a report's groups whose rows are made together (see reports): subject–object pairs, or articles
REPORT_CHUNK = {"relations": 2000, "comparisons": CHUNK}
#: above this share of the store's articles, all rows are made again in one run per query
REBUILD_SHARE = 0.3
ENTITY_CLASS_IRIS = {c.value for c in ENTITY_CLASSES.values()}


def path_in(versions: Path) -> Path:
    return versions / FILE


def _table(name: str) -> str:
    return '"q_' + name.replace('"', "") + '"'


def _connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    else:
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA cache_size = -65536")  # 64 MiB: a load's inserts and index builds, not readers'
    return db


def _schema(db: sqlite3.Connection, form: StoredForm, since: int, indexes: bool = True) -> None:
    """A new table for the form's rows, valid from version ``since`` (a reader of an earlier version,
    whose rows were in the table this one replaces, then falls back to SPARQL). Without ``indexes``, the
    caller makes them (:func:`_indexes`) once the rows are in: one sort instead of a B-tree insert per row."""
    table = _table(form.name)
    db.execute(f"DROP TABLE IF EXISTS {table}")
    if form.grouping == "article":
        columns = "article TEXT, " + ", ".join(f"{c} TEXT" for c in form.extra)
    else:  # a report's group and the other article its row depends on; its columns keep numbers as numbers
        columns = "article TEXT, other TEXT, " + ", ".join(form.extra)
    db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, added INTEGER NOT NULL, removed INTEGER, "
               f"{columns}, row BLOB NOT NULL)")
    if indexes:
        _indexes(db, form)
    db.execute("INSERT OR REPLACE INTO queries (name, signature, since) VALUES (?, ?, ?)",
               (form.name, form.signature, since))


def _indexes(db: sqlite3.Connection, form: StoredForm) -> None:
    table = _table(form.name)
    order = ", ".join(f"{c} DESC" if desc else c for c, desc in form.order)
    for key in form.keys:
        db.execute(f'CREATE INDEX "{form.name}_by_{key}" ON {table} (k_{key}, {order}, id)')
    db.execute(f'CREATE INDEX "{form.name}_by_article" ON {table} (article) WHERE removed IS NULL')
    if form.grouping != "article":
        db.execute(f'CREATE INDEX "{form.name}_by_other" ON {table} (other) WHERE removed IS NULL')
    # what a load's first steps look for: rows of a stopped load, rows no kept version reads any more
    db.execute(f'CREATE INDEX "{form.name}_added" ON {table} (added)')
    db.execute(f'CREATE INDEX "{form.name}_removed" ON {table} (removed) WHERE removed IS NOT NULL')


class RowWriter:
    """The rows of one version being written, in one SQLite transaction: by :func:`write` at the commit of
    a load, or (a fresh store's load, see :func:`rows_of_units`) as the load's units come, made by the
    workers that mapped them. Nothing of it is read before :meth:`finish` lists the version as complete."""

    def __init__(self, versions: Path, version: int, prior: int | None, forms: list[StoredForm], keep_from: int):
        self.version, self.prior, self.forms = version, prior, forms
        self.timings: dict[str, float] = {}
        self.db = db = _connect(path_in(versions))
        try:
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            db.execute("CREATE TABLE IF NOT EXISTS queries (name TEXT PRIMARY KEY, signature TEXT, since INTEGER)")
            db.execute("CREATE TABLE IF NOT EXISTS versions (version INTEGER PRIMARY KEY)")
            new_links = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'links'").fetchone() is None
            db.execute(LINKS_TABLE)
            #: indexes of new tables, made once their rows are in (see _schema)
            self._deferred: list[StoredForm | None] = [None] if new_links else []
            if not new_links:
                self._links_indexes()
            if (db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone() or [FORMAT])[0] != FORMAT:
                for (name,) in db.execute("SELECT name FROM queries").fetchall():
                    db.execute(f"DROP TABLE IF EXISTS {_table(name)}")
                db.execute("DELETE FROM queries")
                db.execute("DELETE FROM versions")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?)", (FORMAT,))
            db.execute("BEGIN IMMEDIATE")
            # a load that stopped after writing here and before its commit left rows of a version never made
            # current (whose number this load may now take): they go first
            self.stored = dict(db.execute("SELECT name, signature FROM queries").fetchall())
            for table in [*(_table(name) for name in self.stored), "links"]:
                if prior is not None:
                    db.execute(f"DELETE FROM {table} WHERE added > ?", (prior,))
                    db.execute(f"UPDATE {table} SET removed = NULL WHERE removed > ?", (prior,))
                db.execute(f"DELETE FROM {table} WHERE removed <= ?", (keep_from,))
            db.execute("DELETE FROM versions WHERE version > ? OR version < ?", (prior or 0, keep_from))
            #: whether the prior version's rows are all there (then only the changed articles' are made again)
            self.complete = prior is not None and db.execute("SELECT 1 FROM versions WHERE version = ?",
                                                             (prior,)).fetchone() is not None
        except BaseException:
            self.abort()
            raise
        self.lists = [f for f in forms if f.grouping == "article"]
        self._inserts = {}
        for form in forms:
            head = ["article", *(["other"] if form.grouping != "article" else []), *form.extra]
            self._inserts[form.name] = (f"INSERT INTO {_table(form.name)} (added, {', '.join(head)}, row) "
                                        f"VALUES (?, {', '.join('?' for _ in head)}, ?)")

    def _links_indexes(self) -> None:
        for index in (LINKS_INDEX, LINKS_BY_ARTICLE, LINKS_ADDED, LINKS_REMOVED):
            self.db.execute(index)

    def is_new(self, form: StoredForm) -> bool:
        """Whether the form's rows are not stored yet, or were made by another text of it (all are made)."""
        return self.stored.get(form.name) != form.signature

    def replace(self, articles: list[ox.NamedNode] | None) -> None:
        """Every list form's rows and the stored links of ``articles`` (of every article: None) are made
        again: the old ones end here."""
        for form in self.lists:
            self.replace_groups(form, None if articles is None else [a.value for a in articles])
        db, version = self.db, self.version
        if articles is None:
            db.execute("UPDATE links SET removed = ? WHERE removed IS NULL", (version,))
        else:
            db.executemany("UPDATE links SET removed = ? WHERE article = ? AND removed IS NULL",
                           [(version, a.value) for a in articles])

    def replace_groups(self, form: StoredForm, groups: list[str] | None) -> None:
        """The form's rows of ``groups`` (articles; a report's groups, whose rows also end with the other
        article they depend on) are made again, or all of them (None): the old ones end here."""
        db, version, table = self.db, self.version, _table(form.name)
        if self.is_new(form):
            if form not in self._deferred:
                _schema(db, form, version, indexes=False)
                self._deferred.append(form)
        elif groups is None:  # all made again; readers of earlier versions keep reading theirs
            db.execute(f"UPDATE {table} SET removed = ? WHERE removed IS NULL", (version,))
        else:
            db.executemany(f"UPDATE {table} SET removed = ? WHERE article = ? AND removed IS NULL",
                           [(version, g) for g in groups])
            if form.grouping == "comparisons":  # (a relation's row depends on no other article)
                db.executemany(f"UPDATE {table} SET removed = ? WHERE other = ? AND removed IS NULL",
                               [(version, g) for g in groups])

    def insert(self, made: tuple[list | None, dict[str, list]]) -> None:
        """A batch's links and rows, as :func:`_make` gives them (a report's rows without links)."""
        t = time.perf_counter()
        links, rows = made
        if links is not None:
            self.db.executemany("INSERT INTO links (added, article, object, property, sort, subject) "
                                "VALUES (?, ?, ?, ?, ?, ?)", ((self.version, *r) for r in links))
        for name, form_rows in rows.items():
            self.db.executemany(self._inserts[name], ((self.version, *r) for r in form_rows))
        self.timings["insert"] = self.timings.get("insert", 0.0) + time.perf_counter() - t

    def finish(self) -> None:
        """List the version as complete, and commit."""
        db = self.db
        try:
            for form in self._deferred:
                if form is None:
                    self._links_indexes()
                else:
                    _indexes(db, form)
            for name in set(self.stored) - {f.name for f in self.forms}:
                db.execute(f"DROP TABLE IF EXISTS {_table(name)}")
                db.execute("DELETE FROM queries WHERE name = ?", (name,))
            db.execute("INSERT OR REPLACE INTO versions VALUES (?)", (self.version,))
            db.execute("COMMIT")
        except BaseException:
            self.abort()
            raise
        db.close()

    def abort(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")
        self.db.close()


def write(versions: Path, store: ox.Store, previous: ox.Store | None, version: int, prior: int | None,
          forms: list[StoredForm], change: Change | None, keep_from: int,
          progress: Progress = SILENT) -> dict[str, float]:
    """Store the rows of ``version`` (``store``, a version about to be committed) for every stored form:
    from the rows of ``prior`` (``previous``) with those of the changed articles made again, or all of
    them. Rows that only versions before ``keep_from`` read are dropped. Returns seconds per phase."""
    out = RowWriter(versions, version, prior, forms, keep_from)
    timings = out.timings
    try:
        with Rows(out, store, progress) as rows:
            affected: set[str] | None = None
            relabelled: set = set()
            written: set[str] = set()
            if out.complete and change is not None and not change.whole and previous is not None:
                t = time.perf_counter()
                relabelled = _relabelled(store, previous, change)
                written = _written_articles(store, previous, change)
                affected = written | _naming(store, relabelled)
                timings["affected"] = time.perf_counter() - t
                total = _article_count(store)
                if total and len(affected) > REBUILD_SHARE * total:
                    affected = None
            if affected is None or any(out.is_new(f) for f in out.lists):
                # (a list query stored for the first time, or edited: every article's rows, and the links)
                rows.lists(None)
            else:
                rows.lists(sorted(ox.NamedNode(a) for a in affected))
            for form in forms:
                if form.grouping == "article":
                    continue
                groups = None
                if affected is not None and not out.is_new(form):
                    assert previous is not None and change is not None
                    groups = reports.changed(form, store, previous, change, relabelled,
                                             written, affected)
                rows.report(form, groups, None if groups is None else affected)
    except BaseException:
        out.abort()
        raise
    out.finish()
    return timings


def store_reports(out: RowWriter, store: ox.Store, progress: Progress = SILENT) -> None:
    """Every report's rows of a load into an empty store, whose list rows its workers made: a report
    compares articles, so its rows are made once they are all written."""
    with Rows(out, store, progress) as rows:
        for form in out.forms:
            if form.grouping != "article":
                rows.report(form, None, None)


class Rows:
    """Makes the rows of one version, batch by batch, in worker processes when there are many batches
    (the batches' small stores built here meanwhile), and hands them to the :class:`RowWriter`."""

    def __init__(self, out: RowWriter, store: ox.Store, progress: Progress):
        self.out, self.store, self.progress = out, store, progress
        self.entities = _entities(store)
        self.context = Context(store)
        self._pool: ExitStack | None = None
        self._submit: Callable[..., Future] | None = None

    def __enter__(self) -> Rows:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.close()

    def lists(self, articles: list[ox.NamedNode] | None) -> None:
        """Every list form's rows and the stored links of ``articles`` (of every article: None)."""
        forms = self.out.lists
        if not forms:
            return
        self.out.replace(articles)
        if articles is None:
            articles = _all_articles(self.store)
        self.progress.phase("indexing: stored rows", len(articles), "articles")
        batches = [articles[i:i + CHUNK] for i in range(0, len(articles), CHUNK)]

        def data(batch: list[ox.NamedNode]) -> tuple:
            return _made_in_worker, self.context.data_for(batch), [a.value for a in batch]

        self._run(batches, data, CHUNK)

    def report(self, form: StoredForm, groups: set[str] | None, affected: set[str] | None) -> None:
        """A report's rows of ``groups`` (of every group: None); ``affected``: the articles whose rows are
        made again (None: all), which decides which batch keeps a row that two articles give."""
        self.out.replace_groups(form, None if groups is None else sorted(groups))
        builder = reports.Builder(form, self.store, whole=groups is None)
        chosen = builder.every() if groups is None else sorted(groups)
        self.progress.phase(f"indexing: {form.name}", len(chosen), "groups")
        size = REPORT_CHUNK[form.grouping]
        transfers = [g for g in chosen if g.startswith(reports.TRANSFER + " ")]  # (never in one batch with articles)
        others = [g for g in chosen if not g.startswith(reports.TRANSFER + " ")]
        batches = [part[i:i + size] for part in (transfers, others) for i in range(0, len(part), size)]

        def data(batch: list[str]) -> tuple:
            return _report_made_in_worker, form.name, builder.data_for(batch), batch, affected

        self._run(batches, data, size)

    def _run(self, batches: list, data: Callable[[Any], tuple], size: int) -> None:
        timings = self.out.timings
        if len(batches) < 3 and self._pool is None:  # a few: here, without starting processes
            context = (self.out.forms, self.entities)
            for batch in batches:
                fn, *args = data(batch)
                self._insert(fn(*args, context=context), size)
            return
        workers = max(1, min(os.cpu_count() or 1, len(batches)))
        if self._pool is None:
            self._pool = ExitStack()
            pool = self._pool.enter_context(worker_pool(workers, (self.out.forms, self.entities)))
            self._submit = pool.submit
        pending: deque = deque()
        for batch in batches:
            t = time.perf_counter()
            fn, *args = data(batch)
            timings["context"] = timings.get("context", 0.0) + time.perf_counter() - t
            assert self._submit is not None
            pending.append(self._submit(fn, *args))
            while len(pending) > 2 * workers:  # bounded: memory does not grow with the store
                self._insert(pending.popleft().result(), size)
        while pending:
            self._insert(pending.popleft().result(), size)

    def _insert(self, made: tuple, size: int) -> None:
        self.out.insert(made)
        self.progress.advance(size)  # (the bar stops at its total)


def _select(store: ox.Store, text: str) -> ox.QuerySolutions:
    rows = store.query(text, prefixes=PREFIXES)
    assert isinstance(rows, ox.QuerySolutions)
    return rows


def _entities(store: ox.Store) -> set[str]:
    classes = " ".join(f"<{c}>" for c in sorted(ENTITY_CLASS_IRIS))
    return {r["e"].value for r in _select(store, f"SELECT DISTINCT ?e WHERE {{ VALUES ?c {{ {classes} }} ?e a ?c }}")}


def _article_count(store: ox.Store) -> int:
    return int(next(iter(_select(store, "SELECT (COUNT(*) AS ?n) WHERE { ?a a nf:Article }")))["n"].value)


def _articles_of(store: ox.Store, graph: ox.NamedNode) -> set[str]:
    return {q.object.value for q in store.quads_for_pattern(None, PROV.wasDerivedFrom, None, graph)
            if isinstance(q.object, ox.NamedNode)}


def _relabelled(store: ox.Store, previous: ox.Store, change: Change) -> set:
    """The IRIs whose labels, identifier or type changed in the graphs the load wrote that are no article's."""
    others = change.graphs() - change.articles
    return {t.subject for t in change.differences(store, previous, others, LABEL_PREDICATES)}


def _written_articles(store: ox.Store, previous: ox.Store, change: Change) -> set[str]:
    """The articles of the graphs the load wrote or replaced, as they were and as they are."""
    out: set[str] = set()
    for g in change.articles:
        node = ox.NamedNode(g)
        out |= _articles_of(store, node) | _articles_of(previous, node)
    return out


def _naming(store: ox.Store, iris: set) -> set[str]:
    """The articles whose facts name one of ``iris`` (their rows say its label, identifier or type)."""
    out: set[str] = set()
    for s in iris:
        for q in store.quads_for_pattern(None, None, s, ox.DefaultGraph()):
            for d in store.quads_for_pattern(q.subject, PROV.wasDerivedFrom, None, ox.DefaultGraph()):
                if isinstance(d.object, ox.NamedNode):
                    out.add(d.object.value)
    return out


#: the links of an entity page's large groups, newest first (see newsgraph.service.web.describe): a fact
#: naming an entity in a role, by the fact's latest day; an article naming its publisher, by its date
LINKS_TABLE = ("CREATE TABLE IF NOT EXISTS links (added INTEGER NOT NULL, removed INTEGER, article TEXT, "
               "object TEXT NOT NULL, property TEXT NOT NULL, sort TEXT, subject TEXT NOT NULL)")
LINKS_INDEX = "CREATE INDEX IF NOT EXISTS links_by_object ON links (object, property, sort DESC, subject)"
LINKS_BY_ARTICLE = "CREATE INDEX IF NOT EXISTS links_by_article ON links (article) WHERE removed IS NULL"
LINKS_ADDED = "CREATE INDEX IF NOT EXISTS links_added ON links (added)"
LINKS_REMOVED = "CREATE INDEX IF NOT EXISTS links_removed ON links (removed) WHERE removed IS NOT NULL"
_LINKS = f"""
SELECT ?s ?p ?o ?article (MAX(?when) AS ?sort) WHERE {{
  {{ VALUES ?p {{ {" ".join(f"<{iri}>" for iri in sorted(ROLE_NAMES))} }}
    ?s ?p ?o ; prov:wasDerivedFrom ?article . OPTIONAL {{ ?s nf:latest ?when }} }}
  UNION
  {{ VALUES ?p {{ schema:publisher }} ?s ?p ?o . BIND(?s AS ?article)
    OPTIONAL {{ ?s schema:datePublished|schema:dateCreated ?when }} }}
  FILTER(isIRI(?s) && isIRI(?o))
}} GROUP BY ?s ?p ?o ?article
"""


def _links(small: ox.Store, articles: set[str]) -> Iterator[tuple]:
    """(article, object, property, sort, subject) for the dated links of the batch's articles."""
    for r in _select(small, _LINKS):
        article = r["article"].value
        if article in articles:
            sort = r["sort"]
            yield article, r["o"].value, r["p"].value, sort.value if sort is not None else None, r["s"].value


class Context:
    """Small stores holding what a batch of articles' rows are made of.

    Why: the engine answers a stored query over the whole store by hash joins over whole extents (every
    ``nf:latest``, every ``rdf:type``…), so making the rows of a few articles costs what the store holds.
    A row of a stored query reads a fact, the article it is derived from, and the labels, identifiers and
    types of what those two name; so the rows of some articles are the stored query's answer over a store
    that holds just that: every triple of the articles and of the facts derived from them, and the
    ``rdfs:label``, ``dcterms:identifier`` and ``rdf:type`` triples of every IRI they point to. Evaluated
    there, a batch costs what it holds, at load and when one article is replaced. (tests/test_stored_answers.py
    holds the rows equal to the whole store's SPARQL answers.)
    """

    def __init__(self, store: ox.Store, named: ox.Store | None = None):
        self.store = store
        #: where the labels, identifiers and types of what the articles point to are (the store itself, or,
        #: in a load's worker, a store of the registry's and the ontology's)
        self.named = named if named is not None else store
        self._named: dict[ox.NamedNode, list[ox.Quad]] = {}  # an IRI's label, identifier and type triples

    def data_for(self, articles: list[ox.NamedNode]) -> bytes:
        """The small store's content for ``articles``, as N-Triples (what :func:`_make` loads)."""
        data = ox.serialize([q.triple for q in self._quads(articles)], format=ox.RdfFormat.N_TRIPLES)
        assert data is not None
        return data

    def _quads(self, articles: list[ox.NamedNode]) -> list[ox.Quad]:
        subjects: set = set(articles)
        for a in articles:
            subjects.update(q.subject for q in self.store.quads_for_pattern(None, PROV.wasDerivedFrom, a, DEFAULT))
        return list(reports.with_labels(self.store, subjects, self._labels))

    def _labels(self, iris: set) -> Iterator[ox.Quad]:
        for o in iris:
            if o not in self._named:
                self._named[o] = [q for p in LABEL_PREDICATES
                                  for q in self.named.quads_for_pattern(o, p, None, DEFAULT)]
            yield from self._named[o]


def _make(data: bytes, articles: list[str], forms: list[StoredForm],
          entities: set[str]) -> tuple[list, dict[str, list]]:
    """The stored links and every list form's rows of a batch of articles, from its small store's N-Triples."""
    small = _small_store(data, ox.RdfFormat.N_TRIPLES)
    wanted = set(articles)
    return list(_links(small, wanted)), {f.name: list(_rows(small, f, entities, wanted))
                                         for f in forms if f.grouping == "article"}


def _made_in_worker(data: bytes, articles: list[str],
                    context: tuple | None = None) -> tuple[list | None, dict[str, list]]:
    forms, entities = _context(context)
    return _make(data, articles, forms, entities)


def _context(given: tuple | None) -> tuple[list[StoredForm], set[str]]:
    """The stored forms and entity IRIs: given (rows made here), or this worker's (see worker_pool)."""
    context = given if given is not None else worker_context()
    assert context is not None
    return context


def _report_made_in_worker(name: str, data: bytes, groups: list[str], affected: set[str] | None,
                           context: tuple | None = None) -> tuple[None, dict[str, list]]:
    forms, entities = _context(context)
    form = next(f for f in forms if f.name == name)
    small = _small_store(data, ox.RdfFormat.N_QUADS)
    return None, {name: list(_report_rows(small, form, entities, set(groups), affected))}


#: a load worker's store of the registry's and the ontology's labels, identifiers and types, and the registry's
#: entity IRIs, made once per worker (the registry is the worker's for its whole life)
_named_in_worker: dict[int, tuple[ox.Store, set[str]]] = {}


def rows_of_units(units: list[Unit], registry: Registry, iris: Iris, forms: list[StoredForm]) -> None:
    """The stored rows of a load into an empty store, made by the workers that map its sheets: each article
    unit gets its links and rows in ``derived`` (see :meth:`RowWriter.insert`), and the writer stores them as
    they come instead of making them all at its commit.

    The rows are the stored forms' answers over the same small store :class:`Context` builds from a whole
    store: the articles' own triples, and the labels, identifiers and types of what they point to, which in
    an empty store come from this load's registry (every declaration of an entity, merged) and the
    ontology. (tests/test_stored_answers.py holds them equal to the SPARQL answers.)
    """
    articles = [u for u in units if u.kind == "article" and u.triples is not None and u.replace]
    if not articles:
        return
    key = id(registry)
    if key not in _named_in_worker:
        named = ox.Store()
        quads = [q for e in registry for q in entity_quads(e, iris, registry) if q.predicate in LABEL_PREDICATES]
        quads += [q for q in ontology_unit(iris).quads() if q.predicate in LABEL_PREDICATES]
        named.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in quads)
        _named_in_worker.clear()
        _named_in_worker[key] = (named, {iris.entity(e.type, e.id).value for e in registry})
    named, entities = _named_in_worker[key]
    forms = [f for f in forms if f.grouping == "article"]  # (a report's rows are made once all is written)
    own = ox.Store()
    own.bulk_load(b"".join(u.triples for u in articles if u.triples is not None), format=ox.RdfFormat.N_TRIPLES)
    prefix = iris.article_graph("").value
    nodes = [iris.article(u.replace[0].value[len(prefix):]) for u in articles]
    links, rows = _make(Context(own, named).data_for(nodes), [n.value for n in nodes], forms, entities)
    by_article: dict[str, tuple[list, dict[str, list]]] = {n.value: ([], {f.name: [] for f in forms}) for n in nodes}
    for link in links:
        by_article[link[0]][0].append(link)
    for name, form_rows in rows.items():
        for row in form_rows:
            by_article[row[0]][1][name].append(row)
    for unit, node in zip(articles, nodes, strict=True):
        unit.derived = by_article[node.value]


def _all_articles(store: ox.Store) -> list[ox.NamedNode]:
    """Everything a fact is derived from (an article, or whatever an RDF file's facts name so)."""
    return sorted({q.object for q in store.quads_for_pattern(None, PROV.wasDerivedFrom, None, ox.DefaultGraph())
                   if isinstance(q.object, ox.NamedNode)}, key=lambda n: n.value)


def _small_store(data: bytes, fmt: ox.RdfFormat) -> ox.Store:
    small = ox.Store()
    small.bulk_load(data, format=fmt)
    return small


def _bindings(small: ox.Store, form: StoredForm) -> list[dict]:
    """The stored form's answer over a small store, as SPARQL JSON bindings: the engine writes the JSON in
    Rust, and reading it back is faster than converting terms one by one."""
    results = small.query(form.text, prefixes=PREFIXES)
    assert isinstance(results, ox.QuerySolutions)
    text = results.serialize(format=ox.QueryResultsFormat.JSON)
    assert text is not None  # (no output given: the bytes are returned)
    return json.loads(text)["results"]["bindings"]


def _rows(small: ox.Store, form: StoredForm, entities: set[str], articles: set[str]) -> Iterator[tuple]:
    """(article, stored columns…, row JSON) for every row of the stored form over ``small`` whose article is
    one of ``articles`` (a fact derived from several articles gets its rows of another article in that one's
    batch, where that article's own triples are)."""
    keys = [f"k_{k}" for k in form.keys]
    for b in _bindings(small, form):
        article = b.get("article", {}).get("value")
        if article not in articles:
            continue
        values = {column: (b[var]["value"] if var in b else None) for column, var in form.extra.items()}
        # rows are kept for the keys a reader can ask for with the stored rows: entities (see Answers.page)
        named = [values[k] if values[k] in entities else None for k in keys]
        if keys and not any(named):
            continue
        for k, v in zip(keys, named, strict=True):
            values[k] = v
        row = [_cell(b.get(c)) for c in form.columns]
        yield (article, *values.values(), zlib.compress(json.dumps(row, ensure_ascii=False,
                                                                  separators=(",", ":")).encode(), 1))


def _report_rows(small: ox.Store, form: StoredForm, entities: set[str], batch: set[str],
                 affected: set[str] | None) -> Iterator[tuple]:
    """(group, other article, stored columns…, row JSON) for the report rows of the groups in ``batch``,
    keyed by each entity the row names and once more unkeyed (key ""), the row a request without the key
    reads. A row that two articles give (a claim compared with another article's) belongs to the batch of
    its claim's article, or, when that article's rows are not made again, to the other's."""
    (key,) = [f"k_{k}" for k in form.keys]
    whole_transfers = any(g.startswith(reports.TRANSFER + " ") for g in batch)
    unkeyed: set[str] = set()
    for b in _bindings(small, form):
        group, other = reports.units(form, b)
        # (a whole rebuild's batch of whole transfers makes each of their rows here alone)
        if not whole_transfers and group not in batch and \
                not (other in batch and affected is not None and group not in affected):
            continue
        values = {column: _sortable(b.get(var)) for column, var in form.extra.items()}
        row = json.dumps([_cell(b.get(c)) for c in form.columns], ensure_ascii=False, separators=(",", ":"))
        blob = zlib.compress(row.encode(), 1)
        if values[key] in entities:
            yield (group, other, *values.values(), blob)
        if row not in unkeyed:
            unkeyed.add(row)
            values[key] = ""
            yield (group, other, *values.values(), blob)


NUMERIC = {XSD_NS + t for t in ("integer", "decimal", "double", "float", "long", "int")}


def _sortable(term: dict | None) -> object:
    """A report's column value as SQLite compares it: numbers as numbers (a count sorts 10 after 9)."""
    if term is None:
        return None
    if term.get("datatype") in NUMERIC:
        try:
            return int(term["value"])
        except ValueError:
            try:
                return float(term["value"])
            except ValueError:
                return term["value"]
    return term["value"]


def _cell(term: dict | None) -> object:
    """A SPARQL JSON term, compactly: a plain string as itself, an IRI as [iri], a tagged or typed literal
    as [value, "@tag"] or [value, datatype] (XML Schema's as "xsd:…"), a blank node as [id, "_"]."""
    if term is None:
        return None
    kind, value = term["type"], term["value"]
    if kind == "uri":
        return [value]
    if kind == "bnode":
        return [value, "_"]
    if "xml:lang" in term:
        return [value, "@" + term["xml:lang"]]
    if "datatype" in term:
        dt = term["datatype"]
        return [value, "xsd:" + dt[len(XSD_NS):] if dt.startswith(XSD_NS) else dt]
    return value


def _node(cell: object) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(cell, str):
        return ox.Literal(cell)
    assert isinstance(cell, list)
    if len(cell) == 1:
        return ox.NamedNode(cell[0])
    value, extra = cell
    if extra == "_":
        return ox.BlankNode(value)
    if extra.startswith("@"):
        return ox.Literal(value, language=extra[1:])
    return ox.Literal(value, datatype=ox.NamedNode(XSD_NS + extra[4:] if extra.startswith("xsd:") else extra))


def terms(row: bytes) -> list[ox.NamedNode | ox.BlankNode | ox.Literal | None]:
    """A stored row as RDF terms, one per column (None where unbound)."""
    return [None if cell is None else _node(cell) for cell in json.loads(zlib.decompress(row))]


class Answers:
    """A reader of the stored rows (one per executor process): pages for one version, or None when that
    version's rows are not there (then SPARQL answers)."""

    def __init__(self, versions: Path):
        self.path = path_in(versions)
        self._local = threading.local()  # a connection per thread: web workers read from several
        self._signatures: dict[str, tuple[str, int]] = {}
        self._complete: set[int] = set()
        self._whole: dict[tuple[int, str, str, int], bool] = {}  # whether a group's stored links are all of it

    def _open(self) -> sqlite3.Connection | None:
        if getattr(self._local, "db", None) is None:
            if not self.path.exists():
                return None
            try:
                db = _connect(self.path, readonly=True)
                found = db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
            except sqlite3.Error:
                return None
            if found is None or found[0] != FORMAT:  # written by another newsgraph: SPARQL until the next load
                db.close()
                return None
            self._local.db = db
        return self._local.db

    def links(self, store_version: str | None, obj: str, prop: str, offset: int, count: int,
              total: int) -> list[str] | None:
        """One page of the subjects linking to ``obj`` through ``prop``, newest first, or None when this
        version has no stored links or they are not the whole group (``total`` links: blank-node
        subjects, links that RDF files made)."""
        if store_version is None or not store_version.isdigit():
            return None
        db = self._open()
        if db is None:
            return None
        version = int(store_version)
        live = "object = ? AND property = ? AND added <= ? AND (removed IS NULL OR removed > ?)"
        try:
            if version not in self._complete:
                self._complete = {v for (v,) in db.execute("SELECT version FROM versions")}
            if version not in self._complete:
                return None
            args = (obj, prop, version, version)
            whole = self._whole.get((version, obj, prop, total))
            if whole is None:  # counted once per group and version: a count reads the whole group
                (n,) = db.execute(f"SELECT COUNT(*) FROM links WHERE {live}", args).fetchone()
                whole = self._whole[(version, obj, prop, total)] = n == total
                if len(self._whole) > 10_000:
                    self._whole.clear()
            if not whole:
                return None
            return [s for (s,) in db.execute(f"SELECT subject FROM links WHERE {live} "
                                             "ORDER BY sort DESC, subject LIMIT ? OFFSET ?", (*args, count, offset))]
        except sqlite3.Error:
            return None

    def page(self, store_version: str | None, plan: Plan, is_entity: bool, offset: int,
             count: int) -> list[bytes] | None:
        """The rows ``offset`` … of the plan's answer as SPARQL JSON bindings, or None (SPARQL answers)."""
        if store_version is None or not store_version.isdigit() or not is_entity:
            return None
        db = self._open()
        if db is None:
            return None
        version = int(store_version)
        try:
            if version not in self._complete or self._signatures.get(plan.query, ("",))[0] != plan.signature:
                self._complete = {v for (v,) in db.execute("SELECT version FROM versions")}
                self._signatures = {name: (sig, since) for name, sig, since
                                    in db.execute("SELECT name, signature, since FROM queries")}
            sig, since = self._signatures.get(plan.query, ("", 0))
            if version not in self._complete or sig != plan.signature or version < since:
                return None
            where = [f"k_{plan.key} = ?", "added <= ?", "(removed IS NULL OR removed > ?)"]
            args: list[object] = [plan.value, version, version]
            for column, op, nullable, values in plan.filters:
                if op == "in":
                    test = f"{column} IN ({', '.join('?' for _ in values)})"
                    args += values
                else:
                    test = f"{column} {op} ?"
                    args.append(values[0])
                where.append(f"({column} IS NULL OR {test})" if nullable else test)
            order_by = ", ".join(f"{c} DESC" if desc else c for c, desc in plan.order) + ", id"
            sql = (f"SELECT row FROM {_table(plan.query)} WHERE {' AND '.join(where)} "
                   f"ORDER BY {order_by} LIMIT ? OFFSET ?")
            return [r for (r,) in db.execute(sql, (*args, count, offset))]
        except sqlite3.Error:
            return None


_readers: dict[Path, Answers] = {}


def reader(versions: Path) -> Answers:
    """This process's reader of the stored rows beside ``versions`` (one connection, kept)."""
    if versions not in _readers:
        _readers[versions] = Answers(versions)
    return _readers[versions]


def is_entity(types: Iterable[object]) -> bool:
    return any(isinstance(t, ox.NamedNode) and t.value in ENTITY_CLASS_IRIS for t in types)
