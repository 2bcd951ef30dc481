"""Reads of the grading app for staff, scoped to their UE and built set-wise."""

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.db.models import Exists, FilteredRelation, OuterRef, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from enrolment.models import UE, Enrolment, Notification, User
from enrolment.roles import is_registrar
from enrolment.selectors import ue_enrolments
from lib.prepared import Prepared, columns, instance

from . import rules
from .codes import CODES
from .models import Assessment, Grade, GradeHistory

HISTOGRAM_BINS = 10  # 0–2, 2–4, …, 18–20


def staff_ues(user: User) -> QuerySet[UE]:
    """The UE this staff member teaches: the only ones they see or change.

    The registrar sees every UE: correcting a mark after the jury is the UE's teacher's or
    the registrar's move (RULES.md §7b).
    """
    ues = (
        UE.objects.all() if is_registrar(user) else UE.objects.filter(assignments__user_id=user.pk)
    )
    return (
        ues.select_related("programme_year", "programme_year__programme")
        .distinct()
        .order_by("programme_year__year", "code")
    )


def staff_assessments(user: User) -> QuerySet[Assessment]:
    assessments = (
        Assessment.objects.all()
        if is_registrar(user)
        else Assessment.objects.filter(ue__assignments__user_id=user.pk)
    )
    return assessments.select_related("ue", "ue__programme_year", "makeup_of").distinct()


def staff_grades(user: User) -> QuerySet[Grade]:
    if is_registrar(user):
        return Grade.objects.all()
    return Grade.objects.filter(assessment__ue__assignments__user_id=user.pk).distinct()


def makeup_entitlements() -> QuerySet[Grade]:
    """The entries that entitle their student to a make-up: a justified absence at an
    assessment that has one (RULES.md §6, §7b). The make-up is ``assessment__makeup``."""
    return Grade.objects.filter(
        status=Grade.Status.ABSENT_JUSTIFIED, assessment__makeup__isnull=False
    )


def assessment_enrolments(assessment: Assessment) -> QuerySet[Enrolment]:
    """The students an assessment concerns: those following its UE, and for a make-up only
    those entitled to it (RULES.md §7b). The grid, its spreadsheets and staff writes use it."""
    enrolments = ue_enrolments(assessment.ue)
    if assessment.makeup_of_id is None:
        return enrolments
    entitled = makeup_entitlements().filter(assessment_id=assessment.makeup_of_id)
    return enrolments.filter(pk__in=entitled.values("enrolment_id"))


def makeup_days_not_entitled(enrolment: Enrolment) -> set[tuple[int, dt.date]]:
    """(UE id, date) of the make-ups of the enrolment's UE it is not entitled to, where no
    other assessment of that UE concerns it that day: exams it is not convened to. One query.
    """
    rows = (
        Assessment.objects.filter(ue__in=enrolment.ues.all())
        .annotate(
            entitled=Exists(
                makeup_entitlements().filter(
                    enrolment_id=enrolment.pk, assessment_id=OuterRef("makeup_of_id")
                )
            )
        )
        .values_list("ue_id", "date", "makeup_of_id", "entitled")
    )
    concerned: set[tuple[int, dt.date]] = set()
    not_entitled: set[tuple[int, dt.date]] = set()
    for ue_id, date, makeup_of_id, entitled in rows:
        if makeup_of_id is None or entitled:
            concerned.add((ue_id, date))
        else:
            not_entitled.add((ue_id, date))
    return not_entitled - concerned


def assessment_info(
    assessment: Assessment, *, ue_code: str, keys: Mapping[int, str]
) -> rules.AssessmentInfo:
    """What the rules read of an assessment; ``keys`` maps the UE's assessment ids to keys."""
    return rules.AssessmentInfo(
        key=assessment.key,
        ue=ue_code,
        kind=rules.AssessmentKind(assessment.kind),
        weight=assessment.weight,
        makeup_of=keys.get(assessment.makeup_of_id) if assessment.makeup_of_id else None,
    )


class GradeRead(Protocol):
    """What ``grade_entry`` reads of a grade: a ``Grade``, or a row read as a tuple."""

    @property
    def status(self) -> str: ...
    @property
    def value(self) -> Decimal | None: ...


