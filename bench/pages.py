"""Student pages against a trivial authenticated view, side by side in one run (issue 11).

    .venv/bin/python bench/pages.py [--seconds 3] [--slice 0.1] [--database-url URL]

On the demo data (a scratch SQLite file migrated and loaded with ``load_demo`` unless
``--database-url`` names a database to migrate and load), each page is requested in-process
through Django's WSGI handler — the whole middleware stack, the session cookie, the real
URLconf, no test client and no network — as a signed-in user:

- the anchor: ``HttpResponse("ok")`` behind ``login_required``, added by this benchmark's
  own URLconf (never by the product);
- the student grades page (« eleve », the demo student), goal ≥ 0.5× the anchor;
- the certificate re-download of an issued, unrevoked certificate by its holder, goal ≥ 0.8×.

The three take turns in short slices (anchor, grades, certificate, anchor, …) so that a
change of load hits them alike; requests/s are per second of the process's CPU time (the
requests are CPU-bound; wall-clock rates are shown beside them), each ratio is the median of
the turns' ratios. The load average is printed: the machine is shared, figures are noisy.

``measure()`` returns the rows for a combined bench runner: {what, goal, value, ratio, ok}
(and ``wall``, the wall-clock rate).
"""

import argparse
import io
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from report import say

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ANCHOR_PATH = "/bench/ok/"


def _trivial(request: Any) -> Any:
    from django.http import HttpResponse

    return HttpResponse("ok")


def _urlpatterns() -> list[Any]:
    from django.contrib.auth.decorators import login_required
    from django.urls import path

    from cnam_cs.urls import urlpatterns

    return [path(ANCHOR_PATH.strip("/") + "/", login_required(_trivial)), *urlpatterns]


def __getattr__(name: str) -> Any:
    # The benchmark's URLconf is this module: the product's URLs plus the anchor, built on
    # first use (Django must be set up before cnam_cs.urls is imported).
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)


def setup(database_url: str | None = None) -> None:
    """Django on a scratch database (or ``database_url``), migrated, with the demo loaded."""
    tmp = tempfile.mkdtemp(prefix="bench-pages-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cnam_cs.settings")
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_PRIVATE_ROOT", f"{tmp}/private")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend")
    # As in production (no DEBUG query log), over plain HTTP since no TLS proxy is in front.
    os.environ.setdefault("DJANGO_DEBUG", "false")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-pages-not-a-secret-" + "x" * 40)
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost")
    os.environ.setdefault("DJANGO_HTTPS", "false")
    import django

    django.setup()
    from django.conf import settings

    # No collectstatic here: the plain storage instead of the manifest (same page cost).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.core.management import call_command

    _signing_key(Path(tmp))
    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0, stdout=io.StringIO())


def _signing_key(folder: Path) -> None:
    """Production refuses to sign without a configured key, and the demo issues signed
    certificates: a throwaway key, as `scripts/test` gives its deployment check."""
    from django.conf import settings

    from lib.signing import generate_self_signed

    if settings.SIGNING_PKCS12_PATH:
        return
    path, passphrase = folder / "bench-signing.p12", secrets.token_urlsafe(24)
    generate_self_signed(path, subject="Portail CS (banc d'essai)", passphrase=passphrase)
    settings.SIGNING_PKCS12_PATH, settings.SIGNING_PASSPHRASE = str(path), passphrase
    # The servers serving.py starts read the same key from their environment.
    os.environ["DJANGO_SIGNING_PKCS12"], os.environ["DJANGO_SIGNING_PASSPHRASE"] = (
        str(path),
        passphrase,
    )


def _session_cookie(user: Any) -> str:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def _requester(path: str, cookie: str) -> Callable[[], int]:
    """One GET through the WSGI handler, as a server would call it; returns the status."""
    from django.core.handlers.wsgi import WSGIHandler

    handler = WSGIHandler()

    def get() -> int:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "localhost",
            "HTTP_COOKIE": cookie,
            "HTTP_ACCEPT_LANGUAGE": "fr",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        status: list[str] = []
        body = handler(environ, lambda s, headers, exc_info=None: status.append(s))
        try:
            for _chunk in body:
                pass
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        return int(status[0].split()[0])

    return get


