"""Writes of the attendance app: rolls, justified absences (and the students' requests),
the planning (sessions created one by one or as a weekly series, edited, moved or cancelled),
and the calendar feed's secret."""

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrolment import audit
from enrolment.freeze import (
    SESSIONS_FROZEN,
    SESSIONS_INTO_PAST_FROZEN,
    ensure_open,
    ensure_open_locked,
)
from enrolment.models import UE, Enrolment, ProgrammeYear, StaffAssignment, User

from . import feed_tokens, notifications, rules
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
    to_create, to_update = _roll_changes(session=session, entries=entries, existing=existing, by=by)
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
    _roll_recorded(session=session, entries=entries, by=by)
    return len(to_create) + len(to_update)


def _roll_changes(
    *,
    session: Session,
    entries: list[RollEntry],
    existing: dict[int, Attendance],
    by: User,
) -> tuple[list[Attendance], list[Attendance]]:
    """The rows to create and the rows changed (modified in place), without writing."""
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
    return to_create, to_update


def _roll_recorded(*, session: Session, entries: list[RollEntry], by: User) -> None:
    """After a roll: the threshold e-mails (after the commit) and the journal line."""
    touched = [e.enrolment_id for e in entries]
    enrolments = list(
        Enrolment.objects.filter(pk__in=touched).select_related("student__user", "programme_year")
    )
    transaction.on_commit(lambda: notifications.absence_thresholds(enrolments=enrolments))
    absent = sum(1 for e in entries if e.presence == Attendance.Presence.ABSENT)
    late = sum(1 for e in entries if e.presence == Attendance.Presence.LATE)
    audit.record(
        by=by,
        action="attendance.roll.record",
        summary=f"Appel de {session.ue.code} {session.key} du "
        f"{timezone.localtime(session.start):%d/%m/%Y} : {absent} absence(s), {late} retard(s)",
        programme_year=session.ue.programme_year,
    )


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
        attendance.purged_at = None  # a file attached after the retention purge
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
    if request.purged_at is not None:
        raise ValidationError(
            _("Le justificatif de cette demande a été supprimé (durée de conservation)."),
            code="purged",
        )
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
    if session.cancelled:
        raise ValidationError(_("Cette séance est annulée : elle ne peut plus être déplacée."))
    session_ensure_open(session=session, new_end=end)
    room = _room_code(site=site, room=room)
    _check_times(start=start, end=end)
    change = _log(session, kind=SessionChange.Kind.MOVED, by=by, reason=reason)
    session.start, session.end, session.site, session.room = start, end, site, room
    session.full_clean()
    session.save(update_fields=["start", "end", "site", "room"])
    audit.record(
        by=by,
        action="planning.session.move",
        summary=f"Séance {_name(session)} déplacée du {_when(change.old_start, change.old_end)} "
        f"au {_when(start, end)}, {_place(site, room)}",
        programme_year=session.ue.programme_year,
    )
    transaction.on_commit(lambda: notifications.session_changed(change=change))
    return change


@transaction.atomic
def session_cancel(*, session: Session, reason: str, by: User) -> SessionChange:
    """Cancel a session; it no longer counts in absence rates; students e-mailed at once."""
    if Session.objects.filter(pk=session.pk, cancelled=True).exists():
        raise ValidationError(_("Cette séance est déjà annulée."), code="cancelled")
    session_ensure_open(session=session)
    change = _log(session, kind=SessionChange.Kind.CANCELLED, by=by, reason=reason)
    session.cancelled = True
    session.save(update_fields=["cancelled"])
    audit.record(
        by=by,
        action="planning.session.cancel",
        summary=f"Séance {_name(session)} du {_when(session.start, session.end)} annulée",
        programme_year=session.ue.programme_year,
    )
    transaction.on_commit(lambda: notifications.session_changed(change=change))
    return change


# ---- Planning: sessions created by the registrar -------------------------------------------

_KEY = re.compile(r"S(\d+)")


def _name(session: Session) -> str:
    return f"{session.ue.code} {session.key}"


def _when(start: datetime, end: datetime) -> str:
    start, end = timezone.localtime(start), timezone.localtime(end)
    return f"{start:%d/%m/%Y %H:%M}–{end:%H:%M}"


def _place(site: str, room: str) -> str:
    return f"{rules.SITES[rules.Site(site)].label} {room}"


def _room_code(*, site: str, room: str) -> str:
    """The room code as stored (``parse_room`` normalises it), or a French refusal."""
    try:
        parsed = rules.parse_room(code=room.strip(), site=rules.Site(site))
    except rules.RoomCodeError as exc:
        raise ValidationError({"room": exc.message}, code="room") from exc
    except ValueError as exc:
        raise ValidationError({"site": _("Choisissez un site de la liste.")}, code="site") from exc
    return parsed.code


