"""Workshop pages: process overview, planning, invitations with suggestions, sending with
progress, date polls, attendance, results, calendar files; public RSVP and poll pages by token."""

from __future__ import annotations

import hashlib
import io

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask import (
    Response as FlaskResponse,
)
from flask_babel import force_locale, get_locale, ngettext
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user

from ..auth.permissions import can_edit, editor_required, public
from ..core.errors import DomainError
from ..core.forms import ConfirmForm
from ..core.views import confirm_delete, flash_not_sent, form_error, save_form
from ..core.web import rate_limit
from ..exchange.vcard import export_contacts
from ..extensions import db, limiter
from ..mail import links, queue
from ..mail.message import undeliverable_reason
from ..topics import services as topic_services
from . import compose, ical, polls, services, suggestions
from . import feeds as calendar_feeds
from . import invitations as invites
from .forms import (
    CancelForm,
    InviteForm,
    ReplyUploadForm,
    ResultsForm,
    RsvpForm,
    SlotForm,
    SlotsForm,
    WorkshopForm,
)
from .models import Answer, Phase, Response, WorkshopStatus
from .timefmt import local, mail_language, span

bp = Blueprint("workshops", __name__)


# one counter per address for all public token pages (RSVP links, poll pages, calendar
# feeds), so that links cannot be guessed or hammered
public_limit = rate_limit("PUBLIC_RATE_LIMIT")


def _viewer_tz() -> str:
    return getattr(current_user, "timezone", None) or "Europe/Berlin"


def _deliver(batch: str | None) -> None:
    if batch:
        queue.deliver_in_background(current_app._get_current_object(), batch)


def _warn_unreachable(batch: str | None) -> None:
    """Tell the coordinator when the links in a batch's mails would not open for its
    recipients (NETZWERK_BASE_URL unset or loopback, mail going elsewhere)."""
    if batch and (warning := links.unreachable_warning(queue.recipients(batch))):
        flash(warning, "warning")


def _progress(workshop_id: int, batch: str | None, fallback: str):
    if batch:
        _warn_unreachable(batch)
        _deliver(batch)
        return redirect(url_for("workshops.delivery", workshop_id=workshop_id, batch=batch))
    return redirect(fallback)


def _progress_url(workshop_id: int, batch: str | None) -> str:
    """The delivery page of a batch being sent, else the workshop."""
    if batch:
        return url_for("workshops.delivery", workshop_id=workshop_id, batch=batch)
    return url_for("workshops.show", workshop_id=workshop_id)


@bp.app_template_global()
def workshop_when(workshop, reader_tz: str | None = None) -> dict:
    """Time of a workshop in its own zone and, if different, in the reader's."""
    return services.when(workshop, reader_tz, str(get_locale() or "de"))


# --- overview and planning -----------------------------------------------------------------------


@bp.route("/workshops/")
def index():
    return render_template(
        "workshops/index.html",
        overview=services.process_overview(),
        viewer_tz=_viewer_tz(),
        statuses=WorkshopStatus,
    )


@bp.route("/workshops/<int:workshop_id>")
def show(workshop_id: int):
    workshop = services.get_workshop(workshop_id)
    return render_template(
        "workshops/show.html",
        workshop=workshop,
        summary=invites.summary(workshop),
        viewer_tz=_viewer_tz(),
        rows=invites.invitation_rows(workshop),
        organizer_undeliverable=bool(
            workshop.organizer_email and undeliverable_reason(workshop.organizer_email)
        ),
    )


def _workshop_form(workshop=None) -> WorkshopForm:
    form = WorkshopForm(obj=workshop)
    form.fill_choices(topic_services.topics(), editing=workshop is not None)
    if request.method == "GET":
        if workshop is not None:
            form.topics.data = [t.id for t in workshop.topics]
            form.phase.data = workshop.phase.value
            form.format.data = workshop.format.value
            form.status.data = workshop.status.value
            for name in ("starts_at", "ends_at"):
                value = getattr(workshop, name)
                field = getattr(form, name)
                field.data = local(value, workshop.timezone).replace(tzinfo=None) if value else None
        else:
            name, email = services.default_organizer()
            form.organizer_name.data = current_user.display_name or name
            form.organizer_email.data = current_user.email or email
            form.status.data = WorkshopStatus.DRAFT.value
            form.phase.data = request.args.get("phase", Phase.FOCUS_GROUP.value)
            if topic := request.args.get("topic", type=int):
                form.topics.data = [topic]
    return form


