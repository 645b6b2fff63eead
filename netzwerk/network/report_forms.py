"""Forms of the analysis pages: the reference checklist and a move on the power/interest grid."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..core.forms import Form
from .reference_store import ALL_TOPICS, MAX_MIN, MAX_REASON

SCALE_CHOICES = [(n, str(n)) for n in range(1, 6)]


class ReferenceItemForm(Form):
    topic_code = SelectField(_l("Thema"), validators=[DataRequired()])
    category_key = SelectField(_l("Kategorie"), validators=[DataRequired()])
    min_count = IntegerField(
        _l("Mindestens"),
        default=1,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_MIN)],
        description=_l("So viele aktive Akteure dieser Kategorie braucht ein Thema."),
    )
    reason = TextAreaField(
        _l("Begründung"),
        validators=[DataRequired(), Length(max=MAX_REASON)],
        description=_l("Erscheint bei der Lücke: warum diese Gruppe beteiligt sein sollte."),
    )

    def fill_choices(self, topic_codes: list[str], categories) -> None:
        self.topic_code.choices = [(ALL_TOPICS, _l("alle Themen"))] + [
            (code, code) for code in topic_codes
        ]
        self.category_key.choices = [(c.key, c.label) for c in categories]

    def values(self) -> dict:
        return {
            "topic_code": self.topic_code.data,
            "category_key": self.category_key.data,
            "min_count": self.min_count.data,
            "reason": self.reason.data,
        }


class GridMoveForm(Form):
    power = SelectField(_l("Einfluss"), coerce=int, choices=SCALE_CHOICES)
    interest = SelectField(_l("Interesse"), coerce=int, choices=SCALE_CHOICES)
    version = HiddenField()
