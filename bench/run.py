"""Scale benchmark: how newsgraph's cost grows from 1k to 100k articles, against its peers and its engine.

    .venv/bin/python bench/run.py [--sizes 1000,10000,100000] [--work bench/out/scale] [--reuse]
                                  [--duration 8] [--connections 4] [--peers pyoxigraph,oxigraph,rdflib-endpoint]
                                  [--only REGEX] [--write]

At every size N (a prefix of the same seeded corpus, bench/generate.py):

1. ``newsgraph load`` (the real command, fresh on-disk store): seconds, articles/s, facts/s, its peak
   RSS, the store's size on disk.
2. ``newsgraph serve`` (2 web workers, the response cache OFF so that every request reaches the
   engine: the cost a cache miss pays; cached answers are a dictionary lookup): for every target —
   each saved query with selective parameters, an entity page (a small entity and the most linked
   country), an article page, typical SPARQL queries — ``wrk`` with ``--connections`` concurrent
   clients for ``--duration`` seconds, rotating over up to 16 parameter values picked from the data
   by the same rule at every size (entities ranked by their facts; the ones around the median).
   p50/p95/p99 latency and req/s. The server's RSS and PSS (its process tree: gunicorn, web workers,
   query executors) are sampled throughout; the peak is reported.
3. Peers on the same store version and the same SPARQL texts (the saved queries with their
   parameters bound as newsgraph binds them, the typical queries): the Oxigraph server (PyPI
   ``oxigraph``, ``serve-read-only`` with ``union-default-graph``) under the same wrk load;
   rdflib-endpoint (PyPI, an in-memory rdflib Dataset, default graph = union) up to ``--rdflib-max``
   articles (it holds the data in Python objects); pyoxigraph called in-process, one query at a
   time, as the engine's limit.

Results go to WORK/results.json (merged across runs, keyed by size). ``--write`` renders
BENCHMARKS.md and bench/latency.png from them. ``--reuse`` keeps corpora and stores already in WORK.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from generate import generate  # noqa: E402

from newsgraph.service.sparql.params import check  # noqa: E402
from newsgraph.service.sparql.saved_queries import load_queries  # noqa: E402
from newsgraph.service.store.remote import _prologue  # noqa: E402

NF = "https://w3id.org/newsgraph/ns#"
ACCEPT_ROWS = "application/sparql-results+json"
ROTATE = 16  # parameter values a target rotates over
SAVED_LIMIT = 100  # the saved-query endpoint's default page, as a client that passes no limit gets it
GOALS = {"saved": 50.0, "page": 100.0}  # p95 ms at 100k
GOAL_LOAD_S, GOAL_RSS_MIB, GOAL_GROWTH = 600.0, 1024.0, 3.0
OUT = ROOT / "bench" / "out"


# ================================================================================================
# Processes
# ================================================================================================


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 600, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer in {seconds} s")


def start(cmd: list[str], env: dict | None = None, log: Path | None = None) -> subprocess.Popen:
    out = log.open("wb") if log else subprocess.DEVNULL
    return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def tree(pid: int) -> list[int]:
    """The process and all its descendants (gunicorn workers, forkserver, executors)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                kids = Path(f"/proc/{p}/task/{task}/children").read_text().split()
                todo += [int(k) for k in kids]
        except OSError:
            continue
    return out


def memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of a process tree in KiB. PSS shares each shared page among its users: the honest sum."""
    rss = pss = 0
    for p in tree(pid):
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            continue
    return rss, pss


class Sampler(threading.Thread):
    """Peak memory of a process tree, sampled twice a second."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak_rss, self.peak_pss, self.processes = pid, 0, 0, 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(0.5):
            self.sample()

    def sample(self) -> None:
        rss, pss = memory_kib(self.pid)
        self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
        self.processes = max(self.processes, len(tree(self.pid)))

    def finish(self) -> dict:
        self._halt.set()
        self.join()
        self.sample()
        return {"rss_mib": round(self.peak_rss / 1024, 1), "pss_mib": round(self.peak_pss / 1024, 1),
                "processes": self.processes}


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def newsgraph() -> str:
    exe = Path(sys.executable).parent / "newsgraph"
    return str(exe) if exe.exists() else shutil.which("newsgraph") or "newsgraph"


def clean_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSGRAPH_")}
    env.update(extra)
    return env


