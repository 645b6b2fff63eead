"""Text as people type it: names compared and searched without caring for case, umlauts
written as ae/oe/ue, hyphens or legal forms ("Förderverein Aachen-Kapstadt e.V." and
"Foerderverein Aachen Kapstadt" are the same name to a coordinator)."""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

import sqlalchemy as sa

# umlauts and ß as German writes them without the special letters
_SPELLED = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}
# legal forms that say nothing about who an organisation is (compared after fold)
_LEGAL_FORMS = {"ev", "e v", "ggmbh", "gmbh", "ag", "eg", "gbr", "kg", "ug", "mbh", "gug"}
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower case, umlauts as ae/oe/ue, other accents dropped, punctuation as spaces."""
    text = (text or "").casefold()
    text = "".join(_SPELLED.get(c, c) for c in text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.sub(" ", text).split())


def name_key(text: str) -> str:
    """fold() without legal forms: the part of an organisation's name that identifies it."""
    folded = f" {fold(text)} "
    for form in sorted(_LEGAL_FORMS, key=len, reverse=True):
        folded = folded.replace(f" {form} ", " ")
    return " ".join(folded.split())


def similarity(a: str, b: str) -> float:
    """0..1: how alike two names are once folded (word order does not matter)."""
    ka, kb = name_key(a), name_key(b)
    if not ka or not kb:
        return 0.0
    if ka == kb:
        return 1.0
    ordered = SequenceMatcher(None, ka, kb).ratio()
    unordered = SequenceMatcher(None, " ".join(sorted(ka.split())), " ".join(sorted(kb.split())))
    return max(ordered, unordered.ratio())


def folded_column(column: sa.ColumnElement) -> sa.ColumnElement:
    """The SQL twin of fold() for LIKE searches: lower case, umlauts (either case, SQLite's
    lower() leaves them alone) as ae/oe/ue. Punctuation stays; search_words() splits the query
    so that each word is looked for on its own."""
    expr = sa.func.lower(sa.func.coalesce(column, ""))
    for letter, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        expr = sa.func.replace(expr, letter, spelled)
        expr = sa.func.replace(expr, letter.upper(), spelled)
    return expr


def search_words(query: str) -> list[str]:
    """The words of a search, folded; each has to occur somewhere (in any order)."""
    return fold(query).split()


def like_pattern(word: str) -> str:
    """A LIKE pattern finding `word` inside a text (%, _ and \\ taken literally)."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
