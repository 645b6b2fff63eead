from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..core.forms import Form, TimezoneField
from .models import Format, Phase, Response, WorkshopStatus

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
    note = StringField(_l("Grund (nur im Änderungsprotokoll)"), validators=[Optional()])
