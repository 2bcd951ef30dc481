"""A large data set for the benchmarks: N students in cohorts of 2,000, every grade published.

    DATABASE_URL=sqlite:////tmp/bench.sqlite3 .venv/bin/python bench/dataset.py --students 64000

From another bench (after ``django.setup()``, on the configured database)::

    from bench.dataset import build
    cohorts = build(64000)  # the 32 ProgrammeYear, built once, found again on the next call

Each cohort (programme ``BN<size>-<i>``, year 2030-2031) has 4 UE of 2 assessments
(CC weight 1, CT weight 2; the first UE's CT has a make-up), 6 sessions per UE (one
cancelled, one exam), fees and payments. Marks vary so that every decision and every reason
occurs: most students are admis, some fail a UE, some are absent (ABS) or justified absent
(ABJ, then graded at the make-up), some are défaillant by absences, some owe fees.
Rows are written with ``bulk_create`` in one transaction per cohort: 64,000 students take
about a minute on SQLite.
"""

import datetime as dt
import os
import random
import sys
import time
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

COHORT_SIZE = 2000
YEAR = "2030-2031"
UE_COUNT = 4
SESSIONS_PER_UE = 6
SESSION_HOURS = 3


def _setup(database_url: str | None) -> None:
    """Configure Django on ``database_url`` unless it is already configured."""
    from django.conf import settings

    if settings.configured:
        if database_url and database_url != settings.DATABASE_URL:
            raise RuntimeError(
                f"Django is set up on {settings.DATABASE_URL}, not on {database_url}"
            )
        return
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cnam_cs.settings")
    import django

    django.setup()


def cohort_code(size: int, index: int) -> str:
    return f"BN{size}-{index:02d}"


