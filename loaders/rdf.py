"""RDF files → quads per graph.

A file's named graphs keep their names (an N-Quads or TriG export loads back as it was). Triples
that a file puts in the default graph — all of them, for Turtle, N-Triples, JSON-LD and RDF/XML —
go to a graph of their own, ``{base}graph/file/{name}``, named after the file, so that loading
the file again replaces them instead of piling up. Relative IRIs resolve against the data's base.
JSON-LD is parsed by pyoxigraph, which never fetches a remote ``@context``.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.parsers import expat

import pyoxigraph as ox

from .folding import fold
from .records import Problem
from .vocab import ENTITY_CLASSES, NF, RDF, RDFS, SKOS, Iris

ENTITY_CLASS_NODES = frozenset(ENTITY_CLASSES.values())

FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES, ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG, ".jsonld": ox.RdfFormat.JSON_LD, ".rdf": ox.RdfFormat.RDF_XML,
}
_LINE = re.compile(r"line (\d+)|(\d+):\d+")


def slug(name: str) -> str:
    """A file name as an id: lower-cased, anything but a-z, 0-9 and '-' turned into '-'."""
    s = re.sub(r"[^a-z0-9-]", "-", name.lower()).strip("-")
    return s or "file"


def _xml_error_line(path: Path) -> int:
    """pyoxigraph's RDF/XML errors carry no position; expat finds the line of an XML error."""
    parser = expat.ParserCreate()
    try:
        with path.open("rb") as f:
            parser.ParseFile(f)
    except expat.ExpatError as e:
        return e.lineno
    return 1


MAX_ENTITY_VALUE = 4096  # characters of an XML entity's replacement text
MAX_ENTITY_EXPANSION = 64 * 1024 * 1024  # characters all references to entities may expand to, together


class _DoctypeEnd(Exception):
    pass


def xml_entity_problems(path: Path, display: str) -> list[Problem]:
    """Entity declarations pyoxigraph's RDF/XML parser would expand without bound, refused before it runs.

    The parser expands entities within entities recursively: ten nested entities of ten references
    each (a "billion laughs" file of 1 KB) made it ask for 4.8 GB and abort the process. RDF/XML
    files use entities to shorten namespace IRIs; those stay allowed: a value without references,
    within ``MAX_ENTITY_VALUE``, and all their uses within ``MAX_ENTITY_EXPANSION`` (a long entity
    used a million times is the same attack, flatter). External entities are refused too (nothing is
    fetched or read).
    """
    problems: list[Problem] = []
    values: dict[str, str] = {}
    parser = expat.ParserCreate()

    def declared(name, is_parameter, value, base, system_id, public_id, notation) -> None:
        line = parser.CurrentLineNumber
        if is_parameter:
            problems.append(Problem(display, line, f"parameter entity %{name}; is not accepted in RDF/XML"))
        elif value is None:
            problems.append(Problem(display, line, f"external entity &{name}; is not accepted: nothing is "
                                                   "fetched or read from outside the file"))
        elif "&" in value or "%" in value:
            problems.append(Problem(display, line, f"entity &{name}; refers to other entities: nested "
                                                   "entities are not accepted (they can expand without bound)"))
        elif len(value) > MAX_ENTITY_VALUE:
            problems.append(Problem(display, line, f"entity &{name}; is longer than {MAX_ENTITY_VALUE} characters"))
        else:
            values[name] = value

    def doctype_end() -> None:
        raise _DoctypeEnd

    def element(name, attributes) -> None:  # no DOCTYPE before the root: nothing to check
        raise _DoctypeEnd

    parser.EntityDeclHandler = declared
    parser.EndDoctypeDeclHandler = doctype_end
    parser.StartElementHandler = element
    try:
        with path.open("rb") as f:
            parser.ParseFile(f)
    except (_DoctypeEnd, expat.ExpatError):  # an XML error is reported by the RDF/XML parser itself
        pass
    except OSError as e:
        return [Problem(display, 1, f"cannot read: {e}")]
    if values and not problems:
        text = path.read_bytes().decode("utf-8", "replace")
        uses = re.findall(r"&([^\s;&<>]+);", text)
        expanded = sum(len(values.get(name, "")) for name in uses)
        if expanded > MAX_ENTITY_EXPANSION:
            problems.append(Problem(display, 1, f"the file's entities expand to {expanded:,} characters, more "
                                                f"than {MAX_ENTITY_EXPANSION:,}: write the values out"))
    return problems


def read_rdf(path: Path, display: str, iris: Iris) -> tuple[dict[ox.NamedNode, list[ox.Quad]], list[Problem]]:
    fmt = FORMATS[path.suffix.lower()]
    if fmt == ox.RdfFormat.RDF_XML and (problems := xml_entity_problems(path, display)):
        return {}, problems
    own = iris.file_graph(slug(path.stem))
    graphs: dict[ox.NamedNode, list[ox.Quad]] = {}
    try:
        for q in ox.parse(path=str(path), format=fmt, base_iri=iris.base):
            g = q.graph_name
            if isinstance(g, ox.DefaultGraph):
                g = own
                q = ox.Quad(q.subject, q.predicate, q.object, own)
            elif isinstance(g, ox.BlankNode):
                return {}, [Problem(display, 1, "a graph named by a blank node cannot be loaded: name it with an IRI")]
            graphs.setdefault(g, []).append(q)
    except SyntaxError as e:
        message = str(e)
        m = _LINE.search(message)
        line = int(m.group(1) or m.group(2)) if m else _xml_error_line(path) if fmt == ox.RdfFormat.RDF_XML else 1
        return {}, [Problem(display, line, f"invalid {path.suffix[1:]} data: {message}")]
    except (OSError, ValueError) as e:
        return {}, [Problem(display, 1, f"cannot read: {e}")]
    if not graphs:
        return {}, [Problem(display, 1, "the file holds no triples")]
    for quads in graphs.values():
        quads += search_keys(quads)
    return graphs, []


def search_keys(quads: list[ox.Quad]) -> list[ox.Quad]:
    """``nf:searchKey`` for the names of the entities a file describes, as fact-sheet entities get them
    (the only triples a file gains: what it says is loaded as it is)."""
    entities = {q.subject for q in quads if q.predicate == RDF.type and q.object in ENTITY_CLASS_NODES}
    have = {q.subject for q in quads if q.predicate == NF.searchKey}
    keys: dict[tuple, ox.Quad] = {}
    for q in quads:
        if q.subject in entities and q.subject not in have and q.predicate in (RDFS.label, SKOS.altLabel) \
                and isinstance(q.object, ox.Literal):
            key = fold(q.object.value)
            if key:
                keys.setdefault((q.subject, key, q.graph_name),
                                ox.Quad(q.subject, NF.searchKey, ox.Literal(key), q.graph_name))
    return list(keys.values())
