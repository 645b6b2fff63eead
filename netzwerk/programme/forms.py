from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from ..core.forms import Form
from .models import IndicatorScale, MeasureStatus, Stance


class GoalForm(Form):
    topic_id = SelectField(_l("Thema (Handlungsfeld)"), coerce=int)
    title = StringField(_l("Ziel"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("Beschreibung"), validators=[Optional()])
    sdg_targets = StringField(
        _l("SDG-Unterziele"),
        validators=[Optional(), Length(max=300)],
        description=_l("durch Komma getrennt, z. B. 12.7, 17.17"),
    )
    outcome_ids = SelectMultipleField(
        _l("Aus Workshop-Ergebnissen"),
        coerce=int,
        validators=[Optional()],
        description=_l("woraus das Ziel hervorgeht; Mehrfachauswahl mit Strg"),
    )

    def values(self) -> dict:
        return {
            "topic_id": self.topic_id.data or None,
            "title": self.title.data or "",
            "description": self.description.data or "",
            "sdg_targets": self.sdg_targets.data or "",
            "outcome_ids": self.outcome_ids.data or [],
        }


class MeasureForm(Form):
    goal_id = SelectField(_l("Ziel"), coerce=int)
    title = StringField(_l("Maßnahme"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("Beschreibung"), validators=[Optional()])
    lead_actor_id = SelectField(_l("Federführend"), coerce=int)
    partner_actor_ids = SelectMultipleField(
        _l("Partner"),
        coerce=int,
        validators=[Optional()],
        description=_l("Mehrfachauswahl mit Strg"),
    )
    starts_on = DateField(_l("Beginn"), validators=[Optional()])
    ends_on = DateField(_l("Ende"), validators=[Optional()])
    staff_fte = StringField(
        _l("Personal (VZÄ)"),
        validators=[Optional(), Length(max=20)],
        description=_l("Vollzeitäquivalente, z. B. 0,25"),
    )
    budget = StringField(
        _l("Budget (EUR)"), validators=[Optional(), Length(max=30)], description=_l("≥ 0")
    )
    funding_source = StringField(
        _l("Finanzierung"),
        validators=[Optional(), Length(max=200)],
        description=_l("z. B. Haushalt FB60, SKEW-Förderung"),
    )
    indicator = StringField(
        _l("Indikator"),
        validators=[Optional(), Length(max=300)],
        description=_l("woran der Erfolg gemessen wird"),
    )
    indicator_scale = SelectField(_l("Skala des Indikators"), choices=IndicatorScale.choices)
    indicator_unit = StringField(
        _l("Einheit"),
        validators=[Optional(), Length(max=40)],
        description=_l("bei „Zahl mit Einheit“, z. B. t CO₂"),
    )
    baseline = StringField(_l("Ausgangswert"), validators=[Optional(), Length(max=100)])
    target = StringField(_l("Zielwert"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("Status"), choices=MeasureStatus.choices)
    outcome_ids = SelectMultipleField(
        _l("Aus Workshop-Ergebnissen"),
        coerce=int,
        validators=[Optional()],
        description=_l("woraus die Maßnahme hervorgeht; Mehrfachauswahl mit Strg"),
    )

    def fill_choices(self, goals, actors, outcomes) -> None:
        self.goal_id.choices = goals
        self.lead_actor_id.choices = [(0, "–")] + actors
        self.partner_actor_ids.choices = actors
        self.outcome_ids.choices = outcomes

    def load(self, measure) -> None:
        self.lead_actor_id.data = measure.lead_actor_id or 0
        self.partner_actor_ids.data = [a.id for a in measure.partners]
        self.outcome_ids.data = [o.id for o in measure.outcomes]
        self.indicator_scale.data = measure.indicator_scale.value
        self.status.data = measure.status.value
        for name in ("staff_fte", "budget"):
            value = getattr(measure, name)
            getattr(self, name).data = (
                format(value.normalize(), "f").replace(".", ",") if value is not None else ""
            )

    def values(self) -> dict:
        return {
            "goal_id": self.goal_id.data or None,
            "title": self.title.data or "",
            "description": self.description.data or "",
            "lead_actor_id": self.lead_actor_id.data or None,
            "partner_actor_ids": self.partner_actor_ids.data or [],
            "starts_on": self.starts_on.data,
            "ends_on": self.ends_on.data,
            "staff_fte": self.staff_fte.data or None,
            "budget": self.budget.data or None,
            "funding_source": self.funding_source.data or "",
            "indicator": self.indicator.data or "",
            "indicator_scale": self.indicator_scale.data,
            "indicator_unit": self.indicator_unit.data or "",
            "baseline": self.baseline.data or "",
            "target": self.target.data or "",
            "status": self.status.data,
            "outcome_ids": self.outcome_ids.data or [],
        }


class FreezeForm(Form):
    note = StringField(
        _l("Notiz zum Entwurf"),
        validators=[Optional(), Length(max=500)],
        description=_l("z. B. „nach den Fokusgruppen, für die Reflexionsworkshops“"),
    )


class ReflectionLinksForm(Form):
    workshop_id = SelectField(
        _l("Für die Eingeladenen des Workshops"),
        coerce=int,
        description=_l("Jede eingeladene Person bekommt einen eigenen Link zu diesem Entwurf."),
    )
    expires_on = DateField(
        _l("Gültig bis"),
        validators=[Optional()],
        description=_l("danach öffnet der Link nichts mehr"),
    )


class CommentForm(Form):
    stance = RadioField(_l("Ihre Einschätzung"), choices=Stance.choices, default=Stance.NONE.value)
    text = TextAreaField(_l("Kommentar"), validators=[Optional(), Length(max=5000)])


class StatusUpdateForm(Form):
    noted_on = DateField(_l("Datum"), validators=[Optional()], description=_l("leer: heute"))
    status = SelectField(_l("Status"), choices=MeasureStatus.choices)
    note = TextAreaField(_l("Notiz"), validators=[Optional(), Length(max=5000)])


class IndicatorValueForm(Form):
    measured_on = DateField(
        _l("Gemessen am"), validators=[Optional()], description=_l("leer: heute")
    )
    value = StringField(_l("Wert"), validators=[DataRequired(), Length(max=30)])
    note = StringField(_l("Notiz"), validators=[Optional(), Length(max=500)])
