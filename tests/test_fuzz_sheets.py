"""Hostile fact sheets (issue 9, hardening): the reader refuses them with `FILE:LINE: message`, never a traceback.

The entry point under test is the one `newsgraph validate` and `newsgraph load` use:
:func:`newsgraph.loaders.plan.plan_load` over the registry and the sheet, with its units consumed (that runs the
per-file checks, the mapping and SHACL). Its documented error is :class:`newsgraph.loaders.records.InputError`
with the :class:`~newsgraph.loaders.records.Problem` list (:func:`validate_sheet` raises it the way the command
prints it). For every input, whatever it is, the oracle (:func:`check_bytes`) requires:

* it validates, or InputError is raised, and nothing else (no ValueError, RecursionError, …);
* every problem prints as one line ``<the sheet's path>:<line>: <message>`` (one line as
  ``str.splitlines`` sees it), with 1 <= line <= the number of lines of the file as YAML counts
  them (line breaks CRLF, CR, LF, NEL, LS, PS; after a final line break, the empty line it opens);
* it is done within seconds (no hang).

There is no tolerance: any input that breaks this fails its test, and so does atheris.

Three sources of input: the seed sheet parsed, mutated and serialised again (structured fuzz);
arbitrary bytes and mutated seed bytes (raw fuzz); hand-picked hostile files, also run through the
real command (`validate` and `load` exit 1, FILE:LINE on stderr, no traceback, the store unchanged).

Each bug this file (or atheris) found is a plain regression test below: ``REGRESSIONS`` (the fixed
bugs, each with the line that must be reported and a word its message must hold), the `text:` path
rule, deep nesting, huge exponents, the files atheris saved under fuzz/crashes/ (``CRASH_FILES``:
every file there must be listed) and the command-line cases. A new bug found here is fixed, and its
input joins these cases.

Sizes: ``FUZZ_EXAMPLES=N`` sets the examples of each property test (the defaults keep this file under
a minute on 2 cores), ``FUZZ_SEED=random`` drops hypothesis's fixed seed, ``FUZZ_STATS=FILE`` appends
what each example reached. The atheris harness ``fuzz/atheris_sheets.py`` uses the same oracle.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pytest
import yaml
from helpers import ROOT, SEEDS, clean_env
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from newsgraph.loaders.entities import STORE
from newsgraph.loaders.plan import plan_load
from newsgraph.loaders.records import Entity, InputError, Problem
from newsgraph.loaders.sheets import MAX_EXPONENT, MAX_TEXT, read_yaml_file
from newsgraph.loaders.vocab import Iris
from newsgraph.loaders.yamlnodes import MAX_DEPTH

SEED_SHEET = SEEDS / "askanews-2023-11-22-csto.yaml"
REGISTRY = SEEDS / "entities.yaml"
TEXT = SEEDS / "articles" / "askanews-2023-11-22-csto.txt"
NEWSGRAPH = Path(sys.executable).parent / "newsgraph"
CRASHES = ROOT / "fuzz" / "crashes"
IRIS = Iris("http://localhost:5000/")

SEED_BYTES = SEED_SHEET.read_bytes()
SEED_DATA = yaml.safe_load(SEED_BYTES)

#: one sheet taking longer than this is a hang (the seed takes some 0.05 s)
HANG_SECONDS = 20.0
#: YAML's line breaks (libyaml counts each of them as a new line)
LINE_BREAKS = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")


# ---- the entry point and the oracle ------------------------------------------------------------------


def validate_sheet(sheet: Path, registry: Path | None = REGISTRY, known: Iterable[Entity] = ()) -> None:
    """Every check `newsgraph validate [REGISTRY] SHEET` makes; raise InputError with every problem.

    ``known`` are the entities the store holds (`newsgraph validate SHEET` against a store with the registry).
    """
    plan = plan_load([registry, sheet] if registry else [sheet], known, IRIS)
    for _ in plan.units:  # producing them maps the article and runs SHACL
        pass
    if plan.problems:
        raise InputError(plan.problems)


class SheetBug(AssertionError):
    """The reader broke its contract on one input."""


@dataclass
class Outcome:
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0


def line_count(data: bytes) -> int:
    """The file's lines as YAML counts them: after a final line break, the empty line it opens is one too."""
    return len(LINE_BREAKS.split(data.decode("utf-8", errors="replace")))


def check_problems(path: Path, data: bytes, problems: list[Problem]) -> None:
    """Every problem is one `PATH:LINE: message` line with LINE in the file."""
    lines = line_count(data)
    pattern = re.compile(re.escape(str(path)) + r":(\d+): (.+)")  # `.` stops at \n: one line only
    for p in problems:
        if not isinstance(p, Problem):
            raise SheetBug(f"not a Problem: {p!r}")
        if p.file != str(path):
            raise SheetBug(f"problem names another file: {p}")
        if not 1 <= p.line <= lines:
            raise SheetBug(f"line {p.line} outside the file's {lines} lines: {p}")
        if not p.message.strip():
            raise SheetBug(f"empty message: {p!r}")
        text = str(p)
        if len(text.splitlines()) != 1 or not pattern.fullmatch(text):
            raise SheetBug(f"problem does not print as one FILE:LINE: message line: {text!r}")


def store_entities() -> list[Entity]:
    """The registry's entities as a store hands them to the loader; copy them per use (a load merges into them)."""
    entities = read_yaml_file(REGISTRY).entities
    for e in entities:
        e.file = STORE
    return entities


def check_bytes(data: bytes, path: Path, registry: Path | None = REGISTRY, known: Iterable[Entity] = ()) -> Outcome:
    """Write ``data`` as the sheet at ``path`` and validate it; raise when the reader breaks its contract.

    Returns the problems (none = the sheet is valid). Raises SheetBug for a badly formed problem or a
    hang, and re-raises any exception but InputError.
    """
    path.write_bytes(data)
    out = Outcome()
    started = time.perf_counter()
    try:
        validate_sheet(path, registry, known)
    except InputError as e:
        out.problems = list(e.problems)
        if not out.problems:
            raise SheetBug("InputError without problems") from e
    finally:
        out.seconds = time.perf_counter() - started
    if out.seconds > HANG_SECONDS:
        raise SheetBug(f"validating took {out.seconds:.1f} s")
    check_problems(path, data, out.problems)
    return out


