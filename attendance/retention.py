"""Retention of justification files (issue 14): deleting the files of a cohort, keeping the rows.

Which cohorts are due is decided by certification (the jury's dates); this module deletes the
files of the cohorts it is given: ``Attendance.justification_document`` (attached by a teacher
or the registrar, or copied from an accepted request) and ``JustificationRequest.document``
(sent by the student). Rows stay — presence, decision, reasons, history — with ``purged_at``
set: a page shows « justificatif supprimé le … (durée de conservation) » instead of a link.

Order, so that nothing is lost and nothing is left over:
1. one transaction per cohort: its rows locked, ``purged_at`` set, the journal line written.
   A failure rolls all of it back and no file has been touched.
2. after the commit (``transaction.on_commit``), ``justification_files_finish``: each row whose
   ``purged_at`` is set and whose file name is still there has its file deleted from storage,
   then its name cleared. A crash between 1 and 2, or in 2, leaves rows marked purged that
   still name their file: the next run (or this one) finishes them. No row ever names a file
   already deleted without saying it was purged, and no file is left that no row names.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from enrolment import audit
from enrolment.models import ProgrammeYear, User

from .models import Attendance, JustificationRequest

ACTION = "retention.justifications.purge"


@dataclass(frozen=True)
class JustificationFile:
    """One stored justification file, as the purge lists it."""

    programme_year: str  # « RSV 2024-2025 »
    programme_year_id: int
    student_number: str
    session_start: dt.datetime
    name: str  # the name in private storage (never the user's file name)
    size: int | None  # None: the row names a file missing from storage
    sent_by_student: bool  # a student's request, else the absence's own document


def _size(document: FieldFile) -> int | None:
    try:
        return int(document.storage.size(str(document.name)))
    except FileNotFoundError:
        return None


def _attendances(programme_year_id: int) -> QuerySet[Attendance]:
    return (
        Attendance.objects.filter(session__ue__programme_year_id=programme_year_id)
        .exclude(justification_document="")
        .select_related("session", "enrolment__student")
        .order_by("enrolment__student__number", "session__start", "pk")
    )


def _requests(programme_year_id: int) -> QuerySet[JustificationRequest]:
    return (
        JustificationRequest.objects.filter(
            attendance__session__ue__programme_year_id=programme_year_id
        )
        .exclude(document="")
        .select_related("attendance__session", "attendance__enrolment__student")
        .order_by("attendance__enrolment__student__number", "attendance__session__start", "pk")
    )


def _listed(
    programme_year: ProgrammeYear,
    attendances: Iterable[Attendance],
    requests: Iterable[JustificationRequest],
) -> list[JustificationFile]:
    label = str(programme_year)
    files = [
        JustificationFile(
            label,
            programme_year.pk,
            a.enrolment.student.number,
            a.session.start,
            str(a.justification_document.name),
            _size(a.justification_document),
            sent_by_student=False,
        )
        for a in attendances
    ]
    files += [
        JustificationFile(
            label,
            programme_year.pk,
            r.attendance.enrolment.student.number,
            r.attendance.session.start,
            str(r.document.name),
            _size(r.document),
            sent_by_student=True,
        )
        for r in requests
    ]
    return sorted(files, key=lambda f: (f.student_number, f.session_start, f.name))


def justification_files_purge(
    *,
    programme_year_ids: Iterable[int],
    by: User | None = None,
    dry_run: bool,
) -> list[JustificationFile]:
    """Delete the justification files of these cohorts (or, ``dry_run``, only list them).

    All or nothing per cohort; the files go after the commit (see the module's docstring).
    Returns the files deleted (or that would be), including any left over by an interrupted
    run. A second run finds nothing: idempotent.
    """
    found: list[JustificationFile] = []
    years = ProgrammeYear.objects.filter(pk__in=list(programme_year_ids)).select_related(
        "programme"
    )
    for programme_year in years.order_by("programme__code", "year"):
        if dry_run:
            found += _listed(
                programme_year, _attendances(programme_year.pk), _requests(programme_year.pk)
            )
        else:
            found += _purge_year(programme_year, by=by)
    return found


@transaction.atomic
def _purge_year(programme_year: ProgrammeYear, *, by: User | None) -> list[JustificationFile]:
    attendances = list(_attendances(programme_year.pk).select_for_update(of=("self",)))
    requests = list(_requests(programme_year.pk).select_for_update(of=("self",)))
    listed = _listed(programme_year, attendances, requests)
    now = timezone.now()
    fresh = Q(purged_at__isnull=True)
    marked = Attendance.objects.filter(fresh, pk__in=[a.pk for a in attendances]).update(
        purged_at=now
    )
    marked += JustificationRequest.objects.filter(fresh, pk__in=[r.pk for r in requests]).update(
        purged_at=now
    )
    if marked:
        audit.record(
            by=by,
            action=ACTION,
            summary=(
                f"{marked} justificatif(s) d'absence supprimé(s) (durée de conservation) : "
                f"{programme_year}"
            ),
            programme_year=programme_year,
        )
    if listed:
        transaction.on_commit(
            lambda: justification_files_finish(programme_year_ids=[programme_year.pk])
        )
    return listed


def justification_files_finish(*, programme_year_ids: Iterable[int] | None = None) -> int:
    """Delete from storage the files of rows already marked purged, then clear their names.

    Run after each cohort's commit, and by the command for what an interrupted run left
    (``programme_year_ids=None``: every cohort). Returns the number of names cleared.
    """
    ids = None if programme_year_ids is None else list(programme_year_ids)
    attendances = Attendance.objects.filter(purged_at__isnull=False)
    requests = JustificationRequest.objects.filter(purged_at__isnull=False)
    if ids is not None:
        attendances = attendances.filter(session__ue__programme_year_id__in=ids)
        requests = requests.filter(attendance__session__ue__programme_year_id__in=ids)
    return _finish(attendances, "justification_document") + _finish(requests, "document")


@transaction.atomic
def _finish(rows: QuerySet[Attendance] | QuerySet[JustificationRequest], field: str) -> int:
    # Locked: a teacher attaching a new file to the same absence waits, then sees the name
    # cleared (and its own file, saved after, is never the one deleted here).
    done = []
    for row in rows.exclude(**{field: ""}).select_for_update(of=("self",)):
        document: FieldFile = getattr(row, field)
        document.storage.delete(str(document.name))
        done.append(row.pk)
    return rows.model.objects.filter(pk__in=done).update(**{field: ""})
