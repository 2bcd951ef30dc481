"""The WSGI application, loaded before the app server forks (gunicorn ``--preload``).

Django imports the URL configuration, hence every view, WeasyPrint and the templates' code,
on the first request. Done here instead, a worker forked (or recycled) by gunicorn
``--preload`` serves its first request at once rather than after a second or more of imports
(docs/deploy.md § 5).
"""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cnam_cs.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 — imports every view module now
# Everything loaded so far lives as long as the process: out of the garbage collector's sight,
# a forked worker's first collections do not walk (and copy) the whole preloaded heap.
gc.collect()
gc.freeze()
