"""What a student may read of their grades: published entries only, per UE and assessment."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from enrolment.models import UE, Enrolment

from .models import Assessment, Grade, GradeHistory
from .rules import UEResult, format_grade
from .selectors import published_ue_results


@dataclass(frozen=True)
class GradeLine:
    assessment: Assessment
    grade: Grade | None  # None: nothing published yet (a draft stays invisible)

    @property
    def is_makeup(self) -> bool:
        return self.assessment.makeup_of_id is not None

    @property
    def weight_display(self) -> str:
        return f"{self.assessment.weight.normalize():f}".replace(".", ",")

    @property
    def value_display(self) -> str:
        if self.grade is None:
            return "—"
        if self.grade.status == Grade.Status.GRADED:
            return format_grade(self.grade.value)
        if self.grade.status in (Grade.Status.ABSENT, Grade.Status.PLAGIARISM):
            return format_grade(Decimal(0))  # both count 0 (booklet §4.2, §4.4)
        return "—"

    @property
    def status_label(self) -> str:
        if self.grade is None:
            return _("Pas encore de note publiée")
        labels = {
            Grade.Status.GRADED: "",
            Grade.Status.ABSENT: _("Absent·e : compte 0, défaillant·e"),
            Grade.Status.ABSENT_JUSTIFIED: _("Absence justifiée → rattrapage"),
            Grade.Status.PLAGIARISM: _("Plagiat : compte 0"),
        }
        return str(labels[Grade.Status(self.grade.status)])


@dataclass(frozen=True)
class UEGrades:
    ue: UE
    lines: list[GradeLine]


def _concerns(assessment: Assessment, grades: dict[int, Grade]) -> bool:
    """A make-up concerns the student only after a justified absence at its original."""
    if assessment.makeup_of_id is None or assessment.pk in grades:
        return True
    original = grades.get(assessment.makeup_of_id)
    return original is not None and original.status == Grade.Status.ABSENT_JUSTIFIED


def waiting_for(result: UEResult) -> list[str]:
    """Why a pending UE has no decision yet, worded as on the certification page."""
    if not result.pending:
        return []
    waits = []
    if not result.has_assessment:
        waits.append(_("aucune évaluation prévue"))
    if result.missing:
        waits.append(_("aucune note pour %(keys)s") % {"keys": ", ".join(result.missing)})
    if result.makeup_pending:
        waits.append(
            _("rattrapage attendu pour %(keys)s") % {"keys": ", ".join(result.makeup_pending)}
        )
    return [_("UE %(ue)s en attente : %(waits)s") % {"ue": result.ue, "waits": " ; ".join(waits)}]


@dataclass(frozen=True)
class UEBlock:
    grades: UEGrades
    result: UEResult
    waits_for: list[str]

    @property
    def average_display(self) -> str:
        return format_grade(self.result.average)


@dataclass(frozen=True)
class GradesOverview:
    blocks: list[UEBlock]

    @property
    def credits(self) -> int:
        """ECTS credits of the validated UE."""
        return sum(b.result.credits for b in self.blocks)


def published_grades(enrolment: Enrolment) -> GradesOverview:
    """Each UE of the enrolment with its assessments, published grades and UE result.

    Built on ``selectors.published_ue_results``, as the relevé de notes is. Three queries.
    """
    blocks = []
    for published in published_ue_results(enrolment):
        grades = published.grades
        # Each make-up right after the assessment it replaces.
        ordered = sorted(
            published.assessments,
            key=lambda a: (a.makeup_of.date if a.makeup_of else a.date, a.makeup_of_id or 0, a.key),
        )
        lines = [GradeLine(a, grades.get(a.pk)) for a in ordered if _concerns(a, grades)]
        blocks.append(
            UEBlock(
                grades=UEGrades(published.ue, lines),
                result=published.result,
                waits_for=waiting_for(published.result),
            )
        )
    return GradesOverview(blocks)


def recently_published(enrolment: Enrolment, *, since: dt.datetime) -> list[Grade]:
    """Grades of the enrolment made visible since ``since`` (their publication history)."""
    published_ids = GradeHistory.objects.filter(
        grade__enrolment=enrolment, action=GradeHistory.Action.PUBLISH, at__gte=since
    ).values("grade_id")
    return list(
        Grade.objects.filter(pk__in=published_ids, published=True)
        .select_related("assessment__ue")
        .order_by("assessment__ue__code", "assessment__date")
    )


def scheduled_makeups(enrolment: Enrolment) -> dict[tuple[str, str], Assessment]:
    """Make-ups of the enrolment's UE by (UE code, key of the original assessment)."""
    return {
        (a.ue.code, a.makeup_of.key): a
        for a in Assessment.objects.filter(
            ue__enrolments=enrolment, makeup_of__isnull=False
        ).select_related("ue", "makeup_of")
    }
