"""BENCHMARKS.md and bench/latency.png from bench/run.py's results.json.

The tables and the goal verdicts are computed here from the measured figures, never typed in;
the prose on causes and fixes lives in bench/FINDINGS.md and is included as it is.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOALS = {"saved": 50.0, "page": 100.0}
GOAL_LOAD_S, GOAL_RSS_MIB, GOAL_GROWTH = 600.0, 1024.0, 3.0
PEERS = ("oxigraph", "pyoxigraph", "rdflib-endpoint")


def ms(v: float | None) -> str:
    if v is None:
        return "–"
    if v == float("inf"):
        return "timeout"
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def ms_unit(v: float) -> str:
    return "stopped or unanswered" if v == float("inf") else f"{ms(v)} ms"


def mib(v: float) -> str:
    return f"{v:,.0f} MiB"


def yes(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def load_table(sizes: dict) -> list[str]:
    lines = ["| articles | facts | quads | load | facts/s | peak RSS of the load | store on disk |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    for n, r in sizes.items():
        ld = r["load"]
        lines.append(f"| {int(n):,} | {ld['facts']:,} | {ld['quads']:,} | {ld['seconds']:,.1f} s | "
                     f"{ld['facts_per_s']:,} | {mib(ld['peak_rss_mib'])} | {ld['disk_bytes'] / 2**30:.2f} GiB |")
    return lines


def memory_table(sizes: dict) -> list[str]:
    lines = ["| articles | newsgraph peak RSS (sum) | newsgraph peak PSS | processes | idle PSS | "
             "Oxigraph server peak RSS | rdflib-endpoint RSS (load) |", "|---:|---:|---:|---:|---:|---:|---:|"]
    for n, r in sizes.items():
        m, o, rd = r["newsgraph_memory"], r.get("oxigraph_memory"), r.get("rdflib_memory")
        rd_s = f"{mib(rd['rss_mib'])} ({rd['load_s']:,.0f} s)" if rd else "not run: " + r.get("rdflib_skipped", "–")
        lines.append(f"| {int(n):,} | {mib(m['rss_mib'])} | {mib(m['pss_mib'])} | {m['processes']} | "
                     f"{mib(m['idle_pss_mib'])} | {mib(o['rss_mib']) if o else '–'} | {rd_s} |")
    return lines


def _short_detail(detail: str) -> str:
    import re

    m = re.search(r'"detail":\s*"([^"]+)"', detail)
    return (m[1] if m else detail)[:90].replace("|", "/")


def latency_table(n: str, r: dict) -> list[str]:
    lines = [f"### {int(n):,} articles", "",
             "| target | newsgraph p50 | p95 | p99 | req/s | Oxigraph server p50 / p95 | pyoxigraph p50 / p95 | "
             "rdflib-endpoint p50 |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, _t in r["targets"].items():
        ng = r["newsgraph"].get(name)
        if not ng:
            continue
        if ng.get("error"):
            cells = [name, f"{ng['error']}: " + _short_detail(ng.get("detail", "")), "–", "–", "0"]
        else:
            cells = [f"{name}", ms(ng["p50_ms"]), ms(ng["p95_ms"]), ms(ng["p99_ms"]), f"{ng['rps']:,.0f}"]
        for peer in ("oxigraph", "pyoxigraph"):
            p = r.get(peer, {}).get(name)
            cells.append(f"{ms(p['p50_ms'])} / {ms(p['p95_ms'])}" if p and p.get("p50_ms") is not None
                         else (p.get("error", "–") if p else "–"))
        p = r.get("rdflib-endpoint", {}).get(name)
        cells.append(ms(p["p50_ms"]) if p else "–")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def goals(sizes: dict) -> tuple[list[str], list[str]]:
    """The verdicts at the largest size, and the growth table from the smallest to the largest."""
    keys = sorted(sizes, key=int)
    small, big = keys[0], keys[-1]
    r = sizes[big]
    out = [f"Measured at {int(big):,} articles ({r['load']['facts']:,} facts), growth against {int(small):,}.", ""]
    ld = r["load"]["seconds"]
    out.append(f"- Load in under {GOAL_LOAD_S / 60:.0f} minutes: {yes(ld < GOAL_LOAD_S)} ({ld / 60:.1f} min).")
    for group, label in (("saved", "every saved query"), ("page", "entity and article pages")):
        worst = [(t["name"], r["newsgraph"][name]["p95_ms"] or float("inf")) for name, t in r["targets"].items()
                 if t["group"] == group and name in r["newsgraph"]]
        if not worst:
            continue
        bad = [f"{nm} {ms_unit(v)}" for nm, v in worst if v > GOALS[group]]
        top = max(worst, key=lambda w: w[1])
        out.append(f"- {label} p95 ≤ {GOALS[group]:.0f} ms: {yes(not bad)} (slowest: {top[0]}, {ms_unit(top[1])}"
                   + (f"; over: {', '.join(bad)}" if bad else "") + ").")
    m = r["newsgraph_memory"]
    out.append(f"- Server memory ≤ {GOAL_RSS_MIB:.0f} MiB: {yes(m['pss_mib'] <= GOAL_RSS_MIB)} by PSS "
               f"({mib(m['pss_mib'])}); the plain sum of RSS over its {m['processes']} processes, which counts "
               f"shared pages once per process, is {mib(m['rss_mib'])}.")
    growth = ["| selective target | p50 at " + f"{int(small):,}" + " | p50 at " + f"{int(big):,}" + " | × |",
              "|---|---:|---:|---:|"]
    over = []
    for name, t in r["targets"].items():
        a, b = sizes[small]["newsgraph"].get(name), r["newsgraph"].get(name)
        if not (t["selective"] and a and b) or a.get("p50_ms") is None:
            continue
        if b.get("p50_ms") is None:
            growth.append(f"| {name} | {ms(a['p50_ms'])} | {b.get('error')} (stopped) | – |")
            over.append(f"{name} (stopped)")
            continue
        ratio = b["p50_ms"] / max(a["p50_ms"], 0.01)
        growth.append(f"| {name} | {ms(a['p50_ms'])} | {ms(b['p50_ms'])} | {ratio:.1f}× |")
        if ratio > GOAL_GROWTH:
            over.append(f"{name} {ratio:.1f}×")
    out.append(f"- Selective queries at most {GOAL_GROWTH:.0f}× slower than at {int(small):,} (p50): "
               f"{yes(not over)}" + (f" (over: {', '.join(over)})" if over else "") + ".")
    return out, growth


def plot(sizes: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = sorted(sizes, key=int)
    xs = [int(k) for k in keys]
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.5), sharey=True)
    for ax, group, title in ((axes[0], "saved", "saved queries"), (axes[1], None, "pages and SPARQL")):
        names = [nm for nm, t in sizes[keys[-1]]["targets"].items()
                 if (t["group"] == group if group else t["group"] != "saved")]
        for nm in names:
            ys = [sizes[k]["newsgraph"].get(nm, {}).get("p95_ms") for k in keys]
            pts = [(x, y) for x, y in zip(xs, ys, strict=True) if y is not None]
            if pts:
                ax.plot(*zip(*pts, strict=True), marker="o", label=nm)
        if group == "saved":
            ax.axhline(GOALS["saved"], color="red", linestyle="--", linewidth=1, label="goal 50 ms")
        else:
            ax.axhline(GOALS["page"], color="red", linestyle="--", linewidth=1, label="page goal 100 ms")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("articles in the store")
        ax.set_title(f"newsgraph p95 latency, {title}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    axes[0].set_ylabel("p95 ms (log)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _no_answer(m: dict) -> dict:
    """A run in which no request completed (each took longer than the run) has no latency to show."""
    if m.get("requests", 1) == 0 and not m.get("error"):
        return {**m, "error": "none in the run", "detail": "no request completed within the run's seconds",
                "p50_ms": None, "p95_ms": None, "p99_ms": None}
    return m


#: where BENCHMARKS.md's hand-kept part starts: everything from this line on is kept as it is
HAND_KEPT = "<!-- The sections below are kept by hand"


def write_report(results: dict, md: Path, png: Path) -> None:
    sizes = dict(sorted(results["sizes"].items(), key=lambda kv: int(kv[0])))
    for r in sizes.values():
        for who in ("newsgraph", *PEERS):
            if who in r:
                r[who] = {name: _no_answer(m) for name, m in r[who].items()}
    mach = results["machine"]
    verdicts, growth = goals(sizes)
    plot(sizes, png)
    findings = (ROOT / "bench" / "FINDINGS.md")
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`bench/run.py --write`, rendered by `bench/report.py`); do not edit by hand —",
        "the prose on causes and fixes is `bench/FINDINGS.md`. Corpus: `bench/generate.py`, seed 1, "
        "15 facts per article on average; every size is a prefix of the 100k corpus.",
        "",
        f"Machine: {mach['cpus']} cores, {mach['platform']}, Python {mach['python']}, pyoxigraph "
        f"{mach['pyoxigraph']}. Load: `wrk` with {mach['connections']} concurrent connections for "
        f"{mach['duration_s']:g} s per target, rotating over up to 16 parameter values picked from the data by "
        "the same rule at every size, after a 2 s warm-up — at 1,000 and 10,000 articles over all 16 values "
        "(and with the code of commit c72f491, before the review's fixes: pages then showed 10 values of an "
        "entity's own properties, not 25, and counted its facts through any property), at 100,000 on the first "
        "value only: there the others arrive cold, and the store "
        "(14.6 GiB) is larger than what the page cache keeps of it, so pages and lists over typical entities "
        "include reads from disk. newsgraph runs "
        "`newsgraph serve --workers 2` with its response cache **off** (`NEWSGRAPH_CACHE_MB=0`): every request "
        "reaches the engine, the cost of a cache miss. pyoxigraph is the engine called in-process, one query "
        "at a time (no HTTP, no concurrency): the limit. rdflib-endpoint is asked each query a few times, "
        "one at a time.",
        "",
        "## Goals",
        "",
        *verdicts,
        "",
        "![p95 latency against corpus size](bench/latency.png)",
        "",
        "## Load",
        "",
        *load_table(sizes),
        "",
        "## Server memory",
        "",
        *memory_table(sizes),
        "",
        "## Latency (ms)",
        "",
    ]
    for n, r in sizes.items():
        lines += [*latency_table(n, r), ""]
    lines += ["## How cost grows", "", *growth, ""]
    picked = sizes[max(sizes, key=int)]["picked"]
    lines += ["## Parameters", "",
              "Entities are ranked by the facts that name them; a *typical* parameter is one of the 16 around the "
              "median of its class, the *most linked country* the first. At the largest size the median country "
              f"is named by {picked['median_facts'].get('Country', 0):,} facts and the most linked by "
              f"{picked['most_facts'].get('Country', 0):,}; the median person by "
              f"{picked['median_facts'].get('Person', 0):,}.", ""]
    if findings.exists():
        lines += [findings.read_text().strip(), ""]
    kept = ""  # the hand-kept sections after the marker survive a rewrite
    if md.exists() and HAND_KEPT in (old := md.read_text()):
        kept = "\n\n" + old[old.index(HAND_KEPT):]
    md.write_text("\n".join(lines).rstrip("\n") + kept)
    print(f"wrote {md} and {png}", file=sys.stderr)


if __name__ == "__main__":
    res = json.loads(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "bench/out/scale/results.json").read_text())
    write_report(res, ROOT / "BENCHMARKS.md", ROOT / "bench" / "latency.png")
