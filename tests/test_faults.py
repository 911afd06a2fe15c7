"""Fault injection (issue 9, hardening): what a crash, a full disk or a killed process leaves behind.

No mocks: real `newsgraph load` and `newsgraph serve` processes are killed with SIGKILL at seeded random
moments, a load runs out of space on a tmpfs, an executor is killed in the middle of a query. The promises
under test are those of service/store.py (a load lands whole or not at all, a crash leaves the current
version untouched, and whatever a crash left is removed by the next load) and of service/execute.py (an
executor that dies is replaced, and the client gets a clean answer).
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import ROOT, SEEDS, Cli
from helpers import clean_env
from server import NEWSGRAPH, Server

from newsgraph.service.store.embedded import KEEP_VERSIONS, current_version, open_store, versions_dir

pytestmark = pytest.mark.slow

ARTICLES = 200  # with the registry, 201 files: the load maps them in worker processes, as large loads do
FACTS = 3  # facts per article: a load of a few seconds, a store small enough to compare whole each time
CORPUS_SEED = 7
KILL_SEED = 9
KILLS = 14  # 8 spread over the load, 4 in its writing, 2 at its commit
COUNT_QUADS = "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"
CSTO_MEMBERS = ('SELECT ?member WHERE { ?m a org:Membership ; org:member ?member ; nf:status "member" ; '
                'org:organization/dcterms:identifier "csto" } ORDER BY ?member')
CARTESIAN = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # minutes on the seeds: killable
Graphs = dict[str, frozenset[bytes]]


# ---- processes --------------------------------------------------------------------------------------------


def proc_stat(pid: int) -> tuple[str, int, int, int, int] | None:
    """(state, ppid, process group, session, CPU ticks) of a live process, None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), int(fields[2]), int(fields[3]), int(fields[11]) + int(fields[12])


def processes() -> dict[int, tuple[str, int, int, int, int]]:
    """Every live (not zombie) process: a reaped-by-nobody zombie holds no memory, file or port."""
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (st := proc_stat(int(entry))) is not None and st[0] != "Z":
            out[int(entry)] = st
    return out


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def in_session(sid: int) -> list[int]:
    """The live processes of a session: a process started with start_new_session=True and all it forked."""
    return sorted(pid for pid, st in processes().items() if st[3] == sid)


def in_group(pgid: int) -> list[int]:
    return sorted(pid for pid, st in processes().items() if st[2] == pgid)


def descendants(root: int) -> list[int]:
    procs = processes()
    found, todo = [], [root]
    while todo:
        parent = todo.pop()
        kids = [pid for pid, st in procs.items() if st[1] == parent]
        found += kids
        todo += kids
    return found


