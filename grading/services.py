"""Writes on grades. Every change goes through here so that it lands in the history.

Concurrency: each grade carries a ``version``. A writer states the version it read; if the
row moved on since, the change is refused as stale (no lost update). Rows are read with
``select_for_update`` (PostgreSQL) inside the transaction; on SQLite the transaction is
IMMEDIATE (settings), which serialises writers the same way.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import ngettext

from enrolment import audit
from enrolment.catalogue import date_next_year
from enrolment.freeze import ASSESSMENTS_FROZEN, ensure_open_locked
from enrolment.models import UE, Enrolment, User
from lib.bulk import insert_rows, update_rows

from .models import Assessment, Grade, GradeHistory
from .notifications import grades_published
from .selectors import assessment_enrolments

if TYPE_CHECKING:
    from .forms import AssessmentForm

Source = GradeHistory.Source
NEW = 0  # expected_version of a grade the writer saw as missing
# One statement per 2,000 rows: a whole cohort or a 2,000-row file in a constant number of
# queries, while staying under PostgreSQL's 65,535 bind parameters per statement.
BATCH_SIZE = 2000
# New grades are inserted with their history this many at a time by ``grades_apply``.
CREATE_SLICE = 20_000


@dataclass(frozen=True, kw_only=True, slots=True)
class GradeChange:
    """What one writer wants for one (assessment, enrolment) pair."""

    assessment_id: int
    enrolment_id: int
    status: str
    value: Decimal | None = None
    expected_version: int | None = None  # None: do not check (commands, trusted imports)
    plagiarism_report: str = ""


@dataclass(frozen=True)
class GradeConflict:
    """A change refused because the grade moved on (or is locked) since it was read."""

    assessment_id: int
    enrolment_id: int
    reason: str
    current_status: str | None
    current_value: Decimal | None
    wanted_status: str
    wanted_value: Decimal | None


class GradeWriteError(Exception):
    def __init__(self, conflicts: Sequence[GradeConflict]) -> None:
        count = len(conflicts)
        super().__init__(
            ngettext("%(count)s note refusée", "%(count)s notes refusées", count) % {"count": count}
        )
        self.conflicts = list(conflicts)


@dataclass
class ApplyReport:
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    history_rows: int = 0
    grade_ids: list[int] = field(default_factory=list)  # created, then changed

    @property
    def grades(self) -> list[Grade]:
        """The grades written, read again (one query), in the order of ``grade_ids``."""
        by_pk = Grade.objects.in_bulk(self.grade_ids)
        return [by_pk[pk] for pk in self.grade_ids]


class _Stored(NamedTuple):
    """A grade as read before a write, locked until the transaction ends."""

    pk: int
    status: str
    value: Decimal | None
    version: int
    locked: bool
    under_correction: bool
    published: bool
    plagiarism_report: str


_NEW_GRADE_COLUMNS = (
    "assessment_id",
    "enrolment_id",
    "status",
    "value",
    "plagiarism_report",
    "updated_by_id",
)
_CHANGED_GRADE_COLUMNS = (
    "status",
    "value",
    "plagiarism_report",
    "published",
    "version",
    "updated_by_id",
    "updated_at",
)
_HISTORY_COLUMNS = (
    "grade_id",
    "old_status",
    "old_value",
    "new_status",
    "new_value",
    "action",
    "at",
    "by_id",
    "source",
    "reason",
)


@dataclass
class _Plan:
    create: list[GradeChange] = field(default_factory=list)  # value cleared unless graded
    update: list[tuple[_Stored, GradeChange]] = field(default_factory=list)
    conflicts: list[GradeConflict] = field(default_factory=list)
    unchanged: int = 0


def _history(
    grade: Grade,
    *,
    action: str,
    at: dt.datetime,
    by: User | None,
    source: str,
    reason: str,
    old: tuple[str, Decimal | None] = ("", None),
    new: tuple[str, Decimal | None] | None = None,
) -> GradeHistory:
    new_status, new_value = new if new is not None else (grade.status, grade.value)
    return GradeHistory(
        grade=grade,
        at=at,
        by=by,
        source=source,
        action=action,
        old_status=old[0],
        old_value=old[1],
        new_status=new_status,
        new_value=new_value,
        reason=reason[:500],
    )


@transaction.atomic
def grades_apply(
    *,
    changes: Iterable[GradeChange],
    by: User | None,
    source: str,
    reason: str = "",
    allow_locked: bool = False,
) -> ApplyReport:
    """Create or change many grades at once, all or nothing, one history row per change.

    Raises ``GradeWriteError`` listing every stale or locked row; nothing is written then.
    A constant number of queries whatever the number of rows; rows travel as tuples, many a
    statement (a 64,000-student cohort import writes some 250,000 grades, issue 11).
    """
    wanted = {(c.assessment_id, c.enrolment_id): c for c in changes}
    report = ApplyReport()
    if not wanted:
        return report
    plan = _grades_plan(wanted, _grades_for_update(wanted), allow_locked=allow_locked)
    if plan.conflicts:
        raise GradeWriteError(plan.conflicts)
    now = timezone.now()
    by_id = by.pk if by is not None else None
    history = _History(by_id=by_id, now=now, source=source, reason=reason)
    created = _grades_create(plan.create, by_id=by_id, history=history)
    changed = _grades_change(plan.update, by_id=by_id, now=now)
    history.write(
        (stored.pk, stored.status, stored.value, c.status, c.value, GradeHistory.Action.CHANGE)
        for stored, c in changed
    )
    report.created = len(created)
    report.changed = len(changed)
    report.unchanged = plan.unchanged
    report.history_rows = history.rows
    report.grade_ids = [*created, *(stored.pk for stored, _ in changed)]
    return report


@dataclass
class _History:
    """Writes the history rows of one ``grades_apply`` call, as they come."""

    by_id: int | None
    now: object
    source: str
    reason: str
    rows: int = 0

    def write(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Rows of (grade id, old status, old value, new status, new value, action)."""
        tail = (self.now, self.by_id, self.source, self.reason[:500])
        batch = [(*row, *tail) for row in rows]
        insert_rows(GradeHistory, _HISTORY_COLUMNS, batch)
        self.rows += len(batch)


