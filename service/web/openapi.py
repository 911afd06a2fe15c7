"""The OpenAPI 3.1 description of the HTTP interface, generated from the saved queries' headers.

Each saved query becomes a path with a JSON Schema per parameter (type, format, pattern, enum,
bounds, examples), its answers in every format with the row schema built from its projected
columns, and its errors as RFC 9457 problem documents. The SPARQL endpoint, the Linked Data paths
and ``/health`` are described beside them, so one document covers what a client can call.
"""

from __future__ import annotations

from newsgraph.loaders import EXTRACT_LANGUAGES
from newsgraph.service.sparql.definitions import Param, SavedQuery

VERSION = "0.1.0"
ENTITY_PATTERN = r"^(https?://\S+|[a-z0-9][a-z0-9-]*|Q[1-9][0-9]*)$"
LANGSTRING_PATTERN = r"^[^\n]+@[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$"
PROBLEM = {"$ref": "#/components/responses/Problem"}
TOO_LONG = {"description": "the path and query string are longer than 8 KiB: send the parameters in a POST body",
            "content": {"text/plain": {"schema": {"type": "string"}}}}
TOO_MANY_HEADERS = {"description": "the request line and headers are larger than 64 KiB",
                    "content": {"text/plain": {"schema": {"type": "string"}}}}


def param_schema(p: Param) -> dict:
    base: dict
    if p.type == "entity":
        base = {"type": "string", "pattern": ENTITY_PATTERN, "maxLength": 2000,
                "description": "an entity's IRI, its id or its Wikidata id"}
    elif p.type == "iri":
        base = {"type": "string", "format": "iri", "maxLength": 2000}
    elif p.type == "string":
        base = {"type": "string", "minLength": 1, "maxLength": p.max_length}
    elif p.type == "langstring":
        base = {"type": "string", "pattern": LANGSTRING_PATTERN, "maxLength": p.max_length}
    elif p.type == "integer":
        base = {"type": "integer"}
    elif p.type == "decimal":
        base = {"type": "number"}
    elif p.type == "boolean":
        base = {"type": "boolean"}
    elif p.type == "date":
        base = {"type": "string", "format": "date"}
    else:
        base = {"type": "string", "enum": list(p.values)}
    if p.type in ("integer", "decimal"):
        if p.min is not None:
            base["minimum"] = p.min
        if p.max is not None:
            base["maximum"] = p.max
    if p.default is not None:
        base["default"] = _typed(p, p.default)
    if p.example is not None:
        base["examples"] = [_typed(p, p.example)]
    if p.multiple:
        return {"type": "array", "items": base}
    return base


def _typed(p: Param, value: str) -> object:
    if p.type == "integer":
        return int(value)
    if p.type == "decimal":
        return float(value)
    if p.type == "boolean":
        return value.lower() in ("true", "1", "yes")
    return value


def row_schema(q: SavedQuery) -> dict:
    value = {"type": ["string", "number", "boolean", "null"],
             "description": "IRIs and text as strings, numbers as numbers, dates as ISO 8601 strings; "
                            "null where the row has no value"}
    return {"type": "object", "properties": {c: value for c in q.columns}, "required": q.columns,
            "additionalProperties": False}


