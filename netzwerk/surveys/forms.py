from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..core.forms import Form
from .answers import RECORD_LIMITS
from .models import Question


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SurveyForm(Form):
    title = StringField(_l("Titel"), validators=[DataRequired(), Length(max=200)])
    topics = SelectMultipleField(
        _l("Themen"),
        coerce=int,
        validators=[Optional()],
        description=_l("Nach Partnern wird je Thema gefragt."),
    )
    questions = CheckboxesField(_l("Fragen"), choices=Question.choices, validators=[Optional()])
    closes_on = DateField(
        _l("Antworten bis"),
        validators=[DataRequired()],
        description=_l("Bis zum Ende dieses Tages; danach gilt der Link nicht mehr."),
    )
    remind_on = DateField(
        _l("Erinnerung am"),
        validators=[Optional()],
        description=_l(
            "An diesem Tag bekommen alle, die noch nicht geantwortet haben, eine Erinnerung "
            "(Befehl „flask survey remind --due“, z. B. täglich per cron)."
        ),
    )
    intro = TextAreaField(
        _l("Einleitung"),
        validators=[Optional(), Length(max=5000)],
        description=_l("Steht in der Mail und über dem Fragebogen."),
    )

    def fill_choices(self, topics) -> None:
        self.topics.choices = [(t.id, t.label) for t in topics]

    def values(self) -> dict:
        return {
            "title": self.title.data,
            "topic_ids": list(self.topics.data or []),
            "questions": list(self.questions.data or []),
            "closes_on": self.closes_on.data,
            "remind_on": self.remind_on.data,
            "intro": self.intro.data or "",
        }


class RecipientForm(Form):
    contact_ids = CheckboxesField(_l("Kontakte"), coerce=int, validators=[DataRequired()])


class AnswerForm(Form):
    """The fixed part of the respondent's form; partners, roles and nominations are rows
    named partners-<topic>-<n>-name etc., read in views.answer_data."""

    record_name = StringField(
        _l("Name der Organisation"), validators=[Length(max=RECORD_LIMITS["name"])]
    )
    record_short_name = StringField(
        _l("Kurzname"), validators=[Optional(), Length(max=RECORD_LIMITS["short_name"])]
    )
    record_city = StringField(_l("Ort"), validators=[Optional(), Length(max=RECORD_LIMITS["city"])])
    record_website = StringField(
        _l("Website"), validators=[Optional(), Length(max=RECORD_LIMITS["website"])]
    )
    record_description = TextAreaField(
        _l("Kurzbeschreibung"),
        validators=[Optional(), Length(max=RECORD_LIMITS["description"])],
    )
    record_confirmed = BooleanField(_l("Die Angaben zu unserer Organisation stimmen."))
    comment = TextAreaField(_l("Kommentar (optional)"), validators=[Optional(), Length(max=5000)])
    consent_map = BooleanField(
        _l("Unsere Organisation darf auf der Netzwerkkarte der Stadt erscheinen.")
    )


class DecisionForm(Form):
    """An editor's decision on one proposal or group: the category and name of a new actor,
    or the actor to merge with."""

    category = SelectField(_l("Kategorie"), validators=[Optional()])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    actor_id = StringField(_l("Akteur"), validators=[Optional()])
    note = StringField(_l("Notiz"), validators=[Optional(), Length(max=300)])
