"""Finding a quote in an article's text, white space folded, with offsets into the original text.

Authors copy quotes from rendered pages where line breaks and double spaces do not survive, so runs
of white space are compared as one space. Nothing else is forgiven: a quote with straight quotes
where the text has curly ones is not verbatim. The error then shows the passage as the text has it.
"""

from __future__ import annotations

import re

_WS = re.compile(r"\s+")
_TYPOGRAPHIC = str.maketrans({"’": "'", "‘": "'", "`": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"',
                              "–": "-", "—": "-"})


class FoldedText:
    """The text with white-space runs folded to one space, and the way back to original offsets."""

    def __init__(self, text: str):
        self.text = text
        chars: list[str] = []
        origin: list[int] = []
        in_space = False
        for i, ch in enumerate(text):
            if ch.isspace():
                if not in_space:
                    chars.append(" ")
                    origin.append(i)
                in_space = True
            else:
                chars.append(ch)
                origin.append(i)
                in_space = False
        self.folded = "".join(chars)
        self._origin = origin
        self._loose: str | None = None

    def find(self, quote: str) -> tuple[int, int] | None:
        """Offsets ``(start, end)`` of the quote's first occurrence in the original text, or None."""
        q = _WS.sub(" ", quote).strip()
        if not q:
            return None
        i = self.folded.find(q)
        if i < 0:
            return None
        return self._origin[i], self._origin[i + len(q) - 1] + 1

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

    def context(self, start: int, end: int, width: int = 32) -> tuple[str, str]:
        """Up to ``width`` characters before and after a span (the selector's prefix and suffix)."""
        return self.text[max(0, start - width):start], self.text[end:end + width]
