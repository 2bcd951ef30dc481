"""Median time of each student page (and the relevé de notes) on the demo data.

    .venv/bin/python bench/student_pages.py [runs]

Standalone: a temporary SQLite database, migrated, loaded with ``manage.py load_demo``; the
pages are fetched with Django's test client signed in as the demo student « eleve ».
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from report import say

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp(prefix="bench-student-")
os.environ["DJANGO_SETTINGS_MODULE"] = "cnam_cs.settings"
os.environ["DATABASE_URL"] = f"sqlite:///{TMP}/bench.sqlite3"
os.environ["DJANGO_PRIVATE_ROOT"] = f"{TMP}/private"
os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from enrolment.models import User  # noqa: E402

PAGES = [
    "certification:student-dashboard",
    "enrolment:student-enrolment",
    "enrolment:student-profile",
    "attendance:student-planning",
    "attendance:student-planning-ics",
    "attendance:student-attendance",
    "grading:student-grades",
    "certification:student-certification",
    "certification:student-documents",
]


def main(runs: int) -> None:
    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    student = User.objects.get(username="eleve")
    client = Client()
    client.force_login(student)
    enrolment = student.student.enrolments.order_by("-programme_year__year").first()
    urls = [(name, reverse(name)) for name in PAGES]
    for name in ("grading:transcript-pdf", "enrolment:scolarite-pdf"):
        urls.append((name, reverse(name, args=[enrolment.pk])))
    say(f"{runs} runs each, SQLite, demo student « eleve »")
    say(f"{'page':40} {'median ms':>10} {'queries':>8}")
    for name, url in urls:
        client.get(url)  # warm-up
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        say(f"{name:40} {statistics.median(timings):10.1f} {len(ctx.captured_queries):8}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
