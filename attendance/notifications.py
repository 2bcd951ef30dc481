"""E-mails of the attendance app: session moved or cancelled, absence thresholds crossed."""

from collections.abc import Sequence

from django.utils import timezone
from django.utils.formats import date_format

from enrolment.models import Enrolment
from enrolment.notifications import notify_once

from .models import Session, SessionChange
from .rules import format_rate
from .selectors import absence_rates, ue_enrolments


def _when(session: Session) -> str:
    start = timezone.localtime(session.start)
    end = timezone.localtime(session.end)
    return f"{date_format(start, 'j F Y')} de {start:%H:%M} à {end:%H:%M}"


def session_changed(*, change: SessionChange) -> int:
    """E-mail every student of the session's UE at once (one e-mail per change)."""
    session = change.session
    ue = session.ue
    if change.kind == SessionChange.Kind.CANCELLED:
        subject = f"Cnam CS — séance annulée : {ue.code} {session.title or session.key}"
        what = f"La séance du {_when(session)} est annulée."
    else:
        subject = f"Cnam CS — séance déplacée : {ue.code} {session.title or session.key}"
        what = (
            f"La séance a lieu désormais le {_when(session)}, "
            f"site {session.get_site_display()}, salle {session.room}."
        )
    reason = f"\nMotif : {change.reason}\n" if change.reason else ""
    sent = 0
    for enrolment in ue_enrolments(ue):
        student = enrolment.student
        sent += notify_once(
            key=f"session-change:{change.pk}:{enrolment.pk}",
            recipient=student.user,
            subject=subject,
            body=(
                f"Bonjour {student.first_name},\n\n{what}\n{reason}\n"
                "Votre planning sur le portail CS est à jour.\n\n"
                "Cnam — EPN12 Santé-Solidarité"
            ),
        )
    return sent


def absence_thresholds(*, enrolments: Sequence[Enrolment]) -> int:
    """E-mail a student whose absence rate reached 15 % (3/4 of the threshold) or went past
    the threshold: once per threshold and enrolment."""
    sent = 0
    rates = absence_rates(list(enrolments))
    for enrolment in enrolments:
        rate = rates[enrolment.pk]
        student = enrolment.student
        levels = []
        if rate.warning:
            levels.append(("warning", "a atteint les trois quarts du seuil"))
        if rate.defaillant:
            levels.append(("defaillant", "dépasse le seuil : vous êtes défaillant·e"))
        for level, text in levels:
            sent += notify_once(
                key=f"absence-{level}:{enrolment.pk}",
                recipient=student.user,
                subject="Cnam CS — votre taux d'absence",
                body=(
                    f"Bonjour {student.first_name},\n\n"
                    f"Votre taux d'absence est de {format_rate(rate.rate)} et {text} "
                    f"({format_rate(enrolment.programme_year.absence_threshold_pct)}).\n"
                    "Consultez la rubrique « Assiduité » du portail CS.\n\n"
                    "Cnam — EPN12 Santé-Solidarité"
                ),
            )
    return sent
