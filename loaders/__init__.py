"""Loaders: turn fact sheets, entity registries, RDF files and arms-transfer tables into records and quads.

They are pure: they read files and the entities already known (handed to them) and return records,
quads and problems. They never open the store and never import Flask, so they can be tested,
benchmarked and reused on their own.

This module is their public face: the service imports what it needs from here, from
:mod:`~newsgraph.loaders.vocab` (namespaces and IRIs) and from :mod:`~newsgraph.loaders.ontology`
(the ontology's files and tables), never from the other modules, so they can change freely.
"""

from .entities import STORE, Registry, entities_from
from .extract import LANGUAGES as EXTRACT_LANGUAGES
from .extract import article_id_from, draft_sheet, read_registries, sheet_yaml
from .folding import fold
from .mapping import entity_quads
from .plan import Plan, plan_load, worker_context, worker_pool
from .progress import SILENT, Progress
from .records import Entity, InputError, Problem
from .units import Unit
from .yamlnodes import Mapping, Scalar, Sequence, parse_yaml

__all__ = ["EXTRACT_LANGUAGES", "SILENT", "STORE", "Entity", "InputError", "Mapping", "Plan", "Problem", "Progress",
           "Registry", "Scalar", "Sequence", "Unit", "article_id_from", "draft_sheet", "entities_from",
           "entity_quads", "fold", "parse_yaml", "plan_load", "read_registries", "sheet_yaml", "worker_context",
           "worker_pool"]
