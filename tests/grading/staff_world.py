"""A small world for the staff workspace tests: one UE taught by a teacher, a cohort, another
UE with its own teacher and student (helpers, not a test module)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from enrolment.models import UE, Enrolment, StudentProfile, User
from grading.models import Assessment
from tests.factories import (
    AssessmentFactory,
    EnrolmentFactory,
    ProgrammeYearFactory,
    StaffFactory,
    StudentFactory,
    UEFactory,
    UserFactory,
)


@dataclass
class World:
    ue: UE
    other_ue: UE
    teacher: User
    other_teacher: User
    enrolments: list[Enrolment]
    outsider: Enrolment  # follows only the other UE
    assessment: Assessment
    other_assessment: Assessment


def make_world(n: int = 3, *, year: str = "2024-2025") -> World:
    py = ProgrammeYearFactory(year=year)
    ue = UEFactory(programme_year=py, code="RSV201")
    other_ue = UEFactory(programme_year=py, code="RSV202")
    teacher = StaffFactory(ues=[ue])
    other_teacher = StaffFactory(ues=[other_ue])
    enrolments = []
    for i in range(n):
        user = UserFactory(last_name=f"Nom{i:04d}", first_name="Alex")
        student = StudentFactory(user=user, number=f"0{24000 + i:06d}")
        enrolments.append(EnrolmentFactory(student=student, programme_year=py, ues=[ue]))
    outsider = EnrolmentFactory(programme_year=py, ues=[other_ue])
    assessment = AssessmentFactory(ue=ue, key="CT1", weight=Decimal("1"))
    other_assessment = AssessmentFactory(ue=other_ue, key="CT1")
    return World(
        ue, other_ue, teacher, other_teacher, enrolments, outsider, assessment, other_assessment
    )


def add_students(world: World, n: int, *, prefix: str = "9") -> list[Enrolment]:
    """Many students at once, without hashing a password each (fast)."""
    tag = f"{prefix}{world.ue.pk}"
    users = User.objects.bulk_create(
        [
            User(username=f"bulk{tag}-{i}", email=f"bulk{tag}-{i}@example.org", password="!")
            for i in range(n)
        ]
    )
    students = StudentProfile.objects.bulk_create(
        [
            StudentProfile(
                user=u,
                number=f"{tag}{i:06d}",
                last_name=f"Bulk{i:05d}",
                first_name="Sam",
                birth_date=dt.date(1990, 1, 1),
                email=u.email,
            )
            for i, u in enumerate(users)
        ]
    )
    enrolments = Enrolment.objects.bulk_create(
        [
            Enrolment(student=s, programme_year=world.ue.programme_year, status="enrolled")
            for s in students
        ]
    )
    Enrolment.ues.through.objects.bulk_create(
        [Enrolment.ues.through(enrolment_id=e.pk, ue_id=world.ue.pk) for e in enrolments]
    )
    world.enrolments.extend(enrolments)
    return enrolments


def grid_post(
    world: World,
    values: dict[int, str],
    *,
    versions: dict[int, int] | None = None,
    statuses: dict[int, str] | None = None,
    initial_values: dict[int, str] | None = None,
    reports: dict[int, str] | None = None,
) -> dict[str, str]:
    """The POST body of the grid as the page would send it (one row per enrolment)."""
    rows = world.enrolments
    data = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "2000",
    }
    versions = versions or {}
    statuses = statuses or {}
    initial_values = initial_values or {}
    reports = reports or {}
    for i, e in enumerate(rows):
        status = statuses.get(e.pk, "graded")
        data |= {
            f"form-{i}-enrolment": str(e.pk),
            f"form-{i}-version": str(versions.get(e.pk, 0)),
            f"form-{i}-status": status,
            f"initial-form-{i}-status": "graded",
            f"form-{i}-value": values.get(e.pk, initial_values.get(e.pk, "")),
            f"initial-form-{i}-value": initial_values.get(e.pk, ""),
            f"form-{i}-report": reports.get(e.pk, ""),
            f"initial-form-{i}-report": "",
        }
    return data
