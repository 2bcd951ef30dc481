"""Reads of the attendance app, scoped by who asks and built set-wise (no query per student)."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from enrolment.freeze import is_frozen
from enrolment.models import UE, Enrolment, StaffAssignment, User
from enrolment.roles import is_registrar
from enrolment.selectors import ue_enrolments

from . import rules
from .models import Attendance, JustificationRequest, Session, SessionChange


def staff_sessions(user: User) -> QuerySet[Session]:
    """Sessions of the UE this staff member is assigned to (the only ones they may touch)."""
    return (
        Session.objects.filter(ue__assignments__user_id=user.pk)
        .select_related("ue", "ue__programme_year")
        .distinct()
    )


@dataclass(frozen=True)
class RollRow:
    enrolment: Enrolment
    attendance: Attendance | None

    @property
    def presence(self) -> str:
        return self.attendance.presence if self.attendance else Attendance.Presence.PRESENT

    @property
    def minutes_missed(self) -> int:
        return self.attendance.minutes_missed if self.attendance else 0


def roll_rows(session: Session) -> list[RollRow]:
    """Every student of the session's UE with what is recorded for them (two queries)."""
    enrolments = list(ue_enrolments(session.ue))
    recorded = {a.enrolment_id: a for a in Attendance.objects.filter(session=session)}
    return [RollRow(e, recorded.get(e.pk)) for e in enrolments]


class MarkRead(Protocol):
    """What ``session_attendance`` reads of a roll line: an ``Attendance``, or a row read as
    a tuple."""

    @property
    def presence(self) -> str: ...
    @property
    def minutes_missed(self) -> int: ...
    @property
    def justified(self) -> bool: ...


def session_attendance(
    session: Session, mark: MarkRead | None, *, now: datetime
) -> rules.SessionAttendance:
    """What the absence rules read of one session for one student: the one definition of a
    session held (ended, not cancelled) and of a student without a roll line (present)."""
    return rules.SessionAttendance(
        minutes=session.minutes,
        kind=rules.SessionKind(session.kind),
        held=not session.cancelled and session.end <= now,
        presence=rules.Presence(mark.presence) if mark else rules.Presence.PRESENT,
        minutes_missed=mark.minutes_missed if mark else 0,
        justified=mark.justified if mark else False,
        cancelled=session.cancelled,
    )


def enrolment_absence_rate(
    enrolment: Enrolment, *, now: datetime | None = None
) -> rules.AbsenceRate:
    """Absence rate of one enrolment: ``absence_rates`` for a cohort of one (four queries)."""
    return absence_rates([enrolment], now=now)[enrolment.pk]


def absence_rates(
    enrolments: Sequence[Enrolment], *, now: datetime | None = None
) -> dict[int, rules.AbsenceRate]:
    """Absence rate of each enrolment over the sessions of all its UE (RULES.md §5).

    Four queries whatever the number of students.
    """
    now = now or timezone.now()
    if not enrolments:
        return {}
    ids = [e.pk for e in enrolments]
    ue_links = Enrolment.ues.through.objects.filter(enrolment_id__in=ids).values_list(
        "enrolment_id", "ue_id"
    )
    ues_of: dict[int, set[int]] = defaultdict(set)
    for enrolment_id, ue_id in ue_links:
        ues_of[enrolment_id].add(ue_id)
    all_ues = {u for ues in ues_of.values() for u in ues}
    sessions_by_ue: dict[int, list[Session]] = defaultdict(list)
    for session in Session.objects.filter(ue_id__in=all_ues):
        sessions_by_ue[session.ue_id].append(session)
    recorded = {
        (a.enrolment_id, a.session_id): a
        for a in Attendance.objects.filter(enrolment_id__in=ids).only(
            "enrolment_id", "session_id", "presence", "minutes_missed", "justified"
        )
    }
    result = {}
    for enrolment in enrolments:
        py = enrolment.programme_year
        entries = []
        for ue_id in ues_of.get(enrolment.pk, ()):
            for session in sessions_by_ue.get(ue_id, ()):
                mark = recorded.get((enrolment.pk, session.pk))
                entries.append(session_attendance(session, mark, now=now))
        result[enrolment.pk] = rules.absence_rate(
            sessions=entries,
            justified_absences_count=py.justified_absences_count,
            threshold_pct=py.absence_threshold_pct,
        )
    return result


def attendance_visible_to(user: User) -> QuerySet[Attendance]:
    """Attendance rows whose justification this user may read: staff of the UE, registrars,
    and the student concerned."""
    qs = Attendance.objects.select_related("session", "enrolment")
    if is_registrar(user) or user.is_superuser:
        return qs
    return qs.filter(
        Q(session__ue__assignments__user_id=user.pk) | Q(enrolment__student__user_id=user.pk)
    ).distinct()


def justification_requests_visible_to(user: User) -> QuerySet[JustificationRequest]:
    """Justification requests (and their files) this user may read: the student who sent
    them, the UE's teachers and registrars."""
    qs = JustificationRequest.objects.select_related(
        "attendance__session__ue", "attendance__enrolment__student"
    )
    if is_registrar(user) or user.is_superuser:
        return qs
    return qs.filter(
        Q(attendance__session__ue__assignments__user_id=user.pk)
        | Q(attendance__enrolment__student__user_id=user.pk)
    ).distinct()


