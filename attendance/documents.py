"""Plain data of the convocation (exam notice, RULES.md §7): one PDF per exam session."""

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from math import ceil

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from enrolment.documents import (
    ProgrammeInfo,
    StudentIdentity,
    document_reference,
    programme_info,
    student_identity,
)
from enrolment.models import Enrolment

from .models import Session
from .rooms import code_reading
from .rules import SITES, Site

ARRIVAL_MINUTES = 15


@dataclass(frozen=True)
class ExamNotice:
    session_id: int
    ue_code: str
    ue_title: str
    title: str
    start: dt.datetime
    end: dt.datetime
    minutes: int
    site_label: str
    site_address: tuple[str, ...]
    site_transport: str
    room_code: str
    room_description: str
    past: bool

    @property
    def duration(self) -> str:
        return format_duration(self.minutes)


@dataclass(frozen=True)
class Accommodation:
    tiers_temps: bool
    minutes: int
    end: dt.datetime
    details: str

    @property
    def duration(self) -> str:
        return format_duration(self.minutes)


@dataclass(frozen=True)
class Convocation:
    reference: str
    student: StudentIdentity
    programme: ProgrammeInfo
    exam: ExamNotice
    arrival: dt.datetime
    accommodation: Accommodation | None
    issued_on: dt.date


def format_duration(minutes: int) -> str:
    """« 2 h », « 2 h 40 », « 45 min »."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


def tiers_temps_minutes(minutes: int) -> int:
    """Tiers-temps: the exam lasts a third longer, rounded up to the minute."""
    return ceil(minutes * 4 / 3)


def exam_sessions(
    enrolment: Enrolment, *, skip: Collection[tuple[int, dt.date]] = ()
) -> QuerySet[Session]:
    """Exam sessions of the student's own UE, not cancelled, in date order.

    ``skip``: (UE id, local day) of exams the student is not convened to, as the layer that
    sees grades knows them (a make-up without a justified absence, RULES.md §7b).
    """
    sessions = Session.objects.filter(
        kind=Session.Kind.EXAMEN, cancelled=False, ue__in=enrolment.ues.all()
    )
    if skip:
        left_out = Q()
        for ue_id, day in skip:
            left_out |= Q(ue_id=ue_id, start__date=day)
        sessions = sessions.exclude(left_out)
    return sessions.select_related("ue").order_by("start", "pk")


def _notice(session: Session, *, now: dt.datetime) -> ExamNotice:
    site = Site(session.site)
    info = SITES[site]
    # An odd code is still printed as given.
    room_description = code_reading(code=session.room, site=site) or _("salle %(code)s") % {
        "code": session.room
    }
    return ExamNotice(
        session_id=session.pk,
        ue_code=session.ue.code,
        ue_title=session.ue.title,
        title=session.title,
        start=timezone.localtime(session.start),
        end=timezone.localtime(session.end),
        minutes=session.minutes,
        site_label=info.label,
        site_address=info.address,
        site_transport=info.transport,
        room_code=session.room,
        room_description=room_description,
        past=session.end <= now,
    )


def exam_convocations(
    enrolment: Enrolment, *, skip: Collection[tuple[int, dt.date]] = ()
) -> list[ExamNotice]:
    """Every exam the student is convened to (used by the Documents page), ``skip`` left out
    (see ``exam_sessions``). One query."""
    now = timezone.now()
    return [_notice(session, now=now) for session in exam_sessions(enrolment, skip=skip)]


def convocation(enrolment: Enrolment, session: Session) -> Convocation:
    """The convocation of a student to one exam session (``session`` from exam_sessions)."""
    student = enrolment.student
    exam = _notice(session, now=timezone.now())
    accommodation = None
    if student.tiers_temps or student.accommodations.strip():
        minutes = tiers_temps_minutes(exam.minutes) if student.tiers_temps else exam.minutes
        accommodation = Accommodation(
            tiers_temps=student.tiers_temps,
            minutes=minutes,
            end=exam.start + dt.timedelta(minutes=minutes),
            details=student.accommodations.strip(),
        )
    return Convocation(
        # One reference per (student, session): the exam and its make-up share the UE code.
        reference=f"{document_reference('CONV', enrolment)}-{session.ue.code}-{session.key}",
        student=student_identity(enrolment),
        programme=programme_info(enrolment),
        exam=exam,
        arrival=exam.start - dt.timedelta(minutes=ARRIVAL_MINUTES),
        accommodation=accommodation,
        issued_on=timezone.localdate(),
    )
