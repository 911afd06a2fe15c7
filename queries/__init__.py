"""The saved SPARQL queries (``*.rq``), shipped as package data; ``NEWSGRAPH_QUERIES`` names a folder of your own."""
