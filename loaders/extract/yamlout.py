"""The draft as YAML a person reads and edits: the contract's field order, one fact per block, dates as ISO
strings, quotes in double quotes (a quote is copied back into the text's search as it is written)."""

from __future__ import annotations

import json
import re
from typing import Any

_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._/-]*\Z")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}
_DATE = re.compile(r"^\d{4}(-\d{2}){0,2}\Z")


def scalar(value: Any, *, quote: bool = False) -> str:
    """One value as a YAML scalar: plain when that reads back as the same text, else double-quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    text = str(value)
    if _DATE.match(text):
        return f'"{text}"' if len(text) == 4 else text
    if not quote and _PLAIN.match(text) and text.lower() not in _RESERVED and not text.endswith(" ") \
            and not re.fullmatch(r"[\d.eE+-]+", text):
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return scalar(value)


def sheet_yaml(draft: dict[str, Any]) -> str:
    """The draft (as :func:`draft_sheet` returns it) as a YAML fact sheet."""
    lines = ["# Draft fact sheet: check every fact against the text, fix or delete it, then remove this line.",
             "article:"]
    for key, value in draft["article"].items():
        lines.append(f"  {key}: {scalar(value, quote=key == 'title')}")
    if draft.get("entities"):
        lines += ["", "# names no registry knows, with a guessed type: keep, correct or drop each", "entities:"]
        lines += [f"  - {_flow(e)}" for e in draft["entities"]]
    lines += ["", "facts:" if draft.get("facts") else "facts: []"]
    for fact in draft.get("facts", []):
        first = True
        for key, value in fact.items():
            lead = "  - " if first else "    "
            first = False
            if isinstance(value, list):
                lines.append(f"{lead}{key}: {_flow(value)}")
            else:
                quoted = key in ("quote", "note", "text", "subject", "topic")
                lines.append(f"{lead}{key}: {scalar(value, quote=quoted)}")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
