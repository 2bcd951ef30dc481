"""A small cohort carried through the jury lifecycle with the real services (RULES.md §7b).

Four students, one story each:
- ``good``: everything validated (admis from the first deliberation; corrected by the
  rectificatif into ajourné, so her certificate is flagged, then revoked);
- ``makeup``: justified absence at the RSV206 exam (en attente), make-up 14 (admis at the
  second session; certificate revoked for a typo and replaced);
- ``failed``: RSV207 at 8 (ajourné);
- ``missed``: absent at the RSV206 exam (défaillant).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from certification import services
from certification.models import Certificate, Jury
from enrolment.models import Enrolment, ProgrammeYear, User
from grading.models import Assessment, Grade, GradeHistory
from grading.services import GradeChange, assessment_publish, grades_apply
from tests.factories import (
    AssessmentFactory,
    EnrolmentFactory,
    ProgrammeYearFactory,
    RegistrarFactory,
    StudentFactory,
    UEFactory,
    UserFactory,
)

MEMBERS = "Présidente : A. Martin\nB. Durand"


@dataclass
class World:
    py: ProgrammeYear
    registrar: User
    students: dict[str, Enrolment]
    cc: Assessment
    ct: Assessment
    makeup: Assessment
    ct207: Assessment

    def grade(self, who: str, assessment: Assessment) -> Grade:
        return Grade.objects.get(enrolment=self.students[who], assessment=assessment)

    def enter(self, who: str, assessment: Assessment, status: str, value: str | None) -> None:
        grades_apply(
            changes=[
                GradeChange(
                    assessment_id=assessment.pk,
                    enrolment_id=self.students[who].pk,
                    status=status,
                    value=Decimal(value) if value is not None else None,
                )
            ],
            by=self.registrar,
            source=GradeHistory.Source.GRID,
        )

    def publish_all(self) -> None:
        for assessment in (self.cc, self.ct, self.makeup, self.ct207):
            assessment_publish(assessment=assessment, by=self.registrar)

    def deliberate(self, *, kind: str | None = None, reason: str = "", days: int = 0) -> Jury:
        return services.jury_deliberate(
            programme_year=self.py,
            deliberated_at=timezone.now() + dt.timedelta(minutes=days),
            members=MEMBERS,
            by=self.registrar,
            kind=kind,
            reason=reason,
        )

    def issue(self, who: str) -> Certificate:
        return services.certificate_issue(enrolment=self.students[who], by=self.registrar)


def build_world() -> World:
    """The cohort with every mark entered as a draft (nothing published yet)."""
    py = ProgrammeYearFactory()
    rsv206 = UEFactory(programme_year=py, code="RSV206", credits=8)
    rsv207 = UEFactory(programme_year=py, code="RSV207", credits=4)
    cc = AssessmentFactory(ue=rsv206, key="RSV206-CC", kind="cc", weight=Decimal("1"))
    ct = AssessmentFactory(ue=rsv206, key="RSV206-CT", kind="ct", weight=Decimal("2"))
    makeup = AssessmentFactory(
        ue=rsv206,
        key="RSV206-R",
        kind="ct",
        weight=Decimal("2"),
        makeup_of=ct,
        date=dt.date(2025, 6, 20),
    )
    ct207 = AssessmentFactory(ue=rsv207, key="RSV207-CT", kind="ct", weight=Decimal("1"))
    names = {"good": "Rousseau", "makeup": "Lefèvre", "failed": "Garnier", "missed": "Moreau"}
    students = {}
    for i, (who, last_name) in enumerate(names.items()):
        user = UserFactory(first_name="Élève", last_name=last_name)
        student = StudentFactory(user=user, number=f"23000{i + 1:02d}")
        students[who] = EnrolmentFactory(student=student, programme_year=py)
    world = World(
        py=py,
        registrar=RegistrarFactory(),
        students=students,
        cc=cc,
        ct=ct,
        makeup=makeup,
        ct207=ct207,
    )
    marks = {
        "good": ("12", ("graded", "15"), "11"),
        "makeup": ("13", ("absent_justified", None), "12"),
        "failed": ("14", ("graded", "12"), "8"),
        "missed": ("10", ("absent", None), "16"),
    }
    for who, (cc_mark, (ct_status, ct_mark), mark207) in marks.items():
        world.enter(who, cc, "graded", cc_mark)
        world.enter(who, ct, ct_status, ct_mark)
        world.enter(who, ct207, "graded", mark207)
    return world