def _grades_for_update(
    wanted: dict[tuple[int, int], GradeChange],
) -> dict[tuple[int, int], _Stored]:
    """The stored grades of these pairs, as tuples, locked (``select_for_update``)."""
    rows = (
        Grade.objects.select_for_update()
        .filter(assessment_id__in={a for a, _ in wanted}, enrolment_id__in={e for _, e in wanted})
        .values_list("assessment_id", "enrolment_id", *_Stored._fields)
    )
    return {(a, e): _Stored(*rest) for a, e, *rest in rows}


def _grades_plan(
    wanted: dict[tuple[int, int], GradeChange],
    existing: dict[tuple[int, int], _Stored],
    *,
    allow_locked: bool,
) -> _Plan:
    """Sort the changes into creations, changes, no-ops and conflicts (stale or locked)."""
    plan = _Plan()
    for key, change in wanted.items():
        value = change.value if change.status == Grade.Status.GRADED else None
        if value is not change.value:
            change = replace(change, value=value)
        grade = existing.get(key)
        current_version = grade.version if grade is not None else NEW
        if change.expected_version not in (None, current_version):
            plan.conflicts.append(_conflict(key, "stale", grade, change))
        elif grade is None:
            plan.create.append(change)
        elif (grade.status, grade.value) == (change.status, value) and (
            change.status != Grade.Status.PLAGIARISM or not change.plagiarism_report
        ):
            plan.unchanged += 1
        elif grade.locked and not allow_locked:
            plan.conflicts.append(_conflict(key, "locked", grade, change))
        else:
            plan.update.append((grade, change))
    return plan


def _conflict(
    key: tuple[int, int], reason: str, grade: _Stored | None, change: GradeChange
) -> GradeConflict:
    return GradeConflict(
        *key,
        reason=reason,
        current_status=grade.status if grade else None,
        current_value=grade.value if grade else None,
        wanted_status=change.status,
        wanted_value=change.value,
    )


def _grades_create(
    changes: list[GradeChange], *, by_id: int | None, history: "_History"
) -> list[int]:
    """Insert the new grades and their history, a slice at a time (memory stays flat);
    returns their ids. A concurrent insert of one of them: all refused as stale."""
    ids: list[int] = []
    try:
        with transaction.atomic():
            for start in range(0, len(changes), CREATE_SLICE):
                part = changes[start : start + CREATE_SLICE]
                values = (
                    (c.assessment_id, c.enrolment_id, c.status, c.value, c.plagiarism_report)
                    for c in part
                )
                rows = insert_rows(
                    Grade,
                    _NEW_GRADE_COLUMNS,
                    ((*v, by_id) for v in values),
                    returning=("id", "assessment_id", "enrolment_id"),
                )
                new = {(a, e): pk for pk, a, e in rows}
                part_ids = [new[(c.assessment_id, c.enrolment_id)] for c in part]
                history.write(
                    (pk, "", None, c.status, c.value, GradeHistory.Action.CREATE)
                    for pk, c in zip(part_ids, part, strict=True)
                )
                ids += part_ids
    except IntegrityError as exc:
        # Another writer created one of these grades between our read and our write.
        raise GradeWriteError(
            [
                GradeConflict(
                    c.assessment_id, c.enrolment_id, "stale", None, None, c.status, c.value
                )
                for c in changes
            ]
        ) from exc
    return ids


