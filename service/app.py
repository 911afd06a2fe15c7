"""The Flask application factory. The SPARQL endpoint, entity pages and saved queries plug in here."""

from __future__ import annotations

from flask import Flask, Response, jsonify

from .config import Settings
from .store import Store, open_store


def create_app(settings: Settings | None = None, store: Store | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask("newsgraph")
    app.config["NEWSGRAPH"] = settings
    db = store if store is not None else open_store(settings.store)
    app.extensions["newsgraph.store"] = db

    @app.get("/health")
    def health():
        return jsonify({"status": "ok", **db.stats()})

    @app.after_request
    def cors(response: Response) -> Response:
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    return app
