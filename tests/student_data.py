"""Builders for the student-portal tests: one CS2600A student with realistic records."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from attendance.models import Attendance, Session
from enrolment.models import UE, Enrolment, ProgrammeYear, StudentProfile
from grading.models import Assessment, Grade
from tests.factories import (
    AssessmentFactory,
    EnrolmentFactory,
    GradeFactory,
    ProgrammeYearFactory,
    SessionFactory,
    StudentFactory,
    UEFactory,
    UserFactory,
)


@dataclass
class Cohort:
    year: ProgrammeYear
    rsv206: UE
    rsv207: UE


def cohort(year: str = "2024-2025") -> Cohort:
    py = ProgrammeYearFactory(year=year)
    return Cohort(
        py,
        UEFactory(
            programme_year=py,
            code="RSV206",
            title="Économie sociale et solidaire : théories, pratiques et innovations sociales",
            credits=8,
        ),
        UEFactory(
            programme_year=py,
            code="RSV207",
            title="Méthodologie de projet en économie sociale et solidaire",
            credits=4,
        ),
    )


def student(username: str = "camille", **kwargs: object) -> StudentProfile:
    user = UserFactory(username=username, email=f"{username}@lecnam.net")
    defaults: dict[str, object] = {
        "user": user,
        "email": f"{username}.perso@example.org",
        "birth_date": dt.date(1990, 4, 2),
        "first_name": "Camille",
        "last_name": "Martin",
    }
    defaults.update(kwargs)
    return StudentFactory(**defaults)


def enrol(s: StudentProfile, c: Cohort, *, fees: str = "0", status: str = "enrolled") -> Enrolment:
    return EnrolmentFactory(student=s, programme_year=c.year, fees_due=Decimal(fees), status=status)


def passing_grades(e: Enrolment, c: Cohort) -> dict[str, Assessment]:
    """RULES.md §8 example 1: RSV206 CC 12 (w1), CT 9 (w2); RSV207 CT 10 — all published."""
    cc = AssessmentFactory(ue=c.rsv206, key="CC1", title="Note de synthèse", kind="cc")
    ct = AssessmentFactory(
        ue=c.rsv206, key="CT1", title="Examen final", kind="ct", weight=Decimal(2)
    )
    ct7 = AssessmentFactory(ue=c.rsv207, key="CT1", title="Dossier de projet", kind="ct")
    GradeFactory(assessment=cc, enrolment=e, value=Decimal("12"))
    GradeFactory(assessment=ct, enrolment=e, value=Decimal("9"))
    GradeFactory(assessment=ct7, enrolment=e, value=Decimal("10"))
    return {"cc": cc, "ct": ct, "ct7": ct7}


def session(ue: UE, *, days: float, hours: float = 2, **kwargs: object) -> Session:
    start = timezone.now() + dt.timedelta(days=days)
    return SessionFactory(ue=ue, start=start, end=start + dt.timedelta(hours=hours), **kwargs)


def absent(s: Session, e: Enrolment, **kwargs: object) -> Attendance:
    return Attendance.objects.create(session=s, enrolment=e, presence="absent", **kwargs)


def signed_in(s: StudentProfile) -> Client:
    client = Client()
    client.force_login(s.user)  # django-axes needs a request: sign-in itself is tested apart
    return client


def page(s: StudentProfile, name: str = "certification:student-certification") -> str:
    """The HTML of one of the student's own pages."""
    return signed_in(s).get(reverse(name)).content.decode()


def grade(assessment: Assessment, e: Enrolment, **kwargs: object) -> Grade:
    return GradeFactory(assessment=assessment, enrolment=e, **kwargs)