class Sandbox:
    """A folder laid out like seeds/: the article's text under articles/, the registry beside the sheet."""

    def __init__(self, folder: Path):
        self.folder = folder
        (folder / "articles").mkdir(parents=True, exist_ok=True)
        shutil.copy(TEXT, folder / "articles" / TEXT.name)
        self.registry = folder / "entities.yaml"
        shutil.copy(REGISTRY, self.registry)
        self.sheet = folder / "sheet.yaml"

    def check(self, data: bytes | str) -> Outcome:
        if isinstance(data, str):
            data = data.encode("utf-8")
        return check_bytes(data, self.sheet, self.registry)


@pytest.fixture(scope="module")
def box(tmp_path_factory) -> Sandbox:
    return Sandbox(tmp_path_factory.mktemp("fuzz-sheets"))


# ---- hypothesis settings ---------------------------------------------------------------------------


def fuzz_settings(default_examples: int):
    return settings(
        max_examples=int(os.environ.get("FUZZ_EXAMPLES") or default_examples),
        deadline=None,
        derandomize=os.environ.get("FUZZ_SEED", "") != "random",
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
                               HealthCheck.filter_too_much],
    )


def record(outcome: Outcome, test: str) -> None:
    note(f"problems: {[str(p)[:300] for p in outcome.problems[:5]]}")
    if stats := os.environ.get("FUZZ_STATS"):  # a file to append each example's outcome to, to see what is reached
        first = outcome.problems[0].message if outcome.problems else "valid"
        kind = re.sub(r"'.*?'|`.*?`|[0-9]+", "_", first)[:70]
        with open(stats, "a", encoding="utf-8") as f:
            f.write(f"{test}\t{kind!r}\n")


# ---- structured fuzz: the seed sheet, parsed, mutated, serialised ------------------------------------

REGISTRY_IDS = sorted(e["id"] for e in yaml.safe_load(REGISTRY.read_text(encoding="utf-8")))
ENTITY_FIELDS = ("member", "organization", "supplier", "recipient", "item", "participants", "location", "host",
                 "of", "absent", "parties", "speaker", "about", "audience", "actor", "target")
DATE_FIELDS = ("date", "start", "end", "as_of", "date_before", "date_after")
FACT_TYPES = ("membership", "arms-transfer", "meeting", "agreement", "statement", "deployment", "military-action")
ARTICLE_KEYS = ("id", "title", "publisher", "published", "language", "url", "text", "reference")


class Tagged:
    """A value written with an explicit YAML tag (``!!python/object:…``, ``!!binary``, ``!local``, …)."""

    def __init__(self, tag: str, value):
        self.tag, self.value = tag, value


class Raw(str):
    """YAML text pasted in place of a value (deep nesting, undefined or recursive aliases)."""


class _Dumper(yaml.SafeDumper):
    pass


def _represent_tagged(dumper: yaml.SafeDumper, obj: Tagged):
    if isinstance(obj.value, dict):
        return dumper.represent_mapping(obj.tag, obj.value)
    if isinstance(obj.value, list):
        return dumper.represent_sequence(obj.tag, obj.value)
    return dumper.represent_scalar(obj.tag, str(obj.value))


_Dumper.add_representer(Tagged, _represent_tagged)

TAGS = ("tag:yaml.org,2002:python/object:os.system", "tag:yaml.org,2002:python/object/apply:os.system",
        "tag:yaml.org,2002:python/name:os.system", "tag:yaml.org,2002:python/object/new:subprocess.Popen",
        "tag:yaml.org,2002:binary", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:set", "tag:yaml.org,2002:omap",
        "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:merge",
        "!custom", "!", "tag:example.com,2000:thing")

ODD_STRINGS = (
    "", " ", "~", "null", "Null", "NULL", "yes", "no", "on", "off", "true", "False", "0", "-0", "+1", "0x1f", "0o17",
    "1_000", ".inf", "-.inf", ".nan", "NaN", "sNaN", "Infinity", "-Infinity", "1e5000", "1e-5000", "1e309",
    "4e-400", "-1", "0.5", "1/2", "٣", "２", "Ⅻ", "russia\n", "\ttab", "a\x00b", "\x00", "\x85", "\u2028",
    "\u2029", "\ufeff", "\u202e", "\r", "\r\n", "a\x1b[31mred", "<script>alert(1)</script>", "'", '"', "\\", "{",
    "[", "]", "}", "*x", "&a", "!t", "%", "@", "`", "#", "- a", ": b", "? c", "|", ">", "---", "...", "<<",
    "http://[x", "http://a\x01b", "http://a/%zz", "https://example.org/a b", "javascript:alert(1)", "../../etc/passwd",
    "/", ".", "articles", "articles/", "/dev/zero", "~root", "a" * 300, "é" * 5000, "🙂" * 1000,
)
ODD_DATES = (
    "2023", "2023-11", "2023-11-22", "2023-02-29", "2024-02-29", "2023-02-30", "2023-13", "2023-00", "2023-11-00",
    "0000", "0001-01-01", "9999-12-31", "10000", "-0001", "+2023", "2023-11-22T10:00", "2023-11-22T10:00:00Z",
    "2023-11-22T24:00:00", "2023-11-22T10:00:60", "2023-11-22T10:00+25:00", "2023-11-22T10:00:00.123456789+01:00",
    "2023-11-22 10:00", "2023-W47", "2023-326", "22/11/2023", "2023-١١", "２０２３", "2023-11-22T1٠:00",
    " 2023 ", "2023-11-22\n", "2023-11-22junk", "2023-11-22T10:00:00-00:00", "1999-12-31T23:59:59.999999Z",
)
LANG_TAGS = ("it", "en", "pt-BR", "zh-Hant-TW", "en-US-US", "en-a", "en-x", "en-12", "en-a-bb", "x-klingon",
             "i-klingon", "EN", "e", "english", "it\n", "it-", "-it", "it_IT", "abc-abcdefgh", "qaa-Qaaa-QM-x-southern")
ENTITY_IDS = ("belarussia", "narnia", "Russia", "RUSSIA", "-russia", "russia-", "russia_", "ru ssia", "russia\n",
              "", "rüssia", "россия", "0", "a" * 500, "russia\u200b", "csto\t")


