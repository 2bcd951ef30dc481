"""QR codes of certificates (segno, a maintained pure-Python library): inline SVG for web
pages, a tiny PNG for the PDF.

In a PDF the code is a PNG of one pixel per module (about 300 bytes) drawn with
``image-rendering: pixelated``: the viewer or printer scales it without interpolation, so
the edges stay sharp at any size, and WeasyPrint places one image instead of drawing an SVG
path node by node (``bench/certificates.py`` measures both).
"""

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


def qr_png_data_uri(data: str) -> str:
    """A ``data:image/png`` URI of the code, one pixel per module, quiet zone of 2 modules."""
    qr = segno.make(data, error="m", micro=False)
    return str(qr.png_data_uri(scale=1, border=2, dark="#000000", light="#ffffff"))
