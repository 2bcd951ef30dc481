"""Plain data of the enrolment PDFs: the certificat de scolarité (RULES.md §3)."""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils import timezone

from .models import Enrolment, User
from .roles import is_registrar
from .rules import EnrolmentStatus, enrolment_certificate_available

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
    return enrolments.filter(student__user_id=user.pk)
