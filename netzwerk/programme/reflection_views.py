"""Reflection pages: the editor makes (and sends) the links for a reflection workshop and
reads the comments per measure; the attendee reads the draft and comments through the link,
without an account. The public pages are rate-limited per client address."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from ..auth.permissions import editor_required, public
from ..core.errors import DomainError
from ..core.forms import ConfirmForm
from ..core.views import flash_not_sent
from ..core.web import rate_limit
from ..extensions import db, limiter
from ..workshops import services as workshop_services
from ..workshops.timefmt import mail_language
from . import drafts, reflection
from .forms import CommentForm, ReflectionLinksForm
from .models import MeasureStatus, Stance
from .views import bp

_rate_limit = rate_limit("REFLECTION_RATE_LIMIT")


# --- the editor's side ----------------------------------------------------------------------------


def _links_form(draft) -> ReflectionLinksForm:
    form = ReflectionLinksForm()
    choices = reflection.reflection_workshops()
    form.workshop_id.choices = [(w.id, f"{w.phase.label}: {w.title}") for w in choices]
    if request.method == "GET" and choices:
        form.workshop_id.data = choices[0].id
        form.expires_on.data = reflection.default_expiry(choices[0])
    return form


def _links_page(draft, form=None, status: int = 200):
    return render_template(
        "programme/reflection_links.html",
        draft=draft,
        form=form or _links_form(draft),
        links=reflection.links(draft),
        confirm=ConfirmForm(),
        now=reflection.utcnow(),
        can_mail=_mail_ready(),
        mail_states=reflection.mail_states(draft),
    ), status


def _mail_ready() -> bool:
    return "programme.send_reflection_links" in current_app.view_functions


@bp.route("/entwuerfe/v<int:number>/reflexion")
@editor_required
def reflection_links(number: int):
    return _links_page(drafts.get_draft(number))


@bp.route("/entwuerfe/v<int:number>/reflexion", methods=["POST"])
@editor_required
def create_reflection_links(number: int):
    draft = drafts.get_draft(number)
    form = _links_form(draft)
    if not form.validate_on_submit():
        return _links_page(draft, form, 422)
    try:
        made = reflection.create_links(
            draft, workshop_services.get_workshop(form.workshop_id.data), form.expires_on.data
        )
    except DomainError as exc:
        db.session.rollback()
        field = getattr(form, exc.field or "", None)
        if field is not None:
            field.errors = [*field.errors, exc.message]
        else:
            flash(exc.message, "error")
        return _links_page(draft, form, exc.status)
    flash(_("%(n)s persönliche Links bereit.", n=len(made)), "success")
    return redirect(url_for("programme.reflection_links", number=draft.number))


@bp.route("/reflexionslinks/<int:link_id>/widerrufen", methods=["POST"])
@editor_required
def revoke_reflection_link(link_id: int):
    link = reflection.get_link(link_id)
    if ConfirmForm().validate_on_submit():
        reflection.revoke(link)
        flash(_("Link von %(name)s zurückgezogen.", name=link.invitation.name), "success")
    return redirect(url_for("programme.reflection_links", number=link.draft.number))


# --- the attendee's side --------------------------------------------------------------------------


def _reader_locale(link) -> str:
    if request.args.get("lang") in ("de", "en"):
        return request.args["lang"]
    if session.get("lang") in ("de", "en"):
        return session["lang"]
    contact = link.invitation.contact
    return mail_language(contact.language if contact else "de")


def _reader_page(token: str, link, errors: dict | None = None, status: int = 200):
    lang = _reader_locale(link)
    with force_locale(lang):
        return render_template(
            "programme/reflect.html",
            token=token,
            link=link,
            draft=link.draft,
            content=link.draft.content,
            mine=reflection.comments_of(link),
            stances=Stance,
            statuses={s.value: s for s in MeasureStatus},
            errors=errors or {},
            form=CommentForm(),
        ), status


@bp.route("/reflexion/<token>", endpoint="reflect")
@public
@limiter.limit(_rate_limit, key_func=get_remote_address, scope="reflection")
def reflect(token: str):
    return _reader_page(token, reflection.link_by_token(token))


@bp.route("/reflexion/<token>/massnahmen/<int:measure_id>", methods=["POST"])
@public
@limiter.limit(_rate_limit, key_func=get_remote_address, scope="reflection")
def comment(token: str, measure_id: int):
    link = reflection.link_by_token(token)
    form = CommentForm()
    if not form.validate_on_submit():
        return _reader_page(token, link, {measure_id: _("Bitte das Formular erneut senden.")}, 400)
    try:
        reflection.comment(link, measure_id, {"stance": form.stance.data, "text": form.text.data})
    except DomainError as exc:
        db.session.rollback()
        return _reader_page(token, link, {measure_id: exc.message}, exc.status)
    with force_locale(_reader_locale(link)):
        flash(_("Danke, Ihr Kommentar ist gespeichert."), "success")
    return redirect(url_for("programme.reflect", token=token) + f"#massnahme-{measure_id}")


@bp.route("/entwuerfe/v<int:number>/reflexion/senden", methods=["POST"])
@editor_required
def send_reflection_links(number: int):
    from ..mail import queue as mail_queue

    draft = drafts.get_draft(number)
    back = url_for("programme.reflection_links", number=draft.number)
    if not ConfirmForm().validate_on_submit():
        return redirect(back)
    batch, counts = reflection.send_links(draft)
    flash_not_sent(counts["blocked"])
    if counts["queued"]:
        mail_queue.deliver_in_background(current_app._get_current_object(), batch)
        flash(_("%(n)s Mails werden verschickt.", n=counts["queued"]), "success")
    else:
        flash(_("Alle gültigen Links sind schon verschickt."), "info")
    return redirect(back)
