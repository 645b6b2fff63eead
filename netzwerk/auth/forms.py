from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from ..core.forms import Form, TimezoneField
from .models import Role


class LoginForm(Form):
    username = StringField(
        _l("Benutzername"), validators=[DataRequired()], render_kw={"autocomplete": "username"}
    )
    password = PasswordField(
        _l("Passwort"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )


class UserForm(Form):
    username = StringField(_l("Benutzername"), validators=[DataRequired(), Length(max=80)])
    display_name = StringField(_l("Anzeigename"), validators=[Optional(), Length(max=200)])
    email = StringField(_l("E-Mail"), validators=[Optional(), Email()])
    role = SelectField(_l("Rolle"), choices=Role.choices)
    active = BooleanField(_l("aktiv"), default=True)
    password = PasswordField(
        _l("Passwort"),
        validators=[Optional(), Length(min=8)],
        description=_l("Mindestens 8 Zeichen. Leer lassen, um es nicht zu ändern."),
    )


class ProfileForm(Form):
    display_name = StringField(_l("Anzeigename"), validators=[Optional(), Length(max=200)])
    email = StringField(_l("E-Mail"), validators=[Optional(), Email()])
    locale = SelectField(_l("Sprache"), choices=[("de", "Deutsch"), ("en", "English")])
    timezone = TimezoneField(_l("Zeitzone"))
    password = PasswordField(_l("Neues Passwort"), validators=[Optional(), Length(min=8)])
    password2 = PasswordField(
        _l("Neues Passwort wiederholen"),
        validators=[EqualTo("password", message=_l("Die Passwörter stimmen nicht überein."))],
    )


class TokenForm(Form):
    name = StringField(_l("Name des Tokens"), validators=[DataRequired(), Length(max=100)])
