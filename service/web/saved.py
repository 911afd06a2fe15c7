"""Saved queries over HTTP: ``/queries`` (the list) and ``/queries/{name}`` (one query's rows).

A request's parameters are checked (:mod:`newsgraph.service.sparql.params`) and bound as terms; the query runs in an
executor under the time limit, which answers just the page of rows asked for (``limit`` /
``offset``, one row more to know whether there is a next page). The rows are then written as plain
JSON (the default), CSV, TSV, SPARQL JSON or an HTML table.
"""

from __future__ import annotations

import csv
import io
import json
import math
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template, request

from newsgraph.loaders.vocab import XSD
from newsgraph.service.sparql import stored
from newsgraph.service.sparql.definitions import SavedQuery
from newsgraph.service.sparql.params import Checked, EntityResolver, check
from newsgraph.service.sparql.results import term_json
from newsgraph.service.store import answers
from newsgraph.service.store.execute import Busy, Request, StreamAborted, Timeout
from newsgraph.service.web import display
from newsgraph.service.web.conditional import respond
from newsgraph.service.web.errors import HttpError
from newsgraph.service.web.negotiate import SAVED_FORMATS, Format, NotAcceptable, choose
from newsgraph.service.web.openapi import document

bp = Blueprint("saved", __name__)

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
RESERVED = ("limit", "offset", "format")
NUMBERS = {XSD.integer.value: int, XSD.int.value: int, XSD.long.value: int, XSD.nonNegativeInteger.value: int,
           XSD.decimal.value: float, XSD.double.value: float, XSD.float.value: float}


def queries() -> dict[str, SavedQuery]:
    return current_app.extensions["newsgraph.queries"]


def describe_query(q: SavedQuery) -> dict:
    return {
        "name": q.name, "summary": q.summary, "description": q.description, "url": f"/queries/{q.name}",
        "columns": q.columns, "tags": q.tags,
        "params": [{k: v for k, v in {
            "name": p.name, "type": p.type, "required": p.required, "multiple": p.multiple, "default": p.default,
            "example": p.example, "description": p.description, "values": list(p.values) or None}.items()
            if v is not None} for p in q.params],
    }


@bp.get("/queries")
def listing() -> Response:
    try:
        fmt = choose((SAVED_FORMATS[0], SAVED_FORMATS[-1]), request.headers.get("Accept"), request.args.get("format"))
    except NotAcceptable as e:
        raise HttpError(406, str(e), title="Not acceptable") from None
    items = [describe_query(q) for q in queries().values()]
    if fmt.name == "html":
        body = render_template("queries.html", title="Saved queries", queries=list(queries().values()),
                               html_lang="en").encode()
    else:
        body = (json.dumps({"queries": items}, ensure_ascii=False, indent=2) + "\n").encode()
    return respond(body, fmt.content_type, {"Vary": "Accept"})