def _query_operation(q: SavedQuery, method: str) -> dict:
    op: dict = {
        "operationId": f"{method}-{q.name}",
        "summary": q.summary,
        "description": q.description,
        "tags": q.tags or ["queries"],
        "responses": {
            "200": {
                "description": "one page of rows; `Link: rel=\"next\"` when more follow",
                "headers": {"Link": {"$ref": "#/components/headers/Link"},
                            "ETag": {"$ref": "#/components/headers/ETag"}},
                "content": {
                    "application/json": {"schema": {
                        "type": "object", "required": ["query", "params", "columns", "rows"],
                        "properties": {
                            "query": {"const": q.name}, "params": {"type": "object"},
                            "columns": {"type": "array", "items": {"type": "string"}, "examples": [q.columns]},
                            "rows": {"type": "array", "items": row_schema(q)},
                            "limit": {"type": "integer"}, "offset": {"type": "integer"},
                            "next": {"type": "string", "description": "the next page, when more rows follow"}}}},
                    "text/csv": {"schema": {"type": "string"}},
                    "text/tab-separated-values": {"schema": {"type": "string"}},
                    "application/sparql-results+json": {"schema": {"$ref": "#/components/schemas/SparqlResults"}},
                    "text/html": {"schema": {"type": "string"}},
                },
            },
            "304": {"description": "not modified: the rows are those of the ETag sent in If-None-Match"},
            "400": {"description": "bad parameters: each one and why (RFC 9457); for a browser, the form again "
                                   "with what is wrong", "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}},
                "text/html": {"schema": {"type": "string"}}}},
            "406": PROBLEM, "503": PROBLEM,
        },
    }
    parameters = [{"$ref": f"#/components/parameters/{n}"} for n in ("limit", "offset", "format")]
    properties = {}
    for p in q.params:
        schema = param_schema(p)
        properties[p.name] = schema
        spec = {"name": p.name, "in": "query", "required": p.required, "description": p.description,
                "schema": schema}
        if p.multiple:
            spec.update(style="form", explode=True)
        parameters.append(spec)
    if method == "get":
        op["parameters"] = parameters
    else:
        op["parameters"] = parameters[:3]
        op["requestBody"] = {"required": bool(q.params), "content": {"application/x-www-form-urlencoded": {
            "schema": {"type": "object", "properties": properties,
                       "required": [p.name for p in q.params if p.required]}}}}
    return op


def document(queries: dict[str, SavedQuery], server: str) -> dict:
    paths: dict = {
        "/queries": {"get": {
            "operationId": "list-queries", "summary": "The saved queries, with their parameters", "tags": ["queries"],
            "responses": {"200": {"description": "the list", "content": {
                "application/json": {"schema": {"type": "object", "properties": {"queries": {"type": "array"}}}},
                "text/html": {"schema": {"type": "string"}}}}, "406": PROBLEM}}},
    }
    for q in queries.values():
        paths[f"/queries/{q.name}"] = {"get": _query_operation(q, "get"), "post": _query_operation(q, "post")}
    paths["/sparql"] = _sparql()
    paths["/id/{type}/{id}"] = _entity()
    paths["/extract"] = _extract()
    paths["/health"] = {"get": {
        "operationId": "health", "summary": "Liveness and dataset size", "tags": ["service"],
        "responses": {"200": {"description": "the service answers", "content": {"application/json": {"schema": {
            "type": "object", "required": ["status", "triples", "articles"],
            "properties": {"status": {"const": "ok"}, "triples": {"type": "integer"},
                           "articles": {"type": "integer"}}}}}}}}}
    for item in paths.values():  # limits every request meets, whatever the operation
        for method, op in item.items():
            if method == "get":
                op["responses"].setdefault("414", TOO_LONG)
            op["responses"].setdefault("431", TOO_MANY_HEADERS)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "newsgraph",
            "version": VERSION,
            "summary": "Facts that news reports about states and alliances, each with its source sentence.",
            "description": "Saved queries with typed parameters, the SPARQL 1.1 endpoint and the Linked Data "
                           "pages of the newsgraph knowledge graph. Parameters are bound as RDF terms, "
                           "never pasted into query text.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": server.rstrip("/")}],
        "tags": [{"name": t} for t in sorted({t for q in queries.values() for t in (q.tags or ["queries"])}
                                              | {"sparql", "linked data", "service", "queries", "extract"})],
        "paths": paths,
        "components": _components(),
    }


