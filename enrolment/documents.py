"""Plain data of the enrolment PDFs: the certificat de scolarité (RULES.md §3) and the
attestation de paiement (fees paid, refunds, balance)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Enrolment, Payment, User
from .roles import is_registrar
from .rules import EnrolmentStatus, enrolment_certificate_available, fees_balance, format_euros

MSG_NOT_ENROLLED = {
    EnrolmentStatus.PENDING: (
        "Votre inscription est en attente de validation : le certificat de scolarité sera "
        "disponible dès qu'elle sera validée par la scolarité."
    ),
    EnrolmentStatus.WITHDRAWN: (
        "Votre inscription a pris fin (abandon) : le certificat de scolarité n'est plus "
        "délivré. Adressez-vous à la scolarité pour une attestation."
    ),
}


@dataclass(frozen=True)
class UELine:
    code: str
    title: str
    credits: int


@dataclass(frozen=True)
class StudentIdentity:
    number: str
    first_name: str
    last_name: str
    birth_date: dt.date

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name.upper()}"


@dataclass(frozen=True)
class ProgrammeInfo:
    code: str
    title: str
    level: str
    managing_unit: str
    year: str

    @property
    def speciality(self) -> str:
        """The title without a leading « Certificat de spécialisation », for running text."""
        prefix = "certificat de spécialisation"
        if self.title.lower().startswith(prefix):
            return self.title[len(prefix) :].strip(" :–-") or self.title
        return self.title


@dataclass(frozen=True)
class ScolariteCertificate:
    reference: str
    student: StudentIdentity
    programme: ProgrammeInfo
    status_label: str
    ues: tuple[UELine, ...]
    issued_on: dt.date

    @property
    def total_credits(self) -> int:
        return sum(ue.credits for ue in self.ues)


def student_identity(enrolment: Enrolment) -> StudentIdentity:
    student = enrolment.student
    return StudentIdentity(
        number=student.number,
        first_name=student.first_name,
        last_name=student.last_name,
        birth_date=student.birth_date,
    )


def programme_info(enrolment: Enrolment) -> ProgrammeInfo:
    programme_year = enrolment.programme_year
    programme = programme_year.programme
    return ProgrammeInfo(
        code=programme.code,
        title=programme.title,
        level=programme.level,
        managing_unit=programme.managing_unit,
        year=programme_year.year,
    )


def document_reference(kind: str, enrolment: Enrolment) -> str:
    """« SCOL-CS2600A-2024-2025-2400017 »: what the footer of every page repeats."""
    programme_year = enrolment.programme_year
    return (
        f"{kind}-{programme_year.programme.code}-{programme_year.year}-{enrolment.student.number}"
    )


def scolarite_availability(enrolment: Enrolment) -> tuple[bool, list[str]]:
    """Whether the student may download the certificat de scolarité, with the French reason."""
    status = EnrolmentStatus(enrolment.status)
    if enrolment_certificate_available(status=status):
        return True, []
    return False, [MSG_NOT_ENROLLED[status]]


def scolarite_certificate(enrolment: Enrolment) -> ScolariteCertificate:
    """The certificat de scolarité of an enrolment (check availability first). Three queries."""
    enrolment = Enrolment.objects.select_related("student", "programme_year__programme").get(
        pk=enrolment.pk
    )
    return ScolariteCertificate(
        reference=document_reference("SCOL", enrolment),
        student=student_identity(enrolment),
        programme=programme_info(enrolment),
        status_label=enrolment.get_status_display(),
        ues=tuple(
            UELine(code=ue.code, title=ue.title, credits=ue.credits)
            for ue in enrolment.ues.order_by("code")
        ),
        issued_on=timezone.localdate(),
    )


def document_enrolments(user: User | AnonymousUser) -> QuerySet[Enrolment]:
    """Enrolments whose documents this user may download: their own; every one for the
    registrar (scolarité). Teachers get their own only (usually none)."""
    enrolments = Enrolment.objects.select_related("student", "programme_year__programme")
    if is_registrar(user):
        return enrolments
    if isinstance(user, AnonymousUser):
        return enrolments.none()
    return enrolments.filter(student__user_id=user.pk)


# ---- Attestation de paiement -------------------------------------------------------------


@dataclass(frozen=True)
class PaymentLine:
    date: dt.date
    amount: str  # « 600,50 € », always positive: refunds are listed apart
    means: str
    reason: str


@dataclass(frozen=True)
class PaymentReceipt:
    reference: str
    student: StudentIdentity
    programme: ProgrammeInfo
    fees_due: str
    payments: tuple[PaymentLine, ...]
    refunds: tuple[PaymentLine, ...]
    total_paid: str  # payments received
    total_refunded: str
    net_paid: str  # payments minus refunds
    balance: str  # still due, « 0,00 € » when settled
    credit: str  # in the student's favour (overpayment), "" when none
    paid_in_full: bool
    issued_on: dt.date


def payment_receipt_availability(enrolment: Enrolment) -> tuple[bool, list[str]]:
    """The attestation de paiement exists once a payment is recorded, whatever the status."""
    if Payment.objects.filter(enrolment_id=enrolment.pk).exists():
        return True, []
    return False, [
        _(
            "Aucun paiement n'est encore enregistré pour cette inscription : l'attestation de "
            "paiement sera disponible dès le premier règlement reçu par la scolarité."
        )
    ]


def _line(payment: Payment) -> PaymentLine:
    return PaymentLine(
        date=payment.date,
        amount=format_euros(abs(payment.amount)),
        means=payment.get_means_display(),
        reason=payment.reason,
    )


def payment_receipt(enrolment: Enrolment) -> PaymentReceipt:
    """The attestation de paiement of an enrolment (check availability first). Two queries."""
    enrolment = Enrolment.objects.select_related("student", "programme_year__programme").get(
        pk=enrolment.pk
    )
    payments = list(Payment.objects.filter(enrolment_id=enrolment.pk).order_by("date", "pk"))
    received = [p.amount for p in payments if p.amount > 0]
    refunded = [-p.amount for p in payments if p.amount < 0]
    balance = fees_balance(due=enrolment.fees_due, payments=[p.amount for p in payments])
    return PaymentReceipt(
        reference=document_reference("PAIE", enrolment),
        student=student_identity(enrolment),
        programme=programme_info(enrolment),
        fees_due=format_euros(enrolment.fees_due),
        payments=tuple(_line(p) for p in payments if p.amount > 0),
        refunds=tuple(_line(p) for p in payments if p.amount < 0),
        total_paid=format_euros(sum(received, Decimal(0))),
        total_refunded=format_euros(sum(refunded, Decimal(0))),
        net_paid=format_euros(enrolment.fees_due - balance),
        balance=format_euros(max(balance, Decimal(0))),
        credit=format_euros(-balance) if balance < 0 else "",
        paid_in_full=balance <= 0,
        issued_on=timezone.localdate(),
    )
