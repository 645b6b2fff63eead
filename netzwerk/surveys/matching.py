"""Names of organisations as respondents type them: normalised for grouping, and matched
against the actors with a fuzzy score (rapidfuzz) to find likely duplicates.

"Eine-Welt-Laden Burtscheid e.V.", "eine welt laden burtscheid" and "Eine Welt Läden
Burtscheid" name one organisation: case, umlauts and ß, punctuation and legal forms (e.V.,
gGmbH, GmbH, …) do not count.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from rapidfuzz import fuzz, process

# suggestions for a merge: at least this WRatio of the normalised names (0–100)
MATCH_CUTOFF = 86
# nominations this similar are one organisation ("Welthaus" / "Welthaus Aachen" are not)
GROUP_CUTOFF = 93
MATCH_LIMIT = 3

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe"})
# legal forms at the end of a name, with or without dots and spaces (e. V., e.V., eV, gGmbH,
# "GmbH & Co. KG"); at the start "AG" is a working group (Arbeitsgemeinschaft) and stays
_LEGAL_FORM = (
    r"e\.?\s?v\.?|g?gmbh|mbh|g?ug(?:\s?\(haftungsbeschraenkt\))?|gbr|ohg|kgaa|kg|ag|e\.?\s?g\.?"
    r"|a\.?\s?d\.?\s?oe\.?\s?r\.?|k\.?\s?d\.?\s?oe\.?\s?r\.?|ltd\.?|inc\.?|llc|&\s?co\.?"
)
_LEGAL_FORMS = re.compile(rf"(?:[\s,]+(?:{_LEGAL_FORM}))+[\s.,]*$")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def normalise(name: str) -> str:
    """The grouping key of an organisation's name ("" for no name)."""
    text = unicodedata.normalize("NFKC", name or "").casefold().translate(_UMLAUTS)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = _LEGAL_FORMS.sub(" ", text)
    return _NOT_WORD.sub(" ", text).strip()[:200]


class Matcher:
    """Likely duplicates among the actors (id → normalised name), built once per page.

    rapidfuzz's WRatio (in C) finds the candidates; a candidate whose likeness rests only on
    words many actors share ("aachen", "verein") is dropped unless the whole names are alike,
    so "Aachen" is not offered as "Welthaus Aachen" while "Welthaus" is."""

    def __init__(self, choices: Mapping[int, str]):
        self.choices = dict(choices)
        counts: dict[str, int] = {}
        for key in self.choices.values():
            for word in set(key.split()):
                counts[word] = counts.get(word, 0) + 1
        limit = max(2, len(self.choices) // 20)
        self.common = {word for word, n in counts.items() if n > limit}

    def matches(
        self, key: str, limit: int = MATCH_LIMIT, cutoff: int = MATCH_CUTOFF
    ) -> list[tuple[int, float]]:
        """(id, score) of the actors most like `key`, best first."""
        if not key or not self.choices:
            return []
        found = process.extract(
            key,
            self.choices,
            scorer=fuzz.WRatio,
            processor=None,
            limit=limit * 4,
            score_cutoff=cutoff,
        )
        words = set(key.split())
        result = []
        for choice, score, ident in found:
            whole = max(fuzz.ratio(key, choice), fuzz.token_sort_ratio(key, choice))
            shared = {w for w in words & set(choice.split()) if len(w) >= 4}
            if whole >= cutoff or shared - self.common:
                result.append((ident, round(max(score, whole), 1)))
        result.sort(key=lambda item: -item[1])
        return result[:limit]


def group_keys(keys: Iterable[str], cutoff: int = GROUP_CUTOFF) -> dict[str, str]:
    """Each key → the key of its group: keys this similar (token order aside) are one
    organisation. The most frequent spelling in `keys` leads its group."""
    counts: dict[str, int] = {}
    for key in keys:
        if key:
            counts[key] = counts.get(key, 0) + 1
    leaders: list[str] = []
    result: dict[str, str] = {}
    for key in sorted(counts, key=lambda k: (-counts[k], k)):
        hit = (
            process.extractOne(
                key, leaders, scorer=fuzz.token_sort_ratio, processor=None, score_cutoff=cutoff
            )
            if leaders
            else None
        )
        if hit is None:
            leaders.append(key)
            result[key] = key
        else:
            result[key] = hit[0]
    return result
