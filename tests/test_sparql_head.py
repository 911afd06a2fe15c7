"""HEAD on /sparql answers the headers and leaves the executor pool as it found it."""

from __future__ import annotations

import http.client
import time
import urllib.parse

from conftest import SEEDS
from server import Server


def test_head_requests_do_not_use_up_the_executors(cli):
    assert cli("load", str(SEEDS)).exit_code == 0
    with Server(cli.store, timeout=5) as srv:
        for i in range(10):  # more than the 4 executors a worker has
            conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
            query = urllib.parse.urlencode({"query": f"SELECT (COUNT(*) AS ?n{i}) {{ ?s ?p ?o }}"})
            conn.request("HEAD", f"/sparql?{query}")
            r = conn.getresponse()
            assert r.status == 200 and r.read() == b""
            assert r.getheader("Content-Type", "").startswith("application/sparql-results+json")
            conn.close()
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        conn.request("GET", "/sparql?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"}))
        r = conn.getresponse()
        assert r.status == 200 and b"true" in r.read()
        assert time.monotonic() - started < 2, "a query after the HEADs waited for a free executor"
