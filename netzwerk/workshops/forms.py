from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..actors.vocab import RelationKind
from ..core.forms import Form, TimezoneField
from ..topics.models import TopicRole
from .models import Format, OutcomeKind, Phase, Response, WorkshopStatus

LOCAL_FORMAT = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


class WorkshopForm(Form):
    title = StringField(_l("Titel"), validators=[DataRequired(), Length(max=200)])
    topics = SelectMultipleField(_l("Themen"), coerce=int, validators=[Optional()])
    phase = SelectField(_l("Prozessphase"), choices=Phase.choices)
    format = SelectField(_l("Format"), choices=Format.choices)
    status = SelectField(_l("Status"))
    timezone = TimezoneField(_l("Zeitzone des Workshops"))
    starts_at = DateTimeLocalField(
        _l("Beginn"),
        format=LOCAL_FORMAT,
        validators=[Optional()],
        description=_l(
            "Ortszeit in der Zeitzone des Workshops; leer lassen für eine Terminumfrage"
        ),
    )
    ends_at = DateTimeLocalField(_l("Ende"), format=LOCAL_FORMAT, validators=[Optional()])
    location = StringField(_l("Ort"), validators=[Optional(), Length(max=300)])
    online_url = StringField(
        _l("Online-Link"),
        validators=[Optional(), Length(max=500)],
        description=_l("https://… – erscheint in der Einladung und im Kalendereintrag"),
    )
    capacity = IntegerField(
        _l("Plätze"),
        validators=[Optional(), NumberRange(min=1)],
        description=_l(
            "leer = unbegrenzt; wer nach dem letzten Platz zusagt, kommt auf die Warteliste"
        ),
    )
    agenda = TextAreaField(_l("Tagesordnung"), validators=[Optional()])
    organizer_name = StringField(_l("Einladende Person"), validators=[Optional(), Length(max=200)])
    organizer_email = StringField(
        _l("E-Mail der einladenden Person"),
        validators=[Optional(), Length(max=254)],
        description=_l("ORGANIZER im Kalender; Antworten der Kalender gehen an diese Adresse"),
    )

    def fill_choices(self, topics, editing: bool) -> None:
        self.topics.choices = [(t.id, t.label) for t in topics]
        statuses = [s for s in WorkshopStatus if s != WorkshopStatus.CANCELLED]
        self.status.choices = [(s.value, s.label) for s in statuses]

    def values(self) -> dict:
        return {
            "title": self.title.data,
            "topic_ids": list(self.topics.data or []),
            "phase": self.phase.data,
            "format": self.format.data,
            "status": self.status.data,
            "timezone": (self.timezone.data or "").strip(),
            "starts_at": self.starts_at.data,
            "ends_at": self.ends_at.data,
            "location": self.location.data or "",
            "online_url": (self.online_url.data or "").strip(),
            "capacity": self.capacity.data,
            "agenda": self.agenda.data or "",
            "organizer_name": self.organizer_name.data or "",
            "organizer_email": (self.organizer_email.data or "").strip(),
        }


class InviteForm(Form):
    contact_ids = SelectMultipleField(_l("Kontakte"), coerce=int, validators=[DataRequired()])


class SlotForm(Form):
    starts_at = DateTimeLocalField(_l("Beginn"), format=LOCAL_FORMAT, validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("Ende"), format=LOCAL_FORMAT, validators=[DataRequired()])


class SlotsForm(Form):
    """Several candidate dates at once: one time span, a row per date (empty rows are skipped).
    Fixed rows rather than a FieldList, so the rows keep their numbers when some are empty."""

    ROWS = 5
    start_time = TimeField(_l("Beginn (Uhrzeit)"), validators=[DataRequired()])
    end_time = TimeField(_l("Ende (Uhrzeit)"), validators=[DataRequired()])
    for _number in range(ROWS):
        locals()[f"date_{_number}"] = DateField(
            _l("Datum %(num)s", num=_number + 1), validators=[Optional()]
        )
    del _number

    @property
    def date_rows(self) -> list:
        return [self[f"date_{number}"] for number in range(self.ROWS)]


class RsvpForm(Form):
    response = RadioField(
        _l("Ihre Antwort"),
        choices=[
            (Response.ACCEPTED.value, _l("Ich nehme teil")),
            (Response.TENTATIVE.value, _l("Vielleicht")),
            (Response.DECLINED.value, _l("Ich nehme nicht teil")),
        ],
        validators=[DataRequired(message=_l("Bitte eine Antwort wählen."))],
    )
    comment = TextAreaField(_l("Kommentar (optional)"), validators=[Optional(), Length(max=2000)])


