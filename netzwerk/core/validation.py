"""Reading one input value (from a form, the API or an import) into what the model stores, with
a message naming the field when it cannot be read. Every domain's clean_* functions use these."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email

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
        raise Invalid(f"{field} muss eine ganze Zahl sein.", field=field)
    try:
        if isinstance(value, int):
            number = value
        elif isinstance(value, float):
            number = int(value)  # a spreadsheet's 3.0 (as before: 4.5 is cut to 4)
        else:
            number = int(str(value).strip())
    except (TypeError, ValueError, OverflowError) as exc:
        raise Invalid(f"{field} muss eine ganze Zahl sein.", field=field) from exc
    if not INT64[0] <= number <= INT64[1]:
        raise Invalid(f"{field}: die Zahl ist zu groß.", field=field)
    return number


def has_illegal_characters(text: str) -> bool:
    return bool(ILLEGAL_CHARACTERS.search(text))


def xml_safe(text: str) -> str:
    """Text without the characters XML cannot hold (for data stored before they were refused)."""
    return ILLEGAL_CHARACTERS.sub("", text)


def check_text(value: str, field: str) -> str:
    if has_illegal_characters(value):
        raise Invalid(f"{field} {ILLEGAL_MESSAGE}.", field=field)
    return value


def int_in_range(data: dict, field: str, low: int, high: int, default: int) -> int:
    """data[field] as an integer between low and high; empty → default."""
    value = data.get(field, default)
    if value in (None, ""):
        return default
    number = int_value(value, field)
    if not low <= number <= high:
        raise Invalid(f"{field} muss zwischen {low} und {high} liegen.", field=field)
    return number


def vocab_value(enum_cls, data: dict, field: str, current):
    """data[field] as a member of the vocabulary (key or label); absent or empty → current."""
    if field not in data or data[field] in (None, ""):
        return current
    value = enum_cls.parse(data[field])
    if value is None:
        allowed = ", ".join(m.value for m in enum_cls)
        raise Invalid(
            f"Unbekannter Wert für {field}: {data[field]} (erlaubt: {allowed})", field=field
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
        raise Invalid(f"Ungültige E-Mail-Adresse: {value}", field=field) from exc


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
    raise Invalid(f"{field}: „{value}“ ist weder ja noch nein.", field=field)


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
    raise Invalid(f"{field}: „{text}“ ist kein Datum (TT.MM.JJJJ oder JJJJ-MM-TT).", field=field)
