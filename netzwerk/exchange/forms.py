from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileRequired, MultipleFileField
from wtforms import HiddenField
from wtforms.validators import DataRequired, Regexp

from ..core.forms import Form

UPLOAD_TOKEN = r"^[A-Za-z0-9_-]{20,64}$"  # noqa: S105 (a pattern, not a secret)


class ImportForm(Form):
    files = MultipleFileField(
        _l("Dateien (CSV oder Excel)"),
        validators=[FileRequired(_l("Bitte wählen Sie mindestens eine Datei."))],
        description=_l(
            "Eine Excel-Arbeitsmappe mit einem Blatt je Tabelle oder eine CSV-Datei je Tabelle."
        ),
        render_kw={"accept": ".csv,.txt,.xlsx,text/csv"},
    )


class ApplyImportForm(Form):
    """The second step: the token names the files checked in the preview."""

    token = HiddenField(validators=[DataRequired(), Regexp(UPLOAD_TOKEN)])
