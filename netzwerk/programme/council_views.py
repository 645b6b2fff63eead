"""The council document: a page to choose the version, the preview, DOCX and PDF."""

from __future__ import annotations

import io

from flask import render_template, request, send_file
from flask_babel import get_locale
from flask_babel import gettext as _

from ..core import documents
from . import council, drafts
from .views import bp


def _ref() -> str:
    return (request.args.get("entwurf") or "").strip()


@bp.route("/ratsvorlage")
def council_page():
    ref = _ref()
    lang = str(get_locale() or "de")
    return render_template(
        "programme/council.html",
        doc=council.document(ref or None, lang),
        drafts=drafts.drafts(),
        ref=ref,
    )


@bp.route("/ratsvorlage.<any(docx, pdf):fmt>")
def council_file(fmt: str):
    lang = str(get_locale() or "de")
    document = council.document(_ref() or None, lang)
    if fmt == "docx":
        data, mimetype = documents.docx(document), documents.DOCX_MIMETYPE
    else:
        data, mimetype = documents.pdf(document), documents.PDF_MIMETYPE
    name = _("handlungsprogramm") + f".{fmt}"
    return send_file(
        io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name, max_age=0
    )
