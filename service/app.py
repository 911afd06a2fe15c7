"""The Flask application factory. The SPARQL endpoint, entity pages and saved queries plug in here."""

from __future__ import annotations

import threading

from flask import Flask, Response, jsonify

from .config import Settings
from .store import Store, open_store


class CurrentStore:
    """The read view a request uses, reopened when a load has made a newer version current.

    Checking costs one ``readlink`` per request; a request keeps the view it started with, so it
    never mixes two versions.
    """

    def __init__(self, location: str, store: Store | None = None):
        self.location = location
        self._store = store or open_store(location)
        self._lock = threading.Lock()

    def get(self) -> Store:
        store = self._store
        if store.is_stale():
            with self._lock:
                if self._store.is_stale():
                    self._store = open_store(self.location)
                store = self._store
        return store


def create_app(settings: Settings | None = None, store: Store | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask("newsgraph")
    app.config["NEWSGRAPH"] = settings
    current = CurrentStore(settings.store, store)
    app.extensions["newsgraph.store"] = current

    @app.get("/health")
    def health():
        return jsonify({"status": "ok", **current.get().stats()})

    @app.after_request
    def cors(response: Response) -> Response:
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    return app