def kill_pids(pids: list[int]) -> None:
    """SIGKILL processes this test started (by id, one by one)."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


# ---- store contents ---------------------------------------------------------------------------------------


def graphs_from_nquads(data: bytes) -> Graphs:
    """N-Quads lines grouped by graph. Every quad is in a named graph (checked by :func:`graphs_of`), so the
    last term of a line is its graph."""
    by: dict[str, set[bytes]] = {}
    for line in data.splitlines():
        if line.strip():
            by.setdefault(line.rsplit(b" ", 2)[1].decode(), set()).add(line)
    return {g: frozenset(lines) for g, lines in by.items()}


def graphs_of(store: Path) -> Graphs:
    """The dataset of a store, opened as every command opens it (its current version, read-only)."""
    db = open_store(str(store))
    try:
        # the default graph is the set of the named graphs' triples: none may be there alone
        rows = db.query("SELECT (COUNT(*) AS ?n) { ?s ?p ?o FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } } }",
                        default_graph=[ox.DefaultGraph()])
        assert int(next(iter(rows))["n"].value) == 0, "triples in the default graph only: the comparison needs graphs"
        buf = io.BytesIO()
        db.dump(buf, ox.RdfFormat.N_QUADS)
    finally:
        db.close()
    return graphs_from_nquads(buf.getvalue())


@dataclass
class Reference:
    """The dataset of a clean store after the seeds, and after the seeds and the corpus; how long the load of
    the corpus took, and its last part (kills are timed by them)."""

    seeds: Graphs
    full: Graphs
    load_seconds: float
    tail_seconds: float  # from the load's own data appearing to its end: bulk write, counting, commit


def whole_graphs(got: Graphs, ref: Reference) -> list[str]:
    """The graphs that are not exactly as a clean load leaves them: a half-written article, a mix."""
    return [g for g, lines in got.items() if lines not in (ref.seeds.get(g), ref.full.get(g))]


def leftovers(store: Path) -> list[str]:
    """What a store's folders hold besides committed versions (≤ KEEP_VERSIONS) and the lock: temporary
    links and files, uncommitted version folders."""
    versions = versions_dir(store)
    names = set(os.listdir(versions))
    bad = [f"{versions.name}/{n}" for n in sorted(names) if not (
        n in ("LOCK", "answers.sqlite", "answers.sqlite-wal", "answers.sqlite-shm")
        or (n.isdigit() and f"{n}.committed" in names)
        or (n.endswith((".committed", ".links.json")) and n.split(".")[0] in names))]
    numbered = [n for n in names if n.isdigit()]
    if len(numbered) > KEEP_VERSIONS:
        bad.append(f"{len(numbered)} versions kept, more than {KEEP_VERSIONS}")
    bad += [n for n in os.listdir(store.parent) if n not in (store.name, versions.name)]
    return bad


# ---- fixtures ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """A few hundred small synthetic articles and their registry (bench/generate.py, seeded)."""
    out = tmp_path_factory.mktemp("corpus") / "corpus"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--articles", str(ARTICLES),
                    "--facts", str(FACTS), "--seed", str(CORPUS_SEED), "--out", str(out)],
                   check=True, stdout=subprocess.DEVNULL, timeout=120)
    return out


def seed(store: Path) -> None:
    result = Cli(store)("load", "--quiet", str(SEEDS))
    assert result.exit_code == 0, result.output


def load(store: Path, *paths: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(NEWSGRAPH), "load", *map(str, paths), "--store", str(store)], env=clean_env(),
                          capture_output=True, text=True, timeout=timeout)


# ---- a load watched from outside --------------------------------------------------------------------------


def sst_files(folder: Path) -> set[tuple[str, int]]:
    """(name, inode) of a version's SST files: a checkpoint hard-links those of the version it copies."""
    try:
        return {(p.name, p.stat().st_ino) for p in folder.iterdir() if p.suffix == ".sst"}
    except OSError:
        return set()


class Watch:
    """What a load has done so far, as its files show: the events of service/store.py's Writer in order."""

    EVENTS = ("version", "data", "links", "marked", "flipped")

    def __init__(self, store: Path):
        self.store = store
        self.versions = versions_dir(store)
        self.before = current_version(store)
        self.since = time.time() - 0.01
        # every SST there now, a crashed load's leftovers included: they are not this load's data, even
        # while the load deletes them
        self.old = {f for p in self.versions.glob("[0-9]*") for f in sst_files(p)}

    def new_version(self) -> Path | None:
        """The version folder this load made (a folder removed and made again may reuse an inode, but it
        cannot have an older mtime)."""
        try:
            made = [p for p in self.versions.iterdir() if p.name.isdigit() and p.stat().st_mtime >= self.since]
        except OSError:
            return None
        return max(made, default=None)

    def state(self) -> str | None:
        """The last event reached: version (its folder made, the input being mapped), data (SST files of its
        own: bulk write, flush, counting links), links (the counts file), marked (.committed), flipped."""
        if current_version(self.store) != self.before:
            return "flipped"
        d = self.new_version()
        if d is None:
            return None
        if (self.versions / f"{d.name}.committed").exists():
            return "marked"
        if any(self.versions.glob(f"{d.name}.links.json*")):
            return "links"
        return "data" if sst_files(d) - self.old else "version"


@dataclass
class Run:
    rc: int
    seconds: float
    events: dict[str, float]  # when each event was first seen, in seconds from the start
    helpers: list[int]  # the load's other processes still running after it ended


