"""SHACL validation of an article's graph, with results pointed back at sheet lines.

The data graph is the article's quads plus the rdf:type of each entity it references, so shapes
can check that a supplier is a country or an organisation without loading the whole registry.
Two engines give the same results (the tests hold them to it): the compiled SHACL Core validator
of :mod:`newsgraph.loaders.shaclcore`, used by default because it is some 200 times faster, and pyshacl,
selected with ``engine="pyshacl"`` (the service's ``NEWSGRAPH_SHACL=pyshacl``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from .ontology import SHAPES_FILE
from .shaclcore import VIOLATION, Validator


@dataclass(frozen=True)
class Violation:
    focus: str
    path: str | None
    message: str


@lru_cache(maxsize=4)
def shapes_graph(shapes: Path = SHAPES_FILE):
    import rdflib  # only the pyshacl engine needs rdflib; importing it costs 0.1 s per process

    return rdflib.Graph().parse(shapes, format="turtle")


@lru_cache(maxsize=1)
def shapes_digest() -> str:
    """Changes when the shapes change, so an unchanged article is re-validated after a shapes update."""
    return hashlib.sha256(SHAPES_FILE.read_bytes()).hexdigest()[:16]


def to_rdflib(triples: Sequence[ox.Triple | ox.Quad]):
    """Copy pyoxigraph triples (or quads, graph dropped) into an rdflib graph through N-Triples."""
    import rdflib

    data = ox.serialize((ox.Triple(t.subject, t.predicate, t.object) for t in triples), format=ox.RdfFormat.N_TRIPLES)
    return rdflib.Graph().parse(data=data, format="nt")


@lru_cache(maxsize=4)
def fast_validator(shapes: Path = SHAPES_FILE) -> Validator:
    return Validator(shapes)


ENGINES = ("fast", "pyshacl")


def check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise ValueError(f"the SHACL engine must be one of {', '.join(ENGINES)}, not {engine!r}")


def validate(triples: Sequence[ox.Triple | ox.Quad], engine: str = "fast",
             shapes: Path = SHAPES_FILE) -> list[Violation]:
    """Violations of the shapes (results of severity sh:Violation: a warning never blocks a load);
    ``engine`` is "fast" (the compiled validator) or "pyshacl"."""
    check_engine(engine)
    if engine == "pyshacl":
        return validate_pyshacl(triples, shapes)
    return [Violation(r.focus, r.path, r.message) for r in fast_validator(shapes).validate(triples)
            if r.severity == VIOLATION]


def validate_pyshacl(triples: Sequence[ox.Triple | ox.Quad], shapes: Path = SHAPES_FILE) -> list[Violation]:
    import pyshacl
    import rdflib
    from rdflib.namespace import SH  # imported here: it is slow to import and only loading needs it

    data = to_rdflib(triples)
    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes_graph(shapes), inference="none",
                                           advanced=True, allow_warnings=False)
    if conforms:
        return []
    out = []
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        severity = report.value(result, SH.resultSeverity)
        if severity is not None and severity != SH.Violation:
            continue
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        messages = [str(m) for m in report.objects(result, SH.resultMessage)]
        text = messages[0] if messages else "violates a SHACL constraint"
        out.append(Violation(str(focus), str(path) if isinstance(path, rdflib.URIRef) else None, text))
    return sorted(set(out), key=lambda v: (v.focus, v.path or "", v.message))
