"""Base for the fixed vocabularies: one enum each, used by forms, API, import and analysis."""

from __future__ import annotations

import enum
from typing import Any

import sqlalchemy as sa


class Vocabulary(enum.StrEnum):
    """A StrEnum whose members carry their translatable label where they are declared:

        ADMINISTRATION = "verwaltung", _l("Verwaltung")

    The stored value is the key ("verwaltung"); `label` is the text in the user's language."""

    def __new__(cls, value: str, label: Any = None):
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label if label is not None else value
        return member

    @property
    def label(self) -> str:
        return str(self._label)

    @classmethod
    def labels(cls) -> dict:
        """Member → its lazy label (as declared)."""
        return {member: member._label for member in cls}

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]

    @classmethod
    def parse(cls, value: str | None):
        """Accept a key or a label (German or English), case-insensitively; None if unknown."""
        if value is None:
            return None
        if isinstance(value, cls):
            return value
        text = str(value).strip().casefold()
        for member in cls:
            lazy = cls.labels()[member]
            # the msgid is the last argument (lazy_pgettext passes the context first)
            msgid = lazy._args[-1] if getattr(lazy, "_args", None) else str(lazy)
            names = (member.value, member.name, msgid, str(lazy))
            if text in (n.casefold() for n in names):
                return member
        return None


def vocab_column(enum_cls: type[Vocabulary]) -> sa.Enum:
    """Store the key (value), not the Python name, as a plain VARCHAR with a CHECK constraint."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        create_constraint=False,
    )
