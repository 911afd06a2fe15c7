"""PSS of a running server's process tree after rounds of heavy requests, for one executor memory limit.

    .venv/bin/python bench/executor_memory.py LIMIT_MB STORE BUSIEST_ENTITY_ID

Starts `newsgraph serve` (2 workers, cache off) on port 5099 with NEWSGRAPH_EXECUTOR_MEMORY_MB=LIMIT_MB,
sends three rounds of the heaviest requests (the busiest entity's facts, timeline and meetings,
`corroborated`, `conflicts`, a join over the whole store) and prints (PSS MiB, processes) after each.
Figures in BENCHMARKS.md ("Executors let go after a large query").
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

PORT = 5099
JOIN = "SELECT ?f (COUNT(*) AS ?n) WHERE { ?f ?p ?o . ?o ?q ?r } GROUP BY ?f LIMIT 1"


def tree_pss(root: int) -> tuple[int, int]:
    """(PSS in MiB, processes) of ``root`` and all its descendants."""
    pids, i = [root], 0
    while i < len(pids):
        try:
            children = Path(f"/proc/{pids[i]}/task/{pids[i]}/children").read_text().split()
        except OSError:
            children = []
        pids += [int(c) for c in children]
        i += 1
    total = 0
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
        except OSError:
            continue
        total += sum(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
    return total // 1024, len(pids)


def main(limit: str, store: str, busiest: str) -> None:
    env = {**os.environ, "NEWSGRAPH_EXECUTOR_MEMORY_MB": limit, "NEWSGRAPH_CACHE_MB": "0",
           "NEWSGRAPH_QUERY_TIMEOUT": "60"}
    proc = subprocess.Popen(["newsgraph", "serve", "--store", store, "--port", str(PORT)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{PORT}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/health")
                break
            except OSError:
                time.sleep(0.2)
        print("idle", tree_pss(proc.pid))
        urls = [f"/queries/entity-facts?entity={busiest}", f"/queries/timeline?entity={busiest}",
                f"/queries/meetings?participant={busiest}", "/queries/corroborated", "/queries/conflicts",
                "/sparql?" + urllib.parse.urlencode({"query": JOIN})]
        for r in range(3):
            for u in urls:
                try:
                    urllib.request.urlopen(base + u, timeout=120).read()
                except OSError as e:
                    print(u, e)
            print("after round", r + 1, tree_pss(proc.pid))
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main(*sys.argv[1:4])
