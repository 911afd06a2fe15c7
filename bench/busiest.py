"""Issue 15's benchmark: the lists and pages of the busiest entities, on Zipf-distributed news.

    .venv/bin/python bench/busiest.py [--sizes 2000,10000] [--zipf 1.1] [--work bench/out/busiest]
                                      [--duration 8] [--connections 4] [--modes stored,sparql] [--reuse]

At every size N: a Zipf corpus (bench/generate.py --zipf S) is generated and loaded fresh with
``newsgraph load`` (seconds, facts/s and peak RSS include what the load stores for the read path); one
article that names the busiest country is then replaced (``newsgraph load ONE.yaml``, end to end).
``newsgraph serve`` (2 web workers, response cache off) is measured with ``wrk`` (four clients)
on every saved query with the busiest entity of its key's kind as the parameter, and on the most linked
entity's pages — once answering from the stored rows and once with SPARQL alone
(``NEWSGRAPH_STORED_ANSWERS=off``), the server's peak PSS sampled throughout. Results go to
WORK/results.json; the table printed at the end is what BENCHMARKS.md quotes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from generate import generate  # noqa: E402
from run import (  # noqa: E402
    Sampler,
    clean_env,
    free_port,
    id_path,
    memory_kib,
    newsgraph,
    ranked,
    start,
    stop,
    wait_for,
    wrk,
)

OUT = ROOT / "bench" / "out" / "busiest"
ROWS = "application/sparql-results+json"


def corpus(work: Path, n: int, zipf: float, facts: int, seed: int) -> Path:
    folder = work / f"corpus-{n}"
    done = folder / ".generated.json"
    if done.exists() and json.loads(done.read_text()).get("args") == [n, zipf, facts, seed]:
        return folder
    subprocess.run(["rm", "-rf", str(folder)], check=True)
    print(f"[{n}] generating …", file=sys.stderr)
    stats = generate(folder, n, facts, seed, zipf=zipf)
    stats["args"] = [n, zipf, facts, seed]
    done.write_text(json.dumps(stats))
    return folder


def timed_load(store: Path, *sources: Path) -> dict:
    cmd = [newsgraph(), "load", "--store", str(store), *map(str, sources)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    out, err = proc.stdout.read(), proc.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"newsgraph load failed:\n{err[-3000:]}")
    m = re.search(r"(\d+) facts", out)
    return {"seconds": round(seconds, 2), "facts": int(m[1]) if m else None,
            "peak_rss_mib": round(usage.ru_maxrss / 1024, 1), "summary": out.strip().splitlines()[-1]}


def busiest(store: Path) -> dict[str, str]:
    version = (store.parent / os.readlink(store)).resolve()
    rank = ranked(ox.Store.read_only(str(version)))
    return {"country": rank["Country"][0][0], "organization": rank["Organization"][0][0],
            "person": rank["Person"][0][0], "country_facts": rank["Country"][0][1],
            "organization_facts": rank["Organization"][0][1], "person_facts": rank["Person"][0][1]}


def replace_one(corpus_dir: Path, work: Path, country: str) -> Path:
    """A copy of one article that names the country, with its last fact dropped."""
    cid = country.rsplit("/", 1)[1]
    for sheet in sorted(corpus_dir.rglob("*.yaml")):
        if sheet.name == "entities.yaml":
            continue
        text = sheet.read_text(encoding="utf-8")
        if f": {cid}\n" in text and text.count("\n  - type: ") > 1:
            target = work / "one" / sheet.relative_to(corpus_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            head, *facts = text.split("\n  - type: ")
            target.write_text("\n  - type: ".join([head, *facts[:-1]]), encoding="utf-8")
            # its text file beside it, as the sheet names it
            for txt in sheet.parent.glob(sheet.stem + ".txt"):
                (target.parent / txt.name).write_bytes(txt.read_bytes())
            return target
    raise SystemExit(f"no article names {cid}")


def targets(b: dict[str, str], store: Path) -> list[tuple[str, str, str]]:
    def saved(name: str, **params: str) -> str:
        return f"/queries/{name}?" + urllib.parse.urlencode(params)

    version = (store.parent / os.readlink(store)).resolve()
    first_article = next(iter(ox.Store.read_only(str(version)).query(
        "SELECT ?a WHERE { ?a a <https://w3id.org/newsgraph/ns#Article> } LIMIT 1",
        use_default_graph_as_union=True)))[0].value
    c, o, p = b["country"], b["organization"], b["person"]
    return [
        ("members (busiest organisation)", saved("members", organization=o), ROWS),
        ("arms-transfers (busiest country supplies)", saved("arms-transfers", supplier=c), ROWS),
        ("meetings (busiest person)", saved("meetings", participant=p), ROWS),
        ("statements (busiest person speaks)", saved("statements", speaker=p), ROWS),
        ("agreements (busiest country)", saved("agreements", party=c), ROWS),
        ("entity-facts (busiest country)", saved("entity-facts", entity=c), ROWS),
        ("entity-facts, offset 1000", saved("entity-facts", entity=c, offset="1000"), ROWS),
        ("timeline (busiest country)", saved("timeline", entity=c), ROWS),
        ("members, status and date", saved("members", organization=o, status="member", date="2020-01-01"), ROWS),
        ("conflicts (busiest country)", saved("conflicts", entity=c), ROWS),
        ("corroborated (busiest country)", saved("corroborated", entity=c), ROWS),
        ("conflicts (all)", saved("conflicts"), ROWS),
        ("corroborated (all, 2+ sources)", saved("corroborated"), ROWS),
        ("entity page HTML (busiest country)", id_path(c), "text/html"),
        ("entity page Turtle (busiest country)", id_path(c), "text/turtle"),
        ("article page HTML", id_path(first_article), "text/html"),
    ]


def serve_and_measure(store: Path, tlist, mode: str, args, log: Path) -> tuple[dict, dict]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = clean_env(NEWSGRAPH_CACHE_MB="0", NEWSGRAPH_STORED_ANSWERS="on" if mode == "stored" else "off")
    proc = start([newsgraph(), "serve", "--store", str(store), "--port", str(port), "--workers", "2"], env, log)
    try:
        wait_for(base + "/health", proc=proc)
        time.sleep(3)
        sampler = Sampler(proc.pid)
        idle = memory_kib(proc.pid)
        sampler.start()
        out = {}
        for name, path, accept in tlist:
            wrk(base, [path], accept, 2, args.connections)
            out[name] = wrk(base, [path], accept, args.duration, args.connections)
            print(f"  {mode:7} {name:45} p50 {out[name]['p50_ms']}  p95 {out[name]['p95_ms']} ms", file=sys.stderr)
        mem = sampler.finish()
        mem["idle_pss_mib"] = round(idle[1] / 1024, 1)
        return out, mem
    finally:
        stop(proc)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="2000,10000")
    ap.add_argument("--zipf", type=float, default=1.1)
    ap.add_argument("--facts", type=int, default=15)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", type=Path, default=OUT)
    ap.add_argument("--duration", type=float, default=8)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--modes", default="stored,sparql")
    ap.add_argument("--reuse", action="store_true", help="keep a store already loaded in --work")
    args = ap.parse_args(argv)
    args.work = args.work.resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    path = args.work / "results.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    for n in [int(s) for s in args.sizes.split(",")]:
        folder = corpus(args.work, n, args.zipf, args.facts, args.seed)
        store = args.work / f"store-{n}" / "store"
        r = results.get(str(n), {}) if args.reuse else {}
        if not (args.reuse and store.exists()):
            subprocess.run(["rm", "-rf", str(store.parent)], check=True)
            store.parent.mkdir(parents=True)
            print(f"[{n}] loading …", file=sys.stderr)
            r["load"] = timed_load(store, folder)
        b = busiest(store)
        one = replace_one(folder, args.work / f"one-{n}", b["country"])
        r["replace_one"] = timed_load(store, one)  # as a user would: the store knows the entities
        r["busiest"] = b
        tlist = targets(b, store)
        for mode in args.modes.split(","):
            lat, mem = serve_and_measure(store, tlist, mode, args, args.work / f"serve-{n}-{mode}.log")
            r[mode] = lat
            r[f"{mode}_memory"] = mem
        results[str(n)] = r
        path.write_text(json.dumps(results, indent=2))
    for n, r in results.items():
        print(f"\n### {n} articles (Zipf {args.zipf}); load {r['load']['seconds']} s, peak RSS "
              f"{r['load']['peak_rss_mib']} MiB; one article replaced: {r['replace_one']['seconds']} s")
        modes = [m for m in ("stored", "sparql") if m in r]
        print("| request | " + " | ".join(f"{m} p50 / p95 ms" for m in modes) + " |")
        print("|---|" + "---:|" * len(modes))
        for name in r[modes[0]]:
            cells = [f"{r[m][name]['p50_ms']} / {r[m][name]['p95_ms']}" if r[m][name].get("p95_ms") is not None
                     else r[m][name].get("error", "–") for m in modes]
            print(f"| {name} | " + " | ".join(cells) + " |")
        print("| server peak PSS (MiB) | " + " | ".join(str(r[f'{m}_memory']['pss_mib']) for m in modes) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