def _targets() -> list[tuple[str, float | None, str, Any]]:
    """(what, goal as a ratio to the anchor, path, user) for each measured page."""
    from django.urls import reverse

    from certification.models import Certificate
    from enrolment.models import User

    student = User.objects.get(username="eleve")
    certificate = (
        Certificate.objects.filter(revoked_at__isnull=True)
        .exclude(pdf="")
        .select_related("enrolment__student__user")
        .order_by("pk")
        .first()
    )
    if certificate is None:
        raise RuntimeError("the demo holds no unrevoked certificate: load_demo changed?")
    holder = certificate.enrolment.student.user
    return [
        ("trivial authenticated view", None, ANCHOR_PATH, student),
        ("student grades page", 0.5, reverse("grading:student-grades"), student),
        (
            f"certificate re-download ({certificate.enrolment.student.number})",
            0.8,
            reverse("certification:certificate-pdf", args=[certificate.enrolment_id]),
            holder,
        ),
    ]


def measure(seconds: float = 3.0, slice_seconds: float = 0.1) -> list[dict[str, Any]]:
    """Requests/s of each target and its ratio to the anchor. Django must be set up on the
    demo data (``setup()``).

    The targets take turns in slices of ``slice_seconds`` (anchor, grades, certificate,
    anchor, …) until each had ``seconds``. Rates are per second of this process's CPU time
    (``time.process_time``): every request is CPU-bound here, and the machine is shared, so
    wall time would mostly measure the other processes. The ratio of a page is the median of
    its ratios to the anchor's slice of the same turn; ``wall`` gives the wall-clock rate.
    """
    from django.conf import settings
    from django.urls import clear_url_caches, set_urlconf

    previous = settings.ROOT_URLCONF
    settings.ROOT_URLCONF = __name__
    clear_url_caches()
    set_urlconf(None)
    try:
        targets = [
            (what, goal, _requester(path, _session_cookie(user)))
            for what, goal, path, user in _targets()
        ]
        for what, _goal, get in targets:
            for _ in range(20):  # warm-up: imports, templates, translations
                status = get()
            if status != 200:
                raise RuntimeError(f"{what}: HTTP {status}")
        turns: list[list[tuple[int, float, float]]] = []  # per turn: (count, cpu, wall)
        while sum(cpu for turn in turns for _count, cpu, _wall in turn[:1]) < seconds:
            turn = []
            for _what, _goal, get in targets:
                count, cpu0, wall0 = 0, time.process_time(), time.perf_counter()
                while (cpu := time.process_time() - cpu0) < slice_seconds:
                    get()
                    count += 1
                turn.append((count, cpu, time.perf_counter() - wall0))
            turns.append(turn)
    finally:
        settings.ROOT_URLCONF = previous
        clear_url_caches()
        set_urlconf(None)
    rows = []
    for i, (what, goal, _get) in enumerate(targets):
        count = sum(turn[i][0] for turn in turns)
        value = count / sum(turn[i][1] for turn in turns)
        wall = count / sum(turn[i][2] for turn in turns)
        ratio = statistics.median(
            (turn[i][0] / turn[i][1]) / (turn[0][0] / turn[0][1]) for turn in turns
        )
        rows.append(
            {
                "what": what,
                "goal": f"≥ {goal}× trivial" if goal is not None else "anchor",
                "value": round(value, 1),
                "wall": round(wall, 1),
                "ratio": round(ratio, 2),
                "ok": goal is None or ratio >= goal,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="CPU seconds per page")
    parser.add_argument("--slice", type=float, default=0.1, help="CPU seconds per turn")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args()
    setup(args.database_url)
    from django.db import connection

    before = os.getloadavg()
    rows = measure(args.seconds, args.slice)
    after = os.getloadavg()
    say(
        f"in-process WSGI, {connection.vendor}, demo data, {args.seconds} CPU s per page "
        f"in turns of {args.slice} s; req/s per CPU second (wall-clock req/s in brackets)"
    )
    say(f"{'what':42} {'goal':>16} {'req/s':>7} {'(wall)':>8} {'ratio':>6}  ok")
    for row in rows:
        say(
            f"{row['what']:42} {row['goal']:>16} {row['value']:7.1f} ({row['wall']:6.1f})"
            f" {row['ratio']:6.2f}  {'yes' if row['ok'] else 'NO'}"
        )
    say("load average before: {:.2f} {:.2f} {:.2f}".format(*before))
    say("load average after:  {:.2f} {:.2f} {:.2f}".format(*after))


if __name__ == "__main__":
    main()
