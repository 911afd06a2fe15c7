"""How well the drafter does on the labelled articles: ``python -m newsgraph.loaders.extract.evaluate``.

Each article of ``tests/extraction/{tuning,holdout,dev}/`` (ID.txt and its gold sheet ID.yaml) is drafted
from its text, language and publication date alone, against the registries seeds/entities.yaml,
tests/extraction/entities.yaml and the split folder's own entities.yaml, if any. A proposal matches a gold
fact of the same kind when their key roles name the same entities (membership: member and organization; arms
transfer: supplier and recipient; meeting, agreement: participants / parties as sets; statement: speaker;
deployment: actor and location; military action: actor; founding: organization); each gold fact matches at
most one proposal. Every draft is also validated as `newsgraph validate` would (written beside a copy of its
text, checked by ``plan_load``), and
every quote looked up in the text.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from ..plan import plan_load
from ..quotes import FoldedText
from ..vocab import Iris
from .draft import draft_sheet
from .registries import read_registries
from .yamlout import sheet_yaml

KINDS = ("membership", "arms-transfer", "meeting", "agreement", "statement", "deployment", "military-action",
         "founding")
#: the roles whose entities decide whether a proposal is a gold fact
KEY_ROLES = {"membership": ("member", "organization"), "arms-transfer": ("supplier", "recipient"),
             "meeting": ("participants",), "agreement": ("parties",), "statement": ("speaker",),
             "deployment": ("actor", "location"), "military-action": ("actor",), "founding": ("organization",)}
Fact = dict[str, Any]
SEED = ("seeds/askanews-2023-11-22-csto.yaml", "seeds/articles/askanews-2023-11-22-csto.txt")


def key(fact: dict[str, Any]) -> tuple | None:
    """What a fact is matched on: its kind and its key roles' entities (lists as sets)."""
    kind = fact.get("type")
    if kind not in KEY_ROLES:
        return None

    def norm(v: Any) -> Any:
        if isinstance(v, list):
            return frozenset(str(x) for x in v)
        return frozenset([str(v)]) if v is not None else None

    return (kind, *(norm(fact.get(r)) for r in KEY_ROLES[kind]))


@dataclass
class Score:
    gold: Counter = field(default_factory=Counter)
    proposed: Counter = field(default_factory=Counter)
    matched: Counter = field(default_factory=Counter)

    def add(self, gold: list[Fact], proposed: list[Fact]) -> tuple[list[Fact], list[Fact]]:
        """Count one article; return the gold facts no proposal matched, and the proposals no gold fact did."""
        free = Counter(key(p) for p in proposed)
        missed = []
        for g in gold:
            k = key(g)
            if k is None:
                continue
            self.gold[g["type"]] += 1
            if free[k] > 0:
                free[k] -= 1
                self.matched[g["type"]] += 1
            else:
                missed.append(g)
        wrong = []
        for p in proposed:
            self.proposed[p["type"]] += 1
            if free[key(p)] > 0:
                free[key(p)] -= 1
                wrong.append(p)
        return missed, wrong

    def precision(self, kind: str | None = None) -> float:
        p = self.proposed[kind] if kind else sum(self.proposed.values())
        m = self.matched[kind] if kind else sum(self.matched.values())
        return m / p if p else 1.0

    def recall(self, kind: str | None = None) -> float:
        g = self.gold[kind] if kind else sum(self.gold.values())
        m = self.matched[kind] if kind else sum(self.matched.values())
        return m / g if g else 1.0


@dataclass
class Result:
    """One split's scores, and what is wrong with its drafts."""

    split: str
    articles: int = 0
    score: Score = field(default_factory=Score)
    invalid: list[str] = field(default_factory=list)  # validation problems, as FILE:LINE: message
    not_verbatim: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)  # proposals no gold fact matched


def registries(root: Path, split: str | None = None) -> list[Path]:
    """The registry files: the seeds', the labelled set's and, for a split, its folder's own ``entities.yaml``."""
    own = root / "tests" / "extraction" / split / "entities.yaml" if split and split != "seed" else None
    return [p for p in (root / "seeds" / "entities.yaml", root / "tests" / "extraction" / "entities.yaml", own)
            if p is not None and p.is_file()]


def articles(root: Path, split: str) -> list[tuple[Path, Path]]:
    """(gold sheet, text) of every labelled article of a split ("seed" is the seed article)."""
    if split == "seed":
        return [(root / SEED[0], root / SEED[1])]
    folder = root / "tests" / "extraction" / split
    return [(g, g.with_suffix(".txt")) for g in sorted(folder.glob("*.yaml")) if g.with_suffix(".txt").is_file()]


