"""Plain data of the relevé de notes (RULES.md §6, §7): published grades only.

Its lines, statuses, averages and jury decision come from ``lines.grade_sheet``, shared with
the student's grades page so the two cannot disagree; grading never imports certification, so
the jury is read from ``ProgrammeYear.frozen_at`` and ``Enrolment.jury_decision``.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from enrolment.documents import (
    ProgrammeInfo,
    StudentIdentity,
    document_reference,
    programme_info,
    student_identity,
)
from enrolment.models import Enrolment, ProgrammeYear
from enrolment.rules import EnrolmentStatus

from .lines import UEBlock, grade_sheet
from .models import Grade
from .rules import format_grade

MSG_PENDING_ENROLMENT = (
    "Votre inscription est en attente de validation : le relevé de notes sera disponible "
    "une fois l'inscription validée et les premières notes publiées."
)
MSG_NO_GRADE = "Aucune note n'a encore été publiée : le relevé sera disponible dès la première."


@dataclass(frozen=True)
class Transcript:
    reference: str
    student: StudentIdentity
    programme: ProgrammeInfo
    pass_mark: str
    ues: tuple[UEBlock, ...]
    credits_obtained: int
    credits_total: int
    provisional: bool
    jury_decision: str  # "" while provisional
    issued_on: dt.date

    @property
    def signature_reason(self) -> str | None:
        """Final once the jury has deliberated (``frozen_at``): signed with this reason.
        Before, it is provisional, says so on every page, and is not signed."""
        return None if self.provisional else "Relevé de notes définitif"


def jury_has_deliberated(programme_year_id: int) -> bool:
    """True once the jury has deliberated (``frozen_at``, set by certification's deliberation)."""
    return ProgrammeYear.objects.filter(pk=programme_year_id, frozen_at__isnull=False).exists()


def transcript_availability(enrolment: Enrolment) -> tuple[bool, list[str]]:
    """Whether the relevé de notes can be downloaded, with the French reasons when not."""
    if enrolment.status == EnrolmentStatus.PENDING:
        return False, [MSG_PENDING_ENROLMENT]
    if not Grade.objects.filter(
        enrolment=enrolment, published=True, assessment__ue__in=enrolment.ues.all()
    ).exists():
        return False, [MSG_NO_GRADE]
    return True, []


def transcript(enrolment: Enrolment) -> Transcript:
    """The relevé de notes of an enrolment from its published grades. Five queries."""
    enrolment = Enrolment.objects.select_related("student", "programme_year__programme").get(
        pk=enrolment.pk
    )
    # The same lines, statuses and decision as the student's grades page.
    sheet = grade_sheet(enrolment)
    return Transcript(
        reference=document_reference("RN", enrolment),
        student=student_identity(enrolment),
        programme=programme_info(enrolment),
        pass_mark=format_grade(enrolment.programme_year.pass_mark),
        ues=sheet.blocks,
        credits_obtained=sheet.credits_obtained,
        credits_total=sheet.credits_total,
        provisional=not sheet.deliberated,
        jury_decision=sheet.jury_decision,
        issued_on=timezone.localdate(),
    )
