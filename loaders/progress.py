"""What a long load tells its user while it runs: the phase it is in, how far, and how fast facts go in.

Why a class of its own: the phases happen in three places (the plan checks and maps files, the writer
writes them, the store's commit indexes them), and each reports to the same object. This one says
nothing; the command line's bar (newsgraph.service.cli) draws it on a terminal.
"""

from __future__ import annotations


class Progress:
    """A load's progress, reported to nobody."""

    def phase(self, name: str, total: int = 0, unit: str = "files") -> None:
        """A new phase starts: ``checking``, ``writing``, ``indexing: …``; ``total`` items of ``unit``."""

    def advance(self, n: int = 1, facts: int = 0) -> None:
        """``n`` more items of the phase are done, holding ``facts`` facts."""


SILENT = Progress()
