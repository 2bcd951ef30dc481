"""The one module that imports WeasyPrint: HTML templates to PDF/A-3a bytes (tagged).

Resources are served only from the project's bundled static files: no ``file:`` URL, no
network, no ``..`` (SECURITY.md #9: WeasyPrint's default fetcher would embed any local file).
One ``FontConfiguration`` is shared by every render: a new one per render leaks memory in a
long-lived process (measured about 0.3 MB a render) and is slower. The shared stylesheet
(``static/css/pdf.css`` and its three ``@font-face`` fonts) is parsed once per process and the
fetcher built once (each ``URLFetcher`` builds a TLS context: 40 ms): a certificate's render
is then mostly layout (``bench/certificates.py`` prints the figures).

Where a certificate's CPU goes (issue 11, ``bench/pdf_phases.py``; 2 cores, load average 5,
median 125 ms): layout 36 %, draw 17 %, style cascade 17 % (of which parsing the template's
inline ``<style>``, which WeasyPrint redoes on every render, 5 %), box tree 8 %, QR code 7 %
(segno's mask search), PDF serialisation and compression 6 %, HTML parsing 4 %, font
subsetting 2 %, tagging 1 %, XMP metadata 0.3 %, Django template 1 %. The trap to avoid in a
template: a ``display: table`` box positioned (absolute, fixed, float) with only ``left`` or
``right`` set — its wrapper's width is then shrink-to-fit, and WeasyPrint measures every word
of the table first, ``table-layout: fixed`` or not (the certificate's ``.verify`` box: 22 %,
224 → 171 ms once both are set). Measured and not kept (no gain beyond the noise, interleaved
A/B of 30–60 renders): fonts pre-subset with pyftsubset (static/fonts/README.md); WeasyPrint's
``hinting`` (+7 ms, 18 → 28 KB) and ``full_fonts`` (×2.7 the time, 450 KB); garbage collector
settings (``gc.freeze``, thresholds, pause during a render); literal colours instead of CSS
variables in pdf.css; the template's styles as a cached stylesheet (which would also move them
from the author to the user origin, where pdf.css's more specific rules would win).
"""

import logging
import mimetypes
import threading
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

# Relative URLs in PDF templates resolve against this base; only it is ever served.
BASE_URL = "https://pdf.cnam-cs.invalid/"
STATIC_PREFIX = "/static/"
# Only these folders of the project's own static directory may enter a PDF.
SERVED_FOLDERS = frozenset({"css", "fonts", "img"})
AUTHOR = "Cnam — EPN12 Santé-Solidarité"
LANG = "fr"
# PDF/A-3a: archival (PDF/A-3) *and* tagged — a structure tree with headings, tables and their
# header cells, the language and the title — so that a screen reader can read every document.
# WeasyPrint 70 offers pdf/a-*a (tagged PDF/A) or pdf/ua-1, one variant at a time; pdf/a-3a
# keeps the archival conformance and adds the tags. Cost on the certificate, idle machine
# (bench/certificates.py, line « balisage »): 138 → 149 ms, 17.4 → 19.2 KB.
PDF_VARIANT = "pdf/a-3a"
# Applied to every PDF (``pdf/base.html`` links no stylesheet of its own).
SHARED_STYLESHEET = "css/pdf.css"

_font_config: FontConfiguration | None = None
_stylesheets: list[CSS] | None = None
_fetcher: "StaticOnlyFetcher | None" = None
_font_lock = threading.Lock()
# The shared FontConfiguration (a Fontconfig/Pango font map) is mutable and not documented as
# thread-safe: renders are serialised within a process (workers are separate processes).
_render_lock = threading.Lock()


def font_config() -> FontConfiguration:
    global _font_config
    with _font_lock:
        if _font_config is None:
            _font_config = FontConfiguration()
        return _font_config


