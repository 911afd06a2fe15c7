"""A real `newsgraph serve` in a subprocess, on a free loopback port, for tests that speak HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

NEWSGRAPH = Path(sys.executable).parent / "newsgraph"


def fetch(url: str, headers: dict[str, str] | None = None, data: bytes | None = None, method: str | None = None,
          timeout: float = 120):
    """``(status, headers, body)`` of one request, error statuses included, as a client sees them."""
    req = urllib.request.Request(url, headers=headers or {}, data=data, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def process_stats() -> dict[int, list[str]]:
    """Every process's /proc stat fields after its name (state, ppid, pgrp, session, …), by pid."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        out[int(entry)] = stat[stat.rfind(")") + 2:].split()
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``with Server(store, token=..., timeout=...) as srv:`` → ``srv.url`` is the base URL."""

    def __init__(self, store: Path | str, *, token: str | None = None, timeout: float | None = None,
                 allow: str | None = None, workers: int | None = 1, env: dict[str, str] | None = None,
                 command: Path = NEWSGRAPH, cwd: Path | None = None):
        self.command = command
        self.cwd = cwd
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.endpoint = f"{self.url}/sparql"
        self.store = str(store)
        environ = {k: v for k, v in os.environ.items() if not k.startswith("NEWSGRAPH_")}
        if token:
            environ["NEWSGRAPH_UPDATE_TOKEN"] = token
        if timeout is not None:
            environ["NEWSGRAPH_QUERY_TIMEOUT"] = str(timeout)
        if allow:
            environ["NEWSGRAPH_SERVICE_ALLOW"] = allow
        environ.update(env or {})
        self.env = environ
        self.workers = workers
        self.process: subprocess.Popen | None = None
        self.log = b""

    def __enter__(self) -> Server:
        # the log goes to a file: a pipe nobody reads fills up and blocks the server after a few hundred requests
        self._log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [str(self.command), "serve", "--store", self.store, "--host", "127.0.0.1", "--port", str(self.port),
             *(["--workers", str(self.workers)] if self.workers else [])],  # workers=None: the command's default
            env=self.env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.cwd)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._log.seek(0)
                raise RuntimeError(f"newsgraph serve exited: {self._log.read().decode()}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.__exit__(None, None, None)
        raise RuntimeError("newsgraph serve did not answer /health within 30 s")

    def __exit__(self, *exc) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
        except ProcessLookupError:
            pass
        self._log.seek(0)
        self.log = self._log.read()
        self._log.close()
        self.process = None