class ReplyUploadForm(Form):
    file = FileField(
        _l("Antwort eines Kalenders (.ics oder gespeicherte Mail .eml)"),
        validators=[FileRequired(message=_l("Bitte eine Datei auswählen."))],
    )


class ResultsForm(Form):
    results = TextAreaField(_l("Ergebnisse"), validators=[Optional()])
    follow_ups = TextAreaField(
        _l("Vereinbarte nächste Schritte"),
        validators=[Optional()],
        description=_l("eine Vereinbarung je Zeile, z. B. „FB60 prüft Kriterien bis März“"),
    )
    next_workshop_id = SelectField(_l("Nächster Workshop"), coerce=int, validators=[Optional()])
    mark_done = BooleanField(_l("Workshop als durchgeführt markieren"))


class CancelForm(Form):
    note = TextAreaField(
        _l("Nachricht an die Eingeladenen (optional)"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Steht in der Absage; wird auch im Änderungsprotokoll festgehalten."),
    )


# --- outcomes and follow-ups ----------------------------------------------------------------------


class OutcomeForm(Form):
    kind = SelectField(_l("Art"), choices=OutcomeKind.choices)
    topic_id = SelectField(_l("Thema"), coerce=int)
    text = TextAreaField(_l("Aussage"), validators=[DataRequired(), Length(max=5000)])
    actor_ids = SelectMultipleField(
        _l("Betroffene Akteure"),
        coerce=int,
        validators=[Optional()],
        description=_l("Mehrfachauswahl mit Strg"),
    )
    votes = IntegerField(
        _l("Punkte"),
        default=0,
        validators=[Optional(), NumberRange(min=0)],
        description=_l("Klebepunkte auf dem Flipchart"),
    )
    named_organisation = StringField(
        _l("Genannte Organisation (noch kein Akteur)"),
        validators=[Optional(), Length(max=200)],
        description=_l("wird nach Bestätigung als Kandidat angelegt"),
    )

    def fill_choices(self, topics, actors) -> None:
        self.topic_id.choices = [(0, "–")] + [(t.id, t.label) for t in topics]
        self.actor_ids.choices = actors

    def values(self) -> dict:
        return {
            "kind": self.kind.data,
            "topic_id": self.topic_id.data or None,
            "text": self.text.data or "",
            "actor_ids": self.actor_ids.data or [],
            "votes": self.votes.data or 0,
            "named_organisation": self.named_organisation.data or "",
        }


class CommitmentForm(Form):
    what = RadioField(
        _l("Was folgt aus der Zusage?"),
        choices=[("role", _l("eine Rolle im Thema")), ("relation", _l("eine Beziehung"))],
        default="role",
    )
    actor_id = SelectField(_l("Wer sagt zu?"), coerce=int)
    role = SelectField(_l("Rolle im Thema"), choices=TopicRole.choices)
    target_id = SelectField(_l("Mit wem (Beziehung)?"), coerce=int)
    kind = SelectField(_l("Art der Beziehung"), choices=RelationKind.choices)

    def values(self) -> dict:
        return {
            "what": self.what.data,
            "actor_id": self.actor_id.data or None,
            "role": self.role.data,
            "target_id": self.target_id.data or None,
            "kind": self.kind.data,
        }


class CandidateForm(Form):
    name = StringField(_l("Name der Organisation"), validators=[DataRequired(), Length(max=200)])
    category = SelectField(_l("Kategorie"), validators=[DataRequired()])


class FollowUpForm(Form):
    text = StringField(_l("Was ist zu tun?"), validators=[DataRequired(), Length(max=500)])
    owner_actor_id = SelectField(_l("Verantwortlich (Akteur)"), coerce=int)
    owner = StringField(
        _l("Verantwortlich (Person oder Stelle)"), validators=[Optional(), Length(max=200)]
    )
    due_on = DateField(_l("Bis wann"), validators=[Optional()])
    done = BooleanField(_l("erledigt"))

    def values(self) -> dict:
        return {
            "text": self.text.data or "",
            "owner_actor_id": self.owner_actor_id.data or None,
            "owner": self.owner.data or "",
            "due_on": self.due_on.data,
            "done": bool(self.done.data),
        }
