"""A load's pipeline: files checked and mapped in worker processes, a bounded number ahead of the writer,
with the checked sheets spooled to disk in between (loaders/plan.py). What a user must not notice is any
difference from checking everything in one process: the same problems at the same lines, the same units."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from helpers import REGISTRY, SHEET, TEXT

from newsgraph.loaders import plan_load
from newsgraph.loaders.vocab import Iris
from newsgraph.service.progressbar import TerminalProgress

IRIS = Iris("http://example.org/")


def sheet(article_id: str, *, extra_entities: str = "", quote: str | None = None, recipient: str = "belarus") -> str:
    text = SHEET.replace("id: test-article", f"id: {article_id}").replace("recipient: belarus",
                                                                          f"recipient: {recipient}")
    if quote is not None:
        text = text.replace('quote: "la Russia ha consegnato quattro sistemi S-400 alla Bielorussia"',
                            f'quote: "{quote}"')
    if extra_entities:
        text = text.replace("facts:\n", f"entities:\n{extra_entities}facts:\n", 1)
    return text


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Good sheets, and each cross-file problem a load finds: an unknown entity (used twice), an entity
    declared only in a sheet that fails on its own (and a sheet using it), an article id used twice, a
    registry that declares a known id with another type."""
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "entities.yaml").write_text(REGISTRY, encoding="utf-8")
    (root / "test.txt").write_text(TEXT, encoding="utf-8")
    (root / "zz-clash.yaml").write_text("- {id: minsk, type: country, labels: {en: Minsk}}\n", encoding="utf-8")
    for i in range(12):
        (root / f"good-{i:02d}.yaml").write_text(sheet(f"good-{i:02d}"), encoding="utf-8")
    unknown = sheet("unknown", recipient="atlantis").replace("  - type: arms-transfer",
                                                             "  - type: arms-transfer\n    id: one", 1)
    unknown += unknown[unknown.index("  - type: arms-transfer"):].replace("id: one", "id: two")
    (root / "unknown.yaml").write_text(unknown, encoding="utf-8")
    declares = "  - {id: wakanda, type: country, labels: {en: Wakanda}}\n"
    (root / "declares-bad-quote.yaml").write_text(sheet("declares", extra_entities=declares,
                                                        quote="a sentence the text does not hold"), encoding="utf-8")
    (root / "uses-wakanda.yaml").write_text(sheet("uses", recipient="wakanda"), encoding="utf-8")
    (root / "dup-a.yaml").write_text(sheet("twice"), encoding="utf-8")
    (root / "dup-b.yaml").write_text(sheet("twice"), encoding="utf-8")
    return root


def run(corpus: Path, workers: int) -> tuple[list[str], list[tuple[str, str | None, bytes]]]:
    plan = plan_load([corpus], [], IRIS, workers=workers)
    units = [(Path(u.file).name, u.digest, u.data) for u in plan.units]
    return [f"{Path(p.file).name}:{p.line}: {p.message}" for p in plan.problems], units


def test_worker_processes_find_the_problems_and_make_the_units_one_process_does(corpus):
    problems, units = run(corpus, workers=1)
    assert problems == run(corpus, workers=2)[0]
    assert units == run(corpus, workers=2)[1]
    text = "\n".join(problems)
    # every kind of cross-file problem is there, at its line, in both
    assert text.count("unknown.yaml") == 2 and "unknown entity 'atlantis'" in text
    assert "uses-wakanda.yaml:" in text and "entity 'wakanda' in `recipient` is declared only in" in text
    assert "article id 'twice' is also used by" in text
    assert "zz-clash.yaml:1: entity 'minsk' is declared here as country but as place" in text
    assert {name for name, _, _ in units} >= {f"good-{i:02d}.yaml" for i in range(12)}
    assert not {"unknown.yaml", "uses-wakanda.yaml", "declares-bad-quote.yaml"} & {n for n, _, _ in units}


def test_the_spool_of_checked_sheets_is_removed_when_the_load_ends_or_stops(corpus):
    before = set(Path(tempfile.gettempdir()).glob("newsgraph-load-*"))
    plan = plan_load([corpus], [], IRIS, workers=2)
    assert set(Path(tempfile.gettempdir()).glob("newsgraph-load-*")) - before  # the sheets wait there
    units = plan.units
    next(units)
    units.close()  # the writer stopped (an error, Ctrl+C): nothing is left behind
    assert set(Path(tempfile.gettempdir()).glob("newsgraph-load-*")) <= before
    list(plan_load([corpus], [], IRIS, workers=2).units)
    assert set(Path(tempfile.gettempdir()).glob("newsgraph-load-*")) <= before


def test_the_progress_bar_names_the_phase_and_the_rate(corpus):
    class Out(list):
        def write(self, text: str) -> None:
            self.append(text)

        def flush(self) -> None:
            pass

    out = Out()
    bar = TerminalProgress(out, every=0)
    plan = plan_load([corpus], [], IRIS, workers=2, progress=bar)
    for _ in plan.units:
        pass
    bar.close()
    lines = "".join(out).replace("\r", "\n")
    files = len(list(corpus.glob("*.yaml")))
    assert "checking" in lines and f"{files:>9,}/{files:,} files" in lines
    assert "writing" in lines and "facts/s" in lines

