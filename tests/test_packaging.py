"""A built wheel runs on its own: templates, static files, migrations and the catalogues are
inside the package, and an installed app keeps its instance files out of the source tree."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import os, sys
import netzwerk
assert netzwerk.__file__.startswith(sys.argv[1]), netzwerk.__file__
from flask_migrate import upgrade
from netzwerk import create_app
app = create_app()
with app.app_context():
    upgrade()
client = app.test_client()
login = client.get("/login")
assert login.status_code == 200 and 'name="csrf_token"' in login.get_data(as_text=True)
assert client.get("/static/js/map.js").status_code == 200
assert "Sign in" in client.get("/login?lang=en").get_data(as_text=True)
print("instance:", app.instance_path)
"""


@pytest.mark.sqlite_only
def test_a_built_wheel_serves_pages_and_migrates(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
        + ["-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("netzwerk-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(site)
    for expected in (
        "netzwerk/templates/base.html",
        "netzwerk/static/js/map.js",
        "netzwerk/migrations/env.py",
        "netzwerk/migrations/alembic.ini",
        "netzwerk/translations/en/LC_MESSAGES/messages.po",
    ):
        assert expected in names, expected
    assert any(n.startswith("netzwerk/migrations/versions/") for n in names)
    instance = tmp_path / "instance"
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "NETZWERK_INSTANCE_PATH": str(instance),
        "NETZWERK_DATABASE_URL": f"sqlite:///{tmp_path / 'wheel.sqlite'}",
    }
    env.pop("NETZWERK_SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(site)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (instance / "secret_key").exists()  # generated where the instance lives


def test_tests_keep_instance_files_out_of_the_checkout(app):
    assert Path(app.instance_path).resolve() != (ROOT / "instance").resolve()
    assert not Path(app.instance_path).is_relative_to(ROOT)
