"""The load's progress on a terminal: one line per phase, redrawn at most five times a second.

    checking      61,204/100,000 files      2,310 files/s
    writing       48,000/100,000 files     17,450 facts/s
    indexing: stored rows   40,000/100,000 articles

Why not click's bar: a long load has phases of different kinds (files checked, facts written, rows
made), and the rate that tells whether it is healthy is the facts per second of the writing.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from newsgraph.loaders import Progress


class TerminalProgress(Progress):
    def __init__(self, out: TextIO = sys.stderr, every: float = 0.2):
        self.out = out
        self.every = every
        self.name = ""
        self.total = self.done = self.facts = 0
        self.unit = ""
        self.started = self.drawn = 0.0

    def phase(self, name: str, total: int = 0, unit: str = "files") -> None:
        if self.name:
            self._draw()
            self.out.write("\n")
        self.name, self.total, self.unit = name, total, unit
        self.done = self.facts = 0
        self.started = time.monotonic()
        self._draw()

    def advance(self, n: int = 1, facts: int = 0) -> None:
        self.done = min(self.done + n, self.total) if self.total else self.done + n
        self.facts += facts
        if time.monotonic() - self.drawn >= self.every:
            self._draw()

    def close(self) -> None:
        if self.name:
            self._draw()
            self.out.write("\n")
            self.out.flush()
            self.name = ""

    def line(self) -> str:
        """What the bar shows now (the phase, how far, how fast)."""
        seconds = max(time.monotonic() - self.started, 1e-9)
        text = f"{self.name:<12}"
        if self.total:
            text += f" {self.done:>9,}/{self.total:,} {self.unit}"
        elif self.done:
            text += f" {self.done:>9,} {self.unit}"
        if self.facts:
            text += f"  {self.facts / seconds:>9,.0f} facts/s"
        elif self.done and self.unit:
            text += f"  {self.done / seconds:>9,.0f} {self.unit}/s"
        return text

    def _draw(self) -> None:
        self.drawn = time.monotonic()
        self.out.write("\r" + self.line().ljust(78))
        self.out.flush()
