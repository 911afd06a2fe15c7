"""Finding a quote in an article's text, white space folded, with offsets into the original text.

Authors copy quotes from rendered pages where line breaks and double spaces do not survive, so runs
of white space are compared as one space. Nothing else is forgiven: a quote with straight quotes
where the text has curly ones is not verbatim. The error then shows the passage as the text has it.
"""

from __future__ import annotations

import re
from bisect import bisect_right

_WS = re.compile(r"\s+")
_TYPOGRAPHIC = str.maketrans({"’": "'", "‘": "'", "`": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"',
                              "–": "-", "—": "-"})


class FoldedText:
    """The text with white-space runs folded to one space, and the way back to original offsets."""

    def __init__(self, text: str):
        self.text = text
        # the folded text is built run by run; each white-space run becomes one space, and
        # ``_runs`` remembers, for each run, where it starts in the folded and in the original text
        pieces: list[str] = []
        self._runs: list[tuple[int, int, int]] = []  # (folded index of the space, original start, original end)
        folded_len = last = 0
        for m in _WS.finditer(text):
            pieces.append(text[last:m.start()])
            folded_len += m.start() - last
            self._runs.append((folded_len, m.start(), m.end()))
            pieces.append(" ")
            folded_len += 1
            last = m.end()
        pieces.append(text[last:])
        self.folded = "".join(pieces)
        self._run_starts = [r[0] for r in self._runs]
        self._loose: str | None = None

    def _origin(self, i: int) -> int:
        """Original offset of the folded text's character ``i``."""
        k = bisect_right(self._run_starts, i) - 1
        if k < 0:
            return i
        at, start, end = self._runs[k]
        return start if i == at else end + (i - at - 1)

    def find(self, quote: str) -> tuple[int, int] | None:
        """Offsets ``(start, end)`` of the quote's first occurrence in the original text, or None."""
        q = _WS.sub(" ", quote).strip()
        if not q:
            return None
        i = self.folded.find(q)
        if i < 0:
            return None
        return self._origin(i), self._origin(i + len(q) - 1) + 1

    def near_miss(self, quote: str) -> str | None:
        """The passage as the text spells it, when the quote differs only in case or typography."""
        if self._loose is None:
            self._loose = self.folded.translate(_TYPOGRAPHIC).casefold()
        q = _WS.sub(" ", quote).strip().translate(_TYPOGRAPHIC).casefold()
        i = self._loose.find(q) if q else -1
        if i < 0:
            return None
        # casefold can change lengths (ß → ss); fall back to the folded slice when it does
        return self.folded[i:i + len(q)]