def _grades_change(
    changes: list[tuple[_Stored, GradeChange]], *, by_id: int | None, now: object
) -> list[tuple[_Stored, GradeChange]]:
    """Write the changed grades (version + 1). RULES.md §7b: a correction after the jury
    stays a draft until the rectificatif; a plagiarism report is kept unless a new one comes."""
    update_rows(
        Grade,
        _CHANGED_GRADE_COLUMNS,
        (
            (
                stored.pk,
                c.status,
                c.value,
                c.plagiarism_report
                if c.status == Grade.Status.PLAGIARISM and c.plagiarism_report
                else stored.plagiarism_report,
                False if stored.under_correction else stored.published,
                stored.version + 1,
                by_id,
                now,
            )
            for stored, c in changes
        ),
    )
    return changes


def _flag_change(
    *,
    grades: Sequence[Grade],
    field_name: str,
    value: bool,
    action: str,
    by: User | None,
    source: str,
    reason: str,
    under_correction: bool | None = None,
) -> int:
    """Set one flag on these grades; ``under_correction`` (when given) is set with it."""
    now = timezone.now()
    moving = [g for g in grades if getattr(g, field_name) != value]
    for grade in moving:
        setattr(grade, field_name, value)
        if under_correction is not None:
            grade.under_correction = under_correction
        grade.version += 1
        grade.updated_at = now
    fields = [field_name, "version", "updated_at"]
    if under_correction is not None:
        fields.append("under_correction")
    Grade.objects.bulk_update(moving, fields, batch_size=BATCH_SIZE)
    GradeHistory.objects.bulk_create(
        [
            _history(
                g,
                action=action,
                at=now,
                by=by,
                source=source,
                reason=reason,
                old=(g.status, g.value),
            )
            for g in moving
        ],
        batch_size=BATCH_SIZE,
    )
    return len(moving)


@transaction.atomic
def assessment_publish(
    *, assessment: Assessment, by: User | None, source: str = Source.PUBLICATION
) -> int:
    """Publish every draft grade of the assessment; returns how many became visible.

    Corrections after the jury are left out: only the next deliberation publishes them.
    """
    grades = list(
        Grade.objects.select_for_update().filter(assessment=assessment, under_correction=False)
    )
    count = _flag_change(
        grades=grades,
        field_name="published",
        value=True,
        action=GradeHistory.Action.PUBLISH,
        by=by,
        source=source,
        reason="",
    )
    if count and source == Source.PUBLICATION:
        ue = assessment.ue
        audit.record(
            by=by,
            action="grades.assessment.publish",
            summary=f"{count} note{'s' if count > 1 else ''} publiée{'s' if count > 1 else ''} "
            f"en {ue.code} {assessment.key} ({assessment.title})",
            programme_year=ue.programme_year,
        )
    return count


@transaction.atomic
def grades_lock(
    *, enrolments: Iterable[Enrolment], by: User | None, reason: str, source: str = Source.JURY
) -> int:
    """Lock every grade of these enrolments (after the jury): one history row per grade.

    Locking ends a correction (RULES.md §7b).
    """
    grades = list(
        Grade.objects.select_for_update().filter(enrolment__in=list(enrolments), locked=False)
    )
    return _flag_change(
        grades=grades,
        field_name="locked",
        value=True,
        action=GradeHistory.Action.LOCK,
        by=by,
        source=source,
        reason=reason,
        under_correction=False,
    )


@transaction.atomic
def grades_publish_corrections(
    *, grades: Sequence[Grade], by: User | None, reason: str, source: str = Source.JURY
) -> int:
    """The deliberation that follows a correction publishes it (RULES.md §7b)."""
    locked = list(Grade.objects.select_for_update().filter(pk__in=[g.pk for g in grades]))
    return _flag_change(
        grades=locked,
        field_name="published",
        value=True,
        action=GradeHistory.Action.PUBLISH,
        by=by,
        source=source,
        reason=reason,
    )


