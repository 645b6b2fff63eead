from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..core.forms import Form

# 1 is the most urgent: the dashboard and lists sort by priority ascending
PRIORITIES = [(1, _l("hoch")), (2, _l("mittel")), (3, _l("niedrig"))]


class TopicForm(Form):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=30)],
        description=_l("Kurz und eindeutig, z. B. SDG12"),
    )
    title = StringField(_l("Titel"), validators=[DataRequired(), Length(max=200)])
    priority = SelectField(_l("Priorität"), coerce=int, default=2, choices=PRIORITIES)
    description = TextAreaField(_l("Beschreibung"), validators=[Optional()])

    def values(self) -> dict:
        return {
            "code": self.code.data or "",
            "title": self.title.data or "",
            "priority": self.priority.data,
            "description": self.description.data or "",
        }
