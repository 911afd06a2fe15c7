"""Slow clients must not block the others: requests that trickle in, bodies that trickle in, answers
nobody reads. A real `newsgraph serve` with one worker, raw sockets for the slow clients."""

from __future__ import annotations

import socket
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from helpers import loaded
from server import Server, fetch

SLOW = 200  # trickling connections: far more than the worker's threads (4)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    return loaded(tmp_path_factory.mktemp("slow") / "store").store


class Trickler:
    """Connections that each send a request a few bytes at a time, and never finish it."""

    def __init__(self, port: int, count: int, opening: bytes, every: float = 0.5):
        self.sockets = []
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(opening)
            self.sockets.append(s)
        self.every = every
        self.closed_by_server: list[float] = []
        self._stop = threading.Event()
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._trickle, daemon=True)
        self._thread.start()

    def _trickle(self) -> None:
        n = 0
        while not self._stop.wait(self.every):
            n += 1
            for s in list(self.sockets):
                try:
                    s.sendall(b"X-Trickle-%d: x\r\n" % n)
                except OSError:
                    self.sockets.remove(s)
                    self.closed_by_server.append(time.monotonic() - self._started)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for s in self.sockets:
            s.close()


def answers_normally(url: str) -> list[tuple[str, int]]:
    """A client's ordinary requests, each given 10 s: what it would notice if slow clients held the threads."""
    query = urllib.parse.quote("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
    paths = ["/", "/health", f"/sparql?query={query}", "/queries/members?organization=csto",
             "/id/organization/csto", "/api"]
    out = []
    for path in paths * 3:
        try:
            status = fetch(url + path, {"Accept": "text/html" if path in ("/", "/id/organization/csto") else "*/*"},
                           timeout=10)[0]
        except OSError as e:  # a timeout: the service is blocked
            status = repr(e)
        out.append((path, status))
    return out


def test_trickling_requests_bodies_and_unread_answers_do_not_block_other_clients(store):
    with Server(store, workers=1) as srv:
        heads = Trickler(srv.port, SLOW, b"GET / HTTP/1.1\r\nHost: localhost\r\n")
        bodies = Trickler(srv.port, 20, b"POST /sparql HTTP/1.1\r\nHost: localhost\r\n"
                                        b"Content-Type: application/sparql-query\r\nContent-Length: 100000\r\n\r\n")
        # clients that ask for the whole dataset and never read a byte of it
        unread = []
        everything = urllib.parse.quote("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
        for _ in range(20):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(f"GET /sparql?query={everything} HTTP/1.1\r\nHost: localhost\r\n"
                      "Accept: application/n-triples\r\n\r\n".encode())
            unread.append(s)
        try:
            time.sleep(1)
            results = answers_normally(srv.url)
            assert all(status == 200 for _, status in results), results
            assert len(heads.sockets) == SLOW and len(bodies.sockets) == 20  # still open: held, not refused
        finally:
            heads.close()
            bodies.close()
            for s in unread:
                s.close()


def test_a_request_that_never_arrives_whole_is_cut_off_at_the_deadline(store):
    with Server(store, workers=1, env={"NEWSGRAPH_REQUEST_DEADLINE": "2"}) as srv:
        slow = Trickler(srv.port, 5, b"GET / HTTP/1.1\r\nHost: localhost\r\n", every=0.25)
        try:
            deadline = time.monotonic() + 15
            while slow.sockets and time.monotonic() < deadline:
                time.sleep(0.25)
            assert not slow.sockets, "the server kept connections whose request never finished"
            # cut at 2 s (+ up to 1 s of the maintenance beat), not at the first trickle
            assert min(slow.closed_by_server) >= 1.5, slow.closed_by_server
            assert max(slow.closed_by_server) < 6, slow.closed_by_server
            # a request that arrives whole, however the connection is used, is not cut
            assert fetch(srv.url + "/health")[0] == 200
        finally:
            slow.close()


def test_a_slow_but_steady_upload_within_the_deadline_is_answered(store):
    """The deadline is for the whole request, not between bytes: a body sent over 1.5 s still counts."""
    with Server(store, workers=1, env={"NEWSGRAPH_REQUEST_DEADLINE": "5"}) as srv:
        body = b"SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
            s.sendall(b"POST /sparql HTTP/1.1\r\nHost: localhost\r\nAccept: text/csv\r\nConnection: close\r\n"
                      b"Content-Type: application/sparql-query\r\nContent-Length: %d\r\n\r\n" % len(body))
            for i in range(0, len(body), 4):
                s.sendall(body[i:i + 4])
                time.sleep(1.5 / (len(body) / 4))
            answer = b""
            while chunk := s.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
        assert b"n" in answer.split(b"\r\n\r\n", 1)[1].split(b"\r\n")  # the CSV header, in whatever framing


def test_a_busy_server_answers_without_flooding_its_log(store):
    """Sixteen clients at once on four threads per worker: requests wait in waitress's queue, as designed,
    and every one is answered — without a warning line per waiting request in the service's log."""
    with Server(store) as srv:
        statuses: list[int] = []

        def client() -> None:
            for _ in range(25):
                statuses.append(fetch(srv.url + "/health")[0])

        threads = [threading.Thread(target=client) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert statuses.count(200) == 400
    assert b"Task queue depth" not in srv.log
