"""The installed `newsgraph` command, run as a real process: exit codes, messages, settings, the server."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SEEDS
from helpers import SHEET, clean_env, line_of, write_sheet
from server import free_port

NEWSGRAPH = ROOT / ".venv" / "bin" / "newsgraph"
SUMMARY = re.compile(r"^loaded (\d+) articles?, (\d+) facts, (\d+) triples from (\d+) files? in (\d+\.\d+) s",
                     re.MULTILINE)


def run(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120):
    return subprocess.run([str(NEWSGRAPH), *args], cwd=cwd, env=env or clean_env(), capture_output=True,
                          text=True, timeout=timeout)


def export_lines(store: Path, cwd: Path) -> set[str]:
    result = run("export", "--store", str(store), cwd=cwd)
    assert result.returncode == 0, result.stderr
    return {line for line in result.stdout.splitlines() if line.strip()}


def test_command_is_installed():
    assert NEWSGRAPH.is_file() and os.access(NEWSGRAPH, os.X_OK)


def test_load_seeds_prints_a_summary(tmp_path):
    result = run("load", "--store", str(tmp_path / "store"), str(SEEDS), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    m = SUMMARY.search(result.stdout)
    assert m, result.stdout
    articles, facts, triples, files, seconds = m.groups()
    assert int(articles) == 2
    sheets = [SEEDS / "askanews-2023-11-22-csto.yaml", SEEDS / "reference" / "csto-membership.yaml"]
    assert int(facts) == sum(len(yaml.safe_load(p.read_text(encoding="utf-8"))["facts"]) for p in sheets)
    assert int(triples) > 1000
    assert int(files) == 3
    assert 0 < float(seconds) < 120
    assert len(export_lines(tmp_path / "store", tmp_path)) >= int(triples)


def test_bad_sheet_exits_1_with_file_line_messages(tmp_path):
    sheet = SHEET.replace("recipient: belarus", "recipient: atlantis").replace("date: 2024-03-03", "date: 2024-02-30")
    path = write_sheet(tmp_path / "in", sheet)
    result = run("load", "--store", str(tmp_path / "store"), str(path.parent), cwd=tmp_path)
    assert result.returncode == 1
    problems = [line for line in result.stderr.splitlines() if line.startswith(f"{path}:")]
    assert len(problems) == 2, result.stderr
    assert all(re.match(rf"^{re.escape(str(path))}:\d+: \S", p) for p in problems)
    assert any(p.startswith(f"{path}:{line_of(path, 'recipient: atlantis')}: unknown entity 'atlantis'")
               for p in problems), problems
    assert any(p.startswith(f"{path}:{line_of(path, 'date: 2024-02-30')}:") for p in problems), problems
    # the registry beside it was fine and loaded; the sheet was not
    exported = export_lines(tmp_path / "store", tmp_path)
    assert not any("/graph/article/" in q for q in exported)
    assert any("/graph/entities>" in q for q in exported)


def test_validate_with_a_memory_store(tmp_path):
    ok = run("validate", "--store", "memory:", str(SEEDS), cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "3 files OK" in ok.stdout
    path = write_sheet(tmp_path / "in", SHEET.replace("item: s-400", "item: s-500"))
    bad = run("validate", "--store", "memory:", str(path.parent), cwd=tmp_path)
    assert bad.returncode == 1
    assert f"{path}:{line_of(path, 'item: s-500')}: unknown entity 's-500'" in bad.stderr
    assert not (tmp_path / "data").exists(), "memory: must not create the default store folder"
    assert list(tmp_path.iterdir()) == [tmp_path / "in"]


def test_store_variable_is_honoured_and_the_option_wins(tmp_path):
    from_env, from_option = tmp_path / "env-store", tmp_path / "option-store"
    env = clean_env(NEWSGRAPH_STORE=str(from_env))
    first = run("load", str(SEEDS), cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    env_data = export_lines(from_env, tmp_path)
    assert any("askanews-2023-11-22-csto" in q for q in env_data)
    assert not (tmp_path / "data").exists(), "the default store must not be used when NEWSGRAPH_STORE is set"

    # export through the variable sees the same data
    through_env = run("export", cwd=tmp_path, env=env)
    assert {line for line in through_env.stdout.splitlines() if line.strip()} == env_data

    registry_only = tmp_path / "reg"
    registry_only.mkdir()
    (registry_only / "entities.yaml").write_text((SEEDS / "entities.yaml").read_text(encoding="utf-8"),
                                                 encoding="utf-8")
    second = run("load", "--store", str(from_option), str(registry_only), cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stderr
    option_data = export_lines(from_option, tmp_path)
    assert option_data and not any("/graph/article/" in q for q in option_data)
    assert export_lines(from_env, tmp_path) == env_data, "--store wins: the variable's store is untouched"


def test_serve_answers_health(tmp_path):
    store = tmp_path / "store"
    loaded = run("load", "--store", str(store), str(SEEDS), cwd=tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    counted = run("query", "--store", str(store), "--format", "csv", "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }",
                  cwd=tmp_path)
    triples = int(counted.stdout.split()[1])  # the default graph's triples, each once
    assert 0 < triples <= len(export_lines(store, tmp_path))
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen([str(NEWSGRAPH), "serve", "--store", str(store), "--host", "127.0.0.1",
                             "--port", str(port), "--workers", "1"], cwd=tmp_path, env=clean_env(),
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/health"
        deadline = time.monotonic() + 30
        response = None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"serve exited with {proc.returncode}: {(tmp_path / 'serve.log').read_text()}")
            try:
                response = urllib.request.urlopen(url, timeout=5)
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.25)
        assert response is not None, f"no answer on {url} within 30 s: {(tmp_path / 'serve.log').read_text()}"
        with response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("application/json")
            assert response.headers["Access-Control-Allow-Origin"] == "*"
            body = json.loads(response.read())
        assert body["status"] == "ok"
        assert body["articles"] == 2
        assert isinstance(body["triples"], int) and body["triples"] > 0
        assert body["triples"] == triples
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        with contextlib.suppress(ProcessLookupError):  # a worker left behind: its session is the one we started
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_a_memory_store_is_served_by_one_worker_so_updates_are_seen_by_every_request(tmp_path):
    """A memory: store is one dataset in one process; two workers would be two stores (an update landing in
    one, the next query asking the other)."""
    from server import Server, fetch

    with Server("memory:", token="memory-token", workers=None, cwd=tmp_path) as srv:
        status, _, body = fetch(srv.endpoint, {"Content-Type": "application/sparql-update",
                                               "Authorization": "Bearer memory-token"},
                                b'INSERT DATA { <http://example.org/a> <http://example.org/p> "one" }')
        assert status == 204, body
        for _ in range(20):  # on two workers about half of these asked the empty store
            status, _, body = fetch(srv.endpoint + "?query=" + urllib.parse.quote("SELECT (COUNT(*) AS ?n) {?s ?p ?o}"),
                                    {"Accept": "application/sparql-results+json"})
            assert status == 200 and json.loads(body)["results"]["bindings"][0]["n"]["value"] == "1", body
    workers = [line for line in srv.log.decode().splitlines() if "Booting worker" in line]
    assert len(workers) == 1, srv.log.decode()
    assert "serving a memory: store with one worker" in srv.log.decode()


def test_a_memory_store_refuses_several_workers_with_a_reason(tmp_path):
    result = run("serve", "--store", "memory:", "--workers", "2", "--port", str(free_port()), cwd=tmp_path, timeout=30)
    assert result.returncode == 2
    assert "a memory: store lives inside one process" in result.stderr and "--workers 2" in result.stderr
