"""Write a checked cohort file into the database: upsert by keys, set-wise, all or nothing.

This module parses (``.validate``), checks the file against what is stored (accounts, locked
grades, the jury freeze), then hands plain rows to the owning apps' import services
(``enrolment/imports.py``, ``grading/imports.py``, ``attendance/imports.py``), all in one
transaction. It reads other apps' models but writes none of them itself. The query count does
not grow with the number of students: every table is read once and written set-wise.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import ngettext

# Models are read here (the checks against the database); every write goes through the
# owning app's import services (tests/test_architecture.py).
from attendance.imports import Mark, SessionRow, attendances_replace, sessions_upsert
from attendance.models import Attendance, Session
from enrolment.freeze import (
    ASSESSMENTS_FROZEN,
    ENROLMENTS_FROZEN,
    RULES_FROZEN,
    SESSIONS_FROZEN,
    SESSIONS_INTO_PAST_FROZEN,
    UES_FROZEN,
    refusal,
)
from enrolment.imports import (
    Counts,
    EnrolmentRow,
    PersonRow,
    ProgrammeYearRow,
    UERow,
    enrolment_ues_replace,
    enrolments_upsert,
    payments_replace_imported,
    people_upsert,
    programme_upsert,
    programme_year_upsert,
    ues_upsert,
)
from enrolment.models import UE, Enrolment, Programme, ProgrammeYear, StudentProfile, User
from grading.imports import AssessmentRow, GradeRow, assessments_upsert, grades_upsert
from grading.models import Assessment, Grade
from grading.services import GradeWriteError
from lib.bulk import listed

from .validate import (
    CohortData,
    CohortFileError,
    ProgrammeData,
    cohort_file_read,
    parse_cohort,
)

IMPORT_REASON = "Import de promotion"


class CohortImportError(Exception):
    """The file was refused; ``errors`` are « path: reason » lines in French. Nothing written."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class ImportReport:
    programme: str = ""
    year: str = ""
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    deleted: Counter[str] = field(default_factory=Counter)
    grade_history_rows: int = 0

    def add(self, kind: str, counts: Counts) -> None:
        """Count the rows of ``kind`` a bulk write created, updated and deleted."""
        self.created[kind] += counts.created
        self.updated[kind] += counts.updated
        self.deleted[kind] += counts.deleted

    @property
    def changed(self) -> bool:
        return bool(+self.created or +self.updated or +self.deleted)

    def lines(self) -> list[str]:
        """French summary, one line per kind of row that moved."""
        labels = {
            "programme": "programme",
            "programme_year": "promotion",
            "ue": "UE",
            "assessment": "évaluations",
            "session": "séances",
            "student": "élèves",
            "enrolment": "inscriptions",
            "enrolment_ue": "UE d'inscription",
            "payment": "paiements",
            "grade": "notes",
            "attendance": "absences et retards",
        }
        out = [f"Promotion {self.programme} {self.year}."]
        for key, label in labels.items():
            parts = []
            if n := self.created[key]:
                parts.append(ngettext("%(n)s créé", "%(n)s créés", n) % {"n": n})
            if n := self.updated[key]:
                parts.append(ngettext("%(n)s modifié", "%(n)s modifiés", n) % {"n": n})
            if n := self.deleted[key]:
                parts.append(ngettext("%(n)s supprimé", "%(n)s supprimés", n) % {"n": n})
            if parts:
                out.append(f"  {label} : {', '.join(parts)}")
        if not self.changed:
            out.append("  Aucune modification : la base était déjà à jour.")
        if self.created["grade"]:
            out.append(
                "  Les notes importées sont des brouillons : elles restent invisibles des élèves "
                "jusqu'à leur publication."
            )
        return out