@bp.route("/queries/<name>", methods=["GET", "POST"])
def run(name: str) -> Response:
    q = queries().get(name)
    if q is None:
        raise HttpError(404, f"there is no saved query {name!r}; GET /queries lists them", title="No such query")
    given: dict[str, list[str]] = {}
    for source in (request.args, request.form if request.method == "POST" else None):
        if source is not None:
            for key in source:
                given.setdefault(key, []).extend(source.getlist(key))
    paging = {k: given.pop(k) for k in RESERVED if k in given}
    invalid: list[dict] = []
    limit = _whole(paging, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT, invalid)
    offset = _whole(paging, "offset", 0, 0, 10**9, invalid)
    named = next((v for v in paging.get("format", []) if v), None)
    if named is not None and not any(named.lower() in f.names or named.lower() == f.media_type for f in SAVED_FORMATS):
        invalid.append({"name": "format", "reason": "one of " + ", ".join(f.names[0] for f in SAVED_FORMATS)})
        named = None
    try:
        fmt = choose(SAVED_FORMATS, request.headers.get("Accept"), named)
    except NotAcceptable as e:
        raise HttpError(406, str(e), title="Not acceptable") from None
    store = current_app.extensions["newsgraph.store"].get()
    checked = check(q, given, EntityResolver(store))
    invalid += checked.problems
    if invalid:
        if fmt.name == "html":  # the form again: empty the first time, with what is wrong after a submission
            first_visit = not given and request.method == "GET"
            page = _page(q, [] if first_visit else invalid, None, [], limit, offset, False, given)
            return Response(page, status=200 if first_visit else 400, content_type=fmt.content_type,
                            headers={"Vary": "Accept"})
        raise HttpError(400, "; ".join(f"{p['name']}: {p['reason']}" for p in invalid), title="Invalid parameters",
                        invalid=invalid)
    cache = current_app.extensions.get("newsgraph.cache")
    key = ("saved", store.version, q.name, tuple(sorted((k, tuple(map(str, v))) for k, v in checked.terms.items())),
           limit, offset, fmt.name, tuple(sorted((k, tuple(v)) for k, v in given.items()))) \
        if cache is not None and store.version else None
    hit = cache.get(key) if key is not None else None
    if hit is not None:
        more, body = hit
    else:
        columns, rows, more = _rows(q, checked, limit, offset)
        if fmt.name == "html":
            body = _page(q, [], columns, rows, limit, offset, more, given)
        else:
            body = _serialise(q, checked, columns, rows, fmt, more, limit, offset, given)
        if key is not None:
            cache.put(key, (more, body))
    headers = {"Vary": "Accept"}
    links = _links(q, given, limit, offset, more)
    if links:
        headers["Link"] = ", ".join(links)
    return respond(body, fmt.content_type, headers)


def _whole(paging: dict, name: str, default: int, low: int, high: int, invalid: list) -> int:
    values = [v for v in paging.get(name, []) if v != ""] or [str(default)]  # empty means "not given"
    try:
        n = int(values[0])
        if not low <= n <= high or len(values) > 1:
            raise ValueError
        return n
    except ValueError:
        invalid.append({"name": name, "reason": f"a whole number from {low} to {high}"})
        return default


def _rows(q: SavedQuery, checked: Checked, limit: int, offset: int) -> tuple[list[str], list, bool]:
    """(columns, rows of terms, whether more rows follow) — from an executor, under the time limit."""
    runner = current_app.extensions["newsgraph.runner"]
    settings = current_app.config["NEWSGRAPH"]
    plan = stored.plan(q.stored, checked.terms) if q.stored is not None and settings.stored_answers else None
    if plan is not None:  # a bounded range read of this version's stored rows: no executor needed
        page = current_app.extensions["newsgraph.store"].get().stored_page(plan, offset, limit + 1)
        if page is not None:
            rows = [answers.terms(r) for r in page]
            return list(q.columns), rows[:limit], len(rows) > limit
    req = Request("query", q.bound(checked.terms), settings.base, window=(offset, limit + 1))
    try:
        status, content_type, body = runner.execute(req)
    except Timeout as e:
        raise HttpError(503, f"{e}; narrow it with more selective parameters", title="Query stopped") from None
    except Busy as e:
        raise HttpError(503, str(e), title="Busy") from None
    if content_type is None:
        current_app.logger.error("saved query %s failed: %s", q.name, body)
        raise HttpError(status if status >= 500 else 500, f"the saved query failed: {body}", title="Query failed")
    try:
        data = b"".join(body)
    except StreamAborted as e:  # the time limit or a failure struck after the first rows had come
        raise HttpError(503, f"{e}; narrow it with more selective parameters", title="Query stopped") from None
    results = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
    columns = [v.value for v in results.variables]
    rows = [[solution[c] for c in columns] for solution in results]
    more = len(rows) > limit
    return columns, rows[:limit], more


def json_value(term) -> object:
    """A term as a plain JSON value: IRIs as strings, numbers as numbers, dates and text as strings.
    A number JSON cannot write (INF, NaN) stays its lexical form."""
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        convert = NUMBERS.get(term.datatype.value)
        if convert is not None:
            try:
                n = convert(term.value)
            except ValueError:
                return term.value
            return n if math.isfinite(n) else term.value
        if term.datatype == XSD.boolean:
            return term.value in ("true", "1")
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value


