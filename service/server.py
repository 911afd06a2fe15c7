"""Serving the app with gunicorn, a production WSGI server, from the ``newsgraph serve`` command.

Each worker opens the store itself: pyoxigraph lets one process open a folder read-write, so
workers open it read-only (a consistent snapshot of the store as it was when the worker started).
"""

from __future__ import annotations

from gunicorn.app.base import BaseApplication

from .config import Settings


class _Gunicorn(BaseApplication):
    def __init__(self, settings: Settings, options: dict):
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from .app import create_app
        from .store import Store

        store = Store.read_only(self.settings.store) if self.settings.store != "memory:" else None
        return create_app(self.settings, store)


def run(settings: Settings, host: str, port: int, workers: int) -> None:
    options = {"bind": f"{host}:{port}", "workers": workers, "worker_class": "gthread", "threads": 4,
               "graceful_timeout": 10, "accesslog": "-", "loglevel": "info"}
    _Gunicorn(settings, options).run()