def _shared() -> tuple["StaticOnlyFetcher", list[CSS]]:
    """The process's fetcher and parsed shared stylesheet (fonts loaded into ``font_config``)."""
    global _stylesheets, _fetcher
    config = font_config()
    with _font_lock:
        if _fetcher is None:
            _fetcher = StaticOnlyFetcher()
        if _stylesheets is None:
            url = f"{BASE_URL.rstrip('/')}{STATIC_PREFIX}{SHARED_STYLESHEET}"
            _stylesheets = [CSS(url=url, url_fetcher=_fetcher, font_config=config)]
        return _fetcher, _stylesheets


def warm_up() -> None:
    """Load WeasyPrint, its fonts and the shared stylesheet now rather than on the first PDF
    (a task worker at start; an app server before it forks its workers)."""
    _shared()


def _static_roots() -> list[Path]:
    return [Path(directory).resolve() for directory in settings.STATICFILES_DIRS]


def static_file_for(url: str) -> Path | None:
    """The bundled file an URL designates, or None when it must be refused."""
    parts = urlsplit(url)
    base = urlsplit(BASE_URL)
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc) or parts.query:
        return None
    path = unquote(parts.path)
    if not path.startswith(STATIC_PREFIX) or "\\" in path or "\x00" in path:
        return None
    relative = PurePosixPath(path.removeprefix(STATIC_PREFIX))
    if (
        relative.is_absolute()
        or not relative.parts
        or relative.parts[0] not in SERVED_FOLDERS
        or any(part in {"", ".", ".."} for part in relative.parts)
    ):
        return None
    for root in _static_roots():
        candidate = (root / relative).resolve()
        # resolve() follows symlinks: the file must still lie inside the static directory.
        if candidate.is_relative_to(root) and candidate.is_file():
            return candidate
    return None


class StaticOnlyFetcher(URLFetcher):
    """Serves the project's bundled static files (css, fonts, img) and inline ``data:image/``
    URLs (a generated QR code); refuses everything else. Inline data discloses nothing local,
    and ``render_pdf`` drops attachments anyway."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith(("data:image/png", "data:image/svg+xml")):
            return super().fetch(url, headers)
        found = static_file_for(url)
        if found is None:
            logger.warning("PDF resource refused: %r", url[:200])
            raise ValueError(f"Ressource refusée : {url[:200]}")
        mime, _ = mimetypes.guess_type(found.name)
        return URLFetcherResponse(
            url, found.read_bytes(), {"Content-Type": mime or "application/octet-stream"}
        )


def render_pdf(
    template_name: str,
    context: dict[str, Any],
    *,
    title: str = "",
    issued_at: datetime | None = None,
) -> bytes:
    """Render a template of ``templates/<app>/pdf/`` (extending ``pdf/base.html``) to a tagged
    PDF/A-3a.

    The document's title, author and language are set here whatever the template says.
    ``issued_at`` (default: now) dates the document: a document rendered again from frozen
    data (a PV of the jury) passes its own date, so that it reads the same on any day.
    """
    issued_at = timezone.localtime(issued_at)
    html = render_to_string(
        template_name, {"pdf_title": title, "issued_at": issued_at, "author": AUTHOR, **context}
    )
    fetcher, stylesheets = _shared()
    with _render_lock:
        document = HTML(
            string=html, base_url=BASE_URL, url_fetcher=fetcher, media_type="print"
        ).render(font_config=font_config(), stylesheets=stylesheets, pdf_variant=PDF_VARIANT)
        metadata = document.metadata
        metadata.title = title or metadata.title
        metadata.authors = [AUTHOR]
        metadata.lang = LANG
        metadata.generator = "Portail CS2600A"
        metadata.created = metadata.modified = issued_at.isoformat(timespec="seconds")
        # Nothing is ever embedded: a <link rel="attachment"> slipped into data is dropped.
        metadata.attachments = []
        return document.write_pdf(pdf_variant=PDF_VARIANT, custom_metadata=False)
