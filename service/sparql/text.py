"""What the endpoint must know about a query's text before the engine runs it.

pyoxigraph exposes no parsed algebra, so these checks read the text as SPARQL's lexer would:
codepoint escapes (``\\u0053ERVICE``) are decoded first, as the grammar requires, then strings,
IRIs and comments are skipped, so that a keyword inside a literal or an IRI is never mistaken for
one. The checks err on the side of refusing: a ``SERVICE ?var`` cannot be checked against the
allow-list, so it is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_IRIREF = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')
_STRING = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\'|"(?:[^"\\\n\r]|\\.)*"'
                     r"|'(?:[^'\\\n\r]|\\.)*'", re.S)
_WORD = re.compile(r"[?$]?[A-Za-z_\u00C0-\uFFFF][\w\u00B7\u00C0-\uFFFF.-]*(?::(?:[\w\u00C0-\uFFFF.%:-]|\\.)*)?"
                   r"|:(?:[\w.%:-]|\\.)*")


@dataclass(frozen=True)
class Token:
    kind: str  # iri | string | word | punct
    text: str
    start: int
    depth: int  # of { } nesting where the token stands


def decode_escapes(text: str) -> str:
    def repl(m: re.Match) -> str:
        try:
            return chr(int(m.group(1) or m.group(2), 16))
        except (ValueError, OverflowError):
            return m.group(0)

    return _ESCAPE.sub(repl, text)


def tokens(text: str) -> list[Token]:
    out: list[Token] = []
    i, depth, n = 0, 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif ch == "<" and (m := _IRIREF.match(text, i)):
            out.append(Token("iri", m.group(0)[1:-1], i, depth))
            i = m.end()
        elif ch in "\"'" and (m := _STRING.match(text, i)):
            out.append(Token("string", m.group(0), i, depth))
            i = m.end()
        elif m := _WORD.match(text, i):
            out.append(Token("word", m.group(0), i, depth))
            i = m.end()
        else:
            if ch == "}":
                depth -= 1
            out.append(Token("punct", ch, i, depth))
            if ch == "{":
                depth += 1
            i += 1
    return out


def mask(text: str, quoted_iris: bool = True) -> tuple[str, dict[int, str]]:
    """The text with strings and comments blanked out and each IRI replaced by ``<`` + spaces + ``>``.

    Returns the masked text (same length, so positions agree) and the IRIs by their start position.
    A backslash outside strings and IRIs escapes the next character (``ex:a\\#b`` is one name, not a
    name and a comment), as in SPARQL's local names. ``quoted_iris=False`` reads a ``<`` whose IRI
    would contain a quote as the less-than operator (``FILTER(?q<'>')``): the two readings disagree
    about what is code, so :func:`remote_targets` checks both.
    """
    out = list(text)
    iris: dict[int, str] = {}
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
        elif ch == "#":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out[i:j] = " " * (j - i)
            i = j
        elif ch == "<" and (m := _IRIREF.match(text, i)) and (quoted_iris or "'" not in m.group(0)):
            iris[i] = m.group(0)[1:-1]
            out[i + 1:m.end() - 1] = " " * (m.end() - i - 2)
            i = m.end()
        elif ch in "\"'" and (m := _STRING.match(text, i)):
            out[i:m.end()] = " " * (m.end() - i)
            i = m.end()
        else:
            i += 1
    return "".join(out), iris


_NAME_CHAR = r"A-Za-z0-9_\u00B7\u00C0-\uFFFF"
# a keyword counts wherever it starts, even glued to what follows (the engine reads SERVICESILENT)
# or to a number before it (0.7SERVICE); only ``?``/``$`` (a variable) or ``:`` (a prefixed name)
# right before it rule it out. After a letter (trueSERVICE) it counts when a target follows it.
_KEYWORD = re.compile(r"(?<![?$:])(SERVICE|LOAD)", re.I)
_AFTER_LETTER = re.compile(r"[A-Za-z\u00B7\u00C0-\uFFFF]")
_SILENT = re.compile(r"\s*SILENT", re.I)
_PNAME = re.compile(rf"([{_NAME_CHAR}][{_NAME_CHAR}.\-]*)?:((?:[{_NAME_CHAR}.%:\-]|\\.)*)")
_VAR = re.compile(r"[?$][A-Za-z0-9_]")
# a prefix name of at most 256 characters: unbounded, "PREFIX" repeated over 32 KiB took 12 s to scan
# (each match ran to the end of the text and back); a longer name is not taken for a declaration, so a
# SERVICE through it has no known IRI and is refused
_PREFIX_DECL = re.compile(r"PREFIX\s{0,256}([A-Za-z0-9_\u00B7\u00C0-\uFFFF.\-]{0,256}):\s*<", re.I)
_IRI_AT = re.compile(r'<([^<>"{}|^`\\\x00-\x20]*)>')


MAX_NESTING = 256  # levels of { ( [ in a query; the engine's parser crashed its process near 10,000


def nesting_depth(text: str) -> int:
    """How deep groups, parentheses and brackets nest, outside strings, IRIs and comments."""
    masked, _ = mask(decode_escapes(text))
    depth = deepest = 0
    for ch in masked:
        if ch in "{([":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "})]" and depth:
            depth -= 1
    return deepest


def remote_targets(text: str) -> list[tuple[str, str | None]]:
    """Every ``SERVICE`` and ``LOAD`` with the IRI it would reach (None when it is not a plain IRI).

    Deliberately wider than the grammar. A ``<`` may open an IRI or compare two values, and only the
    parser knows which, so the text is read three ways — IRIs as written; a quoted ``<'>`` as a
    comparison; every ``<`` as a comparison — and a keyword found in any reading counts. A keyword
    glued to a preceding number or to what follows counts too. The price is a rare refusal of an
    odd name; a prefix declared twice is checked with every IRI it was given.
    """
    decoded = decode_escapes(text)
    found: list[tuple[str, str | None]] = []
    for reading in ("iris", "quoted", "none"):
        masked, iris = mask(decoded, quoted_iris=reading == "iris") if reading != "none" else _no_iris(decoded)
        for target in _targets(decoded, masked, iris, strict_shape=reading == "none"):
            if target not in found:
                found.append(target)
    return found


def _no_iris(text: str) -> tuple[str, dict[int, str]]:
    """The text with strings and comments masked but no IRIs: every ``<`` read as a comparison."""
    out, iris = mask(text)
    chars = list(out)
    for start, iri in iris.items():  # put the IRIs' text back: in this reading it is code
        chars[start:start + len(iri) + 2] = text[start:start + len(iri) + 2]
    masked = "".join(chars)
    # comments that only the IRI reading hid: a '#' inside what was an IRI now starts one
    return _blank_comments(masked, text), {}


def _blank_comments(masked: str, text: str) -> str:
    chars = list(masked)
    start, n = 0, len(text)
    while start < n:  # a comment blanked, the scan goes on after it (not from each '#' in it: quadratic)
        if masked[start] == "#" and (start == 0 or text[start - 1] != "\\"):
            end = text.find("\n", start)
            end = n if end < 0 else end
            chars[start:end] = " " * (end - start)
            start = max(end, start + 1)
        else:
            start += 1
    return "".join(chars)


def _targets(text: str, masked: str, iris: dict[int, str], strict_shape: bool) -> list[tuple[str, str | None]]:
    prefixes: dict[str, list[str]] = {}
    for m in _PREFIX_DECL.finditer(masked):
        iri = iris.get(m.end() - 1) or ((at := _IRI_AT.match(text, m.end() - 1)) and at.group(1)) or ""
        prefixes.setdefault(m.group(1) or "", []).append(iri)
    found: list[tuple[str, str | None]] = []
    for m in _KEYWORD.finditer(masked):
        keyword = m.group(1).upper()
        pos = m.end()
        if silent := _SILENT.match(masked, pos):
            pos = silent.end()
        while pos < len(masked) and masked[pos].isspace():
            pos += 1
        targets: list[str | None] = []
        shaped = False
        if pos in iris:
            targets, end, shaped = [iris[pos]], pos + len(iris[pos]) + 2, True
        elif (iri := _IRI_AT.match(text, pos)) and masked[pos] == "<":
            targets, end, shaped = [iri.group(1)], iri.end(), True
        elif (name := _PNAME.match(masked, pos)) and name.group(0):
            candidates = prefixes.get(name.group(1) or "", [None])
            local = name.group(2).replace("\\", "")
            targets = [c + local if c is not None else None for c in candidates]
            end, shaped = name.end(), True
        elif _VAR.match(masked, pos):
            targets, end, shaped = [None], pos + 2, True
        else:
            targets, end = [None], pos
        after_letter = m.start() > 0 and _AFTER_LETTER.match(masked, m.start() - 1)
        if after_letter and keyword == "LOAD":
            continue  # an update operation starts the request or follows a ';': never a letter
        if (after_letter or strict_shape) and not (shaped and _complete(keyword, masked, end)):
            continue  # a word that merely contains the keyword, or a reading with no operation here
        found += [(keyword, t) for t in targets]
    return found


def _complete(keyword: str, masked: str, end: int) -> bool:
    """Does a SERVICE target go on with a group ``{``, a LOAD target with the end of an operation?"""
    rest = masked[end:].lstrip()
    if keyword == "SERVICE":
        return rest.startswith("{")
    return rest == "" or rest.startswith(";") or rest[:4].upper() == "INTO"


class DatasetConflict(ValueError):
    """The update names its own dataset (USING, USING NAMED or WITH) and the request names one too."""


def with_using(update: str, using: list[str], using_named: list[str]) -> str:
    """The update with the protocol's ``using-graph-uri`` / ``using-named-graph-uri`` as USING clauses.

    They go before the ``WHERE`` of each DELETE/INSERT operation (SPARQL 1.1 Protocol §2.2.3); an
    operation that has its own USING or WITH makes the request ambiguous, which the protocol
    answers with an error.
    """
    if not using and not using_named:
        return update
    text = decode_escapes(update)
    toks = tokens(text)
    clause = " ".join([*(f"USING <{g}>" for g in using), *(f"USING NAMED <{g}>" for g in using_named)]) + " "
    inserts: list[int] = []
    previous = None
    for t in toks:
        if t.depth == 0 and t.kind == "word":
            word = t.text.upper()
            if word in ("USING", "WITH"):
                raise DatasetConflict("the update has its own USING or WITH and the request gives "
                                      "using-graph-uri or using-named-graph-uri: use one or the other")
            if word == "WHERE" and not (previous is not None and previous.kind == "word"
                                        and previous.text.upper() == "DELETE"):
                inserts.append(t.start)
        if t.depth == 0:
            previous = t
    for pos in reversed(inserts):
        text = text[:pos] + clause + text[pos:]
    return text


def where_brace(text: str) -> int | None:
    """Offset just after the opening brace of a SELECT query's outermost WHERE group (the first top-level
    ``{`` after the first top-level SELECT: a SELECT clause holds no braces), or None."""
    seen_select = False
    parens = 0  # a projection may hold braces of its own: (EXISTS { … } AS ?e)
    for t in tokens(text):
        if t.kind == "punct" and t.text in "()":
            parens += 1 if t.text == "(" else -1
        elif t.kind == "word" and t.text.upper() == "SELECT" and t.depth == 0:
            seen_select = True
        elif seen_select and t.kind == "punct" and t.text == "{" and t.depth == 0 and parens == 0:
            return t.start + 1
    return None


def union_branches(text: str, where: int) -> list[tuple[int, int]]:
    """(start, end) of the body of each group that is an operand of a UNION directly in the WHERE group
    (``where``, from :func:`where_brace`): just after its ``{`` and at its ``}``.

    Why: Oxigraph joins a VALUES block with a UNION by evaluating the union whole and then matching —
    the bound value never reaches the branches' index lookups. A copy of the block at the start of a
    branch lets the engine start from the value; :func:`binds_surely` says when the copy keeps the meaning.
    """
    toks = [t for t in tokens(text) if t.start >= where]
    groups: dict[int, tuple[int, int, int]] = {}  # index of "{" → (offset after it, offset of "}", index after)
    opened: int | None = None
    for i, t in enumerate(toks):
        if t.kind == "punct" and t.depth == 1 and t.text == "{":
            opened = i
        elif t.kind == "punct" and t.depth == 1 and t.text == "}" and opened is not None:
            groups[opened] = (toks[opened].start + 1, t.start, i + 1)
            opened = None
    out: set[tuple[int, int]] = set()
    for start, stop, after in groups.values():
        if after < len(toks) and toks[after].kind == "word" and toks[after].text.upper() == "UNION":
            out.add((start, stop))
            if after + 1 in groups:
                out.add(groups[after + 1][:2])
    return sorted(out)


def binds_surely(text: str, start: int, stop: int, var: str) -> bool:
    """True when the group body ``text[start:stop]`` binds ``?var`` in every solution it has: the variable
    stands in a triple pattern of the group itself (or of a GRAPH group in it), not only under OPTIONAL,
    MINUS, (NOT) EXISTS, a nested UNION or sub-SELECT, or inside a FILTER or BIND expression, and no
    ``AS ?var`` assigns it. Then a VALUES block for ``?var`` at the start of the group restricts the group
    exactly as the same block outside it would — the copy is safe; otherwise it could change the answers
    (an OPTIONAL that no longer binds it, a sub-SELECT that starts with the block) and is not made.
    """
    toks = [t for t in tokens(text) if start <= t.start < stop]
    if toks and toks[0].kind == "word" and toks[0].text.upper() == "SELECT":
        return False
    names = {f"?{var}", f"${var}"}
    scoped: list[bool] = []  # per open brace inside the body: does it open a group that may leave ?var unbound
    parens, sure = 0, False
    for i, t in enumerate(toks):
        if t.kind == "word" and t.text.upper() == "AS" and i + 1 < len(toks) and toks[i + 1].text in names:
            return False
        if t.kind == "punct" and t.text in "()":
            parens += 1 if t.text == "(" else -1
        elif t.kind == "punct" and t.text == "{":
            # only a GRAPH group binds what it matches for sure; OPTIONAL, MINUS, EXISTS, a nested UNION's
            # alternatives, a sub-SELECT (its own scope) or a VALUES table may not
            scoped.append(not (i >= 2 and toks[i - 2].kind == "word" and toks[i - 2].text.upper() == "GRAPH"))
        elif t.kind == "punct" and t.text == "}":
            if scoped:
                scoped.pop()
        elif t.kind == "word" and t.text in names and parens == 0 and not any(scoped):
            sure = True
    return sure


def bind_values(text: str, where: int, values: dict[str, list]) -> str:
    """``text`` with a ``VALUES ?var { … }`` block per variable at ``where`` (see :func:`where_brace`).

    The terms are pyoxigraph terms: their ``str()`` is their N-Triples form, every character escaped
    that could end the term, so a value can never become query text. No value binds nothing.
    """
    return bind_each(text, [(where, values)])


def bind_each(text: str, places: list[tuple[int, dict[str, list]]]) -> str:
    """:func:`bind_values` at several offsets, each with its own variables."""
    for at, values in sorted(places, key=lambda p: p[0], reverse=True):
        blocks = [f"VALUES ?{var} {{ {' '.join(_term_text(t) for t in terms)} }}"
                  for var, terms in values.items() if terms]
        if blocks:
            text = f"{text[:at]}\n  {' '.join(blocks)}\n{text[at:]}"
    return text


def _term_text(term: object) -> str:
    text = str(term)
    if text.startswith("_:"):  # a blank node is no constant in SPARQL; engines that name them do so as IRIs
        return f"<nodeID://{text[2:]}>"
    return text
