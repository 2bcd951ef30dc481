"""Writes on enrolments: enrol, status changes with their history, fees, payments, refunds.

Every write is keyword-only and atomic. Status changes go through
``enrolment.rules.check_transition`` and leave one ``EnrolmentStatusChange`` row each.
"""

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from lib.links import absolute_url

from . import audit
from .freeze import ENROLMENTS_FROZEN, UES_FROZEN, ensure_open_locked
from .models import (
    UE,
    Enrolment,
    EnrolmentStatusChange,
    Payment,
    PriorDiploma,
    ProgrammeYear,
    StudentProfile,
    User,
)
from .notifications import recipient_language, render_email
from .rules import STATUS_LABELS, EnrolmentStatus, check_transition, format_euros
from .selectors import email_in_use
from .validators import normalise_email

logger = logging.getLogger(__name__)


class EnrolmentError(Exception):
    """A write refused for a reason a person can read (French)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, kw_only=True)
class NewStudent:
    """What the registrar types to create a student who has no profile yet."""

    number: str
    last_name: str
    first_name: str
    birth_date: dt.date
    email: str
    phone: str = ""


def invitation_link(*, user: User) -> str:
    """A one-time link to set a password (Django's reset token: single use, 1 h)."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("enrolment:invitation-confirm", kwargs={"uidb64": uidb64, "token": token})
    return absolute_url(path)


def invitation_send(*, user: User, template: str = "invitation") -> None:
    """E-mail the invitation after the transaction commits (no mail for a rolled-back enrolment).

    ``template``: the students' e-mail, or « invitation_teacher » for a teacher's account.
    """
    address = user.email or getattr(getattr(user, "student", None), "email", "")
    if not address:
        return
    subject, body = render_email(
        template,
        {
            "user": user,
            "link": invitation_link(user=user),
            "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        },
        language=recipient_language(user),
    )
    transaction.on_commit(lambda: send_mail(subject, body, None, [address]))
    logger.info("invitation queued for user %s", user.pk)


@transaction.atomic
def parcours_certificate_add(
    *, enrolment: Enrolment, number: str, title: str, obtained_in: int
) -> PriorDiploma:
    """Put a certificate the portal issued in the student's parcours (« Diplômes au Cnam »).

    Called by the issuing service inside its transaction: the line exists exactly when the
    certificate does.
    """
    diploma, _created = PriorDiploma.objects.get_or_create(
        certificate_number=number,
        defaults={
            "student_id": enrolment.student_id,
            "title": title[:250],
            "institution": "Cnam",
            "year": obtained_in,
            "at_cnam": True,
        },
    )
    return diploma


def parcours_certificate_remove(*, number: str) -> None:
    """A revoked certificate leaves the parcours (its replacement, if any, comes in)."""
    PriorDiploma.objects.filter(certificate_number=number).delete()


def user_language_set(*, user: User, language: str) -> None:
    """Record the language ``user`` chose on the portal: their e-mails are written in it."""
    if language not in dict(settings.LANGUAGES):
        raise EnrolmentError(_("Cette langue n'est pas proposée par le portail."))
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])


def _status_change(
    *, enrolment: Enrolment, from_status: str, to_status: str, by: User | None, reason: str
) -> EnrolmentStatusChange:
    return EnrolmentStatusChange.objects.create(
        enrolment=enrolment,
        from_status=from_status,
        to_status=to_status,
        at=timezone.now(),
        by=by,
        reason=reason[:300],
    )


@transaction.atomic
def student_create(*, data: NewStudent) -> StudentProfile:
    """Create the account (no usable password yet) and the profile of a new student."""
    if StudentProfile.objects.filter(number=data.number).exists():
        raise EnrolmentError(f"Le numéro d'élève {data.number} existe déjà.")
    if User.objects.filter(username=data.number).exists():
        raise EnrolmentError(f"Un compte « {data.number} » existe déjà.")
    email = normalise_email(data.email)
    if email_in_use(email, user_id=None):
        raise EnrolmentError("Cette adresse e-mail est déjà celle d'un autre compte.")
    user = User(
        username=data.number,
        email=email,
        first_name=data.first_name,
        last_name=data.last_name,
    )
    user.set_unusable_password()
    user.full_clean()
    user.save()
    profile = StudentProfile(
        user=user,
        number=data.number,
        last_name=data.last_name,
        first_name=data.first_name,
        birth_date=data.birth_date,
        email=email,
        phone=data.phone,
    )
    profile.full_clean()
    profile.save()
    return profile


