"""QR codes of certificates (segno, a maintained pure-Python library), as inline SVG."""

import segno
from django.urls import reverse

from lib.links import absolute_url


def verification_url(code: str) -> str:
    """The public address printed on a certificate: ``{PUBLIC_BASE_URL}/verifier/<code>``."""
    path = reverse("certification:verify", kwargs={"code": code})
    return absolute_url(path)


def qr_svg(data: str) -> str:
    """An ``<svg>`` element (no XML declaration) to inline in HTML or a PDF template."""
    qr = segno.make(data, error="m", micro=False)
    return qr.svg_inline(
        scale=1, border=2, dark="#000000", light="#ffffff", omitsize=True, svgclass="qr"
    )
