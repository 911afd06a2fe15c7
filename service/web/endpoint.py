"""The SPARQL 1.1 Protocol endpoint: ``/sparql`` for queries and token-guarded updates.

Requests are checked here — method, media type, charset, parameters, the dataset, the update token,
SERVICE/LOAD targets — and executed by :mod:`newsgraph.service.store.execute` under the time limit. Every error is a
short plain-text message with the right status, never a traceback.
"""

from __future__ import annotations

import hmac
from urllib.parse import parse_qs

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template, request

from newsgraph.service.sparql.text import MAX_NESTING, DatasetConflict, nesting_depth, remote_targets, with_using
from newsgraph.service.store.execute import Busy, Request, Timeout
from newsgraph.service.web import display
from newsgraph.service.web.errors import HttpError, text_response
from newsgraph.service.web.negotiate import FORMATS, GRAPH, NotAcceptable, choose
from newsgraph.service.web.ui import START_QUERY, examples, prologue

bp = Blueprint("sparql", __name__)

#: what GET /sparql without a query answers: the service description, or for a browser the editor
SD_FORMATS = (*(f for f in FORMATS if f.kind == GRAPH), next(f for f in FORMATS if f.name == "html"))

#: names clients use for "the default graph" (rdflib sends its own with every query): ours is the union
DEFAULT_GRAPH_NAMES = frozenset({"urn:x-rdflib:default"})
FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"


def _params() -> tuple[dict[str, list[str]], str | None, str | None]:
    """All protocol parameters (URL and form body), and the query or update text of a direct POST."""
    params = {k: list(v) for k, v in parse_qs(request.query_string.decode("utf-8", "replace"),
                                              keep_blank_values=True).items()}
    if request.method != "POST":
        return params, None, None
    media = (request.mimetype or "").lower()
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise HttpError(415, f"the request body must be UTF-8, not {charset}")
    if not media:
        raise HttpError(400, "a POST needs a Content-Type: application/x-www-form-urlencoded, "
                                 f"{QUERY} or {UPDATE}")
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    # a chunked body has no Content-Length, and Werkzeug's stream quietly stops at the limit: read
    # the server's input itself, one byte past the limit, to tell "too large" from "just fits"
    stream = request.stream if request.content_length is not None else request.environ["wsgi.input"]
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise HttpError(413, f"the request body is larger than {limit // 1024} KiB")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise HttpError(400, f"the request body is not valid UTF-8 (byte {e.start})") from None
    if media == FORM:
        for k, v in parse_qs(text, keep_blank_values=True).items():
            params.setdefault(k, []).extend(v)
        return params, None, None
    if media == QUERY:
        return params, text, None
    if media == UPDATE:
        return params, None, text
    raise HttpError(415, f"unsupported Content-Type {media}: use {FORM}, {QUERY} or {UPDATE}")


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name, [])
    if len(values) > 1:
        raise HttpError(400, f"give one `{name}` parameter, not {len(values)}")
    return values[0] if values else None


def _check_remote(text: str) -> None:
    """Refused before the engine sees it: a remote target (SSRF), or nesting that would crash its parser."""
    if (depth := nesting_depth(text)) > MAX_NESTING:
        raise HttpError(400, f"the query nests {depth} levels deep; at most {MAX_NESTING} are accepted")
    allow = current_app.config["NEWSGRAPH"].service_allow
    for keyword, iri in remote_targets(text):
        if iri is None or not any(iri.startswith(prefix) for prefix in allow):
            target = f"<{iri}>" if iri else "a target that is not a plain IRI"
            raise HttpError(400, f"{keyword} {target} is not allowed: this endpoint does not fetch remote data"
                                     + (" (allowed prefixes: " + " ".join(allow) + ")" if allow else ""))


