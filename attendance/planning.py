"""The student's planning: sessions by week, where they take place, and the iCalendar feed."""

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Alarm, Calendar, Event

from enrolment.models import Enrolment, StudentProfile, User

from . import feed_tokens
from .models import Attendance, CalendarFeed, Session, SessionChange
from .rooms import code_reading
from .rules import SITES, Site, SiteInfo

REMINDER = dt.timedelta(hours=1)


def room_reading(session: Session) -> str:
    """« accès 21, 2e étage, salle 32 », or the code as typed when it cannot be read."""
    return code_reading(code=session.room, site=session.site) or session.room


@dataclass(frozen=True)
class PlannedSession:
    session: Session
    site: SiteInfo
    room: str
    moves: tuple[SessionChange, ...]
    # « Cours 3 sur 8 »: the session's rank among its UE's sessions of the same kind.
    number: int = 1
    of_kind: int = 1

    @property
    def cancelled(self) -> bool:
        return self.session.cancelled

    @property
    def moved_from(self) -> SessionChange | None:
        """The first recorded move: where and when the session was first planned."""
        return self.moves[0] if self.moves else None

    @property
    def location(self) -> str:
        return ", ".join((f"Cnam {self.site.label}", self.room, *self.site.address))


@dataclass(frozen=True)
class Week:
    monday: dt.date
    sessions: list[PlannedSession]

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)


def student_sessions(enrolment: Enrolment) -> list[PlannedSession]:
    """Every session of the enrolment's UE, cancelled ones included (two queries)."""
    sessions = (
        Session.objects.filter(ue__enrolments=enrolment)
        .select_related("ue")
        .prefetch_related(
            Prefetch(
                "changes",
                queryset=SessionChange.objects.filter(kind=SessionChange.Kind.MOVED),
                to_attr="moves",
            )
        )
        .order_by("start", "pk")
    )
    totals = Counter((s.ue_id, s.kind) for s in sessions)
    seen: Counter[tuple[int, str]] = Counter()
    planned = []
    for s in sessions:
        seen[s.ue_id, s.kind] += 1
        planned.append(
            PlannedSession(
                s,
                SITES[Site(s.site)],
                room_reading(s),
                tuple(s.moves),
                number=seen[s.ue_id, s.kind],
                of_kind=totals[s.ue_id, s.kind],
            )
        )
    return planned


def by_week(planned: Iterable[PlannedSession]) -> list[Week]:
    """Sessions grouped by the local week (Monday first) they start in."""
    weeks: dict[dt.date, list[PlannedSession]] = defaultdict(list)
    for p in planned:
        day = timezone.localtime(p.session.start).date()
        weeks[day - dt.timedelta(days=day.weekday())].append(p)
    return [Week(monday, sessions) for monday, sessions in sorted(weeks.items())]


def upcoming(planned: Iterable[PlannedSession], *, now: dt.datetime, limit: int = 5) -> list:
    """The next sessions not yet over, cancelled ones included so the student sees them."""
    return [p for p in planned if p.session.end > now][:limit]


@dataclass(frozen=True)
class HeldSession:
    session: Session
    attendance: Attendance | None

    @property
    def presence(self) -> str:
        return self.attendance.presence if self.attendance else Attendance.Presence.PRESENT

    @property
    def counts(self) -> bool:
        """Exams are judged by their grade entry, not in the absence rate (RULES.md §5)."""
        return self.session.kind != Session.Kind.EXAMEN


def held_sessions(enrolment: Enrolment, *, now: dt.datetime) -> list[HeldSession]:
    """Sessions of the enrolment's UE that have ended and were not cancelled (two queries)."""
    sessions = list(
        Session.objects.filter(ue__enrolments=enrolment, cancelled=False, end__lte=now)
        .select_related("ue")
        .order_by("start", "pk")
    )
    recorded = {a.session_id: a for a in Attendance.objects.filter(enrolment=enrolment)}
    return [HeldSession(s, recorded.get(s.pk)) for s in sessions]


def feed_student(token: str) -> StudentProfile | None:
    """The student a calendar-feed token stands for (phones cannot sign in to fetch it).

    None for an unknown or replaced token, and for one made before the last password change.
    """
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=feed_tokens.token_hash(token), user__is_active=True)
        .first()
    )
    if feed is None or not feed_tokens.stamp_matches(feed.user, feed.password_stamp):
        return None
    return StudentProfile.objects.filter(user=feed.user).first()


@dataclass(frozen=True)
class FeedLink:
    """What the planning page may say about an existing link: never the link itself."""

    created_at: dt.datetime
    active: bool  # False once a password change has killed it


def feed_link(user: User) -> FeedLink | None:
    feed = CalendarFeed.objects.filter(user=user).first()
    if feed is None:
        return None
    return FeedLink(feed.created_at, feed_tokens.stamp_matches(user, feed.password_stamp))


def _description(p: PlannedSession) -> str:
    s = p.session
    lines = [
        f"{s.get_kind_display()} — {s.ue.code} {s.ue.title}",
        f"{_('Salle')} {s.room} : {p.room}",
        f"{_('Site')} {p.site.label} : {', '.join(p.site.address)} ({p.site.transport})",
    ]
    if p.moved_from:
        lines.append(_("Séance déplacée."))
    if p.cancelled:
        lines.append(_("Séance annulée."))
    return "\n".join(lines)


def ics_calendar(planned: Iterable[PlannedSession], *, name: str, now: dt.datetime) -> bytes:
    """An iCalendar (RFC 5545) of the sessions, each with a reminder one hour before."""
    cal = Calendar()
    cal.add("prodid", "-//Cnam EPN12//Portail CS//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/Paris")
    for p in planned:
        s = p.session
        event = Event()
        # Stable: the same session keeps its UID across moves, so calendars update it.
        event.add("uid", f"seance-{s.pk}@portail-cs.cnam.fr")
        event.add("dtstamp", now.astimezone(dt.UTC))
        event.add("dtstart", s.start.astimezone(dt.UTC))
        event.add("dtend", s.end.astimezone(dt.UTC))
        event.add("sequence", len(p.moves) + (1 if s.cancelled else 0))
        title = s.title or s.get_kind_display()
        event.add("summary", f"{s.ue.code} — {title}")
        event.add("location", p.location)
        event.add("description", _description(p))
        event.add("categories", [s.get_kind_display()])
        event.add("status", "CANCELLED" if s.cancelled else "CONFIRMED")
        if not s.cancelled:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"{s.ue.code} — {title}")
            alarm.add("trigger", -REMINDER)
            event.add_component(alarm)
        cal.add_component(event)
    return cal.to_ical()
