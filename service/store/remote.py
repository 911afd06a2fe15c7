"""The remote store: the same interface as :class:`newsgraph.service.store.embedded.Store`, over a SPARQL 1.1 engine.

Reads are SPARQL queries sent with the protocol; their answers are normalised (Virtuoso's JSON
``typed-literal``, its ``nodeID://`` blank nodes) and parsed by pyoxigraph, so the rest of the service
gets exactly the objects the embedded store gives. Terms are bound by ``VALUES`` blocks serialised
from terms — never pasted as text.

Writes: one article is one graph, replaced with the Graph Store Protocol's ``PUT`` — a single
operation the engine applies whole or not at all. Measured on Virtuoso 7.2: a multi-operation update
request is *not* atomic (``DROP GRAPH g; LOAD <bad> INTO g`` that fails leaves g dropped), while a
``PUT`` whose body is broken half-way leaves the graph as it was. Entity declarations, which merge
into the shared entities graph, are inserted first: if the article's ``PUT`` then fails, the store
holds at most a few more names, never half an article.

The default graph is the set of the dataset's own graphs' triples. Virtuoso's union of graphs counts a
triple once per graph that holds it (and includes its system graphs), so on Virtuoso the loads keep a
deduplicated copy, ``UNION_GRAPH``, and each query names it with ``define input:default-graph-uri``
(hidden from ``GRAPH ?g``). A store that has no copy yet is read as the union, its system graphs left
out with ``define input:default-graph-exclude``, until its next load builds the copy.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Literal

import pyoxigraph as ox

from newsgraph.loaders import Unit
from newsgraph.loaders.ontology import ontology_unit
from newsgraph.loaders.vocab import PREFIXES, Iris
from newsgraph.service.config import Settings
from newsgraph.service.sparql.text import bind_values, tokens, where_brace
from newsgraph.service.store.interface import Reader, SparqlReads, StoreError, Writer, solutions

RESULTS_JSON = "application/sparql-results+json"
BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
NTRIPLES = "application/n-triples"
#: graphs a Virtuoso server keeps for itself (its DefaultHost is localhost:8890 unless configured); they
#: are no part of the dataset
VIRTUOSO_GRAPHS = ("http://www.openlinksw.com/schemas/virtrdf#", "http://www.w3.org/ns/ldp#",
                   "http://www.w3.org/2002/07/owl#", "http://localhost:8890/sparql", "http://localhost:8890/DAV/")
#: how engines say a query ran, or would run, past their time limit (Virtuoso: SR171, S1TAT, 42000 estimate)
TIME_LIMIT = re.compile(r"estimated execution time|exceeds the limit|S1TAT|SR171|timeout|timed out", re.I)


#: a transaction the engine rolled back because it deadlocked with another (SQL state 40001; Virtuoso: SR172)
DEADLOCK = re.compile(r"\b40001\b|SR172|[Dd]eadlock")
DEADLOCK_RETRIES = 6


class RemoteError(StoreError):
    """The engine refused or failed a request; the message is the engine's, shortened."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class RemoteTimeout(RemoteError):
    pass


def _prologue(text: str, base_iri: str | None) -> str:
    """The predeclared prefixes (those the query does not declare itself) and the base, as text."""
    declared = {t.text.rstrip(":").lower() for t in tokens(text) if t.kind == "word" and t.text.endswith(":")}
    lines = [f"PREFIX {p}: <{ns}>" for p, ns in PREFIXES.items() if p.lower() not in declared]
    if base_iri:
        lines.insert(0, f"BASE <{base_iri}>")
    return "\n".join(lines) + "\n"


