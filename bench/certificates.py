"""Time to issue N certificates with the background worker (PDF rendering dominates).

    DATABASE_URL=sqlite:////tmp/bench-certs.sqlite3 .venv/bin/python bench/certificates.py [N]

Builds a throwaway cohort of N eligible students, deliberates (certificates come only after
the jury; the deliberation is not timed), starts a bulk issuance exactly as the
registrar's button does (a BulkIssueJob queued through django.tasks on django-tasks-db), then
runs ``manage.py db_worker --batch`` in a separate process until the queue is empty, and
prints the total seconds and the milliseconds per certificate. DATABASE_URL must name a file
or a server, which the worker process shares.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cnam_cs.settings")
os.environ.setdefault("DJANGO_PRIVATE_ROOT", "/tmp/bench-private")
# The e-mails of issuance are not what is measured: the console would print 1,000 of them.
os.environ.setdefault("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend")

import django  # noqa: E402

django.setup()

from decimal import Decimal  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from certification.models import Certificate  # noqa: E402
from certification.services import jury_deliberate  # noqa: E402
from certification.tasks import bulk_issue_start  # noqa: E402
from tests.factories import (  # noqa: E402
    AssessmentFactory,
    EnrolmentFactory,
    GradeFactory,
    ProgrammeYearFactory,
    UEFactory,
)


def main(n: int) -> None:
    call_command("migrate", verbosity=0)
    year = f"{2100 + Certificate.objects.count() % 800}-{2101 + Certificate.objects.count() % 800}"
    py = ProgrammeYearFactory(year=year)
    ue = UEFactory(programme_year=py, code="RSV206", credits=8)
    a = AssessmentFactory(ue=ue, key="RSV206-CT")
    for _ in range(n):
        e = EnrolmentFactory(programme_year=py, fees_due=Decimal("0"))
        GradeFactory(assessment=a, enrolment=e, value=Decimal("13"))
    jury_deliberate(programme_year=py, deliberated_at=timezone.now(), members="Bench", by=None)
    start = time.perf_counter()
    job = bulk_issue_start(programme_year=py, by=None)
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--batch",
            "--no-reload",
            "--no-startup-delay",
            "-v",
            "0",
        ],
        cwd=ROOT,
        check=True,
    )
    total = time.perf_counter() - start
    job.refresh_from_db()
    issued = Certificate.objects.filter(programme_year=py).count()
    print(f"database: {connection.vendor}; worker: manage.py db_worker --batch")
    print(f"{issued} of {n} certificates issued in {total:.1f} s: {1000 * total / n:.0f} ms each")
    print(f"job status: {job.status}, {job.done}/{job.total}, {len(job.failures)} failure(s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