# ================================================================================================
# Corpus and load
# ================================================================================================


def corpus(work: Path, n: int, seed: int, facts: int) -> tuple[Path, dict]:
    folder = work / f"corpus-{n}"
    done = folder / ".generated.json"
    if done.exists() and json.loads(done.read_text()).get("args") == [n, seed, facts]:
        return folder, json.loads(done.read_text())
    shutil.rmtree(folder, ignore_errors=True)
    print(f"[{n}] generating the corpus …", file=sys.stderr)
    stats = generate(folder, n, facts, seed)
    stats["args"] = [n, seed, facts]
    done.write_text(json.dumps(stats))
    return folder, stats


def load(work: Path, n: int, folder: Path, reuse: bool) -> tuple[Path, dict]:
    store, record = work / f"store-{n}" / "store", work / f"load-{n}.json"
    if reuse and store.exists() and record.exists():
        return store, json.loads(record.read_text())
    shutil.rmtree(store.parent, ignore_errors=True)  # the store and the versions newsgraph keeps beside it
    store.parent.mkdir(parents=True)
    print(f"[{n}] newsgraph load …", file=sys.stderr)
    cmd = [newsgraph(), "load", "--store", str(store), str(folder)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"newsgraph load failed ({proc.returncode}):\n{err[-3000:]}")
    m = re.search(r"loaded (\d+) articles?, (\d+) facts, (\d+) triples", out)
    version = (store.parent / os.readlink(store)).resolve()
    result = {"seconds": round(seconds, 1), "articles": int(m[1]), "facts": int(m[2]), "triples": int(m[3]),
              "quads": len(ox.Store.read_only(str(version))), "disk_bytes": du(version),
              # ru_maxrss: the largest of the load and its workers (children of children are included)
              "peak_rss_mib": round(usage.ru_maxrss / 1024, 1), "summary": out.strip().splitlines()[-1]}
    result["facts_per_s"] = round(result["facts"] / seconds)
    result["articles_per_s"] = round(result["articles"] / seconds, 1)
    record.write_text(json.dumps(result, indent=2))
    return store, result


# ================================================================================================
# Targets: what is measured, with parameters picked from the data
# ================================================================================================


@dataclass
class Target:
    name: str
    group: str  # saved | page | sparql
    paths: list[str]  # newsgraph request paths (with query strings), rotated over
    sparql: list[str] = field(default_factory=list)  # the same requests as SPARQL texts, for the peers
    selective: bool = True  # part of the "≤ 3× slower at 100k than at 1k" goal
    accept: str = ""  # Accept header for newsgraph requests
    note: str = ""


PICK = """
PREFIX nf: <https://w3id.org/newsgraph/ns#>
SELECT ?e ?class (COUNT(?f) AS ?n) WHERE {
  VALUES ?class { nf:Country nf:Organization nf:Person nf:Place nf:WeaponSystem }
  ?e a ?class .
  ?f ?role ?e .
  ?f a nf:Fact .
} GROUP BY ?e ?class
"""


def ranked(store: ox.Store) -> dict[str, list[tuple[str, int]]]:
    """Entities of each class, most facts first."""
    by: dict[str, list[tuple[str, int]]] = {}
    for row in store.query(PICK, use_default_graph_as_union=True):
        cls = row["class"].value.rsplit("#", 1)[1]
        by.setdefault(cls, []).append((row["e"].value, int(row["n"].value)))
    for rows in by.values():
        rows.sort(key=lambda r: (-r[1], r[0]))
    return by