def grade_entry(grade: GradeRead) -> rules.GradeEntry:
    """What the rules read of a grade."""
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
    infos = [assessment_info(a, ue_code=ue.code, keys=keys) for a in assessments]
    entries: dict[int, dict[str, rules.GradeEntry]] = defaultdict(dict)
    for grade in grades:
        if published_only and not grade.published:
            continue
        if grade.assessment_id in keys:
            entries[grade.enrolment_id][keys[grade.assessment_id]] = grade_entry(grade)
    pass_mark = ue.programme_year.pass_mark
    return {
        e.pk: rules.ue_result(
            ue=ue.code,
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
    """Every student the assessment concerns (``assessment_enrolments``), their grade and
    their UE average; its counts are of these students only.

    A fixed number of queries whatever the size of the cohort.
    """
    ue = assessment.ue
    enrolments = list(assessment_enrolments(assessment))
    assessments = list(Assessment.objects.filter(ue=ue))
    grades = list(Grade.objects.filter(assessment__ue=ue, enrolment__in=[e.pk for e in enrolments]))
    results = ue_results(ue, enrolments, assessments=assessments, grades=grades)
    mine = {g.enrolment_id: g for g in grades if g.assessment_id == assessment.pk}
    rows = [GridRow(e, mine.get(e.pk), results[e.pk]) for e in enrolments]
    own = list(mine.values())
    return Grid(
        assessment=assessment,
        rows=rows,
        # Locked once every entry is: after the jury one mark may be unlocked for correction.
        locked=bool(own) and all(g.locked for g in own),
        drafts=sum(1 for g in own if not g.published),
        published=sum(1 for g in own if g.published),
    )


@dataclass(frozen=True)
class PublishPreview:
    """What « Publier » will do, told before it is done: grades made visible, e-mails sent,
    corrections left as drafts (only the next deliberation publishes them, RULES.md §7b)."""

    to_publish: int
    emails: int
    under_correction: int


def publish_preview(assessment: Assessment) -> PublishPreview:
    """The figures of the publish confirmation (four queries at most).

    ``emails`` counts what ``grading.notifications.grades_published`` will send: every student
    with a grade visible after publication, with an address, not yet told about this
    assessment (its key is ``grades-published:<assessment>:<enrolment>``) — so it may include
    a student whose grade was published earlier without an e-mail (by the jury, say).
    """
    drafts = Grade.objects.filter(assessment=assessment, published=False)
    to_publish = drafts.filter(under_correction=False).count()
    under_correction = drafts.filter(under_correction=True).count()
    if not to_publish:  # nothing sent either: the view then does not publish at all
        return PublishPreview(to_publish=0, emails=0, under_correction=under_correction)
    told = Notification.objects.filter(
        key__startswith=f"grades-published:{assessment.pk}:"
    ).values_list("key", flat=True)
    addressed = (
        Grade.objects.filter(assessment=assessment)
        .filter(Q(published=True) | Q(under_correction=False))
        .exclude(Q(enrolment__student__user__email="") & Q(enrolment__student__email=""))
        .values_list("enrolment_id", flat=True)
    )
    emails = len(set(addressed) - {int(key.rsplit(":", 1)[1]) for key in told})
    return PublishPreview(to_publish=to_publish, emails=emails, under_correction=under_correction)


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
    """Counts of graded values per 2-point bin; 20 falls in the last bin (18–20).

    A make-up counts only the students entitled to it (one query for a make-up, none else).
    """
    if assessment.makeup_of_id is not None:
        entitled = set(
            makeup_entitlements()
            .filter(assessment_id=assessment.makeup_of_id)
            .values_list("enrolment_id", flat=True)
        )
        grades = [g for g in grades if g.enrolment_id in entitled]
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


def grade_label(status: str | None, value: Decimal | None) -> str:
    """« 12,50 », a code (ABS, ABJ, PLAGIAT) or « — »."""
    if not status:
        return "—"
    if status == Grade.Status.GRADED:
        return rules.format_grade(value)
    return CODES.get(status, status)


# Who a change without an author (imports, commands, the jury's lock) is shown as.
AUTHORLESS: dict[str, Promise] = {
    GradeHistory.Source.IMPORT: _("import"),
    GradeHistory.Source.COHORT_IMPORT: _("import"),
    GradeHistory.Source.COMMAND: _("système"),
    GradeHistory.Source.JURY: _("système"),
    GradeHistory.Source.PUBLICATION: _("système"),
}


@dataclass(frozen=True)
class HistoryLine:
    entry: GradeHistory
    old: str
    new: str

    @property
    def author(self) -> str:
        """The author's name; « import », « système » or the origin when there is none."""
        by = self.entry.by
        if by is not None:
            return by.get_full_name() or by.username
        if self.entry.source in AUTHORLESS:
            return str(AUTHORLESS[self.entry.source])
        return str(self.entry.get_source_display())


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
    # Assessments whose mark, unlocked after the jury, has a draft change under correction
    # (RULES.md §7b): the line says so, without the draft's value.
    corrected: frozenset[int] = frozenset()


# The read of published_ue_results, compiled once per process (every grades page and relevé
# runs it): rows as tuples, turned into the instances the ORM would build (each UE without its
# programme year, of which the rules read the pass mark only). One row per assessment of each
# UE (by code, then date and key), or one row of NULL assessment columns for a UE without any;
# on each row, the student's grade on that assessment if it is published or a draft under
# correction (only its assessment is used: a draft's value never leaves
# published_ue_results), else NULL grade columns.
_UE_ROWS = Prepared(
    lambda enrolment_id: (
        UE.objects.filter(enrolments=enrolment_id)
        .annotate(
            _grade=FilteredRelation(
                "assessments__grades",
                condition=Q(assessments__grades__enrolment_id=enrolment_id)
                & (
                    Q(assessments__grades__published=True)
                    | Q(assessments__grades__under_correction=True)
                ),
            )
        )
        .order_by("code", "pk", "assessments__date", "assessments__key")
        .values_list(
            *columns(UE),
            "programme_year__pass_mark",  # all the rules read of the programme year
            *columns(Assessment, "assessments__"),
            *columns(Assessment, "assessments__makeup_of__"),
            *columns(Grade, "_grade__"),
        )
    )
)


def published_ue_results(enrolment: Enrolment) -> list[PublishedUE]:
    """Each UE of the enrolment (by code) with its UE result over PUBLISHED grades only.

    The one source of the grades page and the relevé de notes, so they cannot disagree.
    One query whatever the number of UE, assessments or grades.
    """
    using = enrolment._state.db or "default"
    n_ue, n_assessment = len(UE._meta.concrete_fields), len(Assessment._meta.concrete_fields)
    a_start = n_ue + 1
    m_start = a_start + n_assessment
    g_start = m_start + n_assessment
    ues: list[UE] = []
    pass_marks: dict[int, Decimal] = {}
    assessments_by_ue: dict[int, list[Assessment]] = defaultdict(list)
    grades: dict[int, Grade] = {}
    corrected: set[int] = set()
    for row in _UE_ROWS.rows(using, enrolment_id=enrolment.pk):
        if not ues or ues[-1].pk != row[0]:
            ue = instance(UE, row[:n_ue], using)
            pass_marks[ue.pk] = row[n_ue]
            ues.append(ue)
        if row[a_start] is None:  # a UE without any assessment
            continue
        assessment = instance(Assessment, row[a_start:m_start], using)
        if assessment.makeup_of_id is not None:
            assessment.makeup_of = instance(Assessment, row[m_start:g_start], using)
        assessments_by_ue[assessment.ue_id].append(assessment)
        if row[g_start] is None:  # no grade shown on this assessment
            continue
        grade = instance(Grade, row[g_start:], using)
        if grade.published:
            grades[grade.assessment_id] = grade
        else:  # a draft under correction
            corrected.add(grade.assessment_id)
    out = []
    for ue in ues:
        assessments = assessments_by_ue[ue.pk]
        key_of = {a.pk: a.key for a in assessments}
        result = rules.ue_result(
            ue=ue.code,
            credits=ue.credits,
            assessments=[assessment_info(a, ue_code=ue.code, keys=key_of) for a in assessments],
            entries={a.key: grade_entry(grades[a.pk]) for a in assessments if a.pk in grades},
            pass_mark=pass_marks[ue.pk],
        )
        mine = {a.pk: grades[a.pk] for a in assessments if a.pk in grades}
        out.append(
            PublishedUE(
                ue=ue,
                assessments=assessments,
                grades=mine,
                result=result,
                corrected=frozenset(a.pk for a in assessments if a.pk in corrected),
            )
        )
    return out
