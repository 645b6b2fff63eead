"""Survey pages: the coordinator's list, form, recipients, sending with progress, the progress
page and the review queue; the respondents' public form behind their personal link."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _

from ..actors.services import categories
from ..actors.vocab import RelationKind, Sector
from ..auth.permissions import editor_required, public
from ..core.errors import DomainError
from ..core.forms import ConfirmForm
from ..core.views import confirm_delete, flash_not_sent, form_error, save_form
from ..core.web import rate_limit
from ..extensions import db, limiter
from ..topics.models import TopicRole
from ..topics.services import topics as all_topics
from . import analysis, answers, exports, sending, services
from . import review as decisions
from .forms import AnswerForm, DecisionForm, RecipientForm, SurveyForm
from .models import ProposalKind, ProposalStatus, Question

bp = Blueprint("surveys", __name__)


_public_limit = rate_limit("SURVEY_RATE_LIMIT")


# --- the coordinator's pages ---------------------------------------------------------------------


@bp.route("/befragungen/")
def index():
    rows = [
        {"survey": s, "progress": analysis.progress(s), "counts": decisions.counts(s)}
        for s in services.surveys()
    ]
    return render_template("surveys/index.html", rows=rows)


def _survey_form(survey=None) -> SurveyForm:
    form = SurveyForm(obj=survey)
    form.fill_choices(all_topics())
    if request.method == "GET":
        if survey is not None:
            form.topics.data = [t.id for t in survey.topics]
            form.questions.data = list(survey.questions)
            form.closes_on.data = services.closes_on(survey)
        else:
            form.questions.data = list(services.DEFAULT_QUESTIONS)
    return form


@bp.route("/befragungen/neu", methods=["GET", "POST"])
@editor_required
def new():
    form = _survey_form()
    return save_form(
        form,
        lambda: services.create_survey(form.values()),
        lambda s: _(
            "Befragung %(title)s angelegt. Wählen Sie jetzt, wen Sie fragen.", title=s.title
        ),
        lambda s: url_for("surveys.recipients", survey_id=s.id),
    ) or render_template("surveys/form.html", form=form, survey=None)


@bp.route("/befragungen/<int:survey_id>/bearbeiten", methods=["GET", "POST"])
@editor_required
def edit(survey_id: int):
    survey = services.get_survey(survey_id)
    form = _survey_form(survey)
    return save_form(
        form,
        lambda: services.update_survey(survey, form.values()),
        _("Gespeichert."),
        url_for("surveys.show", survey_id=survey.id),
    ) or render_template("surveys/form.html", form=form, survey=survey)


@bp.route("/befragungen/<int:survey_id>/loeschen", methods=["GET", "POST"])
@editor_required
def delete(survey_id: int):
    survey = services.get_survey(survey_id)
    return confirm_delete(
        _("Befragung %(title)s löschen", title=survey.title),
        lambda: services.delete_survey(survey),
        _("Befragung gelöscht."),
        url_for("surveys.index"),
        url_for("surveys.show", survey_id=survey.id),
        consequences=[
            _("Alle Antworten und offenen Vorschläge der Befragung werden gelöscht."),
            _("Schon übernommene Änderungen bleiben im Netzwerk."),
        ],
    )


@bp.route("/befragungen/<int:survey_id>")
def show(survey_id: int):
    """The progress page: response rate overall, per category and sector, the recipients."""
    survey = services.get_survey(survey_id)
    return render_template(
        "surveys/show.html",
        survey=survey,
        closes_on=services.closes_on(survey),
        progress=analysis.progress(survey),
        counts=decisions.counts(survey),
        rows=services.recipient_rows(survey),
        messages=sending.delivery_rows(survey),
        failed=len(sending.failed_ids(survey)),
        confirm=ConfirmForm(),
        questions=[q for q in Question if survey.asks(q)],
    )


@bp.route("/befragungen/<int:survey_id>/empfaenger")
def recipients(survey_id: int):
    survey = services.get_survey(survey_id)
    filters = {
        k: v for k in ("topic", "category", "sector", "unanswered") if (v := request.args.get(k))
    }
    try:
        candidates = services.recipient_candidates(survey, filters)
    except DomainError as exc:
        flash(exc.message, "error")
        candidates = services.recipient_candidates(survey)
        filters = {}
    form = RecipientForm()
    form.contact_ids.choices = [
        (row["contact"].id, f"{row['contact'].name} ({row['actor'].name})")
        for row in candidates
        if row["reason"] is None
    ]
    return render_template(
        "surveys/recipients.html",
        survey=survey,
        form=form,
        addable=[row for row in candidates if row["reason"] is None],
        blocked=[row for row in candidates if row["reason"]],
        filters=filters,
        topics=all_topics(),
        categories=categories(),
        sectors=Sector.choices(),
        chosen=services.recipient_rows(survey),
        confirm=ConfirmForm(),
    )


@bp.route("/befragungen/<int:survey_id>/empfaenger/neu", methods=["POST"])
@editor_required
def add_recipients(survey_id: int):
    survey = services.get_survey(survey_id)
    form = RecipientForm()
    ids = request.form.getlist("contact_ids", type=int)
    form.contact_ids.choices = [(i, str(i)) for i in ids]
    back = url_for("surveys.recipients", survey_id=survey.id, **request.args)
    if not form.validate_on_submit():
        flash(_("Bitte mindestens einen Kontakt auswählen."), "error")
        return redirect(back)
    try:
        added = services.add_recipients(survey, ids)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(_("%(n)s Empfänger*innen hinzugefügt.", n=len(added)), "success")
    return redirect(back)


@bp.route("/befragungen/<int:survey_id>/empfaenger/<int:recipient_id>/entfernen", methods=["POST"])
@editor_required
def remove_recipient(survey_id: int, recipient_id: int):
    survey = services.get_survey(survey_id)
    recipient = services.get_recipient(recipient_id, survey)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = recipient.name
    try:
        services.remove_recipient(recipient)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(_("%(name)s wird nicht befragt.", name=name), "success")
    return redirect(url_for("surveys.recipients", survey_id=survey.id))


# --- sending -------------------------------------------------------------------------------------


def _send(survey_id: int, queue) -> Response:
    survey = services.get_survey(survey_id)
    back = url_for("surveys.show", survey_id=survey.id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        batch, counts = queue(survey)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(back)
    flash_not_sent(counts["blocked"])
    if not counts["queued"]:
        flash(_("Alle Mails sind schon verschickt."), "info")
        return redirect(back)
    sending.deliver_in_background(batch)
    return redirect(url_for("surveys.delivery", survey_id=survey.id, batch=batch))


@bp.route("/befragungen/<int:survey_id>/senden", methods=["POST"])
@editor_required
def send(survey_id: int):
    return _send(survey_id, sending.send_survey)


@bp.route("/befragungen/<int:survey_id>/erinnern", methods=["POST"])
@editor_required
def remind(survey_id: int):
    return _send(survey_id, sending.remind)


@bp.route("/befragungen/<int:survey_id>/versand/wiederholen", methods=["POST"])
@editor_required
def retry(survey_id: int):
    survey = services.get_survey(survey_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    batch = sending.retry(survey)
    if batch is None:
        flash(_("Keine fehlgeschlagenen Mails."), "info")
        return redirect(url_for("surveys.show", survey_id=survey.id))
    sending.deliver_in_background(batch)
    return redirect(url_for("surveys.delivery", survey_id=survey.id, batch=batch))


def _batch_status(survey_id: int, batch: str) -> tuple:
    survey = services.get_survey(survey_id)
    status = sending.batch_status(survey, batch)
    if not status["total"]:
        abort(404)
    return survey, status


@bp.route("/befragungen/<int:survey_id>/versand/<batch>")
def delivery(survey_id: int, batch: str):
    survey, status = _batch_status(survey_id, batch)
    return render_template("surveys/delivery.html", survey=survey, status=status)


@bp.route("/befragungen/<int:survey_id>/versand/<batch>.json")
def delivery_status(survey_id: int, batch: str):
    return jsonify(_batch_status(survey_id, batch)[1])


# --- the review queue ----------------------------------------------------------------------------


@bp.route("/befragungen/<int:survey_id>/pruefen")
def review(survey_id: int):
    """The review queue of one kind (tabs), filtered, one page at a time."""
    survey = services.get_survey(survey_id)
    try:
        filters = decisions.parse_filters(request.args, survey)
    except DomainError as exc:
        flash(exc.message, "error")
        filters = decisions.parse_filters({}, survey)
    page = request.args.get("page", 1, type=int)
    data = decisions.queue_page(survey, filters, page)
    args = {k: v for k in ("kind", "status", "topic", "actor_id") if (v := request.args.get(k))}
    args["kind"] = filters.kind.value
    return render_template(
        "surveys/review.html",
        survey=survey,
        filters=filters,
        data=data,
        args=args,
        counts=decisions.counts(survey),
        kinds=list(ProposalKind),
        statuses=list(ProposalStatus),
        categories=categories(),
        relation_labels={k.value: k.label for k in RelationKind},
        role_labels={r.value: r.label for r in TopicRole},
        form=DecisionForm(),
        confirm=ConfirmForm(),
    )


@bp.route("/befragungen/<int:survey_id>/pruefen", methods=["POST"])
@editor_required
def decide_many(survey_id: int):
    """Accept or reject the ticked proposals (or all open ones of a kind)."""
    survey = services.get_survey(survey_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    kind = request.form.get("kind") or None
    everything = request.form.get("scope") == "all"
    ids = None if everything else request.form.getlist("ids")
    options = {"category": request.form.get("category") or None}
    back = url_for("surveys.review", survey_id=survey.id, kind=kind)
    try:
        outcome = decisions.decide_many(
            survey, request.form.get("action", ""), ids, kind=kind, options=options
        )
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(back)
    _flash_outcome(outcome)
    return redirect(back)


def _flash_outcome(outcome: decisions.Outcome) -> None:
    parts = []
    if outcome.accepted:
        parts.append(_("%(n)s angenommen", n=outcome.accepted))
    if outcome.merged:
        parts.append(_("%(n)s zusammengeführt", n=outcome.merged))
    if outcome.rejected:
        parts.append(_("%(n)s abgelehnt", n=outcome.rejected))
    if outcome.superseded:
        parts.append(_("%(n)s überholt", n=outcome.superseded))
    if outcome.reopened:
        parts.append(_("%(n)s wieder geöffnet", n=outcome.reopened))
    if parts:
        flash(", ".join(parts) + ".", "success")
    for item in outcome.skipped[:10]:
        flash(
            _("Vorschlag %(id)s übersprungen: %(error)s", id=item["id"], error=item["error"]),
            "error",
        )
    if len(outcome.skipped) > 10:
        flash(_("%(n)s weitere übersprungen.", n=len(outcome.skipped) - 10), "error")


ACTIONS = {
    "annehmen": "accept",
    "ablehnen": "reject",
    "zusammenfuehren": "merge",
    "wieder-oeffnen": "reopen",
}


@bp.route(
    "/befragungen/vorschlaege/<int:proposal_id>/"
    "<any(annehmen, ablehnen, zusammenfuehren, 'wieder-oeffnen'):action>",
    methods=["POST"],
)
@editor_required
def decide(proposal_id: int, action: str):
    proposal = services.get_proposal(proposal_id)
    form = DecisionForm()
    form.category.choices = [("", "")] + [(c.key, c.label) for c in categories()]
    back = request.form.get("next") or ""
    if not back.startswith("/befragungen/"):
        back = url_for("surveys.review", survey_id=proposal.survey_id, kind=proposal.kind.value)
    if not form.validate_on_submit():
        abort(400)
    try:
        if ACTIONS[action] == "accept":
            outcome = decisions.accept(
                proposal, {"category": form.category.data or None, "name": form.name.data}
            )
        elif ACTIONS[action] == "reject":
            outcome = decisions.reject(proposal, form.note.data or "")
        elif ACTIONS[action] == "reopen":
            outcome = decisions.reopen(proposal)
        else:
            outcome = decisions.merge(proposal, form.actor_id.data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(back)
    _flash_outcome(outcome)
    return redirect(back)


@bp.route("/befragungen/<int:survey_id>/antworten.<any(csv, xlsx):fmt>")
@editor_required
def export(survey_id: int, fmt: str):
    survey = services.get_survey(survey_id)
    result = exports.export_responses(survey, fmt, personal=request.args.get("personal") == "1")
    response = Response(result.data, mimetype=result.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    return response


@bp.route("/befragungen/<int:survey_id>/empfaenger.vcf")
@editor_required
def address_book(survey_id: int):
    """The recipients as one vCard file for Outlook or Thunderbird (a personal-data export)."""
    result = exports.export_address_book(services.get_survey(survey_id))
    response = Response(result.data, mimetype=result.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the respondents' pages ----------------------------------------------------------------------


def _respondent_locale(recipient) -> str:
    """The recipient's language unless they switched it on the page."""
    if request.args.get("lang") in ("de", "en"):
        return request.args["lang"]
    if session.get("lang") in ("de", "en"):
        return session["lang"]
    return recipient.language if recipient.language in ("de", "en") else "de"


