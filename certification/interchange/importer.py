"""Write a checked cohort file into the database: upsert by keys, set-wise, all or nothing.

The query count does not grow with the number of students: every table is read once and
written with ``bulk_create``/``bulk_update``/one ``delete``.
"""

import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import ngettext

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
from enrolment.models import (
    UE,
    Enrolment,
    EnrolmentStatusChange,
    Payment,
    Programme,
    ProgrammeYear,
    StudentProfile,
    User,
)
from grading.models import Assessment, Grade, GradeHistory
from grading.services import GradeChange, GradeWriteError, grades_apply
from lib.bulk import insert_rows, listed, update_rows

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

    py = _write_programme(p, programme, py, report)
    ues = _write_ues(p, py, report)
    assessments = _write_assessments(cohort, py, ues, report)
    sessions = _write_sessions(cohort, py, ues, report)
    enrolments = _write_people(cohort, py, report, now=now, by=by)
    _write_enrolment_ues(cohort, enrolments, ues, report)
    _write_payments(cohort, enrolments, py, report, by=by)
    _write_grades(cohort, enrolments, assessments, report, by=by)
    _write_attendance(cohort, enrolments, sessions, report, by=by)
    return report


def _write_programme(
    p: ProgrammeData, programme: Programme | None, py: ProgrammeYear | None, report: ImportReport
) -> ProgrammeYear:
    """The programme and its year, created or brought up to date; returns the year."""
    if programme is None:
        programme = Programme.objects.create(code=p.code, title=p.title)
        report.created["programme"] += 1
    elif programme.title != p.title:
        programme.title = p.title
        programme.save(update_fields=["title"])
        report.updated["programme"] += 1
    settings = {
        "pass_mark": p.pass_mark,
        "absence_threshold_pct": p.absence_threshold_pct,
        "justified_absences_count": p.justified_absences_count,
    }
    if py is None:
        py = ProgrammeYear.objects.create(programme=programme, year=p.year, **settings)
        report.created["programme_year"] += 1
    elif any(getattr(py, k) != v for k, v in settings.items()):
        for k, v in settings.items():
            setattr(py, k, v)
        py.save(update_fields=list(settings))
        report.updated["programme_year"] += 1
    return py


def _write_ues(p: ProgrammeData, py: ProgrammeYear, report: ImportReport) -> dict[str, UE]:
    """The year's UE, created or brought up to date; returns them by code."""
    ues = {ue.code: ue for ue in UE.objects.filter(programme_year=py)}
    new_ues, changed_ues = [], []
    for data in p.ues:
        ue = ues.get(data.code)
        if ue is None:
            new_ues.append(
                UE(programme_year=py, code=data.code, title=data.title, credits=data.credits)
            )
        elif (ue.title, ue.credits) != (data.title, data.credits):
            ue.title, ue.credits = data.title, data.credits
            changed_ues.append(ue)
    if new_ues:
        UE.objects.bulk_create(new_ues)
        ues = {ue.code: ue for ue in UE.objects.filter(programme_year=py)}
    if changed_ues:
        UE.objects.bulk_update(changed_ues, ["title", "credits"])
    report.created["ue"] += len(new_ues)
    report.updated["ue"] += len(changed_ues)
    return ues


def _upsert_by_key(
    queryset: QuerySet[Any], wanted: dict[str, dict[str, Any]], fields: tuple[str, ...]
) -> tuple[dict[str, Any], list[Any], list[Any]]:
    """Create the rows whose key is new and update those whose fields differ, in bulk.

    Returns every row by key (re-read once if any was created), the new and the changed rows.
    """
    existing = {row.key: row for row in queryset}
    new, changed = [], []
    for key, values in wanted.items():
        current = existing.get(key)
        if current is None:
            new.append(queryset.model(key=key, **values))
        elif any(getattr(current, f) != values[f] for f in fields):
            for f in fields:
                setattr(current, f, values[f])
            changed.append(current)
    if new:
        queryset.model.objects.bulk_create(new)
        existing = {row.key: row for row in queryset.all()}
    if changed:
        queryset.model.objects.bulk_update(changed, list(fields))
    return existing, new, changed


