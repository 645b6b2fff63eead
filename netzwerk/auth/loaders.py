"""Who is asking: Flask-Login's loaders (session cookie or Bearer token), the login requirement
for every view not marked @public, and the answer to an anonymous request."""

from __future__ import annotations

from flask import Flask, jsonify, redirect, request, session, url_for
from flask_login import current_user

from ..core.web import wants_json
from ..extensions import db, login_manager
from .models import User
from .services import SESSION_GENERATION, user_for_token


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    @login_manager.user_loader
    def load_user(user_id: str):
        if request.headers.get("Authorization", "").startswith("Bearer "):
            return None  # a token request is the token's user, whatever session cookie rides along
        user = db.session.get(User, int(user_id))
        if user is None or session.get(SESSION_GENERATION) != user.session_generation:
            return None  # logged out, password changed or ended elsewhere: a copied cookie too
        return user

    @login_manager.request_loader
    def load_user_from_request(req):
        header = req.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return user_for_token(header[7:])
        return None

    @login_manager.unauthorized_handler
    def unauthorized():
        if wants_json():
            return (
                jsonify(error="Anmeldung erforderlich (Sitzung oder Bearer-Token)."),
                401,
                {"WWW-Authenticate": 'Bearer realm="netzwerk"'},
            )
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    @app.before_request
    def require_login():
        if request.endpoint is None or request.endpoint == "static":
            return None
        view = app.view_functions.get(request.endpoint)
        if getattr(view, "is_public", False) or current_user.is_authenticated:
            return None
        return login_manager.unauthorized()
