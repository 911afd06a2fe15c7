"""The Flask application factory. The SPARQL endpoint, entity pages and saved queries plug in here."""

from __future__ import annotations

import threading
from pathlib import Path

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from newsgraph.service.config import Settings
from newsgraph.service.sparql.saved_queries import load_queries
from newsgraph.service.store.cache import CachedGets, ResponseCache
from newsgraph.service.store.embedded import open_store
from newsgraph.service.store.execute import LocalRunner, Pool
from newsgraph.service.store.interface import Reader, StoreError
from newsgraph.service.web.endpoint import bp as sparql_bp
from newsgraph.service.web.errors import HttpError, error_response, text_response
from newsgraph.service.web.extract import bp as extract_bp
from newsgraph.service.web.linked import bp as linked_bp
from newsgraph.service.web.saved import bp as saved_bp
from newsgraph.service.web.ui import bp as ui_bp


class CurrentStore:
    """The read view a request uses, reopened when a load has made a newer version current.

    Checking costs one ``readlink`` per request; a request keeps the view it started with, so it
    never mixes two versions.
    """

    def __init__(self, settings: Settings, store: Reader | None = None):
        self.settings = settings
        self.location = settings.store
        self._store = store if store is not None else open_store(self.location, settings)
        self._lock = threading.Lock()

    def get(self) -> Reader:
        store = self._store
        if store.is_stale():
            with self._lock:
                if self._store.is_stale():
                    self._store = open_store(self.location, self.settings)
                store = self._store
        return store


#: pages use only what this service serves: its stylesheet, its script, its own links and fetches
CSP = ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
MAX_BODY = 1024 * 1024  # bytes; a SPARQL request larger than this is refused with 413
MAX_TARGET = 8 * 1024  # bytes of path and query string; a longer one is refused with 414 (send a form POST)


def create_app(settings: Settings | None = None, store: Reader | None = None, executors: int = 4) -> Flask:
    """The WSGI app. ``executors``: query processes per web worker (0 runs queries in the request thread)."""
    settings = settings or Settings.from_env()
    # a broken query file stops the service here, naming FILE:LINE (``newsgraph serve`` checks first)
    saved_queries = load_queries(Path(settings.queries)) if settings.queries else load_queries()
    app = Flask("newsgraph", root_path=str(Path(__file__).parent))
    app.config["NEWSGRAPH"] = settings
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    current = CurrentStore(settings, store)
    app.extensions["newsgraph.store"] = current
    if settings.store == "memory:" or executors <= 0:
        runner = LocalRunner(current)  # updates change a memory store in place: nothing to key a cache on
    else:
        # with nothing allow-listed, executors need no network at all: they get none (unless the store
        # itself is across the network); a remote store has no versions to key a cache on
        remote = settings.store.startswith(("http://", "https://"))
        runner = Pool(settings, executors,
                      isolate=not settings.service_allow and not remote)
        if settings.cache_mb > 0 and not remote:
            cache = ResponseCache(settings.cache_mb * 1024 * 1024)
            app.extensions["newsgraph.cache"] = cache
            app.wsgi_app = CachedGets(app.wsgi_app, current, cache)
    app.extensions["newsgraph.runner"] = runner
    app.extensions["newsgraph.queries"] = saved_queries
    app.register_blueprint(sparql_bp)
    app.register_blueprint(linked_bp)
    app.register_blueprint(saved_bp)
    app.register_blueprint(ui_bp)
    app.register_blueprint(extract_bp)

    @app.before_request
    def target_length() -> Response | None:
        target = request.environ.get("REQUEST_URI") or request.environ.get("RAW_URI") or request.full_path
        if len(target) > MAX_TARGET:
            return text_response(414, f"the request line is longer than {MAX_TARGET // 1024} KiB: "
                              "send the parameters in a form POST body")
        return None

    @app.get("/health")
    def health():
        return jsonify({"status": "ok", **current.get().stats()})

    @app.after_request
    def cors(response: Response) -> Response:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["X-Content-Type-Options"] = "nosniff"  # a text error echoing input is never run as HTML
        if response.mimetype == "text/html":  # pages load nothing from elsewhere and run no inline script
            response.headers["Content-Security-Policy"] = CSP
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, HEAD, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "Accept, Authorization, Content-Type"
            response.headers["Access-Control-Max-Age"] = "86400"
        return response

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException) -> Response:
        messages = {413: f"the request body is larger than {MAX_BODY // 1024} KiB"}
        return text_response(e.code or 500, messages.get(e.code, e.description or e.name))

    app.register_error_handler(HttpError, error_response)

    @app.errorhandler(StoreError)
    def store_unavailable(e: StoreError) -> Response:  # a remote engine down, refusing or too slow
        return error_response(HttpError(503, f"the store cannot answer now: {e}", headers={"Retry-After": "5"}))

    @app.errorhandler(Exception)
    def unexpected(e: Exception) -> Response:
        app.logger.exception("unexpected error")
        return text_response(500, f"internal error ({type(e).__name__}); the server log has the details")

    return app
