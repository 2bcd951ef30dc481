"""The staff per-UE cohort: grades and UE averages (grading) beside absence rates (attendance).

It lives here, in the top app, because it combines two peers that never import each other.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from django.utils import timezone

from attendance.rules import AbsenceRate, format_rate
from attendance.selectors import absence_rates
from enrolment.models import UE, Enrolment
from enrolment.selectors import ue_enrolments
from grading import rules
from grading.models import Assessment, Grade
from grading.selectors import Histogram, grade_label, histogram, ue_results
from lib.numbers import plain, plain_percent


@dataclass(frozen=True)
class CohortCell:
    grade: Grade | None

    @property
    def label(self) -> str:
        return grade_label(self.grade.status, self.grade.value) if self.grade else "—"

    @property
    def draft(self) -> bool:
        return self.grade is not None and not self.grade.published


class RiskCode(StrEnum):
    """Why a student is listed in « Élèves à suivre »; templates word each one."""

    ABSENCE_DEFAILLANT = "absence_defaillant"  # figure: the threshold (« 20 % »)
    ABSENCE_WARNING = "absence_warning"  # figure: 3/4 of the threshold (« 15 % »)
    NO_GRADE = "no_grade"  # the assessment's date has passed, nothing entered
    ABSENT = "absent"  # ABS: défaillant, no make-up (RULES.md §6)
    MAKEUP_TO_SCHEDULE = "makeup_to_schedule"  # ABJ, no make-up assessment yet
    MAKEUP_SCHEDULED = "makeup_scheduled"  # ABJ, the make-up is to come
    MAKEUP_NO_GRADE = "makeup_no_grade"  # ABJ, the make-up has passed, nothing entered
    MAKEUP_MISSED_JUSTIFIED = "makeup_missed_justified"  # ABJ again at the make-up
    BELOW_PASS_MARK = "below_pass_mark"  # figure: the programme year's pass mark


@dataclass(frozen=True)
class Risk:
    code: RiskCode
    assessment: Assessment | None = None
    makeup: Assessment | None = None
    figure: str = ""


@dataclass(frozen=True)
class CohortRow:
    enrolment: Enrolment
    cells: list[CohortCell]
    result: rules.UEResult
    rate: AbsenceRate | None
    risks: list[Risk] = field(default_factory=list)

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


def _risks(
    result: rules.UEResult,
    rate: AbsenceRate | None,
    *,
    pass_mark: Decimal,
    by_key: dict[str, Assessment],
    makeup_of: dict[str, Assessment],
    entries: dict[str, Grade],
    today: dt.date,
) -> list[Risk]:
    """Why a student needs following, as codes and figures (the template words them).

    An assessment whose date has passed without any entry counts: a student who missed the
    final exam often has no grade at all until the teacher records ABS or ABJ.
    """
    risks = []
    if rate is not None and rate.defaillant:
        risks.append(Risk(RiskCode.ABSENCE_DEFAILLANT, figure=plain_percent(rate.threshold_pct)))
    elif rate is not None and rate.warning:
        risks.append(
            Risk(RiskCode.ABSENCE_WARNING, figure=plain_percent(rate.threshold_pct * 3 / 4))
        )
    for key in result.missing:
        assessment = by_key[key]
        if assessment.date < today:
            risks.append(Risk(RiskCode.NO_GRADE, assessment))
    for key in result.missed:  # ABS, at an assessment or at the make-up of a justified absence
        risks.append(Risk(RiskCode.ABSENT, by_key[key]))
    for key in result.makeup_pending:
        makeup = makeup_of.get(key)
        if makeup is None:
            risks.append(Risk(RiskCode.MAKEUP_TO_SCHEDULE, by_key[key]))
        elif makeup.key in entries:  # ABJ again at the make-up: the UE waits
            risks.append(Risk(RiskCode.MAKEUP_MISSED_JUSTIFIED, by_key[key], makeup))
        elif makeup.date < today:
            risks.append(Risk(RiskCode.MAKEUP_NO_GRADE, by_key[key], makeup))
        else:
            risks.append(Risk(RiskCode.MAKEUP_SCHEDULED, by_key[key], makeup))
    if result.average is not None and result.average < pass_mark:
        risks.append(Risk(RiskCode.BELOW_PASS_MARK, figure=plain(pass_mark)))
    return risks


def ue_cohort(ue: UE, *, today: dt.date | None = None) -> Cohort:
    """Every student of the UE: grades, UE average (drafts included), absence rate, risks."""
    today = today or timezone.localdate()
    enrolments = list(ue_enrolments(ue))
    assessments = list(Assessment.objects.filter(ue=ue).order_by("date", "key"))
    grades = list(Grade.objects.filter(assessment__ue=ue, enrolment__in=[e.pk for e in enrolments]))
    results = ue_results(ue, enrolments, assessments=assessments, grades=grades)
    rates = absence_rates(enrolments)
    by_pair = {(g.enrolment_id, g.assessment_id): g for g in grades}
    by_key = {a.key: a for a in assessments}
    key_of = {a.pk: a.key for a in assessments}
    makeup_of = {key_of[a.makeup_of_id]: a for a in assessments if a.makeup_of_id in key_of}
    entries: dict[int, dict[str, Grade]] = defaultdict(dict)
    for g in grades:
        entries[g.enrolment_id][key_of[g.assessment_id]] = g
    pass_mark = ue.programme_year.pass_mark
    rows = [
        CohortRow(
            enrolment=e,
            cells=[CohortCell(by_pair.get((e.pk, a.pk))) for a in assessments],
            result=results[e.pk],
            rate=rates.get(e.pk),
            risks=_risks(
                results[e.pk],
                rates.get(e.pk),
                pass_mark=pass_mark,
                by_key=by_key,
                makeup_of=makeup_of,
                entries=entries[e.pk],
                today=today,
            ),
        )
        for e in enrolments
    ]
    per_assessment: dict[int, list[Grade]] = defaultdict(list)
    for g in grades:
        per_assessment[g.assessment_id].append(g)
    histograms = [histogram(a, per_assessment.get(a.pk, [])) for a in assessments]
    return Cohort(ue=ue, assessments=assessments, rows=rows, histograms=histograms)