@transaction.atomic
def enrolment_create(
    *,
    programme_year: ProgrammeYear,
    by: User | None,
    ues: Iterable[UE],
    fees_due: Decimal,
    student: StudentProfile | None = None,
    new_student: NewStudent | None = None,
) -> Enrolment:
    """Enrol an existing student or a new one (account + profile + invitation), « en attente »."""
    if (student is None) == (new_student is None):
        raise EnrolmentError("Choisissez un élève existant ou saisissez un nouvel élève.")
    chosen = list(ues)
    if not chosen:
        raise EnrolmentError("Choisissez au moins une UE.")
    if any(ue.programme_year_id != programme_year.pk for ue in chosen):
        raise EnrolmentError("Une UE choisie n'appartient pas à cette promotion.")
    if fees_due < 0:
        raise EnrolmentError("Les frais dus ne peuvent pas être négatifs.")
    # RULES.md §7b: a deliberated cohort's enrolments and their UE no longer change.
    ensure_open_locked(programme_year.pk, ENROLMENTS_FROZEN)
    invite = new_student is not None
    if new_student is not None:
        student = student_create(data=new_student)
    assert student is not None
    if Enrolment.objects.filter(student=student, programme_year=programme_year).exists():
        raise EnrolmentError(f"{student.full_name} est déjà inscrit·e en {programme_year}.")
    enrolment = Enrolment.objects.create(
        student=student,
        programme_year=programme_year,
        status=Enrolment.Status.PENDING,
        fees_due=fees_due,
    )
    enrolment.ues.set(chosen)
    _status_change(
        enrolment=enrolment,
        from_status="",
        to_status=Enrolment.Status.PENDING,
        by=by,
        reason="Inscription enregistrée par la scolarité",
    )
    audit.record(
        by=by,
        action="enrolment.enrolment.create",
        summary=f"Inscription de {_who(student)} en {programme_year} "
        f"({', '.join(sorted(ue.code for ue in chosen))}), frais dus {format_euros(fees_due)}",
        programme_year=programme_year,
    )
    if invite:
        invitation_send(user=student.user)
    return enrolment


def _who(student: StudentProfile) -> str:
    return f"{student.last_name.upper()} {student.first_name} ({student.number})"


@transaction.atomic
def enrolment_transition(
    *, enrolment: Enrolment, target: str, by: User | None, reason: str
) -> Enrolment:
    """Move the enrolment to ``target`` if RULES.md §3 allows it; the reason is required."""
    reason = reason.strip()
    if not reason:
        raise EnrolmentError("Un motif est obligatoire pour changer l'état d'une inscription.")
    locked = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    try:
        target_status = EnrolmentStatus(target)
    except ValueError:
        raise EnrolmentError("État inconnu.") from None
    allowed, message = check_transition(
        current=EnrolmentStatus(locked.status), target=target_status
    )
    if not allowed:
        raise EnrolmentError(message)
    previous = locked.status
    locked.status = target_status.value
    locked.save(update_fields=["status"])
    _status_change(
        enrolment=locked, from_status=previous, to_status=locked.status, by=by, reason=reason
    )
    audit.record(
        by=by,
        action="enrolment.enrolment.status",
        summary=f"Inscription de {_who(locked.student)} : "
        f"{STATUS_LABELS[EnrolmentStatus(previous)]} → {STATUS_LABELS[target_status]} ({reason})",
        programme_year=locked.programme_year,
    )
    enrolment.status = locked.status
    return locked


@transaction.atomic
def enrolment_set_ues(*, enrolment: Enrolment, ues: Iterable[UE], by: User | None = None) -> None:
    """Set the UE of an enrolment; refused with ``FrozenError`` once the jury has deliberated
    (RULES.md §7b), unless the set is unchanged."""
    chosen = list(ues)
    if not chosen:
        raise EnrolmentError("Choisissez au moins une UE.")
    if any(ue.programme_year_id != enrolment.programme_year_id for ue in chosen):
        raise EnrolmentError("Une UE choisie n'appartient pas à cette promotion.")
    current = set(enrolment.ues.values_list("pk", flat=True))
    if current == {ue.pk for ue in chosen}:
        return
    ensure_open_locked(enrolment.programme_year_id, UES_FROZEN)
    enrolment.ues.set(chosen)
    audit.record(
        by=by,
        action="enrolment.enrolment.ues",
        summary=f"UE de l'inscription de {_who(enrolment.student)} : "
        f"{', '.join(sorted(ue.code for ue in chosen))}",
        programme_year=enrolment.programme_year,
    )


