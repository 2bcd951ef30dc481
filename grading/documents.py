"""Plain data of the relevé de notes (RULES.md §6, §7): published grades only.

The averages come from ``grading.rules.ue_result``, the one implementation of the UE average;
grading never imports certification, so the jury is read through the reverse relation name.
"""

import datetime as dt
from collections import defaultdict
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
from .rules import (
    AssessmentInfo,
    AssessmentKind,
    GradeEntry,
    GradeStatus,
    UEResult,
    UEStatus,
    format_grade,
    ue_result,
)

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
    ues = list(enrolment.ues.order_by("code"))
    assessments_by_ue: dict[int, list[Assessment]] = defaultdict(list)
    for assessment in Assessment.objects.filter(ue__in=ues).order_by("date", "key"):
        assessments_by_ue[assessment.ue_id].append(assessment)
    grades = {
        g.assessment_id: g
        for g in Grade.objects.filter(enrolment=enrolment, published=True, assessment__ue__in=ues)
    }

    blocks: list[TranscriptUE] = []
    for ue in ues:
        assessments = assessments_by_ue[ue.pk]
        key_of = {a.pk: a.key for a in assessments}
        result = ue_result(
            ue=ue.code,
            credits=ue.credits,
            assessments=[
                AssessmentInfo(
                    key=a.key,
                    ue=ue.code,
                    kind=AssessmentKind(a.kind),
                    weight=a.weight,
                    makeup_of=key_of.get(a.makeup_of_id) if a.makeup_of_id else None,
                )
                for a in assessments
            ],
            entries={
                a.key: GradeEntry(status=GradeStatus(grades[a.pk].status), value=grades[a.pk].value)
                for a in assessments
                if a.pk in grades
            },
            pass_mark=programme_year.pass_mark,
        )
        lines, waiting = _ue_lines(assessments, grades, result)
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
