"""JSON-LD in compacted form, against the context the service publishes at ``/context.jsonld``.

pyoxigraph writes expanded JSON-LD (full IRIs everywhere). People and JavaScript code read the
compacted form far more easily, and the context that compacts it is small and fixed — the prefixes
the data uses — so the compaction is done here, for that context only: keys and ``@id``/``@type``
values become compact IRIs (``nf:participant``, ``wd:Q863``), strings become plain JSON strings,
and every other literal keeps its lexical form with its ``@language`` or ``@type``. A JSON-LD
processor that expands the output against the published context gets back exactly the triples.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import pyoxigraph as ox

from loaders.vocab import PREFIXES, RDF, XSD

#: the published context: the prefixes the data uses
CONTEXT: dict = {"@context": dict(sorted(PREFIXES.items()))}
_BY_LENGTH = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))


def compact_iri(iri: str) -> str:
    """``prefix:local`` where a prefix fits and the result cannot be misread, else the IRI itself."""
    if iri.split(":", 1)[0] in PREFIXES:
        return iri  # an IRI whose scheme is a prefix name would be expanded: leave it, it is rare
    for prefix, ns in _BY_LENGTH:
        if iri.startswith(ns) and len(iri) > len(ns) and not iri[len(ns):].startswith("//"):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def _node_id(term: ox.NamedNode | ox.BlankNode) -> str:
    return f"_:{term.value}" if isinstance(term, ox.BlankNode) else compact_iri(term.value)


def _value(term) -> object:
    if isinstance(term, ox.Literal):
        if term.language:
            return {"@value": term.value, "@language": term.language}
        if term.datatype == XSD.string:
            return term.value
        return {"@value": term.value, "@type": compact_iri(term.datatype.value)}
    return {"@id": _node_id(term)}


def compact(triples: Iterable[ox.Triple], context_url: str) -> bytes:
    """A JSON-LD document of ``triples``: one node object per subject, in a ``@graph``."""
    nodes: dict[str, dict] = {}
    for t in triples:
        if not isinstance(t.subject, ox.NamedNode | ox.BlankNode):
            continue  # RDF 1.2 triple terms have no place in this context
        node = nodes.setdefault(_node_id(t.subject), {"@id": _node_id(t.subject)})
        if t.predicate == RDF.type and not isinstance(t.object, ox.Literal):
            node.setdefault("@type", []).append(_node_id(t.object))
        else:
            node.setdefault(compact_iri(t.predicate.value), []).append(_value(t.object))
    graph = []
    for key in sorted(nodes):
        node = nodes[key]
        ordered = sorted(node, key=lambda k: (k not in ("@id", "@type"), k != "@id", k))
        graph.append({k: (node[k][0] if isinstance(node[k], list) and len(node[k]) == 1 else node[k]) for k in ordered})
    return json.dumps({"@context": context_url, "@graph": graph}, ensure_ascii=False, indent=2).encode()
