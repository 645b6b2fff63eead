from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp

from ..core.forms import Form, TimezoneField
from ..topics.models import TopicRole
from .vocab import LANGUAGES, LegalBasis, Level, RelationKind, Sector, Status


class ActorForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    short_name = StringField(_l("Kurzname"), validators=[Optional(), Length(max=60)])
    category = SelectField(_l("Kategorie"), validators=[DataRequired()])
    sector = SelectField(
        _l("Sektor"), description=_l("Leer lassen: ergibt sich aus der Kategorie.")
    )
    level = SelectField(_l("Ebene"), choices=Level.choices)
    status = SelectField(_l("Status"), choices=Status.choices)
    city = StringField(_l("Ort"), validators=[Optional(), Length(max=120)])
    country = StringField(
        _l("Land (ISO-Code)"), default="DE", validators=[Optional(), Length(min=2, max=2)]
    )
    website = StringField(_l("Website"), validators=[Optional(), Length(max=500)])
    description = TextAreaField(_l("Beschreibung"), validators=[Optional()])
    power = IntegerField(_l("Einfluss (1–5)"), default=3, validators=[NumberRange(1, 5)])
    interest = IntegerField(_l("Interesse (1–5)"), default=3, validators=[NumberRange(1, 5)])
    topic = SelectField(_l("Thema zuordnen"), validators=[Optional()])
    topic_role = SelectField(_l("Rolle im Thema"), choices=TopicRole.choices)
    version = HiddenField()

    def fill_choices(self, categories, topics) -> None:
        self.category.choices = [("", "–")] + [(c.key, c.label) for c in categories]
        self.sector.choices = [("", _l("aus der Kategorie"))] + Sector.choices()
        self.topic.choices = [("", "–")] + [(str(t.id), t.label) for t in topics]

    def values(self) -> dict:
        data = {
            f: getattr(self, f).data
            for f in (
                "name",
                "short_name",
                "category",
                "level",
                "status",
                "city",
                "country",
                "website",
                "description",
                "power",
                "interest",
            )
        }
        if self.sector.data:
            data["sector"] = self.sector.data
        return data


class ContactForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    function = StringField(_l("Funktion"), validators=[Optional(), Length(max=200)])
    email = StringField(_l("E-Mail"), validators=[Optional(), Email(), Length(max=254)])
    phone = StringField(_l("Telefon"), validators=[Optional(), Length(max=60)])
    language = SelectField(_l("Sprache"), choices=list(LANGUAGES.items()))
    timezone = TimezoneField(_l("Zeitzone"))
    notes = TextAreaField(_l("Notizen"), validators=[Optional()])
    # data protection (DSGVO)
    legal_basis = SelectField(_l("Rechtsgrundlage"), choices=LegalBasis.choices)
    consent_date = DateField(_l("Einwilligung vom"), validators=[Optional()])
    consent_source = StringField(
        _l("Quelle der Einwilligung"),
        validators=[Optional(), Length(max=200)],
        description=_l("z. B. Anmeldeformular Fachtag 2025, E-Mail vom …"),
    )
    consent_invitations = BooleanField(_l("Einverstanden mit Einladungen"), default=True)
    consent_revoked_at = DateField(
        _l("Widerruf/Widerspruch am"),
        validators=[Optional()],
        description=_l("Ab diesem Tag werden keine Einladungen mehr verschickt."),
    )

    def values(self) -> dict:
        data = {
            f: getattr(self, f).data or ""
            for f in ("name", "function", "email", "phone", "language", "timezone", "notes")
        }
        data.update(
            legal_basis=self.legal_basis.data,
            consent_date=self.consent_date.data,
            consent_source=self.consent_source.data or "",
            consent_invitations=bool(self.consent_invitations.data),
            consent_revoked_at=self.consent_revoked_at.data,
        )
        return data


class RelationForm(Form):
    target_id = SelectField(_l("Mit Akteur"), coerce=int, validators=[DataRequired()])
    kind = SelectField(_l("Art"), choices=RelationKind.choices)
    outgoing = SelectField(
        _l("Richtung"),
        choices=[("out", _l("von diesem Akteur aus")), ("in", _l("zu diesem Akteur hin"))],
    )
    directed = BooleanField(_l("gerichtet (Pfeil)"))
    strength = SelectField(
        _l("Stärke"),
        coerce=int,
        default=2,
        choices=[(1, _l("schwach")), (2, _l("mittel")), (3, _l("stark"))],
    )
    note = TextAreaField(_l("Notiz"), validators=[Optional()])


class TopicLinkForm(Form):
    topic_id = SelectField(_l("Thema"), coerce=int, validators=[DataRequired()])
    role = SelectField(_l("Rolle"), choices=TopicRole.choices)
    note = StringField(_l("Notiz"), validators=[Optional(), Length(max=500)])


class CategoryForm(Form):
    key = StringField(
        _l("Schlüssel"),
        validators=[
            DataRequired(),
            Length(max=40),
            Regexp(r"^[a-z0-9-]+$", message=_l("Nur Kleinbuchstaben, Ziffern und Bindestriche.")),
        ],
    )
    label_de = StringField(_l("Bezeichnung (deutsch)"), validators=[DataRequired()])
    label_en = StringField(_l("Bezeichnung (englisch)"), validators=[Optional()])
    sector = SelectField(_l("Sektor"), choices=Sector.choices)
    color = StringField(
        _l("Farbe"),
        default="#7f7f7f",
        validators=[Regexp(r"^#[0-9a-fA-F]{6}$", message=_l("Farbe als #RRGGBB."))],
    )
