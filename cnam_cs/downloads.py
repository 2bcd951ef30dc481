"""HTTP responses for generated files: attachment, ASCII file name, never cached."""

from django.http import HttpResponse
from django.utils.text import slugify


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
