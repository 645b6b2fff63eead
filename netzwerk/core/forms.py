"""Form pieces shared by several domains."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import ValidationError

from .timeutil import DEFAULT_TZ, is_timezone


class TimezoneField(StringField):
    """An IANA zone name such as Europe/Berlin or Africa/Johannesburg."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("default", DEFAULT_TZ)
        kwargs.setdefault("description", _l("IANA-Zeitzone, z. B. Europe/Berlin"))
        super().__init__(label, validators, **kwargs)

    def pre_validate(self, form) -> None:
        if not is_timezone((self.data or "").strip()):
            raise ValidationError(_l("Unbekannte Zeitzone: %(zone)s", zone=self.data))


class ConfirmForm(FlaskForm):
    """An empty form: its CSRF token is the confirmation of a delete."""
