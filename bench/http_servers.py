"""The HTTP layer alone: requests per second a bare WSGI app gets from each server, on this machine.

    .venv/bin/python bench/http_servers.py [--duration 8] [--connections 4]

Issue 15 §7 asks how much of the per-request overhead on /sparql is the HTTP server itself. This serves
one WSGI app that answers "ok" at once, with two worker processes each, under: gunicorn with newsgraph's
worker (waitress's buffering event loop in each gunicorn worker: what `newsgraph serve` runs), gunicorn's
own threaded workers, and granian (a Rust HTTP server for WSGI apps). `wrk` measures each for the same
time with the same connections. Figures in bench/FINDINGS.md.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 5098


def bare_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


class _Settings:
    request_deadline = 30.0


def serve_newsgraph_worker() -> None:
    """gunicorn's master with newsgraph's BufferingWorker, serving the bare app."""
    from gunicorn.app.base import BaseApplication

    class App(BaseApplication):
        settings = _Settings()

        def load_config(self) -> None:
            for k, v in {"bind": f"127.0.0.1:{PORT}", "workers": 2, "loglevel": "warning",
                         "worker_class": "newsgraph.service.web.server.BufferingWorker"}.items():
                self.cfg.set(k, v)

        def load(self):
            return bare_app

    App().run()


SERVERS = {
    "gunicorn + waitress worker (newsgraph serve)": [sys.executable, __file__, "--serve-newsgraph-worker"],
    "gunicorn gthread, 2 workers × 4 threads": [sys.executable, "-m", "gunicorn", "-w", "2", "--threads", "4",
                                               "-k", "gthread", "-b", f"127.0.0.1:{PORT}", "--log-level",
                                               "warning", "http_servers:bare_app"],
    "granian WSGI, 2 workers": [sys.executable, "-m", "granian", "--interface", "wsgi", "--workers", "2",
                                "--host", "127.0.0.1", "--port", str(PORT), "--log-level", "warning",
                                "http_servers:bare_app"],
}


def measure(command: list[str], duration: int, connections: int) -> float:
    proc = subprocess.Popen(command, cwd=Path(__file__).parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        # a warm-up first: the second worker may still be starting when the first answers
        subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", "3s", f"http://127.0.0.1:{PORT}/"],
                       capture_output=True, check=True)
        out = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s",
                              f"http://127.0.0.1:{PORT}/"], capture_output=True, text=True, check=True).stdout
        m = re.search(r"Requests/sec:\s+([\d.]+)", out)
        return float(m.group(1)) if m else 0.0
    finally:
        proc.terminate()
        proc.wait()
        for _ in range(100):  # the next server must not meet this one's workers still on the port
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/", timeout=0.2)
                time.sleep(0.1)
            except OSError:
                break


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--serve-newsgraph-worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve_newsgraph_worker:
        serve_newsgraph_worker()
        return 0
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    for name, command in SERVERS.items():
        print(f"{name:45} {measure(command, args.duration, args.connections):>10,.0f} req/s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
