"""Reads of the grading app for staff, scoped to their UE and built set-wise."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from enrolment.models import UE, Enrolment, User
from enrolment.selectors import ue_enrolments

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


# ---- Published results of one enrolment (the student's grades page and the transcript) --------


@dataclass(frozen=True)
class PublishedUE:
    """One UE of an enrolment as a student may see it: published grades only."""

    ue: UE
    assessments: list[Assessment]  # by date then key, make-ups with their ``makeup_of``
    grades: dict[int, Grade]  # published grade by assessment id
    result: rules.UEResult


def published_ue_results(enrolment: Enrolment) -> list[PublishedUE]:
    """Each UE of the enrolment (by code) with its UE result over PUBLISHED grades only.

    The one source of the grades page and the relevé de notes, so they cannot disagree.
    Three queries whatever the number of UE, assessments or grades.
    """
    ues = list(enrolment.ues.select_related("programme_year").order_by("code"))
    assessments_by_ue: dict[int, list[Assessment]] = defaultdict(list)
    for assessment in (
        Assessment.objects.filter(ue__in=ues).select_related("makeup_of").order_by("date", "key")
    ):
        assessments_by_ue[assessment.ue_id].append(assessment)
    grades = {
        g.assessment_id: g
        for g in Grade.objects.filter(enrolment=enrolment, published=True, assessment__ue__in=ues)
    }
    out = []
    for ue in ues:
        assessments = assessments_by_ue[ue.pk]
        key_of = {a.pk: a.key for a in assessments}
        result = rules.ue_result(
            ue=ue.code,
            credits=ue.credits,
            assessments=[
                rules.AssessmentInfo(
                    key=a.key,
                    ue=ue.code,
                    kind=rules.AssessmentKind(a.kind),
                    weight=a.weight,
                    makeup_of=key_of.get(a.makeup_of_id) if a.makeup_of_id else None,
                )
                for a in assessments
            ],
            entries={a.key: _entry(grades[a.pk]) for a in assessments if a.pk in grades},
            pass_mark=ue.programme_year.pass_mark,
        )
        mine = {a.pk: grades[a.pk] for a in assessments if a.pk in grades}
        out.append(PublishedUE(ue=ue, assessments=assessments, grades=mine, result=result))
    return out
