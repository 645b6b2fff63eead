"""The shapes every HTML view of a domain shares: a form saved through a service, and the
confirmation step before a delete. Views stay short and behave alike everywhere."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from flask import flash, redirect, render_template
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..extensions import db
from .errors import DomainError
from .forms import ConfirmForm

T = TypeVar("T")


def flash_not_sent(blocked: Iterable[dict]) -> None:
    """One error message per recipient a mail batch left out ({"name", "reason"} each)."""
    for item in blocked:
        flash(
            _("Nicht verschickt an %(name)s: %(reason)s", name=item["name"], reason=item["reason"]),
            "error",
        )


def form_error(form, exc: DomainError) -> None:
    """Show a service's complaint at the field it names, or above the form."""
    field = getattr(form, exc.field, None) if exc.field else None
    # a hidden field (the version of an optimistic lock) cannot show its error: flash it
    if field is not None and hasattr(field, "errors") and field.type != "HiddenField":
        if not isinstance(field.errors, list):
            field.errors = list(field.errors)
        field.errors.append(exc.message)
    else:
        flash(exc.message, "error")


def _resolve(value: str | Callable[[T], str], result: T) -> str:
    return value(result) if callable(value) else value


def save_form(
    form,
    save: Callable[[], T],
    message: str | Callable[[T], str],
    next_url: str | Callable[[T], str],
) -> Response | None:
    """On a valid POST call `save` (a service, one transaction); then flash `message` and
    redirect to `next_url` (either may be a function of what `save` returned). A DomainError is
    rolled back and shown at its field; None tells the view to render the form (again):

        return save_form(form, save, _("Angelegt."), url) or render_template(...)
    """
    if not form.validate_on_submit():
        return None
    try:
        result = save()
    except DomainError as exc:
        db.session.rollback()
        form_error(form, exc)
        return None
    flash(_resolve(message, result), "success")
    return redirect(_resolve(next_url, result))


def confirm_delete(
    title: str,
    delete: Callable[[], T],
    message: str | Callable[[T], str],
    next_url: str,
    cancel_url: str,
    consequences: Iterable[str] = (),
    kept: Iterable[str] = (),
) -> Response | str:
    """GET: the confirmation page naming what goes with the object (`consequences`) and what
    stays but loses its reference to it (`kept`); POST with a valid CSRF token (the
    confirmation): `delete`, flash `message` (or message(what delete returned)), redirect to
    `next_url`."""
    form = ConfirmForm()
    if form.validate_on_submit():
        result = delete()
        flash(_resolve(message, result), "success")
        return redirect(next_url)
    return render_template(
        "confirm_delete.html",
        form=form,
        title=title,
        consequences=list(consequences),
        kept=list(kept),
        cancel_url=cancel_url,
    )
