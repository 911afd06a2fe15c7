"""Load benchmark: a synthetic but realistic corpus, `newsgraph load` against pyoxigraph's bulk loader.

    .venv/bin/python bench/load.py --articles 10000 [--facts 15] [--seed 1] [--out DIR] [--keep] [--profile]

1. Generates the corpus with bench/generate.py (reproducible from the seed). A 20-article prefix of
   the corpus is first checked with `newsgraph validate`.
2. Times `newsgraph load CORPUS --store STORE` (the real command, in a subprocess, fresh on-disk store)
   and counts the quads it stored.
3. Exports the dataset as N-Quads (`newsgraph export --format nq`) and times pyoxigraph's
   ``Store.bulk_load`` of that file into a fresh on-disk store: the engine's limit on the same quads.
4. Prints a Markdown table and the goals (ours >= 25 % of bulk_load; 10,000 articles in < 60 s), and
   writes them to OUT/results.json. ``--profile`` also runs the load in-process under cProfile.

Without ``--keep`` the corpus, stores and export are
deleted at the end; results.json (and profile.txt) stay in OUT.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import hashlib
import importlib.util
import io
import json
import os
import platform
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
VALIDATE_ARTICLES = 20
GOAL_RATIO = 25.0  # percent of bulk_load's triples/s
GOAL_ARTICLES, GOAL_SECONDS = 10_000, 60.0
sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate  # noqa: E402

# ================================================================================================
# Measuring
# ================================================================================================


def newsgraph_command() -> list[str]:
    exe = Path(sys.executable).parent / "newsgraph"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("newsgraph")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from newsgraph.service.cli import main; sys.exit(main())"]


PROBLEM = re.compile(r"^(.+?):(\d+): (.+)$")


def problems_in(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines()
            if PROBLEM.match(line) and not line.startswith(("checking", "writing"))]


def count_quads(path: Path) -> int:
    """Quads in a store folder (newsgraph may keep it as a symlink to its current version)."""
    store = ox.Store.read_only(str(path))
    n = len(store)
    del store
    return n


def remove(path: Path) -> None:
    """Remove a file, folder or symlink, and what newsgraph keeps beside a store (its versions)."""
    for p in (path, path.with_name(f".{path.name}-versions"), *path.parent.glob(f".{path.name}.*.tmp")):
        if p.is_symlink() or p.is_file():
            p.unlink()
        elif p.is_dir():
            shutil.rmtree(p)


def code_root() -> Path:
    """Where the loaders and the service are imported from: the project, or another checkout installed here."""
    spec = importlib.util.find_spec("newsgraph.loaders")
    if spec is None or not spec.submodule_search_locations:
        return ROOT
    return Path(next(iter(spec.submodule_search_locations))).resolve().parent


def code_digest() -> str:
    """Which version of the loaders and service was measured (the tree may change between runs)."""
    h = hashlib.sha256()
    root = code_root()
    for p in sorted([*root.glob("loaders/*.py"), *root.glob("service/*.py"), *root.glob("ontology/*.ttl")]):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


def run(cmd: list[str], env: dict[str, str], cwd: Path, stdout=subprocess.PIPE) -> tuple[subprocess.CompletedProcess,
                                                                                           float]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, stdout=stdout, stderr=subprocess.PIPE, text=stdout is subprocess.PIPE)
    return proc, time.perf_counter() - started


def validate_prefix(work: Path, seed: int, n_facts: int, env: dict[str, str]) -> dict:
    corpus, store = work / "validate" / "corpus", work / "validate" / "store"
    remove(work / "validate")
    stats = generate(corpus, VALIDATE_ARTICLES, n_facts, seed)
    cmd = [*newsgraph_command(), "validate", str(corpus), "--store", str(store)]
    proc, seconds = run(cmd, env, work)
    stderr = proc.stderr or ""
    if isinstance(stderr, bytes):
        stderr = stderr.decode()
    return {"command": " ".join(cmd), "exit": proc.returncode, "seconds": round(seconds, 2),
            "stdout": proc.stdout.strip(), "problems": problems_in(stderr), "stderr_tail": stderr[-3000:],
            "facts_by_kind": stats["facts_by_kind"]}


def measure(args, work: Path, env: dict[str, str]) -> dict:
    corpus, store, bulk, nq = work / "corpus", work / "load" / "store", work / "bulk" / "store", work / "export.nq"
    for p in (corpus, work / "load", work / "bulk", nq):
        remove(p)
    store.parent.mkdir(parents=True)
    bulk.parent.mkdir(parents=True)

    print(f"generating {args.articles} articles (seed {args.seed}) in {corpus} …", file=sys.stderr)
    gen = generate(corpus, args.articles, args.facts, args.seed)
    print(f"  {gen['facts']} facts, {gen['bytes'] / 1e6:.1f} MB in {gen['seconds']} s", file=sys.stderr)

    cmd = [*newsgraph_command(), "load", str(corpus), "--store", str(store)]
    print(f"$ {' '.join(cmd)}", file=sys.stderr)
    proc, load_s = run(cmd, env, work)
    (work / "load.stdout").write_text(proc.stdout)
    (work / "load.stderr").write_text(proc.stderr)
    problems = problems_in(proc.stderr)
    summary = re.search(r"loaded (\d+) articles?, (\d+) facts, (\d+) triples from (\d+) files? in ([\d.]+) s",
                        proc.stdout)
    if not store.exists():
        raise SystemExit(f"newsgraph load wrote no store (exit {proc.returncode}):\n"
                         + "\n".join(problems[:40] or proc.stderr.splitlines()[-40:]))
    quads = count_quads(store)
    print(f"  exit {proc.returncode}, {load_s:.2f} s, {quads} quads; {proc.stdout.strip()}", file=sys.stderr)

    cmd_export = [*newsgraph_command(), "export", "--format", "nq", "--store", str(store)]
    with nq.open("wb") as fh:
        eproc, export_s = run(cmd_export, env, work, stdout=fh)
    if eproc.returncode != 0:
        raise SystemExit(f"export failed: {eproc.stderr.decode()[-2000:]}")
    nq_lines = sum(1 for _ in nq.open("rb"))

    bstore = ox.Store(str(bulk))
    started = time.perf_counter()
    bstore.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS)
    bstore.flush()
    bulk_s = time.perf_counter() - started
    bulk_quads = len(bstore)
    del bstore

    loaded_articles = int(summary[1]) if summary else None
    facts = int(summary[2]) if summary else None
    ours_tps = quads / load_s
    bulk_tps = bulk_quads / bulk_s
    ratio = 100 * ours_tps / bulk_tps
    projected = load_s * GOAL_ARTICLES / args.articles
    return {
        "articles": args.articles, "articles_loaded": loaded_articles, "facts": facts, "quads": quads,
        "load_seconds": round(load_s, 3),
        "load_seconds_reported": float(summary[5]) if summary else None,
        "articles_per_s": round(args.articles / load_s, 2), "triples_per_s": round(ours_tps),
        "bulk_load_seconds": round(bulk_s, 3), "bulk_quads": bulk_quads, "bulk_triples_per_s": round(bulk_tps),
        "ratio_percent": round(ratio, 2), "export_seconds": round(export_s, 2), "export_lines": nq_lines,
        "goal_ratio": {"target_percent": GOAL_RATIO, "holds": ratio >= GOAL_RATIO},
        "goal_10k_under_60s": {"seconds_for_10k": round(projected, 1), "measured": args.articles == GOAL_ARTICLES,
                               "holds": projected < GOAL_SECONDS},
        "load_exit": proc.returncode, "load_command": " ".join(cmd), "load_stdout": proc.stdout.strip(),
        "problems": len(problems), "problem_lines": problems[:50], "corpus": gen,
    }


def table(r: dict) -> str:
    head = ["articles", "facts", "quads", "newsgraph load s", "articles/s", "triples/s", "bulk_load s",
            "bulk triples/s", "ratio (ours / bulk)"]
    row = [f"{r['articles']:,}", f"{r['facts']:,}" if r["facts"] is not None else "?", f"{r['quads']:,}",
           f"{r['load_seconds']:.2f}", f"{r['articles_per_s']:.1f}", f"{r['triples_per_s']:,}",
           f"{r['bulk_load_seconds']:.2f}", f"{r['bulk_triples_per_s']:,}", f"{r['ratio_percent']:.2f} %"]
    g1, g2 = r["goal_ratio"], r["goal_10k_under_60s"]
    how = "measured" if g2["measured"] else f"projected linearly from {r['articles']:,}"
    lines = ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head), "| " + " | ".join(row) + " |", "",
             f"- ratio ≥ {GOAL_RATIO:.0f} %: **{'yes' if g1['holds'] else 'no'}** ({r['ratio_percent']:.2f} %)",
             f"- 10,000 articles under {GOAL_SECONDS:.0f} s: **{'yes' if g2['holds'] else 'no'}** "
             f"({g2['seconds_for_10k']:,.1f} s, {how})"]
    if r["load_exit"] != 0 or r["problems"]:
        lines.append(f"- newsgraph load exit status {r['load_exit']}, {r['problems']} problem lines "
                     "(see problem_lines in results.json)")
    return "\n".join(lines)


# ================================================================================================
# Profile
# ================================================================================================

BUCKETS = [  # (label, file suffix, function name)
    ("plan_load (read + check + map, all files)", "loaders/plan.py", "plan_load"),
    ("  read_yaml_file (YAML, fields, quotes)", "loaders/sheets.py", "read_yaml_file"),
    ("    yaml.compose", "yaml/__init__.py", "compose"),
    ("  map_article", "loaders/mapping.py", "map_article"),
    ("  shacl.validate", "loaders/shacl.py", "validate"),
    ("    pyshacl.validate", "pyshacl/validate.py", "validate"),
    ("  digest_of", "loaders/plan.py", "digest_of"),
    ("Writer.write (bulk load per chunk)", "service/store/embedded.py", "write"),
    ("  pyoxigraph Store.bulk_load", "~", "<method 'bulk_load' of 'pyoxigraph.Store' objects>"),
    ("  pyoxigraph Store.update", "~", "<method 'update' of 'pyoxigraph.Store' objects>"),
    ("Store.known_entities", "service/store/interface.py", "known_entities"),
]


def profile_load(work: Path, env: dict[str, str], top: int = 25) -> dict:
    corpus, store = work / "corpus", work / "profile" / "store"
    remove(store.parent)
    store.parent.mkdir(parents=True)
    if importlib.util.find_spec("newsgraph") is None:
        raise SystemExit("newsgraph is not installed in this interpreter: `make bench` installs it")
    old_env = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        import newsgraph.loaders.plan
        from newsgraph.service.cli import main

        # cProfile sees one process: when the loader plans in a pool of worker processes, make it use one
        single = hasattr(newsgraph.loaders.plan, "PARALLEL_FROM")
        if single:
            newsgraph.loaders.plan.PARALLEL_FROM = 1 << 30
        prof = cProfile.Profile()
        out, err = io.StringIO(), io.StringIO()
        started = time.perf_counter()
        prof.enable()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                main(["load", str(corpus), "--store", str(store)], standalone_mode=False)
            status = 0
        except SystemExit as e:
            status = e.code
        finally:
            prof.disable()
        seconds = time.perf_counter() - started
    finally:
        os.environ.clear()
        os.environ.update(old_env)
    prof.dump_stats(str(work / "profile.prof"))
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("cumulative").print_stats(top)
    listing = buf.getvalue()
    total = stats.total_tt  # type: ignore[attr-defined]
    buckets = []
    for label, suffix, name in BUCKETS:
        ct = sum(v[3] for (fname, _, fn), v in stats.stats.items()  # type: ignore[attr-defined]
                 if fn == name and fname.replace(os.sep, "/").endswith(suffix))
        if ct:
            buckets.append({"what": label.strip(), "label": label, "seconds": round(ct, 2),
                            "percent": round(100 * ct / seconds, 1)})
    return {"seconds_under_profile": round(seconds, 2), "exit": status, "total_tt": round(total, 2),
            "forced_single_process": single,
            "stdout": out.getvalue().strip(), "problems": problems_in(err.getvalue())[:50],
            "top": listing, "buckets": buckets}


# ================================================================================================
# Main
# ================================================================================================


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--articles", type=int, default=10_000, help="articles to generate and load (default 10000)")
    ap.add_argument("--facts", type=int, default=15, help="facts per article, on average (default 15)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--out", type=Path, help="working folder (default: a new temporary folder)")
    ap.add_argument("--keep", action="store_true", help="keep the corpus, the stores and the export")
    ap.add_argument("--profile", action="store_true", help="also load in-process under cProfile (top 25 cumulative)")
    ap.add_argument("--shacl", choices=["fast", "pyshacl"],
                    help="set NEWSGRAPH_SHACL for the measured commands (default: leave the environment as is)")
    ap.add_argument("--skip-validate", action="store_true", help="do not check a 20-article prefix first")
    args = ap.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # the table and the progress on stderr in order
    if args.articles < 1 or args.facts < 1:
        ap.error("--articles and --facts must be at least 1")

    work = (args.out or Path(tempfile.mkdtemp(prefix="newsgraph-bench-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    for var in ("NEWSGRAPH_STORE", "NEWSGRAPH_BASE_IRI"):
        env.pop(var, None)
    if args.shacl:
        env["NEWSGRAPH_SHACL"] = args.shacl
    results: dict = {
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "pyoxigraph": ox.__version__, "cpus": os.cpu_count(),
                    "platform": platform.platform()},
        "code": str(code_root()), "code_digest": code_digest(), "shacl_engine": env.get("NEWSGRAPH_SHACL", "(default)"),
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "out": str(work),
    }
    try:
        if not args.skip_validate:
            v = validate_prefix(work, args.seed, args.facts, env)
            results["validate"] = v
            print(f"$ {v['command']}\n  exit {v['exit']} in {v['seconds']} s: {v['stdout']}", file=sys.stderr)
            if v["exit"] != 0:
                print("the generated sheets do not validate:", file=sys.stderr)
                print("\n".join(v["problems"][:40]) or v["stderr_tail"], file=sys.stderr)
                (work / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
                return 1
        results.update(measure(args, work, env))
        print(table(results))
        if args.profile:
            print("profiling the load in-process …", file=sys.stderr)
            prof = profile_load(work, env)
            results["profile"] = prof
            (work / "profile.txt").write_text(prof["top"])
            note = ", planning forced into one process" if prof["forced_single_process"] else ""
            print(f"\n## Profile (in-process{note}, {prof['seconds_under_profile']} s under cProfile)\n")
            print("| where | cumulative s | % of profiled load |\n|---|---:|---:|")
            for b in prof["buckets"]:
                print(f"| {b['label'].replace('  ', '&nbsp;&nbsp;')} | {b['seconds']:.2f} | {b['percent']:.1f} % |")
            print("\n```\n" + prof["top"].strip() + "\n```")
        results["code_digest_after"] = code_digest()
        if results["code_digest_after"] != results["code_digest"]:
            print("\nWARNING: loaders/, service/ or ontology/ changed during the run; the numbers mix versions",
                  file=sys.stderr)
        (work / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
        print(f"\nresults: {work / 'results.json'}", file=sys.stderr)
    finally:
        if not args.keep:
            for name in ("corpus", "load", "bulk", "profile", "validate", "export.nq", "profile.prof"):
                remove(work / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
