"""Login against the administration's directory (LDAP, Active Directory) with ldap3.

Configured by NETZWERK_LDAP_* (see config.py and docs/deployment.md). Two ways to find a person:
with a service account (NETZWERK_LDAP_BIND_DN/PASSWORD) the user is searched under
NETZWERK_LDAP_USER_BASE with NETZWERK_LDAP_USER_FILTER and then bound with their own password;
with NETZWERK_LDAP_USER_DN_TEMPLATE ("uid={username},ou=people,…" or "{username}@stadt.de" for
Active Directory) the user binds directly and reads their own entry. Roles come from groups:
NETZWERK_LDAP_GROUPS maps group DNs to viewer/editor/admin (the highest wins), taken from the
user's memberOf attribute or, with NETZWERK_LDAP_GROUP_BASE set, from a group search.

This module knows only the directory; creating and updating the local user is auth.services'.
Passwords are never stored or logged, and an empty password is refused before any bind (an
LDAP bind with a DN and no password is an anonymous bind that "succeeds").
"""

from __future__ import annotations

import logging
import math
import re
import ssl
from dataclasses import dataclass, field

from flask import current_app

from .models import Role

log = logging.getLogger(__name__)

# Active Directory: userAccountControl bit ACCOUNTDISABLE
AD_ACCOUNT_DISABLED = 0x2


class DirectoryError(Exception):
    """A login the directory did not allow; `reason` tells the caller which case it was."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail


UNAVAILABLE = "unavailable"  # no connection, TLS failed, service account refused
WRONG_PASSWORD = "wrong-password"  # noqa: S105 - a reason, not a secret: the password does not fit
NOT_FOUND = "not-found"  # the service account finds nobody with this name
DISABLED = "disabled"  # the directory marks the account as disabled
NO_GROUP = "no-group"  # the password fits but no group maps to a role


@dataclass
class DirectoryUser:
    username: str
    dn: str
    name: str = ""
    email: str = ""
    groups: list[str] = field(default_factory=list)
    disabled: bool = False
    role: Role | None = None


@dataclass
class LdapSettings:
    urls: list[str]
    bind_dn: str = ""
    bind_password: str = ""
    user_dn_template: str = ""
    user_base: str = ""
    user_filter: str = "(uid={username})"
    starttls: bool = False
    ca_file: str = ""
    groups: dict[str, Role] = field(default_factory=dict)
    group_base: str = ""
    group_filter: str = "(|(member={dn})(uniqueMember={dn}))"
    name_attribute: str = "displayName"
    email_attribute: str = "mail"
    group_attribute: str = "memberOf"
    timeout: float = 5.0

    @classmethod
    def from_config(cls, config) -> LdapSettings | None:
        """None when no directory is configured (local accounts only)."""
        urls = (config.get("LDAP_URL") or "").replace(",", " ").split()
        if not urls:
            return None
        return cls(
            urls=urls,
            bind_dn=config.get("LDAP_BIND_DN") or "",
            bind_password=config.get("LDAP_BIND_PASSWORD") or "",
            user_dn_template=config.get("LDAP_USER_DN_TEMPLATE") or "",
            user_base=config.get("LDAP_USER_BASE") or "",
            user_filter=config.get("LDAP_USER_FILTER") or cls.user_filter,
            starttls=bool(config.get("LDAP_STARTTLS")),
            ca_file=config.get("LDAP_CA_FILE") or "",
            groups=parse_group_map(config.get("LDAP_GROUPS") or ""),
            group_base=config.get("LDAP_GROUP_BASE") or "",
            group_filter=config.get("LDAP_GROUP_FILTER") or cls.group_filter,
            name_attribute=config.get("LDAP_NAME_ATTRIBUTE") or cls.name_attribute,
            email_attribute=config.get("LDAP_EMAIL_ATTRIBUTE") or cls.email_attribute,
            group_attribute=config.get("LDAP_GROUP_ATTRIBUTE") or cls.group_attribute,
            timeout=float(config.get("LDAP_TIMEOUT") or cls.timeout),
        )


def settings() -> LdapSettings | None:
    return LdapSettings.from_config(current_app.config)


def normalise_dn(dn: str) -> str:
    """Compare DNs as the directory does: case and blanks around "," and "=" do not count."""
    parts = re.split(r"(?<!\\),", dn.strip())
    rdns = []
    for part in parts:
        attribute, _, value = part.partition("=")
        rdns.append(f"{attribute.strip().casefold()}={value.strip().casefold()}")
    return ",".join(rdns)


def parse_group_map(text: str) -> dict[str, Role]:
    """ "cn=netzwerk-admins,ou=groups,dc=…=admin;cn=…=editor" → {normalised DN: Role}.

    The role is what follows the last "=" of each entry (a DN has "=" of its own); entries are
    separated by ";" or line breaks. An unknown role is a configuration error, said at once."""
    groups: dict[str, Role] = {}
    for entry in text.replace("\n", ";").split(";"):
        entry = entry.strip()
        if not entry:
            continue
        dn, _, role_name = entry.rpartition("=")
        role = Role.parse(role_name.strip())
        if not dn.strip() or role is None:
            raise ValueError(
                f"NETZWERK_LDAP_GROUPS: '{entry}' is not 'group DN=viewer|editor|admin'"
            )
        groups[normalise_dn(dn)] = role
    return groups


def role_for(groups: list[str], mapping: dict[str, Role]) -> Role | None:
    roles = [mapping[g] for g in map(normalise_dn, groups) if g in mapping]
    return max(roles, key=lambda r: r.rank) if roles else None


def _disabled(attributes: dict) -> bool:
    """Active Directory's userAccountControl with the ACCOUNTDISABLE bit."""
    control = attributes.get("userAccountControl")
    if isinstance(control, list):
        control = control[0] if control else None
    try:
        return bool(int(control or 0) & AD_ACCOUNT_DISABLED)
    except (TypeError, ValueError):
        return False