def _extract() -> dict:
    text_error = {"description": "the reason, in plain text", "content": {"text/plain": {"schema": {"type": "string"}}}}
    entity_id = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$", "maxLength": 200}
    form = {"type": "object", "required": ["text", "language", "published"], "properties": {
        "text": {"type": "string", "minLength": 1, "description": "the article's text (first line: its headline); "
                                                                  "at most 200 KB"},
        "language": {"type": "string", "enum": sorted(EXTRACT_LANGUAGES)},
        "published": {"type": "string", "format": "date"},
        "id": {**entity_id, "description": "the article's id (default: from the publisher, date and title)"},
        "title": {"type": "string", "maxLength": 2000},
        "publisher": {**entity_id, "description": "the publisher's entity id (default: proposed from the text)"},
    }, "examples": [{"text": "Mosca, 22 nov. - La Russia ha consegnato due sistemi S-300 al Tagikistan.",
                     "language": "it", "published": "2023-11-22"}]}
    sheet = {"type": "object", "required": ["article", "entities", "facts"], "properties": {
        "article": {"type": "object"}, "entities": {"type": "array", "items": {"type": "object"}},
        "facts": {"type": "array", "items": {"type": "object", "required": ["type", "quote", "confidence", "note"]}}}}
    return {
        "get": {"operationId": "extract-page", "summary": "The page that drafts a fact sheet from pasted text",
                "tags": ["extract"], "responses": {"200": {"description": "the page", "content": {
                    "text/html": {"schema": {"type": "string"}}}}}},
        "post": {"operationId": "extract", "summary": "A draft fact sheet from an article's text (writes nothing)",
                 "description": "Proposes the facts the text states, each with a verbatim quote, a confidence and a "
                                "note naming the rule that proposed it; names the store does not know are proposed "
                                "as new entities. The draft validates as it is. YAML or JSON by `Accept` (the page "
                                "for `text/html`).",
                 "tags": ["extract"],
                 "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": form},
                                                               "multipart/form-data": {"schema": form}}},
                 "responses": {"200": {"description": "the draft fact sheet (contract §3)", "content": {
                     "application/yaml": {"schema": sheet}, "application/json": {"schema": sheet},
                     "text/html": {"schema": {"type": "string"}}}},
                     "400": text_error, "413": text_error, "503": text_error}},
    }


def _sparql() -> dict:
    results = {"description": "SELECT / ASK results, or the graph of a CONSTRUCT / DESCRIBE", "content": {
        "application/sparql-results+json": {"schema": {"$ref": "#/components/schemas/SparqlResults"}},
        "application/ld+json": {"schema": {"type": ["object", "array"]}},
        **{m: {"schema": {"type": "string"}} for m in (
            "application/sparql-results+xml", "text/csv", "text/tab-separated-values", "text/turtle",
            "application/n-triples", "application/n-quads", "application/trig", "application/rdf+xml")}}}
    text_error = {"description": "the reason, in plain text", "content": {"text/plain": {"schema": {"type": "string"}}}}
    query = {"name": "query", "in": "query", "required": False, "schema": {"type": "string"},
             "description": "a SPARQL 1.1 query; without it GET answers the service description",
             "examples": {"members": {"value": "SELECT ?m WHERE { ?m org:memberOf ?o } LIMIT 10"}}}
    graphs = [{"name": n, "in": "query", "required": False, "style": "form", "explode": True,
               "schema": {"type": "array", "items": {"type": "string", "format": "iri"}}}
              for n in ("default-graph-uri", "named-graph-uri")]
    return {
        "get": {"operationId": "sparql-get", "summary": "SPARQL 1.1 Protocol: a query", "tags": ["sparql"],
                "parameters": [query, *graphs],
                "responses": {"200": results, "400": text_error, "406": text_error, "503": text_error}},
        "post": {"operationId": "sparql-post", "summary": "SPARQL 1.1 Protocol: a query, or an update with the token",
                 "tags": ["sparql"],
                 "requestBody": {"required": True, "content": {
                     "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {
                         "query": {"type": "string"}, "update": {"type": "string"}}}},
                     "application/sparql-query": {"schema": {"type": "string"}},
                     "application/sparql-update": {"schema": {"type": "string"}}}},
                 "security": [{}, {"updateToken": []}],
                 "responses": {"200": results, "204": {"description": "the update was applied"},
                               "400": text_error, "401": text_error, "403": text_error, "406": text_error,
                               "413": text_error, "415": text_error, "503": text_error}},
    }


