"""JSON-LD in compacted form, with its context inline (the one published at ``/context.jsonld``).

pyoxigraph writes expanded JSON-LD (full IRIs everywhere). People and JavaScript code read the
compacted form far more easily, and the context that compacts it is small and fixed — the prefixes
the data uses — so the compaction is done here, for that context only: keys and ``@id``/``@type``
values become compact IRIs (``nf:participant``, ``wd:Q863``), strings become plain JSON strings,
and every other literal keeps its lexical form with its ``@language`` or ``@type``. A JSON-LD
processor that expands the output gets back exactly the triples.

The context is written into every document rather than named by URL: a client offline, behind a
proxy, or reading a service whose base IRI is not where it runs could not fetch it, and fetching
remote contexts is a risk consumers rightly avoid. It is a few hundred bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import pyoxigraph as ox

from newsgraph.loaders.vocab import PREFIXES, RDF, XSD

#: the published context: the prefixes the data uses
CONTEXT: dict = {"@context": dict(sorted(PREFIXES.items()))}
_BY_LENGTH = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))


def compact_iri(iri: str, plain: frozenset[str] = frozenset()) -> str:
    """``prefix:local`` where a prefix fits and the result cannot be misread, else the IRI itself.
    ``plain``: prefixes switched off in this document (see :func:`compact`)."""
    for prefix, ns in _BY_LENGTH:
        if prefix not in plain and iri.startswith(ns) and len(iri) > len(ns) and not iri[len(ns):].startswith("//"):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def compact(triples: Iterable[ox.Triple]) -> bytes:
    """A JSON-LD document of ``triples``: one node object per subject, in a ``@graph``.

    An IRI whose scheme is one of the prefix names (``wd:Q1`` as an IRI of its own) would be read as a
    compact IRI and expanded: the document then leaves that prefix out of its context and writes its
    IRIs in full, so it still expands to exactly its triples.
    """
    triples = list(triples)
    terms = {term.value for t in triples for term in (t.subject, t.predicate, t.object)
             if isinstance(term, ox.NamedNode)}
    terms |= {t.object.datatype.value for t in triples if isinstance(t.object, ox.Literal)}
    plain = frozenset(iri.split(":", 1)[0] for iri in terms if iri.split(":", 1)[0] in PREFIXES)

    def node_id(term) -> str:
        return f"_:{term.value}" if isinstance(term, ox.BlankNode) else compact_iri(term.value, plain)

    def value(term) -> object:
        if isinstance(term, ox.Literal):
            if term.language:
                return {"@value": term.value, "@language": term.language}
            if term.datatype == XSD.string:
                return term.value
            return {"@value": term.value, "@type": compact_iri(term.datatype.value, plain)}
        return {"@id": node_id(term)}

    nodes: dict[str, dict] = {}
    for t in triples:
        if not isinstance(t.subject, ox.NamedNode | ox.BlankNode):
            continue  # RDF 1.2 triple terms have no place in this context
        key = node_id(t.subject)
        node = nodes.setdefault(key, {"@id": key})
        if t.predicate == RDF.type and not isinstance(t.object, ox.Literal):
            node.setdefault("@type", []).append(node_id(t.object))
        else:
            node.setdefault(compact_iri(t.predicate.value, plain), []).append(value(t.object))
    graph = []
    for key in sorted(nodes):
        node = nodes[key]
        ordered = sorted(node, key=lambda k: (k not in ("@id", "@type"), k != "@id", k))
        graph.append({k: (node[k][0] if isinstance(node[k], list) and len(node[k]) == 1 else node[k]) for k in ordered})
    context = {prefix: ns for prefix, ns in CONTEXT["@context"].items() if prefix not in plain}
    return json.dumps({"@context": context, "@graph": graph}, ensure_ascii=False, indent=2).encode()
