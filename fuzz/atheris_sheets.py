"""Coverage-guided fuzzing of the fact-sheet reader with atheris (issue 9, hardening).

    .venv/bin/pip install -e '.[test,fuzz]'   # atheris, and hypothesis/pytest for the shared oracle
    .venv/bin/python fuzz/atheris_sheets.py -atheris_runs=20000 fuzz/corpus/sheets
    .venv/bin/python fuzz/atheris_sheets.py -max_total_time=300 fuzz/corpus/sheets
    .venv/bin/python fuzz/atheris_sheets.py fuzz/crashes/crash-…   # replay inputs (exit 1 if one fails)

Each input is written as a fact sheet beside a copy of the seed article's text and validated by
``newsgraph.loaders.plan.plan_load`` (what `newsgraph validate` runs: reading, entity references, quotes,
mapping, SHACL) against the seed registry, handed over as the store hands over its entities. The
oracle is the one of tests/test_fuzz_sheets.py (:func:`check_bytes`): the documented error,
InputError, is fine when every problem prints as one ``FILE:LINE: message`` line with LINE in the
file; any other exception, a malformed problem or a hang is a crash, and libFuzzer saves the input
under fuzz/crashes/ (``-artifact_prefix``; ``-timeout`` defaults to 20 s a sheet here). There is no
tolerance of known bugs: a saved input is triaged into CRASH_FILES of tests/test_fuzz_sheets.py, as a
regression case (an ``xfail(strict=True)`` one while the bug is not fixed).
The corpus is seeded from fuzz/corpus/sheets/ (the seed sheet and a few variants); when that folder
comes first, the inputs libFuzzer keeps go to a scratch folder instead (give a folder of your own
first to keep them). A dictionary of sheet and YAML tokens is passed unless ``-dict=`` is given.
At the end the number of inputs tried, the rate and the valid sheets among them are printed. Exit
status 0 when nothing was found.
"""

from __future__ import annotations

import atexit
import copy
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

import atheris

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEED_CORPUS = HERE / "corpus" / "sheets"
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

atheris.enabled_hooks.add("RegEx")
atheris.enabled_hooks.add("str")
with atheris.instrument_imports(include=["newsgraph.loaders", "yaml"]):  # the oracle's module imports both
    from test_fuzz_sheets import Sandbox, check_bytes, store_entities

#: tokens libFuzzer splices into inputs: the sheet's vocabulary and YAML's syntax
DICTIONARY = [
    "article:", "facts:", "entities:", "  - type: ", "id: ", "title: ", "publisher: ", "published: ", "language: ",
    "url: ", "text: ", "reference: ", "quote: ", "confidence: ", "note: ", "date: ", "date_before: ", "date_after: ",
    "start: ", "end: ", "as_of: ", "status: ", "quantity: ", "unit: ", "components: ", "labels: ", "aliases: ",
    "wikidata: ", "country: ", "role: ", "member: ", "organization: ", "supplier: ", "recipient: ", "item: ",
    "participants: ", "location: ", "host: ", "of: ", "absent: ", "parties: ", "subject: ", "speaker: ", "about: ",
    "audience: ", "actor: ", "target: ", "kind: ", "outcome: ", "topic: ",
    "membership", "arms-transfer", "meeting", "agreement", "statement", "deployment", "military-action",
    "country", "organization", "person", "place", "weapon-system", "event",
    "russia", "csto", "armenia", "belarus", "tajikistan", "askanews", "s-300", "minsk", "putin", "Q159",
    "2023", "2023-11", "2023-11-22", "2023-11-22T10:00:00Z", "it", "en", "pt-BR", "true", "false", "null", "~",
    "articles/askanews-2023-11-22-csto.txt", "http://", "https://example.org/",
    "&a ", "*a", "!!binary ", "!!python/object:", "!tag ", "<<: ", "? ", "- ", ": ", "{", "}", "[", "]", ", ",
    "'", '"', "|\n", ">-\n", "---\n", "...\n", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "#", "\n  ", "\n    ",
    "\\n", "\\0", "\\x01", "\\u2028", "\\N", "\\t", "\t", "\r\n", "\ufeff", "\u2028", "\x85", "1e", "0x", ".5",
]


def dictionary_file(folder: Path) -> Path:
    path = folder / "sheets.dict"
    lines = []
    for token in DICTIONARY:
        escaped = "".join(chr(b) if 0x20 <= b < 0x7F and chr(b) not in '"\\' else f"\\x{b:02x}"
                          for b in token.encode("utf-8"))
        lines.append(f'"{escaped}"')
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


class Harness:
    def __init__(self, folder: Path, seconds: float | None):
        self.folder = folder
        self.box = Sandbox(folder)
        self.known = store_entities()
        self.runs = 0
        self.valid = 0
        self.started = time.monotonic()
        self.seconds = seconds

    def __call__(self, data: bytes) -> None:
        if self.seconds is not None and time.monotonic() - self.started >= self.seconds:
            # libFuzzer's own -max_total_time ends the process from C, where Python's atexit does not run
            self.finish()
            os._exit(0)
        self.runs += 1
        out = check_bytes(data, self.box.sheet, None, copy.deepcopy(self.known))
        self.valid += not out.problems

    def finish(self) -> None:
        self.summary()
        shutil.rmtree(self.folder, ignore_errors=True)

    def summary(self) -> None:
        seconds = time.monotonic() - self.started
        rate = self.runs / seconds if seconds else 0.0
        print(f"\natheris_sheets: {self.runs} inputs tried in {seconds:.0f} s ({rate:.0f}/s), "
              f"{self.valid} valid sheets", file=sys.stderr)
        sys.stderr.flush()


def replay(harness: Harness, files: list[Path]) -> int:
    """Run saved inputs (crashes, corpus files) through the oracle, without libFuzzer; 1 when one fails."""
    failed = 0
    for path in files:
        try:
            harness(path.read_bytes())
        except Exception:
            failed += 1
            print(f"atheris_sheets: {path} fails:", file=sys.stderr)
            traceback.print_exc()
    return 1 if failed else 0


def main() -> None:
    argv = list(sys.argv)
    work = Path(tempfile.mkdtemp(prefix="atheris-sheets-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    (HERE / "crashes").mkdir(exist_ok=True)
    defaults = {"-artifact_prefix=": f"-artifact_prefix={HERE / 'crashes'}/", "-timeout=": "-timeout=20",
                "-dict=": f"-dict={dictionary_file(work)}"}
    flags = [flag for prefix, flag in defaults.items() if not any(a.startswith(prefix) for a in argv[1:])]
    args = argv[1:]
    seconds = None
    for a in list(args):
        if a.startswith("-max_total_time="):
            seconds = float(a.split("=", 1)[1])
            args.remove(a)
        elif a.startswith("-runs="):  # same reason: -atheris_runs ends through Python
            args[args.index(a)] = "-atheris_runs=" + a.split("=", 1)[1]
    # libFuzzer writes the inputs it keeps into the first corpus folder: never into the seed corpus
    folders = [i for i, a in enumerate(args) if not a.startswith("-") and Path(a).is_dir()]
    if folders and Path(args[folders[0]]).resolve() == SEED_CORPUS:
        (work / "corpus").mkdir()
        args.insert(folders[0], str(work / "corpus"))
    harness = Harness(work, seconds)
    atexit.register(harness.finish)
    inputs = [a for a in args if not a.startswith("-")]
    if inputs and all(Path(a).is_file() for a in inputs):
        sys.exit(replay(harness, [Path(a) for a in inputs]))
    atheris.Setup([argv[0], *flags, *args], harness)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
