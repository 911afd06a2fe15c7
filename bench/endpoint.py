"""Endpoint benchmark: newsgraph's /sparql against the Oxigraph server on the same store and queries.

    .venv/bin/python bench/endpoint.py [--articles 200] [--duration 10] [--connections 16]

Generates a corpus with bench/load.py's generator, loads it with `newsgraph load`, then serves the
same store folder with `newsgraph serve` (2 workers) and with `oxigraph serve-read-only` (the
`oxigraph` package from PyPI, in its own venv under bench/out/; its URL carries
`union-default-graph` so that both engines query the union of the named graphs), and drives each
with `wrk` (Debian) on three queries: a one-subject lookup, a medium aggregate and a heavy join.
newsgraph is measured with its response cache on (the default) and off (NEWSGRAPH_CACHE_MB=0).
Prints req/s, p50 and p99 and the ratios to Oxigraph; writes bench/out/endpoint.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "bench"))

from generate import generate  # noqa: E402
from run import free_port, oxigraph_binary, stop, wait_for  # noqa: E402

NF = "https://w3id.org/newsgraph/ns#"
QUERIES = {
    "lookup": "SELECT ?p ?o WHERE { <SUBJECT> ?p ?o }",
    "medium": f"SELECT ?kind (COUNT(?f) AS ?n) WHERE {{ ?f a <{NF}Fact>, ?kind }} GROUP BY ?kind",
    "heavy": (f"SELECT ?a ?b (COUNT(*) AS ?n) WHERE {{ ?m <{NF}participant> ?a, ?b . FILTER(STR(?a) < STR(?b)) }} "
              "GROUP BY ?a ?b ORDER BY DESC(?n) LIMIT 20"),
}
ACCEPT = "application/sparql-results+json"






def wrk(url: str, duration: int, connections: int) -> dict:
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": ACCEPT})) as r:
        size = len(r.read())
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-H", f"Accept: {ACCEPT}", url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p: str) -> float:
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": pct("50"), "p99_ms": pct("99"), "non2xx": int(errors.group(1)) if errors else 0,
            "bytes": size, "url": url}


def serve(cmd: list[str], env: dict, health: str) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    wait_for(health)
    return proc




def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=200)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    args = ap.parse_args(argv)
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk (make bench does it)")
    OUT.mkdir(parents=True, exist_ok=True)
    newsgraph = str(Path(sys.executable).parent / "newsgraph")
    work = Path(tempfile.mkdtemp(prefix="ng-endpoint-"))
    try:
        generate(work / "corpus", args.articles, 15, 1)
        store = work / "store"
        subprocess.run([newsgraph, "load", "-q", "--store", str(store), str(work / "corpus")], check=True)
        target = (store.parent / os.readlink(store)).resolve()
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSGRAPH_")}
        subject = None
        results: dict = {"articles": args.articles, "duration_s": args.duration, "connections": args.connections,
                         "queries": {}, "servers": {}}
        port_ox = free_port()
        ox = serve([oxigraph_binary(), "serve-read-only", "--location", str(target), "--bind",
                    f"127.0.0.1:{port_ox}"], env, f"http://127.0.0.1:{port_ox}/query?query=ASK%7B%7D")
        try:
            ask = urllib.parse.urlencode({"query": "SELECT ?e WHERE { ?e a <" + NF + "Country> } LIMIT 1"})
            req = urllib.request.Request(f"http://127.0.0.1:{port_ox}/query?union-default-graph&{ask}",
                                         headers={"Accept": ACCEPT})
            with urllib.request.urlopen(req) as r:
                subject = json.load(r)["results"]["bindings"][0]["e"]["value"]
            queries = {name: q.replace("SUBJECT", subject) for name, q in QUERIES.items()}
            results["queries"] = queries
            for q in queries.values():  # warm-up, not timed: the first queries fill the engine's caches
                wrk(f"http://127.0.0.1:{port_ox}/query?union-default-graph&" + urllib.parse.urlencode({"query": q}),
                    2, args.connections)
            results["servers"]["oxigraph"] = {
                name: wrk(f"http://127.0.0.1:{port_ox}/query?union-default-graph&"
                          + urllib.parse.urlencode({"query": q}), args.duration, args.connections)
                for name, q in queries.items()}
        finally:
            stop(ox)
        for label, extra in (("newsgraph", {}), ("newsgraph (no cache)", {"NEWSGRAPH_CACHE_MB": "0"})):
            port = free_port()
            proc = serve([newsgraph, "serve", "--store", str(store), "--port", str(port), "--workers", "2"],
                         {**env, **extra}, f"http://127.0.0.1:{port}/health")
            try:
                time.sleep(5)  # each web worker starts its executor processes after /health first answers
                for q in queries.values():  # the same warm-up as Oxigraph gets
                    wrk(f"http://127.0.0.1:{port}/sparql?" + urllib.parse.urlencode({"query": q}), 2,
                        args.connections)
                results["servers"][label] = {
                    name: wrk(f"http://127.0.0.1:{port}/sparql?" + urllib.parse.urlencode({"query": q}),
                              args.duration, args.connections)
                    for name, q in queries.items()}
            finally:
                stop(proc)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(report(results))
    (OUT / "endpoint.json").write_text(json.dumps(results, indent=2))
    return 0


def report(r: dict) -> str:
    base = r["servers"]["oxigraph"]
    lines = [f"{r['articles']} articles, wrk -t2 -c{r['connections']} -d{r['duration_s']}s, Accept: {ACCEPT}", "",
             "| server | query | req/s | p50 ms | p99 ms | × Oxigraph |", "|---|---|---:|---:|---:|---:|"]
    for server, by_query in r["servers"].items():
        for name, m in by_query.items():
            ratio = m["rps"] / base[name]["rps"] if base[name]["rps"] else 0
            bad = f" ({m['non2xx']} non-2xx)" if m["non2xx"] else ""
            lines.append(f"| {server} | {name} | {m['rps']:,.0f}{bad} | {m['p50_ms']:.2f} | {m['p99_ms']:.2f} | "
                         f"{ratio:.2f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
