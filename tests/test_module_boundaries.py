"""The architecture as the imports say it: one way into each room, no cycles hidden in function bodies.

A maintainer reads the rooms from the folder names (service/store, service/sparql, service/web, the
loaders); these tests keep the imports from quietly growing back into a web.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICE = ROOT / "service"
LOADERS = ROOT / "loaders"
#: what the service may import of the loaders: their package (its __all__), namespaces, the ontology's tables
LOADERS_PUBLIC = {"newsgraph.loaders", "newsgraph.loaders.vocab", "newsgraph.loaders.ontology"}
#: imports that may wait for the function that needs them, and why
LAZY_ALLOWED = {
    ("service/cli.py", "newsgraph.service.web.server"),  # gunicorn and waitress: only `serve` pays their import
}


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node, node.module if node.level == 0 else "." * node.level + node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name


def test_the_service_reaches_the_loaders_through_their_public_face_only():
    reach_ins = [f"{p.relative_to(ROOT)}:{node.lineno} imports {module}"
                 for p in sorted(SERVICE.rglob("*.py")) for node, module in _imports(p)
                 if module.startswith("newsgraph.loaders") and module not in LOADERS_PUBLIC]
    assert not reach_ins, "\n".join(reach_ins)


def test_the_loaders_public_face_exports_what_it_names():
    import newsgraph.loaders as loaders

    missing = [name for name in loaders.__all__ if not hasattr(loaders, name)]
    assert not missing, missing


def test_no_project_import_hides_in_a_function_body():
    hidden = []
    for p in sorted([*SERVICE.rglob("*.py"), *LOADERS.rglob("*.py")]):
        tree = ast.parse(p.read_text(encoding="utf-8"))
        top = set(tree.body)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.ImportFrom) and (inner.level > 0 or (inner.module or "").startswith(
                            "newsgraph")) and inner not in top:
                        name = inner.module or ""
                        if (str(p.relative_to(ROOT)), name) not in LAZY_ALLOWED:
                            hidden.append(f"{p.relative_to(ROOT)}:{inner.lineno} from {'.' * inner.level}{name}")
    assert not hidden, "imports inside functions (a cycle worked around?):\n" + "\n".join(hidden)


def test_every_module_imports_on_its_own():
    """Each module imported first, in a fresh interpreter: an import cycle fails here whatever the order."""
    modules = []
    for folder, package in ((SERVICE, "newsgraph.service"), (LOADERS, "newsgraph.loaders")):
        for p in sorted(folder.rglob("*.py")):
            parts = p.relative_to(folder).with_suffix("").parts
            modules.append(".".join((package, *parts)).removesuffix(".__init__"))
    script = ("import importlib, sys\nfor m in sys.argv[1:]:\n"
              "    for k in [k for k in sys.modules if k.startswith('newsgraph')]: del sys.modules[k]\n"
              "    importlib.import_module(m)\n")
    run = subprocess.run([sys.executable, "-c", script, *modules], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