def _check_token() -> None:
    token = current_app.config["NEWSGRAPH"].update_token
    if not token:
        raise HttpError(403, "updates are disabled: the service has no NEWSGRAPH_UPDATE_TOKEN")
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
        raise HttpError(401, "updates need Authorization: Bearer <token>",
                        headers={"WWW-Authenticate": 'Bearer realm="newsgraph"'})


@bp.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    params, direct_query, direct_update = _params()
    form_query, form_update = _one(params, "query"), _one(params, "update")
    if request.method == "GET" and form_update is not None:
        raise HttpError(400, "updates must be sent with POST")
    given = [x for x in (direct_query, direct_update, form_query, form_update) if x is not None]
    if len(given) > 1:
        raise HttpError(400, "give either one query or one update")
    if not given:
        if request.method == "GET":
            return service_description()
        if _format(params) == "html":  # the editor's form, sent empty
            return _html_results(None)
        raise HttpError(400, "no query or update in the request")
    base = request.base_url
    if direct_update is not None or form_update is not None:
        _check_token()
        text = direct_update if direct_update is not None else form_update
        _check_remote(text)
        try:
            text = with_using(text, params.get("using-graph-uri", []), params.get("using-named-graph-uri", []))
        except DatasetConflict as e:
            raise HttpError(400, str(e)) from None
        return _execute(Request("update", text, base))
    text = direct_query if direct_query is not None else form_query
    fmt = _format(params)
    try:
        _check_remote(text)
        if params.get("using-graph-uri") or params.get("using-named-graph-uri"):
            raise HttpError(400, "using-graph-uri and using-named-graph-uri apply to updates; "
                                     "queries take default-graph-uri and named-graph-uri")
    except HttpError as e:
        if fmt == "html":  # the editor again, with the query and what is wrong with it
            return editor_page(text, error=e.detail, status=e.status)
        raise
    default_graphs = [g for g in params.get("default-graph-uri", []) if g not in DEFAULT_GRAPH_NAMES]
    req = Request("query", text, base, default_graphs, params.get("named-graph-uri", []),
                  request.headers.get("Accept"), fmt)
    if fmt == "html":
        return _html_results(req)
    return _execute(req)


HTML_ROWS = 1000  # rows an HTML answer shows; the downloads have them all


def _html_results(req: Request | None) -> Response:
    """A SELECT's first rows as a table on the editor's page: what a browser without script gets."""
    columns, rows, more, error, status = None, [], False, None, 200
    base = current_app.config["NEWSGRAPH"].base
    if req is not None:
        req.accept, req.format, req.window = None, None, (0, HTML_ROWS + 1)
        runner = current_app.extensions["newsgraph.runner"]
        try:
            status, content_type, body = runner.execute(req)
        except (Timeout, Busy) as e:
            status, content_type, body = 503, None, str(e)
        if content_type is None:
            error = body if status != 400 or "only a SELECT" not in body else (
                "This page shows the rows of SELECT queries; ask /sparql for Turtle or JSON-LD for the others.")
        else:
            results = ox.parse_query_results(b"".join(body), format=ox.QueryResultsFormat.JSON)
            columns = [v.value for v in results.variables]
            for solution in results:
                cells = []
                for c in columns:
                    v = solution[c]
                    text = "" if v is None else v.value
                    cells.append((text, display.href(v, base) if isinstance(v, ox.NamedNode) else None))
                rows.append(cells)
            more = len(rows) > HTML_ROWS
            rows = rows[:HTML_ROWS]
    return editor_page(req.text if req is not None else "", columns, rows, more, error, status)


def editor_page(text: str = "", columns=None, rows=(), more: bool = False, error: str | None = None,
                status: int = 200) -> Response:
    store = current_app.extensions["newsgraph.store"].get()
    body = render_template("sparql.html", title="SPARQL", html_lang="en", text=text or START_QUERY,
                           prologue=prologue(), examples=examples(store), base=current_app.config["NEWSGRAPH"].base,
                           endpoint=request.base_url, columns=columns, rows=list(rows), more=more, error=error)
    return Response(body, status=status, content_type="text/html; charset=utf-8", headers={"Vary": "Accept"})


