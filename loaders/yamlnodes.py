"""YAML read into values that remember their line.

PyYAML's constructors drop positions and apply YAML 1.1 guesses (``no`` becomes False, ``2023-11``
stays a string but ``2023-11-22`` becomes a date). Reading the composed node tree instead keeps
every scalar as the text the author wrote, with its line, and leaves typing to the field that
reads it. Shared nodes (anchors/aliases) are converted once, so alias bombs cost nothing.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .records import InputError, Problem

try:
    _Base = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _Base = yaml.SafeLoader  # type: ignore[misc]

_TAG = "tag:yaml.org,2002:"
_KIND_TAGS = {yaml.ScalarNode: _TAG + "str", yaml.SequenceNode: _TAG + "seq", yaml.MappingNode: _TAG + "map"}
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """Skips YAML 1.1's implicit typing (a regex per scalar): fields type their own values."""

    def resolve(self, kind, value, implicit):
        return _KIND_TAGS[kind]



class Scalar(str):
    """A scalar's text; ``tag`` is ``null`` for a plain empty, ``~`` or ``null`` scalar, else ``str``."""

    line: int
    tag: str

    def __new__(cls, value: str, line: int, tag: str) -> Scalar:
        obj = super().__new__(cls, value)
        obj.line = line
        obj.tag = tag
        return obj

    @property
    def is_null(self) -> bool:
        return self.tag == "null"


class Mapping(dict):
    """A mapping whose keys are plain strings; ``key_lines`` says where each key stands."""

    line: int

    def __init__(self, line: int):
        super().__init__()
        self.line = line
        self.key_lines: dict[str, int] = {}


class Sequence(list):
    line: int

    def __init__(self, line: int):
        super().__init__()
        self.line = line


Value = Scalar | Mapping | Sequence

def read_yaml(path: Path, display: str) -> Value | None:
    """Read one YAML file; raise InputError with ``FILE:LINE`` problems when it is not valid YAML."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise InputError([Problem(display, 1, f"not UTF-8 text ({e.reason} at byte {e.start})")]) from None
    except OSError as e:
        raise InputError([Problem(display, 1, f"cannot read: {e.strerror}")]) from None
    return parse_yaml(text, display)


def parse_yaml(text: str, display: str) -> Value | None:
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 1
        raise InputError([Problem(display, line, f"invalid YAML: {e.problem or e}")]) from None
    except yaml.YAMLError as e:
        raise InputError([Problem(display, 1, f"invalid YAML: {e}")]) from None
    if node is None:
        return None
    problems: list[Problem] = []
    value = _convert(node, {}, problems, display)
    if problems:
        raise InputError(problems)
    return value


def _convert(node: yaml.Node, seen: dict[int, Value], problems: list[Problem], display: str) -> Value:
    key = id(node)
    if key in seen:
        return seen[key]
    line = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode):
        plain_null = node.style is None and node.value in _NULLS and node.tag == _TAG + "str"
        out: Value = Scalar(node.value, line, "null" if plain_null else "str")
    elif isinstance(node, yaml.SequenceNode):
        seq = Sequence(line)
        seen[key] = seq
        seq.extend(_convert(child, seen, problems, display) for child in node.value)
        out = seq
    else:
        mapping = Mapping(line)
        seen[key] = mapping
        for knode, vnode in node.value:
            if not isinstance(knode, yaml.ScalarNode):
                problems.append(Problem(display, knode.start_mark.line + 1, "a key must be a plain word"))
                continue
            k = knode.value
            if k in mapping:
                problems.append(
                    Problem(display, knode.start_mark.line + 1,
                            f"duplicate key '{k}' (first at line {mapping.key_lines[k]})")
                )
                continue
            mapping.key_lines[k] = knode.start_mark.line + 1
            mapping[k] = _convert(vnode, seen, problems, display)
        out = mapping
    seen[key] = out
    return out
