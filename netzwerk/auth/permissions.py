"""Server-side role checks. Every view is login-protected unless marked @public."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user

from ..extensions import login_manager
from .models import Role


def public(view: Callable) -> Callable:
    """Mark a view as reachable without login (login page, RSVP links, calendar feeds)."""
    view.is_public = True
    return view


def role_required(role: Role) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(role):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_role = role
        return wrapped

    return decorator


editor_required = role_required(Role.EDITOR)
admin_required = role_required(Role.ADMIN)


def can_edit() -> bool:
    return current_user.is_authenticated and current_user.has_role(Role.EDITOR)


def is_admin() -> bool:
    return current_user.is_authenticated and current_user.has_role(Role.ADMIN)
