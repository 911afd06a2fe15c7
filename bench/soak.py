"""Soak test: many clients for a minute on a mixed workload, while slow clients hang on and a load lands.

    .venv/bin/python bench/soak.py [--clients 32] [--duration 60] [--articles 1000] [--slow 100] [--write]

The store: the seeds and a generated corpus (bench/generate.py) minus its last 100 articles. The
server: ``newsgraph serve --workers 2``, configured as shipped (response cache on). For
``--duration`` seconds, ``--clients`` threads, each with its own keep-alive connection, send requests
drawn from a mix — SPARQL queries, entity pages (HTML, Turtle, JSON-LD), article pages, saved
queries, search, the home page and /health — over entities picked at random from the whole registry.
Meanwhile ``--slow`` connections trickle a request that never ends (slowloris), and at a third of
the run ``newsgraph load`` adds the 100 held-back articles to the served store.

Every answer is checked: a status other than 200, a connection error, or a body that does not parse
(JSON, Turtle) is an error. Reported: requests, errors, throughput, p50/p95/p99/max per kind and
overall, the server's peak memory, the load's time and the articles served before and after.
Results go to bench/out/soak.json; ``--write`` puts the figures in docs/operations.md between the soak markers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from run import Sampler, clean_env, corpus, free_port, newsgraph, start, stop, wait_for  # noqa: E402

OUT = ROOT / "bench" / "out"
HELD_BACK = 100
MIX = {  # kind: weight
    "sparql": 25, "entity-html": 15, "entity-rdf": 10, "article": 10, "saved": 25, "search": 10, "home": 5,
}
MARK_BEGIN, MARK_END = "<!-- soak:begin -->", "<!-- soak:end -->"


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Workload:
    """The requests the clients draw from, built from what the served store holds."""

    def __init__(self, base: str):
        self.base = base
        rows = self._select("SELECT ?e ?t WHERE { ?e a ?t VALUES ?t { <https://w3id.org/newsgraph/ns#Country> "
                            "<https://w3id.org/newsgraph/ns#Organization> <https://w3id.org/newsgraph/ns#Person> "
                            "<https://w3id.org/newsgraph/ns#Place> } }")
        self.entities = [r["e"]["value"] for r in rows]

        def of(kind: str) -> list[str]:
            return [r["e"]["value"] for r in rows if r["t"]["value"].endswith("#" + kind)]

        self.orgs, self.people, self.countries = of("Organization"), of("Person"), of("Country")
        arts = self._select("SELECT ?a WHERE { ?a a <https://w3id.org/newsgraph/ns#Article> }")
        self.articles = [r["a"]["value"] for r in arts]
        labels = self._select("SELECT ?l WHERE { ?e <http://www.w3.org/2000/01/rdf-schema#label> ?l } LIMIT 2000")
        self.words = sorted({w for r in labels for w in r["l"]["value"].split() if len(w) >= 4})
        if not (self.countries and self.orgs and self.people and self.articles and self.words):
            raise RuntimeError("the served store has too little in it to build a workload")

    def _select(self, query: str) -> list[dict]:
        url = f"{self.base}/sparql?" + urllib.parse.urlencode({"query": query})
        req = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())["results"]["bindings"]

    def path(self, iri: str) -> str:
        return urllib.parse.urlsplit(iri).path

    def draw(self, rng: random.Random) -> tuple[str, str, dict[str, str]]:
        """``(kind, path, headers)`` of one request."""
        kind = rng.choices(list(MIX), weights=list(MIX.values()))[0]
        q = urllib.parse.urlencode
        if kind == "sparql":
            who = rng.choice(self.countries)
            text = rng.choice([
                f"SELECT ?f ?p WHERE {{ ?f ?p <{who}> }} LIMIT 50",
                "SELECT ?t (COUNT(*) AS ?n) WHERE { ?f a ?t } GROUP BY ?t",
                f"SELECT ?l WHERE {{ <{who}> <http://www.w3.org/2000/01/rdf-schema#label> ?l }}",
                f"ASK {{ ?f ?p <{who}> }}",
            ])
            return kind, "/sparql?" + q({"query": text}), {"Accept": "application/sparql-results+json"}
        if kind == "entity-html":
            return kind, self.path(rng.choice(self.entities)), {"Accept": "text/html"}
        if kind == "entity-rdf":
            accept = rng.choice(["text/turtle", "application/ld+json"])
            return kind, self.path(rng.choice(self.entities)), {"Accept": accept}
        if kind == "article":
            return kind, self.path(rng.choice(self.articles)), {"Accept": rng.choice(["text/html", "text/turtle"])}
        if kind == "saved":
            name, params = rng.choice([
                ("members", {"organization": rng.choice(self.orgs)}),
                ("statements", {"speaker": rng.choice(self.people)}),
                ("arms-transfers", {"recipient": rng.choice(self.countries)}),
                ("meetings", {"participant": rng.choice(self.countries)}),
                ("agreements", {"party": rng.choice(self.countries)}),
            ])
            return kind, f"/queries/{name}?" + q(params), {"Accept": "application/json"}
        if kind == "search":
            return kind, "/queries/search?" + q({"q": rng.choice(self.words)}), {"Accept": "application/json"}
        return kind, rng.choice(["/", "/health", "/queries"]), {"Accept": "text/html"}


def check(content_type: str, body: bytes) -> str | None:
    """What is wrong with a 200's body, if anything: a client would fail to parse it."""
    media = content_type.split(";")[0].strip()
    try:
        if media.endswith("json"):
            json.loads(body)
        elif media == "text/turtle":
            list(ox.parse(body, format=ox.RdfFormat.TURTLE))
        elif media == "text/html" and b"</html>" not in body:
            return "an HTML page without its end"
    except (ValueError, SyntaxError) as e:
        return f"unparsable {media}: {e}"
    return None