def cohort_file_import(*, path: Path, by: User | None) -> ImportReport:
    """Read a cohort file, refused unread above ``COHORT_IMPORT_MAX_BYTES``, then import it.

    Raises ``CohortImportError``, or ``OSError`` when the file cannot be read.
    """
    try:
        # The bytes are dropped once parsed: they are not kept through the writes.
        cohort = parse_cohort(cohort_file_read(path))
    except CohortFileError as exc:
        raise CohortImportError(exc.errors) from exc
    return _write_or_refuse(cohort, by=by)


def cohort_import(*, data: bytes, by: User | None) -> ImportReport:
    """Check then import a cohort file (INTERCHANGE.md). Raises ``CohortImportError``."""
    try:
        cohort = parse_cohort(data)
    except CohortFileError as exc:
        raise CohortImportError(exc.errors) from exc
    return _write_or_refuse(cohort, by=by)


def _write_or_refuse(cohort: CohortData, *, by: User | None) -> ImportReport:
    try:
        return _write(cohort, by=by)
    except IntegrityError as exc:  # a race or a state the checks did not foresee
        raise CohortImportError(
            [f"fichier: conflit avec des données existantes ({exc}) ; rien n'a été importé"]
        ) from exc


def _check_against_database(cohort: CohortData, py: ProgrammeYear | None) -> list[str]:
    """Errors that depend on what is stored: accounts and locked grades. Read-only."""
    errors: list[str] = []
    numbers = [s.number for s in cohort.students]
    profiles = {
        p.number: p
        for p in StudentProfile.objects.filter(number__in=listed(numbers)).only("number", "user_id")
    }
    new_numbers = [n for n in numbers if n not in profiles]
    taken = set(
        User.objects.filter(username__in=listed(new_numbers)).values_list("username", flat=True)
    )
    # One address, one account (SECURITY.md #29): sign-in and personal addresses both count.
    wanted = [s.email.lower() for s in cohort.students]
    owners: dict[str, set[int]] = {}
    for user_id, email in [
        *User.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=listed(wanted))
        .values_list("pk", "email_lower"),
        *StudentProfile.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=listed(wanted))
        .values_list("user_id", "email_lower"),
    ]:
        owners.setdefault(email, set()).add(user_id)
    locked: dict[tuple[str, str], tuple[str, Decimal | None]] = {}
    if py is not None:
        for number, key, status, value in Grade.objects.filter(
            enrolment__programme_year=py,
            enrolment__student__number__in=listed(numbers),
            locked=True,
        ).values_list("enrolment__student__number", "assessment__key", "status", "value"):
            locked[(number, key)] = (status, value)
    for student in cohort.students:
        if student.number in taken:
            errors.append(
                f"{student.path}.number: un compte « {student.number} » existe déjà "
                "sans fiche élève"
            )
        holders = owners.get(student.email.lower(), set())
        profile = profiles.get(student.number)
        if holders - {profile.user_id if profile is not None else None}:
            errors.append(f"{student.path}.email: adresse déjà utilisée par un autre compte")
        for grade in student.grades:
            current = locked.get((student.number, grade.assessment))
            if current is not None and current != (grade.status, grade.value):
                errors.append(
                    f"{grade.path}: note verrouillée après le jury, elle ne peut plus être "
                    "modifiée par un import"
                )
    return errors


def _check_frozen(cohort: CohortData, py: ProgrammeYear, *, now: datetime) -> list[str]:
    """RULES.md §7b: once the jury has deliberated, the file must bring back unchanged the
    assessments, the sessions already held and their rolls, the enrolments and their UE.
    Each difference is an error; fees, payments, contact data and future sessions may change.
    Read-only."""
    ue_codes = dict(UE.objects.filter(programme_year=py).values_list("pk", "code"))
    errors = _frozen_rules(cohort, py)
    errors += _frozen_assessments(cohort, py, ue_codes)
    sessions = {s.key: s for s in Session.objects.filter(ue__programme_year=py)}
    errors += _frozen_sessions(cohort, sessions, ue_codes, now=now)
    errors += _frozen_students(cohort, py, sessions, now=now)
    return errors


