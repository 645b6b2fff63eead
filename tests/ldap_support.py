"""A real OpenLDAP server for the directory-login tests: slapd from Debian's `slapd` package on
free loopback ports (ldap:// with StartTLS and ldaps://), a throwaway slapd.conf, a test CA and
server certificate made here with `cryptography`, users and groups loaded with `ldapadd`.

The directory looks like a town hall's: people under ou=people with an Active-Directory-style
sAMAccountName and userAccountControl (a tiny schema of our own with the AD attribute OIDs),
groups under ou=groups (groupOfNames; the memberof overlay gives each person memberOf), and a
read-only service account under ou=services.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

SLAPD = shutil.which("slapd") or ("/usr/sbin/slapd" if Path("/usr/sbin/slapd").exists() else None)
LDAPADD = shutil.which("ldapadd")
SUFFIX = "dc=aachen,dc=example"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "root-secret-ldap"  # noqa: S105 - a throwaway test directory
SERVICE_DN = f"cn=netzwerk,ou=services,{SUFFIX}"
SERVICE_PASSWORD = "dienst-geheim-42"  # noqa: S105
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
ADMINS = f"cn=netzwerk-admins,{GROUPS}"
EDITORS = f"cn=netzwerk-redaktion,{GROUPS}"
VIEWERS = f"cn=netzwerk-lesen,{GROUPS}"
CANTEEN = f"cn=kantine,{GROUPS}"
GROUP_MAP = f"{ADMINS}=admin; {EDITORS}=editor;{VIEWERS}=viewer"

# username → (display name, e-mail, password, groups, userAccountControl)
PEOPLE_DATA = {
    "anna.schmidt": (
        "Anna Schmidt",
        "anna.schmidt@aachen.example",
        "Anna-Passwort-1",
        [EDITORS],
        512,
    ),
    "bernd.kaya": (
        "Bernd Kaya",
        "bernd.kaya@aachen.example",
        "Bernd-Passwort-2",
        [ADMINS, VIEWERS],
        512,
    ),
    "clara.wolf": ("Clara Wolf", "clara.wolf@aachen.example", "Clara-Passwort-3", [CANTEEN], 512),
    "dora.lang": ("Dora Lang", "dora.lang@aachen.example", "Dora-Passwort-4", [VIEWERS], 514),
    "emil.ng": ("Emil Ng", "emil.ng@aachen.example", "Emil-Passwort-5", [VIEWERS], 512),
    "admin": ("Falscher Admin", "admin@aachen.example", "Admin-aus-LDAP-6", [ADMINS], 512),
}

SCHEMA = """
attributetype ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName'
    EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl'
    EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.4203.666.11.99.1 NAME 'netzwerkTestAccount'
    SUP top AUXILIARY MAY ( sAMAccountName $ userAccountControl ) )
"""

CONFIG = """
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include {dir}/test.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile {dir}/slapd.pid
argsfile {dir}/slapd.args
TLSCACertificateFile {dir}/ca.pem
TLSCertificateFile {dir}/server.pem
TLSCertificateKeyFile {dir}/server.key

database mdb
maxsize 33554432
suffix "{suffix}"
rootdn "{root_dn}"
rootpw {root_password}
directory {dir}/data
overlay memberof
access to attrs=userPassword
    by self read
    by anonymous auth
    by * none
access to *
    by dn.exact="{service_dn}" read
    by users read
    by * none
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"slapd stopped:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("slapd did not open its port within 15 s")


