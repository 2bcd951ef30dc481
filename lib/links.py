"""Absolute links to the portal for what leaves it: e-mails, QR codes, calendar feeds."""

from django.conf import settings


def absolute_url(path: str) -> str:
    """``path`` (as returned by ``reverse``) on the portal's public address (PUBLIC_BASE_URL)."""
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}/{path.lstrip('/')}"