def _entity() -> dict:
    rdf = {m: {"schema": {"type": "string"}} for m in (
        "text/html", "text/turtle", "application/n-triples", "application/rdf+xml")}
    rdf["application/ld+json"] = {"schema": {"type": "object"}}  # a JSON-LD document, {"@graph": []} when unknown
    return {"get": {
        "operationId": "entity", "summary": "An entity: HTML for people, its description as RDF for code",
        "tags": ["linked data"],
        "parameters": [
            {"name": "type", "in": "path", "required": True, "schema": {
                "type": "string", "enum": ["country", "organization", "person", "place", "weapon-system", "event"]}},
            {"name": "id", "in": "path", "required": True, "schema": {
                "type": "string", "pattern": r"^[a-z0-9][a-z0-9-]*(\.(html|ttl|jsonld|nt|rdf))?$"},
             "examples": {"tajikistan": {"value": "tajikistan"}}},
            {"name": "lang", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 35}}],
        "responses": {"200": {"description": "the description", "content": rdf,
                              "headers": {"ETag": {"$ref": "#/components/headers/ETag"}}},
                      "304": {"description": "not modified"},
                      "404": {"description": "no such entity, in the format asked for", "content": rdf},
                      "406": {"description": "no format asked for can be produced",
                              "content": {"text/plain": {"schema": {"type": "string"}}}}}}}


def _components() -> dict:
    return {
        "parameters": {
            "limit": {"name": "limit", "in": "query", "required": False, "description": "rows per page",
                      "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100}},
            "offset": {"name": "offset", "in": "query", "required": False, "description": "rows to skip",
                       "schema": {"type": "integer", "minimum": 0, "maximum": 1000000000, "default": 0}},
            "format": {"name": "format", "in": "query", "required": False,
                       "description": "the answer's format, instead of Accept",
                       "schema": {"type": "string", "enum": ["json", "csv", "tsv", "srj", "html"]}},
        },
        "headers": {
            "Link": {"description": "RFC 8288 links to the next / previous / first page", "schema": {"type": "string"}},
            "ETag": {"description": "a strong validator of the answer's bytes", "schema": {"type": "string"}},
        },
        "responses": {"Problem": {"description": "what went wrong (RFC 9457)", "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}},
        "schemas": {
            "Problem": {"type": "object", "required": ["title", "status", "detail"], "properties": {
                "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                "detail": {"type": "string"},
                "invalid-params": {"type": "array", "items": {"type": "object", "required": ["name", "reason"],
                                                               "properties": {"name": {"type": "string"},
                                                                              "reason": {"type": "string"}}}}}},
            "SparqlResults": {"type": "object", "required": ["head"], "properties": {
                "boolean": {"type": "boolean", "description": "the answer of an ASK query"},
                "head": {"type": "object", "properties": {"vars": {"type": "array", "items": {"type": "string"}}}},
                "results": {"type": "object", "properties": {"bindings": {"type": "array", "items": {
                    "type": "object", "additionalProperties": {"$ref": "#/components/schemas/Term"}}}}}}},
            "Term": {"type": "object", "required": ["type", "value"], "properties": {
                "type": {"enum": ["uri", "literal", "bnode"]}, "value": {"type": "string"},
                "xml:lang": {"type": "string"}, "datatype": {"type": "string"}}},
        },
        "securitySchemes": {"updateToken": {"type": "http", "scheme": "bearer",
                                            "description": "NEWSGRAPH_UPDATE_TOKEN; only for SPARQL updates"}},
    }