def lexical(term) -> str:
    """A term as text, as SPARQL's CSV writes it: IRIs and literals by their value (``true``, ``2.5``)."""
    return f"_:{term.value}" if isinstance(term, ox.BlankNode) else term.value


def _serialise(q: SavedQuery, checked: Checked, columns: list[str], rows: list, fmt: Format, more: bool,
               limit: int, offset: int, given: dict) -> bytes:
    if fmt.name == "rows":
        doc = {"query": q.name, "params": checked.echo, "columns": columns,
               "rows": [{c: json_value(v) for c, v in zip(columns, row, strict=True)} for row in rows],
               "limit": limit, "offset": offset}
        if more:
            doc["next"] = _url(q, given, limit, offset + limit)
        return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode()
    if fmt.name == "csv":  # plain values, as a spreadsheet wants them
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\r\n")
        w.writerow(columns)
        for row in rows:
            w.writerow(["" if v is None else lexical(v) for v in row])
        return out.getvalue().encode()
    if fmt.name == "tsv":  # SPARQL 1.1 TSV: terms in their N-Triples form
        lines = ["\t".join(f"?{c}" for c in columns)]
        lines += ["\t".join("" if v is None else str(v) for v in row) for row in rows]
        return ("\n".join(lines) + "\n").encode()
    bindings = [{c: term_json(v) for c, v in zip(columns, row, strict=True) if v is not None} for row in rows]
    return (json.dumps({"head": {"vars": columns}, "results": {"bindings": bindings}}, ensure_ascii=False)
            + "\n").encode()


def _url(q: SavedQuery, given: dict, limit: int, offset: int, fmt: str | None = None) -> str:
    args = [(k, v) for k, vs in given.items() for v in vs]
    args += [("limit", str(limit)), ("offset", str(offset))]
    if fmt:
        args.append(("format", fmt))
    return f"/queries/{q.name}?{urlencode(args)}"


def _links(q: SavedQuery, given: dict, limit: int, offset: int, more: bool) -> list[str]:
    """RFC 8288 links to the neighbouring pages, in the same format when it was named by ``format``."""
    named = request.values.get("format")
    out = []
    if more:
        out.append(f'<{_url(q, given, limit, offset + limit, named)}>; rel="next"')
    if offset > 0:
        out.append(f'<{_url(q, given, limit, max(0, offset - limit), named)}>; rel="prev"')
        out.append(f'<{_url(q, given, limit, 0, named)}>; rel="first"')
    return out


def _page(q: SavedQuery, problems: list[dict], columns, rows, limit: int, offset: int, more: bool,
          given: dict) -> bytes:
    base = current_app.config["NEWSGRAPH"].base
    table = []
    for row in rows:
        cells = []
        for v in row:
            text = "" if v is None else lexical(v)
            cells.append((text, display.href(v, base) if isinstance(v, ox.NamedNode) else None))
        table.append(cells)
    return render_template(
        "saved_query.html", title=q.name, q=q, given=given, columns=columns, rows=table, problems=problems,
        ran=columns is not None, more=more, limit=limit, offset=offset, html_lang="en",
        next=_url(q, given, limit, offset + limit) if more else None,
        prev=_url(q, given, limit, max(0, offset - limit)) if offset else None,
        downloads=[(name, _url(q, given, limit, offset, name)) for name in ("csv", "json", "tsv", "srj")]).encode()


@bp.get("/openapi.json")
def openapi() -> Response:
    body = json.dumps(document(queries(), request.url_root), ensure_ascii=False, indent=2).encode()
    return respond(body, "application/json; charset=utf-8", {}, cache_control="public, max-age=300")


@bp.get("/api")
def api_page() -> Response:
    """The API documentation, rendered here from the OpenAPI document (no script, no CDN)."""
    doc = document(queries(), request.url_root)
    operations = []
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            params = []
            for p in op.get("parameters", []):
                if "$ref" in p:
                    p = doc["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
                params.append(p)
            operations.append({"path": path, "method": method.upper(), "op": op, "params": params,
                               "id": op.get("operationId", f"{method}-{path}")})
    body = render_template("api.html", title="API", doc=doc, operations=operations, html_lang="en",
                           queries=queries()).encode()
    return respond(body, "text/html; charset=utf-8", {})
