"""The reference checklist as admins edit it: a table seeded once from reference.json.

The analysis wants the checklist as the plain dict load_reference() returns
({"all": [...], "SDG12": [...]}, each item {"category", "min", "reason"}); `reference_dict`
gives exactly that, so the analysis never knows whether the file or the table answered.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..actors.models import Category
from ..audit.models import AuditEntry
from ..audit.services import apply_changes, record, reverse, snapshot
from ..core.errors import Conflict, Invalid, NotFound
from ..extensions import db
from .analysis import load_reference, normalize_code

ALL_TOPICS = "all"
ENTITY = "reference"
FIELDS = ["topic_code", "category_key", "min_count", "reason"]
MAX_MIN = 99
MAX_REASON = 2000


class ReferenceItem(db.Model):
    """One expected category for one topic (or for every topic: topic_code "all")."""

    __tablename__ = "reference_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_code: Mapped[str] = mapped_column(sa.String(30), index=True)
    category_key: Mapped[str] = mapped_column(
        sa.ForeignKey("category.key", onupdate="CASCADE", ondelete="CASCADE"), index=True
    )
    min_count: Mapped[int] = mapped_column(default=1)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        sa.UniqueConstraint("topic_code", "category_key", name="uq_reference_topic_category"),
        sa.CheckConstraint("min_count BETWEEN 1 AND 99", name="reference_min_range"),
    )

    category: Mapped[Category] = relationship(lazy="joined")

    @property
    def is_all(self) -> bool:
        return self.topic_code == ALL_TOPICS

    @property
    def label(self) -> str:
        return f"{self.topic_code}: {self.category_key}"


def _natural_key(code: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", normalize_code(code)))


# --- reading -------------------------------------------------------------------------------------


def _ordered(items) -> list[ReferenceItem]:
    """ "all" first, then topics in natural code order (SDG4 before SDG12), then position."""
    return sorted(
        items,
        key=lambda i: (not i.is_all, _natural_key(i.topic_code), i.position, i.id),
    )


def reference_items() -> list[ReferenceItem]:
    """The stored checklist (empty until seeded by `init-db`/`setup` or the first edit)."""
    return _ordered(db.session.scalars(sa.select(ReferenceItem)))


def reference_dict() -> dict[str, list[dict]]:
    """The checklist in load_reference()'s shape, for analysis.gaps() and friends. A database
    whose checklist was never stored (made without `init-db`) gets the shipped one, read only."""
    items = reference_items()
    if not items and not _seeded():
        known = set(db.session.scalars(sa.select(Category.key)))
        return {
            topic: [i for i in listed if i["category"] in known]
            for topic, listed in load_reference().items()
        }
    result: dict[str, list[dict]] = {}
    for item in items:
        result.setdefault(item.topic_code, []).append(
            {"category": item.category_key, "min": item.min_count, "reason": item.reason}
        )
    return result


def grouped_items() -> list[tuple[str, list[ReferenceItem]]]:
    """[(topic code or "all", items)] in display order, for the admin page."""
    groups: dict[str, list[ReferenceItem]] = {}
    for item in reference_items():
        groups.setdefault(item.topic_code, []).append(item)
    return list(groups.items())


def get_item(item_id: int) -> ReferenceItem:
    item = db.session.get(ReferenceItem, item_id)
    if item is None:
        raise NotFound(
            _("Eintrag %(item_id)s der Referenz-Checkliste nicht gefunden.", item_id=item_id)
        )
    return item


# --- seeding -------------------------------------------------------------------------------------


def ensure_reference() -> int:
    """Copy reference.json into the empty table once.

    "Once" is judged by the audit trail: after the first seeding or any admin edit there are
    reference audit entries, so a checklist an admin emptied on purpose stays empty.
    """
    if _seeded():
        return 0
    try:
        added = _insert_defaults()
        record(ENTITY, None, "create", {"items": [None, added]}, label="Standard-Checkliste")
        db.session.commit()
    except IntegrityError:  # another request seeded at the same moment
        db.session.rollback()
        return 0
    return added


def _seeded() -> bool:
    """Stored once: there are rows, or reference audit entries (an admin emptied it)."""
    if db.session.scalar(sa.select(ReferenceItem.id).limit(1)) is not None:
        return True
    entry = sa.select(AuditEntry.id).where(AuditEntry.entity == ENTITY).limit(1)
    return db.session.scalar(entry) is not None


def _insert_defaults() -> int:
    known = set(db.session.scalars(sa.select(Category.key)))
    added = 0
    for topic_code, items in load_reference().items():
        for position, item in enumerate(items):
            if item["category"] not in known:
                continue
            db.session.add(
                ReferenceItem(
                    topic_code=topic_code,
                    category_key=item["category"],
                    min_count=int(item["min"]),
                    reason=item["reason"],
                    position=position,
                )
            )
            added += 1
    db.session.flush()
    return added


def reset_reference() -> int:
    """Replace the admins' checklist by the shipped one; audited with the old item count."""
    ensure_reference()
    removed = db.session.execute(sa.delete(ReferenceItem)).rowcount
    db.session.flush()
    added = _insert_defaults()
    record(ENTITY, None, "reset", {"items": [removed, added]}, label="Standard-Checkliste")
    db.session.commit()
    return added


