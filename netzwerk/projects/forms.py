from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from ..core.forms import Form
from .models import ProjectStatus


class ProjectForm(Form):
    title = StringField(_l("Titel"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Beschreibung"), validators=[Optional()])
    topics = SelectMultipleField(_l("Themen"), coerce=int, validators=[Optional()])
    status = SelectField(_l("Status"), choices=ProjectStatus.choices)
    lead_actor_id = SelectField(_l("Träger (federführend)"), coerce=int)
    partner_actor_ids = SelectMultipleField(
        _l("Partner"),
        coerce=int,
        validators=[Optional()],
        description=_l("Akteure vor Ort und in den Partnerstädten; Mehrfachauswahl mit Strg"),
    )
    partner_city_id = SelectField(_l("Partnerstadt"), coerce=int)
    starts_on = DateField(_l("Beginn"), validators=[Optional()])
    ends_on = DateField(_l("Ende"), validators=[Optional()])
    funding_amount = StringField(
        _l("Fördersumme (EUR)"),
        validators=[Optional(), Length(max=30)],
        description=_l("z. B. 12.500 oder 12500,50; leer, wenn nicht gefördert"),
    )
    funder_actor_id = SelectField(_l("Fördermittelgeber"), coerce=int)
    funding_programme = StringField(_l("Förderprogramm"), validators=[Optional(), Length(max=200)])
    sdg_targets = StringField(
        _l("SDG-Unterziele"),
        validators=[Optional(), Length(max=300)],
        description=_l("durch Komma getrennt, z. B. 4.7, 17.16"),
    )
    links = TextAreaField(
        _l("Links"), validators=[Optional()], description=_l("eine Adresse (https://…) je Zeile")
    )

    def fill_choices(self, topics, actors, cities) -> None:
        none = [(0, "–")]
        self.topics.choices = [(t.id, t.label) for t in topics]
        self.lead_actor_id.choices = none + actors
        self.partner_actor_ids.choices = actors
        self.funder_actor_id.choices = none + actors
        self.partner_city_id.choices = none + [(c.id, c.name) for c in cities]

    def load(self, project) -> None:
        self.topics.data = [t.id for t in project.topics]
        self.partner_actor_ids.data = [a.id for a in project.partners]
        self.status.data = project.status.value
        for name in ("lead_actor_id", "funder_actor_id", "partner_city_id"):
            getattr(self, name).data = getattr(project, name) or 0
        if project.funding_amount is not None:
            self.funding_amount.data = f"{project.funding_amount:.2f}".replace(".", ",")

    def values(self) -> dict:
        return {
            "title": self.title.data,
            "description": self.description.data or "",
            "topics": self.topics.data or [],
            "status": self.status.data,
            "lead_actor_id": self.lead_actor_id.data or None,
            "partner_actor_ids": self.partner_actor_ids.data or [],
            "partner_city_id": self.partner_city_id.data or None,
            "starts_on": self.starts_on.data,
            "ends_on": self.ends_on.data,
            "funding_amount": self.funding_amount.data or None,
            "funder_actor_id": self.funder_actor_id.data or None,
            "funding_programme": self.funding_programme.data or "",
            "sdg_targets": self.sdg_targets.data or "",
            "links": self.links.data or "",
        }
