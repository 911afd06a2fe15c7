"""The two backends side by side: the embedded store and a throw-away Virtuoso 7, on the same corpus.

    .venv/bin/python bench/backends.py [--articles 1000] [--repeat 20] [--load-only]

Generates a corpus with bench/load.py's generator, loads it with `newsgraph load` into each backend
(the embedded store: the versioned pyoxigraph folder; Virtuoso: the Graph Store Protocol, one PUT per
article), then times, in this process, the saved queries (with their documented examples) and two
entity descriptions through the same `Store` interface the service uses — no HTTP server in between,
so the figures are the backends' own. Prints load rate and p50/p95 latency; writes
bench/out/backends.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

import pyoxigraph as ox  # noqa: E402
from click.testing import CliRunner  # noqa: E402
from generate import generate  # noqa: E402
from virtuoso import Virtuoso, available  # noqa: E402

from newsgraph.service.cli import main as cli  # noqa: E402
from newsgraph.service.sparql.params import EntityResolver, check  # noqa: E402
from newsgraph.service.sparql.saved_queries import load_queries  # noqa: E402
from newsgraph.service.store.embedded import open_store  # noqa: E402
from newsgraph.service.web.describe import describe  # noqa: E402


def load(store: str, corpus: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = CliRunner().invoke(cli, ["load", "--store", store, "--quiet", str(corpus)], env=env,
                                catch_exceptions=False)
    if result.exit_code != 0:
        raise SystemExit(result.output)
    return time.perf_counter() - started


def timed(fn, repeat: int) -> dict:
    fn()  # warm
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 1),
            "p95_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.95))], 1)}


#: which kind of entity each entity parameter wants, for choosing a busy one from the corpus
KIND_OF = {"organization": "Organization", "speaker": "Person", "item": "WeaponSystem", "location": "Place"}


def busiest(store, cls: str) -> str:
    row = next(iter(store.query(
        f"SELECT ?id (COUNT(?f) AS ?n) WHERE {{ ?f a nf:Fact ; ?p ?e . ?e a nf:{cls} ; dcterms:identifier ?id }} "
        "GROUP BY ?id ORDER BY DESC(?n) ?id LIMIT 1")))
    return row["id"].value


def measure(store, repeat: int) -> dict:
    out = {}
    resolver = EntityResolver(store)
    chosen = {cls: busiest(store, cls) for cls in {"Country", *KIND_OF.values()}}
    for q in load_queries().values():
        values = {}
        for p in q.params:
            if p.type == "entity" and (p.required or p.name in ("organization", "supplier", "speaker", "party")):
                values[p.name] = [chosen[KIND_OF.get(p.name, "Country")]]
            elif p.type != "entity" and p.example is not None:
                values[p.name] = [p.example]
        checked = check(q, values, resolver)
        if checked.problems:
            print(f"skipped {q.name}: {checked.problems}", file=sys.stderr)
            continue
        text = q.bound(checked.terms)
        out[f"query {q.name}"] = timed(lambda text=text: list(store.query(text)), repeat)
        print(f"  {q.name}: {out[f'query {q.name}']}", file=sys.stderr, flush=True)
    heavy = next(iter(store.query(
        "SELECT ?e (COUNT(?f) AS ?n) WHERE { ?f a nf:Fact ; ?p ?e . ?e a nf:Country } GROUP BY ?e "
        "ORDER BY DESC(?n) LIMIT 1")))["e"]
    out["describe heaviest country"] = timed(lambda: describe(store, heavy), max(3, repeat // 4))
    out["describe a fact"] = timed(lambda: describe(store, ox.NamedNode(
        next(iter(store.query("SELECT ?f WHERE { ?f a nf:Fact } LIMIT 1")))["f"].value)), repeat)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--load-only", action="store_true", help="time the loads, not the queries")
    args = ap.parse_args(argv)
    if not available():
        raise SystemExit("virtuoso-t is missing: apt-get install virtuoso-opensource")
    work = Path(tempfile.mkdtemp(prefix="ng-backends-"))
    stats = generate(work / "corpus", args.articles, 15, 1)
    results: dict = {"articles": args.articles, "facts": stats["facts"]}
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSGRAPH_")}
    embedded = str(work / "store")
    seconds = load(embedded, work / "corpus", base_env)
    results["embedded"] = {"load_s": round(seconds, 1), "facts_per_s": round(stats["facts"] / seconds)}
    if not args.load_only:
        results["embedded"].update(measure(open_store(embedded), args.repeat))
    with Virtuoso(work / "virtuoso") as v:
        env = {**base_env, **v.env, "NEWSGRAPH_QUERY_TIMEOUT": "120"}
        seconds = load(v.endpoint, work / "corpus", env)
        results["virtuoso"] = {"load_s": round(seconds, 1), "facts_per_s": round(stats["facts"] / seconds)}
        os.environ.update(env)
        if not args.load_only:
            results["virtuoso"].update(measure(open_store(v.endpoint), args.repeat))
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "backends.json").write_text(json.dumps(results, indent=2))
    print(f"{args.articles} articles, {stats['facts']} facts")
    print(f"{'':32} {'embedded':>20} {'virtuoso':>20}")
    for key in results["embedded"]:
        a, b = results["embedded"][key], results["virtuoso"].get(key)
        fmt = (lambda r: f"{r['p50_ms']:>8} / {r['p95_ms']:<8} ms") if isinstance(a, dict) else (lambda r: f"{r:>20}")
        print(f"{key:32} {fmt(a):>20} {fmt(b) if b is not None else '':>20}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
