"""E-mails of the attendance app: session moved or cancelled, absence thresholds crossed,
a student's justification accepted or refused."""

from collections.abc import Sequence

from django.urls import reverse

from enrolment.models import Enrolment
from enrolment.notifications import notify_once
from lib.links import absolute_url

from .models import JustificationRequest, SessionChange
from .selectors import absence_rates, ue_enrolments


def session_changed(*, change: SessionChange) -> int:
    """E-mail every student of the session's UE at once (one e-mail per change), except those
    who turned these e-mails off (``User.notify_sessions``)."""
    session = change.session
    cancelled = change.kind == SessionChange.Kind.CANCELLED
    context = {
        "session": session,
        "ue": session.ue,
        "label": session.title or session.key,
        "reason": change.reason,
        "link": absolute_url(reverse("attendance:student-planning")),
    }
    sent = 0
    for enrolment in ue_enrolments(session.ue):
        student = enrolment.student
        if not student.user.notify_sessions:
            continue
        sent += notify_once(
            key=f"session-change:{change.pk}:{enrolment.pk}",
            recipient=student.user,
            template="session_cancelled" if cancelled else "session_moved",
            context={**context, "student": student},
        )
    return sent


def absence_thresholds(*, enrolments: Sequence[Enrolment]) -> int:
    """E-mail a student whose absence rate reached 15 % (3/4 of the threshold) or went past
    the threshold: once per threshold and enrolment. The warning may be turned off
    (``User.notify_absences``); the défaillance notice, which excludes from the exam, may not."""
    sent = 0
    rates = absence_rates(list(enrolments))
    link = absolute_url(reverse("attendance:student-attendance"))
    for enrolment in enrolments:
        rate = rates[enrolment.pk]
        student = enrolment.student
        levels = []
        if rate.warning and student.user.notify_absences:
            levels.append("warning")
        if rate.defaillant:
            levels.append("defaillant")
        for level in levels:
            sent += notify_once(
                key=f"absence-{level}:{enrolment.pk}",
                recipient=student.user,
                template=f"absence_{level}",
                context={
                    "student": student,
                    "rate": rate.rate_display,
                    "threshold": enrolment.programme_year.absence_threshold_pct,
                    "link": link,
                },
            )
    return sent


def justification_decided(*, request: JustificationRequest) -> bool:
    """E-mail the student the decision on their justification, once per request."""
    attendance = request.attendance
    session = attendance.session
    student = attendance.enrolment.student
    return notify_once(
        key=f"justification-decided:{request.pk}",
        recipient=student.user,
        template="justification_decided",
        context={
            "student": student,
            "session": session,
            "ue": session.ue,
            "accepted": request.status == JustificationRequest.Status.ACCEPTED,
            "reason": request.refusal_reason,
            "link": absolute_url(reverse("attendance:student-attendance")),
        },
    )