def huge_strings():
    return st.builds(lambda s, n: s * n, st.sampled_from(["a", "é", "🙂", "ab\n", " ", "\t"]),
                     st.integers(1_000, 200_000))


def scalars():
    return st.one_of(
        st.sampled_from(ODD_STRINGS),
        st.sampled_from(ODD_DATES),
        st.text(max_size=40),
        st.text(st.characters(codec="utf-8", categories=("Cc", "Zs", "Zl", "Zp", "Cf", "Nd")), max_size=10),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.none(),
        st.dates(min_value=dt.date(1, 1, 1)),
        st.datetimes(timezones=st.just(dt.UTC) | st.none()),
        st.binary(max_size=40),
        huge_strings(),
    )


def values():
    """Any value a field could be given: scalars, lists, mappings, tagged values, raw YAML."""
    return st.recursive(
        scalars() | st.builds(Tagged, st.sampled_from(TAGS), scalars()) | raw_yaml(),
        lambda inner: st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["a", "id", "type", "quote", "<<", "en", ""]) | st.text(max_size=8),
                          inner, max_size=3)
        | st.builds(Tagged, st.sampled_from(TAGS), st.lists(inner, max_size=2)),
        max_leaves=6,
    )


DEPTHS = (1, 10, 100, 300, 400, 480, 499, 500, 700, 990, 999, 1000, 1001, 1200, 5000)


def raw_yaml():
    return st.one_of(
        st.builds(lambda d: Raw("[" * d + "]" * d), st.sampled_from(DEPTHS)),
        st.builds(lambda d: Raw("{a: " * d + "1" + "}" * d), st.sampled_from(DEPTHS)),
        st.builds(lambda d: Raw("[" * d + "x" + "]" * d), st.sampled_from(DEPTHS)),
        st.sampled_from([Raw("*undefined"), Raw("&r [*r]"), Raw("&m {k: *m}"), Raw("&a x"), Raw("!!python/none ''"),
                         Raw("!!binary gIGC/w=="), Raw("!!binary '%%%'"), Raw("! x"), Raw("!<!> x"),
                         Raw("&a [1, *a, *a]"), Raw("{? [a]: b}"), Raw("[a, b"), Raw("{a: 1, a: 2}"),
                         Raw('"\\ud800"'), Raw('"\\x00\\x01"'), Raw('"\\N\\L\\P"'), Raw("'a\tb'"),
                         Raw("|\n  block\n  text"), Raw(">-\n  folded"), Raw("!!python/object:__main__.X {}")]),
    )


def billion_laughs(width: int, depth: int) -> list:
    """Nested lists sharing each level: the dumper writes anchors and aliases, 9**9 items in a few lines."""
    level: list = ["lol"] * width
    for _ in range(depth):
        level = [level] * width
    return level


def _mapping_to_mutate(draw, data: dict) -> dict:
    facts = [f for f in data.get("facts") or [] if isinstance(f, dict)] if isinstance(data.get("facts"), list) else []
    article = data.get("article") if isinstance(data.get("article"), dict) else None
    choices = [data, *([article] if article else []), *facts[:40]]
    ents = data.get("entities")
    if isinstance(ents, list):
        choices += [e for e in ents if isinstance(e, dict)]
    return draw(st.sampled_from(choices))


def _fact(draw, data: dict) -> dict | None:
    facts = data.get("facts")
    if not isinstance(facts, list):
        return None
    facts = [f for f in facts if isinstance(f, dict)]
    return draw(st.sampled_from(facts)) if facts else None


def m_drop_key(draw, data):
    m = _mapping_to_mutate(draw, data)
    if m:
        m.pop(draw(st.sampled_from(sorted(m, key=str))), None)


def m_unknown_key(draw, data):
    m = _mapping_to_mutate(draw, data)
    key = draw(st.sampled_from(["date_befor", "qoute", "Type", "id ", "facts", "article", "<<", "", "~"])
               | st.text(max_size=12))
    m[key] = draw(values())


def m_set_value(draw, data):
    m = _mapping_to_mutate(draw, data)
    if m:
        m[draw(st.sampled_from(sorted(m, key=str)))] = draw(values())


def m_article_field(draw, data):
    article = data.get("article")
    if not isinstance(article, dict):
        return
    key = draw(st.sampled_from(ARTICLE_KEYS))
    article[key] = draw(st.one_of(
        st.sampled_from(LANG_TAGS) if key == "language" else st.nothing(),
        st.sampled_from(ODD_DATES) if key == "published" else st.nothing(),
        st.sampled_from(ENTITY_IDS) if key in ("id", "publisher") else st.nothing(),
        values(),
    ))


def m_fact_type(draw, data):
    fact = _fact(draw, data)
    if fact is not None:
        fact["type"] = draw(st.sampled_from([*FACT_TYPES, "Membership", "arms_transfer", "war", "", "membership "])
                            | values())


def m_unknown_entity(draw, data):
    fact = _fact(draw, data)
    if fact is None:
        return
    names = [k for k in fact if k in ENTITY_FIELDS] or ["supplier"]
    ids = st.sampled_from(ENTITY_IDS) | st.text(max_size=20) | st.sampled_from(REGISTRY_IDS)
    fact[draw(st.sampled_from(names))] = draw(ids | st.lists(ids, max_size=4))


def m_quote(draw, data):
    fact = _fact(draw, data)
    if fact is None:
        return
    quote = str(fact.get("quote", ""))
    fact["quote"] = draw(st.one_of(
        st.just(quote.upper()),
        st.just(quote.replace("’", "'").replace("“", '"').replace("”", '"')),
        st.just("  " + quote.replace(" ", " \n\t ") + "  "),  # white space folded: still found
        st.builds(lambda i: quote[:i], st.integers(0, max(len(quote), 1))),
        st.just(quote + " e poi?"),
        st.just(quote * 200),
        st.text(max_size=80),
        values(),
    ))


def m_date(draw, data):
    fact = _fact(draw, data)
    if fact is not None:
        fact[draw(st.sampled_from(DATE_FIELDS))] = draw(st.sampled_from(ODD_DATES) | scalars())


