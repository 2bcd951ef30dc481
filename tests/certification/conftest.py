"""A small eligible cohort for the certification tests (factories only)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import (
    AssessmentFactory,
    EnrolmentFactory,
    GradeFactory,
    ProgrammeYearFactory,
    RegistrarFactory,
    UEFactory,
)


def deliberate(py, *, by=None, kind=None, reason="", members="Présidente : A. Martin"):
    """Record a deliberation through the service (every mark published beforehand)."""
    from certification.services import jury_deliberate

    return jury_deliberate(
        programme_year=py,
        deliberated_at=timezone.now(),
        members=members,
        by=by,
        kind=kind,
        reason=reason,
    )


def make_cohort(
    n: int = 3, *, failing: int = 0, unpaid: int = 0, deliberated: bool = False
) -> dict:
    """``n`` eligible students, then ``failing`` with a failed UE and ``unpaid`` owing fees.

    Every mark is published; ``deliberated`` records the first deliberation.
    """
    py = ProgrammeYearFactory()
    ue1 = UEFactory(programme_year=py, code="RSV206", credits=8)
    ue2 = UEFactory(programme_year=py, code="RSV207", credits=4)
    a1 = AssessmentFactory(ue=ue1, key="RSV206-CT")
    a2 = AssessmentFactory(ue=ue2, key="RSV207-CT")
    enrolments = []
    for i in range(n + failing + unpaid):
        e = EnrolmentFactory(programme_year=py, fees_due=Decimal("0"))
        if i >= n + failing:
            e.fees_due = Decimal("150.00")
            e.save()
        GradeFactory(assessment=a1, enrolment=e, value=Decimal("14"))
        value = Decimal("8.5") if n <= i < n + failing else Decimal("12")
        GradeFactory(assessment=a2, enrolment=e, value=value)
        enrolments.append(e)
    if deliberated:
        deliberate(py)
    return {"py": py, "ues": [ue1, ue2], "enrolments": enrolments, "assessments": [a1, a2]}


@pytest.fixture
def cohort(db):
    return make_cohort(3, failing=1, unpaid=1)


@pytest.fixture
def deliberated(db):
    """The same cohort after its first deliberation: 3 admis, 1 ajourné, 1 admis owing fees."""
    return make_cohort(3, failing=1, unpaid=1, deliberated=True)


@pytest.fixture
def registrar(db):
    return RegistrarFactory()