def justification_requests_to_decide(user: User) -> QuerySet[JustificationRequest]:
    """Requests this user may accept or refuse: the UE's teachers, and registrars."""
    qs = JustificationRequest.objects.select_related(
        "attendance__session__ue", "attendance__enrolment__student"
    )
    if is_registrar(user) or user.is_superuser:
        return qs
    return qs.filter(attendance__session__ue__assignments__user_id=user.pk).distinct()


def pending_justification_requests(user: User) -> QuerySet[JustificationRequest]:
    """The requests waiting for this user's decision, oldest first."""
    return (
        justification_requests_to_decide(user)
        .filter(status=JustificationRequest.Status.PENDING)
        .order_by("created_at", "pk")
    )


def latest_justification_requests(enrolment: Enrolment) -> dict[int, JustificationRequest]:
    """The latest request of each absence of the enrolment, by attendance id (one query)."""
    latest: dict[int, JustificationRequest] = {}
    for request in JustificationRequest.objects.filter(attendance__enrolment=enrolment).order_by(
        "created_at", "pk"
    ):
        latest[request.attendance_id] = request
    return latest


def roll_justification_requests(session: Session) -> dict[int, JustificationRequest]:
    """The latest request of each student of the session's roll, by enrolment id."""
    latest: dict[int, JustificationRequest] = {}
    for request in (
        JustificationRequest.objects.filter(attendance__session=session)
        .select_related("attendance")
        .order_by("created_at", "pk")
    ):
        latest[request.attendance.enrolment_id] = request
    return latest


def session_frozen(session: Session, *, now: datetime | None = None) -> bool:
    """The jury has deliberated on the session's cohort and the session has ended (§7b)."""
    return session.end <= (now or timezone.now()) and is_frozen(session.ue.programme_year_id)


# ---- Planning (the registrar's week view and the clashes) -------------------------------------


def week_bounds(monday: date) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00, Paris time (a week of summer-time change has
    167 or 169 hours)."""
    zone = timezone.get_default_timezone()
    start = timezone.make_aware(datetime.combine(monday, datetime.min.time()), zone)
    end = timezone.make_aware(
        datetime.combine(monday + timedelta(days=7), datetime.min.time()), zone
    )
    return start, end


def planning_sessions(
    *, start: datetime, end: datetime, programme_year_id: int | None = None
) -> QuerySet[Session]:
    """Sessions overlapping [start, end), cancelled ones included, with their UE, year and
    teachers (three queries); ``programme_year_id`` keeps one promotion."""
    sessions = Session.objects.filter(start__lt=end, end__gt=start)
    if programme_year_id is not None:
        sessions = sessions.filter(ue__programme_year_id=programme_year_id)
    return (
        sessions.select_related("ue", "ue__programme_year__programme")
        .prefetch_related(
            Prefetch("teachers", queryset=User.objects.order_by("last_name", "first_name")),
            Prefetch(
                "changes",
                queryset=SessionChange.objects.filter(kind=SessionChange.Kind.MOVED),
                to_attr="moves",
            ),
        )
        .order_by("start", "ue__code", "pk")
    )


def session_slot(session: Session) -> rules.Slot:
    """What clash detection reads of a session (its teachers prefetched or read)."""
    return rules.Slot(
        ref=session.pk,
        start=session.start,
        end=session.end,
        site=session.site,
        room=session.room,
        teachers=frozenset(t.pk for t in session.teachers.all()),
        cancelled=session.cancelled,
    )


def planning_clashes(
    *, start: datetime, end: datetime, extra: Iterable[rules.Slot] = ()
) -> tuple[dict[int | str, list[rules.Clash]], dict[int, Session]]:
    """Clashes of every session overlapping [start, end), whatever its promotion (a room is
    shared by all), plus ``extra`` slots still to be created. Returns the clashes of each
    slot by ref, and the sessions read (by id) so the page can name the other session."""
    sessions = {s.pk: s for s in planning_sessions(start=start, end=end)}
    slots = [session_slot(s) for s in sessions.values()]
    by_ref: dict[int | str, list[rules.Clash]] = defaultdict(list)
    for clash in rules.clashes([*slots, *extra]):
        by_ref[clash.first.ref].append(clash)
        by_ref[clash.second.ref].append(clash)
    return dict(by_ref), sessions


def ue_teachers(ue: UE) -> QuerySet[User]:
    """The teachers assigned to ``ue`` (the only ones a session of it may name)."""
    return User.objects.filter(
        pk__in=StaffAssignment.objects.filter(ue=ue).values("user_id")
    ).order_by("last_name", "first_name", "username")


def planning_teachers() -> QuerySet[User]:
    """Everyone assigned to at least one UE, for the planning forms' teacher choices."""
    return User.objects.filter(pk__in=StaffAssignment.objects.values("user_id")).order_by(
        "last_name", "first_name", "username"
    )
