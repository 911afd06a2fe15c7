"""Serving the app from ``newsgraph serve``: gunicorn's master, a buffering server in each worker.

gunicorn's master binds the port, forks the workers and replaces any that dies or hangs. Each worker
runs waitress rather than one of gunicorn's own worker types: waitress reads every request whole on
one event loop (headers and body, however slowly they come) and writes answers from buffers, so its
threads only ever run the app. A client that trickles its request or reads its answer slowly holds a
socket, never a thread: with gunicorn's threaded workers eight such clients stopped the service
(``tests/test_slow_clients.py``). A request must still arrive whole within the request deadline
(``NEWSGRAPH_REQUEST_DEADLINE``), or its connection is closed.

Workers only read: each opens the store's current version read-only and moves to a newer version
when a ``newsgraph load`` commits one (see :mod:`newsgraph.service.store.embedded`), so loads need no restart.
"""

from __future__ import annotations

import logging
import os
import resource
import sys
import time
from collections.abc import Callable, Iterable

from gunicorn.app.base import BaseApplication
from gunicorn.workers.base import Worker
from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher

from newsgraph.service.config import Settings
from newsgraph.service.web.app import MAX_BODY, create_app

THREADS = 4  # per worker, as many as the worker's query executors
CONNECTIONS = 1000  # open connections per worker; slow or idle ones cost a socket each
IDLE_TIMEOUT = 30  # seconds a connection may sit idle between requests
MAX_HEADERS = 64 * 1024  # bytes of request line and headers; more is 431
# bodies up to 4× the app's limit are read whole, so that the app's 413 reaches a client still sending
# (refused early, the connection closes under it: a broken pipe, no answer); beyond, waitress refuses at once
MAX_READ_BODY = 4 * MAX_BODY


class _ErrorTask(ErrorTask):
    """What waitress answers itself — a body over the limit, headers too large, a malformed request —
    in the app's form: a short ``text/plain`` message, with CORS so a browser's script can read it."""

    def execute(self) -> None:
        e = self.request.error
        code = 400 if e.code == 501 else e.code  # a transfer coding we do not know is the client's mistake
        reason = "Bad Request" if e.code == 501 else e.reason
        messages = {413: f"the request body is larger than {MAX_BODY // 1024} KiB",
                    431: f"the request line and headers are larger than {MAX_HEADERS // 1024} KiB"}
        body = (messages.get(code) or f"{reason.lower()}: {e.body}").encode() + b"\n"
        self.status = f"{code} {reason}"
        self.response_headers.extend([("Content-Type", "text/plain; charset=utf-8"),
                                      ("X-Content-Type-Options", "nosniff"), ("Access-Control-Allow-Origin", "*")])
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _Channel(HTTPChannel):
    """A connection that remembers when its request in progress began to arrive."""

    error_task_class = _ErrorTask

    _timed: object = None
    started: float | None = None

    def send_continue(self) -> None:
        """waitress 3.0.2 answers ``Expect: 100-continue`` on a request that has no body (a GET, a POST
        of length 0) and then marks it incomplete: the client waited until the deadline for nothing."""
        if self.request is not None and self.request.completed and not self.request.chunked \
                and not self.request.content_length:
            self.request.expect_continue = False
            return
        super().send_continue()

    def received(self, data: bytes) -> bool:
        now = time.monotonic()
        result = super().received(data)
        if self.request is None:
            self._timed, self.started = None, None
        elif self.request is not self._timed:
            self._timed, self.started = self.request, now
        return result


class _Server(TcpWSGIServer):
    channel_class = _Channel
    deadline = 30.0

    def maintenance(self, now: float) -> None:
        """Close idle connections (waitress) and those whose request has not arrived whole in time."""
        super().maintenance(now)
        too_old = time.monotonic() - self.deadline
        for channel in list(self.active_channels.values()):
            started = getattr(channel, "started", None)
            if started is not None and started < too_old and not channel.requests:
                channel.will_close = True


