"""Shared fixtures: the CLI run in-process against real on-disk stores in temporary folders."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from helpers import ROOT, SEEDS

from newsgraph.service.cli import main

__all__ = ["BASE", "ROOT", "SEEDS", "Cli"]
BASE = "http://localhost:5000/"


class Cli:
    """Runs `newsgraph` against one store; returns click's Result (exit_code, stdout, stderr)."""

    def __init__(self, store: Path):
        self.store = store
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None):
        return self.runner.invoke(main, [args[0], "--store", str(self.store), *args[1:]], input=input,
                                  catch_exceptions=False)

    def export(self) -> set[str]:
        """The whole dataset as a set of N-Quads lines."""
        result = self("export", "--format", "nq")
        assert result.exit_code == 0, result.stderr
        return {line for line in result.stdout.splitlines() if line.strip()}

    def select(self, query: str) -> list[dict[str, str]]:
        result = self("query", query, "--format", "json")
        assert result.exit_code == 0, result.stderr
        parsed = ox.parse_query_results(result.stdout_bytes, format=ox.QueryResultsFormat.JSON)
        return [{v.value: s[v].value for v in parsed.variables if s[v] is not None} for s in parsed]


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "store")


@pytest.fixture
def seeded(cli: Cli) -> Cli:
    result = cli("load", str(SEEDS))
    assert result.exit_code == 0, result.output
    return cli


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A copy of the seeds to edit: sheets, texts and the registry."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    """A real `newsgraph serve` on a store holding the seeds (modules that need more define their own)."""
    from server import Server

    folder = tmp_path_factory.mktemp("seeded")
    assert Cli(folder / "store")("load", str(SEEDS)).exit_code == 0
    with Server(folder / "store") as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (never `playwright install`); under CI=true a missing one fails."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright  # a test dependency: missing is a failure

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()
