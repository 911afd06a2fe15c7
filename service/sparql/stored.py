"""How a list query's answer is stored per version, and which requests the stored rows can answer.

Why: the engine must read every fact of an entity, with its date, before it can return the first
page of that entity's list, so a list's cost follows the entity (seconds for the busiest ones), not the
page. The load stores each list query's rows instead (:mod:`newsgraph.service.store.answers`), and a
page becomes a range read. The rows are the query's own: this module derives, from the query text
itself, a *stored form* — the same query with its key parameters left unbound but projected (and
grouped by, where the query groups), its ORDER BY keys and the variables its optional FILTERs compare
projected too, without ORDER BY — so the answer for one key value is exactly the stored rows carrying
that value, in the order their sort columns give. Nothing about a query is written twice by hand: a
query opts in with the header line ``stored: true``, and what cannot be derived (a FILTER of another
shape, a key given several values) is answered by SPARQL as before.

The derivation relies on facts the test suite holds for every stored query (``tests/test_stored_answers.py``
compares both answers, row for row and page for page): that a key variable appears in the query's triple
patterns (so unbinding it and selecting on its value is the same as binding it), and that ``?earliest`` /
``?latest`` have one value per fact (so ``SAMPLE`` of them in a grouped query is that value).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from newsgraph.service.sparql.definitions import SavedQuery
from newsgraph.service.sparql.text import Token, tokens

#: FILTER(!BOUND($p) || [!BOUND(?x) ||] ?x OP $p): the shape every optional narrowing filter has
_OPTIONAL_FILTER = re.compile(
    r"FILTER\s*\(\s*!\s*BOUND\s*\(\s*\$(\w+)\s*\)\s*\|\|\s*(?:!\s*BOUND\s*\(\s*\?(\w+)\s*\)\s*\|\|\s*)?"
    r"\?(\w+)\s*(<=|>=|=)\s*\$(\w+)\s*\)", re.I)
#: variables that hold one value per fact (the loader writes one nf:earliest and one nf:latest)
SINGLE_VALUED = ("earliest", "latest")


@dataclass(frozen=True)
class Filter:
    """A non-key parameter as SQL over a stored column: ``column OP value`` (any of the values for ``in``);
    ``nullable``: a row whose column is unbound passes (the FILTER's ``!BOUND(?x) ||``)."""

    column: str
    op: str  # in | <= | >=
    nullable: bool = False
    numeric: bool = False  # compared as a number (a HAVING on a count), not as text


@dataclass(frozen=True)
class StoredForm:
    name: str
    text: str  # the query to run at load time (unbound, no ORDER BY)
    columns: list[str]  # the visible columns, as the saved query answers them
    keys: dict[str, str]  # key parameter → its variable (a column of the stored rows)
    extra: dict[str, str]  # stored column → the variable of the stored query that fills it
    order: list[tuple[str, bool]]  # (stored column, descending), the query's ORDER BY
    filters: dict[str, Filter] = field(default_factory=dict)
    signature: str = ""  # changes whenever the stored query's text does: stored rows of another text are stale
    #: what one row is made from (see newsgraph.service.store.reports): "article" — one article's facts (a
    #: list); "relations" — every article's statement of one subject–object relation (counted across
    #: articles); "comparisons" — an article's claims with the reference records and the claims about the same
    #: transfer they are compared with. Rows of the last two also answer a request that names no key.
    grouping: str = "article"


class NotStorable(ValueError):
    """The query's shape is not one whose answer can be derived from stored rows."""


GROUPINGS = ("article", "relations", "comparisons")


def stored_form(q: SavedQuery, grouping: str = "article") -> StoredForm:
    """The stored form of ``q`` (see the module's docstring), or :class:`NotStorable` saying why not."""
    text = q.text
    toks = tokens(text)
    select = next((i for i, t in enumerate(toks) if t.kind == "word" and t.text.upper() == "SELECT"
                   and t.depth == 0), None)
    where = next((i for i, t in enumerate(toks) if select is not None and i > select and t.kind == "word"
                  and t.text.upper() == "WHERE" and t.depth == 0), None)
    if select is None or where is None:
        raise NotStorable("no top-level SELECT … WHERE")
    close = _group_end(toks, where)
    head_vars = {t.text[1:] for t in toks[select:where] if t.kind == "word" and t.text[:1] in "?$"}
    distinct = toks[select + 1].kind == "word" and toks[select + 1].text.upper() in ("DISTINCT", "REDUCED")
    group_by, order, having = _tail(toks[close + 1:], text)
    grouped = group_by is not None
    groups = set(group_by or [])
    extra: dict[str, str] = {}  # stored column → projection text
    fill: dict[str, str] = {}  # stored column → variable
    added_groups: list[str] = []

    def project(var: str, column: str) -> None:
        """Make ``?var`` available as ``column`` of the stored rows."""
        if column in fill:
            return
        if var in q.columns or var in head_vars:
            fill[column] = var
            return
        if not grouped or var in groups:
            extra[column] = f"?{var}"
            fill[column] = var
        elif var in SINGLE_VALUED:
            extra[column] = f"(SAMPLE(?{var}) AS ?__{column})"
            fill[column] = f"__{column}"
        else:
            raise NotStorable(f"?{var} is neither grouped by nor single-valued")

    # optional narrowing filters: FILTER(!BOUND($p) || … ?x OP $p)
    by_var = {p.var: p for p in q.params}
    filters: dict[str, Filter] = {}
    filtered: set[str] = set()
    for m in _OPTIONAL_FILTER.finditer(text[toks[where].start:toks[close].start]):
        pvar, nullable_var, var, op, pvar2 = m.groups()
        p = by_var.get(pvar)
        if p is None or pvar2 != pvar:
            continue
        filtered.add(pvar)
        if op == "=":
            if p.type not in ("entity", "enum", "iri"):
                continue
            op = "in"
        try:
            project(var, f"f_{var}")
        except NotStorable:
            continue  # a request that gives this parameter is answered by SPARQL
        # ?x <= $p keeps rows whose ?x is at most the value: as SQL, the column compared the same way
        filters[p.name] = Filter(f"f_{var}", op, nullable=nullable_var == var)
    if having is not None and grouping == "article":  # (a list's columns are text: a count would compare as one)
        raise NotStorable("HAVING in a list: only a report's rows (stored: relations or comparisons) keep numbers")
    if having is not None:  # HAVING (AGGREGATE >= $p), the aggregate a column: a filter on that column
        found = re.fullmatch(r"(.+?)\s*(<=|>=)\s*\$(\w+)", having, re.S)
        alias = found and _alias_of(text[toks[select].start:toks[where].start], found.group(1))
        p = found and by_var.get(found.group(3))
        if not found or not alias or p is None or alias not in q.columns:
            raise NotStorable("a HAVING other than (AGGREGATE <= or >= $parameter) on a projected aggregate")
        filtered.add(p.var)
        project(alias, f"f_{alias}")
        filters[p.name] = Filter(f"f_{alias}", found.group(2), numeric=True)
    # keys: entity parameters bound in triple patterns (not only compared in a filter)
    keys: dict[str, str] = {}
    for p in q.params:
        if p.type == "entity" and p.var not in filtered:
            keys[p.name] = p.var
            if p.var not in q.columns and p.var not in head_vars:
                extra[f"k_{p.name}"] = f"?{p.var}"
                if grouped and p.var not in groups:
                    added_groups.append(p.var)
            fill[f"k_{p.name}"] = p.var
    # other parameters whose variable is a column: equality on it
    for p in q.params:
        if p.name not in filters and p.name not in keys and p.var in q.columns and p.type in ("enum", "entity", "iri"):
            filters[p.name] = Filter(f"c_{p.var}", "in")
            fill[f"c_{p.var}"] = p.var
    if not order:
        raise NotStorable("no ORDER BY: the stored rows would have no order to keep")
    order_cols: list[tuple[str, bool]] = []
    for i, (expr, desc) in enumerate(order, 1):
        column = f"s{i}"
        var = expr[1:] if re.fullmatch(r"[?$]\w+", expr) else None
        if var is not None:
            project(var, column)
        else:
            extra[column] = f"({expr} AS ?__{column})"
            fill[column] = f"__{column}"
        order_cols.append((column, desc))
    if distinct and any(v.startswith("(SAMPLE") for v in extra.values()):
        raise NotStorable("SAMPLE in a DISTINCT query")
    if not grouped and not distinct and any(v.startswith("(SAMPLE") for v in extra.values()):
        raise NotStorable("SAMPLE outside a grouped query")
    head_end = toks[where].start
    body = text[toks[where].start:toks[close].start]
    # only IRIs are ever asked for (entity parameters): rows keyed by a literal are not made at all
    if len(keys) == 1:
        body += f"  FILTER(isIRI(?{next(iter(keys.values()))}))\n"
    body += "}"
    projection = text[toks[select].start:head_end].rstrip()
    if extra:
        projection += " " + " ".join(dict.fromkeys(extra.values()))
    stored = projection + "\n" + body + "\n"
    if grouped:
        stored += "GROUP BY " + " ".join(f"?{v}" for v in [*(group_by or []), *added_groups]) + "\n"
    prologue = text[:toks[select].start]
    stored = prologue + stored
    if grouping not in GROUPINGS:
        raise NotStorable(f"rows grouped by {grouping!r}: one of {', '.join(GROUPINGS)}")
    if grouping != "article" and len(keys) != 1:
        raise NotStorable("a report's rows need exactly one key parameter")
    signature = hashlib.sha256(((grouping if grouping != "article" else "") + stored).encode()).hexdigest()[:16]
    return StoredForm(q.name, stored, list(q.columns), keys, fill, order_cols, filters, signature, grouping)


def _alias_of(projection: str, expression: str) -> str | None:
    """The variable the projection names ``(expression AS ?v)`` (whitespace aside), or None."""
    squeeze = re.compile(r"\s+")
    wanted = squeeze.sub("", expression)
    for m in re.finditer(r"\((.+?)\s+AS\s+\?(\w+)\s*\)", projection, re.S | re.I):
        if squeeze.sub("", m.group(1)) == wanted:
            return m.group(2)
    return None


def _group_end(toks: list[Token], where: int) -> int:
    """Index of the token that closes the WHERE group opened just after ``toks[where]``."""
    for i in range(where + 1, len(toks)):
        t = toks[i]
        if t.kind == "punct" and t.text == "}" and t.depth == 0:
            return i
    raise NotStorable("the WHERE group is not closed")


def _tail(toks: list[Token], text: str) -> tuple[list[str] | None, list[tuple[str, bool]], str | None]:
    """(GROUP BY variables or None, ORDER BY conditions as (expression, descending), the HAVING condition or
    None) of the solution modifiers after the WHERE group."""
    group_by: list[str] | None = None
    order: list[tuple[str, bool]] = []
    having: str | None = None
    i = 0
    while i < len(toks):
        word = toks[i].text.upper() if toks[i].kind == "word" else ""
        if word == "GROUP" and i + 1 < len(toks) and toks[i + 1].text.upper() == "BY":
            group_by = []
            i += 2
            while i < len(toks) and toks[i].kind == "word" and toks[i].text[:1] in "?$":
                group_by.append(toks[i].text[1:])
                i += 1
            if i < len(toks) and toks[i].text == "(":
                raise NotStorable("GROUP BY an expression")
            continue
        if word == "ORDER" and i + 1 < len(toks) and toks[i + 1].text.upper() == "BY":
            i += 2
            while i < len(toks):
                t = toks[i]
                up = t.text.upper() if t.kind == "word" else ""
                if up in ("ASC", "DESC") and i + 1 < len(toks) and toks[i + 1].text == "(":
                    end = _paren_end(toks, i + 1)
                    order.append((text[toks[i + 1].start + 1:toks[end].start].strip(), up == "DESC"))
                    i = end + 1
                elif t.kind == "word" and t.text[:1] in "?$":
                    order.append((t.text, False))
                    i += 1
                elif t.text == "(":
                    end = _paren_end(toks, i)
                    order.append((text[t.start + 1:toks[end].start].strip(), False))
                    i = end + 1
                else:
                    break
            continue
        if word == "HAVING" and having is None and i + 1 < len(toks) and toks[i + 1].text == "(":
            end = _paren_end(toks, i + 1)
            having = text[toks[i + 1].start + 1:toks[end].start].strip()
            i = end + 1
            continue
        if word in ("LIMIT", "OFFSET", "HAVING", "VALUES"):
            raise NotStorable(f"{word} after the WHERE group")
        i += 1
    return group_by, order, having


def _paren_end(toks: list[Token], i: int) -> int:
    depth = 0
    for j in range(i, len(toks)):
        if toks[j].text == "(":
            depth += 1
        elif toks[j].text == ")":
            depth -= 1
            if depth == 0:
                return j
    raise NotStorable("unbalanced parentheses in ORDER BY")


# ---- rows ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What a request asks of the stored rows: one key's value, the filters' values, a page."""

    query: str
    signature: str
    key: str
    value: str
    filters: list[tuple[str, str, bool, list]]  # (column, op, nullable, values)
    order: list[tuple[str, bool]]


def plan(form: StoredForm, terms: dict[str, list]) -> Plan | None:
    """The stored-rows plan for a request's checked terms, or None when SPARQL must answer it: no key
    given with exactly one IRI (a report's rows also answer a request without its key: ``value`` ""), or a
    parameter given that the stored rows cannot narrow by."""
    key = next((name for name in form.keys if len(terms.get(name) or []) == 1
                and isinstance(terms[name][0], ox.NamedNode)), None)
    if key is None:
        if form.grouping == "article" or any(terms.get(name) for name in form.keys):
            return None
        key = next(iter(form.keys))
    filters: list[tuple[str, str, bool, list]] = []
    for name, values in terms.items():
        if name == key or not values:
            continue
        if name in form.keys:
            if not all(isinstance(v, ox.NamedNode) for v in values):
                return None
            filters.append((f"k_{name}", "in", False, [v.value for v in values]))
            continue
        f = form.filters.get(name)
        if f is None or (f.op != "in" and len(values) != 1):
            return None
        if f.numeric:
            try:
                numbers = [float(v.value) for v in values]
            except ValueError:
                return None
            filters.append((f.column, f.op, f.nullable, numbers))
        else:
            filters.append((f.column, f.op, f.nullable, [v.value for v in values]))
    value = terms[key][0].value if terms.get(key) else ""
    return Plan(form.name, form.signature, key, value, filters, form.order)