def watched_load(store: Path, corpus: Path, log: Path, anchor: str | None = None, delay: float = 0.0,
                 sig: signal.Signals = signal.SIGKILL) -> Run:
    """Run `newsgraph load`, and SIGKILL it ``delay`` seconds after ``anchor`` (start, helpers: its worker
    processes run, or an event of Watch);
    SIGINT goes to its whole process group, as a terminal's Ctrl+C does."""
    watch = Watch(store)
    events: dict[str, float] = {}
    with open(log, "wb") as out:  # a file, not a pipe: orphaned workers would keep a pipe open
        proc = subprocess.Popen([str(NEWSGRAPH), "load", str(corpus), "--store", str(store)], env=clean_env(),
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        started = time.monotonic()
        kill_at = started + delay if anchor == "start" else None
        if anchor == "start":  # nothing to watch for: no polling to slow the load down
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(delay)
        while proc.poll() is None:
            now = time.monotonic()
            if kill_at is not None and now >= kill_at:
                if sig == signal.SIGINT:
                    os.killpg(proc.pid, sig)
                else:
                    os.kill(proc.pid, sig)
                break
            state = watch.state()
            if state is not None:
                for event in Watch.EVENTS[:Watch.EVENTS.index(state) + 1]:
                    events.setdefault(event, now - started)
            if anchor in events and kill_at is None:
                kill_at = started + events[anchor] + delay
            if anchor == "helpers" and kill_at is None and len(in_session(proc.pid)) >= 4:
                kill_at = now + delay  # the forkserver and workers run: the input is being checked
            time.sleep(0.001)
        rc = proc.wait()
        seconds = time.monotonic() - started
    if rc == 0 or sig == signal.SIGINT:  # a load's worker processes end just after it: wait for that, up to a deadline
        deadline = time.monotonic() + 10
        while [pid for pid in in_session(proc.pid) if pid != proc.pid] and time.monotonic() < deadline:
            time.sleep(0.05)
    helpers = [pid for pid in in_session(proc.pid) if pid != proc.pid]
    kill_pids(helpers)  # see test_a_killed_load_leaves_no_process_behind
    return Run(rc, seconds, events, helpers)


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory) -> Reference:
    """The seeds, then the corpus, loaded cleanly once into a store of their own (and the load timed)."""
    folder = tmp_path_factory.mktemp("reference")
    store = folder / "store"
    seed(store)
    seeds = graphs_of(store)
    run = watched_load(store, corpus, folder / "load.log")
    assert run.rc == 0, (folder / "load.log").read_text()
    print(f"the reference load: {run.seconds:.2f} s; "
          + ", ".join(f"{event} at {t:.2f} s" for event, t in run.events.items()))
    full = graphs_of(store)
    # What a load writes besides the input's own content: per article graph an nf:contentDigest, which is a
    # hash of that content and so the same in every store; and, outside the dataset, NNNNNN.links.json and
    # the version folders. No timestamp, no load id, and no blank node (checked here), so two stores that
    # hold the same loads compare equal line for line, with no exception to make.
    db = open_store(str(store))
    try:
        assert not db.query("ASK { ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) }")
    finally:
        db.close()
    assert len(full) > ARTICLES and seeds.keys() <= full.keys()
    return Reference(seeds, full, run.seconds, run.seconds - run.events["data"])


# ---- 1. kill -9 of `newsgraph load` -----------------------------------------------------------------------


def phase_of(watch_state: str | None, rc: int, helpers: int) -> str:
    """Where a killed load was, named from what it left: startup (no worker process yet: imports, opening
    the store), reading (workers read and check the input, no new version yet), mapping (a version folder
    with no data of its own), writing (bulk write, flush and counting links), counted (the links file),
    commit (marked committed, link not yet flipped), committed (link flipped), finished (not killed)."""
    if rc == 0:
        return "finished"
    if watch_state is None:
        return "reading" if helpers else "startup"
    return {"version": "mapping", "data": "writing", "links": "counted", "marked": "commit",
            "flipped": "committed"}[watch_state]