@bp.route("/workshops/neu", methods=["GET", "POST"])
@editor_required
def new():
    form = _workshop_form()
    return save_form(
        form,
        lambda: services.create_workshop(form.values()),
        lambda workshop: _("Workshop „%(title)s“ angelegt.", title=workshop.title),
        lambda workshop: url_for("workshops.show", workshop_id=workshop.id),
    ) or render_template("workshops/form.html", form=form, workshop=None)


@bp.route("/workshops/<int:workshop_id>/bearbeiten", methods=["GET", "POST"])
@editor_required
def edit(workshop_id: int):
    workshop = services.get_workshop(workshop_id)
    form = _workshop_form(workshop)
    if workshop.status == WorkshopStatus.CANCELLED:
        form.status.choices = [(workshop.status.value, workshop.status.label)]

    def save() -> str | None:
        batch = services.update_workshop(workshop, form.values())
        if batch:
            _warn_unreachable(batch)
            _deliver(batch)
        return batch

    def message(batch: str | None) -> str:
        if not batch:
            return _("Änderungen gespeichert.")
        return _("Änderungen gespeichert. Die Eingeladenen bekommen die geänderte Einladung.")

    return save_form(
        form, save, message, lambda batch: _progress_url(workshop.id, batch)
    ) or render_template("workshops/form.html", form=form, workshop=workshop)


@bp.route("/workshops/<int:workshop_id>/loeschen", methods=["GET", "POST"])
@editor_required
def delete(workshop_id: int):
    workshop = services.get_workshop(workshop_id)
    return confirm_delete(
        workshop.title,
        lambda: services.delete_workshop(workshop),
        _("Workshop „%(title)s“ gelöscht.", title=workshop.title),
        url_for("workshops.index"),
        url_for("workshops.show", workshop_id=workshop.id),
        consequences=[
            ngettext("%(num)s Einladung", "%(num)s Einladungen", len(workshop.invitations))
        ],
    )


@bp.route("/workshops/<int:workshop_id>/absagen", methods=["GET", "POST"])
@editor_required
def cancel(workshop_id: int):
    workshop = services.get_workshop(workshop_id)
    form = CancelForm()
    if form.validate_on_submit():
        batch = invites.cancel_workshop(workshop, form.note.data or "")
        flash(_("Workshop abgesagt."), "success")
        return _progress(workshop.id, batch, url_for("workshops.show", workshop_id=workshop.id))
    return render_template(
        "workshops/cancel.html", form=form, workshop=workshop, summary=invites.summary(workshop)
    )


@bp.route("/workshops/<int:workshop_id>.ics")
def download(workshop_id: int):
    workshop = services.get_workshop(workshop_id)
    return _ics(calendar_feeds.workshop_ics(workshop), f"workshop-{workshop.id}.ics")


def _ics(data: bytes, filename: str, attachment: bool = True) -> FlaskResponse:
    response = FlaskResponse(data, mimetype="text/calendar")
    response.charset = "utf-8"
    disposition = "attachment" if attachment else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


# --- invitations ---------------------------------------------------------------------------------


@bp.route("/workshops/<int:workshop_id>/einladungen")
def invitations(workshop_id: int):
    workshop = services.get_workshop(workshop_id)
    picker = InviteForm()
    candidates = invites.invitable_contacts(workshop)
    picker.contact_ids.choices = [
        (row["contact"].id, f"{row['contact'].name} ({row['actor'].name})")
        for row in candidates
        if row["reason"] is None
    ]
    return render_template(
        "workshops/invitations.html",
        workshop=workshop,
        rows=invites.invitation_rows(workshop),
        summary=invites.summary(workshop),
        failed=invites.failed_messages(workshop),
        suggestions=suggestions.suggestions(workshop) if workshop.topics else None,
        blocked_contacts=[row for row in candidates if row["reason"]],
        picker=picker,
        upload=ReplyUploadForm(),
        confirm=ConfirmForm(),
        open_for_invites=workshop.status not in (WorkshopStatus.CANCELLED, WorkshopStatus.DONE),
        organizer_undeliverable=bool(
            workshop.organizer_email and undeliverable_reason(workshop.organizer_email)
        ),
    )


