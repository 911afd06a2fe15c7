"""What keeping the default graph a set costs: load time, disk, and query time, against the union.

Loads one generated corpus twice into fresh stores — once with this checkout, once with another
checkout given by ``--baseline`` (a newsgraph whose default graph is pyoxigraph's union, e.g. a git
worktree at the commit before the change, installed in its own venv) — and times a few queries over the
default graph on each. Prints a Markdown table; ``--write`` puts it in BENCHMARKS.md between markers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- default-graph:begin -->", "<!-- default-graph:end -->"
QUERIES = {
    "COUNT(*) over the default graph": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "members of the most named organisation (shortcut)":
        "SELECT ?o (COUNT(*) AS ?n) WHERE { ?m org:memberOf ?o } GROUP BY ?o ORDER BY DESC(?n) LIMIT 1",
    "labels of every entity": "SELECT (COUNT(*) AS ?n) WHERE { ?e dcterms:identifier ?id ; rdfs:label ?l }",
    "facts per kind": "SELECT ?c (COUNT(?f) AS ?n) WHERE { ?f a nf:Fact, ?c } GROUP BY ?c",
}


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def run(newsgraph: Path, *args: str) -> tuple[float, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSGRAPH_")}
    started = time.perf_counter()
    out = subprocess.run([str(newsgraph), *args], capture_output=True, text=True, env=env, check=True)
    return time.perf_counter() - started, out.stdout


def measure(newsgraph: Path, corpus: Path, work: Path, repeat: int) -> dict:
    store = work / "store"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    load, _ = run(newsgraph, "load", "--quiet", "--store", str(store), str(corpus))
    versions = work / ".store-versions"
    result = {"load_s": load, "disk_mib": du(versions) / 2**20, "queries": {}}
    # in-process, through the store's own query method (what /sparql's executors call): no process start-up
    python = newsgraph.parent / "python"
    timed = subprocess.run([str(python), "-c", TIMER, str(store), str(repeat), json.dumps(QUERIES)],
                           capture_output=True, text=True, check=True)
    result["queries"] = json.loads(timed.stdout)
    return result


TIMER = """
import json, sys, time
from newsgraph.service.store.embedded import open_store
store, repeat, queries = open_store(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
out = {}
for name, text in queries.items():
    best, rows = None, []
    for _ in range(repeat):
        started = time.perf_counter()
        rows = [[str(v.value) for v in row] for row in store.query(text)]
        took = time.perf_counter() - started
        best = took if best is None else min(best, took)
    out[name] = {"s": best, "answer": [",".join(r) for r in rows[:2]]}
print(json.dumps(out))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--articles", type=int, default=2000)
    ap.add_argument("--baseline", type=Path, required=True, help="the newsgraph command of the other checkout")
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "out" / "default-graph")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    corpus = args.work / f"corpus-{args.articles}"
    if not corpus.exists():
        subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--articles", str(args.articles),
                        "--out", str(corpus)], check=True)
    here = Path(sys.executable).parent / "newsgraph"
    results = {"set": measure(here, corpus, args.work / "set", args.repeat),
               "union": measure(args.baseline, corpus, args.work / "union", args.repeat)}
    (args.work / "results.json").write_text(json.dumps(results, indent=2))
    s, u = results["set"], results["union"]
    lines = [f"{args.articles:,} generated articles (`bench/default_graph.py`, `bench/generate.py` seed 1); "
             f"queries timed in-process (best of {args.repeat}), the baseline being the commit before the change.",
             "",
             "| | default graph a set (now) | pyoxigraph's union (before) | ratio |", "|---|---:|---:|---:|",
             f"| load, fresh store | {s['load_s']:.1f} s | {u['load_s']:.1f} s | {s['load_s'] / u['load_s']:.2f}× |",
             f"| disk | {s['disk_mib']:.0f} MiB | {u['disk_mib']:.0f} MiB | {s['disk_mib'] / u['disk_mib']:.2f}× |"]
    for name in QUERIES:
        a, b = s["queries"][name], u["queries"][name]
        lines.append(f"| {name} | {a['s'] * 1000:.0f} ms → {', '.join(a['answer'])} | "
                     f"{b['s'] * 1000:.0f} ms → {', '.join(b['answer'])} | {a['s'] / b['s']:.2f}× |")
    table = "\n".join(lines) + "\n"
    print(table)
    if args.write:
        md = ROOT / "BENCHMARKS.md"
        text = md.read_text()
        if BEGIN in text:
            head, rest = text.split(BEGIN, 1)
            text = head + BEGIN + "\n" + table + END + rest.split(END, 1)[1]
        else:
            text = text.rstrip("\n") + "\n\n## The default graph as a set\n\n" + BEGIN + "\n" + table + END + "\n"
        md.write_text(text)


if __name__ == "__main__":
    main()
