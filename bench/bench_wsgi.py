"""gunicorn's entry point for ``bench/serving.py``: the portal as deployed (``cnam_cs.wsgi``)
plus the benchmark's anchor view (``bench/pages.py``'s URLconf), static files unhashed (no
``collectstatic`` in a scratch run)."""

import sys
import warnings
from pathlib import Path

BENCH = Path(__file__).resolve().parent
for folder in (BENCH.parent, BENCH):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

# No collectstatic in a scratch run: WhiteNoise's warning about the missing folder is noise.
warnings.filterwarnings("ignore", message="No directory at")

from django.conf import settings  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from cnam_cs.wsgi import application  # noqa: E402

settings.ROOT_URLCONF = "pages"
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
get_resolver().url_patterns  # noqa: B018 — loaded before gunicorn forks, as in production

__all__ = ["application"]
