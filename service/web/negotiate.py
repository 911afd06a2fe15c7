"""Content negotiation: one table of formats, and the choice of a format from Accept or ``format``.

The same table serves the SPARQL endpoint, the entity pages and the saved queries, so that a media
type, a ``format=`` value and a file suffix always mean the same thing everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

RESULTS = "results"  # SELECT and ASK
GRAPH = "graph"  # CONSTRUCT and DESCRIBE
PAGE = "page"  # a described resource: HTML for people, or its description as RDF


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    kind: str
    engine: ox.RdfFormat | ox.QueryResultsFormat | None  # None: rendered by our own code (HTML)
    names: tuple[str, ...] = ()  # values of ``format=`` and suffixes that mean this format
    also: tuple[str, ...] = ()  # other media types that mean this format

    @property
    def content_type(self) -> str:
        text = self.media_type.startswith("text/") or self.media_type.endswith(("+json", "+xml", "/json",
                                                                               "/trig", "/n-triples", "/n-quads"))
        return f"{self.media_type}; charset=utf-8" if text else self.media_type


QRF, RF = ox.QueryResultsFormat, ox.RdfFormat
#: in order of preference when the client has none
FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", RESULTS, QRF.JSON, ("json", "srj"), ("application/json",)),
    Format("xml", "application/sparql-results+xml", RESULTS, QRF.XML, ("xml", "srx"), ("application/xml", "text/xml")),
    Format("csv", "text/csv", RESULTS, QRF.CSV, ("csv",)),
    Format("tsv", "text/tab-separated-values", RESULTS, QRF.TSV, ("tsv",)),
    Format("turtle", "text/turtle", GRAPH, RF.TURTLE, ("ttl", "turtle"), ("application/x-turtle",)),
    Format("ntriples", "application/n-triples", GRAPH, RF.N_TRIPLES, ("nt", "ntriples", "n-triples"),
           ("text/plain",)),
    Format("nquads", "application/n-quads", GRAPH, RF.N_QUADS, ("nq", "nquads", "n-quads")),
    Format("trig", "application/trig", GRAPH, RF.TRIG, ("trig",)),
    Format("jsonld", "application/ld+json", GRAPH, RF.JSON_LD, ("jsonld", "json-ld", "json"), ("application/json",)),
    Format("rdfxml", "application/rdf+xml", GRAPH, RF.RDF_XML, ("rdf", "rdfxml", "xml", "owl"),
           ("application/xml", "text/xml")),
    Format("html", "text/html", PAGE, None, ("html", "htm"), ("application/xhtml+xml",)),
)
_BY_NAME = {f.name: f for f in FORMATS}
#: what a resource page offers, HTML first: browsers ask for it by name, and ``*/*`` (curl) gets it too
PAGE_FORMATS: tuple[Format, ...] = tuple(_BY_NAME[n] for n in ("html", "turtle", "jsonld", "ntriples", "rdfxml"))
#: the file suffix that names each page format (``/id/country/russia.ttl``)
SUFFIXES: dict[str, Format] = {"html": _BY_NAME["html"], "ttl": _BY_NAME["turtle"], "jsonld": _BY_NAME["jsonld"],
                               "nt": _BY_NAME["ntriples"], "rdf": _BY_NAME["rdfxml"]}
SUFFIX_OF = {f.name: s for s, f in SUFFIXES.items()}
#: what a saved query answers: plain JSON rows first (the contract's default), then the SPARQL forms
SAVED_FORMATS: tuple[Format, ...] = (
    Format("rows", "application/json", RESULTS, None, ("json", "rows")),
    Format("csv", "text/csv", RESULTS, QRF.CSV, ("csv",)),
    Format("tsv", "text/tab-separated-values", RESULTS, QRF.TSV, ("tsv",)),
    Format("srj", "application/sparql-results+json", RESULTS, QRF.JSON, ("srj", "sparql-json", "sparql")),
    _BY_NAME["html"],
)


class NotAcceptable(Exception):
    """Nothing the client accepts can be produced; the message lists what can."""


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """``Accept`` as (media range, q) pairs; malformed parts are skipped, as browsers do."""
    ranges: list[tuple[str, float]] = []
    for part in (header or "").split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if "/" not in media:
            continue
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        ranges.append((media, q))
    return ranges


def _quality(fmt: Format, ranges: list[tuple[str, float]]) -> float:
    """The q of the most specific range matching the format (RFC 9110 §12.5.1)."""
    best, specificity = 0.0, -1
    for media in (fmt.media_type, *fmt.also):
        major = media.split("/")[0]
        for pattern, q in ranges:
            if pattern == media:
                s = 2
            elif pattern == f"{major}/*" and media == fmt.media_type:  # text/* is not a request for text/xml
                s = 1
            elif pattern == "*/*":
                s = 0
            else:
                continue
            if s > specificity or (s == specificity and q > best):
                best, specificity = q, s
    return best


def choose(kind: str | tuple[Format, ...], accept: str | None = None, fmt: str | None = None) -> Format:
    """The format for a result of ``kind`` (or one of the ``kind`` formats given, in order of preference):
    ``fmt`` (a name or media type) wins over ``accept``."""
    candidates = [f for f in FORMATS if f.kind == kind] if isinstance(kind, str) else list(kind)
    if fmt:  # one value or a comma-separated list, as SPARQLWrapper sends; the first that fits wins
        for wanted in (w.strip().lower() for w in fmt.split(",")):
            for f in candidates:
                if wanted in f.names or wanted == f.media_type or wanted in f.also:
                    return f
        if not accept:
            raise NotAcceptable(f"format={fmt!r} cannot be produced for this request; use one of "
                                + ", ".join(f.names[0] for f in candidates))
        # a format this query cannot take (csv for a CONSTRUCT, n3…): the Accept header decides
    ranges = parse_accept(accept)
    if not ranges:
        return candidates[0]
    scored = [(_quality(f, ranges), -i, f) for i, f in enumerate(candidates)]
    q, _, best = max(scored, key=lambda t: (t[0], t[1]))
    if q <= 0:
        raise NotAcceptable("none of the accepted media types can be produced for this request; available: "
                            + ", ".join(f.media_type for f in candidates))
    return best