def _access_log(app: Callable) -> Callable:
    """One line per request on stdout, in gunicorn's format plus the time taken."""

    def logged(environ: dict, start_response: Callable) -> Iterable[bytes]:
        began = time.monotonic()
        seen: dict[str, str] = {}

        def start(status: str, headers: list, exc_info=None):
            seen["status"] = status.split(" ", 1)[0]
            return start_response(status, headers, exc_info)

        sent = 0
        body = app(environ, start)
        try:
            for chunk in body:
                sent += len(chunk)
                yield chunk
        finally:
            if hasattr(body, "close"):  # the app's cleanup (a streamed answer's executor goes back to its pool)
                body.close()
            line = "{} - - [{}] \"{} {} {}\" {} {} {:.1f}ms \"{}\"\n".format(
                environ.get("REMOTE_ADDR", "-"), time.strftime("%d/%b/%Y:%H:%M:%S %z"),
                environ.get("REQUEST_METHOD"), environ.get("REQUEST_URI", "")[:500], environ.get("SERVER_PROTOCOL"),
                seen.get("status", "-"), sent, (time.monotonic() - began) * 1000,
                environ.get("HTTP_USER_AGENT", "-")[:200].replace('"', "'"))
            sys.stdout.write(line)
            sys.stdout.flush()

    return logged


class BufferingWorker(Worker):
    """A gunicorn worker whose connections are served by waitress on the worker's inherited sockets."""

    def run(self) -> None:
        _raise_open_files_limit(CONNECTIONS + 64)
        # waitress warns "Task queue depth is N" for every request that waits for one of the worker's few
        # threads: under load that is every request, thousands of lines a second, and waiting is the design
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        adj = Adjustments(threads=THREADS, connection_limit=CONNECTIONS, channel_timeout=IDLE_TIMEOUT,
                          cleanup_interval=1, max_request_header_size=MAX_HEADERS,
                          max_request_body_size=MAX_READ_BODY, asyncore_use_poll=True, ident="newsgraph",
                          expose_tracebacks=False)
        dispatcher = ThreadedTaskDispatcher()
        dispatcher.set_thread_count(adj.threads)
        channels: dict = {}
        app = _access_log(self.wsgi) if self.cfg.accesslog else self.wsgi
        servers = []
        for listener in self.sockets:
            sock = listener.sock
            servers.append(_Server(app, channels, True, sock, dispatcher=dispatcher, adj=adj, bind_socket=False,
                                   sockinfo=(sock.family, sock.type, sock.proto, sock.getsockname())))
            servers[-1].deadline = self.app.settings.request_deadline
        beat = 0.0
        while self.alive and self.ppid == os.getppid():
            wasyncore.loop(timeout=1.0, map=channels, use_poll=True, count=1)
            if time.monotonic() - beat >= 1.0:
                self.notify()
                beat = time.monotonic()
        # stop: accept nothing more, let the requests in progress finish (gunicorn's graceful timeout)
        for server in servers:
            server.del_channel()
            server.accepting = False
        deadline = time.monotonic() + self.cfg.graceful_timeout
        while time.monotonic() < deadline and any(
                getattr(c, "requests", None) or getattr(c, "total_outbufs_len", 0) for c in list(channels.values())):
            wasyncore.loop(timeout=0.2, map=channels, use_poll=True, count=1)
        dispatcher.shutdown(cancel_pending=True, timeout=1)
        wasyncore.close_all(channels)


def _raise_open_files_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


class _Gunicorn(BaseApplication):
    def __init__(self, settings: Settings, options: dict):
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return create_app(self.settings)


def run(settings: Settings, host: str, port: int, workers: int) -> None:
    options = {"bind": f"{host}:{port}", "workers": workers, "worker_class": f"{__name__}.BufferingWorker",
               "graceful_timeout": 10, "timeout": 60, "accesslog": "-", "loglevel": "info"}
    _Gunicorn(settings, options).run()
