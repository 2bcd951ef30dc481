"""Certificates: one render, the QR code drawn two ways, and N issued through the queue.

    DATABASE_URL=sqlite:////tmp/bench-certs.sqlite3 .venv/bin/python bench/certificates.py \
        [--students 1000] [--workers 2] [--runs 15]

1. One certificate's PDF, median of ``--runs``: a bare WeasyPrint render of the same HTML with
   the stylesheet linked and parsed each time, as before issue 11 (the anchor); the portal's
   ``render_pdf`` (stylesheet and fonts parsed once per process); the QR code as a PNG (what
   the portal prints) and as an SVG path.
2. ``--students`` eligible students (a throwaway cohort, deliberated, not timed) issued exactly
   as the registrar's button does: a job split into chunks queued through django-tasks-db,
   then ``--workers`` ``manage.py worker --batch`` processes started together; the time runs
   from the click to the last certificate.

DATABASE_URL must name a file or a server: the workers share it. ``measure()`` returns the rows
for ``bench/run.py``.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from report import say

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cnam_cs.settings")
os.environ.setdefault("DJANGO_PRIVATE_ROOT", "/tmp/bench-private")
os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
# The e-mails of issuance are not what is measured: the console would print 1,000 of them.
os.environ.setdefault("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend")

import django  # noqa: E402

django.setup()

from decimal import Decimal  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from django.utils import timezone  # noqa: E402

from certification import documents, qr  # noqa: E402
from certification.models import Certificate  # noqa: E402
from certification.services import jury_deliberate  # noqa: E402
from certification.tasks import bulk_issue_start  # noqa: E402
from lib import pdf, signing  # noqa: E402

GOAL_SECONDS = 30.0
GOAL_STUDENTS = 1000


def _median_ms(function, runs: int) -> float:
    function()  # warm-up: imports, fonts, caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def _sample_certificate() -> Certificate:
    url = "https://portail.example.org/verifier/" + "x" * 32
    return Certificate(
        number="CS2600A-2025-00001",
        issued_on=timezone.localdate(),
        snapshot={
            "number": "CS2600A-2025-00001",
            "holder": {"first_name": "Camille", "last_name": "Lefèvre"},
            "programme": {"title": "Innovations sociales", "code": "CS2600A", "level": ""},
            "year": "2024-2025",
            "credits": 12,
            "ues": [
                {"code": "RSV206", "title": "Innovation sociale", "credits": 6},
                {"code": "RSV207", "title": "Économie sociale et solidaire", "credits": 6},
            ],
            "verification_url": url,
        },
    )


def render_rows(runs: int) -> list[dict]:
    """One certificate: the bare render (anchor), the portal's, the QR code both ways."""
    from weasyprint import HTML

    certificate = _sample_certificate()
    url = certificate.snapshot["verification_url"]
    context = documents.certificate_context(certificate, qr_png=qr.qr_png_data_uri(url))
    template = "certification/pdf/certificate.html"
    html = render_to_string(template, {**context, "pdf_title": "Certificat"})
    linked = html.replace("<head>", '<head><link rel="stylesheet" href="/static/css/pdf.css">', 1)
    svg_uri = "data:image/svg+xml," + quote(qr.qr_svg(url))
    svg_html = linked.replace(f'src="{context["qr_png"]}"', f'src="{svg_uri}"')

    def bare(source: str) -> None:
        HTML(
            string=source,
            base_url=pdf.BASE_URL,
            url_fetcher=pdf.StaticOnlyFetcher(),
            media_type="print",
        ).write_pdf(pdf_variant=pdf.PDF_VARIANT, font_config=pdf.font_config())

    bare_ms = _median_ms(lambda: bare(linked), runs)
    svg_ms = _median_ms(lambda: bare(svg_html), runs)
    portal_ms = _median_ms(lambda: pdf.render_pdf(template, context, title="Certificat"), runs)
    png_ms = _median_ms(lambda: qr.qr_png_data_uri(url), runs)
    svg_make_ms = _median_ms(lambda: qr.qr_svg(url), runs)
    untagged_ms = _median_ms(lambda: _render_as("pdf/a-3b", template, context), runs)
    rendered = pdf.render_pdf(template, context, title="Certificat")
    box = signing.SignatureBox(page=-1, box=(330, 40, 560, 90))
    sign_ms = _median_ms(lambda: signing.sign_pdf(rendered, reason="Certificat", box=box), runs)
    key = "clé de démo" if signing.configured_is_demo() else "clé configurée"
    return [
        {"what": "certificat : rendu WeasyPrint nu (repère)", "value": f"{bare_ms:.0f} ms"},
        {
            "what": "certificat : render_pdf du portail",
            "goal": "< rendu nu",
            "value": f"{portal_ms:.0f} ms",
            "ratio": portal_ms / bare_ms,
            "ok": portal_ms < bare_ms,
        },
        {
            "what": "QR code : PNG (imprimé) / chemin SVG, rendu nu",
            "value": f"{bare_ms:.0f} ms / {svg_ms:.0f} ms",
        },
        {
            "what": "QR code : fabrication PNG / SVG",
            "value": f"{png_ms:.1f} ms / {svg_make_ms:.1f} ms",
        },
        {
            "what": f"balisage : render_pdf en pdf/a-3b (non balisé) / {pdf.PDF_VARIANT}",
            "value": f"{untagged_ms:.0f} ms / {portal_ms:.0f} ms",
            "ratio": portal_ms / untagged_ms,
        },
        {
            "what": f"signature PAdES visible ({key}) / render_pdf",
            "goal": "≤ +50 % du rendu",
            "value": f"{sign_ms:.0f} ms / {portal_ms:.0f} ms (+{100 * sign_ms / portal_ms:.0f} %)",
            "ratio": sign_ms / portal_ms,
            "ok": sign_ms <= 0.5 * portal_ms,
        },
    ]