def m_number(draw, data):
    fact = _fact(draw, data)
    if fact is not None:
        fact[draw(st.sampled_from(("quantity", "confidence")))] = draw(
            st.sampled_from(("1e5000", "1e-5000", "1e-300", "1E+20", "0", "-0", "0.0", "1.0", "1.5", "2.", ".5",
                             "1_000", " 3 ", "NaN", "sNaN", "Infinity", "0x10", "١٢", "1e", "e1", "--1"))
            | scalars())


def m_nesting(draw, data):
    m = _mapping_to_mutate(draw, data)
    key = draw(st.sampled_from(sorted(m, key=str))) if m else "facts"
    m[key] = draw(raw_yaml())


def m_aliases(draw, data):
    """Shared values: the dumper writes them once with an anchor and then as aliases."""
    facts = data.get("facts")
    if not isinstance(facts, list) or not facts:
        return
    kind = draw(st.integers(0, 3))
    if kind == 0:  # the same fact mapping twice (a duplicate fact, via an alias)
        facts.append(facts[draw(st.integers(0, len(facts) - 1))])
    elif kind == 1:  # one list shared by several fields
        shared = ["russia", "belarus"]
        for f in facts[:5]:
            if isinstance(f, dict):
                f["participants"] = shared
    elif kind == 2:  # the article mapping reused as a fact
        facts.append(data.get("article"))
    else:  # a fact that contains itself
        f = facts[0]
        if isinstance(f, dict):
            f["note"] = f


def m_bomb(draw, data):
    """A "billion laughs": 9 levels of 9 aliases to the level below, used where lists are read."""
    bomb = billion_laughs(draw(st.integers(2, 9)), draw(st.integers(1, 9)))
    where = draw(st.sampled_from(("components", "participants", "facts", "entities", "lol", "quote")))
    if where in ("facts", "entities", "lol"):
        data[where] = bomb
    else:
        fact = _fact(draw, data)
        if fact is not None:
            fact[where] = bomb
    data.setdefault("lol", bomb)


def m_tag(draw, data):
    m = _mapping_to_mutate(draw, data)
    if m:
        key = draw(st.sampled_from(sorted(m, key=str)))
        m[key] = Tagged(draw(st.sampled_from(TAGS)), m[key] if isinstance(m[key], str | list | dict) else "x")


def m_binary(draw, data):
    m = _mapping_to_mutate(draw, data)
    if m:
        m[draw(st.sampled_from(sorted(m, key=str)))] = draw(st.binary(max_size=200))


def m_long(draw, data):
    m = _mapping_to_mutate(draw, data)
    if m:
        m[draw(st.sampled_from(sorted(m, key=str)))] = draw(huge_strings())


def m_facts(draw, data):
    facts = data.get("facts")
    if not isinstance(facts, list):
        return
    op = draw(st.integers(0, 3))
    if op == 0:
        del facts[draw(st.integers(0, len(facts))):]
    elif op == 1 and facts:
        facts.append(copy.deepcopy(facts[draw(st.integers(0, len(facts) - 1))]))
    elif op == 2:
        data["facts"] = draw(values())
    else:
        facts.insert(0, draw(values()))


def m_entities(draw, data):
    """The sheet's own `entities:`: redeclarations, clashes, bad ids, tags, labels."""
    ent = {
        "id": draw(st.sampled_from(["euma", *REGISTRY_IDS[:5], *ENTITY_IDS]) | st.text(max_size=12)),
        "type": draw(st.sampled_from(["organization", "country", "person", "place", "weapon-system", "event",
                                      "Country", "city", ""]) | values()),
        "labels": draw(st.dictionaries(st.sampled_from(LANG_TAGS) | st.text(max_size=6),
                                       st.text(max_size=20) | values(), max_size=3) | values()),
    }
    for key, strategy in (("aliases", st.lists(st.text(max_size=10), max_size=3) | values()),
                          ("wikidata", st.sampled_from(["Q159", "Q1", "Q0", "Q1\n", "q5", "P31", "Q" + "9" * 50])
                           | values()),
                          ("country", st.sampled_from(["russia", "narnia", "russia\n"]) | values()),
                          ("role", st.text(max_size=10) | values())):
        if draw(st.booleans()):
            ent[key] = draw(strategy)
    ents = data.get("entities")
    if isinstance(ents, list):
        ents.append(ent)
    else:
        data["entities"] = [ent]


MUTATIONS = (m_drop_key, m_unknown_key, m_set_value, m_article_field, m_fact_type, m_unknown_entity, m_quote,
             m_date, m_number, m_nesting, m_aliases, m_bomb, m_tag, m_binary, m_long, m_facts, m_entities)


def dump(draw, data) -> str:
    dumper_options = {
        "default_flow_style": draw(st.sampled_from([False, None, True])),
        "allow_unicode": draw(st.booleans()),
        "width": draw(st.sampled_from([80, 20, 10**9])),
        "indent": draw(st.sampled_from([2, 4, 9])),
        "line_break": draw(st.sampled_from([None, "\r\n", "\r"])),
        "explicit_start": draw(st.booleans()),
        "sort_keys": draw(st.booleans()),
    }

    raws: list[str] = []

    class Dumper(_Dumper):
        pass

    def represent_raw(dumper: yaml.SafeDumper, obj: Raw):
        raws.append(str(obj))  # a placeholder word now, the raw text once the document is written
        return dumper.represent_scalar("tag:yaml.org,2002:str", f"RAWPLACEHOLDER{len(raws) - 1}X")

    Dumper.add_representer(Raw, represent_raw)
    text = yaml.dump(data, Dumper=Dumper, **dumper_options)
    for i, raw in enumerate(raws):
        text = text.replace(f"RAWPLACEHOLDER{i}X", raw)
    return text


def text_edits(draw, text: str) -> str:
    """Line-level edits after serialising: duplicate keys, tabs, control characters, truncation, BOMs."""
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
        lines = text.split("\n")
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.integers(0, 7))
        if op == 0:
            lines.insert(i, lines[i])  # duplicate a line: duplicate keys, mostly
        elif op == 1:
            del lines[i]
        elif op == 2:
            lines.insert(i, draw(st.text(max_size=60)))
        elif op == 3:
            lines[i] = "\t" + lines[i].lstrip(" ")
        elif op == 4:
            j = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:j] + draw(st.sampled_from(["\x00", "\x01", "\x7f", "\x85", "\u2028", "\ufeff",
                                                            "\ud7ff", "\ufffe", "\t", "\r", "#", ": ", "'", '"',
                                                            "&a ", "*a ", "!!binary ", "%"])) + lines[i][j:]
        elif op == 5:
            text = "\n".join(lines)
            return text[:draw(st.integers(0, len(text)))]
        elif op == 6:
            lines.insert(i, "# " + "x" * draw(st.integers(10_000, 1_000_000)))
        else:
            lines.append(draw(st.sampled_from(["---", "--- {}", "...", "%YAML 1.1", "a: 1", "- x"])))
        text = "\n".join(lines)
    return text


