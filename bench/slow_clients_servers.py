"""Issue 15 §7: does another HTTP server keep the slow-client protection `newsgraph serve` has?

    .venv/bin/python bench/slow_clients_servers.py STORE [--slow 200] [--seconds 20]

Serves the newsgraph app over STORE with one worker under each server — `newsgraph serve` (gunicorn with
newsgraph's waitress worker) and granian (WSGI interface, `--factory`) — opens SLOW connections that
send a request line and then one header line every half second and never finish, plus 20 that send a
body a byte a second, and meanwhile times an ordinary client's requests (`/health`, a SPARQL count):
how many it gets answered, and how slowly. Then the same ordinary requests without slow clients, for
reference. What `tests/test_slow_clients.py` holds `newsgraph serve` to, asked of each server.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench")]

from run import clean_env, free_port, newsgraph, start, stop, wait_for  # noqa: E402

QUERY = urllib.parse.quote("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")


def servers(store: str, port: int) -> dict[str, list[str]]:
    granian = str(Path(sys.executable).parent / "granian")
    return {
        "newsgraph serve (gunicorn + waitress)": [newsgraph(), "serve", "--store", store, "--port", str(port),
                                                 "--workers", "1"],
        "granian (WSGI, 1 worker)": [granian, "--interface", "wsgi", "--factory", "--host", "127.0.0.1",
                                     "--port", str(port), "--workers", "1",
                                     "newsgraph.service.web.app:create_app"],
    }


class Slow:
    def __init__(self, port: int, heads: int, bodies: int):
        self.socks: list[tuple[socket.socket, bytes]] = []
        for _ in range(heads):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
            self.socks.append((s, b"X-Slow: x\r\n"))
        for _ in range(bodies):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                      b"Content-Length: 1000\r\n\r\nS")
            self.socks.append((s, b"E"))
        self.cut = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            for item in list(self.socks):
                try:
                    item[0].sendall(item[1])
                except OSError:
                    self.socks.remove(item)
                    self.cut += 1

    def close(self) -> None:
        self._stop.set()
        self._t.join(5)
        for s, _ in self.socks:
            s.close()


def ordinary(base: str, seconds: float) -> dict:
    times, failures = [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for path in ("/health", f"/sparql?query={QUERY}"):
            t = time.perf_counter()
            try:
                with urllib.request.urlopen(base + path, timeout=10) as r:
                    r.read()
                times.append((time.perf_counter() - t) * 1000)
            except OSError:
                failures += 1
    times.sort()
    return {"answered": len(times), "failed": failures,
            "p50_ms": round(statistics.median(times), 1) if times else None,
            "max_ms": round(times[-1], 1) if times else None}


def lookups(store: str) -> None:
    import pyoxigraph as ox
    from run import wrk

    version = (Path(store).parent / os.readlink(store)).resolve()
    subjects = [r[0].value for r in ox.Store.read_only(str(version)).query(
        "SELECT DISTINCT ?s WHERE { ?s a ?c } LIMIT 2000", use_default_graph_as_union=True)]
    paths = ["/sparql?query=" + urllib.parse.quote(f"SELECT ?p ?o WHERE {{ <{s}> ?p ?o }}") for s in subjects]
    for name in servers("", 0):
        port = free_port()
        cmd = [c if c != "1" else "2" for c in servers(store, port)[name]]  # two workers, as `make bench` serves
        proc = start(cmd, clean_env(NEWSGRAPH_STORE=store, NEWSGRAPH_CACHE_MB="0"))
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for(base + "/health", 60, proc)
            wrk(base, paths[:50], "application/sparql-results+json", 3, 4)
            print(f"{name}: cold lookups {wrk(base, paths, 'application/sparql-results+json', 8, 4)}", flush=True)
        finally:
            stop(proc)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("store")
    ap.add_argument("--slow", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--wrk", action="store_true",
                    help="also: cold one-subject SPARQL lookups (a different subject each request) with wrk, "
                         "2 workers, 4 connections, 8 s, cache off")
    args = ap.parse_args()
    if args.wrk:
        lookups(os.path.abspath(args.store))
    for name in servers("", 0):
        port = free_port()
        cmd = servers(os.path.abspath(args.store), port)[name]
        proc = start(cmd, clean_env(NEWSGRAPH_STORE=os.path.abspath(args.store), NEWSGRAPH_CACHE_MB="0"))
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for(base + "/health", 60, proc)
            calm = ordinary(base, 5)
            slow = Slow(port, args.slow, 20)
            busy = ordinary(base, args.seconds)
            cut = slow.cut
            slow.close()
            print(f"{name}: without slow clients {calm}; with {args.slow}+20 slow clients {busy}; "
                  f"slow connections the server cut: {cut}", flush=True)
        finally:
            stop(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
