"""Saved queries: ``queries/{name}.rq`` files, their headers, and the checks made before serving them.

A file is SPARQL with a header of ``#+`` comment lines holding YAML (the format is documented in
``queries/README.md``). Parameters are written ``$name`` in the query and nothing else is: the sigil
makes a parameter visible to the reader and lets the checks tell a declared parameter from a typo.

Values are never put into query text by hand. A request's values, once checked and turned into RDF
terms (:mod:`newsgraph.service.sparql.params`), are bound by a ``VALUES`` block serialised from those terms and placed
at the start of the query's ``WHERE`` group — the same for the embedded store and a remote engine.
Every check below runs when the service starts; a file that fails one stops it, naming FILE:LINE.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pyoxigraph as ox

from newsgraph.loaders import InputError, Mapping, Problem, Scalar, Sequence, parse_yaml
from newsgraph.loaders.vocab import PREFIXES
from newsgraph.service.sparql.definitions import Param, SavedQuery
from newsgraph.service.sparql.params import BadValue, example_term, term
from newsgraph.service.sparql.stored import GROUPINGS, NotStorable, StoredForm, stored_form
from newsgraph.service.sparql.text import remote_targets, tokens, where_brace

QUERIES_DIR = Path(str(resources.files("newsgraph.queries")))  # package data: found in a checkout and a wheel
NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
TYPES = ("entity", "iri", "string", "langstring", "integer", "decimal", "boolean", "date", "enum")
PARAM_FIELDS = {"type", "required", "default", "example", "description", "multiple", "values", "min", "max",
                "fold", "max_length", "var"}
HEADER_FIELDS = {"summary", "description", "params", "tags", "stored"}


class QueryFileError(InputError):
    """Every problem with the saved-query files, as ``FILE:LINE: message``."""


def load_queries(folder: Path = QUERIES_DIR) -> dict[str, SavedQuery]:
    """Read and check every ``*.rq`` in ``folder``; raise :class:`QueryFileError` listing all problems."""
    problems: list[Problem] = []
    found: dict[str, SavedQuery] = {}
    if not folder.is_dir() or not any(folder.glob("*.rq")):
        raise QueryFileError([Problem(str(folder), 1, "no saved queries here: a folder of .rq files is needed "
                                                      "(NEWSGRAPH_QUERIES names it)")])
    for path in sorted(folder.glob("*.rq")):
        try:
            q = read_query(path)
        except InputError as e:
            problems += e.problems
            continue
        found[q.name] = q
    if problems:
        raise QueryFileError(problems)
    return found


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def read_query(path: Path) -> SavedQuery:
    display = _display(path)
    name = path.stem
    text = path.read_text(encoding="utf-8-sig")  # an editor's byte-order mark is no part of the query
    problems: list[Problem] = []

    def problem(line: int, message: str) -> None:
        problems.append(Problem(display, line, message))

    if not NAME.match(name):
        problem(1, f"the file name must be the query's name: lower-case letters, digits and '-', not {name!r}")
    lines = text.splitlines()
    # the header: '#+' lines, read as YAML with every other line blank so that line numbers still agree
    header_text = "\n".join(line[3:] if line.startswith("#+ ") else line[2:] if line.startswith("#+") else ""
                            for line in lines)
    try:
        header = parse_yaml(header_text, display)
    except InputError as e:
        raise QueryFileError(e.problems) from None
    if not isinstance(header, Mapping):
        raise QueryFileError([Problem(display, 1, "the file needs a header of '#+ ' lines: summary, description "
                                                   "and params (see queries/README.md)")])
    for key in header:
        if key not in HEADER_FIELDS:
            problem(header.key_lines[key], f"unknown header field '{key}'; use " + ", ".join(sorted(HEADER_FIELDS)))
    summary = _text(header.get("summary"))
    if not summary:
        problem(header.line, "the header needs a one-line `summary`")
    params = _params(header.get("params"), header.key_lines.get("params", header.line), problem)
    tags = [str(t) for t in header.get("tags", [])] if isinstance(header.get("tags"), Sequence) else []

    # the query itself
    toks = tokens(text)
    used: dict[str, int] = {}  # where each $variable is first used outside any sub-SELECT
    nested: dict[str, int] = {}  # … or only inside one, where the bound value never reaches
    plain: set[str] = set()
    subselects: list[int] = []  # brace depths at which a sub-SELECT's group stands
    for t in toks:
        while subselects and t.depth < subselects[-1]:
            subselects.pop()
        if t.kind == "word" and t.text.upper() == "SELECT" and t.depth > 0:
            subselects.append(t.depth)
        elif t.kind == "word" and t.text[:1] == "$":
            (nested if subselects else used).setdefault(t.text[1:], _line(text, t.start))
        elif t.kind == "word" and t.text[:1] == "?":
            plain.add(t.text[1:])
    for var, line in nested.items():
        if var not in used:
            problem(line, f"${var} is used only inside a sub-SELECT, which a bound value does not reach: "
                          "use it in the outer query")
    declared = {p.var: p for p in params}
    for var, line in used.items():
        if var not in declared:
            problem(line, f"${var} looks like a parameter but the header does not declare it")
    for p in params:
        if p.var not in used:
            problem(p.line, f"parameter '{p.name}' is declared but the query never uses ${p.var}")
        if p.var in plain:
            problem(p.line, f"parameter '{p.name}' is also written ?{p.var}: write it ${p.var} everywhere")
    for keyword, iri in remote_targets(text):
        line = next((_line(text, t.start) for t in toks if t.kind == "word" and t.text.upper() == keyword), 1)
        problem(line, f"a saved query may not use {keyword} ({iri or 'a variable target'})")
    seen_vars: dict[str, str] = {}
    for p in params:
        if p.var in seen_vars:
            problem(p.line, f"parameters '{seen_vars[p.var]}' and '{p.name}' both bind ${p.var}")
        seen_vars.setdefault(p.var, p.name)
        for key in ("default", "example"):
            value = getattr(p, key)
            if value is not None and p.type != "entity":  # entities are resolved against the data
                try:
                    term(p, value, None)
                except BadValue as e:
                    problem(p.line, f"the {key} of '{p.name}' does not fit its type: {e}")
    where = where_brace(text)
    columns: list[str] = []
    if not problems:
        columns = _check_runs(text, where, params, display, problems)
    if where is None and not problems:
        problem(1, "no WHERE group found")
    if problems or where is None:
        raise QueryFileError(problems)
    q = SavedQuery(name, path, text, summary, _text(header.get("description")), params, columns, where, tags)
    flag = header.get("stored")
    if flag is not None:
        if str(flag) not in ("true", "false", *GROUPINGS[1:]):
            problem(header.key_lines["stored"], f"`stored` is true, false or one of {', '.join(GROUPINGS[1:])}")
        elif str(flag) != "false":
            try:
                q.stored = stored_form(q, "article" if str(flag) == "true" else str(flag))
            except NotStorable as e:
                problem(header.key_lines["stored"], f"the load cannot store this query's rows: {e}")
        if problems:
            raise QueryFileError(problems)
    return q


def stored_forms(folder: str = "") -> list[StoredForm]:
    """The stored forms of the saved queries in ``folder`` ("": the project's) that ask for one; none when
    a query file is wrong (the server does not start then, and the rows are made by the next load)."""
    try:
        found = load_queries(Path(folder)) if folder else load_queries()
    except QueryFileError:
        return []
    return [q.stored for q in found.values() if q.stored is not None]


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _text(value) -> str:
    return " ".join(str(value).split()) if isinstance(value, Scalar) and not value.is_null else ""


def _params(node, line: int, problem) -> list[Param]:
    if node is None:
        return []
    if not isinstance(node, Mapping):
        problem(line, "`params` must map each parameter's name to its description")
        return []
    out = []
    for name, spec in node.items():
        pline = node.key_lines[name]
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            problem(pline, f"parameter name '{name}' must be a SPARQL variable name (letters, digits, _)")
            continue
        if name in ("limit", "offset", "format"):
            problem(pline, f"'{name}' is reserved for paging and formats; name the parameter otherwise")
            continue
        if not isinstance(spec, Mapping):
            problem(pline, f"parameter '{name}' needs a mapping: type, required, default, example, description")
            continue
        for key in spec:
            if key not in PARAM_FIELDS:
                problem(spec.key_lines[key], f"unknown field '{key}' for parameter '{name}'; use "
                        + ", ".join(sorted(PARAM_FIELDS)))
        ptype = str(spec.get("type", ""))
        if ptype not in TYPES:
            problem(spec.key_lines.get("type", pline), f"parameter '{name}' needs a `type`: " + ", ".join(TYPES))
            continue
        var = str(spec.get("var", "")) or name
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", var):
            problem(spec.key_lines.get("var", pline), f"`var` must be a SPARQL variable name, not {var!r}")
        p = Param(name, ptype, line=pline, description=_text(spec.get("description")), var=var)
        for flag in ("required", "multiple", "fold"):
            value = spec.get(flag)
            if value is not None:
                if str(value) not in ("true", "false"):
                    problem(spec.key_lines[flag], f"`{flag}` is true or false")
                setattr(p, flag, str(value) == "true")
        for key in ("default", "example"):
            value = spec.get(key)
            if value is not None:
                if not isinstance(value, Scalar):
                    problem(spec.key_lines[key], f"`{key}` must be one value")
                else:
                    setattr(p, key, str(value))
        values = spec.get("values")
        if ptype == "enum":
            if not isinstance(values, Sequence) or not values:
                problem(spec.key_lines.get("values", pline), f"enum parameter '{name}' needs `values`: a list")
            else:
                p.values = tuple(str(v) for v in values)
        for key in ("min", "max", "max_length"):
            value = spec.get(key)
            if value is not None:
                try:
                    setattr(p, key, int(value) if key == "max_length" or ptype == "integer" else float(value))
                except ValueError:
                    problem(spec.key_lines[key], f"`{key}` must be a number")
        if p.required and p.default is not None:
            problem(pline, f"parameter '{name}' is required and has a default: choose one")
        out.append(p)
    return out


def _check_runs(text: str, where: int | None, params: list[Param], display: str, problems: list[Problem]) -> list[str]:
    """Parse the query as it will run — on an empty store, once unbound and once with every parameter bound to a
    value of its type — and return its projected columns. Only SELECT queries pass: nothing can write."""
    empty = ox.Store()
    try:
        result = empty.query(text, prefixes=PREFIXES)
    except SyntaxError as e:
        at = re.search(r"error at (\d+):", str(e))
        problems.append(Problem(display, int(at.group(1)) if at else 1, f"not a valid SPARQL query: {e}"))
        return []
    if not isinstance(result, ox.QuerySolutions):
        problems.append(Problem(display, 1, "a saved query must be a SELECT query"))
        return []
    columns = [v.value for v in result.variables]
    if where is None:
        return columns
    q = SavedQuery("check", Path(display), text, "", "", params, columns, where)
    try:
        empty.query(q.bound({p.name: [example_term(p)] for p in params}), prefixes=PREFIXES)
    except SyntaxError as e:
        problems.append(Problem(display, 1, f"the query does not parse once its parameters are bound: {e}"))
    return columns