def _format(params: dict[str, list[str]]) -> str | None:
    """``format``, or the ``output``/``results`` that SPARQLWrapper and others send (all values, in order)."""
    values = [v.strip() for name in ("format", "output", "results") for value in params.get(name, [])
              for v in value.split(",") if v.strip()]
    return ",".join(values) or None


def _execute(req: Request) -> Response:
    runner = current_app.extensions["newsgraph.runner"]
    cache = current_app.extensions.get("newsgraph.cache")
    key = None
    if cache is not None and req.op == "query" and request.method == "POST":  # GETs: see cache.CachedGets
        version = current_app.extensions["newsgraph.store"].get().version
        key = (version, req.text, req.base_iri, tuple(req.default_graphs), tuple(req.named_graphs),
               req.accept, req.format)
        hit = cache.get(key)
        if hit is not None:
            return Response(hit[2], status=hit[0], content_type=hit[1], headers={"Vary": "Accept"})
    try:
        status, content_type, body = runner.execute(req)
    except Timeout as e:
        return text_response(503, f"{e}; narrow the query (LIMIT, more selective patterns) or ask the operator "
                          "for a longer NEWSGRAPH_QUERY_TIMEOUT", {"Retry-After": "1"})
    except Busy as e:
        return text_response(503, str(e), {"Retry-After": "1"})
    if content_type is None:
        if body:
            return text_response(status, body)
        response = Response(status=status)  # an update: 204, no body and so no Content-Type
        del response.headers["Content-Type"]
        return response
    if request.method == "HEAD":  # the headers only; the body is still read, so the executor is freed
        for _ in body:
            pass
        return Response(status=status, content_type=content_type, headers={"Vary": "Accept"})
    if key is not None and status == 200:
        body = cache.recording(key, body, lambda: (status, content_type))
    return Response(body, status=status, content_type=content_type, headers={"Vary": "Accept"})


SD = """@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix formats: <http://www.w3.org/ns/formats/> .
@prefix void: <http://rdfs.org/ns/void#> .

<{endpoint}> a sd:Service ;
    sd:endpoint <{endpoint}> ;
    sd:supportedLanguage {languages} ;
    sd:feature {features} ;
    sd:resultFormat formats:SPARQL_Results_JSON, formats:SPARQL_Results_XML, formats:SPARQL_Results_CSV,
        formats:SPARQL_Results_TSV, formats:Turtle, formats:N-Triples, formats:N-Quads, formats:TriG,
        formats:JSON-LD, formats:RDF_XML ;
    sd:defaultDataset [
        a sd:Dataset ;
        sd:defaultGraph [ a sd:Graph ; void:triples {triples} ]
    ] .
"""


def service_description() -> Response:
    store = current_app.extensions["newsgraph.store"].get()
    settings = current_app.config["NEWSGRAPH"]
    languages = "sd:SPARQL11Query" + (", sd:SPARQL11Update" if settings.update_token else "")
    features = "sd:UnionDefaultGraph" + (", sd:BasicFederatedQuery" if settings.service_allow else "")
    text = SD.format(endpoint=request.base_url, triples=len(store), languages=languages, features=features)
    try:
        fmt = choose(SD_FORMATS, request.headers.get("Accept"), _format(
            {k: request.args.getlist(k) for k in ("format", "output")}))
    except NotAcceptable as e:
        return text_response(406, str(e))
    if fmt.name == "html":  # a browser: the editor (SPARQL clients ask for RDF, and */* gets Turtle)
        return editor_page()
    triples = ox.parse(text.encode(), format=ox.RdfFormat.TURTLE)
    data = ox.serialize(triples, format=fmt.engine,
                        prefixes={"sd": "http://www.w3.org/ns/sparql-service-description#"}
                        if fmt.engine == ox.RdfFormat.TURTLE else None)
    return Response(data, content_type=fmt.content_type, headers={"Vary": "Accept"})
