"""Plain data of the signing sheet (feuille d'émargement): one PDF per session, one row per
student of the UE to sign, in name order; withdrawn students left out.

Who may print it: the registrar (every session) and the teachers assigned to the session's UE
(``signing_sessions``); anyone else gets a 404 from the view.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from enrolment.models import StaffAssignment, User
from enrolment.roles import is_registrar
from enrolment.selectors import ue_enrolments
from lib.formats import long_date

from .documents import format_duration, tiers_temps_minutes
from .models import Session
from .rooms import code_reading
from .rules import SITES, Site
from .selectors import staff_sessions


@dataclass(frozen=True)
class SigningLine:
    last_name: str
    first_name: str
    number: str
    # Only on an exam's sheet: the student has a tiers-temps, ending at ``extended_end``.
    tiers_temps: bool
    extended_end: dt.datetime | None


@dataclass(frozen=True)
class SigningSheet:
    reference: str
    programme_code: str
    programme_title: str
    year: str
    ue_code: str
    ue_title: str
    title: str
    kind_label: str
    is_exam: bool
    makeup: bool
    cancelled: bool
    day: str  # « mardi 7 octobre 2025 »
    start: dt.datetime
    end: dt.datetime
    duration: str
    site_label: str
    site_address: tuple[str, ...]
    room_code: str
    room_description: str
    teachers: list[str]
    lines: list[SigningLine]

    @property
    def count(self) -> int:
        return len(self.lines)


def signing_sessions(user: User) -> QuerySet[Session]:
    """Sessions whose sheet ``user`` may print: every one for the registrar, else those of the
    UE they are assigned to."""
    if is_registrar(user):
        return Session.objects.select_related("ue", "ue__programme_year__programme")
    return staff_sessions(user).select_related("ue__programme_year__programme")


def _name(user: User) -> str:
    full = f"{user.first_name} {user.last_name.upper()}".strip()
    return full or user.username


def session_teachers(session: Session) -> list[str]:
    """The teachers taking the session when the planning names them, else the UE's."""
    named: Sequence[User] = list(session.teachers.order_by("last_name", "first_name", "pk"))
    if not named:
        named = [
            a.user
            for a in StaffAssignment.objects.filter(ue_id=session.ue_id)
            .select_related("user")
            .order_by("user__last_name", "user__first_name", "user_id")
        ]
    return [_name(user) for user in named]


def signing_sheet(session: Session) -> SigningSheet:
    """The sheet of one session (``session`` from ``signing_sessions``). Three queries."""
    ue = session.ue
    py = ue.programme_year
    start = timezone.localtime(session.start)
    end = timezone.localtime(session.end)
    is_exam = session.kind == Session.Kind.EXAMEN
    lines = []
    for enrolment in ue_enrolments(ue):
        student = enrolment.student
        tiers = is_exam and student.tiers_temps
        lines.append(
            SigningLine(
                last_name=student.last_name,
                first_name=student.first_name,
                number=student.number,
                tiers_temps=tiers,
                extended_end=(
                    start + dt.timedelta(minutes=tiers_temps_minutes(session.minutes))
                    if tiers
                    else None
                ),
            )
        )
    site = Site(session.site)
    info = SITES[site]
    # An odd code is still printed as given.
    room_description = code_reading(code=session.room, site=site) or _("salle %(code)s") % {
        "code": session.room
    }
    return SigningSheet(
        reference=f"EMARG-{py.programme.code}-{py.year}-{ue.code}-{session.key}",
        programme_code=py.programme.code,
        programme_title=py.programme.title,
        year=py.year,
        ue_code=ue.code,
        ue_title=ue.title,
        title=session.title,
        kind_label=session.get_kind_display(),
        is_exam=is_exam,
        makeup=session.makeup,
        cancelled=session.cancelled,
        day=long_date(start, "l j F Y"),
        start=start,
        end=end,
        duration=format_duration(session.minutes),
        site_label=info.label,
        site_address=info.address,
        room_code=session.room,
        room_description=room_description,
        teachers=session_teachers(session),
        lines=lines,
    )
