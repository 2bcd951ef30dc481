"""The cohort import's writes on what enrolment owns (certification/interchange/importer.py).

Programmes and their years, UE, accounts and student records, enrolments with their status
history, their UE, and the payments an import wrote. Each function takes plain rows, reads what
is stored once and writes only the difference, set-wise (``lib.bulk``: many rows a statement),
so that a 64,000-student cohort costs a constant number of queries. Each returns what it
created, updated and deleted.

The caller holds the transaction around the whole import and has checked the file first,
the jury freeze included (RULES.md §7b): fees, payments and contact data stay open after the
jury; the programme's rules, its UE's credits, the enrolments and their UE do not.
"""

import secrets
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction

from lib.bulk import insert_rows, listed, update_rows

from .models import (
    UE,
    Enrolment,
    EnrolmentStatusChange,
    Payment,
    Programme,
    ProgrammeYear,
    StudentProfile,
    User,
)


@dataclass(frozen=True, slots=True)
class Counts:
    """Rows one bulk write created, updated and deleted."""

    created: int = 0
    updated: int = 0
    deleted: int = 0


class ProgrammeYearRow(NamedTuple):
    year: str
    pass_mark: Decimal
    absence_threshold_pct: Decimal
    justified_absences_count: bool


class UERow(NamedTuple):
    code: str
    title: str
    credits: int


class PersonRow(NamedTuple):
    """A student: an account (user name = number) and a student record."""

    number: str
    last_name: str
    first_name: str
    birth_date: date
    email: str


class EnrolmentRow(NamedTuple):
    student_id: int  # the StudentProfile
    fees_due: Decimal


@transaction.atomic
def programme_upsert(*, code: str, title: str) -> tuple[int, Counts]:
    """The programme of this code, created or retitled; returns its id."""
    programme = Programme.objects.filter(code=code).first()
    if programme is None:
        programme = Programme.objects.create(code=code, title=title)
        return programme.pk, Counts(created=1)
    if programme.title == title:
        return programme.pk, Counts()
    programme.title = title
    programme.save(update_fields=["title"])
    return programme.pk, Counts(updated=1)


@transaction.atomic
def programme_year_upsert(*, programme_id: int, row: ProgrammeYearRow) -> tuple[int, Counts]:
    """The programme's year ``row.year``, created or given the rules of ``row``; returns its id.

    The row is locked (``select_for_update``), as the caller locked it to check the freeze.
    """
    settings = {
        "pass_mark": row.pass_mark,
        "absence_threshold_pct": row.absence_threshold_pct,
        "justified_absences_count": row.justified_absences_count,
    }
    py = (
        ProgrammeYear.objects.select_for_update()
        .filter(programme_id=programme_id, year=row.year)
        .first()
    )
    if py is None:
        py = ProgrammeYear.objects.create(programme_id=programme_id, year=row.year, **settings)
        return py.pk, Counts(created=1)
    if all(getattr(py, k) == v for k, v in settings.items()):
        return py.pk, Counts()
    for k, v in settings.items():
        setattr(py, k, v)
    py.save(update_fields=list(settings))
    return py.pk, Counts(updated=1)


@transaction.atomic
def ues_upsert(*, programme_year_id: int, rows: Iterable[UERow]) -> tuple[dict[str, int], Counts]:
    """The year's UE of ``rows``, created or brought up to date (others stay); id by code."""
    ues = {ue.code: ue for ue in UE.objects.filter(programme_year_id=programme_year_id)}
    new_ues, changed_ues = [], []
    for row in rows:
        ue = ues.get(row.code)
        if ue is None:
            new_ues.append(
                UE(
                    programme_year_id=programme_year_id,
                    code=row.code,
                    title=row.title,
                    credits=row.credits,
                )
            )
        elif (ue.title, ue.credits) != (row.title, row.credits):
            ue.title, ue.credits = row.title, row.credits
            changed_ues.append(ue)
    if new_ues:
        UE.objects.bulk_create(new_ues)
        ues = {ue.code: ue for ue in UE.objects.filter(programme_year_id=programme_year_id)}
    if changed_ues:
        UE.objects.bulk_update(changed_ues, ["title", "credits"])
    ids = {code: ue.pk for code, ue in ues.items()}
    return ids, Counts(created=len(new_ues), updated=len(changed_ues))


