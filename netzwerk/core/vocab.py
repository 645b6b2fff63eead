"""Base for the fixed vocabularies: one enum each, used by forms, API, import and analysis."""

from __future__ import annotations

import enum

import sqlalchemy as sa


class Vocabulary(enum.StrEnum):
    """A StrEnum whose members carry a translatable label (see each subclass' LABELS)."""

    @property
    def label(self) -> str:
        return str(self.labels()[self])

    @classmethod
    def labels(cls) -> dict:
        raise NotImplementedError

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
