"""Form pieces shared by several domains."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import ValidationError

from .timeutil import DEFAULT_TZ, is_timezone
from .validation import has_illegal_characters


class Form(FlaskForm):
    """The base of every form in netzwerk: besides a form's own validators, no field may hold
    NUL or another control character that XML cannot carry (they broke the XLSX, GraphML and
    GEXF exports and `export DIR`)."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            values = field.data if isinstance(field.data, list | tuple) else [field.data]
            if any(isinstance(v, str) and has_illegal_characters(v) for v in values):
                field.errors = [
                    *field.errors,
                    _l("Enthält unzulässige Steuerzeichen (z. B. NUL); bitte entfernen."),
                ]
                valid = False
        return valid


class TimezoneField(StringField):
    """An IANA zone name such as Europe/Berlin or Africa/Johannesburg."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("default", DEFAULT_TZ)
        kwargs.setdefault("description", _l("IANA-Zeitzone, z. B. Europe/Berlin"))
        super().__init__(label, validators, **kwargs)

    def pre_validate(self, form) -> None:
        if not is_timezone((self.data or "").strip()):
            raise ValidationError(_l("Unbekannte Zeitzone: %(zone)s", zone=self.data))


class ConfirmForm(Form):
    """An empty form: its CSRF token is the confirmation of a delete."""
