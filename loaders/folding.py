"""Text folded for matching: what the entity search compares, so "tagik", "TAGIK" and "Tagík" agree.

One function, used at load time (each label and alias gets an ``nf:searchKey``) and at query time
(the ``search`` query folds what the user typed the same way), so both sides always match.
"""

from __future__ import annotations

import re
import unicodedata

# letters that carry their difference in the base letter, not in a combining mark: NFKD leaves them
_LETTERS = str.maketrans({"ø": "o", "đ": "d", "ł": "l", "ħ": "h", "ı": "i", "œ": "oe", "æ": "ae", "þ": "th",
                          "ð": "d", "ŋ": "n", "ʼ": "'", "’": "'", "‘": "'"})
_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower case (full case folding), no diacritics, no compatibility variants, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACE.sub(" ", bare.translate(_LETTERS)).strip()