def _frozen_rules(cohort: CohortData, py: ProgrammeYear) -> list[str]:
    """The rules the decisions were taken with: pass mark, threshold, UE and their credits."""
    errors: list[str] = []
    p = cohort.programme
    if (p.pass_mark, p.absence_threshold_pct, p.justified_absences_count) != (
        py.pass_mark,
        py.absence_threshold_pct,
        py.justified_absences_count,
    ):
        errors.append(f"programme: {refusal(RULES_FROZEN)}")
    credits = dict(UE.objects.filter(programme_year=py).values_list("code", "credits"))
    for i, wanted_ue in enumerate(p.ues):
        if credits.get(wanted_ue.code) != wanted_ue.credits:
            errors.append(f"programme.ues[{i}]: {refusal(RULES_FROZEN)}")
    return errors


def _frozen_assessments(
    cohort: CohortData, py: ProgrammeYear, ue_codes: dict[int, str]
) -> list[str]:
    """Every stored assessment brought back unchanged, and none added."""
    errors: list[str] = []
    stored_assessments = {
        a.key: a
        for a in Assessment.objects.filter(ue__programme_year=py).select_related("makeup_of")
    }
    for wanted_assessment in cohort.assessments:
        stored_assessment = stored_assessments.get(wanted_assessment.key)
        if stored_assessment is None or (
            wanted_assessment.ue,
            wanted_assessment.kind,
            wanted_assessment.weight,
            wanted_assessment.date,
            wanted_assessment.title,
            wanted_assessment.makeup_of,
        ) != (
            ue_codes.get(stored_assessment.ue_id),
            stored_assessment.kind,
            stored_assessment.weight,
            stored_assessment.date,
            stored_assessment.title,
            stored_assessment.makeup_of.key if stored_assessment.makeup_of else None,
        ):
            errors.append(f"{wanted_assessment.path}: {refusal(ASSESSMENTS_FROZEN)}")
    return errors


def _frozen_sessions(
    cohort: CohortData, sessions: dict[str, Session], ue_codes: dict[int, str], *, now: datetime
) -> list[str]:
    """The sessions already held unchanged; a new or changed one only in the future."""
    errors: list[str] = []
    for wanted_session in cohort.sessions:
        stored_session = sessions.get(wanted_session.key)
        if stored_session is not None and (
            wanted_session.ue,
            wanted_session.kind,
            wanted_session.start,
            wanted_session.end,
            wanted_session.site,
            wanted_session.room,
            wanted_session.cancelled,
            wanted_session.title,
        ) == (
            ue_codes.get(stored_session.ue_id),
            stored_session.kind,
            stored_session.start,
            stored_session.end,
            stored_session.site,
            stored_session.room,
            stored_session.cancelled,
            stored_session.title,
        ):
            continue
        if stored_session is not None and stored_session.end <= now:
            errors.append(f"{wanted_session.path}: {refusal(SESSIONS_FROZEN)}")
        elif wanted_session.end <= now:  # new or to come: it would be held after the jury
            errors.append(f"{wanted_session.path}: {refusal(SESSIONS_INTO_PAST_FROZEN)}")
    return errors


def _frozen_students(
    cohort: CohortData, py: ProgrammeYear, sessions: dict[str, Session], *, now: datetime
) -> list[str]:
    """Every enrolment kept with its UE, and the rolls of the sessions held unchanged."""
    errors: list[str] = []
    enrolments = {
        e.student.number: e
        for e in Enrolment.objects.filter(
            programme_year=py, student__number__in=listed(s.number for s in cohort.students)
        )
        .select_related("student")
        .prefetch_related("ues")
    }
    held = {s.pk: key for key, s in sessions.items() if s.end <= now}
    recorded = _recorded_absences(held, enrolments)
    for student in cohort.students:
        enrolment = enrolments.get(student.number)
        if enrolment is None:
            errors.append(f"{student.path}: {refusal(ENROLMENTS_FROZEN)}")
            continue
        if {ue.code for ue in enrolment.ues.all()} != set(student.ues):
            errors.append(f"{student.path}.ues: {refusal(UES_FROZEN)}")
        stored = recorded.get(enrolment.pk, {})
        in_file = set()
        for line in student.attendance:
            session = sessions.get(line.session)
            if session is None or session.pk not in held:
                continue
            in_file.add(session.pk)
            if stored.get(session.pk) != (line.presence, line.minutes_missed, line.justified):
                errors.append(f"{line.path}: {refusal(SESSIONS_FROZEN)}")
        for session_id in sorted(set(stored) - in_file):
            errors.append(
                f"{student.path}.attendance: l'absence ou le retard à la séance "
                f"« {held[session_id]} » manque dans le fichier. {refusal(SESSIONS_FROZEN)}"
            )
    return errors