def _write_assessments(
    cohort: CohortData, py: ProgrammeYear, ues: dict[str, UE], report: ImportReport
) -> dict[str, Assessment]:
    existing, new, changed = _upsert_by_key(
        Assessment.objects.filter(ue__programme_year=py),
        {
            data.key: {
                "ue_id": ues[data.ue].pk,
                "kind": data.kind,
                "weight": data.weight,
                "date": data.date,
                "title": data.title,
            }
            for data in cohort.assessments
        },
        ("ue_id", "kind", "weight", "date", "title"),
    )
    # Make-up links once every assessment has an id; a link no longer in the file is removed.
    links = {a.key: a.makeup_of for a in cohort.assessments}
    relinked = []
    for key, original in links.items():
        assessment = existing[key]
        wanted_id = existing[original].pk if original else None
        if assessment.makeup_of_id != wanted_id:
            assessment.makeup_of_id = wanted_id
            relinked.append(assessment)
    if relinked:
        unlinking = [a for a in relinked if a.makeup_of_id is None]
        linking = [a for a in relinked if a.makeup_of_id is not None]
        Assessment.objects.bulk_update(unlinking, ["makeup_of"])
        Assessment.objects.bulk_update(linking, ["makeup_of"])
    report.created["assessment"] += len(new)
    report.updated["assessment"] += len(
        {a.pk for a in changed} | {a.pk for a in relinked if a.key not in {n.key for n in new}}
    )
    return existing


def _write_sessions(
    cohort: CohortData, py: ProgrammeYear, ues: dict[str, UE], report: ImportReport
) -> dict[str, Session]:
    existing, new, changed = _upsert_by_key(
        Session.objects.filter(ue__programme_year=py),
        {
            data.key: {
                "ue_id": ues[data.ue].pk,
                "kind": data.kind,
                "start": data.start,
                "end": data.end,
                "site": data.site,
                "room": data.room,
                "cancelled": data.cancelled,
                "title": data.title,
            }
            for data in cohort.sessions
        },
        ("ue_id", "kind", "start", "end", "site", "room", "cancelled", "title"),
    )
    report.created["session"] += len(new)
    report.updated["session"] += len(changed)
    return existing


def _write_people(
    cohort: CohortData, py: ProgrammeYear, report: ImportReport, *, now: object, by: User | None
) -> dict[str, int]:
    """Accounts, student records and enrolments; returns the enrolment id of every number."""
    student_ids = _write_students(cohort, report)
    stored = {
        student_id: (pk, fees_due)
        for pk, student_id, fees_due in Enrolment.objects.filter(programme_year=py).values_list(
            "pk", "student_id", "fees_due"
        )
    }
    missing = [s for s in cohort.students if student_ids[s.number] not in stored]
    by_id = by.pk if by is not None else None
    created = dict(
        insert_rows(
            Enrolment,
            ("student_id", "programme_year_id", "status", "fees_due"),
            (
                (student_ids[s.number], py.pk, Enrolment.Status.ENROLLED, s.fees_due)
                for s in missing
            ),
            returning=("student_id", "id"),
        )
    )
    insert_rows(
        EnrolmentStatusChange,
        ("enrolment_id", "from_status", "to_status", "at", "by_id", "reason"),
        (
            (
                created[student_ids[s.number]],
                "",
                Enrolment.Status.ENROLLED,
                now,
                by_id,
                IMPORT_REASON,
            )
            for s in missing
        ),
    )
    report.created["enrolment"] += len(missing)
    by_number: dict[str, int] = {}
    fees_changed = []
    for s in cohort.students:
        student_id = student_ids[s.number]
        if student_id in created:
            by_number[s.number] = created[student_id]
            continue
        pk, fees_due = stored[student_id]
        by_number[s.number] = pk
        if fees_due != s.fees_due:
            fees_changed.append((pk, s.fees_due))
    update_rows(Enrolment, ("fees_due",), fees_changed)
    report.updated["enrolment"] += len(fees_changed)
    return by_number


