"""Query results written for the terminal and for files: table, SPARQL JSON/XML, CSV, TSV, RDF."""

from __future__ import annotations

from typing import IO

import pyoxigraph as ox

from newsgraph.loaders.vocab import PREFIXES

RESULT_FORMATS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
                  "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}
GRAPH_FORMATS = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD,
                 "xml": ox.RdfFormat.RDF_XML}
TERMINAL_FORMATS = ("table", "json", "csv", "tsv", "ttl", "xml", "nt", "jsonld")
MAX_CELL = 60


def term_json(term: object) -> dict[str, str]:
    """One RDF term in SPARQL 1.1 Query Results JSON."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = term.datatype.value
        return out
    return {"type": "literal", "value": str(term)}  # an RDF 1.2 triple term: shown as text


class FormatError(ValueError):
    pass


def write_results(results, fmt: str | None, out: IO[bytes], base: str) -> None:
    """Write SELECT/ASK solutions or CONSTRUCT/DESCRIBE triples in the asked format."""
    if isinstance(results, ox.QueryBoolean):
        if fmt in (None, "table"):
            out.write(b"true\n" if bool(results) else b"false\n")
        elif fmt in ("json", "xml", "csv", "tsv"):
            results.serialize(out, RESULT_FORMATS[fmt])
            out.write(b"\n")
        else:
            raise FormatError(f"an ASK answer cannot be written as {fmt}")
    elif isinstance(results, ox.QuerySolutions):
        if fmt in (None, "table"):
            out.write(table(results, base).encode())
        elif fmt in RESULT_FORMATS:
            results.serialize(out, RESULT_FORMATS[fmt])
        else:
            raise FormatError(f"SELECT results cannot be written as {fmt} (use table, json, xml, csv or tsv)")
    else:
        rdf_fmt = GRAPH_FORMATS.get(fmt or "ttl")
        if rdf_fmt is None:
            raise FormatError(f"a graph cannot be written as {fmt} (use ttl, nt, jsonld or xml)")
        prefixes = {**PREFIXES, "": base} if rdf_fmt == ox.RdfFormat.TURTLE else None
        ox.serialize(results, out, rdf_fmt, prefixes=prefixes)


def short(term, base: str) -> str:
    """A term as a person reads it: IRIs compacted with the usual prefixes, literals as their text."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        v = term.value
        if v.startswith(base):
            return ":" + v[len(base):]
        for prefix, ns in PREFIXES.items():
            if v.startswith(ns) and "/" not in v[len(ns):] and "#" not in v[len(ns):]:
                return f"{prefix}:{v[len(ns):]}"
        return f"<{v}>"
    if isinstance(term, ox.Literal):
        return f"{term.value}@{term.language}" if term.language else term.value
    return str(term)


def table(solutions: ox.QuerySolutions, base: str) -> str:
    columns = [v.value for v in solutions.variables]
    rows = [[_clip(short(s[c], base)) for c in columns] for s in solutions]
    widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(columns)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)),
             "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines) + "\n"


def _clip(s: str) -> str:
    s = " ".join(s.split())
    return s if len(s) <= MAX_CELL else s[:MAX_CELL - 1] + "…"
