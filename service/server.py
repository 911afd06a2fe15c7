"""Serving the app with gunicorn, a production WSGI server, from the ``newsgraph serve`` command.

Workers only read: each opens the store's current version read-only and moves to a newer version
when a ``newsgraph load`` commits one (see :mod:`service.store`), so loads need no restart.
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

        return create_app(self.settings)


def run(settings: Settings, host: str, port: int, workers: int) -> None:
    options = {"bind": f"{host}:{port}", "workers": workers, "worker_class": "gthread", "threads": 4,
               "graceful_timeout": 10, "accesslog": "-", "loglevel": "info"}
    _Gunicorn(settings, options).run()
