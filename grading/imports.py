"""The cohort import's writes on what grading owns (certification/interchange/importer.py).

A year's assessments and the grades of its students. Each function takes plain rows, reads
what is stored once and writes only the difference, set-wise; grades go through
``services.grades_apply`` (versions, locks, one history row per change, source
« Import de promotion »).

The caller holds the transaction around the whole import and has checked the file first,
the jury freeze included (RULES.md §7b: after the jury, assessments do not change and locked
grades are refused by ``grades_apply`` itself).
"""

from collections.abc import Collection, Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.db import transaction

from enrolment.imports import Counts
from enrolment.models import User
from lib.bulk import upsert_by_key

from .models import Assessment, Grade, GradeHistory
from .services import ApplyReport, GradeChange, grades_apply

_ASSESSMENT_FIELDS = ("ue_id", "kind", "weight", "date", "title")


class AssessmentRow(NamedTuple):
    key: str
    ue_id: int
    kind: str
    weight: Decimal
    date: date
    title: str
    makeup_of: str | None  # the key of the assessment this one is the make-up of


class GradeRow(NamedTuple):
    assessment_id: int
    enrolment_id: int
    status: str
    value: Decimal | None


@transaction.atomic
def assessments_upsert(
    *, programme_year_id: int, rows: Sequence[AssessmentRow]
) -> tuple[dict[str, int], Counts]:
    """The year's assessments of ``rows`` (by key), created or brought up to date, make-up
    links included (a link no longer in ``rows`` is removed); returns the id by key."""
    existing, new, changed = upsert_by_key(
        Assessment.objects.filter(ue__programme_year_id=programme_year_id),
        {row.key: {f: getattr(row, f) for f in _ASSESSMENT_FIELDS} for row in rows},
        _ASSESSMENT_FIELDS,
    )
    # Make-up links once every assessment has an id.
    relinked = []
    for row in rows:
        assessment = existing[row.key]
        wanted_id = existing[row.makeup_of].pk if row.makeup_of else None
        if assessment.makeup_of_id != wanted_id:
            assessment.makeup_of_id = wanted_id
            relinked.append(assessment)
    if relinked:
        # Links removed first: a make-up moving from one assessment to another stays unique.
        Assessment.objects.bulk_update(
            [a for a in relinked if a.makeup_of_id is None], ["makeup_of"]
        )
        Assessment.objects.bulk_update(
            [a for a in relinked if a.makeup_of_id is not None], ["makeup_of"]
        )
    new_keys = {a.key for a in new}
    updated = {a.pk for a in changed} | {a.pk for a in relinked if a.key not in new_keys}
    ids = {key: a.pk for key, a in existing.items()}
    return ids, Counts(created=len(new), updated=len(updated))


@transaction.atomic
def grades_upsert(
    *,
    assessment_ids: Collection[int],
    enrolment_ids: Collection[int],
    rows: Iterable[GradeRow],
    by: User | None,
    reason: str,
) -> ApplyReport:
    """The grades of ``rows`` (within these assessments and enrolments) written through
    ``grades_apply`` as a cohort import, locked grades refused; only those that differ from
    what is stored are handed over, so a file imported again writes nothing.

    Raises ``GradeWriteError`` (nothing written) as ``grades_apply`` does.
    """
    enrolments = set(enrolment_ids)
    current = {
        (assessment_id, enrolment_id): (status, value)
        for assessment_id, enrolment_id, status, value in Grade.objects.filter(
            assessment_id__in=list(assessment_ids)
        ).values_list("assessment_id", "enrolment_id", "status", "value")
        if enrolment_id in enrolments
    }
    changes = [
        GradeChange(
            assessment_id=row.assessment_id,
            enrolment_id=row.enrolment_id,
            status=row.status,
            value=row.value,
        )
        for row in rows
        if current.get((row.assessment_id, row.enrolment_id)) != (row.status, row.value)
    ]
    if not changes:
        return ApplyReport()
    return grades_apply(
        changes=changes,
        by=by,
        source=GradeHistory.Source.COHORT_IMPORT,
        reason=reason,
        allow_locked=False,
    )