def evaluate(root: Path, split: str) -> Result:
    """Draft, score and validate every article of one split."""
    regs = registries(root, split)
    registry, problems = read_registries(regs)
    if problems:
        raise ValueError("the registries have problems:\n" + "\n".join(str(p) for p in problems))
    result = Result(split)
    for gold_path, text_path in articles(root, split):
        gold = yaml.safe_load(gold_path.read_text(encoding="utf-8"))
        head = gold["article"]
        published = head["published"]
        if not isinstance(published, date):
            published = date.fromisoformat(str(published)[:10])
        text = text_path.read_text(encoding="utf-8")
        draft = draft_sheet(text, str(head["language"]), published, registry=registry, article_id=str(head["id"]),
                            text_file=text_path.name)
        result.articles += 1
        missed, wrong = result.score.add(gold.get("facts") or [], draft["facts"])
        for g in missed:
            roles = ", ".join(f"{r}={g.get(r)}" for r in KEY_ROLES[g["type"]])
            result.missed.append(f"{head['id']}: {g.get('id') or g['type']} ({g['type']}: {roles})")
        for p in wrong:
            roles = ", ".join(f"{r}={p.get(r)}" for r in KEY_ROLES[p["type"]])
            result.wrong.append(f"{head['id']}: {p['type']}: {roles} | {p['quote'][:100]}")
        folded = FoldedText(text)
        result.not_verbatim += [f"{head['id']}: {f['quote']!r}" for f in draft["facts"]
                                if folded.find(f["quote"]) is None]
        result.invalid += validate(draft, text, text_path.name, regs)
    return result


def validate(draft: dict[str, Any], text: str, text_name: str, regs: list[Path]) -> list[str]:
    """The problems `newsgraph validate` finds in the draft saved beside its text (with the registries)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / text_name).write_text(text, encoding="utf-8")
        sheet = folder / f"{draft['article']['id']}.yaml"
        sheet.write_text(sheet_yaml(draft), encoding="utf-8")
        local = []
        for i, reg in enumerate(regs):
            copy = folder / f"registry-{i}.yaml"
            shutil.copy(reg, copy)
            local.append(copy)
        plan = plan_load([*local, sheet], [], Iris("http://localhost:5000/"))
        for _ in plan.units:
            pass
        return [str(p).replace(str(folder) + "/", "") for p in plan.problems]


def report(result: Result, out: Any = sys.stdout, seed: bool = False) -> None:
    s = result.score
    print(f"\n== {result.split}: {result.articles} article{'s' if result.articles != 1 else ''} ==", file=out)
    print(f"{'kind':<16} {'gold':>5} {'proposed':>9} {'matched':>8} {'precision':>10} {'recall':>7}", file=out)
    for kind in KINDS:
        if s.gold[kind] or s.proposed[kind]:
            print(f"{kind:<16} {s.gold[kind]:>5} {s.proposed[kind]:>9} {s.matched[kind]:>8} "
                  f"{s.precision(kind):>10.2f} {s.recall(kind):>7.2f}", file=out)
    print(f"{'overall':<16} {sum(s.gold.values()):>5} {sum(s.proposed.values()):>9} {sum(s.matched.values()):>8} "
          f"{s.precision():>10.2f} {s.recall():>7.2f}", file=out)
    if seed:
        total = sum(s.gold.values())
        print(f"seed article: {sum(s.matched.values())} of {total} facts recovered "
              f"({s.recall():.0%})", file=out)
        for m in result.missed:
            print(f"  missed {m}", file=out)
    print("every draft validates: " + ("yes" if not result.invalid else f"NO ({len(result.invalid)} problems)"),
          file=out)
    for p in result.invalid:
        print(f"  {p}", file=out)
    print("every quote verbatim: " + ("yes" if not result.not_verbatim else "NO"), file=out)
    for q in result.not_verbatim:
        print(f"  {q}", file=out)


def default_root() -> Path:
    for candidate in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (candidate / "seeds" / "entities.yaml").is_file():
            return candidate
    return Path.cwd()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("tuning", "holdout", "dev", "all"), default="all",
                        help="a folder of tests/extraction (dev: articles written while developing); "
                             "all = tuning and holdout")
    parser.add_argument("--root", type=Path, default=None, help="the checkout (default: here, or this module's)")
    parser.add_argument("--errors", action="store_true",
                        help="list the gold facts no proposal matched and the proposals that match none")
    args = parser.parse_args(argv)
    root = args.root or default_root()
    ok = True
    seed = evaluate(root, "seed")
    report(seed, seed=True)
    ok = ok and not seed.invalid and not seed.not_verbatim
    for split in (("tuning", "holdout") if args.split == "all" else (args.split,)):
        result = evaluate(root, split)
        report(result)
        if args.errors:
            for m in result.missed:
                print(f"  missed {m}")
            for w in result.wrong:
                print(f"  wrong  {w}")
        ok = ok and not result.invalid and not result.not_verbatim
    print(speed(root))
    return 0 if ok else 1


def speed(root: Path, size: int = 50_000) -> str:
    """How long drafting ``size`` bytes takes (the seed article repeated): the goal is 50 KB in 1 s."""
    registry, _ = read_registries([root / "seeds" / "entities.yaml"])
    text = (root / "seeds" / "articles" / "askanews-2023-11-22-csto.txt").read_text(encoding="utf-8")
    big = "\n\n".join([text] * (size // len(text.encode()) + 1))
    draft_sheet(text, "it", date(2023, 11, 22), registry=registry)  # language data loaded once
    started = time.perf_counter()
    draft_sheet(big, "it", date(2023, 11, 22), registry=registry)
    return f"speed: {len(big.encode()) // 1000} KB drafted in {time.perf_counter() - started:.2f} s"


if __name__ == "__main__":
    sys.exit(main())
