"""Loaders: turn fact sheets, entity registries, RDF files and arms-transfer tables into records and quads.

They are pure: they read files and the entities already known (handed to them) and return records,
quads and problems. They never open the store and never import Flask, so they can be tested,
benchmarked and reused on their own.
"""