@transaction.atomic
def people_upsert(*, rows: Sequence[PersonRow]) -> tuple[dict[str, int], Counts]:
    """Accounts and student records, created (the account without a usable password: the
    student is invited later) or brought up to date; returns the record id by number.

    A student counts once as updated whether the record, the account or both changed.
    """
    stored = {
        row[0]: row[1:]
        for row in StudentProfile.objects.filter(
            number__in=listed(r.number for r in rows)
        ).values_list(
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
    student_ids = _people_create([r for r in rows if r.number not in stored])
    created = len(student_ids)
    profiles, users, changed = [], [], 0
    for r in rows:
        if r.number not in stored:
            continue
        pk, user_id, *profile, user_last, user_first, user_email = stored[r.number]
        student_ids[r.number] = pk
        profile_changed = profile != [r.last_name, r.first_name, r.birth_date, r.email]
        user_changed = (user_last, user_first, user_email) != (r.last_name, r.first_name, r.email)
        if profile_changed:
            profiles.append((pk, r.last_name, r.first_name, r.birth_date, r.email))
        if user_changed:
            users.append((user_id, r.last_name, r.first_name, r.email))
        changed += profile_changed or user_changed
    update_rows(StudentProfile, ("last_name", "first_name", "birth_date", "email"), profiles)
    update_rows(User, ("last_name", "first_name", "email"), users)
    return student_ids, Counts(created=created, updated=changed)


def _people_create(new: list[PersonRow]) -> dict[str, int]:
    """Accounts and records of students not stored yet; returns the record id by number."""
    user_ids = dict(
        insert_rows(
            User,
            ("username", "email", "first_name", "last_name", "password"),
            ((r.number, r.email, r.first_name, r.last_name, _unusable_password()) for r in new),
            returning=("username", "id"),
        )
    )
    return dict(
        insert_rows(
            StudentProfile,
            ("user_id", "number", "last_name", "first_name", "birth_date", "email"),
            (
                (user_ids[r.number], r.number, r.last_name, r.first_name, r.birth_date, r.email)
                for r in new
            ),
            returning=("number", "id"),
        )
    )


def _unusable_password() -> str:
    """What ``set_unusable_password`` stores: the marker, then random characters."""
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)


@transaction.atomic
def enrolments_upsert(
    *,
    programme_year_id: int,
    rows: Sequence[EnrolmentRow],
    at: datetime,
    by: User | None,
    reason: str,
) -> tuple[dict[int, int], Counts]:
    """Enrol these students in the year (status « inscrit », its status change dated ``at``
    with ``reason``) or update the fees due of those enrolled; returns enrolment id by student.
    """
    stored = {
        student_id: (pk, fees_due)
        for pk, student_id, fees_due in Enrolment.objects.filter(
            programme_year_id=programme_year_id
        ).values_list("pk", "student_id", "fees_due")
    }
    missing = [r for r in rows if r.student_id not in stored]
    created = dict(
        insert_rows(
            Enrolment,
            ("student_id", "programme_year_id", "status", "fees_due"),
            (
                (r.student_id, programme_year_id, Enrolment.Status.ENROLLED, r.fees_due)
                for r in missing
            ),
            returning=("student_id", "id"),
        )
    )
    by_id = by.pk if by is not None else None
    insert_rows(
        EnrolmentStatusChange,
        ("enrolment_id", "from_status", "to_status", "at", "by_id", "reason"),
        (
            (created[r.student_id], "", Enrolment.Status.ENROLLED, at, by_id, reason)
            for r in missing
        ),
    )
    ids, fees_changed = dict(created), []
    for r in rows:
        if r.student_id in created:
            continue
        pk, fees_due = stored[r.student_id]
        ids[r.student_id] = pk
        if fees_due != r.fees_due:
            fees_changed.append((pk, r.fees_due))
    update_rows(Enrolment, ("fees_due",), fees_changed)
    return ids, Counts(created=len(missing), updated=len(fees_changed))


@transaction.atomic
def enrolment_ues_replace(
    *, enrolment_ids: Collection[int], ue_ids: Collection[int], links: set[tuple[int, int]]
) -> Counts:
    """Between these enrolments and these UE, the links become exactly ``links``
    (pairs of enrolment id, UE id): the missing ones added, the others removed."""
    through = Enrolment.ues.through
    enrolments = set(enrolment_ids)
    current = {
        (enrolment_id, ue_id): pk
        for pk, enrolment_id, ue_id in through.objects.filter(ue_id__in=list(ue_ids)).values_list(
            "pk", "enrolment_id", "ue_id"
        )
        if enrolment_id in enrolments
    }
    add = sorted(links - current.keys())
    remove = [pk for key, pk in current.items() if key not in links]
    insert_rows(through, ("enrolment_id", "ue_id"), add)
    if remove:  # a student dropped a UE since the last import
        through.objects.filter(pk__in=remove).delete()
    return Counts(created=len(add), deleted=len(remove))


@transaction.atomic
def payments_replace_imported(
    *,
    programme_year_id: int,
    wanted: Mapping[int, Iterable[tuple[date, Decimal]]],
    by: User | None,
    reason: str,
) -> Counts:
    """The payments an import wrote (``source``) for these enrolments (id → (date, amount)
    of each payment) become exactly ``wanted``; the payments the registrar typed stay."""
    stored: dict[int, list[tuple[int, date, Decimal]]] = {}
    for pk, enrolment_id, day, amount in Payment.objects.filter(
        enrolment__programme_year_id=programme_year_id, source=Payment.Source.COHORT_IMPORT
    ).values_list("pk", "enrolment_id", "date", "amount"):
        if enrolment_id in wanted:
            stored.setdefault(enrolment_id, []).append((pk, day, amount))
    add: list[tuple[int, date, Decimal]] = []
    remove: list[int] = []
    for enrolment_id, payments in wanted.items():
        count = Counter(payments)
        for pk, day, amount in stored.get(enrolment_id, []):
            if count[(day, amount)] > 0:
                count[(day, amount)] -= 1
            else:
                remove.append(pk)
        for (day, amount), n in count.items():
            add += [(enrolment_id, day, amount)] * n
    if remove:
        Payment.objects.filter(pk__in=remove).delete()
    by_id = by.pk if by is not None else None
    insert_rows(
        Payment,
        ("enrolment_id", "date", "amount", "means", "reason", "source", "recorded_by_id"),
        ((*row, Payment.Means.OTHER, reason, Payment.Source.COHORT_IMPORT, by_id) for row in add),
    )
    return Counts(created=len(add), deleted=len(remove))
