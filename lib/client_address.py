"""The address a request comes from, as the throttles and the sign-in lockout count it."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or behind our TLS proxy the last X-Forwarded-For entry.

    Behind the proxy REMOTE_ADDR is the proxy itself, so every client would share one counter
    (one attacker could lock an account for everyone). The proxy *appends* the address it saw:
    only that last entry is trusted, never the ones a client wrote before it.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    if getattr(settings, "BEHIND_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = _valid(forwarded.rsplit(",", 1)[-1]) if forwarded else None
        if last is not None:
            return last
    return _valid(remote) or remote