def _render_as(variant: str, template: str, context: dict) -> bytes:
    """The portal's render with another PDF variant: what tagging (issue 14) costs."""
    chosen = pdf.PDF_VARIANT
    pdf.PDF_VARIANT = variant
    try:
        return pdf.render_pdf(template, context, title="Certificat")
    finally:
        pdf.PDF_VARIANT = chosen


def _cohort(students: int):
    from enrolment.models import ProgrammeYear, User
    from tests.factories import (
        AssessmentFactory,
        EnrolmentFactory,
        GradeFactory,
        ProgrammeYearFactory,
        StudentFactory,
        UEFactory,
        UserFactory,
    )

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # set-up only
    # A database used before keeps its students: numbers, names and e-mails continue after them.
    for made in (UserFactory, StudentFactory):
        made.reset_sequence(User.objects.count() + 1)
    start = 2100 + ProgrammeYear.objects.count() % 800
    py = ProgrammeYearFactory(year=f"{start}-{start + 1}")
    ue = UEFactory(programme_year=py, code="RSV206", credits=8)
    assessment = AssessmentFactory(ue=ue, key="RSV206-CT")
    for _ in range(students):
        e = EnrolmentFactory(programme_year=py, fees_due=Decimal("0"))
        GradeFactory(assessment=assessment, enrolment=e, value=Decimal("13"))
    jury_deliberate(programme_year=py, deliberated_at=timezone.now(), members="Bench", by=None)
    return py


def queue_rows(students: int, workers: int) -> list[dict]:
    """``students`` certificates through the queue and ``workers`` worker processes."""
    call_command("migrate", verbosity=0)
    py = _cohort(students)
    command = [sys.executable, "manage.py", "worker", "--batch", "--no-reload"]
    command += ["--no-startup-delay", "--interval", "0.1", "-v", "0"]
    start = time.perf_counter()
    job = bulk_issue_start(programme_year=py, by=None)
    processes = [subprocess.Popen(command, cwd=ROOT) for _ in range(workers)]
    for process in processes:
        process.wait()
    total = time.perf_counter() - start
    job.refresh_from_db()
    issued = Certificate.objects.filter(programme_year=py).exclude(sha256="").count()
    goal = GOAL_SECONDS * students / GOAL_STUDENTS
    return [
        {
            "what": f"{students} certificats par la file, {workers} workers ({connection.vendor})",
            "goal": f"≤ {goal:.0f} s",
            "value": f"{total:.1f} s ({1000 * total / students:.0f} ms chacun, "
            f"{issued} délivrés, {len(job.failures)} échec(s))",
            "ok": total <= goal and issued == students and job.status == "done",
        }
    ]


def measure(students: int = GOAL_STUDENTS, workers: int = 2, runs: int = 15) -> list[dict]:
    return render_rows(runs) + queue_rows(students, workers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=GOAL_STUDENTS)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    say(f"charge moyenne au départ : {os.getloadavg()[0]:.2f}")
    for row in measure(args.students, args.workers, args.runs):
        say(f"{row['what']:<70} {row['value']}")
    say(f"charge moyenne à la fin : {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