def kill_plan(rng: random.Random, ref: Reference) -> list[tuple[str, float]]:
    """(anchor, delay) of each kill. Most are times from the start, one in each slice of the clean load's
    duration; the last phases take a small part of it, so some kills are timed from the moment the load's
    own data appears (bulk write, flush, counting) or its links file does (the commit, milliseconds)."""
    timed = KILLS - 6
    plan = [("start", (i + rng.random()) / timed) for i in range(timed)]
    plan += [("data", rng.random() * ref.tail_seconds) for _ in range(4)]
    plan += [("links", rng.random() * 0.01) for _ in range(2)]
    rng.shuffle(plan)
    return plan


def test_kill_9_of_a_load_at_random_moments_leaves_a_whole_store(corpus, reference, tmp_path):
    """SIGKILL can strike a load anywhere: the store must still open, hold each article whole or not at all,
    and take the next load as if nothing had happened."""
    store = tmp_path / "db" / "store"  # alone in its folder: leftovers() looks at the folder
    seed(store)
    # times from the start are fractions of how long a load takes now (other work shares the machine): the
    # reference load's time, lowered whenever a load of this test gets through sooner
    seconds = reference.load_seconds
    rounds = []
    for i, (anchor, at) in enumerate(kill_plan(random.Random(KILL_SEED), reference)):
        delay = at * seconds if anchor == "start" else at
        log = tmp_path / f"load-{i}.log"
        watch = Watch(store)
        run = watched_load(store, corpus, log, anchor, delay)
        assert run.rc in (0, -signal.SIGKILL), log.read_text()
        phase = phase_of(watch.state(), run.rc, len(run.helpers))
        if run.rc == 0:
            seconds = min(seconds, run.seconds)

        got = graphs_of(store)  # the store opens as every command opens it
        broken = whole_graphs(got, reference)
        what = f"kill {i} at {run.seconds:.2f} s ({anchor} + {delay:.3f} s, {phase})"
        assert not broken, f"{what}: graphs not whole: {broken[:5]}"
        expected = reference.full if phase in ("finished", "committed") else reference.seeds
        assert got == expected, f"{what}: the store is neither as before the load nor as after it"
        rounds.append((run.seconds, phase, len(run.helpers)))
        print(f"{what}: {len(run.helpers)} processes of it left running")
        if got == reference.full:  # the load got through: start again from the seeds, so the next kill has work
            store.unlink()
            shutil.rmtree(watch.versions)
            seed(store)

    # the real command opens the store the kills left, and counts what the seeds hold
    counted = subprocess.run([str(NEWSGRAPH), "query", COUNT_QUADS, "--store", str(store), "--format", "json"],
                             env=clean_env(), capture_output=True, timeout=60)
    assert counted.returncode == 0, counted.stderr
    n = int(json.loads(counted.stdout)["results"]["bindings"][0]["n"]["value"])
    assert n == sum(map(len, reference.seeds.values()))
    final = load(store, corpus)
    assert final.returncode == 0, final.stderr
    assert graphs_of(store) == reference.full
    assert not leftovers(store), leftovers(store)
    phases = Counter(phase for _, phase, _ in rounds)
    print(f"a load takes {reference.load_seconds:.2f} s (reference), {seconds:.2f} s (fastest seen); kills at "
          f"{min(t for t, _, _ in rounds):.2f}–{max(t for t, _, _ in rounds):.2f} s; phases {dict(phases)}")
    assert len(phases) >= 4, f"the kills landed in too few phases to mean much: {rounds}"


