"""Login, logout, own profile, user and token administration."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..core.errors import DomainError
from ..core.forms import ConfirmForm
from ..extensions import db
from . import ratelimit, services
from .forms import LoginForm, ProfileForm, TokenForm, UserForm
from .models import ApiToken, User
from .permissions import admin_required, public

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only a path of this site: browsers drop tabs and line breaks and read "\\" as "/", so
    "/<tab>/evil.example" or "/\\evil.example" would lead to another host."""
    if (
        target
        and target.startswith("/")
        and target.isprintable()
        and not target.startswith(("//", "/\\"))
    ):
        return target
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm()
    if form.validate_on_submit():
        attempt = ratelimit.Attempt(form.username.data)  # counted before the password check
        if attempt.exceeded is not None:
            return ratelimit.refused(attempt.exceeded)
        try:
            user = services.login(form.username.data, form.password.data)
        except services.LoginFailed as exc:
            form.password.errors.append(exc.message)
        else:
            attempt.succeeded()
            login_user(user)
            session[services.SESSION_GENERATION] = user.session_generation
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    """Ends this session and every copy of its cookie (the user's generation goes up, which
    also ends their sessions on other devices)."""
    if current_user.is_authenticated:
        services.end_sessions(current_user, "logout")
    logout_user()
    flash(_("Sie sind abgemeldet."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/profil", methods=["GET", "POST"])
def profile():
    form = ProfileForm(obj=current_user)
    token_form = TokenForm()
    if form.validate_on_submit():
        try:
            services.update_user(
                current_user,
                display_name=form.display_name.data,
                email=form.email.data,
                locale=form.locale.data,
                timezone=form.timezone.data.strip(),
                password=form.password.data or None,
            )
        except DomainError as exc:
            db.session.rollback()
            getattr(form, exc.field or "password").errors.append(exc.message)
        else:
            session[services.SESSION_GENERATION] = current_user.session_generation  # stays
            session.pop("lang", None)
            flash(_("Profil gespeichert."), "success")
            return redirect(url_for("auth.profile"))
    return render_template(
        "auth/profile.html", form=form, token_form=token_form, confirm=ConfirmForm(), new_token=None
    )


@bp.route("/profil/sitzungen-beenden", methods=["POST"])
def end_other_sessions():
    """Log out everywhere else: every other browser (or copied cookie) of this user."""
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("auth.profile"))
    session[services.SESSION_GENERATION] = services.end_sessions(current_user, "elsewhere")
    flash(_("Alle anderen Sitzungen sind abgemeldet; diese bleibt angemeldet."), "success")
    return redirect(url_for("auth.profile"))


@bp.route("/profil/tokens", methods=["POST"])
def create_token():
    form = TokenForm()
    if not form.validate_on_submit():
        flash(_("Bitte geben Sie dem Token einen Namen."), "error")
        return redirect(url_for("auth.profile"))
    secret = services.create_token(current_user, form.name.data)
    return render_template(
        "auth/profile.html",
        form=ProfileForm(obj=current_user),
        token_form=TokenForm(formdata=None),
        confirm=ConfirmForm(),
        new_token=secret,
    )


@bp.route("/profil/tokens/<int:token_id>/widerrufen", methods=["POST"])
def revoke_token(token_id: int):
    ConfirmForm().validate_on_submit()
    token = db.get_or_404(ApiToken, token_id)
    if token.user_id != current_user.id and not current_user.has_role(services.Role.ADMIN):
        return render_template("error.html", code=403, message=_("Nicht Ihr Token.")), 403
    services.revoke_token(token)
    flash(_("Token widerrufen."), "success")
    return redirect(url_for("auth.profile"))


@bp.route("/admin/benutzer")
@admin_required
def users():
    rows = db.session.scalars(sa.select(User).order_by(User.username))
    return render_template("auth/users.html", users=rows)


@bp.route("/admin/benutzer/neu", methods=["GET", "POST"])
@admin_required
def new_user():
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                form.username.data,
                form.password.data or "",
                form.role.data,
                display_name=form.display_name.data or "",
                email=form.email.data or "",
            )
            if not form.active.data:
                services.update_user(user, active=False)
        except DomainError as exc:
            getattr(form, exc.field or "username").errors.append(exc.message)
        else:
            flash(_("Benutzer %(name)s angelegt.", name=user.username), "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=None)


@bp.route("/admin/benutzer/<int:user_id>", methods=["GET", "POST"])
@admin_required
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user)
    if request.method == "GET":
        form.role.data = user.role.value
    if form.validate_on_submit():
        if user.id == current_user.id and (form.role.data != "admin" or not form.active.data):
            form.role.errors.append(_("Sie können sich nicht selbst die Admin-Rolle entziehen."))
        else:
            try:
                services.update_user(
                    user,
                    role=form.role.data,
                    display_name=form.display_name.data or "",
                    email=form.email.data or "",
                    active=form.active.data,
                    password=form.password.data or None,
                )
            except DomainError as exc:
                getattr(form, exc.field or "username").errors.append(exc.message)
            else:
                if user.id == current_user.id:
                    session[services.SESSION_GENERATION] = user.session_generation
                flash(_("Benutzer %(name)s gespeichert.", name=user.username), "success")
                return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=user)
