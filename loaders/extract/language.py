"""The language knowledge of the drafter, read from one data file per language (``languages/*.yaml``).

The drafter's code knows how to look (names before or after a trigger, dates relative to the publication
date, numbers before units); what to look *for* — trigger words, month names, number words, titles — is
the language's, kept in a file, so that French or Russian is added by writing ``fr.yaml`` and checking it
on a labelled article, not by changing code. Words are folded (case, accents) as the text is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .text import fold_phrase

FOLDER = Path(__file__).resolve().parent / "languages"

#: the languages that have a data file
LANGUAGES: tuple[str, ...] = tuple(sorted(p.stem for p in FOLDER.glob("*.yaml")))

#: the ways a role may be looked for (see the comment in the data files)
STRATEGIES = ("before", "after", "subject", "demonym", "list", "context", "between", "topic", "previous")


@dataclass(frozen=True)
class Strategy:
    """One way to find a role's entity around a trigger."""

    how: str  # one of STRATEGIES
    preps: tuple[str, ...] = ()  # only names right after one of these words
    window: int = 0  # characters from the trigger (0: the whole sentence)
    types: tuple[str, ...] = ()  # entity types allowed (empty: what the role takes)
    adjectives: bool = False  # a nationality adjective may stand for its country ("il ministero azero")
    only_adjectives: bool = False  # nothing but a nationality adjective ("a U.S.-brokered deal")
    direct: bool = False  # after: only an article between the trigger and the name ("ha conquistato Shusha")


@dataclass(frozen=True)
class Rule:
    """Trigger words of one fact kind, the values they set and how to find the roles around them."""

    kind: str
    triggers: tuple[str, ...]
    sets: dict[str, Any]
    roles: dict[str, tuple[Strategy, ...]]
    confidence: float
    name: str  # shown in each proposal's note


@dataclass
class Language:
    code: str
    name: str
    data: dict[str, Any]
    rules: list[Rule] = field(default_factory=list)

    _cache: dict[tuple[str, ...], Any] = field(default_factory=dict)

    def words(self, key: str) -> list[str]:
        """A list of words or phrases, folded."""
        if ("words", key) not in self._cache:
            self._cache["words", key] = [fold_phrase(str(w)) for w in self.data.get(key) or []]
        return list(self._cache["words", key])

    def words_in(self, key: str, sub: str) -> list[str]:
        """A list of words or phrases under ``key.sub``, folded."""
        return [fold_phrase(str(w)) for w in (self.data.get(key) or {}).get(sub) or []]

    def table(self, key: str) -> dict[str, Any]:
        """A mapping of words or phrases (folded) to values."""
        if ("table", key) not in self._cache:
            self._cache["table", key] = {fold_phrase(str(k)): v for k, v in (self.data.get(key) or {}).items()}
        return dict(self._cache["table", key])


def language(code: str) -> Language:
    """The data of one language; ValueError naming the languages there are when it has no file."""
    if code not in LANGUAGES:
        raise ValueError(f"no language data for {code!r}: the drafter knows {', '.join(LANGUAGES)} "
                         f"(add loaders/extract/languages/{code}.yaml to teach it another)")
    return _load(code)


@cache
def _load(code: str) -> Language:
    path = FOLDER / f"{code}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("language") != code:
        raise ValueError(f"{path}: expected a mapping with `language: {code}`")
    lang = Language(code, str(data.get("name", code)), data)
    for kind, rules in (data.get("facts") or {}).items():
        for i, raw in enumerate(rules):
            lang.rules.append(_rule(path, kind, i, raw))
    return lang


def _rule(path: Path, kind: str, index: int, raw: dict[str, Any]) -> Rule:
    where = f"{path.name}: facts.{kind}[{index}]"
    if not isinstance(raw, dict) or not raw.get("triggers"):
        raise ValueError(f"{where}: a rule needs `triggers`")
    roles: dict[str, tuple[Strategy, ...]] = {}
    for role, ways in (raw.get("roles") or {}).items():
        roles[role] = tuple(_strategy(where, role, w) for w in (ways if isinstance(ways, list) else [ways]))
    sets = {k: v for k, v in raw.items() if k not in ("triggers", "roles", "confidence", "name")}
    name = raw.get("name") or f"{kind} rule {index + 1}"
    return Rule(kind, tuple(fold_phrase(str(t)) for t in raw["triggers"]), sets, roles,
                float(raw.get("confidence", 0.7)), f"{path.stem}.yaml {kind}: {name}")


def _strategy(where: str, role: str, raw: Any) -> Strategy:
    if isinstance(raw, str):
        raw = {raw: True}
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: role {role!r}: expected a strategy name or mapping")
    how = next((k for k in raw if k in STRATEGIES), None)
    if how is None:
        raise ValueError(f"{where}: role {role!r}: no strategy among {', '.join(STRATEGIES)}")
    preps = raw[how] if isinstance(raw[how], list) else [raw[how]] if isinstance(raw[how], str) else []
    return Strategy(how, tuple(fold_phrase(str(p)) for p in preps), int(raw.get("window", 0)),
                    tuple(raw.get("types") or ()), bool(raw.get("adjectives", False)),
                    raw.get("adjectives") == "only", bool(raw.get("direct", False)))


def trigger_regex(words: list[str] | tuple[str, ...],
                  fillers: list[str] | tuple[str, ...] = ()) -> re.Pattern[str] | None:
    """One regex for folded words and phrases; a final * stands for any word ending. Up to two ``fillers``
    (adverbs: "also", "poi") may stand between the words of a phrase ("would also send", "ha poi firmato")."""
    if not words:
        return None
    gap = r"\s+"
    if fillers:
        gap = r"\s+(?:(?:" + "|".join(re.escape(f) for f in sorted(set(fillers), key=len, reverse=True)) + r")\s+){0,2}"
    parts = []
    for w in sorted(set(words), key=len, reverse=True):
        star = w.endswith("*")
        body = re.escape(w.rstrip("*")).replace(r"\ ", gap).replace("'", "['’]?\\s*")
        if w.startswith("*"):
            body = r"\w+" + body.lstrip("\\*")
        parts.append(body + (r"\w*" if star else ""))
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)")