@st.composite
def structured_sheets(draw) -> bytes:
    data = copy.deepcopy(SEED_DATA)
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 3]))):
        draw(st.sampled_from(MUTATIONS))(draw, data)
    text = dump(draw, data)
    text = text_edits(draw, text)
    prefix = draw(st.sampled_from(["", "", "", "", "", "\ufeff", "%YAML 1.1\n", "# comment\n"]))
    return (prefix + text).encode("utf-8", errors="surrogatepass")


@fuzz_settings(150)
@given(data=structured_sheets())
def test_structured_fuzz_of_the_seed_sheet(box, data):
    note(f"input ({len(data)} bytes): {data[:2000]!r}")
    record(box.check(data), "structured")


def test_the_seed_sheet_itself_is_valid(box):
    """The oracle's baseline: the seed, as it is and serialised again, validates."""
    assert box.check(SEED_BYTES).problems == []
    again = yaml.safe_dump(SEED_DATA, allow_unicode=True, width=10**9, sort_keys=False).encode()
    assert box.check(again).problems == []


# ---- raw fuzz: bytes and text -------------------------------------------------------------------------

BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")


@st.composite
def mutated_seed_bytes(draw) -> bytes:
    data = bytearray(SEED_BYTES)
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.integers(0, 8))
        i = draw(st.integers(0, len(data)))
        if op == 0:
            data[i:i] = draw(st.binary(min_size=1, max_size=16))
        elif op == 1:
            del data[i:i + draw(st.integers(1, 64))]
        elif op == 2:
            data[i:i + 1] = draw(st.sampled_from([b"\x00", b"\t", b"\r", b"\r\n", b"\xc3", b"\xff", b"\xed\xa0\x80",
                                                  b"\xc2\x85", b"\xe2\x80\xa8", b"\xef\xbb\xbf", b"[", b"{", b"&",
                                                  b"*", b"!", b"'", b'"', b"\\", b"- ", b": ", b"#", b"\n  ", b"\n"]))
        elif op == 3:
            data = bytearray(data.replace(b"\n", draw(st.sampled_from([b"\r\n", b"\r", b"\xc2\x85",
                                                                       b"\xe2\x80\xa8", b"\n\n"]))))
        elif op == 4:
            data[:0] = draw(st.sampled_from(BOMS))
        elif op == 5:
            j = draw(st.integers(0, len(data)))
            data[i:i] = data[min(i, j):max(i, j)][:4096]  # duplicate a stretch: repeated keys and lines
        elif op == 6:
            data = data[:i]
        elif op == 7:
            data = bytearray(data.replace(b"  ", b"\t", draw(st.integers(1, 50))))
        else:
            data[i:i] = draw(st.text(max_size=20)).encode("utf-8")
    return bytes(data)


YAML_ALPHABET = "[]{}:,-?&*!|>'\"#%@` \n\t\r\x00\x85\u2028\ufeffab01.~é"


def raw_inputs():
    return st.one_of(
        st.binary(max_size=4096),
        st.text(max_size=500).map(lambda s: s.encode("utf-8")),
        st.text(YAML_ALPHABET, max_size=300).map(lambda s: s.encode("utf-8")),
        st.builds(lambda bom, s, enc: bom + s.encode(enc, errors="replace"), st.sampled_from((b"", *BOMS)),
                  st.text(max_size=200), st.sampled_from(["utf-8", "utf-16", "utf-16-be", "utf-32", "latin-1"])),
        mutated_seed_bytes(),
        mutated_seed_bytes(),
    )


@fuzz_settings(400)
@given(data=raw_inputs())
def test_raw_bytes_fuzz(box, data):
    note(f"input ({len(data)} bytes): {data[:2000]!r}")
    record(box.check(data), "raw")


# ---- hand-picked hostile sheets -------------------------------------------------------------------------

SEED = SEED_BYTES.decode("utf-8")


def seed_with(old: str, new: str, count: int = 1) -> str:
    assert old in SEED, old
    return SEED.replace(old, new, count)


class Case(NamedTuple):
    """An input the reader must refuse: a problem on ``line`` (None: any) whose message holds ``word``."""

    data: str | bytes
    line: int | None
    word: str = ""


def check_refused(box: Sandbox, case: Case) -> list[str]:
    """The oracle, then: refused, with a problem on the case's line saying why. Returns the problems printed."""
    out = box.check(case.data)
    printed = [str(p) for p in out.problems]
    assert printed, "accepted"
    if case.line is not None or case.word:
        assert any((case.line is None or p.line == case.line) and case.word.lower() in p.message.lower()
                   for p in out.problems), (case.line, case.word, printed)
    return printed


LOL = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10))
BOMB = "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + LOL


def nested(depth: int) -> str:
    """The seed with `unit:` (line 19, itself 3 levels down) given ``depth`` nested flow lists."""
    return seed_with("unit: battalion", "unit: " + "[" * depth + "]" * depth)


