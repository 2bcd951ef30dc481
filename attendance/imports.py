"""The cohort import's writes on what attendance owns (certification/interchange/importer.py).

A year's sessions and the absences and lateness of its students. Each function takes plain
rows, reads what is stored once and writes only the difference, set-wise (``lib.bulk``), so
that a 64,000-student cohort costs a constant number of queries.

The caller holds the transaction around the whole import and has checked the file first,
the jury freeze included (RULES.md §7b: after the jury, the sessions already held and their
rolls do not change, and no session moves into the past).
"""

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from enrolment.imports import Counts
from enrolment.models import User
from lib.bulk import insert_rows, update_rows, upsert_by_key

from .models import Attendance, Session

_SESSION_FIELDS = ("ue_id", "kind", "start", "end", "site", "room", "cancelled", "title")


class SessionRow(NamedTuple):
    key: str
    ue_id: int
    kind: str
    start: datetime
    end: datetime
    site: str
    room: str
    cancelled: bool
    title: str


class Mark(NamedTuple):
    """What a roll holds for one student at one session."""

    presence: str
    minutes_missed: int
    justified: bool


@transaction.atomic
def sessions_upsert(
    *, programme_year_id: int, rows: Sequence[SessionRow]
) -> tuple[dict[str, int], Counts]:
    """The year's sessions of ``rows`` (by key), created or brought up to date (others stay);
    returns the id by key."""
    existing, new, changed = upsert_by_key(
        Session.objects.filter(ue__programme_year_id=programme_year_id),
        {row.key: {f: getattr(row, f) for f in _SESSION_FIELDS} for row in rows},
        _SESSION_FIELDS,
    )
    ids = {key: session.pk for key, session in existing.items()}
    return ids, Counts(created=len(new), updated=len(changed))


@transaction.atomic
def attendances_replace(
    *,
    session_ids: Collection[int],
    enrolment_ids: Collection[int],
    wanted: Mapping[tuple[int, int], Mark],
    by: User | None,
) -> Counts:
    """Between these sessions and these enrolments, what is not plain presence becomes
    exactly ``wanted`` (by (session id, enrolment id)): marks created or changed (recorded
    by ``by``), and any other absence or lateness stored becomes presence (its row deleted).
    """
    now = timezone.now()
    enrolments = set(enrolment_ids)
    current = {
        (session_id, enrolment_id): (pk, (presence, minutes, justified))
        for pk, session_id, enrolment_id, presence, minutes, justified in (
            Attendance.objects.filter(session_id__in=list(session_ids)).values_list(
                "pk", "session_id", "enrolment_id", "presence", "minutes_missed", "justified"
            )
        )
        if enrolment_id in enrolments
    }
    by_id = by.pk if by is not None else None
    new, changed = [], []
    for key, mark in wanted.items():
        row = current.get(key)
        if row is None:
            new.append((*key, *mark, by_id))
        elif row[1] != mark:
            changed.append((row[0], *mark, by_id, now))
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
    return Counts(created=len(new), updated=len(changed), deleted=len(stale))
