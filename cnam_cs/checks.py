"""Deployment checks of the portal's own settings (``manage.py check --deploy``)."""

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.http.request import validate_host

_WHY = "links in e-mails, certificates' QR codes and calendar feeds"


def public_base_url_check(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    """PUBLIC_BASE_URL must be the portal's https address, served by this deployment."""
    url = settings.PUBLIC_BASE_URL
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        problem = f"is not an absolute address ({url!r})" if url else "is not set"
        return [
            Error(
                f"DJANGO_PUBLIC_BASE_URL {problem}: {_WHY} would be broken.",
                hint="Set DJANGO_PUBLIC_BASE_URL to the portal's address, e.g. "
                "https://cs.cnam.fr (docs/deploy.md).",
                id="cnam_cs.E001",
            )
        ]
    messages: list[CheckMessage] = []
    if parts.scheme != "https":
        messages.append(
            Warning(
                f"PUBLIC_BASE_URL is not https ({url}): {_WHY} would send people to an "
                "unencrypted address, and a printed QR code cannot be changed later.",
                hint="Set DJANGO_PUBLIC_BASE_URL to the https address of the portal.",
                id="cnam_cs.W001",
            )
        )
    if not validate_host(parts.hostname, settings.ALLOWED_HOSTS):
        messages.append(
            Warning(
                f"The host of PUBLIC_BASE_URL ({parts.hostname}) is not in ALLOWED_HOSTS: "
                f"{_WHY} would answer 400.",
                hint="Add it to DJANGO_ALLOWED_HOSTS, or correct DJANGO_PUBLIC_BASE_URL.",
                id="cnam_cs.W002",
            )
        )
    return messages


def signing_key_check(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    """The key that signs certificates, attestations and relevés opens, is valid today, and
    is not the demo one in production (lib.signing.key_problems says what is wrong)."""
    # Imported here, not above: this module is imported by every process as Django starts,
    # and lib.signing brings pyHanko, aiohttp and fontTools (0.6 s), which a process that runs
    # no checks (export_results, a test's subprocess) never uses.
    from lib.signing import key_problems

    return [
        Error(
            problem,
            hint="Configurez DJANGO_SIGNING_PKCS12 et sa phrase de passe (docs/deploy.md, "
            "« Signature des documents »).",
            id="cnam_cs.E002",
        )
        for problem in key_problems(production=not settings.DEBUG)
    ]
