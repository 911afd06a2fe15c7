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
_WORD = re.compile(r"[?$]?[A-Za-z_\u00C0-\uFFFF][\w\u00B7\u00C0-\uFFFF.-]*(?::[\w\u00C0-\uFFFF.%-]*)?|:[\w.%-]*")


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


def _keyword(t: Token, word: str) -> bool:
    return t.kind == "word" and t.text.upper() == word


def remote_targets(text: str) -> list[tuple[str, str | None]]:
    """Every ``SERVICE`` and ``LOAD`` with the IRI it would reach (None when it is not a plain IRI)."""
    toks = tokens(decode_escapes(text))
    prefixes = _prefixes(toks)
    found: list[tuple[str, str | None]] = []
    for i, t in enumerate(toks):
        if _keyword(t, "SERVICE") or _keyword(t, "LOAD"):
            j = i + 1
            if j < len(toks) and _keyword(toks[j], "SILENT"):
                j += 1
            target = toks[j] if j < len(toks) else None
            iri = None
            if target is not None and target.kind == "iri":
                iri = target.text
            elif target is not None and target.kind == "word" and ":" in target.text and target.text[0] not in "?$":
                prefix, _, local = target.text.partition(":")
                iri = prefixes[prefix] + local if prefix in prefixes else None
            found.append((t.text.upper(), iri))
    return found


def _prefixes(toks: list[Token]) -> dict[str, str]:
    out: dict[str, str] = {}
    for i, t in enumerate(toks[:-2]):
        if _keyword(t, "PREFIX") and toks[i + 1].kind == "word" and toks[i + 2].kind == "iri":
            out[toks[i + 1].text.rstrip(":")] = toks[i + 2].text
    return out


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