# --- editing -------------------------------------------------------------------------------------


def topic_codes() -> list[str]:
    from ..topics.models import Topic

    codes = db.session.scalars(sa.select(Topic.code))
    return sorted(codes, key=_natural_key)


def _clean(data: dict[str, Any], item: ReferenceItem | None) -> dict[str, Any]:
    topic = str(data.get("topic_code", item.topic_code if item else "") or "").strip()
    if not topic:
        raise Invalid(_("Bitte wählen Sie ein Thema oder „alle Themen“."), field="topic_code")
    if topic.casefold() == ALL_TOPICS:
        topic = ALL_TOPICS
    else:
        match = next((c for c in topic_codes() if normalize_code(c) == normalize_code(topic)), None)
        if match is None and not (
            item and normalize_code(item.topic_code) == normalize_code(topic)
        ):
            raise Invalid(_("Unbekanntes Thema: %(topic)s", topic=topic), field="topic_code")
        topic = match or item.topic_code
    key = str(data.get("category_key", item.category_key if item else "") or "").strip()
    if not key or db.session.get(Category, key) is None:
        raise Invalid(_("Unbekannte Kategorie: %(value)s", value=key or "–"), field="category_key")
    raw = data.get("min_count", item.min_count if item else 1)
    try:
        minimum = int(raw)
    except (TypeError, ValueError) as exc:
        raise Invalid(_("Die Mindestzahl muss eine ganze Zahl sein."), field="min_count") from exc
    if not 1 <= minimum <= MAX_MIN:
        raise Invalid(
            _("Die Mindestzahl muss zwischen 1 und %(MAX_MIN)s liegen.", MAX_MIN=MAX_MIN),
            field="min_count",
        )
    reason = str(data.get("reason", item.reason if item else "") or "").strip()
    if not reason:
        raise Invalid(_("Bitte begründen Sie, warum diese Gruppe gebraucht wird."), field="reason")
    if len(reason) > MAX_REASON:
        raise Invalid(
            _(
                "Die Begründung ist zu lang (höchstens %(MAX_REASON)s Zeichen).",
                MAX_REASON=MAX_REASON,
            ),
            field="reason",
        )
    return {"topic_code": topic, "category_key": key, "min_count": minimum, "reason": reason}


def _check_unique(values: dict, item: ReferenceItem | None) -> None:
    other = db.session.scalar(
        sa.select(ReferenceItem).where(
            ReferenceItem.topic_code == values["topic_code"],
            ReferenceItem.category_key == values["category_key"],
        )
    )
    if other is not None and other is not item:
        where = "alle Themen" if other.is_all else other.topic_code
        raise Conflict(
            _(
                "Für %(where)s gibt es schon einen Eintrag zu dieser Kategorie; bitte "
                "ändern Sie ihn.",
                where=where,
            ),
            field="category_key",
        )


def create_item(data: dict[str, Any]) -> ReferenceItem:
    ensure_reference()
    values = _clean(data, None)
    _check_unique(values, None)
    position = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(ReferenceItem.position), -1)).where(
            ReferenceItem.topic_code == values["topic_code"]
        )
    )
    item = ReferenceItem(position=position + 1, **values)
    db.session.add(item)
    db.session.flush()
    record(ENTITY, item.id, "create", snapshot(item, FIELDS), label=item.label)
    db.session.commit()
    return item


def update_item(item: ReferenceItem, data: dict[str, Any]) -> ReferenceItem:
    values = _clean(data, item)
    _check_unique(values, item)
    changes = apply_changes(item, values)
    if changes:
        record(ENTITY, item.id, "update", changes, label=item.label)
    db.session.commit()
    return item


def delete_item(item: ReferenceItem) -> None:
    record(ENTITY, item.id, "delete", reverse(snapshot(item, FIELDS)), label=item.label)
    db.session.delete(item)
    db.session.commit()
