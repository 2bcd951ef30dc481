"""Time to issue N certificates through the bulk task (PDF rendering dominates).

    DATABASE_URL=sqlite:////tmp/bench-certs.sqlite3 .venv/bin/python bench/certificates.py [N]

Builds a throwaway cohort of N eligible students, creates a BulkIssueJob and runs the task the
db_worker would run (same code path), then prints total seconds and ms per certificate.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cnam_cs.settings")
os.environ.setdefault("DJANGO_PRIVATE_ROOT", "/tmp/bench-private")

import django

django.setup()

from decimal import Decimal  # noqa: E402

from django.core.management import call_command  # noqa: E402

from certification.models import BulkIssueJob, Certificate  # noqa: E402
from certification.tasks import issue_cohort  # noqa: E402
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
    job = BulkIssueJob.objects.create(programme_year=py)
    start = time.perf_counter()
    issue_cohort.call(job.pk)
    total = time.perf_counter() - start
    job.refresh_from_db()
    print(f"{job.done} certificates issued in {total:.1f} s: {1000 * total / n:.0f} ms each")
    print(f"extrapolated to 1,000: {total / n * 1000:.0f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