def _recorded_absences(
    held: dict[int, str], enrolments: dict[str, Enrolment]
) -> dict[int, dict[int, tuple[str, int, bool]]]:
    """Enrolment → held session → (presence, minutes, justified), absences and lateness only."""
    recorded: dict[int, dict[int, tuple[str, int, bool]]] = {}
    for row in Attendance.objects.filter(
        session_id__in=held, enrolment_id__in=[e.pk for e in enrolments.values()]
    ).exclude(presence=Attendance.Presence.PRESENT):
        recorded.setdefault(row.enrolment_id, {})[row.session_id] = (
            row.presence,
            row.minutes_missed,
            row.justified,
        )
    return recorded


@transaction.atomic
def _write(cohort: CohortData, *, by: User | None) -> ImportReport:
    """Check the file against the database, then write it through the owning apps' import
    services (``enrolment``, ``grading``, ``attendance``: ``imports.py``), in one transaction."""
    p = cohort.programme
    report = ImportReport(programme=p.code, year=p.year)
    now = timezone.now()

    programme = Programme.objects.filter(code=p.code).first()
    py = (
        # Locked: a deliberation running at the same time cannot freeze it under the import.
        ProgrammeYear.objects.select_for_update().filter(programme=programme, year=p.year).first()
        if programme
        else None
    )
    errors = _check_against_database(cohort, py)
    if py is not None and py.is_frozen:
        errors += _check_frozen(cohort, py, now=now)
    if errors:
        raise CohortImportError(errors)

    py_id, ues = _write_programme(p, report)
    assessments = _write_assessments(cohort, py_id, ues, report)
    sessions = _write_sessions(cohort, py_id, ues, report)
    enrolments = _write_people(cohort, py_id, report, now=now, by=by)
    _write_enrolment_ues(cohort, enrolments, ues, report)
    _write_payments(cohort, enrolments, py_id, report, by=by)
    _write_grades(cohort, enrolments, assessments, report, by=by)
    _write_attendance(cohort, enrolments, sessions, report, by=by)
    return report


def _write_programme(p: ProgrammeData, report: ImportReport) -> tuple[int, dict[str, int]]:
    """The programme, its year and its UE; returns the year's id and the UE ids by code."""
    programme_id, counts = programme_upsert(code=p.code, title=p.title)
    report.add("programme", counts)
    py_id, counts = programme_year_upsert(
        programme_id=programme_id,
        row=ProgrammeYearRow(
            p.year, p.pass_mark, p.absence_threshold_pct, p.justified_absences_count
        ),
    )
    report.add("programme_year", counts)
    ues, counts = ues_upsert(
        programme_year_id=py_id, rows=[UERow(ue.code, ue.title, ue.credits) for ue in p.ues]
    )
    report.add("ue", counts)
    return py_id, ues


def _write_assessments(
    cohort: CohortData, py_id: int, ues: dict[str, int], report: ImportReport
) -> dict[str, int]:
    ids, counts = assessments_upsert(
        programme_year_id=py_id,
        rows=[
            AssessmentRow(a.key, ues[a.ue], a.kind, a.weight, a.date, a.title, a.makeup_of)
            for a in cohort.assessments
        ],
    )
    report.add("assessment", counts)
    return ids