def _check_times(*, start: datetime, end: datetime) -> None:
    if end <= start:
        raise ValidationError({"end": _("La fin doit suivre le début.")}, code="end")


def _check_kind(*, kind: str, makeup: bool) -> None:
    if kind not in Session.Kind.values:
        raise ValidationError({"kind": _("Choisissez un type de séance.")}, code="kind")
    if makeup and kind != Session.Kind.EXAMEN:
        raise ValidationError(
            {"makeup": _("Seul un examen peut être un rattrapage.")}, code="makeup"
        )


def _check_teachers(*, ue: UE, teachers: Collection[User]) -> None:
    """Every teacher of a session teaches its UE (RULES.md §2: staff act on their UE only)."""
    assigned = set(
        StaffAssignment.objects.filter(ue=ue, user__in=teachers).values_list("user_id", flat=True)
    )
    strangers = sorted(
        t.get_full_name() or t.get_username() for t in teachers if t.pk not in assigned
    )
    if strangers:
        raise ValidationError(
            {
                "teachers": _(
                    "%(names)s n'enseigne pas l'UE %(ue)s : affectez d'abord l'enseignant·e à l'UE."
                )
                % {"names": ", ".join(strangers), "ue": ue.code}
            },
            code="teachers",
        )


def _new_keys(ue: UE, count: int) -> list[str]:
    """``count`` new keys S01, S02… after the highest of the UE's year: unique per UE and,
    like the cohort file's keys, within the year."""
    used = Session.objects.filter(ue__programme_year_id=ue.programme_year_id).values_list(
        "key", flat=True
    )
    highest = max((int(m[1]) for k in used if (m := _KEY.fullmatch(k))), default=0)
    return [f"S{n:02d}" for n in range(highest + 1, highest + 1 + count)]


def _lock_year(ue: UE) -> None:
    # Two registrars planning the same year get their keys one after the other.
    list(ProgrammeYear.objects.select_for_update().filter(pk=ue.programme_year_id))


def paris_datetime(day: date, at: time) -> datetime:
    """A wall-clock time of the portal's zone (Europe/Paris), summer time included."""
    return timezone.make_aware(datetime.combine(day, at), timezone.get_default_timezone())


@transaction.atomic
def session_create(
    *,
    ue: UE,
    kind: str,
    start: datetime,
    end: datetime,
    site: str,
    room: str,
    title: str = "",
    makeup: bool = False,
    teachers: Collection[User] = (),
    by: User,
) -> Session:
    """Plan one session of ``ue``; refused in the past of a deliberated cohort (§7b)."""
    sessions = _sessions_create(
        ue=ue,
        kind=kind,
        spans=[(start, end)],
        site=site,
        room=room,
        title=title,
        makeup=makeup,
        teachers=teachers,
    )
    session = sessions[0]
    audit.record(
        by=by,
        action="planning.session.create",
        summary=f"Séance {_name(session)} créée ({session.get_kind_display()}) : "
        f"{_when(start, end)}, {_place(site, session.room)}",
        programme_year=ue.programme_year,
    )
    return session


@dataclass(frozen=True, kw_only=True)
class SeriesPlan:
    """A weekly series as the registrar typed it, read into its days (``rules.weekly_series``)."""

    first: date
    last: date
    start_time: time
    end_time: time
    exceptions: tuple[date, ...] = ()

    def days(self) -> rules.WeeklySeries:
        """The series' days; ``ValidationError`` in French for a series that cannot be."""
        try:
            series = rules.weekly_series(
                first=self.first, last=self.last, exceptions=self.exceptions
            )
        except rules.PlanningError as exc:
            raise ValidationError({"last": exc.message}, code="series") from exc
        if series.strays:
            raise ValidationError(
                {
                    "exceptions": _(
                        "Ces dates ne sont pas des jours de la série : %(days)s. Une série a "
                        "lieu chaque semaine le même jour que la première date."
                    )
                    % {"days": ", ".join(f"{d:%d/%m/%Y}" for d in series.strays)}
                },
                code="strays",
            )
        if self.end_time <= self.start_time:
            raise ValidationError({"end_time": _("La fin doit suivre le début.")}, code="end")
        return series

    def spans(self) -> list[tuple[datetime, datetime]]:
        return [
            (paris_datetime(d, self.start_time), paris_datetime(d, self.end_time))
            for d in self.days().days
        ]


