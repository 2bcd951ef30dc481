"""Median time and query count of a 300-row grid save and a 2,000-row spreadsheet import.

Runs on the database of DATABASE_URL (SQLite or PostgreSQL), migrated first:
DATABASE_URL=sqlite:////tmp/bench-staff.sqlite3 .venv/bin/python bench/staff_grid.py [repeats]
"""

import os
import random
import statistics
import sys
import time
from pathlib import Path

from report import say

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cnam_cs.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from grading import selectors, spreadsheets  # noqa: E402
from tests.factories import (  # noqa: E402
    AssessmentFactory,
    StudentFactory,
    UserFactory,
)
from tests.grading.staff_world import World, add_students, make_world  # noqa: E402


def grid_body(world: World, value: str) -> dict[str, str]:
    grid = selectors.assessment_grid(world.assessment)
    data = {
        "form-TOTAL_FORMS": str(len(grid.rows)),
        "form-INITIAL_FORMS": str(len(grid.rows)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "2000",
    }
    for i, row in enumerate(grid.rows):
        old = "" if row.grade is None else spreadsheets.rules.format_grade(row.grade.value)
        data |= {
            f"form-{i}-enrolment": str(row.enrolment.pk),
            f"form-{i}-version": str(row.version),
            f"form-{i}-status": "graded",
            f"initial-form-{i}-status": "graded",
            f"form-{i}-value": value,
            f"initial-form-{i}-value": old,
            f"form-{i}-report": "",
            f"initial-form-{i}-report": "",
        }
    return data


def import_file(world: World, value: str) -> bytes:
    grid = selectors.assessment_grid(world.assessment)
    lines = spreadsheets.export_csv(grid).decode("utf-8-sig").splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        cells = line.split(";")
        cells[3] = value
        out.append(";".join(cells))
    return "\n".join(out).encode()


def timed(fn) -> tuple[float, int]:
    with CaptureQueriesContext(connection) as ctx:
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
    return elapsed * 1000, len(ctx.captured_queries)


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    settings.DEBUG = False
    call_command("migrate", verbosity=0)
    # A fresh programme year each run, so the script can run again on the same database.
    base = random.randrange(2100, 9000, 2)
    for factory in (UserFactory, StudentFactory, AssessmentFactory):
        factory.reset_sequence(base * 1000)
    grid_world = make_world(0, year=f"{base}-{base + 1}")
    add_students(grid_world, 300, prefix=f"G{base}")
    import_world = make_world(0, year=f"{base + 1}-{base + 2}")
    add_students(import_world, 2000, prefix=f"I{base}")
    client = Client()
    vendor = connection.vendor
    say(f"Database: {vendor} ({connection.settings_dict['NAME']})")

    client.force_login(grid_world.teacher)
    url = reverse("grading:staff-grid", args=[grid_world.assessment.pk])
    times, queries = [], []
    for i in range(repeats):
        body = grid_body(grid_world, "12" if i % 2 == 0 else "13,5")
        ms, n = timed(lambda body=body: client.post(url, body))
        times.append(ms)
        queries.append(n)
    say(f"Grid save, 300 rows: median {statistics.median(times):.0f} ms, {max(queries)} queries")

    client.force_login(import_world.teacher)
    upload = reverse("grading:staff-import", args=[import_world.assessment.pk])
    apply = reverse("grading:staff-import-apply", args=[import_world.assessment.pk])
    times, queries = [], []
    for i in range(repeats):
        data = import_file(import_world, "14" if i % 2 == 0 else "15,25")

        def run(data: bytes = data) -> None:
            client.post(upload, {"file": SimpleUploadedFile("notes.csv", data)})
            response = client.post(apply)
            assert response.status_code == 302

        ms, n = timed(run)
        times.append(ms)
        queries.append(n)
    say(
        f"Import 2,000 rows (preview + apply): median {statistics.median(times):.0f} ms, "
        f"{max(queries)} queries"
    )


if __name__ == "__main__":
    main()