def _write_sessions(
    cohort: CohortData, py_id: int, ues: dict[str, int], report: ImportReport
) -> dict[str, int]:
    ids, counts = sessions_upsert(
        programme_year_id=py_id,
        rows=[
            SessionRow(
                s.key, ues[s.ue], s.kind, s.start, s.end, s.site, s.room, s.cancelled, s.title
            )
            for s in cohort.sessions
        ],
    )
    report.add("session", counts)
    return ids


def _write_people(
    cohort: CohortData, py_id: int, report: ImportReport, *, now: datetime, by: User | None
) -> dict[str, int]:
    """Accounts, student records and enrolments; returns the enrolment id of every number."""
    student_ids, counts = people_upsert(
        rows=[
            PersonRow(s.number, s.last_name, s.first_name, s.birth_date, s.email)
            for s in cohort.students
        ]
    )
    report.add("student", counts)
    enrolment_ids, counts = enrolments_upsert(
        programme_year_id=py_id,
        rows=[EnrolmentRow(student_ids[s.number], s.fees_due) for s in cohort.students],
        at=now,
        by=by,
        reason=IMPORT_REASON,
    )
    report.add("enrolment", counts)
    return {s.number: enrolment_ids[student_ids[s.number]] for s in cohort.students}


def _write_enrolment_ues(
    cohort: CohortData, enrolments: dict[str, int], ues: dict[str, int], report: ImportReport
) -> None:
    counts = enrolment_ues_replace(
        enrolment_ids=enrolments.values(),
        ue_ids=ues.values(),
        links={(enrolments[s.number], ues[code]) for s in cohort.students for code in s.ues},
    )
    report.add("enrolment_ue", counts)


def _write_payments(
    cohort: CohortData,
    enrolments: dict[str, int],
    py_id: int,
    report: ImportReport,
    *,
    by: User | None,
) -> None:
    """The file is the truth for the payments an import wrote (``source``); others stay."""
    counts = payments_replace_imported(
        programme_year_id=py_id,
        wanted={enrolments[s.number]: s.payments for s in cohort.students},
        by=by,
        reason=IMPORT_REASON,
    )
    report.add("payment", counts)


def _write_grades(
    cohort: CohortData,
    enrolments: dict[str, int],
    assessments: dict[str, int],
    report: ImportReport,
    *,
    by: User | None,
) -> None:
    try:
        applied = grades_upsert(
            assessment_ids=assessments.values(),
            enrolment_ids=enrolments.values(),
            rows=(
                GradeRow(assessments[g.assessment], enrolments[s.number], g.status, g.value)
                for s in cohort.students
                for g in s.grades
            ),
            by=by,
            reason=IMPORT_REASON,
        )
    except GradeWriteError as exc:
        # Where each grade is in the file, found again only now that it is needed.
        paths = {
            (assessments[g.assessment], enrolments[s.number]): g.path
            for s in cohort.students
            for g in s.grades
        }
        raise CohortImportError(
            [
                f"{paths[(c.assessment_id, c.enrolment_id)]}: note "
                f"{'verrouillée' if c.reason == 'locked' else 'modifiée entre-temps'}, "
                "import refusé"
                for c in exc.conflicts
            ]
        ) from exc
    report.created["grade"] += applied.created
    report.updated["grade"] += applied.changed
    report.grade_history_rows += applied.history_rows


def _write_attendance(
    cohort: CohortData,
    enrolments: dict[str, int],
    sessions: dict[str, int],
    report: ImportReport,
    *,
    by: User | None,
) -> None:
    """The file lists what is not plain presence: anything else stored becomes presence."""
    counts = attendances_replace(
        session_ids=sessions.values(),
        enrolment_ids=enrolments.values(),
        wanted={
            (sessions[a.session], enrolments[s.number]): Mark(
                a.presence, a.minutes_missed, a.justified
            )
            for s in cohort.students
            for a in s.attendance
        },
        by=by,
    )
    report.add("attendance", counts)