def middle(rows: list[tuple[str, int]], k: int = ROTATE) -> list[str]:
    """The k entities around the median by number of facts: a typical, selective parameter."""
    mid = len(rows) // 2
    lo = max(0, mid - k // 2)
    return [iri for iri, _ in rows[lo:lo + k]]


def one(store: ox.Store, query: str) -> list[str]:
    return [str(next(iter(row)).value) for row in store.query(query, use_default_graph_as_union=True)]


def english_labels(store: ox.Store, iris: list[str]) -> list[str]:
    out = []
    for iri in iris:
        out += one(store, f'SELECT ?l WHERE {{ <{iri}> <http://www.w3.org/2000/01/rdf-schema#label> ?l '
                          f'FILTER(LANG(?l) = "en") }} LIMIT 1')
    return out


def saved_sparql(name: str, given: dict[str, list[str]], queries, resolver) -> str:
    """The text newsgraph's executor runs for /queries/NAME?GIVEN: parameters bound, first page."""
    q = queries[name]
    checked = check(q, given, resolver)
    if checked.problems:
        raise SystemExit(f"{name} {given}: {checked.problems}")
    text = q.bound(checked.terms)
    text = _prologue(text, None) + text  # the prefixes newsgraph predeclares, as the remote store sends them
    return f"{text}\nLIMIT {SAVED_LIMIT + 1}" if not re.search(r"\bLIMIT\s+\d+\s*$", text, re.I) else text


def targets(store: ox.Store) -> tuple[list[Target], dict]:
    from newsgraph.service.sparql.params import EntityResolver
    from newsgraph.service.store.embedded import open_store

    rank = ranked(store)
    countries, orgs, persons = middle(rank["Country"]), middle(rank["Organization"]), middle(rank["Person"])
    heavy = rank["Country"][0]
    small = rank["Person"][-ROTATE:]  # the least linked persons
    articles = one(store, f"SELECT ?a WHERE {{ ?a a <{NF}Article> }} ORDER BY ?a LIMIT 200")[::200 // ROTATE]
    names = english_labels(store, persons[:ROTATE])
    words = [n.split()[-1] for n in names]  # a surname: what people type into a search box
    picked = {"countries": countries, "organisations": orgs, "persons": persons, "heavy": heavy,
              "small": [s for s, _ in small], "articles": articles, "search": words,
              "median_facts": {c: rows[len(rows) // 2][1] for c, rows in rank.items()},
              "most_facts": {c: rows[0][1] for c, rows in rank.items()}}
    queries = load_queries()
    resolver = EntityResolver(open_store(str(store_path_of(store))))

    def saved(name: str, param: str, values: list[str], **fixed: str) -> Target:
        givens = [{param: [v], **{k: [x] for k, x in fixed.items()}} for v in values]
        paths = [f"/queries/{name}?" + urllib.parse.urlencode({k: v[0] for k, v in g.items()}) for g in givens]
        return Target(name, "saved", paths, [saved_sparql(name, g, queries, resolver) for g in givens],
                      accept="application/sparql-results+json", note=f"{param} = one of {len(values)} {param}s")

    out = [
        saved("members", "organization", orgs),
        saved("arms-transfers", "supplier", countries),
        saved("meetings", "participant", persons),
        saved("statements", "speaker", persons),
        saved("agreements", "party", countries),
        saved("entity-facts", "entity", countries),
        saved("timeline", "entity", countries),
        saved("transfers-by-year", "supplier", countries),
        saved("conflicts", "entity", countries),
        saved("corroborated", "entity", countries),
        saved("search", "q", words),
    ]
    heavy_ef = saved("entity-facts", "entity", [heavy[0]])
    heavy_ef.name, heavy_ef.selective, heavy_ef.note = "entity-facts (most linked country)", False, "heaviest"
    out.append(heavy_ef)
    page = "text/html"
    out += [
        Target("entity page (small person)", "page", [id_path(s) for s, _ in small], accept=page),
        Target("entity page (typical country)", "page", [id_path(c) for c in countries], accept=page),
        Target("entity page (most linked country)", "page", [id_path(heavy[0])], accept=page),
        Target("entity page, Turtle (most linked country)", "page", [id_path(heavy[0])], accept="text/turtle"),
        Target("article page", "page", [id_path(a) for a in articles], accept=page),
    ]
    lookups = [f"SELECT ?p ?o WHERE {{ <{c}> ?p ?o }}" for c in countries]
    two_hop = [f"PREFIX nf: <{NF}> SELECT ?f ?kind ?quote WHERE {{ ?f nf:participant <{p}> ; a ?kind ; "
               f"nf:quote ?quote }} LIMIT 50" for p in persons]
    by_kind = [f"PREFIX nf: <{NF}> SELECT ?kind (COUNT(?f) AS ?n) WHERE {{ ?f a nf:Fact, ?kind . "
               f"?f ?role <{c}> }} GROUP BY ?kind" for c in countries]
    whole = [f"PREFIX nf: <{NF}> SELECT ?kind (COUNT(?f) AS ?n) WHERE {{ ?f a nf:Fact, ?kind }} GROUP BY ?kind"]
    for name, texts, selective in (("sparql: one subject's triples", lookups, True),
                                   ("sparql: a person's meetings (join, LIMIT 50)", two_hop, True),
                                   ("sparql: a country's facts by kind (aggregate)", by_kind, True),
                                   ("sparql: all facts by kind (whole-store aggregate)", whole, False)):
        out.append(Target(name, "sparql", ["/sparql?" + urllib.parse.urlencode({"query": t}) for t in texts],
                          texts, selective, ACCEPT_ROWS))
    return out, picked


def id_path(iri: str) -> str:
    return urllib.parse.urlsplit(iri).path


_STORE_PATHS: dict[int, Path] = {}


def store_path_of(store: ox.Store) -> Path:
    return _STORE_PATHS[id(store)]


# ================================================================================================
# Driving servers
# ================================================================================================

LUA = """
local paths = {%s}
local i = 0
local accept = "%s"
init = function(args) i = tonumber(wrk.thread:get("offset") or 0) end
setup = function(thread) thread:set("offset", tostring(math.random(0, #paths - 1))) end
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i], {["Accept"] = accept})
end
done = function(summary, latency, requests)
  io.write(string.format('WRKJSON {"p50": %%f, "p95": %%f, "p99": %%f, "max": %%f, "requests": %%d, ' ..
    '"seconds": %%f, "status_errors": %%d, "socket_errors": %%d}\\n',
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def lua_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def wrk(base: str, paths: list[str], accept: str, duration: float, connections: int) -> dict:
    """p50/p95/p99 ms and req/s of GETs rotating over ``paths`` (each must answer 200 first)."""
    for p in paths[:1]:  # the first must answer 200 (wrk counts any other status as an error)
        req = urllib.request.Request(base + p, headers={"Accept": accept})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                r.read()
        except urllib.error.HTTPError as e:  # a result too: e.g. 503 when the query outran the time limit
            detail = e.read()[:300].decode("utf-8", "replace")
            print(f"  {base + p[:200]} answered {e.code}: {detail}", file=sys.stderr)
            return {"error": f"{e.code}", "detail": detail, "p50_ms": None, "p95_ms": None, "p99_ms": None,
                    "max_ms": None, "rps": 0.0, "requests": 0, "errors": 1}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(LUA % (", ".join(lua_string(p) for p in paths), accept))
        script = fh.name
    try:
        cmd = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{max(1, round(duration))}s",
               "--timeout", "60s", "-s", script, base]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script)
    m = re.search(r"WRKJSON (\{.*\})", out)
    r = json.loads(m[1])
    return {"p50_ms": round(r["p50"], 2), "p95_ms": round(r["p95"], 2), "p99_ms": round(r["p99"], 2),
            "max_ms": round(r["max"], 2), "rps": round(r["requests"] / r["seconds"], 1), "requests": r["requests"],
            "errors": r["status_errors"] + r["socket_errors"]}


def measure_newsgraph(store: Path, tlist: list[Target], args, log: Path) -> tuple[dict, dict]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start([newsgraph(), "serve", "--store", str(store), "--port", str(port), "--workers", "2"],
                 clean_env(NEWSGRAPH_CACHE_MB="0"), log)
    try:
        wait_for(base + "/health", proc=proc)
        time.sleep(3)  # executors start after the first request
        sampler = Sampler(proc.pid)
        idle = memory_kib(proc.pid)
        sampler.start()
        out = {}
        for t in tlist:
            wrk(base, t.paths[:1], t.accept, 2, args.connections)  # warm-up on the first value; the rest come cold
            out[t.name] = wrk(base, t.paths, t.accept, args.duration, args.connections)
            print(f"  newsgraph  {t.name:48} p50 {out[t.name]['p50_ms']}  p95 {out[t.name]['p95_ms']} ms",
                  file=sys.stderr)
        mem = sampler.finish()
        mem["idle_rss_mib"], mem["idle_pss_mib"] = round(idle[0] / 1024, 1), round(idle[1] / 1024, 1)
        return out, mem
    finally:
        stop(proc)


def oxigraph_binary() -> str:
    venv = OUT / "oxigraph-venv"
    binary = venv / "bin" / "oxigraph"
    if not binary.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "oxigraph==0.5.*"], check=True)
    return str(binary)


def measure_oxigraph(version: Path, tlist: list[Target], args) -> tuple[dict, dict]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start([oxigraph_binary(), "serve-read-only", "--location", str(version), "--bind", f"127.0.0.1:{port}"])
    try:
        wait_for(base + "/query?query=ASK%7B%7D", proc=proc)
        sampler = Sampler(proc.pid)
        sampler.start()
        out = {}
        for t in tlist:
            if not t.sparql:
                continue
            paths = ["/query?union-default-graph&" + urllib.parse.urlencode({"query": q}) for q in t.sparql]
            wrk(base, paths, ACCEPT_ROWS, 2, args.connections)
            out[t.name] = wrk(base, paths, ACCEPT_ROWS, args.duration, args.connections)
            print(f"  oxigraph   {t.name:48} p50 {out[t.name]['p50_ms']}  p95 {out[t.name]['p95_ms']} ms",
                  file=sys.stderr)
        return out, sampler.finish()
    finally:
        stop(proc)


RDFLIB_SERVER = """
import sys, time
import rdflib, uvicorn
from rdflib_endpoint import SparqlEndpoint
started = time.perf_counter()
ds = rdflib.Dataset(default_union=True)
ds.parse(sys.argv[1], format="nquads")
print(f"LOADED {len(ds)} {time.perf_counter() - started:.1f}", flush=True)
uvicorn.run(SparqlEndpoint(graph=ds), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def rdflib_python() -> str:
    venv = OUT / "rdflib-endpoint-venv"
    py = venv / "bin" / "python"
    if not (venv / "bin" / "rdflib-endpoint").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "rdflib-endpoint==0.6.*", "uvicorn"], check=True)
    return str(py)


def measure_rdflib(store: Path, work: Path, n: int, tlist: list[Target], args) -> tuple[dict, dict]:
    nq = work / f"export-{n}.nq"
    if not nq.exists():
        with nq.open("wb") as fh:
            subprocess.run([newsgraph(), "export", "--format", "nq", "--store", str(store)], stdout=fh, check=True,
                           env=clean_env())
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = work / f"rdflib-{n}.log"
    script = work / "rdflib_server.py"
    script.write_text(RDFLIB_SERVER)
    proc = start([rdflib_python(), str(script), str(nq), str(port)], log=log)
    try:
        started = time.perf_counter()
        wait_for(base + "/?query=ASK%7B%7D", seconds=3600, proc=proc)
        load_s = time.perf_counter() - started
        sampler = Sampler(proc.pid)
        sampler.start()
        out: dict = {}
        for t in tlist:
            if not t.sparql:
                continue
            # rdflib answers in seconds, not milliseconds: fewer, sequential requests say enough
            times = []
            for q in (t.sparql * 3)[: max(3, len(t.sparql))]:
                url = base + "/?" + urllib.parse.urlencode({"query": q})
                t0 = time.perf_counter()
                try:
                    with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": ACCEPT_ROWS}),
                                                timeout=args.rdflib_timeout) as r:
                        r.read()
                    times.append((time.perf_counter() - t0) * 1000)
                    if times[-1] > 5000:  # one sample of a query this slow says enough
                        break
                except Exception as e:  # a timeout is a result here
                    times.append(float("inf"))
                    print(f"  rdflib     {t.name}: {e}", file=sys.stderr)
                    break
            out[t.name] = summary(times, sequential=True)
            print(f"  rdflib     {t.name:48} p50 {out[t.name]['p50_ms']:8.1f} ms", file=sys.stderr)
        mem = sampler.finish()
        mem["load_s"] = round(load_s, 1)
        return out, mem
    finally:
        stop(proc)


def summary(times: list[float], sequential: bool = False) -> dict:
    s = sorted(times)

    def pct(p: float) -> float:
        return round(s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))], 2)

    return {"p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99), "requests": len(s),
            "mean_ms": round(statistics.fmean(s), 2) if all(x != float("inf") for x in s) else None,
            "sequential": sequential}


