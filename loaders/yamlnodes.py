"""YAML read into values that remember their line.

PyYAML's constructors drop positions and apply YAML 1.1 guesses (``no`` becomes False, ``2023-11``
stays a string but ``2023-11-22`` becomes a date). Reading the composed node tree instead keeps
every scalar as the text the author wrote, with its line, and leaves typing to the field that
reads it. Shared nodes (anchors/aliases) are converted once, so alias bombs cost nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from .records import InputError, Problem

if TYPE_CHECKING:  # one base class for the type checker: the two offer the same interface
    _Base = yaml.SafeLoader
else:
    try:
        _Base = yaml.CSafeLoader
    except AttributeError:  # PyYAML built without libyaml
        _Base = yaml.SafeLoader

_TAG = "tag:yaml.org,2002:"
_KIND_TAGS = {yaml.ScalarNode: _TAG + "str", yaml.SequenceNode: _TAG + "seq", yaml.MappingNode: _TAG + "map"}
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))


class _Loader(_Base):
    """Skips YAML 1.1's implicit typing (a regex per scalar): fields type their own values."""

    def resolve(self, kind: type[yaml.Node], value: str | None, implicit: bool | tuple[bool, bool]) -> str:
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


MAX_DEPTH = 50  # levels of nesting; a sheet needs five


def parse_yaml(text: str, display: str) -> Value | None:
    # a mark at the end of the text stands on the line after the last one when there is no final newline
    last = max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.reader.ReaderError as e:  # a character YAML does not allow; its mark has no line
        line = text.encode("utf-8", "surrogatepass")[:e.position].count(b"\n") + 1  # libyaml: a byte offset
        char = e.character if isinstance(e.character, str) else chr(e.character)
        raise InputError([Problem(display, line, f"invalid YAML: the character {char!r} is not allowed "
                                                  "(control characters other than tab and line breaks)")]) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 1
        raise InputError([Problem(display, min(line, last), f"invalid YAML: {e.problem or e}")]) from None
    except yaml.YAMLError as e:
        raise InputError([Problem(display, 1, f"invalid YAML: {e}")]) from None
    except RecursionError:
        raise InputError([Problem(display, 1, f"nested deeper than {MAX_DEPTH} levels")]) from None
    if node is None or (isinstance(node, yaml.ScalarNode) and not node.style and not node.value):
        return None  # nothing but directives, comments or a bare ---: an empty file
    problems: list[Problem] = []
    value = _convert(node, {}, problems, display, 0)
    if problems:
        raise InputError(problems)
    return value


def _convert(node: yaml.Node, seen: dict[int, Value], problems: list[Problem], display: str, depth: int) -> Value:
    key = id(node)
    if key in seen:
        return seen[key]
    line = node.start_mark.line + 1
    if depth > MAX_DEPTH and not isinstance(node, yaml.ScalarNode):
        if not any(p.message.startswith("nested deeper") for p in problems):
            problems.append(Problem(display, line, f"nested deeper than {MAX_DEPTH} levels"))
        return Scalar("", line, "null")
    if isinstance(node, yaml.ScalarNode):
        plain_null = not node.style and node.value in _NULLS and node.tag == _TAG + "str"
        out: Value = Scalar(node.value, line, "null" if plain_null else "str")
    elif isinstance(node, yaml.SequenceNode):
        seq = Sequence(line)
        seen[key] = seq
        seq.extend(_convert(child, seen, problems, display, depth + 1) for child in node.value)
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
            mapping[k] = _convert(vnode, seen, problems, display, depth + 1)
        out = mapping
    seen[key] = out
    return out