@transaction.atomic
def grade_unlock(
    *,
    grade: Grade,
    by: User,
    reason: str,
    source: str = Source.ADMIN,
    for_correction: bool = False,
) -> None:
    """Unlock one grade after the jury: an admin, with a reason, in the grade's history.

    ``for_correction``: the change that follows stays a draft until the next deliberation.
    """
    if not reason.strip():
        raise ValueError("Un motif est obligatoire pour déverrouiller une note.")
    locked = Grade.objects.select_for_update().get(pk=grade.pk)
    _flag_change(
        grades=[locked],
        field_name="locked",
        value=False,
        action=GradeHistory.Action.UNLOCK,
        by=by,
        source=source,
        reason=reason.strip(),
        under_correction=True if for_correction else None,
    )
    grade.refresh_from_db()


# ---- Staff workspace ------------------------------------------------------------------------


@transaction.atomic
def assessment_save(*, form: "AssessmentForm") -> Assessment:
    """Create or edit an assessment from a validated form (its UE fixed by the view).

    Refused with ``FrozenError`` once the jury has deliberated on the cohort (RULES.md §7b).
    """
    assessment_ensure_open(assessment=form.instance, ue=form.ue)
    assessment: Assessment = form.save(commit=False)
    assessment.ue = form.ue
    assessment.full_clean()
    assessment.save()
    return assessment


@transaction.atomic
def grid_save(*, assessment: Assessment, rows: Iterable[GradeChange], by: User) -> ApplyReport:
    """Save the rows of the grid entry page (all or nothing, stale rows refused).

    A make-up takes only its entitled students: else ``MakeupNotEntitledError``, nothing saved.
    """
    changes = list(rows)
    makeup_ensure_entitled(assessment=assessment, enrolment_ids=[c.enrolment_id for c in changes])
    report = grades_apply(changes=changes, by=by, source=Source.GRID)
    _entry_audit(assessment, report, by=by, how="grille de saisie")
    return report


def _entry_audit(assessment: Assessment, report: ApplyReport, *, by: User, how: str) -> None:
    """One journal line per grid save or import (each mark is in its own history)."""
    if not report.created and not report.changed:
        return
    ue = assessment.ue
    audit.record(
        by=by,
        action="grades.entry.save",
        summary=f"Notes de {ue.code} {assessment.key} ({how}) : {report.created} saisie(s), "
        f"{report.changed} modifiée(s)",
        programme_year=ue.programme_year,
    )


@transaction.atomic
def import_apply(
    *, assessment: Assessment, payload: dict[str, Any], by: User, filename: str
) -> ApplyReport:
    """Apply an import preview kept in the session (all or nothing, stale rows refused).

    A make-up takes only its entitled students: else ``MakeupNotEntitledError``, nothing saved.
    """
    if payload.get("assessment") != assessment.pk:
        raise ValueError("Aperçu d'une autre évaluation.")
    changes = [
        GradeChange(
            assessment_id=assessment.pk,
            enrolment_id=int(enrolment_id),
            status=str(status),
            value=Decimal(value) if value is not None else None,
            plagiarism_report=str(report),
            expected_version=int(version),
        )
        for enrolment_id, status, value, report, version in payload.get("changes", [])
    ]
    makeup_ensure_entitled(assessment=assessment, enrolment_ids=[c.enrolment_id for c in changes])
    report = grades_apply(
        changes=changes, by=by, source=Source.IMPORT, reason=f"Import {filename}"[:500]
    )
    _entry_audit(assessment, report, by=by, how=f"import de {filename}"[:120])
    return report


def grades_publish(*, assessment: Assessment, by: User) -> int:
    """Publish the assessment's drafts, then tell each student of it once."""
    count = assessment_publish(assessment=assessment, by=by)
    grades_published(assessment=assessment)
    return count


# ---- What the jury freezes (RULES.md §7b) ---------------------------------------------------


def assessment_ensure_open(*, assessment: Assessment, ue: UE | None = None) -> None:
    """Raise ``FrozenError`` if the assessment's cohort, as stored or as wanted, is frozen.

    The stored UE is read again: the instance may already carry a form's new values.
    """
    cohorts = set(
        Assessment.objects.filter(pk=assessment.pk).values_list("ue__programme_year_id", flat=True)
        if assessment.pk
        else []
    )
    if ue is not None:
        cohorts.add(ue.programme_year_id)
    elif assessment.ue_id is not None:
        cohorts.update(
            UE.objects.filter(pk=assessment.ue_id).values_list("programme_year_id", flat=True)
        )
    for programme_year_id in sorted(cohorts):
        ensure_open_locked(programme_year_id, ASSESSMENTS_FROZEN)


@transaction.atomic
def assessment_write(*, assessment: Assessment) -> Assessment:
    """Create or edit an assessment built elsewhere than the staff form (the admin)."""
    assessment_ensure_open(assessment=assessment)
    assessment.full_clean()
    assessment.save()
    return assessment


