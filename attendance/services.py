"""Writes of the attendance app: rolls, justified absences, moved or cancelled sessions."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from enrolment.models import Enrolment, User

from . import notifications
from .models import Attendance, Session, SessionChange


@dataclass(frozen=True, kw_only=True)
class RollEntry:
    enrolment_id: int
    presence: str
    minutes_missed: int = 0


@transaction.atomic
def roll_record(*, session: Session, entries: Iterable[RollEntry], by: User) -> int:
    """Record the roll of a session for the whole cohort at once; returns rows changed.

    A justified absence stays justified while the student stays absent. Students who cross
    15 % or the threshold are e-mailed once.
    """
    entries = list(entries)
    existing = {
        a.enrolment_id: a for a in Attendance.objects.select_for_update().filter(session=session)
    }
    to_create, to_update = [], []
    for entry in entries:
        minutes = entry.minutes_missed if entry.presence == Attendance.Presence.LATE else 0
        current = existing.get(entry.enrolment_id)
        if current is None:
            if entry.presence == Attendance.Presence.PRESENT:
                continue  # presence is the default: no row needed
            to_create.append(
                Attendance(
                    session=session,
                    enrolment_id=entry.enrolment_id,
                    presence=entry.presence,
                    minutes_missed=minutes,
                    recorded_by=by,
                )
            )
            continue
        if current.presence == entry.presence and current.minutes_missed == minutes:
            continue
        current.presence = entry.presence
        current.minutes_missed = minutes
        if entry.presence != Attendance.Presence.ABSENT:
            current.justified = False
            current.justification_reason = ""
        current.recorded_by = by
        current.recorded_at = timezone.now()
        to_update.append(current)
    Attendance.objects.bulk_create(to_create)
    Attendance.objects.bulk_update(
        to_update,
        [
            "presence",
            "minutes_missed",
            "justified",
            "justification_reason",
            "recorded_by",
            "recorded_at",
        ],
    )
    touched = [e.enrolment_id for e in entries]
    enrolments = list(
        Enrolment.objects.filter(pk__in=touched).select_related("student__user", "programme_year")
    )
    transaction.on_commit(lambda: notifications.absence_thresholds(enrolments=enrolments))
    return len(to_create) + len(to_update)


@transaction.atomic
def absence_justify(
    *,
    session: Session,
    enrolment: Enrolment,
    reason: str,
    document: UploadedFile | None,
    by: User,
) -> Attendance:
    """Mark the student absent and justified, with the reason and an optional document."""
    attendance, _ = Attendance.objects.select_for_update().get_or_create(
        session=session, enrolment=enrolment, defaults={"presence": Attendance.Presence.ABSENT}
    )
    attendance.presence = Attendance.Presence.ABSENT
    attendance.minutes_missed = 0
    attendance.justified = True
    attendance.justification_reason = reason.strip()[:300]
    attendance.recorded_by = by
    if document is not None:
        if attendance.justification_document:
            attendance.justification_document.delete(save=False)
        attendance.justification_document.save(
            document.name or "justificatif", document, save=False
        )
    attendance.full_clean()
    attendance.save()
    return attendance


def _log(session: Session, *, kind: str, by: User, reason: str) -> SessionChange:
    return SessionChange.objects.create(
        session=session,
        kind=kind,
        at=timezone.now(),
        by=by,
        old_start=session.start,
        old_end=session.end,
        old_site=session.site,
        old_room=session.room,
        reason=reason.strip()[:300],
    )


@transaction.atomic
def session_move(
    *,
    session: Session,
    start: datetime,
    end: datetime,
    site: str,
    room: str,
    reason: str,
    by: User,
) -> SessionChange:
    """Move a session (date, time, place); its students are e-mailed at once."""
    change = _log(session, kind=SessionChange.Kind.MOVED, by=by, reason=reason)
    session.start, session.end, session.site, session.room = start, end, site, room
    session.full_clean()
    session.save(update_fields=["start", "end", "site", "room"])
    transaction.on_commit(lambda: notifications.session_changed(change=change))
    return change


@transaction.atomic
def session_cancel(*, session: Session, reason: str, by: User) -> SessionChange:
    """Cancel a session; it no longer counts in absence rates; students e-mailed at once."""
    change = _log(session, kind=SessionChange.Kind.CANCELLED, by=by, reason=reason)
    session.cancelled = True
    session.save(update_fields=["cancelled"])
    transaction.on_commit(lambda: notifications.session_changed(change=change))
    return change