def answer_data(form_data, survey) -> dict:
    """The posted form as the service reads it (answers.clean_answer)."""
    data: dict = {
        "record": {
            f: form_data.get(f"record_{f}", "")
            for f in answers.RECORD_FIELDS
            if f"record_{f}" in form_data
        },
        "record_confirmed": form_data.get("record_confirmed") in ("y", "on", "1", "true"),
        "consent_map": form_data.get("consent_map") in ("y", "on", "1", "true"),
        "comment": form_data.get("comment", ""),
        "partners": {},
        "roles": {},
        "nominations": [],
    }
    for topic in survey.topics:
        rows = []
        for n in range(answers.MAX_PARTNERS + 1):
            prefix = f"partners-{topic.id}-{n}"
            if f"{prefix}-name" not in form_data:
                continue
            rows.append(
                {
                    "name": form_data.get(f"{prefix}-name", ""),
                    "kind": form_data.get(f"{prefix}-kind", ""),
                    "strength": form_data.get(f"{prefix}-strength", ""),
                }
            )
        data["partners"][topic.id] = rows
        if f"roles-{topic.id}" in form_data:
            data["roles"][topic.id] = form_data.get(f"roles-{topic.id}", "")
    for n in range(answers.MAX_NOMINATIONS + 1):
        prefix = f"nominations-{n}"
        if f"{prefix}-name" not in form_data:
            continue
        data["nominations"].append(
            {
                "name": form_data.get(f"{prefix}-name", ""),
                "topic_id": form_data.get(f"{prefix}-topic_id", ""),
                "category": form_data.get(f"{prefix}-category", ""),
                "reason": form_data.get(f"{prefix}-reason", ""),
            }
        )
    return data


