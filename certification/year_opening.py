"""« Ouvrir l'année suivante »: a programme year copied into the next one, in one transaction.

enrolment copies the year (settings, fees, UE with their texts) and says which new UE is the
copy of which old one; grading copies each UE's assessments plan along that mapping. Only
certification may import both, so the orchestration and its preview live here.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from enrolment.catalogue import (
    date_next_year,
    next_year,
    programme_year_open_next,
    year_following,
    year_ues,
)
from enrolment.models import UE, ProgrammeYear, User
from grading.models import Assessment
from grading.services import assessments_copy


@dataclass(frozen=True)
class AssessmentPreview:
    assessment: Assessment
    new_date: dt.date


@dataclass(frozen=True)
class UEPreview:
    ue: UE
    assessments: list[AssessmentPreview]


@dataclass(frozen=True)
class OpeningPreview:
    """What opening the next year would create, or why it cannot."""

    source: ProgrammeYear
    name: str  # « 2025-2026 »
    existing: ProgrammeYear | None  # the next year, if it exists already (refused)
    ues: list[UEPreview]

    @property
    def credits(self) -> int:
        return sum(u.ue.credits for u in self.ues)

    @property
    def n_assessments(self) -> int:
        return sum(len(u.assessments) for u in self.ues)

    @property
    def fees(self) -> Decimal:
        return self.source.fees


def year_opening_preview(programme_year: ProgrammeYear) -> OpeningPreview:
    """The next year's name, each UE and its assessments with their new dates (three queries)."""
    ues = year_ues(programme_year)
    plan: dict[int, list[AssessmentPreview]] = {ue.pk: [] for ue in ues}
    assessments = Assessment.objects.filter(ue__programme_year=programme_year).select_related(
        "makeup_of"
    )
    for a in assessments.order_by("date", "key"):
        plan[a.ue_id].append(AssessmentPreview(assessment=a, new_date=date_next_year(a.date)))
    return OpeningPreview(
        source=programme_year,
        name=next_year(programme_year.year),
        existing=year_following(programme_year),
        ues=[UEPreview(ue=ue, assessments=plan[ue.pk]) for ue in ues],
    )


@transaction.atomic
def year_open_next(*, programme_year: ProgrammeYear, by: User | None) -> ProgrammeYear:
    """Open the next year: settings, fees, UE and assessments plan (never a grade), all or
    nothing. ``CatalogueError`` if that year exists already."""
    opening = programme_year_open_next(programme_year=programme_year, by=by)
    assessments_copy(mapping=opening.ue_mapping, by=by)
    return opening.programme_year
