"""Users, roles, API tokens, login views and permission decorators."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import cli, ldap, loaders, ratelimit, views
    from .permissions import can_edit, is_admin

    directory = ldap.LdapSettings.from_config(app.config)  # a wrong NETZWERK_LDAP_GROUPS: here
    if directory is not None and not directory.groups:
        app.logger.warning(
            "NETZWERK_LDAP_URL is set but NETZWERK_LDAP_GROUPS maps no group to a role: "
            "nobody from the directory can log in"
        )
    app.cli.add_command(cli.ldap_group)
    loaders.init_app(app)
    app.register_blueprint(views.bp)
    ratelimit.init_app(app)  # after the blueprint: it limits the login view
    app.context_processor(lambda: {"can_edit": can_edit, "is_admin": is_admin})