def _form(text: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the query's form, read from its first top-level keyword."""
    for t in tokens(text):
        if t.kind == "word" and t.depth == 0 and t.text.upper() in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
            return t.text.upper()
    return "SELECT"


HIDDEN = "__ng_graph"  # variables this module adds; dropped from every answer


def named_graph_constants(text: str) -> str:
    """``GRAPH <g> {…}`` → ``VALUES ?__ng_graph1 { <g> } GRAPH ?__ng_graph1 {…}``.

    Measured on Virtuoso 7.2: with ``define input:default-graph-exclude`` a ``GRAPH`` block naming a
    constant graph matches nothing, while the same block over a variable bound to it does. The added
    variables are removed from the answer (:func:`normalise_results`), so ``SELECT *`` is unchanged.
    """
    toks = tokens(text)
    edits: list[tuple[int, int, str]] = []
    for i, t in enumerate(toks[:-1]):
        if t.kind != "word" or t.text.upper() != "GRAPH":
            continue
        g = toks[i + 1]
        if g.kind == "iri":
            term, end = f"<{g.text}>", g.start + len(g.text) + 2
        elif g.kind == "word" and ":" in g.text and g.text[:1] not in "?$":
            term, end = g.text, g.start + len(g.text)
        else:
            continue
        var = f"?{HIDDEN}{len(edits) + 1}"
        edits.append((t.start, end, f"VALUES {var} {{ {term} }} GRAPH {var}"))
    for start, end, replacement in reversed(edits):
        text = text[:start] + replacement + text[end:]
    return text


#: Virtuoso: the default graph as a set, kept by the loads (see RemoteWriter); not part of the dataset
UNION_GRAPH = "urn:x-newsgraph:default-graph"


def hide_union_graph(text: str) -> str:
    """``GRAPH ?g {…}`` → ``GRAPH ?g {…} FILTER(?g != <union>)``: the deduplicated copy that serves as the
    default graph is no named graph of the dataset, so a variable graph never ranges over it."""
    toks = tokens(text)
    inserts: list[tuple[int, str]] = []
    for i, t in enumerate(toks[:-2]):
        if t.kind != "word" or t.text.upper() != "GRAPH":
            continue
        var, brace = toks[i + 1], toks[i + 2]
        if var.kind != "word" or var.text[:1] not in "?$" or brace.text != "{":
            continue
        close = next((u for u in toks[i + 3:] if u.kind == "punct" and u.text == "}" and u.depth == brace.depth),
                     None)
        if close is not None:
            inserts.append((close.start + 1, f" FILTER({var.text} != <{UNION_GRAPH}>)"))
    for at, addition in sorted(inserts, reverse=True):
        text = text[:at] + addition + text[at:]
    return text


def describe_as_construct(text: str) -> str:
    """``DESCRIBE <a> <b>`` → the CONSTRUCT of their own triples: Virtuoso 7.2 describes nothing from the
    default graph. A DESCRIBE with variables or a WHERE clause is left to the engine."""
    toks = tokens(text)
    at = next((i for i, t in enumerate(toks) if t.kind == "word" and t.depth == 0 and t.text.upper() == "DESCRIBE"),
              None)
    if at is None:
        return text
    rest = toks[at + 1:]
    if not rest or any(not (t.kind == "iri" or (t.kind == "word" and ":" in t.text and t.text[:1] not in "?$"))
                       for t in rest):
        return text
    terms = " ".join(f"<{t.text}>" if t.kind == "iri" else t.text for t in rest)
    return (text[:toks[at].start] + f"CONSTRUCT {{ ?__ng_d ?__ng_p ?__ng_o }} WHERE {{ VALUES ?__ng_d {{ {terms} }} "
            "?__ng_d ?__ng_p ?__ng_o }")


def _values(terms: list[Any]) -> list[Any]:
    """Terms for a VALUES block. Virtuoso 7.2 matches nothing for a VALUES block holding one blank node
    alone (two, or the same twice, match): a lone blank node is given twice (queries here are DISTINCT)."""
    return terms * 2 if len(terms) == 1 and isinstance(terms[0], ox.BlankNode) else terms


def _has_dataset_clause(text: str) -> bool:
    return any(t.kind == "word" and t.depth == 0 and t.text.upper() in ("FROM", "USING") for t in tokens(text))


def _term(value: dict[str, Any]) -> dict[str, Any]:
    kind = value.get("type")
    v = value.get("value", "")
    if kind == "uri":
        return {"type": "uri", "value": v} if not v.startswith("nodeID://") else {"type": "bnode", "value": v[9:]}
    if kind == "bnode":
        return {"type": "bnode", "value": v[9:] if v.startswith("nodeID://") else v}
    out = {"type": "literal", "value": v}
    if "xml:lang" in value:
        out["xml:lang"] = value["xml:lang"]
    elif value.get("datatype") and value["datatype"] != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = value["datatype"]
        if value["datatype"] == BOOLEAN and v in ("0", "1"):  # Virtuoso writes booleans as 0 and 1
            out["value"] = "true" if v == "1" else "false"
    return out


def normalise_results(body: bytes) -> bytes:
    """SPARQL JSON as the Recommendation has it: ``typed-literal`` read as a literal with its datatype,
    ``nodeID://`` identifiers as blank nodes, and nothing else (Virtuoso adds ``link``, ``distinct``…)."""
    doc = json.loads(body)
    if "boolean" in doc:
        return json.dumps({"head": {}, "boolean": bool(doc["boolean"])}).encode()
    rows = [{k: _term(v) for k, v in row.items() if not k.startswith(HIDDEN)}
            for row in doc.get("results", {}).get("bindings", [])]
    names = [v for v in doc.get("head", {}).get("vars", []) if not v.startswith(HIDDEN)]
    return json.dumps({"head": {"vars": names}, "results": {"bindings": rows}}).encode()


_NODE_ID = re.compile(rb"<nodeID://([A-Za-z0-9_]+)>")


def normalise_ntriples(body: bytes) -> bytes:
    return _NODE_ID.sub(rb"_:\1", body)


class RemoteStore(SparqlReads):
    """A SPARQL 1.1 engine seen through the embedded store's interface."""

    plain = False
    version: str | None = None  # no versions: every read sees the engine's current state
    cache_key: str | None = None  # nothing to key a cache on: the engine's data changes in place

    def __init__(self, endpoint: str, update_url: str | None = None, user: str | None = None,
                 password: str | None = None, token: str | None = None, query_timeout: float = 30.0,
                 gsp_url: str | None = None):
        self.location = endpoint
        self.gsp_url = gsp_url
        self.endpoint = endpoint
        self.update_url = update_url or endpoint
        self.query_timeout = query_timeout  # the engine is asked to stop there itself (Virtuoso: ``timeout``)
        self.timeout = query_timeout + 30  # what this side waits for an answer, a query's or a load's
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        handlers: list[urllib.request.BaseHandler] = []
        if user:
            manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            for url in {self.endpoint, self.update_url, self.crud_url}:
                manager.add_password(None, url, user, password or "")
            handlers = [urllib.request.HTTPDigestAuthHandler(manager), urllib.request.HTTPBasicAuthHandler(manager)]
        self._opener = urllib.request.build_opener(*handlers)
        self._excluded: list[str] | None = None
        self._virtuoso: bool | None = None
        self._union_ready = False
        self._union_checked = float("-inf")

    @classmethod
    def from_settings(cls, endpoint: str, settings: Settings) -> RemoteStore:
        return cls(endpoint, settings.remote_update_url, settings.remote_user, settings.remote_password,
                   settings.remote_token, settings.query_timeout, settings.remote_gsp_url)

    @property
    def crud_url(self) -> str:
        """Where graphs are replaced whole (Graph Store Protocol): beside the update endpoint."""
        if self.gsp_url:
            return self.gsp_url
        base, _, last = self.update_url.rstrip("/").rpartition("/")
        return f"{base}/sparql-graph-crud-auth" if last == "sparql-auth" else f"{base}/sparql-graph-crud"

    # ---- HTTP ---------------------------------------------------------------------------------------

    def _send(self, url: str, data: bytes | None, headers: dict[str, str], method: str = "POST",
              timeout: float | None = None) -> tuple[int, Any, bytes]:
        """One request; one the engine rolled back as a deadlock (Virtuoso's SQL state 40001, which concurrent
        writes into a shared graph meet) is sent again, a few times: nothing of it was applied."""
        for attempt in range(DEADLOCK_RETRIES + 1):
            try:
                return self._send_once(url, data, headers, method, timeout)
            except RemoteError as e:
                if attempt == DEADLOCK_RETRIES or not DEADLOCK.search(str(e)):
                    raise
                time.sleep(0.05 * 2 ** attempt * (1 + random.random()))
        raise AssertionError("unreachable")

    def _send_once(self, url: str, data: bytes | None, headers: dict[str, str], method: str,
                   timeout: float | None) -> tuple[int, Any, bytes]:
        req = urllib.request.Request(url, data=data, method=method, headers={**self._headers, **headers})
        try:
            with self._opener.open(req, timeout=timeout or self.timeout) as r:
                body = r.read()
                if r.headers.get("X-SQL-State") == "S1TAT":  # Virtuoso's "anytime" answer: partial
                    raise RemoteTimeout(503, "the engine stopped the query at its time limit")
                if self._virtuoso is None:
                    self._virtuoso = "virtuoso" in (r.headers.get("Server") or "").lower()
                return r.status, r.headers, body
        except urllib.error.HTTPError as e:
            message = _short(e.read().decode("utf-8", "replace"))
            if TIME_LIMIT.search(message):
                raise RemoteTimeout(503, f"the engine stopped the query at its time limit: {message}") from None
            raise RemoteError(e.code, message) from None
        except TimeoutError:
            raise RemoteTimeout(503, f"the engine did not answer within {timeout or self.timeout:g} s") from None
        except urllib.error.URLError as e:
            raise RemoteError(503, f"cannot reach the SPARQL engine at {url}: {e.reason}") from None
        except (http.client.HTTPException, ConnectionError) as e:  # it hung up without an answer
            raise RemoteError(503, f"the SPARQL engine at {url} closed the connection: {e!r}") from None

    def _pragmas(self) -> str:
        """Virtuoso: leave its system graphs out of the default graph. They are named, not looked for:
        listing every graph scans the whole store, and excluding a graph that is not there costs nothing."""
        if self._excluded is None:
            if self._virtuoso is None:
                self._send(self.endpoint, urllib.parse.urlencode({"query": "ASK {}"}).encode(),
                           {"Accept": RESULTS_JSON, "Content-Type": "application/x-www-form-urlencoded"})
            host = urllib.parse.urlsplit(self.endpoint).netloc
            self._excluded = [*VIRTUOSO_GRAPHS, f"http://{host}/sparql", f"http://{host}/DAV/", UNION_GRAPH] \
                if self._virtuoso else []
        if self._virtuoso and self.union_ready():
            return f"define input:default-graph-uri <{UNION_GRAPH}>\n"
        return "".join(f"define input:default-graph-exclude <{g}>\n" for g in self._excluded)

    def union_ready(self) -> bool:
        """Whether the loads keep the deduplicated default graph on this engine: once seen, for good; while
        not, asked again at most every 10 s (a store from an earlier newsgraph gets it at its next load)."""
        now = time.monotonic()
        if not self._union_ready and now - self._union_checked > 10:
            self._union_checked = now
            _, _, body = self._send(self.endpoint, urllib.parse.urlencode(
                {"query": f"ASK {{ VALUES ?u {{ <{UNION_GRAPH}> }} GRAPH ?u {{ ?s ?p ?o }} }}"}).encode(),
                {"Accept": RESULTS_JSON, "Content-Type": "application/x-www-form-urlencoded"})
            self._union_ready = bool(json.loads(body).get("boolean"))
        return self._union_ready

    # ---- reading ------------------------------------------------------------------------------------

    def query(self, sparql: str, *, substitutions: dict[ox.Variable, Any] | None = None,
              base_iri: str | None = None, default_graph: list[ox.NamedNode] | None = None,
              named_graphs: list[ox.NamedNode] | None = None,
              timeout: float | None = None) -> list[ox.Triple] | ox.QuerySolutions | ox.QueryBoolean:
        if substitutions:
            where = where_brace(sparql)
            if where is None:
                raise ValueError("terms can only be bound in a SELECT query")
            sparql = bind_values(sparql, where, {v.value: _values([t]) for v, t in substitutions.items()})
        form = _form(sparql)
        if form == "DESCRIBE":
            sparql = describe_as_construct(sparql)
            form = _form(sparql)
        params: list[tuple[str, str]] = []
        pragmas = ""
        # DESCRIBE is left alone: Virtuoso 7.2 describes nothing once system graphs are excluded
        if default_graph is None and named_graphs is None and not _has_dataset_clause(sparql) \
                and form != "DESCRIBE":
            pragmas = self._pragmas()
            if pragmas:
                sparql = named_graph_constants(sparql)
            if self._union_ready:
                sparql = hide_union_graph(sparql)
        else:
            params += [("default-graph-uri", g.value) for g in default_graph or []]
            params += [("named-graph-uri", g.value) for g in named_graphs or []]
        params.insert(0, ("query", pragmas + _prologue(sparql, base_iri) + sparql))
        if self._virtuoso:  # stop the engine too, not only this side's wait: an "anytime" answer is refused
            params.append(("timeout", str(int(self.query_timeout * 1000))))
        accept = NTRIPLES if form in ("CONSTRUCT", "DESCRIBE") else RESULTS_JSON
        try:
            _, _, body = self._send(self.endpoint, urllib.parse.urlencode(params).encode(),
                                    {"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
                                    timeout=timeout)
        except RemoteError as e:
            if e.status == 400 or "37000" in str(e) or "SP030" in str(e):
                raise SyntaxError(str(e)) from None
            raise
        if accept == NTRIPLES:
            return [q.triple for q in ox.parse(normalise_ntriples(body), format=ox.RdfFormat.N_TRIPLES)]
        return ox.parse_query_results(normalise_results(body), format=ox.QueryResultsFormat.JSON)

    def triples(self, s: ox.NamedNode | ox.BlankNode | None = None, p: ox.NamedNode | None = None,
                o: Any = None, limit: int | None = None) -> list[ox.Triple]:
        text = "SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o }" + (f" LIMIT {int(limit)}" if limit else "")
        bound = {ox.Variable(n): t for n, t in (("s", s), ("p", p), ("o", o)) if t is not None}
        rows = solutions(self.query(text, substitutions=bound))
        return [ox.Triple(r["s"], r["p"], r["o"]) for r in rows]

    def about(self, nodes: Iterable[Any], predicates: Iterable[ox.NamedNode] | None = None) -> list[ox.Triple]:
        """One query per 200 subjects, all bound by ``VALUES``, instead of one per subject."""
        subjects = list(dict.fromkeys(n for n in nodes if isinstance(n, ox.NamedNode | ox.BlankNode)))
        out: dict[ox.Triple, None] = {}
        text = "SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o }"
        where = where_brace(text)
        assert where is not None
        for start in range(0, len(subjects), 200):
            values = {"s": _values(subjects[start:start + 200])}
            if predicates:
                values["p"] = list(predicates)
            rows = solutions(self.query(bind_values(text, where, values)))
            for r in rows:
                out[ox.Triple(r["s"], r["p"], r["o"])] = None
        return list(out)

    def quads(self, graph: ox.NamedNode) -> list[ox.Quad]:
        rows = solutions(self.query("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                                    substitutions={ox.Variable("g"): graph}))
        return [ox.Quad(r["s"], r["p"], r["o"], graph) for r in rows]

    def __len__(self) -> int:
        """The dataset's triples, each once however many graphs state it (as the embedded store counts)."""
        rows = solutions(self.query("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"))
        return int(next(iter(rows))["n"].value)

    def is_empty(self) -> bool:
        return not list(solutions(self.query("SELECT ?s WHERE { ?s ?p ?o } LIMIT 1")))

    def graphs(self) -> list[ox.NamedNode]:
        """The dataset's named graphs (the engine's own left out)."""
        self._pragmas()
        excluded = self._excluded
        assert excluded is not None  # _pragmas() has listed them
        rows = solutions(self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"))
        return [r["g"] for r in rows if isinstance(r["g"], ox.NamedNode) and r["g"].value not in excluded]

    def digests(self, graphs: Iterable[str] | None = None) -> dict[str, str]:
        rows = solutions(self.query("SELECT ?g ?d WHERE { GRAPH ?g { ?g nf:contentDigest ?d } }"))
        wanted = set(graphs) if graphs is not None else None  # (one query: the engine is across the network)
        return {r["g"].value: r["d"].value for r in rows
                if isinstance(r["g"], ox.NamedNode) and (wanted is None or r["g"].value in wanted)}

    def dump(self, output: IO[bytes], fmt: ox.RdfFormat) -> None:
        """Every graph of the dataset, one graph per request, so no answer outgrows the engine's row limit."""
        prefixes = PREFIXES if fmt in (ox.RdfFormat.TRIG, ox.RdfFormat.TURTLE) else None
        for g in sorted(self.graphs(), key=lambda g: g.value):
            data = ox.serialize(self.quads(g), format=fmt, prefixes=prefixes)
            assert data is not None  # given no output, serialize returns the bytes (its stub says bytes | None)
            output.write(data)

    def is_stale(self) -> bool:
        return False

    def close(self) -> None:
        pass

    # ---- writing ------------------------------------------------------------------------------------

    def writer(self) -> RemoteWriter:
        return RemoteWriter(self)

    # ---- the default graph as a set (Virtuoso) -------------------------------------------------------
    # Virtuoso's union of graphs is a multiset: a triple two articles state would be matched twice. So
    # every write keeps UNION_GRAPH, every named graph's triples once, and queries name it as their default
    # graph. Before a graph is replaced, the triples only it held leave UNION_GRAPH; after, its triples
    # join it. Each step is one request the engine applies whole; between two of them a reader may miss
    # the graph's triples in the default graph (never in the named graph) for a moment.

    def keeps_union(self) -> bool:
        """Whether writes keep UNION_GRAPH (on Virtuoso); the first write to a store without it builds it."""
        self._pragmas()  # learns whether the engine is Virtuoso
        if not self._virtuoso:
            return False
        if not self.union_ready():
            self._rebuild_union()
        return True

    def _others(self) -> str:
        return ", ".join(f"<{g}>" for g in self._excluded or [UNION_GRAPH])

    def _rebuild_union(self) -> None:
        u = f"<{UNION_GRAPH}>"
        self._update(f"DELETE {{ GRAPH {u} {{ ?s ?p ?o }} }} WHERE {{ GRAPH {u} {{ ?s ?p ?o }} FILTER NOT EXISTS "
                     f"{{ GRAPH ?h {{ ?s ?p ?o }} FILTER(?h NOT IN ({self._others()})) }} }}")
        self._update(f"INSERT {{ GRAPH {u} {{ ?s ?p ?o }} }} WHERE {{ GRAPH ?h {{ ?s ?p ?o }} "
                     f"FILTER(?h NOT IN ({self._others()})) }}")
        self._union_ready = True

    def _leave_union(self, graph: ox.NamedNode) -> None:
        self._update(f"DELETE {{ GRAPH <{UNION_GRAPH}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} "
                     f"FILTER NOT EXISTS {{ GRAPH ?h {{ ?s ?p ?o }} FILTER(?h != {graph} && ?h NOT IN "
                     f"({self._others()})) }} }}")

    def _join_union(self, graph: ox.NamedNode) -> None:
        self._update(f"INSERT {{ GRAPH <{UNION_GRAPH}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")

    def update(self, sparql: str, base_iri: str | None = None) -> None:
        """A SPARQL Update; on Virtuoso the default graph is then rebuilt from the named graphs, which reads the
        whole store: updates are for corrections, loads for data."""
        self._update(sparql, base_iri)
        if self.keeps_union():
            self._rebuild_union()

    def _update(self, sparql: str, base_iri: str | None = None) -> None:
        text = _prologue(sparql, base_iri) + sparql
        try:
            self._send(self.update_url, urllib.parse.urlencode({"update": text}).encode(),
                       {"Content-Type": "application/x-www-form-urlencoded"})
        except RemoteError as e:
            if e.status == 400 or "37000" in str(e):
                raise SyntaxError(str(e)) from None
            raise

    def put_graph(self, graph: ox.NamedNode, triples: list[ox.Triple]) -> None:
        """Replace one graph whole (Graph Store Protocol ``PUT``)."""
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
        url = f"{self.crud_url}?{urllib.parse.urlencode({'graph': graph.value})}"
        union = self.keeps_union()
        if union:
            self._leave_union(graph)
        try:
            self._send(url, body, {"Content-Type": NTRIPLES}, method="PUT")
        finally:  # the graph as it now is, new or (the PUT failed) old, joins the default graph again
            if union:
                self._join_union(graph)

    def put_new_graph(self, graph: ox.NamedNode, triples: list[ox.Triple]) -> None:
        """Write a graph the store does not hold yet: no triple of it can leave the default graph, so its
        triples join it by a second upload rather than a copy the engine reads back (one request fewer, and
        none that scans)."""
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
        assert body is not None
        self._send(f"{self.crud_url}?{urllib.parse.urlencode({'graph': graph.value})}", body,
                   {"Content-Type": NTRIPLES}, method="PUT")
        if self.keeps_union():
            if b"_:" in body:  # blank nodes: copied by the engine, so both graphs name the same ones
                self._join_union(graph)
            else:
                self._send(f"{self.crud_url}?{urllib.parse.urlencode({'graph': UNION_GRAPH})}", body,
                           {"Content-Type": NTRIPLES}, method="POST")

    def insert(self, quads: list[ox.Quad]) -> None:
        """Add quads to their graphs (Graph Store Protocol ``POST``: a merge, one request per graph; no
        SPARQL text, so no parser limit — Virtuoso's runs out of memory on a few thousand triples)."""
        by_graph: dict[ox.NamedNode, list[ox.Triple]] = {}
        for q in quads:
            graph = q.graph_name
            assert isinstance(graph, ox.NamedNode)  # a unit's quads are in named graphs (see loaders.rdf)
            by_graph.setdefault(graph, []).append(q.triple)
        if by_graph and self.keeps_union():
            by_graph[ox.NamedNode(UNION_GRAPH)] = list(dict.fromkeys(t for ts in by_graph.values() for t in ts))
        for graph, triples in by_graph.items():
            body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
            url = f"{self.crud_url}?{urllib.parse.urlencode({'graph': graph.value})}"
            self._send(url, body, {"Content-Type": NTRIPLES}, method="POST")


class RemoteWriter:
    """A load session against a remote engine: each unit is applied as it comes (see the module's
    docstring for what is atomic); there is no private copy to commit.

    Why several at once: one article costs a few requests, each a round trip and a transaction of the
    engine, which serves several connections in parallel. ``CONCURRENT`` units are written at once, each
    in its own order (what it adds to shared graphs, then its graph, then the default graph's copy);
    the writer waits for them before an update, and at the end, where a failure is raised.
    """

    CONCURRENT = 4

    def __init__(self, store: RemoteStore):
        self.store = store
        self.changed = False
        self._digests: dict[str, str] | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._pending: deque[Future] = deque()
        self._writing: set = set()  # the graphs the units being written replace

    def __enter__(self) -> RemoteWriter:
        self._digests = self.store.digests()  # one query, rather than one per unit
        self.store.keeps_union()  # what the engine is, and its default graph built, before any thread writes
        self._pool = ThreadPoolExecutor(self.CONCURRENT, thread_name_prefix="remote-load")
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        try:
            if exc_type is None:
                self._wait(0)
        finally:
            for future in self._pending:
                future.cancel()
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None
        return False

    def digest(self, graph: ox.NamedNode) -> str | None:
        if self._digests is not None:
            return self._digests.get(graph.value)
        rows = solutions(self.store.query("SELECT ?g ?d WHERE { GRAPH ?g { ?g nf:contentDigest ?d } }",
                                          substitutions={ox.Variable("g"): graph}))
        for row in rows:
            return row["d"].value
        return None

    def write(self, unit: Unit) -> bool:
        known = self.digest(unit.replace[0]) if unit.digest is not None and unit.replace else None
        if unit.digest is not None and unit.replace and known == unit.digest:
            return False
        quads = unit.quads()
        replaced = set(unit.replace)
        merged = [q for q in quads if q.graph_name not in replaced]
        if unit.digest is None and not replaced and self._holds(merged):
            return False
        new = unit.digest is not None and known is None and self._digests is not None
        if self._pool is None:  # used without `with`: one unit at a time
            self._apply(unit, quads, merged, new)
        else:
            graphs = set(unit.replace)  # (additions to shared graphs are merges: in any order, the same)
            if graphs & self._writing:  # a graph another unit is still replacing (two RDF files naming it)
                self._wait(0)
            future = self._pool.submit(self._apply, unit, quads, merged, new)
            self._writing |= graphs
            future.graphs = graphs  # type: ignore[attr-defined]
            self._pending.append(future)
            self._wait(2 * self.CONCURRENT)
        if self._digests is not None and unit.digest is not None:
            for g in unit.replace:
                self._digests[g.value] = unit.digest
        self.changed = True
        return True

    def _apply(self, unit: Unit, quads: list[ox.Quad], merged: list[ox.Quad], new: bool) -> None:
        if merged:
            self.store.insert(merged)  # additions to shared graphs first: harmless if what follows fails
        for g in unit.replace:
            triples = [q.triple for q in quads if q.graph_name == g]
            if new:
                self.store.put_new_graph(g, triples)
            else:
                self.store.put_graph(g, triples)

    def _wait(self, most: int) -> None:
        """Until at most ``most`` units are being written; a failed one raises here."""
        while self._pending and (len(self._pending) > most or self._pending[0].done()):
            future = self._pending.popleft()
            self._writing -= future.graphs  # type: ignore[attr-defined]
            future.result()

    def _holds(self, quads: list[ox.Quad]) -> bool:
        if not quads or any(isinstance(t, ox.BlankNode) for q in quads for t in (q.subject, q.object)):
            return False
        values = " ".join(f"({q.subject} {q.predicate} {q.object} {q.graph_name})" for q in quads[:2000])
        if len(quads) > 2000:
            return False
        self._wait(0)  # what the units before wrote counts
        rows = solutions(self.store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES (?s ?p ?o ?g) {{ {values} }} "
                                          "GRAPH ?g { ?s ?p ?o } }"))
        return int(next(iter(rows))["n"].value) == len(quads)

    def update(self, sparql: str, base_iri: str | None = None) -> None:
        self._wait(0)
        self.store.update(sparql, base_iri)
        self.changed = True

    def ensure_ontology(self, iris: Iris) -> None:
        self.write(ontology_unit(iris))

    def commit(self) -> None:
        self._wait(0)


def _short(message: str, limit: int = 600) -> str:
    text = re.sub(r"<[^>]+>", " ", message)  # engines answer errors in HTML too
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


if TYPE_CHECKING:  # mypy's proof that the remote store and its load session implement the interface
    def _implements(store: RemoteStore) -> None:
        _reader: Reader = store
        _writer: Writer = store.writer()
