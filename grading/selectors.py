"""Reads of the grading app for staff, scoped to their UE and built set-wise."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet

from attendance.rules import AbsenceRate, format_rate
from attendance.selectors import absence_rates, ue_enrolments
from enrolment.models import UE, Enrolment, User

from . import rules
from .models import Assessment, Grade, GradeHistory

HISTOGRAM_BINS = 10  # 0–2, 2–4, …, 18–20


def staff_ues(user: User) -> QuerySet[UE]:
    """The UE this staff member teaches: the only ones they see or change."""
    return (
        UE.objects.filter(assignments__user_id=user.pk)
        .select_related("programme_year", "programme_year__programme")
        .distinct()
        .order_by("programme_year__year", "code")
    )


def staff_assessments(user: User) -> QuerySet[Assessment]:
    return (
        Assessment.objects.filter(ue__assignments__user_id=user.pk)
        .select_related("ue", "ue__programme_year", "makeup_of")
        .distinct()
    )


def staff_grades(user: User) -> QuerySet[Grade]:
    return Grade.objects.filter(assessment__ue__assignments__user_id=user.pk).distinct()


def _info(assessment: Assessment, keys: dict[int, str]) -> rules.AssessmentInfo:
    return rules.AssessmentInfo(
        key=assessment.key,
        ue=str(assessment.ue_id),
        kind=rules.AssessmentKind(assessment.kind),
        weight=assessment.weight,
        makeup_of=keys.get(assessment.makeup_of_id) if assessment.makeup_of_id else None,
    )


def _entry(grade: Grade) -> rules.GradeEntry:
    return rules.GradeEntry(status=rules.GradeStatus(grade.status), value=grade.value)


def ue_results(
    ue: UE,
    enrolments: Sequence[Enrolment],
    *,
    published_only: bool = False,
    assessments: Sequence[Assessment] | None = None,
    grades: Sequence[Grade] | None = None,
) -> dict[int, rules.UEResult]:
    """UE average of each enrolment as it stands (drafts included unless ``published_only``).

    Two queries (none when ``assessments`` and ``grades`` are given).
    """
    if assessments is None:
        assessments = list(Assessment.objects.filter(ue=ue))
    if grades is None:
        grades = list(
            Grade.objects.filter(assessment__ue=ue, enrolment__in=[e.pk for e in enrolments])
        )
    keys = {a.pk: a.key for a in assessments}
    infos = [_info(a, keys) for a in assessments]
    entries: dict[int, dict[str, rules.GradeEntry]] = defaultdict(dict)
    for grade in grades:
        if published_only and not grade.published:
            continue
        if grade.assessment_id in keys:
            entries[grade.enrolment_id][keys[grade.assessment_id]] = _entry(grade)
    pass_mark = ue.programme_year.pass_mark
    return {
        e.pk: rules.ue_result(
            ue=str(ue.pk),
            credits=ue.credits,
            assessments=infos,
            entries=entries.get(e.pk, {}),
            pass_mark=pass_mark,
        )
        for e in enrolments
    }


@dataclass(frozen=True)
class GridRow:
    enrolment: Enrolment
    grade: Grade | None
    result: rules.UEResult

    @property
    def version(self) -> int:
        return self.grade.version if self.grade else 0

    @property
    def average_display(self) -> str:
        return rules.format_grade(self.result.average)


@dataclass(frozen=True)
class Grid:
    assessment: Assessment
    rows: list[GridRow]
    locked: bool
    drafts: int
    published: int


def assessment_grid(assessment: Assessment) -> Grid:
    """Every student following the assessment's UE, their grade and their UE average.

    A fixed number of queries whatever the size of the cohort.
    """
    ue = assessment.ue
    enrolments = list(ue_enrolments(ue))
    assessments = list(Assessment.objects.filter(ue=ue))
    grades = list(Grade.objects.filter(assessment__ue=ue, enrolment__in=[e.pk for e in enrolments]))
    results = ue_results(ue, enrolments, assessments=assessments, grades=grades)
    mine = {g.enrolment_id: g for g in grades if g.assessment_id == assessment.pk}
    rows = [GridRow(e, mine.get(e.pk), results[e.pk]) for e in enrolments]
    own = list(mine.values())
    return Grid(
        assessment=assessment,
        rows=rows,
        locked=any(g.locked for g in own) or assessment_locked(assessment),
        drafts=sum(1 for g in own if not g.published),
        published=sum(1 for g in own if g.published),
    )


def assessment_locked(assessment: Assessment) -> bool:
    """After the jury the grades of the assessment are locked: no more entry."""
    return Grade.objects.filter(assessment=assessment, locked=True).exists()


def grade_history(grade: Grade) -> QuerySet[GradeHistory]:
    return GradeHistory.objects.filter(grade=grade).select_related("by").order_by("at", "pk")


def assessment_history(assessment: Assessment) -> QuerySet[GradeHistory]:
    return (
        GradeHistory.objects.filter(grade__assessment=assessment)
        .select_related("by", "grade__enrolment__student")
        .order_by("-at", "-pk")
    )


# ---- Cohort view ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HistogramBin:
    low: int
    high: int
    count: int

    @property
    def label(self) -> str:
        return f"{self.low}–{self.high}"


@dataclass(frozen=True)
class Histogram:
    assessment: Assessment
    bins: list[HistogramBin]
    graded: int
    not_graded: int

    @property
    def peak(self) -> int:
        return max((b.count for b in self.bins), default=0)

    @property
    def bars(self) -> list[dict[str, object]]:
        """Geometry of the SVG bars (viewBox 0 0 400 200, plot area 30..390 × 10..170)."""
        peak = self.peak or 1
        width = 36
        out = []
        for i, b in enumerate(self.bins):
            height = round(150 * b.count / peak)
            out.append(
                {
                    "bin": b,
                    "x": 30 + i * width + 2,
                    "y": 170 - height,
                    "width": width - 4,
                    "height": height,
                    "label_x": 30 + i * width + width // 2,
                }
            )
        return out


def histogram(assessment: Assessment, grades: Sequence[Grade]) -> Histogram:
    """Counts of graded values per 2-point bin; 20 falls in the last bin (18–20)."""
    counts = [0] * HISTOGRAM_BINS
    graded = 0
    for grade in grades:
        if grade.value is None:
            continue
        graded += 1
        index = min(int(grade.value // 2), HISTOGRAM_BINS - 1)
        counts[index] += 1
    return Histogram(
        assessment=assessment,
        bins=[HistogramBin(2 * i, 2 * i + 2, c) for i, c in enumerate(counts)],
        graded=graded,
        not_graded=len(grades) - graded,
    )


CODES = {"absent": "ABS", "absent_justified": "ABJ", "plagiarism": "PLAGIAT"}


def grade_label(status: str | None, value: Decimal | None) -> str:
    """« 12,50 », a code (ABS, ABJ, PLAGIAT) or « — »."""
    if not status:
        return "—"
    if status == Grade.Status.GRADED:
        return rules.format_grade(value)
    return CODES.get(status, status)


@dataclass(frozen=True)
class HistoryLine:
    entry: GradeHistory
    old: str
    new: str


def history_lines(entries: Sequence[GradeHistory]) -> list[HistoryLine]:
    return [
        HistoryLine(
            e, grade_label(e.old_status, e.old_value), grade_label(e.new_status, e.new_value)
        )
        for e in entries
    ]


@dataclass(frozen=True)
class CohortCell:
    grade: Grade | None

    @property
    def label(self) -> str:
        return grade_label(self.grade.status, self.grade.value) if self.grade else "—"

    @property
    def draft(self) -> bool:
        return self.grade is not None and not self.grade.published


@dataclass(frozen=True)
class CohortRow:
    enrolment: Enrolment
    cells: list[CohortCell]
    result: rules.UEResult
    rate: AbsenceRate | None
    risks: list[str] = field(default_factory=list)

    @property
    def average_display(self) -> str:
        return rules.format_grade(self.result.average)

    @property
    def rate_display(self) -> str:
        return format_rate(self.rate.rate) if self.rate else "—"


@dataclass(frozen=True)
class Cohort:
    ue: UE
    assessments: list[Assessment]
    rows: list[CohortRow]
    histograms: list[Histogram]

    @property
    def at_risk(self) -> list[CohortRow]:
        return [r for r in self.rows if r.risks]


def _risks(result: rules.UEResult, rate: AbsenceRate | None, pass_mark: Decimal) -> list[str]:
    risks = []
    if rate is not None and rate.defaillant:
        risks.append("Absences au-delà du seuil : défaillant·e")
    elif rate is not None and rate.warning:
        risks.append("Absences à 15 % ou plus")
    if result.makeup_pending:
        risks.append("Rattrapage à programmer")
    if result.average is not None and result.average < pass_mark:
        risks.append("Moyenne inférieure à 10")
    return risks


def ue_cohort(ue: UE) -> Cohort:
    """Every student of the UE: grades, UE average (drafts included), absence rate, risks."""
    enrolments = list(ue_enrolments(ue))
    assessments = list(Assessment.objects.filter(ue=ue).order_by("date", "key"))
    grades = list(Grade.objects.filter(assessment__ue=ue, enrolment__in=[e.pk for e in enrolments]))
    results = ue_results(ue, enrolments, assessments=assessments, grades=grades)
    rates = absence_rates(enrolments)
    by_pair = {(g.enrolment_id, g.assessment_id): g for g in grades}
    pass_mark = ue.programme_year.pass_mark
    rows = [
        CohortRow(
            enrolment=e,
            cells=[CohortCell(by_pair.get((e.pk, a.pk))) for a in assessments],
            result=results[e.pk],
            rate=rates.get(e.pk),
            risks=_risks(results[e.pk], rates.get(e.pk), pass_mark),
        )
        for e in enrolments
    ]
    per_assessment: dict[int, list[Grade]] = defaultdict(list)
    for g in grades:
        per_assessment[g.assessment_id].append(g)
    histograms = [histogram(a, per_assessment.get(a.pk, [])) for a in assessments]
    return Cohort(ue=ue, assessments=assessments, rows=rows, histograms=histograms)