def _write_students(cohort: CohortData, report: ImportReport) -> dict[str, int]:
    """Create or update the accounts and student records; returns the record id by number."""
    numbers = [s.number for s in cohort.students]
    stored = {
        row[0]: row[1:]
        for row in StudentProfile.objects.filter(number__in=listed(numbers)).values_list(
            "number",
            "pk",
            "user_id",
            "last_name",
            "first_name",
            "birth_date",
            "email",
            "user__last_name",
            "user__first_name",
            "user__email",
        )
    }
    new = [s for s in cohort.students if s.number not in stored]
    user_ids = dict(
        insert_rows(
            User,
            ("username", "email", "first_name", "last_name", "password"),
            ((s.number, s.email, s.first_name, s.last_name, _unusable_password()) for s in new),
            returning=("username", "id"),
        )
    )
    student_ids = dict(
        insert_rows(
            StudentProfile,
            ("user_id", "number", "last_name", "first_name", "birth_date", "email"),
            (
                (user_ids[s.number], s.number, s.last_name, s.first_name, s.birth_date, s.email)
                for s in new
            ),
            returning=("number", "id"),
        )
    )
    report.created["student"] += len(new)
    profiles, users, changed = [], [], 0
    for s in cohort.students:
        if s.number not in stored:
            continue
        pk, user_id, *profile, user_last, user_first, user_email = stored[s.number]
        student_ids[s.number] = pk
        profile_changed = profile != [s.last_name, s.first_name, s.birth_date, s.email]
        user_changed = (user_last, user_first, user_email) != (s.last_name, s.first_name, s.email)
        if profile_changed:
            profiles.append((pk, s.last_name, s.first_name, s.birth_date, s.email))
        if user_changed:
            users.append((user_id, s.last_name, s.first_name, s.email))
        changed += profile_changed or user_changed
    update_rows(StudentProfile, ("last_name", "first_name", "birth_date", "email"), profiles)
    update_rows(User, ("last_name", "first_name", "email"), users)
    report.updated["student"] += changed
    return student_ids


def _unusable_password() -> str:
    """What ``set_unusable_password`` stores: the marker, then random characters."""
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)


def _write_enrolment_ues(
    cohort: CohortData, enrolments: dict[str, int], ues: dict[str, UE], report: ImportReport
) -> None:
    through = Enrolment.ues.through
    ids = set(enrolments.values())
    current = {
        (enrolment_id, ue_id): pk
        for pk, enrolment_id, ue_id in through.objects.filter(
            ue_id__in=[ue.pk for ue in ues.values()]
        ).values_list("pk", "enrolment_id", "ue_id")
        if enrolment_id in ids
    }
    wanted = {(enrolments[s.number], ues[code].pk) for s in cohort.students for code in s.ues}
    add = sorted(wanted - current.keys())
    remove = [pk for key, pk in current.items() if key not in wanted]
    insert_rows(through, ("enrolment_id", "ue_id"), add)
    if remove:  # a student dropped a UE since the last import
        through.objects.filter(pk__in=remove).delete()
    report.created["enrolment_ue"] += len(add)
    report.deleted["enrolment_ue"] += len(remove)


