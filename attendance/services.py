"""Writes of the attendance app: rolls, justified absences (and the students' requests),
moved or cancelled sessions, and the calendar feed's secret."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrolment.freeze import (
    SESSIONS_FROZEN,
    SESSIONS_INTO_PAST_FROZEN,
    ensure_open,
    ensure_open_locked,
)
from enrolment.models import UE, Enrolment, User

from . import feed_tokens, notifications
from .models import Attendance, CalendarFeed, JustificationRequest, Session, SessionChange


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
    session_ensure_open(session=session)
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
    if session.roll_taken_at is None:
        session.roll_taken_at = timezone.now()
        session.save(update_fields=["roll_taken_at"])
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
    document: File[bytes] | None,
    by: User,
) -> Attendance:
    """Mark the student absent and justified, with the reason and an optional document."""
    session_ensure_open(session=session)
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


@transaction.atomic
def justification_request_submit(
    *, attendance: Attendance, document: UploadedFile[bytes], comment: str
) -> JustificationRequest:
    """The student sends the justification of one absence: a pending request for the UE's
    teacher or the registrar. Refused once the jury has frozen the session (§7b), for an
    absence already justified, and while another request waits."""
    session_ensure_open(session=attendance.session)
    attendance = Attendance.objects.select_for_update().get(pk=attendance.pk)
    if attendance.presence != Attendance.Presence.ABSENT or attendance.justified:
        raise ValidationError(_("Cette absence n'a pas à être justifiée."), code="not-absent")
    if attendance.justification_requests.filter(
        status=JustificationRequest.Status.PENDING
    ).exists():
        raise ValidationError(
            _("Un justificatif attend déjà une décision pour cette absence."), code="pending"
        )
    request = JustificationRequest(
        attendance=attendance, comment=comment.strip()[:300], created_at=timezone.now()
    )
    request.document.save(document.name or "justificatif", document, save=False)
    try:
        request.full_clean()
        request.save()
    except Exception:
        request.document.delete(save=False)  # no file without its row
        raise
    return request


@transaction.atomic
def justification_request_decide(
    *, request: JustificationRequest, accept: bool, reason: str = "", by: User
) -> JustificationRequest:
    """Accept a student's justification (the absence becomes justified through
    ``absence_justify``, with the student's file) or refuse it with a reason; the student is
    e-mailed either way. Refused once the jury has frozen the session (§7b)."""
    request = (
        JustificationRequest.objects.select_for_update()
        .select_related("attendance__session__ue", "attendance__enrolment__student__user")
        .get(pk=request.pk)
    )
    attendance = request.attendance
    session_ensure_open(session=attendance.session)
    if request.status != JustificationRequest.Status.PENDING:
        raise ValidationError(_("Cette demande a déjà été traitée."), code="decided")
    if accept:
        if attendance.presence != Attendance.Presence.ABSENT:
            raise ValidationError(
                _("L'élève n'est plus noté·e absent·e à cette séance : rien n'a été justifié."),
                code="not-absent",
            )
        with request.document.open("rb") as stored:
            absence_justify(
                session=attendance.session,
                enrolment=attendance.enrolment,
                reason=request.comment or _("Justificatif envoyé par l'élève"),
                document=File(stored, name=request.document.name),
                by=by,
            )
        request.status = JustificationRequest.Status.ACCEPTED
    else:
        if not reason.strip():
            raise ValidationError(_("Indiquez le motif du refus."), code="reason")
        request.status = JustificationRequest.Status.REFUSED
        request.refusal_reason = reason.strip()[:300]
    request.decided_by = by
    request.decided_at = timezone.now()
    request.full_clean()
    request.save()
    transaction.on_commit(lambda: notifications.justification_decided(request=request))
    return request


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
    session_ensure_open(session=session, new_end=end)
    change = _log(session, kind=SessionChange.Kind.MOVED, by=by, reason=reason)
    session.start, session.end, session.site, session.room = start, end, site, room
    session.full_clean()
    session.save(update_fields=["start", "end", "site", "room"])
    transaction.on_commit(lambda: notifications.session_changed(change=change))
    return change


@transaction.atomic
def session_cancel(*, session: Session, reason: str, by: User) -> SessionChange:
    """Cancel a session; it no longer counts in absence rates; students e-mailed at once."""
    session_ensure_open(session=session)
    change = _log(session, kind=SessionChange.Kind.CANCELLED, by=by, reason=reason)
    session.cancelled = True
    session.save(update_fields=["cancelled"])
    transaction.on_commit(lambda: notifications.session_changed(change=change))
    return change


def session_ensure_open(
    *,
    session: Session,
    new_end: datetime | None = None,
    now: datetime | None = None,
    lock: bool = True,
) -> None:
    """Raise ``FrozenError`` if the jury has deliberated and the session has already ended.

    RULES.md §7b: a session held and its roll are frozen. A cancelled past session is frozen
    too (un-cancelling it would add minutes held). A future session stays open, but cannot be
    moved into the past (it would become held after the jury). The stored end is read again:
    the instance may already carry new values. ``lock=False`` checks outside a transaction
    (a form's ``clean``); the writer checks again, locked.
    """
    check = ensure_open_locked if lock else ensure_open
    now = now or timezone.now()
    if session.pk is not None:
        stored = (
            Session.objects.filter(pk=session.pk)
            .values_list("end", "ue__programme_year_id")
            .first()
        )
        if stored is not None and stored[0] <= now:
            check(stored[1], SESSIONS_FROZEN)
    if new_end is not None and new_end <= now and session.ue_id is not None:
        programme_year_id = UE.objects.values_list("programme_year_id", flat=True).get(
            pk=session.ue_id
        )
        check(programme_year_id, SESSIONS_INTO_PAST_FROZEN)


@transaction.atomic
def session_write(*, session: Session) -> Session:
    """Create or edit a session in the back office; refused for a frozen session (§7b)."""
    session_ensure_open(session=session, new_end=session.end)
    session.full_clean()
    session.save()
    return session


@transaction.atomic
def session_delete(*, session: Session) -> None:
    """Delete a session (its attendance rows protect it); refused for a frozen session."""
    session_ensure_open(session=session)
    session.delete()


def _attendance_sessions(attendance: Attendance) -> list[Session]:
    """The session an attendance row is stored under, and the one it is being moved to."""
    ids = {attendance.session_id}
    if attendance.pk is not None:
        ids |= set(Attendance.objects.filter(pk=attendance.pk).values_list("session_id", flat=True))
    return list(Session.objects.filter(pk__in=ids - {None}).order_by("pk"))


@transaction.atomic
def attendance_write(*, attendance: Attendance) -> Attendance:
    """Create or edit one attendance row in the back office; refused on a frozen session."""
    for session in _attendance_sessions(attendance):
        session_ensure_open(session=session)
    attendance.full_clean()
    attendance.save()
    return attendance


@transaction.atomic
def attendance_delete(*, attendance: Attendance) -> None:
    """Delete one attendance row (back to plain presence); refused on a frozen session."""
    for session in _attendance_sessions(attendance):
        session_ensure_open(session=session)
    attendance.delete()


@transaction.atomic
def calendar_feed_rotate(*, user: User) -> str:
    """Give the user a new calendar-feed secret, which kills the previous link; returns it.

    The secret is returned once and only its hash is stored: it cannot be shown again.
    """
    token = feed_tokens.new_token()
    CalendarFeed.objects.update_or_create(
        user=user,
        defaults={
            "token_hash": feed_tokens.token_hash(token),
            "password_stamp": feed_tokens.password_stamp(user),
            "created_at": timezone.now(),
        },
    )
    return token


@transaction.atomic
def calendar_feed_revoke(*, user: User) -> None:
    """Remove the user's calendar-feed link: the URL answers 404 from now on."""
    CalendarFeed.objects.filter(user=user).delete()
