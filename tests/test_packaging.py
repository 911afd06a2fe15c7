"""newsgraph as a Python user gets it: a wheel built from the checkout, installed into a fresh virtual
environment, used from a folder that has nothing of the checkout in it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
import zipfile
from pathlib import Path

import pytest
from server import Server, fetch

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """``python -m build`` (wheel and sdist) of the checkout, its output checked for warnings."""
    out = tmp_path_factory.mktemp("dist")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    run = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
                         capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    warnings = [line for line in (run.stdout + run.stderr).splitlines() if "warn" in line.lower()]
    assert not warnings, "python -m build warned:\n" + "\n".join(warnings)
    return out


def test_the_wheel_holds_one_namespace_and_its_data(built: Path):
    wheel = next(built.glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"newsgraph"}, f"the wheel installs more than newsgraph/ at the top of site-packages: {tops}"
    for data in ("newsgraph/ontology/newsgraph.ttl", "newsgraph/ontology/shapes.ttl", "newsgraph/queries/members.rq",
                 "newsgraph/service/web/templates/entity.html", "newsgraph/service/web/static/newsgraph.css"):
        assert data in names, f"{data} is not in the wheel"
    assert next(built.glob("*.tar.gz")), "no sdist was built"


@pytest.fixture(scope="module")
def installed(built: Path, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel (and its dependencies from the package index) installed."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    wheel = next(built.glob("*.whl"))
    run = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], capture_output=True, text=True,
                         timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    return venv / "bin" / "newsgraph"


def _run(newsgraph: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSGRAPH_", "PYTHONPATH"))}
    return subprocess.run([str(newsgraph), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_an_installed_newsgraph_loads_queries_and_serves_outside_the_checkout(installed: Path, tmp_path: Path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    loaded = _run(installed, elsewhere, "--store", "st", "load", str(ROOT / "seeds"))
    assert loaded.returncode == 0, loaded.stderr
    # the installed code, not the checkout's: its modules live in the venv's site-packages
    where = subprocess.run([str(installed.parent / "python"), "-c",
                            "import newsgraph.service.cli as m, newsgraph.loaders as l; print(m.__file__, l.__file__)"],
                           cwd=elsewhere, capture_output=True, text=True, check=True)
    assert str(ROOT) not in where.stdout and "site-packages" in where.stdout, where.stdout

    answered = _run(installed, elsewhere, "--store", "st", "query", "--format", "json",
                    "SELECT ?o WHERE { ?o a nf:Organization ; dcterms:identifier 'csto' }")
    assert answered.returncode == 0, answered.stderr
    assert json.loads(answered.stdout)["results"]["bindings"], "the CSTO is not in the installed store"

    with Server(elsewhere / "st", command=installed, cwd=elsewhere) as srv:
        status, _, body = fetch(srv.url + "/")
        assert status == 200 and b"newsgraph" in body
        status, _, body = fetch(srv.url + "/health")
        assert status == 200 and json.loads(body)["status"] == "ok"
        status, _, body = fetch(srv.url + "/queries/members?" + urllib.parse.urlencode({"organization": "csto"}),
                                {"Accept": "application/json"})
        assert status == 200 and len(json.loads(body)["rows"]) >= 6
        status, headers, body = fetch(srv.url + "/id/country/armenia", {"Accept": "text/html"})
        assert status == 200 and "text/html" in headers["Content-Type"] and b"Armenia" in body
        status, headers, body = fetch(srv.url + "/static/newsgraph.css")
        assert status == 200 and "text/css" in headers["Content-Type"] and body
        status, _, body = fetch(srv.url + "/ontology", {"Accept": "text/turtle"})
        assert status == 200 and b"owl:Ontology" in body


def test_make_clean_removes_build_output_and_keeps_the_store(tmp_path: Path):
    """``make clean`` reads like "remove build output": a loaded store (data/ by default) must survive it."""
    (tmp_path / "Makefile").write_bytes((ROOT / "Makefile").read_bytes())
    for folder in ("data/store", "data/.store-versions/000001", "build/lib", "dist", ".venv/bin"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "data/.store-versions/000001/data.sst").write_text("a user's facts")
    run = subprocess.run(["make", "clean"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "data/.store-versions/000001/data.sst").read_text() == "a user's facts"
    assert not (tmp_path / "build").exists() and not (tmp_path / "dist").exists() and not (tmp_path / ".venv").exists()