@bp.route("/workshops/<int:workshop_id>/kontakte.vcf")
@editor_required
def address_book(workshop_id: int):
    """The invitees as one vCard file for Outlook or Thunderbird (a personal-data export)."""
    workshop = services.get_workshop(workshop_id)
    result = export_contacts(
        invites.invited_contacts(workshop),
        f"Adressbuch Workshop {workshop.id} ({workshop.title})",
        f"workshop-{workshop.id}-kontakte.vcf",
    )
    return send_file(
        io.BytesIO(result.data),
        mimetype=result.mimetype,
        as_attachment=True,
        download_name=result.filename,
        max_age=0,
    )


@bp.route("/workshops/<int:workshop_id>/einladungen/neu", methods=["POST"])
@editor_required
def invite(workshop_id: int):
    workshop = services.get_workshop(workshop_id)
    form = InviteForm()
    ids = request.form.getlist("contact_ids", type=int)
    form.contact_ids.choices = [(i, str(i)) for i in ids]
    back = url_for("workshops.invitations", workshop_id=workshop.id)
    if not form.validate_on_submit():
        flash(_("Bitte mindestens einen Kontakt auswählen."), "error")
        return redirect(back)
    try:
        added = invites.add_invitations(workshop, ids)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        if added:
            names = ", ".join(inv.name for inv in added)
            flash(_("Zur Gästeliste hinzugefügt: %(names)s", names=names), "success")
        else:
            flash(_("Schon eingeladen."), "info")
    return redirect(back + "#gaesteliste")


@bp.route(
    "/workshops/<int:workshop_id>/einladungen/<int:invitation_id>/entfernen",
    methods=["GET", "POST"],
)
@editor_required
def remove_invitation(workshop_id: int, invitation_id: int):
    workshop = services.get_workshop(workshop_id)
    invitation = services.get_invitation(invitation_id, workshop)
    form = ConfirmForm()
    back = url_for("workshops.invitations", workshop_id=workshop.id)
    if form.validate_on_submit():
        name = invitation.name
        batch = invites.remove_invitation(invitation)
        flash(_("Einladung für %(name)s zurückgezogen.", name=name), "success")
        return _progress(workshop.id, batch, back)
    return render_template(
        "workshops/confirm.html",
        form=form,
        heading=_("Einladung zurückziehen"),
        question=_(
            "Soll die Einladung für %(name)s zu „%(title)s“ zurückgezogen werden?",
            name=invitation.name,
            title=workshop.title,
        ),
        note=_(
            "Wer die Einladung schon bekommen hat, erhält eine Absage, die den "
            "Termin aus dem Kalender entfernt. Die anderen Eingeladenen erfahren davon nichts."
        ),
        button=_("Einladung zurückziehen"),
        cancel_url=back,
    )


@bp.route("/workshops/<int:workshop_id>/senden", methods=["POST"])
@editor_required
def send(workshop_id: int):
    workshop = services.get_workshop(workshop_id)
    form = ConfirmForm()
    back = url_for("workshops.invitations", workshop_id=workshop.id)
    if not form.validate_on_submit():
        abort(400)
    note = (request.form.get("note") or "").strip()[:2000]
    try:
        batch, counts = invites.send_invitations(workshop, note)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(back)
    flash_not_sent(counts["blocked"])
    if not counts["queued"]:
        flash(_("Alle Einladungen sind schon verschickt."), "info")
        return redirect(back)
    return _progress(workshop.id, batch, back)


@bp.route("/workshops/<int:workshop_id>/einladungen/vorschau")
@editor_required
def send_preview(workshop_id: int):
    """The invitation mail before sending, with an optional personal text (shown as the first
    invitee would get it; nothing is queued)."""
    workshop = services.get_workshop(workshop_id)
    note = (request.args.get("note") or "").strip()[:2000]
    sample = next(
        (i for i in workshop.active_invitations if i.contact is not None and i.contact.email),
        None,
    )
    return render_template(
        "workshops/send_preview.html",
        workshop=workshop,
        confirm=ConfirmForm(),
        note=note,
        sample=sample,
        mail=compose.preview(sample, note) if sample else None,
    )