def test_a_killed_load_leaves_no_process_behind(corpus, tmp_path):
    """A load killed by the OOM killer or an impatient operator must not leave workers running for ever."""
    store = tmp_path / "store"
    seed(store)
    with open(tmp_path / "load.log", "wb") as out:
        proc = subprocess.Popen([str(NEWSGRAPH), "load", str(corpus), "--store", str(store)], env=clean_env(),
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    survivors: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while len(in_session(proc.pid)) < 4 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)  # until the tracker, the forkserver and workers run beside the load
        assert proc.poll() is None, "the load ended before its workers could be seen"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        # the workers notice within a second or two that their load is gone; wait for that, not a fixed time
        deadline = time.monotonic() + 15
        while (survivors := in_session(proc.pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not survivors, [cmdline(pid)[:90] for pid in survivors]
    finally:
        kill_pids(survivors or in_session(proc.pid))


@pytest.mark.parametrize("anchor, delay", [("helpers", 0.05), ("data", 0.0), ("links", 0.0)],
                         ids=["checking", "writing", "indexing"])
def test_ctrl_c_stops_a_load_cleanly_and_leaves_the_store_as_it_was(corpus, reference, tmp_path, anchor, delay):
    """Ctrl+C on a long load: it says so and exits 130, the store is as before (or, when the signal came after
    the commit, as after), no process of the load stays, and no temporary file: not in the store's folder,
    not the spool of checked sheets."""
    store = tmp_path / "db" / "store"
    seed(store)
    time.sleep(0.05)  # the seeds' version folder is older than what the watch takes for this load's
    spools_before = set(Path(tempfile.gettempdir()).glob("newsgraph-load-*"))
    log = tmp_path / "load.log"
    run = watched_load(store, corpus, log, anchor, delay, sig=signal.SIGINT)
    output = log.read_text()
    assert run.rc in (130, 0), output
    assert not run.helpers, [cmdline(pid)[:90] for pid in run.helpers]
    assert "Traceback" not in output, output
    got = graphs_of(store)
    if run.rc == 130:
        assert "interrupted" in output, output
        assert got in (reference.seeds, reference.full), "the store is neither as before the load nor as after it"
        if "nothing was written" in output:
            assert got == reference.seeds
    else:
        assert got == reference.full
    assert not leftovers(store), leftovers(store)
    assert set(Path(tempfile.gettempdir()).glob("newsgraph-load-*")) <= spools_before


# ---- 2. a full disk ---------------------------------------------------------------------------------------

TMPFS = "6M"  # the seeds' store takes ~0.7 MB; with the corpus it needs ~16 MB
TMPFS_LATER = "64M"

DISK_SCRIPT = r"""
set -u
mnt=$1; out=$2; seeds=$3; corpus=$4; ng=$5; size=$6; later=$7; count=$8; members=$9
mount -t tmpfs -o "size=$size" tmpfs "$mnt" 2>"$out/mount.err" || exit 77
store=$mnt/store
step() { name=$1; shift; "$@" >"$out/$name.out" 2>"$out/$name.err"; echo $? >"$out/$name.rc"; }
step seeds "$ng" load "$seeds" --store "$store"
df -k --output=used "$mnt" | tail -1 >"$out/used-by-seeds"
step full "$ng" load "$corpus" --store "$store"
ls -A "$mnt/.store-versions" >"$out/after-failure.ls"; ls -A "$mnt" >>"$out/after-failure.ls"
step count "$ng" query "$count" --store "$store" --format json
step members "$ng" query "$members" --store "$store" --format csv
step export "$ng" export --format nq --store "$store"
step again "$ng" load "$seeds" --store "$store"
ls -A "$mnt/.store-versions" >"$out/after-next.ls"; ls -A "$mnt" >>"$out/after-next.ls"
mount -o "remount,size=$later" "$mnt"
step recovered "$ng" load "$corpus" --store "$store"
step recovered-export "$ng" export --format nq --store "$store"
ls -A "$mnt/.store-versions" >"$out/after-recovery.ls"; ls -A "$mnt" >>"$out/after-recovery.ls"
"""


def test_a_full_disk_fails_the_load_cleanly_and_keeps_the_store(corpus, reference, tmp_path):
    """ENOSPC mid-load must cost the load only: a clear message, the previous version intact, no debris."""
    unshare = shutil.which("unshare")
    mnt, out = tmp_path / "mnt", tmp_path / "out"
    mnt.mkdir()
    out.mkdir()
    script = tmp_path / "disk.sh"
    script.write_text(DISK_SCRIPT)
    ran = None
    if unshare:  # a private mount namespace: the tmpfs vanishes with the script, nothing to unmount
        with open(tmp_path / "unshare.err", "wb") as err:
            ran = subprocess.run([unshare, "--mount", "--propagation", "private", "bash", str(script), str(mnt),
                                  str(out), str(SEEDS), str(corpus), str(NEWSGRAPH), TMPFS, TMPFS_LATER,
                                  COUNT_QUADS, CSTO_MEMBERS], env=clean_env(), stdout=subprocess.DEVNULL,
                                 stderr=err, timeout=300)
    if ran is None or ran.returncode != 0:
        why = (tmp_path / "unshare.err").read_text() if ran else "no unshare command"
        if (out / "mount.err").exists():
            why += (out / "mount.err").read_text()
        if os.environ.get("CI") == "true":
            pytest.fail(f"cannot mount a tmpfs in a private mount namespace: {why}")
        pytest.skip(f"cannot mount a tmpfs in a private mount namespace: {why}")

    def rc(step: str) -> int:
        return int((out / f"{step}.rc").read_text())

    def text(name: str) -> str:
        return (out / name).read_text()

    assert rc("seeds") == 0, text("seeds.err")
    print(f"tmpfs {TMPFS}; the seeds' store used {text('used-by-seeds').strip()} KiB")
    # the load that does not fit: refused with a clear message, not a traceback
    assert rc("full") != 0, text("full.out")
    err = text("full.err")
    print(f"the failed load said: {err.strip()}")
    assert "No space left on device" in err, err
    assert "Traceback" not in err, err
    # the store opens, the seeds are intact and answer, nothing of the failed load is there
    assert rc("count") == 0 and rc("members") == 0 and rc("export") == 0, text("count.err") + text("export.err")
    seeds_store = tmp_path / "seeds-store"
    seed(seeds_store)
    expected = Cli(seeds_store)("query", CSTO_MEMBERS, "--format", "csv").stdout
    assert text("members.out") == expected and expected.count("\n") > 3
    got = graphs_from_nquads((out / "export.out").read_bytes())
    assert not whole_graphs(got, reference)
    assert got == reference.seeds
    assert int(json.loads(text("count.out"))["results"]["bindings"][0]["n"]["value"]) == sum(
        map(len, reference.seeds.values()))
    # no uncommitted version, neither right after the failure nor after the next load
    for listing in ("after-failure.ls", "after-next.ls"):
        names = [n for n in text(listing).split() if n not in ("answers.sqlite-wal", "answers.sqlite-shm")]
        assert sorted(names) == sorted(["000001", "000001.committed", "000001.links.json", "LOCK", "answers.sqlite",
                                        "store", ".store-versions"]), (listing, names)
    assert rc("again") == 0, text("again.err")
    # with room again, the same load goes through and the store is as a clean load leaves it
    assert rc("recovered") == 0, text("recovered.err")
    assert graphs_from_nquads((out / "recovered-export.out").read_bytes()) == reference.full
    names = text("after-recovery.ls").split()
    assert "000002.committed" in names and not [n for n in names if n.endswith(".tmp")], names


# ---- HTTP with the standard library -----------------------------------------------------------------------


def call(url: str, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None,
         timeout: float = 30) -> tuple[int, str, bytes]:
    """(status, content type, body); connection errors are raised as they come."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body=body,
                     headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers.get("Content-Type", ""), response.read()
    finally:
        conn.close()


def sparql(endpoint: str, text: str, timeout: float = 30) -> tuple[int, str, bytes]:
    return call(endpoint + "?" + urllib.parse.urlencode({"query": text}),
                headers={"Accept": "application/sparql-results+json"}, timeout=timeout)


def count_of(answer: tuple[int, str, bytes]) -> int:
    status, _, body = answer
    assert status == 200, answer
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


@pytest.fixture(scope="module")
def seeds_store(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("seeds") / "store"
    seed(store)
    return store


# ---- 3. the server killed and restarted under load --------------------------------------------------------


def same_port(old: Server, store: Path) -> Server:
    """A new server for the port the old one had: clients keep their URL across the restart."""
    new = Server(store, workers=old.workers)
    new.port, new.url, new.endpoint = old.port, old.url, old.endpoint
    return new


def test_server_killed_and_restarted_under_load_never_gives_a_wrong_answer(seeds_store):
    """A crash of the whole server may cost clients failed connections while it is down — never a wrong
    answer or a server error, and the data after the restart is the data before."""
    log: list[tuple[float, float, str, object]] = []
    stop = threading.Event()
    servers = [Server(seeds_store, workers=2)]
    srv = servers[0].__enter__()
    requests = {
        "count": lambda url: call(url + "/sparql?" + urllib.parse.urlencode({"query": COUNT_QUADS}),
                                  headers={"Accept": "application/sparql-results+json"}),
        "members": lambda url: call(url + "/sparql", "POST", CSTO_MEMBERS.encode(),
                                    {"Content-Type": "application/sparql-query", "Accept": "text/csv"}),
        "page": lambda url: call(url + "/id/country/russia", headers={"Accept": "text/html"}),
        "turtle": lambda url: call(url + "/id/country/tajikistan.ttl"),
    }
    try:
        baseline = {name: do(srv.url) for name, do in requests.items()}
        assert all(answer[0] == 200 for answer in baseline.values()), baseline
        assert {name: do(srv.url) for name, do in requests.items()} == baseline, "answers must be stable"
        health = call(srv.url + "/health")
        url = srv.url  # the same before and after the restart

        def client(k: int) -> None:
            names = list(requests)
            i = k
            while not stop.is_set():
                name = names[i % len(names)]
                i += 1
                started = time.monotonic()
                try:
                    outcome: object = requests[name](url)
                except (ConnectionError, http.client.IncompleteRead) as e:  # refused, reset, cut short
                    outcome = e
                    time.sleep(0.05)
                except Exception as e:  # a timeout (a hang) or anything else: recorded, and judged below
                    outcome = e
                log.append((started, time.monotonic(), name, outcome))

        threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(3)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30  # the kill comes under load: once every kind of request was answered
        while time.monotonic() < deadline and {name for _, _, name, o in list(log)
                                                if isinstance(o, tuple)} != set(requests):
            time.sleep(0.05)
        killed_at = time.monotonic()
        os.killpg(srv.process.pid, signal.SIGKILL)  # master, workers, forkservers, executors: the whole group
        srv.process.wait(10)
        deadline = time.monotonic() + 10  # the group's processes are gone once the kernel has reaped them
        while in_group(srv.process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not in_group(srv.process.pid), [cmdline(p)[:90] for p in in_group(srv.process.pid)]
        srv.__exit__(None, None, None)
        servers.append(same_port(srv, seeds_store))
        srv = servers[-1].__enter__()  # returns once /health answers
        up_at = time.monotonic()
        deadline = up_at + 30  # until every kind of request has been answered by the restarted server
        while time.monotonic() < deadline and {name for s, _, name, o in list(log)
                                                if s > up_at and isinstance(o, tuple)} != set(requests):
            time.sleep(0.1)
        stop.set()
        for t in threads:
            t.join(60)
        assert call(srv.url + "/health") == health
        assert {name: do(srv.url) for name, do in requests.items()} == baseline
    finally:
        stop.set()
        for server in servers:
            server.__exit__(None, None, None)  # does nothing for one already stopped

    wrong = [(name, o) for _, _, name, o in log if isinstance(o, tuple) and o != baseline[name]]
    assert not wrong, wrong[:3]
    failures = [(s - killed_at, e - killed_at, name, o) for s, e, name, o in log if not isinstance(o, tuple)]
    bad = [f for f in failures if not isinstance(f[3], ConnectionError | http.client.IncompleteRead)
           or f[1] < -0.01 or f[0] > up_at - killed_at + 0.5]
    assert not bad, f"failures outside the down window or not connection errors: {bad[:5]}"
    assert failures, "no request fell in the down window: the kill was not exercised"
    after = Counter(name for s, _, name, o in log if s > up_at and isinstance(o, tuple))
    assert set(after) == set(requests), after
    print(f"{len(log)} requests: {len(failures)} connection errors while down "
          f"({up_at - killed_at:.2f} s), {sum(after.values())} answered after the restart, none wrong")


# ---- 4. an executor killed mid-query ----------------------------------------------------------------------

POOL = 4  # executors per web worker (newsgraph.service.web.app.create_app's default)


@pytest.fixture(scope="module")
def patient(seeds_store):
    """One web worker whose queries may run a minute: only a kill stops the slow query."""
    with Server(seeds_store, timeout=60, workers=1) as server:
        yield server


def executors(server: Server) -> list[int]:
    """The executor processes: the children of the forkserver each web worker starts."""
    tree = descendants(server.process.pid)
    forkservers = [pid for pid in tree if "multiprocessing.forkserver" in cmdline(pid)
                   and "multiprocessing.forkserver" not in cmdline(proc_stat(pid)[1])]
    return [pid for pid in tree if (st := proc_stat(pid)) is not None and st[1] in forkservers]


def kill_executor_mid_query(server: Server) -> tuple[tuple[int, str, bytes] | Exception, float]:
    """Send the slow query, SIGKILL the executor that runs it, and return what the client got, and when."""
    box: list = []
    sender = threading.Thread(target=lambda: box.append(_try(sparql, server.endpoint, CARTESIAN, timeout=90)))
    sender.start()
    pool = executors(server)  # one fewer for a while after an earlier kill: a dead one is replaced when leased
    assert POOL - 1 <= len(pool) <= POOL, [cmdline(p)[:80] for p in pool]
    busy = None
    deadline = time.monotonic() + 20
    while busy is None and time.monotonic() < deadline:
        ticks = {pid: proc_stat(pid)[4] for pid in pool}
        time.sleep(0.3)
        grown = {pid: proc_stat(pid)[4] - t for pid, t in ticks.items() if proc_stat(pid)}
        if max(grown.values()) > 0:
            busy = max(grown, key=grown.get)
    assert busy is not None, "no executor took the query"
    killed = time.monotonic()
    os.kill(busy, signal.SIGKILL)
    sender.join(30)
    assert not sender.is_alive(), "the request hangs after its executor was killed"
    return box[0], time.monotonic() - killed


def _try(fn, *args, **kw):
    try:
        return fn(*args, **kw)
    except Exception as e:
        return e


def test_an_executor_killed_mid_query_answers_503_with_a_message(patient):
    """The OOM killer may take an executor: the client must get the documented 503 and a message."""
    answer, seconds = kill_executor_mid_query(patient)
    assert isinstance(answer, tuple), answer
    status, content_type, body = answer
    print(f"the client got {status} {content_type} {body[:120]!r} {seconds:.2f} s after the kill")
    assert content_type.startswith("text/plain") and len(body.strip()) > 10, answer
    assert b"Traceback" not in body, answer
    assert status == 503, answer


def test_the_pool_recovers_after_an_executor_is_killed_mid_query(patient):
    """After an executor dies, every later query is answered right: the pool replaces it, sequentially and
    with all executors busy at once."""
    expected = count_of(sparql(patient.endpoint, COUNT_QUADS))
    answer, seconds = kill_executor_mid_query(patient)
    assert isinstance(answer, tuple), answer  # an answer, not a hang or a dropped connection
    assert seconds < 10
    for i in range(2 * POOL + 1):  # every executor leased at least twice
        assert count_of(sparql(patient.endpoint, f"{COUNT_QUADS} # {i}")) == expected
    burst: list = []
    threads = [threading.Thread(target=lambda i=i: burst.append(_try(sparql, patient.endpoint,
                                                                     f"{COUNT_QUADS} # burst {i}")))
               for i in range(POOL)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(burst) == POOL and all(count_of(a) == expected for a in burst), burst
    assert len(executors(patient)) == POOL
    assert call(patient.url + "/health")[0] == 200
