"""The registry a draft is made against: the store's entities and the registry files given, read and merged
by the loaders' own reader, so that a draft names exactly what `newsgraph validate` will accept."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..entities import Registry
from ..records import Entity, Problem
from ..sheets import read_yaml_file


def read_registries(paths: Iterable[Path], known: Iterable[Entity] = ()) -> tuple[Registry, list[Problem]]:
    """The entities ``known`` (the store's) with those of each registry file; every problem as FILE:LINE."""
    registry = Registry(known)
    problems: list[Problem] = []
    for path in paths:
        sheet = read_yaml_file(path, str(path))
        problems += sheet.problems
        if sheet.article is not None:
            problems.append(Problem(str(path), 1, "this is a fact sheet, not a registry: give a list of entities "
                                                  "(or a mapping with `entities:`)"))
            continue
        for e in sheet.entities:
            problems += registry.declare(e)[1]
    return registry, sorted(set(problems))