@transaction.atomic
def programme_year_set_jury_date(
    *, programme_year: ProgrammeYear, jury_planned_on: dt.date | None, by: User | None
) -> ProgrammeYear:
    """Announce (or withdraw, with None) the date the jury is expected to sit.

    Informational only: students read it on their checklist; it gates nothing and stays open
    after a deliberation (a second session has its own date).
    """
    locked = ProgrammeYear.objects.select_for_update().get(pk=programme_year.pk)
    previous = locked.jury_planned_on
    locked.jury_planned_on = jury_planned_on
    locked.full_clean()
    locked.save(update_fields=["jury_planned_on"])
    programme_year.jury_planned_on = jury_planned_on
    if previous != jury_planned_on:
        audit.record(
            by=by,
            action="jury.date.set",
            summary=f"Date prévue du jury de {locked} : "
            + (jury_planned_on.strftime("%d/%m/%Y") if jury_planned_on else "retirée"),
            programme_year=locked,
        )
    logger.info(
        "planned jury date of %s set from %s to %s by %s",
        locked.pk,
        previous,
        jury_planned_on,
        getattr(by, "pk", None),
    )
    return locked


@transaction.atomic
def fees_set(*, enrolment: Enrolment, fees_due: Decimal, by: User | None) -> Enrolment:
    if fees_due < 0:
        raise EnrolmentError("Les frais dus ne peuvent pas être négatifs.")
    locked = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    previous = locked.fees_due
    locked.fees_due = fees_due
    locked.save(update_fields=["fees_due"])
    if previous != fees_due:
        audit.record(
            by=by,
            action="fees.fees.set",
            summary=f"Frais dus par {_who(locked.student)} : {format_euros(previous)} "
            f"→ {format_euros(fees_due)}",
            programme_year=locked.programme_year,
        )
    logger.info(
        "fees of enrolment %s set to %s by %s", locked.pk, fees_due, getattr(by, "pk", None)
    )
    return locked


@transaction.atomic
def payment_record(
    *,
    enrolment: Enrolment,
    date: dt.date,
    amount: Decimal,
    means: str,
    by: User | None,
    reason: str = "",
) -> Payment:
    """Record a payment (amount > 0). Payments are never edited: a mistake is refunded."""
    if amount <= 0:
        raise EnrolmentError("Le montant d'un paiement doit être positif.")
    payment = Payment(
        enrolment=enrolment,
        date=date,
        amount=amount,
        means=means,
        reason=reason.strip()[:300],
        recorded_by=by,
    )
    payment.full_clean()
    payment.save()
    _payment_audit(payment, by=by, action="fees.payment.record", what="Paiement")
    return payment


def _payment_audit(payment: Payment, *, by: User | None, action: str, what: str) -> None:
    enrolment = payment.enrolment
    with translation.override("fr"):  # the journal is written in French, whoever writes
        means = str(payment.get_means_display())
    audit.record(
        by=by,
        action=action,
        summary=f"{what} de {format_euros(abs(payment.amount))} pour {_who(enrolment.student)} "
        f"({means}, {payment.date:%d/%m/%Y})" + (f" : {payment.reason}" if payment.reason else ""),
        programme_year=enrolment.programme_year,
    )


@transaction.atomic
def refund_record(
    *,
    enrolment: Enrolment,
    date: dt.date,
    amount: Decimal,
    means: str,
    reason: str,
    by: User | None,
) -> Payment:
    """A refund is a negative payment with a reason; ``amount`` is given positive."""
    reason = reason.strip()
    if amount <= 0:
        raise EnrolmentError("Le montant remboursé doit être positif.")
    if not reason:
        raise EnrolmentError("Un motif est obligatoire pour un remboursement.")
    payment = Payment(
        enrolment=enrolment,
        date=date,
        amount=-amount,
        means=means,
        reason=reason[:300],
        recorded_by=by,
    )
    payment.full_clean()
    payment.save()
    _payment_audit(payment, by=by, action="fees.refund.record", what="Remboursement")
    return payment


@transaction.atomic
def notification_preferences_set(
    *, user: User, grades: bool, sessions: bool, absences: bool
) -> User:
    """Record which optional e-mails ``user`` wants; the legal ones (invitation, password,
    exclusion from the exam or défaillance, certificate issued) are sent whatever they say."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    wanted = {"notify_grades": grades, "notify_sessions": sessions, "notify_absences": absences}
    changed = [name for name, value in wanted.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, wanted[name])
        setattr(user, name, wanted[name])
    if changed:
        locked.save(update_fields=changed)
        yes_no = {True: "oui", False: "non"}
        audit.record(
            by=user,
            action="account.notifications.set",
            summary=(
                f"Préférences d'e-mail de {user.get_full_name() or user.username} : "
                f"notes publiées {yes_no[grades]}, séance déplacée ou annulée "
                f"{yes_no[sessions]}, alerte d'absences {yes_no[absences]}"
            ),
        )
    return locked
