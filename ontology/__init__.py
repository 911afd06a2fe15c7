"""The newsgraph ontology (``newsgraph.ttl``) and its SHACL shapes (``shapes.ttl``), shipped as package data."""
