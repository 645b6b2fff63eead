"""Network surveys: the actors are asked whom they work with, on which topic, and who else should
be at the table. Answers become proposals that an editor accepts, rejects or merges.

A survey has recipients (one contact each, with a personal link); a recipient's answer is kept
as proposals (a correction of their organisation's record, relations, topic roles, nominated
organisations) plus a comment and the consent to appear on the map. Times are naive UTC.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..actors.models import Actor, Contact
from ..actors.vocab import RelationKind
from ..core.timeutil import utcnow
from ..core.vocab import Vocabulary, vocab_column
from ..extensions import db
from ..topics.models import Topic, TopicRole


class Question(Vocabulary):
    """The parts of the survey form a coordinator can switch on."""

    RECORD = "eintrag", _l("Eintrag der eigenen Organisation bestätigen oder korrigieren")
    PARTNERS = "partner", _l("Partner je Thema mit Art und Stärke der Beziehung")
    NOMINATIONS = "fehlende", _l("Wer sollte noch beteiligt sein?")
    TOPICS = "themen", _l("Themen und Rolle der eigenen Organisation")
    COMMENT = "kommentar", _l("Freier Kommentar")


class SurveyStatus(Vocabulary):
    """Derived, never stored: a draft until the first mail, open until the closing date."""

    DRAFT = "entwurf", _l("Entwurf")
    OPEN = "laeuft", _l("läuft")
    CLOSED = "beendet", _l("beendet")


class ProposalKind(Vocabulary):
    RECORD = "eintrag", _l("Korrektur des Eintrags")
    RELATION = "beziehung", _l("Beziehung")
    TOPIC_ROLE = "themenrolle", _l("Themenrolle")
    NOMINATION = "nennung", _l("Genannte Organisation")


class ProposalStatus(Vocabulary):
    PENDING = "offen", _l("offen")
    ACCEPTED = "angenommen", _l("angenommen")
    MERGED = "zusammengefuehrt", _l("zusammengeführt")
    REJECTED = "abgelehnt", _l("abgelehnt")
    SUPERSEDED = "ueberholt", _l("überholt")
    WITHDRAWN = "zurueckgezogen", _l("zurückgezogen")


# what an editor's decision has settled: the proposal counts as the respondent's statement
SETTLED = (ProposalStatus.ACCEPTED, ProposalStatus.MERGED)
# what a respondent still stands by (withdrawn ones were removed by a later save)
STANDING = (
    ProposalStatus.PENDING,
    ProposalStatus.ACCEPTED,
    ProposalStatus.MERGED,
    ProposalStatus.REJECTED,
    ProposalStatus.SUPERSEDED,
)


survey_topic = sa.Table(
    "survey_topic",
    db.metadata,
    sa.Column("survey_id", sa.ForeignKey("survey.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("topic_id", sa.ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True),
)


class Survey(db.Model):
    __tablename__ = "survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    intro: Mapped[str] = mapped_column(sa.Text, default="")
    # the switched-on Question keys, in form order
    questions: Mapped[list] = mapped_column(sa.JSON, default=list)
    # the last moment answers are taken (end of the closing day in Europe/Berlin), naive UTC
    closes_at: Mapped[datetime]
    # reminders go out on this day (`flask survey remind --due`, e.g. from cron)
    remind_on: Mapped[date | None]
    sent_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    reminders: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    topics: Mapped[list[Topic]] = relationship(secondary=survey_topic, order_by=Topic.code)
    recipients: Mapped[list[SurveyRecipient]] = relationship(
        back_populates="survey", cascade="all, delete-orphan", order_by="SurveyRecipient.id"
    )

    @property
    def status(self) -> SurveyStatus:
        if utcnow() > self.closes_at:
            return SurveyStatus.CLOSED
        return SurveyStatus.OPEN if self.sent_at is not None else SurveyStatus.DRAFT

    @property
    def is_closed(self) -> bool:
        return utcnow() > self.closes_at

    def asks(self, question: Question) -> bool:
        return question.value in (self.questions or [])

    def __repr__(self) -> str:
        return f"<Survey {self.id} {self.title!r}>"


class SurveyRecipient(db.Model):
    """One contact asked in one survey, with their personal link and their answer's extras."""

    __tablename__ = "survey_recipient"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey.id", ondelete="CASCADE"), index=True
    )
    # SET NULL: an erased person leaves an anonymous answer, so the counts stay right
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contact.id", ondelete="SET NULL"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("actor.id", ondelete="SET NULL"), index=True
    )
    # the link is HMAC(SECRET_KEY, token_salt); only its SHA-256 is kept (surveys/tokens.py)
    token_salt: Mapped[str] = mapped_column(sa.String(64))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    language: Mapped[str] = mapped_column(sa.String(8), default="de")
    answered_at: Mapped[datetime | None]  # first save
    saved_at: Mapped[datetime | None]  # last save
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    consent_map: Mapped[bool | None]
    record_confirmed: Mapped[bool | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("survey_id", "contact_id", name="uq_survey_recipient_contact"),
    )

    survey: Mapped[Survey] = relationship(back_populates="recipients")
    contact: Mapped[Contact | None] = relationship()
    actor: Mapped[Actor | None] = relationship()

    @property
    def name(self) -> str:
        return self.contact.name if self.contact is not None else "(gelöschter Kontakt)"

    @property
    def answered(self) -> bool:
        return self.answered_at is not None


