"""Median time and query count of the jury page for a cohort of N students (default 2,000).

DATABASE_URL=sqlite:////tmp/bench-jury.sqlite3 .venv/bin/python bench/jury.py [N]
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cnam_cs.settings")

import django

django.setup()

from decimal import Decimal  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from enrolment.models import Enrolment, ProgrammeYear  # noqa: E402
from grading.models import Grade  # noqa: E402
from tests.factories import (  # noqa: E402
    AssessmentFactory,
    ProgrammeYearFactory,
    RegistrarFactory,
    StudentFactory,
    UEFactory,
)


def build(n: int) -> ProgrammeYear:
    py = ProgrammeYearFactory(year="2090-2091")
    if Enrolment.objects.filter(programme_year=py).count() >= n:
        return py
    ues = [UEFactory(programme_year=py, code=f"RSV2{i:02d}", credits=4) for i in range(4)]
    assessments = [AssessmentFactory(ue=ue, key=f"{ue.code}-CT") for ue in ues]
    students = [StudentFactory() for _ in range(n)]
    enrolments = Enrolment.objects.bulk_create(
        [Enrolment(student=s, programme_year=py, status="enrolled") for s in students]
    )
    enrolments = list(Enrolment.objects.filter(programme_year=py))
    Enrolment.ues.through.objects.bulk_create(
        [Enrolment.ues.through(enrolment=e, ue=ue) for e in enrolments for ue in ues]
    )
    Grade.objects.bulk_create(
        [
            Grade(assessment=a, enrolment=e, status="graded", value=Decimal("12"), published=True)
            for e in enrolments
            for a in assessments
        ]
    )
    return py


def main(n: int) -> None:
    call_command("migrate", verbosity=0)
    py = build(n)
    client = Client()
    client.force_login(RegistrarFactory())
    url = reverse("certification:registrar-jury", args=[py.pk])
    times = []
    for _ in range(5):
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            times.append(1000 * (time.perf_counter() - start))
        assert response.status_code == 200
    print(
        f"jury page, {n} students: median {statistics.median(times):.0f} ms, {len(queries)} queries"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
