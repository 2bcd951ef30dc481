"""The staff per-UE cohort: grades and UE averages (grading) beside absence rates (attendance).

It lives here, in the top app, because it combines two peers that never import each other.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from attendance.rules import AbsenceRate, format_rate
from attendance.selectors import absence_rates
from enrolment.models import UE, Enrolment
from enrolment.selectors import ue_enrolments
from grading import rules
from grading.models import Assessment, Grade
from grading.selectors import Histogram, grade_label, histogram, ue_results


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