def _write_payments(
    cohort: CohortData,
    enrolments: dict[str, int],
    py: ProgrammeYear,
    report: ImportReport,
    *,
    by: User | None,
) -> None:
    """The file is the truth for the payments an import wrote (``source``); others stay."""
    ids = set(enrolments.values())
    stored: dict[int, list[tuple[int, date, Decimal]]] = {}
    for pk, enrolment_id, day, amount in Payment.objects.filter(
        enrolment__programme_year=py, source=Payment.Source.COHORT_IMPORT
    ).values_list("pk", "enrolment_id", "date", "amount"):
        if enrolment_id in ids:
            stored.setdefault(enrolment_id, []).append((pk, day, amount))
    add, remove = [], []
    by_id = by.pk if by is not None else None
    for s in cohort.students:
        enrolment_id = enrolments[s.number]
        wanted = Counter(s.payments)
        for pk, day, amount in stored.get(enrolment_id, []):
            if wanted[(day, amount)] > 0:
                wanted[(day, amount)] -= 1
            else:
                remove.append(pk)
        for (day, amount), count in wanted.items():
            add += [(enrolment_id, day, amount)] * count
    if remove:
        Payment.objects.filter(pk__in=remove).delete()
    insert_rows(
        Payment,
        ("enrolment_id", "date", "amount", "means", "reason", "source", "recorded_by_id"),
        (
            (*row, Payment.Means.OTHER, IMPORT_REASON, Payment.Source.COHORT_IMPORT, by_id)
            for row in add
        ),
    )
    report.created["payment"] += len(add)
    report.deleted["payment"] += len(remove)


def _write_grades(
    cohort: CohortData,
    enrolments: dict[str, int],
    assessments: dict[str, Assessment],
    report: ImportReport,
    *,
    by: User | None,
) -> None:
    ids = set(enrolments.values())
    current = {
        (assessment_id, enrolment_id): (status, value)
        for assessment_id, enrolment_id, status, value in Grade.objects.filter(
            assessment_id__in=[a.pk for a in assessments.values()]
        ).values_list("assessment_id", "enrolment_id", "status", "value")
        if enrolment_id in ids
    }
    assessment_ids = {key: a.pk for key, a in assessments.items()}
    changes = []
    for s in cohort.students:
        enrolment_id = enrolments[s.number]
        for g in s.grades:
            key = (assessment_ids[g.assessment], enrolment_id)
            if current.get(key) == (g.status, g.value):
                continue
            changes.append(
                GradeChange(
                    assessment_id=key[0], enrolment_id=enrolment_id, status=g.status, value=g.value
                )
            )
    if not changes:
        return
    try:
        applied = grades_apply(
            changes=changes,
            by=by,
            source=GradeHistory.Source.COHORT_IMPORT,
            reason=IMPORT_REASON,
            allow_locked=False,
        )
    except GradeWriteError as exc:
        # Where each grade is in the file, found again only now that it is needed.
        paths = {
            (assessment_ids[g.assessment], enrolments[s.number]): g.path
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
    sessions: dict[str, Session],
    report: ImportReport,
    *,
    by: User | None,
) -> None:
    """The file lists what is not plain presence: anything else stored becomes presence."""
    now = timezone.now()
    ids = set(enrolments.values())
    current = {
        (session_id, enrolment_id): (pk, (presence, minutes, justified))
        for pk, session_id, enrolment_id, presence, minutes, justified in (
            Attendance.objects.filter(session_id__in=[s.pk for s in sessions.values()]).values_list(
                "pk", "session_id", "enrolment_id", "presence", "minutes_missed", "justified"
            )
        )
        if enrolment_id in ids
    }
    wanted = {
        (sessions[a.session].pk, enrolments[s.number]): (a.presence, a.minutes_missed, a.justified)
        for s in cohort.students
        for a in s.attendance
    }
    by_id = by.pk if by is not None else None
    new, changed = [], []
    for key, values in wanted.items():
        row = current.get(key)
        if row is None:
            new.append((*key, *values, by_id))
        elif row[1] != values:
            changed.append((row[0], *values, by_id, now))
    stale = [
        pk
        for key, (pk, (presence, _, _)) in current.items()
        if key not in wanted and presence != Attendance.Presence.PRESENT
    ]
    if stale:
        Attendance.objects.filter(pk__in=stale).delete()
    update_rows(
        Attendance,
        ("presence", "minutes_missed", "justified", "recorded_by_id", "recorded_at"),
        changed,
    )
    insert_rows(
        Attendance,
        ("session_id", "enrolment_id", "presence", "minutes_missed", "justified", "recorded_by_id"),
        new,
    )
    report.created["attendance"] += len(new)
    report.updated["attendance"] += len(changed)
    report.deleted["attendance"] += len(stale)