def make_certificates(directory: Path) -> None:
    """A test CA and a server certificate for localhost / 127.0.0.1 signed by it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Stadt Aachen Test-CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (directory / "ca.pem").write_bytes(ca.public_bytes(pem))
    (directory / "server.pem").write_bytes(cert.public_bytes(pem))
    (directory / "server.key").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    # a second CA that signed nothing here: "the wrong CA file"
    other = ec.generate_private_key(ec.SECP256R1())
    other_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Fremde CA")])
    other_ca = (
        x509.CertificateBuilder()
        .subject_name(other_name)
        .issuer_name(other_name)
        .public_key(other.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(other, hashes.SHA256())
    )
    (directory / "other-ca.pem").write_bytes(other_ca.public_bytes(pem))


def base_ldif() -> str:
    entries = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: aachen\n"
        "o: Stadt Aachen (Test)\n",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n",
        f"dn: ou=services,{SUFFIX}\nobjectClass: organizationalUnit\nou: services\n",
        f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: netzwerk\nuserPassword: {SERVICE_PASSWORD}\n",
    ]
    for username, (name, mail, password, _groups, control) in PEOPLE_DATA.items():
        given, _, family = name.partition(" ")
        entries.append(
            f"dn: uid={username},{PEOPLE}\nobjectClass: inetOrgPerson\n"
            f"objectClass: netzwerkTestAccount\nuid: {username}\nsAMAccountName: {username}\n"
            f"cn: {name}\ngivenName: {given}\nsn: {family}\ndisplayName: {name}\n"
            f"mail: {mail}\nuserPassword: {password}\nuserAccountControl: {control}\n"
        )
    members: dict[str, list[str]] = {g: [] for g in (ADMINS, EDITORS, VIEWERS, CANTEEN)}
    for username, (*_, groups, _control) in PEOPLE_DATA.items():
        for group in groups:
            members[group].append(f"uid={username},{PEOPLE}")
    for group, dns in members.items():
        cn = group.split(",")[0].split("=")[1]
        lines = "".join(f"member: {dn}\n" for dn in dns)
        entries.append(f"dn: {group}\nobjectClass: groupOfNames\ncn: {cn}\n{lines}")
    return "\n".join(entries)


@dataclass
class LdapServer:
    directory: Path
    port: int
    tls_port: int
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://127.0.0.1:{self.tls_port}"

    @property
    def ca_file(self) -> str:
        return str(self.directory / "ca.pem")

    @property
    def other_ca_file(self) -> str:
        return str(self.directory / "other-ca.pem")

    def modify(self, ldif: str) -> None:
        """Change the directory as its administrators would (ldapmodify as the root DN)."""
        subprocess.run(
            [
                shutil.which("ldapmodify") or "ldapmodify",
                "-x",
                "-H",
                self.url,
                "-D",
                ROOT_DN,
                "-w",
                ROOT_PASSWORD,
            ],
            input=ldif.encode(),
            check=True,
            capture_output=True,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_slapd(directory: Path) -> LdapServer:
    if not SLAPD or not LDAPADD:
        message = "OpenLDAP is missing (apt-get install -y slapd ldap-utils)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: .ci/run must install it")
        pytest.skip(f"LDAP TESTS SKIPPED: {message}")
    (directory / "data").mkdir(parents=True)
    (directory / "test.schema").write_text(SCHEMA)
    make_certificates(directory)
    (directory / "slapd.conf").write_text(
        CONFIG.format(
            dir=directory,
            suffix=SUFFIX,
            root_dn=ROOT_DN,
            root_password=ROOT_PASSWORD,
            service_dn=SERVICE_DN,
        )
    )
    port, tls_port = _free_port(), _free_port()
    log = directory / "slapd.log"
    process = subprocess.Popen(
        [
            SLAPD,
            "-f",
            str(directory / "slapd.conf"),
            "-h",
            f"ldap://127.0.0.1:{port}/ ldaps://127.0.0.1:{tls_port}/",
            "-d",
            "0",
        ],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = LdapServer(directory, port, tls_port, process)
    try:
        _wait_for(port, process, log)
        _wait_for(tls_port, process, log)
        subprocess.run(
            [LDAPADD, "-x", "-H", server.url, "-D", ROOT_DN, "-w", ROOT_PASSWORD],
            input=base_ldif().encode(),
            check=True,
            capture_output=True,
        )
    except BaseException:
        server.stop()
        raise
    return server
