"""HTTP responses for generated files: attachment, ASCII file name, never cached."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.http import Http404, HttpResponse
from django.utils.text import slugify

from .pdf import render_pdf
from .signing import sign_pdf


def ascii_filename(name: str, *, extension: str = "pdf") -> str:
    """« Relevé de notes 2400017.pdf » → « releve-de-notes-2400017.pdf » (quoting-safe)."""
    stem = name.removesuffix(f".{extension}")
    return f"{slugify(stem) or 'document'}.{extension}"


def pdf_response(data: bytes, filename: str) -> HttpResponse:
    """A PDF download: the browser saves it rather than rendering it inline in our origin."""
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{ascii_filename(filename)}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Length"] = str(len(data))
    return response


def available_or_404(availability: tuple[bool, Iterable[str]]) -> None:
    """A document not yet available (fees unpaid, grades unpublished…) is a 404 giving why."""
    available, reasons = availability
    if not available:
        raise Http404(" ".join(reasons))


def pdf_download(
    *,
    template: str,
    context: dict[str, Any],
    title: str,
    filename: str,
    issued_at: datetime | None = None,
    signature_reason: str | None = None,
) -> HttpResponse:
    """Render ``template`` to PDF and serve it as an attachment named after ``filename``.

    With ``signature_reason`` the PDF is signed (PAdES, invisible signature, ``lib.signing``)
    with the institution's certificate, the reason recorded in the signature.
    """
    data = render_pdf(template, context, title=title, issued_at=issued_at)
    if signature_reason is not None:
        data = sign_pdf(data, reason=signature_reason)
    return pdf_response(data, filename)
