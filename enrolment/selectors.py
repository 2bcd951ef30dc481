"""Reads of the enrolment app for the student portal, always scoped to one student."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from lib.prepared import Prepared, columns, instance

from . import rules
from .models import (
    UE,
    Enrolment,
    EnrolmentStatusChange,
    Payment,
    PriorDiploma,
    Programme,
    ProgrammeYear,
    StudentProfile,
    User,
)


def student_enrolments(student: StudentProfile) -> QuerySet[Enrolment]:
    """The student's own enrolments, latest academic year first."""
    return (
        Enrolment.objects.filter(student=student)
        .select_related("programme_year__programme", "student")
        .order_by("-programme_year__year", "-pk")
    )


# The student's enrolments with their programme year and programme, compiled once (the
# query every student page runs): see student_enrolment_list.
_ENROLMENT_ROWS = Prepared(
    lambda student_id: (
        Enrolment.objects.filter(student_id=student_id)
        .order_by("-programme_year__year", "-pk")
        .values_list(
            *columns(Enrolment),
            *columns(ProgrammeYear, "programme_year__"),
            *columns(Programme, "programme_year__programme__"),
        )
    )
)


def student_enrolment_list(student: StudentProfile) -> list[Enrolment]:
    """``student_enrolments(student)`` as a list, without compiling the query on each page:
    the same instances (``programme_year.programme`` and ``student`` loaded, no more query)."""
    n_enrolment = len(Enrolment._meta.concrete_fields)
    n_year = len(ProgrammeYear._meta.concrete_fields)
    using = student._state.db or "default"
    out = []
    for row in _ENROLMENT_ROWS.rows(using, student_id=student.pk):
        enrolment = instance(Enrolment, row[:n_enrolment], using)
        year = instance(ProgrammeYear, row[n_enrolment : n_enrolment + n_year], using)
        year.programme = instance(Programme, row[n_enrolment + n_year :], using)
        enrolment.programme_year = year
        enrolment.student = student
        out.append(enrolment)
    return out


def ue_enrolments(ue: UE) -> QuerySet[Enrolment]:
    """Students following the UE, withdrawn ones left out, in name then student-number order."""
    return (
        Enrolment.objects.filter(ues=ue)
        .exclude(status=Enrolment.Status.WITHDRAWN)
        .select_related("student", "student__user", "programme_year")
        .order_by("student__last_name", "student__first_name", "student__number")
    )


def default_enrolment(enrolments: list[Enrolment]) -> Enrolment | None:
    """The latest enrolment that is not withdrawn, else the latest one."""
    for enrolment in enrolments:
        if enrolment.status != Enrolment.Status.WITHDRAWN:
            return enrolment
    return enrolments[0] if enrolments else None


@dataclass(frozen=True)
class EnrolmentDetail:
    enrolment: Enrolment
    ues: list[UE]
    history: list[EnrolmentStatusChange]
    payments: list[Payment]
    paid: Decimal
    balance: Decimal

    @property
    def credits(self) -> int:
        return sum(ue.credits for ue in self.ues)

    @property
    def paid_in_full(self) -> bool:
        """RULES.md §3: payments cover the fees due (the certificate waits for it)."""
        return rules.is_paid_in_full(
            due=self.enrolment.fees_due, payments=[p.amount for p in self.payments]
        )

    @property
    def payment_rows(self) -> list[tuple[Payment, str]]:
        return [(p, rules.format_euros(p.amount)) for p in self.payments]

    @property
    def balance_display(self) -> str:
        return rules.format_euros(self.balance)

    @property
    def paid_display(self) -> str:
        return rules.format_euros(self.paid)

    @property
    def fees_due_display(self) -> str:
        return rules.format_euros(self.enrolment.fees_due)


def enrolment_detail(enrolment: Enrolment) -> EnrolmentDetail:
    """UE, dated status history and payments of one enrolment (three queries)."""
    payments = list(enrolment.payments.select_related(None).order_by("date", "pk"))
    amounts = [p.amount for p in payments]
    return EnrolmentDetail(
        enrolment=enrolment,
        ues=list(enrolment.ues.order_by("code")),
        history=list(enrolment.status_changes.order_by("at", "pk")),
        payments=payments,
        paid=sum(amounts, Decimal(0)),
        balance=rules.fees_balance(due=enrolment.fees_due, payments=amounts),
    )


def prior_diplomas(student: StudentProfile) -> tuple[list[PriorDiploma], list[PriorDiploma]]:
    """The « parcours »: (obtained at the Cnam, obtained elsewhere)."""
    diplomas = list(PriorDiploma.objects.filter(student=student).order_by("-year", "title"))
    return [d for d in diplomas if d.at_cnam], [d for d in diplomas if not d.at_cnam]


def email_in_use(address: str, *, user_id: int | None) -> bool:
    """Whether an account other than ``user_id`` holds ``address``, in any case, as its sign-in
    or its personal e-mail (SECURITY.md #29: the password reset must find one account)."""
    if not address:
        return False
    users = User.objects.filter(email__iexact=address)
    profiles = StudentProfile.objects.filter(email__iexact=address)
    if user_id is not None:
        users = users.exclude(pk=user_id)
        profiles = profiles.exclude(user_id=user_id)
    return users.exists() or profiles.exists()