@bp.route("/workshops/<int:workshop_id>/versand/<batch>")
def delivery(workshop_id: int, batch: str):
    workshop = services.get_workshop(workshop_id)
    status = _batch_status(workshop, batch)
    return render_template("workshops/delivery.html", workshop=workshop, status=status)


@bp.route("/workshops/<int:workshop_id>/versand/<batch>.json")
def delivery_status(workshop_id: int, batch: str):
    workshop = services.get_workshop(workshop_id)
    return jsonify(_batch_status(workshop, batch))


def _batch_status(workshop, batch: str) -> dict:
    status = queue.batch_status(batch, compose.scope(workshop))
    if not status["total"]:
        abort(404)
    return status


@bp.route("/workshops/<int:workshop_id>/versand/wiederholen", methods=["POST"])
@editor_required
def retry(workshop_id: int):
    workshop = services.get_workshop(workshop_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    batch = queue.requeue_failed(compose.scope(workshop))
    if not queue.batch_status(batch, compose.scope(workshop))["total"]:
        flash(_("Es gibt keine fehlgeschlagenen Nachrichten."), "info")
        return redirect(url_for("workshops.invitations", workshop_id=workshop.id))
    return _progress(workshop.id, batch, url_for("workshops.show", workshop_id=workshop.id))


@bp.route("/workshops/<int:workshop_id>/antworten", methods=["POST"])
@editor_required
def upload_reply(workshop_id: int):
    workshop = services.get_workshop(workshop_id)
    form = ReplyUploadForm()
    back = url_for("workshops.invitations", workshop_id=workshop.id)
    if not form.validate_on_submit():
        for error in form.file.errors:
            flash(error, "error")
        return redirect(back)
    try:
        lines, batches = invites.import_replies(form.file.data.read())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(back)
    for line in lines:
        flash(line["message"], "success" if line["ok"] else "error")
    for batch in batches:
        _warn_unreachable(batch)
        _deliver(batch)
    return redirect(back)


# --- date poll -----------------------------------------------------------------------------------


@bp.route("/workshops/<int:workshop_id>/umfrage", methods=["GET", "POST"])
def poll(workshop_id: int):
    workshop = services.get_workshop(workshop_id)
    form = SlotForm()
    if request.method == "POST":
        if not can_edit():
            abort(403)
        if form.validate_on_submit():
            try:
                polls.add_slot(workshop, form.starts_at.data, form.ends_at.data)
            except DomainError as exc:
                db.session.rollback()
                form_error(form, exc)
            else:
                flash(_("Terminvorschlag hinzugefügt."), "success")
                return redirect(url_for("workshops.poll", workshop_id=workshop.id))
    return _poll_page(workshop, form, SlotsForm(formdata=None))


def _poll_page(workshop, form: SlotForm, many: SlotsForm) -> str:
    return render_template(
        "workshops/poll.html",
        workshop=workshop,
        form=form,
        many=many,
        results=polls.results(workshop),
        confirm=ConfirmForm(),
        answers=Answer,
    )


@bp.route("/workshops/<int:workshop_id>/umfrage/mehrere", methods=["POST"])
@editor_required
def add_slots(workshop_id: int):
    """Several dates in one step with the same times; nothing is saved while a row is wrong."""
    workshop = services.get_workshop(workshop_id)
    many = SlotsForm()
    many.validate_on_submit()
    # a row the browser sent as no date is one more row error; the others are still checked
    unreadable = {i: e.errors[0] for i, e in enumerate(many.date_rows) if e.errors}
    header_ok = not (many.csrf_token.errors or many.start_time.errors or many.end_time.errors)
    if request.method == "POST" and header_ok:
        try:
            slots = polls.add_slots(
                workshop,
                many.start_time.data,
                many.end_time.data,
                [None if e.errors else e.data for e in many.date_rows],
                unreadable,
            )
        except polls.RowsInvalid as exc:
            db.session.rollback()
            flash(exc.message, "error")
            for index, message in exc.rows.items():
                many.date_rows[index].errors = [message]
        except DomainError as exc:
            db.session.rollback()
            form_error(many, exc)
        else:
            flash(
                ngettext(
                    "%(num)s Terminvorschlag hinzugefügt.",
                    "%(num)s Terminvorschläge hinzugefügt.",
                    len(slots),
                ),
                "success",
            )
            return redirect(url_for("workshops.poll", workshop_id=workshop.id))
    return _poll_page(workshop, SlotForm(formdata=None), many), 422


@bp.route("/workshops/<int:workshop_id>/umfrage/senden", methods=["POST"])
@editor_required
def send_poll(workshop_id: int):
    workshop = services.get_workshop(workshop_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    back = url_for("workshops.poll", workshop_id=workshop.id)
    try:
        batch, queued = polls.send_poll(workshop)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(back)
    flash(
        ngettext(
            "Umfrage an %(num)s eingeladene Person verschickt.",
            "Umfrage an %(num)s eingeladene Personen verschickt.",
            queued,
        ),
        "success",
    )
    return _progress(workshop.id, batch if queued else None, back)


@bp.route("/workshops/<int:workshop_id>/umfrage/<int:slot_id>/festlegen", methods=["GET", "POST"])
@editor_required
def fix_slot(workshop_id: int, slot_id: int):
    """GET asks first (fixing closes the poll and may send updates); POST fixes the date."""
    workshop = services.get_workshop(workshop_id)
    slot = polls.get_slot(workshop, slot_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        if request.method == "POST":
            abort(400)
        return render_template(
            "workshops/confirm.html",
            form=form,
            heading=_("Termin festlegen"),
            question=_(
                "Soll „%(title)s“ am %(when)s stattfinden?",
                title=workshop.title,
                when=span(slot.starts_at, slot.ends_at, workshop.timezone),
            ),
            note=_(
                "Die Umfrage wird geschlossen. Wer schon eingeladen ist, bekommt die Einladung "
                "mit dem neuen Termin; danach können Sie von der Gästeliste aus die "
                "Einladungen an alle verschicken."
            ),
            button=_("Termin festlegen"),
            cancel_url=url_for("workshops.poll", workshop_id=workshop.id),
        )
    try:
        batch = polls.fix_slot(workshop, slot)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("workshops.poll", workshop_id=workshop.id))
    flash(_("Termin festgelegt; die Umfrage ist geschlossen."), "success")
    if batch is None and workshop.active_invitations:
        # nobody has the invitation yet: offer to send it now, which tells every voter the date
        return redirect(url_for("workshops.invite_after_poll", workshop_id=workshop.id))
    return _progress(workshop.id, batch, url_for("workshops.show", workshop_id=workshop.id))


@bp.route("/workshops/<int:workshop_id>/umfrage/einladen", methods=["GET", "POST"])
@editor_required
def invite_after_poll(workshop_id: int):
    """After a date is fixed: GET offers to send the invitations with that date to everyone on
    the guest list (the voters learn the date from it); POST plans a draft workshop and sends."""
    workshop = services.get_workshop(workshop_id)
    form = ConfirmForm()
    back = url_for("workshops.show", workshop_id=workshop.id)
    if not form.validate_on_submit():
        if request.method == "POST":
            abort(400)
        if workshop.starts_at is None:
            return redirect(url_for("workshops.poll", workshop_id=workshop.id))
        voters = {vote.invitation_id for slot in workshop.slots for vote in slot.votes}
        return render_template(
            "workshops/confirm.html",
            form=form,
            heading=_("Einladungen mit dem Termin verschicken"),
            question=_(
                "„%(title)s“ findet am %(when)s statt. Jetzt die Einladung an alle "
                "%(count)s Eingeladenen schicken? So erfahren auch die %(voters)s, die "
                "abgestimmt haben, den Termin.",
                title=workshop.title,
                when=span(workshop.starts_at, workshop.ends_at, workshop.timezone),
                count=len(workshop.active_invitations),
                voters=len(voters),
            ),
            note=_("Ein Entwurf wird dabei auf „geplant“ gesetzt.")
            if workshop.status == WorkshopStatus.DRAFT
            else None,
            button=_("Einladungen verschicken"),
            cancel_url=back,
        )
    try:
        if workshop.status == WorkshopStatus.DRAFT:
            services.update_workshop(workshop, {"status": WorkshopStatus.PLANNED.value})
        batch, counts = invites.send_invitations(workshop)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(back)
    flash_not_sent(counts["blocked"])
    return _progress(workshop.id, batch if counts["queued"] else None, back)


@bp.route("/workshops/<int:workshop_id>/umfrage/<int:slot_id>/loeschen", methods=["POST"])
@editor_required
def remove_slot(workshop_id: int, slot_id: int):
    workshop = services.get_workshop(workshop_id)
    slot = polls.get_slot(workshop, slot_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    polls.remove_slot(slot)
    flash(_("Terminvorschlag gelöscht."), "success")
    return redirect(url_for("workshops.poll", workshop_id=workshop.id))


# --- afterwards ----------------------------------------------------------------------------------


@bp.route("/workshops/<int:workshop_id>/teilnahme", methods=["GET", "POST"])
def attendance(workshop_id: int):
    workshop = services.get_workshop(workshop_id)
    form = ConfirmForm()
    if request.method == "POST":
        if not can_edit():
            abort(403)
        if form.validate_on_submit():
            try:
                invites.record_attendance(workshop, set(request.form.getlist("attended", type=int)))
            except DomainError as exc:
                db.session.rollback()
                flash(exc.message, "error")
            else:
                flash(_("Anwesenheit gespeichert."), "success")
                return redirect(url_for("workshops.attendance", workshop_id=workshop.id))
    return render_template(
        "workshops/attendance.html",
        workshop=workshop,
        form=form,
        rows=[r for r in invites.invitation_rows(workshop) if r["invitation"].removed_at is None],
        summary=invites.summary(workshop),
    )


@bp.route("/workshops/<int:workshop_id>/unterschriften")
def sign_in_sheet(workshop_id: int):
    workshop = services.get_workshop(workshop_id)
    return render_template(
        "workshops/signin.html",
        workshop=workshop,
        rows=invites.sign_in_rows(workshop),
        blank_rows=range(8),
    )


@bp.route("/workshops/<int:workshop_id>/ergebnisse", methods=["GET", "POST"])
@editor_required
def results(workshop_id: int):
    workshop = services.get_workshop(workshop_id)
    form = ResultsForm(obj=workshop)
    others = [w for w in services.workshops() if w.id != workshop.id]
    form.next_workshop_id.choices = [(0, "–")] + [(w.id, w.title) for w in others]
    if request.method == "GET":
        form.next_workshop_id.data = workshop.next_workshop_id or 0
    return save_form(
        form,
        lambda: services.save_results(
            workshop,
            {
                "results": form.results.data,
                "follow_ups": form.follow_ups.data,
                "next_workshop_id": form.next_workshop_id.data or None,
                "mark_done": form.mark_done.data,
            },
        ),
        _("Ergebnisse gespeichert."),
        url_for("workshops.show", workshop_id=workshop.id),
    ) or render_template("workshops/results.html", workshop=workshop, form=form)


# --- calendar feeds ------------------------------------------------------------------------------


def _feeds_page(new_feed=None):
    return render_template(
        "workshops/feeds.html",
        feeds=calendar_feeds.feeds(),
        confirm=ConfirmForm(),
        base_url=links.base_url(),
        new_feed=new_feed,
    )


@bp.route("/workshops/kalender")
def feeds():
    return _feeds_page()


@bp.route("/workshops/kalender/neu", methods=["POST"])
@editor_required
def create_feed():
    """Create or renew a feed link and show it this once (only its hash is stored)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    topic_id = request.form.get("topic_id", type=int)
    return _feeds_page(new_feed=calendar_feeds.create_feed(topic_id or None))


@bp.route("/kalender/<token>.ics")
@public
@limiter.shared_limit(public_limit, scope="public-token", key_func=get_remote_address)
def feed(token: str):
    """The subscribed calendar, answering conditional requests: clients that poll every hour
    get 304 Not Modified until a workshop changes."""
    calendar_feed = calendar_feeds.feed_by_token(token)
    data = calendar_feeds.feed_ics(calendar_feed)
    response = _ics(data, "kepol.ics", attachment=False)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8; method=PUBLISH"
    response.set_etag(hashlib.sha256(data).hexdigest()[:40])
    response.last_modified = calendar_feeds.feed_last_modified(calendar_feed)
    response.cache_control.private = True  # the address is a secret: no shared caches
    response.cache_control.max_age = int(ical.FEED_TTL.total_seconds())
    return response.make_conditional(request)


# --- public pages for invitees -------------------------------------------------------------------


def _invitee_locale(invitation) -> str:
    """The invitee's language unless they switched it on the page."""
    if request.args.get("lang") in ("de", "en"):
        return request.args["lang"]
    if session.get("lang") in ("de", "en"):
        return session["lang"]
    contact = invitation.contact
    return mail_language(contact.language if contact else "de")


def _withdrawn(invitation):
    """A withdrawn invitation's link says only that: no title, time, place or calendar entry
    (410 Gone)."""
    with force_locale(_invitee_locale(invitation)):
        return render_template("workshops/withdrawn.html"), 410


@bp.route("/einladung/<token>", methods=["GET", "POST"])
@public
@limiter.shared_limit(public_limit, scope="public-token", key_func=get_remote_address)
def rsvp(token: str):
    invitation = services.invitation_by_token(token)
    if invitation.removed_at is not None:
        return _withdrawn(invitation)
    workshop = invitation.workshop
    form = RsvpForm()
    lang = _invitee_locale(invitation)
    if request.method == "GET":
        if invitation.response != Response.NEEDS_ACTION:
            form.response.data = invitation.response.value
        form.comment.data = invitation.comment
    elif form.validate_on_submit():
        try:
            batch = invites.respond(invitation, form.response.data, form.comment.data or "")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            _deliver(batch)
            with force_locale(lang):  # the page after the redirect speaks it too
                flash(_("Danke, Ihre Antwort ist gespeichert."), "success")
            return redirect(url_for("workshops.rsvp", token=token))
    contact = invitation.contact
    tz = contact.timezone if contact else workshop.timezone
    with force_locale(lang):
        return render_template(
            "workshops/rsvp.html",
            token=token,
            invitation=invitation,
            workshop=workshop,
            form=form,
            times=services.when(workshop, tz, lang),
            reader_tz=tz,
            position=invites.waitlist_position(invitation),
            closed=invites.closed_reason(invitation),
        )


@bp.route("/einladung/<token>/termin.ics")
@public
@limiter.shared_limit(public_limit, scope="public-token", key_func=get_remote_address)
def rsvp_ics(token: str):
    invitation = services.invitation_by_token(token)
    if invitation.removed_at is not None:
        return _withdrawn(invitation)
    return _ics(calendar_feeds.invitation_ics(invitation, token), "termin.ics")


@bp.route("/einladung/<token>/umfrage", methods=["GET", "POST"])
@public
@limiter.shared_limit(public_limit, scope="public-token", key_func=get_remote_address)
def vote(token: str):
    invitation = services.invitation_by_token(token)
    if invitation.removed_at is not None:
        return _withdrawn(invitation)
    workshop = invitation.workshop
    lang = _invitee_locale(invitation)
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        answers = {
            slot.id: request.form.get(f"slot-{slot.id}")
            for slot in workshop.slots
            if request.form.get(f"slot-{slot.id}")
        }
        try:
            polls.vote(invitation, answers)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            with force_locale(lang):
                flash(_("Danke, Ihre Auswahl ist gespeichert."), "success")
            return redirect(url_for("workshops.vote", token=token))
    contact = invitation.contact
    with force_locale(lang):
        return render_template(
            "workshops/vote.html",
            token=token,
            invitation=invitation,
            workshop=workshop,
            slots=polls.slots_for(invitation),
            reader_tz=contact.timezone if contact else workshop.timezone,
            answers=Answer,
            form=ConfirmForm(),
        )
