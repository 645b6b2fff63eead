"""LibreOffice (headless, from apt) opens the council document's DOCX and converts it to PDF
with the expected headings and tables: what the city's office software will see."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.test_programme_council import SECTIONS, demo  # noqa: F401 - a fixture

pytestmark = pytest.mark.usefixtures("fast_passwords")


def libreoffice() -> str:
    for name in ("libreoffice", "soffice"):
        if path := shutil.which(name):
            return path
    message = "libreoffice is missing"
    if os.environ.get("CI"):
        pytest.fail(f"{message} on CI: .ci/run must install libreoffice-writer-nogui")
    pytest.skip(f"LIBREOFFICE TEST SKIPPED: {message} (apt-get install libreoffice-writer-nogui)")


def test_libreoffice_converts_the_docx_with_headings_and_tables(app, demo, login, tmp_path):  # noqa: F811
    office = libreoffice()
    if shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext is missing on CI: .ci/run must install poppler-utils")
        pytest.skip("LIBREOFFICE TEST SKIPPED: pdftotext missing (apt-get install poppler-utils)")
    source = tmp_path / "handlungsprogramm.docx"
    source.write_bytes(login("viewer").get("/programm/ratsvorlage.docx").data)
    profile = tmp_path / "profile"  # a fresh user profile: no state from other runs
    done = subprocess.run(
        [
            office,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    converted = tmp_path / "handlungsprogramm.pdf"
    assert done.returncode == 0 and converted.exists(), done.stdout + done.stderr
    text = subprocess.run(
        ["pdftotext", "-layout", str(converted), "-"], capture_output=True, check=True, text=True
    ).stdout
    for heading in ("Entwicklungspolitisches", *SECTIONS):
        assert heading in text, heading
    # the tables came through as tables: header cells on one line, rows with their cells
    lines = text.splitlines()
    assert any("Nr." in line and "Maßnahme und Beteiligte" in line for line in lines)
    assert any(
        "Handlungsfeld" in line and "Ziele" in line and "Maßnahmen" in line for line in lines
    )
    row = next(line for line in lines if "Fairer und regionaler Kaffee" in line)
    assert "1.1" in row or "1.1" in lines[lines.index(row) - 1]
    assert any("Datum" in line and "Workshop" in line and "Teilnahmen" in line for line in lines)
    assert "Förderverein Aachen-Kapstadt e.V." in text
