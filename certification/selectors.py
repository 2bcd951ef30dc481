"""Results of enrolments, read set-wise: a fixed number of queries for a whole cohort."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from attendance.models import Attendance, Session
from attendance.selectors import session_attendance
from certification.models import Jury
from certification.rules import StudentResult, UEInput, student_result
from enrolment.models import UE, Enrolment, Payment, ProgrammeYear
from grading.models import Assessment, Grade
from grading.rules import AssessmentInfo, GradeEntry
from grading.selectors import assessment_info, grade_entry


@dataclass(frozen=True)
class EnrolmentResult:
    enrolment: Enrolment
    ues: tuple[UE, ...]
    result: StudentResult


def results_for(
    enrolments: Sequence[Enrolment],
    *,
    published_only: bool = False,
    now: datetime | None = None,
) -> list[EnrolmentResult]:
    """Compute every result of these enrolments (all of one programme year or not).

    ``published_only`` hides draft grades, as a student sees them. Seven queries in all.
    """
    if not enrolments:
        return []
    now = now or timezone.now()
    enrolment_ids = [e.pk for e in enrolments]
    year_ids = {e.programme_year_id for e in enrolments}
    years = {py.pk: py for py in ProgrammeYear.objects.filter(pk__in=year_ids)}

    ue_links = Enrolment.ues.through.objects.filter(enrolment_id__in=enrolment_ids)
    ues_of: dict[int, list[int]] = defaultdict(list)
    for link in ue_links:
        ues_of[link.enrolment_id].append(link.ue_id)
    ues = {ue.pk: ue for ue in UE.objects.filter(programme_year_id__in=year_ids)}

    assessments = list(Assessment.objects.filter(ue_id__in=ues.keys()))
    key_of = {a.pk: a.key for a in assessments}
    infos_by_ue: dict[int, list[AssessmentInfo]] = defaultdict(list)
    for a in assessments:
        infos_by_ue[a.ue_id].append(assessment_info(a, ue_code=ues[a.ue_id].code, keys=key_of))

    grades: QuerySet[Grade] = Grade.objects.filter(enrolment_id__in=enrolment_ids)
    if published_only:
        grades = grades.filter(published=True)
    entries: dict[tuple[int, int], dict[str, GradeEntry]] = defaultdict(dict)
    ue_of_assessment = {a.pk: a.ue_id for a in assessments}
    for g in grades.only("assessment_id", "enrolment_id", "status", "value"):
        entries[(g.enrolment_id, ue_of_assessment[g.assessment_id])][key_of[g.assessment_id]] = (
            grade_entry(g)
        )

    sessions = list(
        Session.objects.filter(ue_id__in=ues.keys()).only(
            "ue_id", "kind", "start", "end", "cancelled"
        )
    )
    sessions_by_ue: dict[int, list[Session]] = defaultdict(list)
    for s in sessions:
        sessions_by_ue[s.ue_id].append(s)
    marks: dict[tuple[int, int], Attendance] = {
        (a.enrolment_id, a.session_id): a
        for a in Attendance.objects.filter(enrolment_id__in=enrolment_ids)
        .exclude(presence=Attendance.Presence.PRESENT)
        .only("enrolment_id", "session_id", "presence", "minutes_missed", "justified")
    }

    payments: dict[int, list[Decimal]] = defaultdict(list)
    for p in Payment.objects.filter(enrolment_id__in=enrolment_ids).only("enrolment_id", "amount"):
        payments[p.enrolment_id].append(p.amount)

    out = []
    for enrolment in enrolments:
        py = years[enrolment.programme_year_id]
        my_ues = sorted((ues[u] for u in ues_of[enrolment.pk]), key=lambda u: u.code)
        attended = []
        for ue in my_ues:
            for s in sessions_by_ue[ue.pk]:
                mark = marks.get((enrolment.pk, s.pk))
                attended.append(session_attendance(s, mark, now=now))
        result = student_result(
            ues=[
                UEInput(
                    code=ue.code,
                    credits=ue.credits,
                    assessments=infos_by_ue[ue.pk],
                    entries=entries[(enrolment.pk, ue.pk)],
                )
                for ue in my_ues
            ],
            sessions=attended,
            fees_due=enrolment.fees_due,
            payments=payments[enrolment.pk],
            pass_mark=py.pass_mark,
            absence_threshold_pct=py.absence_threshold_pct,
            justified_absences_count=py.justified_absences_count,
        )
        out.append(EnrolmentResult(enrolment=enrolment, ues=tuple(my_ues), result=result))
    return out


def cohort_enrolments(programme_year: ProgrammeYear) -> QuerySet[Enrolment]:
    """Every enrolment of the cohort that is not withdrawn, by student number."""
    return (
        Enrolment.objects.filter(programme_year=programme_year)
        .exclude(status=Enrolment.Status.WITHDRAWN)
        .select_related("student", "student__user", "programme_year__programme")
        .order_by("student__number")
    )


def cohort_results(
    programme_year: ProgrammeYear,
    *,
    published_only: bool = False,
    now: datetime | None = None,
) -> list[EnrolmentResult]:
    """Results of the whole cohort (what ``export_results`` and the jury show)."""
    return results_for(
        list(cohort_enrolments(programme_year)), published_only=published_only, now=now
    )


def enrolment_result(
    enrolment: Enrolment, *, published_only: bool, now: datetime | None = None
) -> EnrolmentResult:
    return results_for([enrolment], published_only=published_only, now=now)[0]


def latest_jury(programme_year_id: int) -> Jury | None:
    """The deliberation in force: the latest one (RULES.md §7b)."""
    return Jury.objects.filter(programme_year_id=programme_year_id).order_by("-sequence").first()
