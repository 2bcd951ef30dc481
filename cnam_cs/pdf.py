"""The one module that imports WeasyPrint: HTML templates to PDF bytes.

Resources are served only from the project's bundled static files: no ``file:`` URL, no
network, no ``..`` (SECURITY.md #9: WeasyPrint's default fetcher would embed any local file).
One ``FontConfiguration`` is shared by every render: a new one per render leaks memory in a
long-lived process (measured about 0.3 MB a render) and is slower.
"""

import logging
import mimetypes
import threading
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

# Relative URLs in PDF templates resolve against this base; only it is ever served.
BASE_URL = "https://pdf.cnam-cs.invalid/"
STATIC_PREFIX = "/static/"

_font_config: FontConfiguration | None = None
_font_lock = threading.Lock()


def font_config() -> FontConfiguration:
    global _font_config
    with _font_lock:
        if _font_config is None:
            _font_config = FontConfiguration()
        return _font_config


class StaticOnlyFetcher(URLFetcher):
    """Serves bundled static files and ``data:`` URLs; refuses everything else."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        parts = urlsplit(url)
        base = urlsplit(BASE_URL)
        path = unquote(parts.path)
        if (
            (parts.scheme, parts.netloc) != (base.scheme, base.netloc)
            or not path.startswith(STATIC_PREFIX)
            or ".." in PurePosixPath(path).parts
            or "\\" in path
        ):
            logger.warning("PDF resource refused: %r", url[:200])
            raise ValueError(f"Ressource refusée : {url[:200]}")
        found = finders.find(path.removeprefix(STATIC_PREFIX))
        if not found or isinstance(found, list):
            raise ValueError(f"Ressource introuvable : {path}")
        mime, _ = mimetypes.guess_type(found)
        with open(found, "rb") as handle:
            body = handle.read()
        return URLFetcherResponse(url, body, {"Content-Type": mime or "application/octet-stream"})


def render_pdf(template_name: str, context: dict[str, Any], *, title: str = "") -> bytes:
    """Render a template of ``templates/<app>/pdf/`` to PDF/A-3b bytes."""
    html = render_to_string(template_name, context)
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher())
    return document.write_pdf(
        font_config=font_config(),
        pdf_variant="pdf/a-3b",
        custom_metadata=False,
    )