class SurveyProposal(db.Model):
    """One thing a respondent proposes; nothing changes in the network until an editor
    accepts it (review.py). `name_key` is the normalised name (matching.normalise) that groups
    the same organisation named by several respondents."""

    __tablename__ = "survey_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey.id", ondelete="CASCADE"), index=True
    )
    recipient_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("survey_recipient.id", ondelete="CASCADE"), index=True
    )
    # the respondent's organisation
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("actor.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[ProposalKind] = mapped_column(vocab_column(ProposalKind))
    status: Mapped[ProposalStatus] = mapped_column(
        vocab_column(ProposalStatus), default=ProposalStatus.PENDING
    )
    topic_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("topic.id", ondelete="SET NULL"), index=True
    )
    # relation: the partner when it is an actor already
    target_actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("actor.id", ondelete="SET NULL"), index=True
    )
    # relation to a new partner, nomination: the name as typed, and normalised
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    name_key: Mapped[str] = mapped_column(sa.String(200), default="", index=True)
    category_key: Mapped[str | None] = mapped_column(sa.String(40))
    relation_kind: Mapped[RelationKind | None] = mapped_column(vocab_column(RelationKind))
    strength: Mapped[int | None]
    role: Mapped[TopicRole | None] = mapped_column(vocab_column(TopicRole))
    # record corrections: {field: [stored when asked, proposed]}
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_at: Mapped[datetime | None]
    reviewed_by: Mapped[str] = mapped_column(sa.String(80), default="")
    review_note: Mapped[str] = mapped_column(sa.String(300), default="")
    # what the accepted or merged proposal became
    result_actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("actor.id", ondelete="SET NULL")
    )
    result_relation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("relation.id", ondelete="SET NULL")
    )

    __table_args__ = (
        sa.Index("ix_survey_proposal_queue", "survey_id", "kind", "status"),
        sa.CheckConstraint("strength IS NULL OR strength BETWEEN 1 AND 3", name="strength_range"),
    )

    survey: Mapped[Survey] = relationship()
    recipient: Mapped[SurveyRecipient | None] = relationship()
    actor: Mapped[Actor | None] = relationship(foreign_keys=[actor_id])
    target: Mapped[Actor | None] = relationship(foreign_keys=[target_actor_id])
    topic: Mapped[Topic | None] = relationship()
    result_actor: Mapped[Actor | None] = relationship(foreign_keys=[result_actor_id])

    @property
    def partner_name(self) -> str:
        return self.target.name if self.target is not None else self.name