def build(
    students: int, database_url: str | None = None, *, cohort_size: int = COHORT_SIZE
) -> list["ProgrammeYear"]:  # type: ignore[name-defined]  # noqa: F821
    """The cohorts holding ``students`` students (``cohort_size`` each, the last one smaller
    if needed), built unless they are already there; migrates the database first."""
    _setup(database_url)
    from django.core.management import call_command

    from enrolment.models import ProgrammeYear

    call_command("migrate", verbosity=0)
    sizes = [cohort_size] * (students // cohort_size)
    if students % cohort_size:
        sizes.append(students % cohort_size)
    cohorts = []
    for index, size in enumerate(sizes, start=1):
        code = cohort_code(size, index)
        py = ProgrammeYear.objects.filter(programme__code=code, year=YEAR).first()
        if py is None or py.enrolments.count() != size:
            py = _build_cohort(code, size)
        cohorts.append(py)
    return cohorts


def _build_cohort(code: str, size: int) -> "ProgrammeYear":  # type: ignore[name-defined]  # noqa: F821
    from django.db import transaction
    from django.utils import timezone

    from attendance.models import Attendance, Session
    from enrolment.models import (
        UE,
        Enrolment,
        Payment,
        Programme,
        ProgrammeYear,
        StudentProfile,
        User,
    )
    from grading.models import Assessment, Grade

    with transaction.atomic():
        # A half-built cohort (an interrupted run) is rebuilt under a fresh programme code.
        stale = Programme.objects.filter(code=code).first()
        if stale is not None:
            stale.code = f"X{int(time.time() * 1000) % 10**12}"[:20]
            stale.save(update_fields=["code"])
        programme = Programme.objects.create(
            code=code,
            title=f"Certificat de banc d'essai {code}",
            level="Bac+4, niveau 7",
            managing_unit="EPN banc d'essai",
        )
        py = ProgrammeYear.objects.create(
            programme=programme,
            year=YEAR,
            pass_mark=Decimal("10"),
            absence_threshold_pct=Decimal("20"),
            justified_absences_count=False,
        )
        UE.objects.bulk_create(
            [
                UE(programme_year=py, code=f"BNC1{j:02d}", title=f"UE n° {j + 1}", credits=3 + j)
                for j in range(UE_COUNT)
            ]
        )
        ues = list(UE.objects.filter(programme_year=py).order_by("code"))
        day = dt.date(2031, 5, 20)
        assessments: list[tuple[Assessment, Assessment]] = []
        for ue in ues:
            cc = Assessment.objects.create(
                ue=ue, key=f"{ue.code}-CC", kind="cc", weight=Decimal("1"), date=day
            )
            ct = Assessment.objects.create(
                ue=ue, key=f"{ue.code}-CT", kind="ct", weight=Decimal("2"), date=day
            )
            assessments.append((cc, ct))
        first_ct = assessments[0][1]
        makeup = Assessment.objects.create(
            ue=ues[0],
            key=f"{ues[0].code}-R",
            kind="ct",
            weight=Decimal("2"),
            date=day,
            makeup_of=first_ct,
        )
        start = timezone.now() - dt.timedelta(days=60)
        Session.objects.bulk_create(
            [
                Session(
                    ue=ue,
                    key=f"S{k}",
                    kind="examen" if k == SESSIONS_PER_UE - 1 else "cours",
                    start=start + dt.timedelta(days=7 * k, hours=u),
                    end=start + dt.timedelta(days=7 * k, hours=u + SESSION_HOURS),
                    site="conte",
                    room="31.1.12",
                    cancelled=k == 2,
                )
                for u, ue in enumerate(ues)
                for k in range(SESSIONS_PER_UE)
            ]
        )
        sessions = list(
            Session.objects.filter(ue__in=ues, cancelled=False, kind="cours").order_by(
                "ue_id", "start"
            )
        )

        prefix = f"{programme.pk:04d}"
        _insert(
            User,
            ["username", "email", "first_name", "last_name", "password"],
            (
                (
                    f"bn{prefix}-{i}",
                    f"bn{prefix}-{i}@example.org",
                    f"Prénom{i}",
                    f"Nom{(i * 7919) % size}",
                    "!",
                )
                for i in range(size)
            ),
        )
        users = User.objects.filter(username__startswith=f"bn{prefix}-").values_list(
            "pk", "username", "first_name", "last_name", "email"
        )
        birth = [dt.date(1990, 1, 1) + dt.timedelta(days=d) for d in range(3650)]
        _insert(
            StudentProfile,
            ["user_id", "number", "last_name", "first_name", "birth_date", "email"],
            (
                (
                    pk,
                    f"{prefix}{username.rpartition('-')[2]:0>5}",
                    last,
                    first,
                    birth[pk % 3650],
                    email,
                )
                for pk, username, first, last, email in users
            ),
        )
        student_ids = list(
            StudentProfile.objects.filter(number__startswith=prefix)
            .order_by("number")
            .values_list("pk", flat=True)
        )
        _insert(
            Enrolment,
            ["student_id", "programme_year_id", "status", "fees_due"],
            ((sid, py.pk, "enrolled", Decimal("500")) for sid in student_ids),
        )
        enrolment_ids = list(
            Enrolment.objects.filter(programme_year=py)
            .order_by("student__number")
            .values_list("pk", flat=True)
        )
        _insert(
            Enrolment.ues.through,
            ["enrolment_id", "ue_id"],
            ((e, ue.pk) for e in enrolment_ids for ue in ues),
        )
        _insert(
            Payment,
            ["enrolment_id", "date", "amount"],
            (
                (e, day, Decimal("200") if i % 17 == 5 else Decimal("500"))
                for i, e in enumerate(enrolment_ids)
            ),
        )
        graded = "graded"
        grades: list[tuple[int, int, str, Decimal | None]] = []
        add = grades.append
        # Quarter points, as teachers enter them: about one student in ten fails a UE.
        rng = random.Random(f"{code}-{size}")
        quarters = [Decimal(q) / 4 for q in range(81)]
        makeup_mark = Decimal("11.5")
        for i, e in enumerate(enrolment_ids):
            for j, (cc, ct) in enumerate(assessments):
                add((cc.pk, e, graded, quarters[rng.randint(20, 80)]))
                if j == 0 and i % 41 == 7:  # ABJ, then graded at the make-up
                    add((ct.pk, e, "absent_justified", None))
                    add((makeup.pk, e, graded, makeup_mark))
                elif j == 1 and i % 53 == 11:  # absent: défaillant
                    add((ct.pk, e, "absent", None))
                else:
                    add((ct.pk, e, graded, quarters[rng.randint(30, 80)]))
        _insert(
            Grade,
            ["assessment_id", "enrolment_id", "status", "value", "published"],
            ((*grade, True) for grade in grades),
        )
        _insert(
            Attendance,
            ["enrolment_id", "session_id", "presence", "minutes_missed"],
            [
                (e, s.pk, "absent", 0)
                for i, e in enumerate(enrolment_ids)
                if i % 23 == 3
                for s in sessions[::3]
            ]
            + [(e, sessions[1].pk, "late", 30) for i, e in enumerate(enrolment_ids) if i % 7 == 1],
        )
    return py


def _insert(model: Any, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """INSERT the rows (values ready for the database: ints, strings, booleans, decimals,
    dates) with ``executemany``; the other columns take their model default, computed once."""
    from django.db import connection

    template = model()
    given = set(columns)
    fields = [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and f.attname not in given and f.name not in given
    ]
    constants = [f.get_db_prep_save(f.pre_save(template, True), connection) for f in fields]
    names = [model._meta.get_field(c).column for c in columns] + [f.column for f in fields]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(n) for n in names)}) "
        f"VALUES ({', '.join(['%s'] * len(names))})"
    )
    tail = tuple(constants)
    batch: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(row + tail)
            if len(batch) == 10000:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=64000)
    parser.add_argument("--cohort-size", type=int, default=COHORT_SIZE)
    args = parser.parse_args()
    start = time.perf_counter()
    cohorts = build(args.students, os.environ.get("DATABASE_URL"), cohort_size=args.cohort_size)
    sys.stdout.write(
        f"{len(cohorts)} cohorts, {args.students} students ready in "
        f"{time.perf_counter() - start:.1f} s\n"
    )


if __name__ == "__main__":
    main()