class Client(threading.Thread):
    def __init__(self, n: int, port: int, work: Workload, until: float, seed: int):
        super().__init__(daemon=True)
        self.port, self.work, self.until = port, work, until
        self.rng = random.Random(seed * 1000 + n)
        self.times: dict[str, list[float]] = {k: [] for k in MIX}
        self.errors: list[str] = []

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        while time.monotonic() < self.until:
            kind, path, headers = self.work.draw(self.rng)
            began = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                r = conn.getresponse()
                body = r.read()
                took = time.perf_counter() - began
                problem = f"HTTP {r.status}" if r.status != 200 else check(r.headers.get("Content-Type", ""), body)
                if r.headers.get("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as e:
                took, problem = time.perf_counter() - began, f"{type(e).__name__}: {e}"
                conn.close()
            self.times[kind].append(took)
            if problem:
                self.errors.append(f"{kind} {path[:120]}: {problem}")
        conn.close()


class Slowloris(threading.Thread):
    """Connections that send a header line every few seconds and never end their request."""

    def __init__(self, port: int, count: int, until: float):
        super().__init__(daemon=True)
        self.port, self.count, self.until = port, count, until
        self.opened = self.cut = 0

    def run(self) -> None:
        socks = []
        for _ in range(self.count):
            s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
            socks.append(s)
        self.opened = len(socks)
        n = 0
        while time.monotonic() < self.until:
            time.sleep(2)
            n += 1
            for s in list(socks):
                try:
                    s.sendall(b"X-Slow-%d: 1\r\n" % n)
                except OSError:  # the server cut it at the request deadline
                    socks.remove(s)
                    self.cut += 1
                    if time.monotonic() < self.until:  # and the attacker opens another
                        try:
                            s2 = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                            s2.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
                            socks.append(s2)
                            self.opened += 1
                        except OSError:
                            pass
        for s in socks:
            s.close()


def health(base: str) -> dict:
    with urllib.request.urlopen(base + "/health", timeout=30) as r:
        return json.loads(r.read())


def prepare(work: Path, articles: int, seed: int) -> tuple[Path, list[str]]:
    """A fresh store with the seeds and all but the last HELD_BACK articles; the held-back sheets."""
    folder, _ = corpus(work, articles, seed, 15)
    sheets = sorted(str(p) for p in (folder / "articles").rglob("*.yaml"))
    shutil.rmtree(work / "db", ignore_errors=True)  # the store: a symlink to its current version in there
    store = work / "db" / "store"
    first = [str(ROOT / "seeds"), str(folder / "entities.yaml"), *sheets[:-HELD_BACK]]
    subprocess.run([newsgraph(), "--store", str(store), "load", *first], check=True, env=clean_env(),
                   stdout=subprocess.DEVNULL)
    return store, sheets[-HELD_BACK:]


def soak(args) -> dict:
    work = OUT / "soak"
    work.mkdir(parents=True, exist_ok=True)
    store, later = prepare(work, args.articles, args.seed)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start([newsgraph(), "--store", str(store), "serve", "--port", str(port), "--workers", "2"],
                   env=clean_env(), log=work / "serve.log")
    try:
        wait_for(base + "/health", 120, server)
        before = health(base)
        workload = Workload(base)
        sampler = Sampler(server.pid)
        sampler.start()
        began = time.monotonic()
        until = began + args.duration
        slow = Slowloris(port, args.slow, until)
        slow.start()
        clients = [Client(i, port, workload, until, args.seed) for i in range(args.clients)]
        for c in clients:
            c.start()
        time.sleep(args.duration / 3)
        load_began = time.monotonic()
        loaded = subprocess.run([newsgraph(), "--store", str(store), "load", *later], env=clean_env(),
                                capture_output=True, text=True)
        load_seconds = time.monotonic() - load_began
        for c in clients:
            c.join(args.duration + 120)
        slow.join(30)
        elapsed = time.monotonic() - began
        memory = sampler.finish()
        after = health(base)
    finally:
        stop(server)
    times = {k: [t for c in clients for t in c.times[k]] for k in MIX}
    every = [t for ts in times.values() for t in ts]
    errors = [e for c in clients for e in c.errors]

    def figures(ts: list[float]) -> dict:
        return {"requests": len(ts), "p50_ms": round(percentile(ts, 50) * 1000, 1),
                "p95_ms": round(percentile(ts, 95) * 1000, 1), "p99_ms": round(percentile(ts, 99) * 1000, 1),
                "max_ms": round(max(ts, default=0) * 1000, 1),
                "mean_ms": round(statistics.fmean(ts) * 1000, 1) if ts else 0.0}

    return {
        "date": dt.date.today().isoformat(), "clients": args.clients, "duration_s": round(elapsed, 1),
        "slow_connections": {"held": args.slow, "opened": slow.opened, "cut_at_deadline": slow.cut},
        "requests": len(every), "errors": len(errors), "error_samples": errors[:20],
        "requests_per_s": round(len(every) / elapsed, 1), "overall": figures(every),
        "by_kind": {k: figures(v) for k, v in times.items()},
        "load_during": {"articles": HELD_BACK, "exit": loaded.returncode, "seconds": round(load_seconds, 1),
                        "stderr_tail": loaded.stderr[-500:] if loaded.returncode else ""},
        "articles_before": before.get("articles"), "articles_after": after.get("articles"),
        "server_memory": memory, "store_articles": args.articles - HELD_BACK,
    }


def markdown(r: dict) -> str:
    rows = "\n".join(f"| {k} | {v['requests']:,} | {v['p50_ms']} | {v['p95_ms']} | {v['p99_ms']} | {v['max_ms']} |"
                     for k, v in [("all", r["overall"]), *r["by_kind"].items()])
    return (f"Last `make soak` ({r['date']}): {r['clients']} clients for {r['duration_s']} s on 2 cores against "
            f"`newsgraph serve --workers 2` (cache on) over {r['articles_before']:,} articles; meanwhile "
            f"{r['slow_connections']['held']} slowloris connections held open ({r['slow_connections']['opened']} "
            f"opened, {r['slow_connections']['cut_at_deadline']} cut at the request deadline) and "
            f"`newsgraph load` of {r['load_during']['articles']} more articles "
            f"({r['load_during']['seconds']} s, exit {r['load_during']['exit']}; served after: "
            f"{r['articles_after']:,}). **{r['requests']:,} requests, {r['errors']} errors**, "
            f"{r['requests_per_s']} req/s; server peak {r['server_memory']['pss_mib']} MiB PSS.\n\n"
            "| kind | requests | p50 ms | p95 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|\n" + rows + "\n")


def write_readme(r: dict) -> None:
    readme = ROOT / "docs" / "operations.md"  # the reliability figures live with the operations reference
    text = readme.read_text()
    if MARK_BEGIN not in text:
        raise SystemExit(f"{readme} has no {MARK_BEGIN} … {MARK_END} block to fill")
    head, rest = text.split(MARK_BEGIN, 1)
    _, tail = rest.split(MARK_END, 1)
    readme.write_text(head + MARK_BEGIN + "\n" + markdown(r) + MARK_END + tail)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--duration", type=float, default=60)
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--slow", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--write", action="store_true", help="put the figures in docs/operations.md")
    args = ap.parse_args(argv)
    result = soak(args)
    (OUT / "soak.json").write_text(json.dumps(result, indent=2))
    print(markdown(result))
    if result["error_samples"]:
        print("errors:", *result["error_samples"], sep="\n  ", file=sys.stderr)
    if args.write:
        write_readme(result)
    ok = (result["errors"] == 0 and result["load_during"]["exit"] == 0
          and result["articles_after"] == result["articles_before"] + HELD_BACK)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