#: inputs the reader has always refused cleanly: name -> Case
HOSTILE: dict[str, Case] = {
    "billion-laughs-in-components": Case("lol:\n" + "".join("  " + line + "\n" for line in BOMB.splitlines())
                                         + seed_with("components: [launchers]", "components: *l9"), 10, "single value"),
    "billion-laughs-as-facts": Case(BOMB + "article: {id: x}\nfacts: *l9\n", None),
    "recursive-alias": Case(seed_with("components: [launchers]", "components: &c [*c]"), 20, "single value"),
    "undefined-alias": Case(seed_with("unit: battalion", "unit: *nope"), 19, "undefined alias"),
    "python-object-tag": Case(seed_with("supplier: russia",
                                        "supplier: !!python/object/apply:os.system ['touch /tmp/x']"), 15),
    "binary-tag": Case(seed_with("recipient: tajikistan", "recipient: !!binary gIGC/w=="), 16, "entity id"),
    "nesting-1001": Case(nested(1001), 19, "nesting depth"),  # libyaml's own limit is 1000
    "nesting-300": Case(nested(300), 19, "nested deeper"),
    "invalid-utf8": Case(SEED_BYTES.replace(b"battalion", b"batt\xc3\x28lion"), 1, "not UTF-8"),
    "utf16-with-bom": Case(SEED.encode("utf-16"), 1, "not UTF-8"),
    "crlf-and-tab": Case(seed_with("  language: it", "\tlanguage: it").replace("\n", "\r\n"), 8, "tab"),
    "duplicate-keys": Case(seed_with("  language: it", "  language: it\n  language: en"), 9, "duplicate key"),
    "unknown-fact-type": Case(seed_with("type: arms-transfer", "type: arms-sale"), 13, "unknown fact type"),
    "unknown-entity": Case(seed_with("supplier: russia", "supplier: belarussia"), 15, "unknown entity"),
    "quote-not-in-text": Case(seed_with("quote: \"la Russia", "quote: \"la Francia"), 24, "quote not found"),
    "odd-date": Case(seed_with("date_before: 2023-11-22", "date_before: 2023-02-30"), 22, "calendar date"),
    "long-line": Case(seed_with("unit: battalion", "unit: " + "a" * 2_000_000 + "\n    unit: b"), 20, "duplicate key"),
    "empty-file": Case(b"", 1, "the file is empty"),
    "comments-only": Case(b"# nothing\n# here", 1, "the file is empty"),
    "second-document": Case(SEED + "---\narticle: {}\n", SEED.count("\n") + 1, "another document"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_sheet_is_refused_with_its_line(box, name):
    check_refused(box, HOSTILE[name])


def url(value: str) -> str:
    return seed_with("  language: it\n", f"  language: it\n  url: {value}\n")  # line 9


def declared(entity: str) -> str:
    return seed_with("facts:", f"entities:\n  - {entity}\nfacts:")  # line 12


#: the bugs this file and atheris found, now fixed: each input is refused on its line, saying why
REGRESSIONS: dict[str, Case] = {
    # a `url` that urlsplit raised on, or that was no IRI (mapping.py's ox.NamedNode raised)
    "url-ipv6": Case(url("'http://[x'"), 9, "URL"),
    "url-control-char": Case(url('"http://a\\x01b"'), 9, "URL"),
    "url-bad-percent": Case(url("http://a/%zz"), 9, "URL"),
    # patterns ending in `$` took a final newline (vocab.py/ox raised on the IRI or literal)
    "article-id-newline": Case(seed_with("  id: askanews-2023-11-22-csto", '  id: "askanews\\n"'), 4, "must match"),
    "fact-id-newline": Case(seed_with("id: s300-to-tajikistan", 'id: "s300\\n"'), 14, "must match"),
    "language-newline": Case(seed_with("  language: it", '  language: "it\\n"'), 8, "BCP 47"),
    "entity-id-newline": Case(declared('{id: "euma\\n", type: organization, labels: {en: EU Mission in Armenia}}'),
                              12, "must match"),
    "wikidata-newline": Case(declared('{id: euma, type: organization, labels: {en: EUMA}, wikidata: "Q1\\n"}'),
                             12, "Wikidata"),
    "entity-ref-newline": Case(seed_with("supplier: russia", 'supplier: "narnia\\n"'), 15, "not an entity id"),
    # language tags that are not BCP 47 (ox.Literal raised)
    "language-en-US-US": Case(seed_with("  language: it", "  language: en-US-US"), 8, "BCP 47"),
    "label-language-en-a": Case(declared("{id: euma, type: organization, labels: {en-a: EUMA}}"), 12, "BCP 47"),
    "label-language-en-12": Case(declared("{id: euma, type: organization, labels: {en-12: EUMA}}"), 12, "BCP 47"),
    # dates with non-ASCII digits (\d) passed as ill-typed xsd:gYear / xsd:gYearMonth literals
    "date-arabic-indic-year": Case(seed_with("date_before: 2023-11-22", "date_before: ٢٠٢٣"), 22, "ISO 8601"),
    "date-arabic-indic-month": Case(seed_with("date_before: 2023-11-22", "date_before: 2023-١١"), 22, "ISO 8601"),
    "date-fullwidth-year": Case(seed_with("date_before: 2023-11-22", "date_before: ２０２３"), 22, "ISO 8601"),
    "date-arabic-indic-hour": Case(seed_with("date_before: 2023-11-22", "date_before: 2023-11-22T1٠:00"), 22,
                                   "ISO 8601"),
    # a `text` path with a NUL byte (Path.read_text raised ValueError)
    "text-path-nul": Case(seed_with("text: articles/askanews-2023-11-22-csto.txt", 'text: "a\\0b"'), 9, "`text`"),
    # deep nesting (yamlnodes.py:_convert recursed into RecursionError)
    "nesting-60": Case(nested(60), 19, "nested deeper"),
    "nesting-500-lists": Case(nested(500), 19, "nested deeper"),
    "nesting-990-mappings": Case(seed_with("unit: battalion", "unit: " + "{a: " * 990 + "1" + "}" * 990), 19,
                                 "nested deeper"),
    # problems that printed over several lines: quoted text and libyaml's reader errors
    "key-with-newline": Case(seed_with("  language: it", '  language: it\n  "foo\\nbar": 1'), 9, "unknown field"),
    "key-with-escape": Case(seed_with("  language: it", '  language: it\n  "a\\e[31mred": 1'), 9, "unknown field"),
    "control-character": Case(SEED_BYTES.replace(b"battalion", b"batt\x01alion"), 19, "not allowed"),
    "nul-byte": Case(SEED_BYTES.replace(b"battalion", b"batt\x00lion"), 19, "not allowed"),
    # the end of a file without a final line break was reported on the line after the last
    "unclosed-flow-at-eof": Case(b"article: {id: x", 1, "invalid YAML"),
    "unclosed-flow-at-eof-2": Case(b"article:\n  id: [x", 2, "invalid YAML"),
    "unclosed-flow-crlf": Case(b"article:\r\n  id: [x\r\n", 2, "invalid YAML"),
}
# a quantity's exponent: 1e1000000 spent 40 s in int(Decimal), 1e10000000 hung, 1e5000 made str() raise
for _exponent in ("1e5000", "1e1000000", "1e10000000", "1e-10000000", f"1e{MAX_EXPONENT + 1}"):
    REGRESSIONS[f"quantity-{_exponent}"] = Case(seed_with("quantity: 2", f"quantity: {_exponent}"), 18,
                                                "out of range")
REGRESSIONS["confidence-1e-10000000"] = Case(seed_with("quantity: 2", "quantity: 2\n    confidence: 1e-10000000"),
                                             19, "out of range")


@pytest.mark.parametrize("name", list(REGRESSIONS))
def test_fixed_bug_is_refused_with_its_line(box, name):
    check_refused(box, REGRESSIONS[name])


def test_escaped_problem_keeps_the_quoted_text_visible(box):
    """A line break in a quoted key is printed escaped, on the key's line, not dropped."""
    printed = check_refused(box, REGRESSIONS["key-with-newline"])
    assert any(":9: unknown field 'foo\\nbar'" in p for p in printed), printed


def test_what_the_limits_let_through_still_validates(box):
    """The new limits are not tighter than said: 50 levels, an exponent of 30."""
    assert box.check(seed_with("quantity: 2", f"quantity: 2e{MAX_EXPONENT}")).problems == []
    assert box.check(seed_with("quantity: 2", "quantity: 2\n    confidence: 0.5e-5")).problems == []
    shallow = box.check(nested(MAX_DEPTH - 10)).problems
    assert shallow and not any("nested deeper" in p.message for p in shallow), [str(p) for p in shallow]


def test_huge_quantity_exponent_is_refused_fast(box):
    """`quantity: 1e10000000` hung the command (1e1000000: 40 s); it must answer at once."""
    for exponent in ("1e10000000", "1e-10000000"):
        box.sheet.write_text(seed_with("quantity: 2", f"quantity: {exponent}"), encoding="utf-8")
        try:
            result = subprocess.run([str(NEWSGRAPH), "validate", "--store", "memory:", str(box.registry),
                                     str(box.sheet)], cwd=box.folder, env=clean_env(), capture_output=True,
                                    text=True, timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail(f"validate did not finish within 10 s on quantity: {exponent}")
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-3000:]
        assert f"{box.sheet}:18: `quantity`: {exponent} is out of range" in result.stderr, result.stderr[-3000:]


# ---- the `text:` path: the sheet's own folder, plain files only --------------------------------------------

ARTICLE = "articles/askanews-2023-11-22-csto.txt"


def with_text(path: str) -> str:
    return seed_with(f"text: {ARTICLE}", f"text: {path}")  # line 9


@pytest.fixture(scope="module")
def odd_box(tmp_path_factory) -> Sandbox:
    """A sandbox whose articles/ also holds what a `text:` must not read, and a link that may be read."""
    box = Sandbox(tmp_path_factory.mktemp("fuzz-text"))
    articles = box.folder / "articles"
    (articles / "passwd.txt").symlink_to("/etc/passwd")
    (articles / "zero.txt").symlink_to("/dev/zero")
    (articles / "escape").symlink_to(box.folder.parent)
    (articles / "same.txt").symlink_to(TEXT.name)  # a link to the article beside it: inside
    os.mkfifo(articles / "fifo.txt")
    with open(articles / "huge.txt", "wb") as f:  # sparse: costs no disk
        f.truncate(MAX_TEXT + 1)
    return box


OUTSIDE = "outside the sheet's folder"
TEXT_CASES: dict[str, Case] = {
    "etc-passwd": Case(with_text("/etc/passwd"), 9, OUTSIDE),
    "dot-dot-etc-passwd": Case(with_text("../../../../etc/passwd"), 9, OUTSIDE),
    "dot-dot-sibling": Case(with_text(f"../{ARTICLE}"), 9, OUTSIDE),
    "inside-then-out": Case(with_text(f"articles/../../x/{ARTICLE}"), 9, OUTSIDE),
    "dev-zero": Case(with_text("/dev/zero"), 9, OUTSIDE),
    "proc-self-environ": Case(with_text("/proc/self/environ"), 9, OUTSIDE),
    "absolute-inside": Case(with_text("{folder}/" + ARTICLE), 9, OUTSIDE),  # only relative paths
    "link-to-etc-passwd": Case(with_text("articles/passwd.txt"), 9, OUTSIDE),
    "link-to-dev-zero": Case(with_text("articles/zero.txt"), 9, OUTSIDE),
    "link-to-parent": Case(with_text("articles/escape/x.txt"), 9, OUTSIDE),
    "directory": Case(with_text("articles"), 9, "not a plain file"),
    "fifo": Case(with_text("articles/fifo.txt"), 9, "not a plain file"),
    "larger-than-16-mib": Case(with_text("articles/huge.txt"), 9, "larger than 16 MiB"),
    "missing": Case(with_text("articles/nope.txt"), 9, "not found"),
}


def unblock_fifo(fifo: Path) -> threading.Thread:
    """Should the reader open the FIFO after all, a writer that closes at once gives it EOF instead of a hang."""
    def write():
        with open(fifo, "wb"):
            pass

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("name", list(TEXT_CASES))
def test_text_path_is_refused(odd_box, name):
    case = TEXT_CASES[name]
    data = case.data.replace("{folder}", str(odd_box.folder)) if isinstance(case.data, str) else case.data
    fifo = odd_box.folder / "articles" / "fifo.txt"
    writer = unblock_fifo(fifo) if name == "fifo" else None
    try:
        printed = check_refused(odd_box, case._replace(data=data))
    finally:
        if writer is not None and writer.is_alive():  # nobody opened it (right): open it so the writer ends
            os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
            writer.join(5)
    assert not any("root:" in p for p in printed), printed  # nothing of /etc/passwd is shown


@pytest.mark.parametrize("path", [ARTICLE, f"./{ARTICLE}", f"articles/../{ARTICLE}", "articles/same.txt"])
def test_text_path_inside_the_folder_is_read(odd_box, path):
    assert odd_box.check(with_text(path)).problems == []


# ---- found late: empty documents, libyaml's byte offsets, null, Unicode line breaks -------------------

#: name -> Case: bugs found by the later runs, fixed in loaders/yamlnodes.py and loaders/records.py
LATE: dict[str, Case] = {
    "bare-document-start": Case(b"---\n", 1, "the file is empty"),
    "bare-document-start-at-eof": Case(b"---", 1, "the file is empty"),  # line 2 of 1
    "document-start-and-comment": Case(b"---\n# nothing", 1, "the file is empty"),
    "directive-and-document-start": Case(b"%YAML 1.1\n---\n", 1, "the file is empty"),
    "control-character-after-non-ascii": Case(SEED_BYTES.replace(b"status: member", b"status: mem\x01ber", 1),
                                              SEED[:SEED.index("status: member")].count("\n") + 1, "not allowed"),
    "control-character-on-the-last-line": Case(SEED_BYTES + b"# \x01\n", SEED.count("\n") + 1, "not allowed"),
    "key-with-nel": Case(seed_with("  language: it", '  language: it\n  "foo\\Nbar": 1'), 9, "unknown field"),
    "key-with-line-separator": Case(seed_with("  language: it", '  language: it\n  "foo\\Lbar": 1'), 9,
                                    "unknown field"),
}


@pytest.mark.parametrize("name", list(LATE))
def test_late_regression(box, name):
    check_refused(box, LATE[name])


def test_plain_null_is_null(box):
    """`key:`, `key: ~`, `key: null` are null (libyaml gives a plain scalar the style '', not None)."""
    assert box.check(seed_with("facts:", "entities:\nfacts:")).problems == []  # no entities of its own
    assert box.check(seed_with("quantity: 2", "quantity: ~")).problems == []  # as if not given


# ---- what atheris saved -----------------------------------------------------------------------------------

#: the inputs fuzz/atheris_sheets.py saved under fuzz/crashes/: name -> (line, word)
CRASH_FILES: dict[str, tuple[int, str]] = {
    # %YAML 1.1, ---, a comment, CRLF, no final line break: the empty document
    "crash-e2e45d64afcf574ba6399089545d6f6d28861e50": (1, "the file is empty"),
    "crash-32325b26c62c49f959029e9aac5ebcc82c774e67": (1, "the file is empty"),  # the same
    # a \x01 in a one-line flow-style sheet: libyaml's reader error printed over two lines
    "crash-5990f800538de1785e88b77b4662af6764b8f3a0": (1, "not allowed"),
    # a flow-style sheet with an unknown key holding a raw LS (U+2028), quoted in the problem as it is
    "crash-badb73f1d349dc31448ceeacbfd3270f2a0e9dfa": (1, "unknown field"),
    # a flow-style sheet whose `text` path holds a raw LS, quoted in "file … not found" as it is
    "crash-4eb955894da2b38a9746985b01e5d947e78957f0": (1, "not found"),
}


@pytest.mark.parametrize("name", list(CRASH_FILES))
def test_crash_found_by_atheris(box, name):
    line, word = CRASH_FILES[name]
    check_refused(box, Case((CRASHES / name).read_bytes(), line, word))


def test_every_saved_crash_is_a_regression_case():
    """A new file under fuzz/crashes/ (crash-, timeout-, oom-, leak-…) must be triaged into CRASH_FILES."""
    saved = {p.name for p in CRASHES.iterdir() if "-" in p.name} if CRASHES.is_dir() else set()
    assert saved <= set(CRASH_FILES), sorted(saved - set(CRASH_FILES))


# ---- the real command on hostile files ------------------------------------------------------------------


def newsgraph(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(NEWSGRAPH), *args], cwd=cwd, env=clean_env(), capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A store holding the registry only, its export, and a folder laid out like seeds/ for the sheets."""
    folder = tmp_path_factory.mktemp("fuzz-cli")
    Sandbox(folder)
    store = folder / "store"
    result = newsgraph("load", "--quiet", "--store", str(store), str(folder / "entities.yaml"), cwd=folder)
    assert result.returncode == 0, result.stderr
    before = newsgraph("export", "--store", str(store), cwd=folder)
    assert before.returncode == 0, before.stderr
    return folder, store, before.stdout


CLI_CASES: dict[str, Case] = {
    **{name: HOSTILE[name] for name in ("billion-laughs-in-components", "python-object-tag", "nesting-1001",
                                        "invalid-utf8", "quote-not-in-text")},
    **{name: REGRESSIONS[name] for name in ("language-en-US-US", "nul-byte", "key-with-newline", "nesting-60",
                                            "quantity-1e10000000", "url-ipv6")},
    **{f"text-{name}": TEXT_CASES[name] for name in ("etc-passwd", "dot-dot-etc-passwd")},
}


@pytest.mark.parametrize("name", list(CLI_CASES))
def test_command_refuses_hostile_file(stored, name):
    """`validate` and `load` exit 1, print each problem as FILE:LINE: message (the case's line among them)
    and the summary, no traceback, and the store is unchanged."""
    folder, store, before = stored
    case = CLI_CASES[name]
    sheet = folder / f"{name}.yaml"
    sheet.write_bytes(case.data.encode("utf-8") if isinstance(case.data, str) else case.data)
    pattern = re.compile(re.escape(str(sheet)) + r":(\d+): (.+)")
    for command in ("validate", "load"):
        result = newsgraph(command, "--store", str(store), str(sheet), cwd=folder)
        assert "Traceback" not in result.stderr, result.stderr[-3000:]
        assert result.returncode == 1, (command, result.returncode, result.stderr[-3000:])
        assert "root:" not in result.stdout + result.stderr  # nothing of /etc/passwd
        lines = result.stderr.splitlines()
        assert lines and lines[-1].endswith("nothing from those files was written"), lines[-3:]
        problems = [pattern.fullmatch(line) for line in lines[:-1]]
        assert problems and all(problems), [line for line in lines[:-1] if not pattern.fullmatch(line)][:5]
        assert any(int(m[1]) == case.line and case.word.lower() in m[2].lower() for m in problems), \
            (case.line, case.word, lines[:-1][:5])
    after = newsgraph("export", "--store", str(store), cwd=folder)
    assert after.returncode == 0, after.stderr
    assert after.stdout == before, "the store changed"
