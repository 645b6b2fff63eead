"""Reading one input value (from a form, the API or an import) into what the model stores, with
a message naming the field when it cannot be read. Every domain's clean_* functions use these."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from .errors import Invalid

INT64 = (-(2**63), 2**63 - 1)  # what SQLite and PostgreSQL (bigint) can store
# characters XML 1.0 cannot hold (XLSX, GraphML, GEXF, iCalendar in XML clients): NUL and the
# other C0 controls except tab, line feed and carriage return, lone surrogates, U+FFFE/U+FFFF
ILLEGAL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
ILLEGAL_MESSAGE = "enthält unzulässige Steuerzeichen (z. B. NUL)"


def int_value(value: Any, field: str) -> int:
    """An integer as a query parameter, a JSON id or a form field gives it: a 422 naming the
    field if it is no integer or beyond 64 bits (which the database would refuse with a 500)."""
    if isinstance(value, bool):
        raise Invalid(_("%(field)s muss eine ganze Zahl sein.", field=field), field=field)
    try:
        if isinstance(value, int):
            number = value
        elif isinstance(value, float):
            number = int(value)  # a spreadsheet's 3.0 (as before: 4.5 is cut to 4)
        else:
            number = int(str(value).strip())
    except (TypeError, ValueError, OverflowError) as exc:
        raise Invalid(_("%(field)s muss eine ganze Zahl sein.", field=field), field=field) from exc
    if not INT64[0] <= number <= INT64[1]:
        raise Invalid(_("%(field)s: die Zahl ist zu groß.", field=field), field=field)
    return number


def has_illegal_characters(text: str) -> bool:
    return bool(ILLEGAL_CHARACTERS.search(text))


def xml_safe(text: str) -> str:
    """Text without the characters XML cannot hold (for data stored before they were refused)."""
    return ILLEGAL_CHARACTERS.sub("", text)


def check_text(value: str, field: str) -> str:
    if has_illegal_characters(value):
        raise Invalid(
            _("%(field)s enthält unzulässige Steuerzeichen (z. B. NUL).", field=field),
            field=field,
        )
    return value


def int_in_range(data: dict, field: str, low: int, high: int, default: int) -> int:
    """data[field] as an integer between low and high; empty → default."""
    value = data.get(field, default)
    if value in (None, ""):
        return default
    try:
        number = int_value(value, field)
    except Invalid as exc:
        exc.allowed = f"{low}–{high}"
        raise
    if not low <= number <= high:
        raise Invalid(
            _(
                "%(field)s muss zwischen %(low)s und %(high)s liegen.",
                field=field,
                low=low,
                high=high,
            ),
            field=field,
            allowed=f"{low}–{high}",
        )
    return number


def vocab_value(enum_cls, data: dict, field: str, current):
    """data[field] as a member of the vocabulary (key or label); absent or empty → current."""
    if field not in data or data[field] in (None, ""):
        return current
    value = enum_cls.parse(data[field])
    if value is None:
        allowed = ", ".join(m.value for m in enum_cls)
        raise Invalid(
            _(
                "Unbekannter Wert für %(field)s: %(value)s (erlaubt: %(allowed)s)",
                field=field,
                value=data[field],
                allowed=allowed,
            ),
            field=field,
            allowed=allowed,
        )
    return value


def check_email(value: str, field: str = "email") -> str:
    """A syntactically valid, normalised address, or "" for none."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise Invalid(_("Ungültige E-Mail-Adresse: %(value)s", value=value), field=field) from exc


YES = ("1", "true", "ja", "yes", "y", "j", "x", "on", "wahr")
NO = ("0", "false", "nein", "no", "n", "off", "falsch", "")


def parse_bool(value: Any, field: str) -> bool:
    """A yes/no cell from a form, the API or a spreadsheet (ja/nein, true/false, 1/0, x)."""
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().casefold()
    if text in YES:
        return True
    if text in NO:
        return False
    raise Invalid(
        _("%(field)s: „%(value)s“ ist weder ja noch nein.", field=field, value=value), field=field
    )


def parse_date(value: Any, field: str) -> date | None:
    """A date as ISO (2025-03-31) or German (31.03.2025); a datetime keeps only its day."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:  # ISO 8601, also with a time and an offset as the API answers it
        return datetime.fromisoformat(text).date()
    except ValueError:
        pass
    for fmt in ("%d.%m.%Y",):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise Invalid(
        _(
            "%(field)s: „%(text)s“ ist kein Datum (TT.MM.JJJJ oder JJJJ-MM-TT).",
            field=field,
            text=text,
        ),
        field=field,
    )


def parse_decimal(value: Any, field: str, minimum: Decimal | None = None) -> Decimal | None:
    """A number from a form, the API or a spreadsheet: 12500, 12500.5, "12.500,50 €",
    "1,5", "6.000" (six thousand: a dot before groups of three digits separates thousands);
    empty → None. German thousands dots and decimal commas are understood."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise Invalid(_("%(field)s muss eine Zahl sein.", field=field), field=field)
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(str(value))
    else:
        text = str(value).strip().replace("€", "").replace("EUR", "").replace(" ", "")
        text = text.replace("\u00a0", "")
        if "," in text:  # German: 12.500,50
            text = text.replace(".", "").replace(",", ".")
        elif re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+", text):  # 12.500 or 12.500.000
            text = text.replace(".", "")
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise Invalid(
                _("%(field)s: „%(value)s“ ist keine Zahl.", field=field, value=value), field=field
            ) from exc
    if not number.is_finite():
        raise Invalid(
            _("%(field)s: „%(value)s“ ist keine Zahl.", field=field, value=value), field=field
        )
    if minimum is not None and number < minimum:
        raise Invalid(
            _("%(field)s darf nicht kleiner als %(minimum)s sein.", field=field, minimum=minimum),
            field=field,
        )
    if abs(number) >= Decimal("1e12"):
        raise Invalid(_("%(field)s ist zu groß.", field=field), field=field)
    return number


def date_range(start: date | None, end: date | None, end_field: str) -> None:
    """An end before its start is an error at the end field."""
    if start is not None and end is not None and end < start:
        raise Invalid(
            _(
                "%(end_field)s: das Ende (%(end)s) liegt vor dem Beginn (%(start)s).",
                end_field=end_field,
                end=format(end, "%d.%m.%Y"),
                start=format(start, "%d.%m.%Y"),
            ),
            field=end_field,
        )


def check_url(value: Any, field: str) -> str:
    """An http(s) address, or "" for none."""
    text = "" if value is None else str(value).strip()
    if not text:
        return ""
    if not re.fullmatch(r"https?://[^\s<>\"']+", text) or len(text) > 500:
        raise Invalid(
            _(
                "%(field)s: „%(value)s“ ist kein Link (http:// oder https://).",
                field=field,
                value=text[:80],
            ),
            field=field,
        )
    return text