@transaction.atomic
def assessment_delete(*, assessment: Assessment) -> None:
    """Delete an assessment (its grades protect it); refused once the cohort is frozen."""
    assessment_ensure_open(assessment=assessment)
    assessment.delete()


# ---- A make-up concerns only the students entitled to it (RULES.md §7b) -----------------------


class MakeupNotEntitledError(Exception):
    """Make-up entries for students without a justified absence at the original assessment."""

    def __init__(self, message: str, enrolment_ids: Sequence[int]) -> None:
        super().__init__(message)
        self.message = message
        self.enrolment_ids = list(enrolment_ids)


def makeup_ensure_entitled(*, assessment: Assessment, enrolment_ids: Iterable[int]) -> None:
    """Raise ``MakeupNotEntitledError`` if the make-up does not concern one of these students.

    Staff writes only: the cohort import ignores such an entry instead (INTERCHANGE.md). Call
    it inside the writing transaction: the original entries stay locked until the write ends.
    """
    wanted = set(enrolment_ids)
    if assessment.makeup_of_id is None or not wanted:
        return
    list(
        Grade.objects.select_for_update()
        .filter(assessment_id=assessment.makeup_of_id, enrolment_id__in=wanted)
        .only("pk")
    )
    entitled = set(
        assessment_enrolments(assessment).filter(pk__in=wanted).values_list("pk", flat=True)
    )
    refused = sorted(wanted - entitled)
    if not refused:
        return
    numbers = sorted(
        Enrolment.objects.filter(pk__in=refused).values_list("student__number", flat=True)
    )
    original = Assessment.objects.only("key").get(pk=assessment.makeup_of_id).key
    raise MakeupNotEntitledError(
        f"Rien n'a été enregistré : le rattrapage {assessment.key} ne concerne que les élèves "
        f"absents avec justification à {original}, ce qui n'est pas le cas de "
        f"{', '.join(numbers)}.",
        refused,
    )


# ---- « Ouvrir l'année suivante »: the assessments plan, copied -------------------------------


@transaction.atomic
def assessments_copy(*, mapping: dict[int, int], by: User | None) -> int:
    """Copy the assessments plan of each UE ``old id`` onto UE ``mapping[old id]``: key, title,
    kind, weight, the date one year later, each make-up pointing to its original's copy. Never
    a grade. Refused with ``FrozenError`` if a target year is frozen. Returns how many."""
    if not mapping:
        return 0
    targets = list(
        UE.objects.filter(pk__in=mapping.values()).select_related("programme_year__programme")
    )
    for programme_year_id in sorted({ue.programme_year_id for ue in targets}):
        ensure_open_locked(programme_year_id, ASSESSMENTS_FROZEN)
    sources = list(Assessment.objects.filter(ue_id__in=mapping).order_by("ue_id", "date", "key"))
    copies = {
        a.pk: Assessment(
            ue_id=mapping[a.ue_id],
            key=a.key,
            title=a.title,
            kind=a.kind,
            weight=a.weight,
            date=date_next_year(a.date),
        )
        for a in sources
    }
    # Originals first, so that each make-up can point to its original's copy.
    Assessment.objects.bulk_create([copies[a.pk] for a in sources if a.makeup_of_id is None])
    new_ids = {
        (ue_id, key): pk
        for pk, ue_id, key in Assessment.objects.filter(ue_id__in=mapping.values()).values_list(
            "pk", "ue_id", "key"
        )
    }
    makeups = [a for a in sources if a.makeup_of_id is not None]
    for a in makeups:
        original = copies.get(a.makeup_of_id or 0)
        if original is not None:
            copies[a.pk].makeup_of_id = new_ids.get((original.ue_id, original.key))
    Assessment.objects.bulk_create([copies[a.pk] for a in makeups])
    years = {ue.pk: ue.programme_year for ue in targets}
    per_year: dict[int, int] = {}
    for copy in copies.values():
        per_year[years[copy.ue_id].pk] = per_year.get(years[copy.ue_id].pk, 0) + 1
    for programme_year in {py.pk: py for py in years.values()}.values():
        count = per_year.get(programme_year.pk, 0)
        noun = "évaluation" if count == 1 else "évaluations"
        audit.record(
            by=by,
            action="catalogue.assessments.copy",
            summary=(
                f"Plan d'évaluation copié dans la promotion {programme_year} : "
                f"{count} {noun} (dates décalées d'un an), sans aucune note."
            ),
            programme_year=programme_year,
        )
    return len(copies)