# --- talking to the directory ---------------------------------------------------------------


class Directory:
    def __init__(self, config: LdapSettings):
        self.config = config

    def _server(self):
        from ldap3 import NONE, Server, ServerPool, Tls

        tls = None
        if self.config.starttls or any(u.lower().startswith("ldaps://") for u in self.config.urls):
            tls = Tls(
                validate=ssl.CERT_REQUIRED,
                ca_certs_file=self.config.ca_file or None,
                version=ssl.PROTOCOL_TLS_CLIENT,
            )
        servers = [
            Server(
                url,
                use_ssl=url.lower().startswith("ldaps://"),
                tls=tls,
                get_info=NONE,
                connect_timeout=self.config.timeout,
            )
            for url in self.config.urls
        ]
        if len(servers) == 1:
            return servers[0]
        return ServerPool(servers, "FIRST", active=1, exhaust=True)

    def _connect(self, user: str | None, password: str | None):
        """An open, bound connection; DirectoryError(UNAVAILABLE) when the server cannot be
        reached or TLS fails; returns None when the server refuses these credentials."""
        from ldap3 import Connection
        from ldap3.core.exceptions import LDAPException

        try:
            connection = Connection(
                self._server(),
                user=user,
                password=password,
                auto_bind="NONE",
                receive_timeout=max(1, math.ceil(self.config.timeout)),  # ldap3 packs an int
                raise_exceptions=False,
                read_only=True,
            )
            connection.open()
            if self.config.starttls and not connection.start_tls():
                raise DirectoryError(UNAVAILABLE, f"StartTLS refused: {connection.result}")
            if not connection.bind():
                if connection.result.get("result") == 49:  # invalidCredentials
                    connection.unbind()
                    return None
                raise DirectoryError(UNAVAILABLE, f"bind failed: {connection.result}")
            return connection
        except DirectoryError:
            raise
        except LDAPException as exc:
            raise DirectoryError(UNAVAILABLE, f"{type(exc).__name__}: {exc}") from exc
        except (OSError, ssl.SSLError) as exc:
            raise DirectoryError(UNAVAILABLE, f"{type(exc).__name__}: {exc}") from exc

    def _service_connection(self):
        if not self.config.bind_dn and self.config.user_dn_template:
            return None
        connection = self._connect(self.config.bind_dn or None, self.config.bind_password or None)
        if connection is None:
            raise DirectoryError(
                UNAVAILABLE, "the service account (NETZWERK_LDAP_BIND_DN) was refused"
            )
        return connection

    def _attributes(self) -> list[str]:
        names = [self.config.name_attribute, self.config.email_attribute, "userAccountControl"]
        if not self.config.group_base:
            names.append(self.config.group_attribute)
        return names

    def _find(self, connection, username: str) -> tuple[str, dict] | None:
        from ldap3 import BASE, SUBTREE
        from ldap3.utils.conv import escape_filter_chars

        query = self.config.user_filter.format(username=escape_filter_chars(username))
        if self.config.user_base:
            base, scope = self.config.user_base, SUBTREE
        else:  # direct bind with a DN template and no search base: the entry itself
            base, scope = self._user_dn(username), BASE
            query = "(objectClass=*)"
        ok = connection.search(base, query, scope, attributes=self._attributes(), size_limit=2)
        if not ok and connection.result.get("result") not in (0, 4, 32):  # 32: noSuchObject
            raise DirectoryError(UNAVAILABLE, f"search failed: {connection.result}")
        entries = [e for e in connection.response or [] if e.get("type") == "searchResEntry"]
        if len(entries) != 1:
            if len(entries) > 1:
                log.warning("LDAP: %d entries match %r; refusing the login", len(entries), query)
            return None
        return entries[0]["dn"], entries[0].get("attributes", {})

    def _user_dn(self, username: str) -> str:
        from ldap3.utils.dn import escape_rdn

        template = self.config.user_dn_template
        # inside a DN the name is an RDN value and must be escaped; a UPN (name@domain) not
        value = escape_rdn(username) if "=" in template else username
        return template.format(username=value)

    def _groups(self, connection, username: str, dn: str, attributes: dict) -> list[str]:
        from ldap3 import SUBTREE
        from ldap3.utils.conv import escape_filter_chars

        if not self.config.group_base:
            values = attributes.get(self.config.group_attribute) or []
            return [values] if isinstance(values, str) else list(values)
        query = self.config.group_filter.format(
            dn=escape_filter_chars(dn), username=escape_filter_chars(username)
        )
        connection.search(self.config.group_base, query, SUBTREE, attributes=[])
        return [e["dn"] for e in connection.response or [] if e.get("type") == "searchResEntry"]

    def _user(self, username: str, dn: str, attributes: dict, groups: list[str]) -> DirectoryUser:
        def first(name: str) -> str:
            value = attributes.get(name)
            if isinstance(value, list):
                value = value[0] if value else ""
            return str(value or "").strip()

        return DirectoryUser(
            username=username,
            dn=dn,
            name=first(self.config.name_attribute),
            email=first(self.config.email_attribute),
            groups=groups,
            disabled=_disabled(attributes),
            role=role_for(groups, self.config.groups),
        )

    def authenticate(self, username: str, password: str) -> DirectoryUser:
        """The person's directory entry with their role, once the directory accepted the
        password; DirectoryError otherwise."""
        if not username or not password:
            raise DirectoryError(WRONG_PASSWORD, "empty name or password")
        service = self._service_connection()
        try:
            if service is not None:
                found = self._find(service, username)
                if found is None:
                    raise DirectoryError(NOT_FOUND, "no such user")
                dn, attributes = found
                if _disabled(attributes):
                    raise DirectoryError(DISABLED, "account disabled")
                own = self._connect(dn, password)
                if own is None:
                    raise DirectoryError(WRONG_PASSWORD, "password refused")
                own.unbind()
                groups = self._groups(service, username, dn, attributes)
            else:
                own = self._connect(self._user_dn(username), password)
                if own is None:
                    raise DirectoryError(WRONG_PASSWORD, "password refused")
                try:
                    found = self._find(own, username)
                    if found is None:
                        raise DirectoryError(WRONG_PASSWORD, "own entry not readable")
                    dn, attributes = found
                    groups = self._groups(own, username, dn, attributes)
                finally:
                    own.unbind()
        finally:
            if service is not None:
                service.unbind()
        user = self._user(username, dn, attributes, groups)
        if user.disabled:
            raise DirectoryError(DISABLED, "account disabled")
        if user.role is None:
            raise DirectoryError(NO_GROUP, "in no mapped group")
        return user

    def lookup(self, username: str) -> DirectoryUser | None:
        """The entry as the service account sees it (for `flask ldap sync`), None if gone."""
        service = self._service_connection()
        if service is None:
            raise DirectoryError(
                UNAVAILABLE, "needs a service account (NETZWERK_LDAP_BIND_DN) or anonymous search"
            )
        try:
            found = self._find(service, username)
            if found is None:
                return None
            dn, attributes = found
            return self._user(
                username, dn, attributes, self._groups(service, username, dn, attributes)
            )
        finally:
            service.unbind()
