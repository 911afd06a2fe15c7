"""Drafting a fact sheet from an article's text: the `newsgraph extract` command and the /extract page.

The drafter finds the entities the text names (through the registries' labels and aliases in every
language), the dates it gives (absolute, or relative to the publication date) and, at the trigger words of
each fact kind, the roles around them; the language's words live in ``languages/<code>.yaml``. What it
proposes is a draft for a person to check: every fact carries a confidence and a note naming its rule.
"""

from .draft import article_id_from, draft_sheet
from .language import LANGUAGES
from .registries import read_registries
from .yamlout import sheet_yaml

__all__ = ["LANGUAGES", "article_id_from", "draft_sheet", "read_registries", "sheet_yaml"]