def measure_pyoxigraph(version: Path, tlist: list[Target], args) -> dict:
    """The engine alone: the same texts in-process, one at a time, results read to the end."""
    store = ox.Store.read_only(str(version))
    out = {}
    for t in tlist:
        if not t.sparql:
            continue
        list(store.query(t.sparql[0], use_default_graph_as_union=True))  # warm-up
        times: list[float] = []
        deadline = time.monotonic() + args.duration
        while time.monotonic() < deadline or len(times) < 3:
            for q in t.sparql:
                t0 = time.perf_counter()
                for _ in store.query(q, use_default_graph_as_union=True):
                    pass
                times.append((time.perf_counter() - t0) * 1000)
                if time.monotonic() > deadline and len(times) >= 3:
                    break
        out[t.name] = summary(times, sequential=True)
        print(f"  pyoxigraph {t.name:48} p50 {out[t.name]['p50_ms']:8.1f}  p95 {out[t.name]['p95_ms']:8.1f} ms",
              file=sys.stderr)
    return out


# ================================================================================================
# Main
# ================================================================================================


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--work", type=Path, default=OUT / "scale")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--facts", type=int, default=15)
    ap.add_argument("--duration", type=float, default=8, help="seconds of wrk per target and server")
    ap.add_argument("--connections", type=int, default=4, help="concurrent clients")
    ap.add_argument("--peers", default="pyoxigraph,oxigraph,rdflib-endpoint")
    ap.add_argument("--rdflib-max", type=int, default=1_000,
                    help="largest corpus rdflib-endpoint is given (at 1,000 it already times out on most queries)")
    ap.add_argument("--rdflib-timeout", type=float, default=30)
    ap.add_argument("--only", help="only the targets whose name matches this regular expression")
    ap.add_argument("--reuse", action="store_true", help="keep corpora and stores already in --work")
    ap.add_argument("--write", action="store_true", help="write BENCHMARKS.md and bench/latency.png")
    ap.add_argument("--write-only", action="store_true", help="only render BENCHMARKS.md from results.json")
    args = ap.parse_args(argv)
    args.work = args.work.resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    results_path = args.work / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {"sizes": {}}
    if not args.write_only:
        if not shutil.which("wrk"):
            sys.exit("wrk is not installed: apt-get install wrk (make bench does it)")
        peers = [p for p in args.peers.split(",") if p]
        for n in [int(s) for s in args.sizes.split(",")]:
            folder, gen = corpus(args.work, n, args.seed, args.facts)
            store, loaded = load(args.work, n, folder, args.reuse)
            version = (store.parent / os.readlink(store)).resolve()
            engine = ox.Store.read_only(str(version))
            _STORE_PATHS[id(engine)] = version
            tlist, picked = targets(engine)
            del engine
            if args.only:
                tlist = [t for t in tlist if re.search(args.only, t.name)]
            r = results["sizes"].get(str(n), {})  # a partial run (--only, fewer --peers) keeps the rest
            r.update({"articles": n, "corpus": {k: v for k, v in gen.items() if k != "args"}, "load": loaded,
                      "picked": picked, "targets": {**r.get("targets", {}), **{t.name: asdict(t) | {
                          "paths": t.paths[:2], "sparql": t.sparql[:1]} for t in tlist}}})
            print(f"[{n}] serving …", file=sys.stderr)
            ng, mem = measure_newsgraph(store, tlist, args, args.work / f"serve-{n}.log")
            r.setdefault("newsgraph", {}).update(ng)
            r["newsgraph_memory"] = mem
            if "pyoxigraph" in peers:
                r.setdefault("pyoxigraph", {}).update(measure_pyoxigraph(version, tlist, args))
            if "oxigraph" in peers:
                ox_out, ox_mem = measure_oxigraph(version, tlist, args)
                r.setdefault("oxigraph", {}).update(ox_out)
                r["oxigraph_memory"] = ox_mem
            if "rdflib-endpoint" in peers:
                if n <= args.rdflib_max:
                    rd_out, rd_mem = measure_rdflib(store, args.work, n, tlist, args)
                    r.setdefault("rdflib-endpoint", {}).update(rd_out)
                    r["rdflib_memory"] = rd_mem
                else:
                    r["rdflib_skipped"] = f"more than --rdflib-max {args.rdflib_max} articles"
            r["when"] = dt.datetime.now().isoformat(timespec="seconds")
            results["sizes"][str(n)] = r
            results["machine"] = {"python": platform.python_version(), "pyoxigraph": ox.__version__,
                                  "cpus": os.cpu_count(), "platform": platform.platform(),
                                  "connections": args.connections, "duration_s": args.duration}
            results_path.write_text(json.dumps(results, indent=2))
    if args.write or args.write_only:
        from report import write_report

        write_report(results, ROOT / "BENCHMARKS.md", ROOT / "bench" / "latency.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