@transaction.atomic
def session_series_create(
    *,
    ue: UE,
    kind: str,
    plan: SeriesPlan,
    site: str,
    room: str,
    title: str = "",
    makeup: bool = False,
    teachers: Collection[User] = (),
    by: User,
) -> list[Session]:
    """Plan a weekly series of sessions at the same time and place, all or nothing; one
    journal line for the whole series."""
    series = plan.days()
    sessions = _sessions_create(
        ue=ue,
        kind=kind,
        spans=plan.spans(),
        site=site,
        room=room,
        title=title,
        makeup=makeup,
        teachers=teachers,
    )
    skipped = f", sauf le {', '.join(f'{d:%d/%m/%Y}' for d in series.skipped)}"
    audit.record(
        by=by,
        action="planning.series.create",
        summary=f"Série de {len(sessions)} séances {ue.code} ({sessions[0].get_kind_display()}) "
        f"créée : {sessions[0].key} à {sessions[-1].key}, chaque semaine du "
        f"{plan.first:%d/%m/%Y} au {plan.last:%d/%m/%Y}"
        f"{skipped if series.skipped else ''}, {plan.start_time:%H:%M}–{plan.end_time:%H:%M}, "
        f"{_place(site, sessions[0].room)}",
        programme_year=ue.programme_year,
    )
    return sessions


def _sessions_check(
    *,
    ue: UE,
    kind: str,
    spans: Sequence[tuple[datetime, datetime]],
    site: str,
    room: str,
    makeup: bool,
    teachers: Collection[User],
    lock: bool,
) -> str:
    """Every refusal of a planned session, before anything is written; the room code as
    stored."""
    room = _room_code(site=site, room=room)
    _check_kind(kind=kind, makeup=makeup)
    for start, end in spans:
        _check_times(start=start, end=end)
    _check_teachers(ue=ue, teachers=teachers)
    # RULES.md §7b: a deliberated cohort gets no session in its past (it would count as held).
    earliest_end = min(end for _start, end in spans)
    session_ensure_open(session=Session(ue=ue), new_end=earliest_end, lock=lock)
    return room


def session_series_check(
    *,
    ue: UE,
    kind: str,
    plan: SeriesPlan,
    site: str,
    room: str,
    title: str = "",
    makeup: bool = False,
    teachers: Collection[User] = (),
) -> rules.WeeklySeries:
    """What ``session_series_create`` would refuse, without writing: the preview's check.
    Returns the series' days."""
    series = plan.days()
    _sessions_check(
        ue=ue,
        kind=kind,
        spans=plan.spans(),
        site=site,
        room=room,
        makeup=makeup,
        teachers=teachers,
        lock=False,
    )
    return series


def _sessions_create(
    *,
    ue: UE,
    kind: str,
    spans: Sequence[tuple[datetime, datetime]],
    site: str,
    room: str,
    title: str,
    makeup: bool,
    teachers: Collection[User],
) -> list[Session]:
    """Check everything before writing anything, then create the sessions and their teachers."""
    _lock_year(ue)
    room = _sessions_check(
        ue=ue,
        kind=kind,
        spans=spans,
        site=site,
        room=room,
        makeup=makeup,
        teachers=teachers,
        lock=True,
    )
    sessions = [
        Session(
            ue=ue,
            key=key,
            title=title.strip(),
            kind=kind,
            makeup=makeup,
            start=start,
            end=end,
            site=site,
            room=room,
        )
        for key, (start, end) in zip(_new_keys(ue, len(spans)), spans, strict=True)
    ]
    for session in sessions:
        session.full_clean()
    created = Session.objects.bulk_create(sessions)
    if teachers:
        links = [
            Session.teachers.through(session_id=s.pk, user_id=t.pk)
            for s in created
            for t in teachers
        ]
        Session.teachers.through.objects.bulk_create(links)
    return created


@transaction.atomic
def session_edit(
    *,
    session: Session,
    title: str,
    kind: str,
    makeup: bool,
    teachers: Collection[User],
    by: User,
) -> bool:
    """Change what a session is (title, kind, make-up, teachers), not when or where: moves go
    through ``session_move`` so students are told. Refused for a frozen session (§7b).
    Returns whether anything changed."""
    session_ensure_open(session=session)
    _check_kind(kind=kind, makeup=makeup)
    _check_teachers(ue=session.ue, teachers=teachers)
    before = set(session.teachers.values_list("pk", flat=True))
    after = {t.pk for t in teachers}
    title = title.strip()
    fields = {"title": title, "kind": kind, "makeup": makeup}
    changed = [name for name, value in fields.items() if getattr(session, name) != value]
    if not changed and before == after:
        return False
    for name in changed:
        setattr(session, name, fields[name])
    session.full_clean()
    if changed:
        session.save(update_fields=changed)
    if before != after:
        session.teachers.set(teachers)
    names = ", ".join(sorted(t.get_full_name() or t.get_username() for t in teachers)) or "aucun"
    audit.record(
        by=by,
        action="planning.session.edit",
        summary=f"Séance {_name(session)} modifiée : {session.get_kind_display()}"
        f"{' (rattrapage)' if session.makeup else ''}, « {session.title or '—'} », "
        f"enseignant·es : {names}",
        programme_year=session.ue.programme_year,
    )
    return True


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
