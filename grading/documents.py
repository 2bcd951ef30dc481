"""Plain data of the relevé de notes (RULES.md §6, §7): published grades only.

The averages come from ``selectors.published_ue_results`` (``grading.rules.ue_result`` over
published grades), shared with the student's grades page so the two cannot disagree;
grading never imports certification, so the jury is read through the reverse relation name.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

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

from .models import Assessment, Grade
from .rules import GradeStatus, UEResult, UEStatus, format_grade
from .selectors import published_ue_results

MSG_PENDING_ENROLMENT = (
    "Votre inscription est en attente de validation : le relevé de notes sera disponible "
    "une fois l'inscription validée et les premières notes publiées."
)
MSG_NO_GRADE = "Aucune note n'a encore été publiée : le relevé sera disponible dès la première."

DECISIONS = {
    UEStatus.VALIDATED: ("Validée", "ok"),
    UEStatus.FAILED: ("Non validée", "ko"),
    UEStatus.PENDING: ("En attente", "wait"),
}
STATUS_LABELS = {
    GradeStatus.GRADED: "",
    GradeStatus.ABSENT: "Absent(e) — compte 0",
    GradeStatus.ABSENT_JUSTIFIED: "Absence justifiée — rattrapage",
    GradeStatus.PLAGIARISM: "Plagiat — compte 0",
}


@dataclass(frozen=True)
class AssessmentLine:
    date: dt.date
    label: str
    kind_label: str
    coefficient: str
    mark: str
    status_label: str
    is_makeup: bool


@dataclass(frozen=True)
class TranscriptUE:
    code: str
    title: str
    credits: int
    average: str
    decision: str
    decision_class: str
    credits_obtained: int
    lines: tuple[AssessmentLine, ...]
    waiting_for: tuple[str, ...]


@dataclass(frozen=True)
class Transcript:
    reference: str
    student: StudentIdentity
    programme: ProgrammeInfo
    pass_mark: str
    ues: tuple[TranscriptUE, ...]
    credits_obtained: int
    credits_total: int
    provisional: bool
    issued_on: dt.date


def _coefficient(weight: Decimal) -> str:
    return f"{weight.normalize():f}".replace(".", ",")


def _label(assessment: Assessment) -> str:
    return assessment.title or f"{assessment.get_kind_display()} {assessment.key}"


def jury_has_deliberated(programme_year_id: int) -> bool:
    """True once the programme year has its certification.Jury row (read without importing it)."""
    return ProgrammeYear.objects.filter(pk=programme_year_id, jury__isnull=False).exists()


def transcript_availability(enrolment: Enrolment) -> tuple[bool, list[str]]:
    """Whether the relevé de notes can be downloaded, with the French reasons when not."""
    if enrolment.status == EnrolmentStatus.PENDING:
        return False, [MSG_PENDING_ENROLMENT]
    if not Grade.objects.filter(
        enrolment=enrolment, published=True, assessment__ue__in=enrolment.ues.all()
    ).exists():
        return False, [MSG_NO_GRADE]
    return True, []


def _ue_lines(
    assessments: list[Assessment], grades: dict[int, Grade], result: UEResult
) -> tuple[tuple[AssessmentLine, ...], tuple[str, ...]]:
    by_key = {a.key: a for a in assessments}
    lines: list[AssessmentLine] = []
    for assessment in assessments:
        grade = grades.get(assessment.pk)
        if assessment.makeup_of_id is not None:
            original_grade = grades.get(assessment.makeup_of_id)
            # A make-up concerns the student only after a justified absence at the original.
            if grade is None and (
                original_grade is None or original_grade.status != GradeStatus.ABSENT_JUSTIFIED
            ):
                continue
        if grade is None:
            mark, status_label = "—", "Note non publiée"
        else:
            status = GradeStatus(grade.status)
            mark = "—" if status == GradeStatus.ABSENT_JUSTIFIED else format_grade(grade.value)
            if status in {GradeStatus.ABSENT, GradeStatus.PLAGIARISM}:
                mark = format_grade(Decimal(0))
            status_label = STATUS_LABELS[status]
        label = _label(assessment)
        if assessment.makeup_of_id is not None:
            original = next((a for a in assessments if a.pk == assessment.makeup_of_id), None)
            label = f"Rattrapage — {_label(original) if original else label}"
        lines.append(
            AssessmentLine(
                date=assessment.date,
                label=label,
                kind_label=str(assessment.get_kind_display()),
                coefficient=_coefficient(assessment.weight),
                mark=mark,
                status_label=status_label,
                is_makeup=assessment.makeup_of_id is not None,
            )
        )
    waiting = [f"note de « {_label(by_key[key])} » non publiée" for key in result.missing]
    waiting += [f"rattrapage de « {_label(by_key[key])} »" for key in result.makeup_pending]
    if not result.has_assessment:
        waiting.append("aucune évaluation n'est encore programmée")
    return tuple(lines), tuple(waiting)


def transcript(enrolment: Enrolment) -> Transcript:
    """The relevé de notes of an enrolment from its published grades. Five queries."""
    enrolment = Enrolment.objects.select_related("student", "programme_year__programme").get(
        pk=enrolment.pk
    )
    programme_year = enrolment.programme_year
    blocks: list[TranscriptUE] = []
    for published in published_ue_results(enrolment):
        ue, result = published.ue, published.result
        lines, waiting = _ue_lines(published.assessments, published.grades, result)
        decision, decision_class = DECISIONS[result.status]
        blocks.append(
            TranscriptUE(
                code=ue.code,
                title=ue.title,
                credits=ue.credits,
                average=format_grade(result.average),
                decision=decision,
                decision_class=decision_class,
                credits_obtained=result.credits,
                lines=lines,
                waiting_for=waiting,
            )
        )
    return Transcript(
        reference=document_reference("RN", enrolment),
        student=student_identity(enrolment),
        programme=programme_info(enrolment),
        pass_mark=format_grade(programme_year.pass_mark),
        ues=tuple(blocks),
        credits_obtained=sum(b.credits_obtained for b in blocks),
        credits_total=sum(b.credits for b in blocks),
        provisional=not jury_has_deliberated(programme_year.pk),
        issued_on=timezone.localdate(),
    )
