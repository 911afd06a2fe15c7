"""Query text and saved queries: reading SPARQL text safely (prefixes, SERVICE targets, nesting),
the saved-query definitions in ``queries/*.rq``, their parameters, and result formats for the terminal."""