EMPTY_PARTNER_ROWS = 3
EMPTY_NOMINATION_ROWS = 2


@bp.route("/befragung/<token>", methods=["GET", "POST"])
@public
@limiter.limit(_public_limit, scope="survey-form")
def respond(token: str):
    recipient = answers.recipient_by_token(token)
    survey = recipient.survey
    lang = _respondent_locale(recipient)
    form = AnswerForm()
    error = None
    state = answers.form_state(recipient)
    if request.method == "POST":
        posted = answer_data(request.form, survey)
        if form.validate_on_submit():
            try:
                answers.save_answer(recipient, posted)
            except DomainError as exc:
                db.session.rollback()
                error = exc
            else:
                with force_locale(lang):
                    flash(
                        _(
                            "Danke! Ihre Antwort ist gespeichert. Sie können sie bis zum Ende "
                            "der Befragung ändern."
                        ),
                        "success",
                    )
                return redirect(url_for("surveys.respond", token=token))
        # show what was typed, not what is stored
        state = {**state, **_posted_state(posted, survey)}
    else:
        for f in answers.RECORD_FIELDS:
            getattr(form, f"record_{f}").data = state["record"].get(f) or ""
        form.record_confirmed.data = state["record_confirmed"]
        form.comment.data = state["comment"]
        form.consent_map.data = state["consent_map"]
    with force_locale(lang):
        if error is not None and (error.field or "").startswith("record-"):
            form_error(form, _record_field_error(error))
        return render_template(
            "surveys/respond.html",
            token=token,
            recipient=recipient,
            survey=survey,
            closed=survey.is_closed,
            closes_on=services.closes_on(survey),
            form=form,
            state=state,
            error=error,
            empty_partner_rows=EMPTY_PARTNER_ROWS,
            empty_nomination_rows=EMPTY_NOMINATION_ROWS,
            kinds=RelationKind.choices(),
            roles=TopicRole.choices(),
            categories=categories(),
            Question=Question,
            lang=lang,
        ), (400 if error is not None else 200)


def _record_field_error(error: DomainError) -> DomainError:
    """record-name (the service's field) is the form's record_name."""
    return DomainError(error.message, field=error.field.replace("record-", "record_"))


def _posted_state(posted: dict, survey) -> dict:
    return {
        "partners": {
            topic_id: [r for r in rows if (r.get("name") or "").strip()]
            for topic_id, rows in posted["partners"].items()
        },
        "roles": posted["roles"],
        "nominations": [r for r in posted["nominations"] if (r.get("name") or "").strip()],
    }


@bp.route("/befragung/<token>/organisationen")
@public
@limiter.limit(_public_limit, scope="survey-names")
def organisation_names(token: str):
    """The partner autocomplete: at most 20 organisation names, only with a valid link."""
    recipient = answers.recipient_by_token(token)
    if recipient.survey.is_closed:
        return jsonify(error=_("Die Befragung ist beendet.")), 403
    return jsonify(items=answers.organisation_names(recipient, request.args.get("q", "")))
