"""Shared factories (factory_boy). Add new ones here rather than building rows by hand."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.utils import timezone

from attendance.models import Attendance, Session
from enrolment.models import (
    UE,
    Enrolment,
    Payment,
    Programme,
    ProgrammeYear,
    StaffAssignment,
    StudentProfile,
    User,
)
from grading.models import Assessment, Grade

PASSWORD = "motdepasse-de-test-2025"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    first_name = "Camille"
    last_name = "Martin"
    # Hashed when the user is built, with the hasher in force (MD5 in tests, Argon2 where a
    # test sets it): one INSERT a user, where set_password after creation cost an UPDATE more.
    password = factory.LazyFunction(lambda: make_password(PASSWORD))


class RegistrarFactory(UserFactory):
    username = factory.Sequence(lambda n: f"scolarite{n}")

    @factory.post_generation
    def registrar_permission(obj, create, extracted, **kwargs):
        if create:
            obj.user_permissions.add(Permission.objects.get(codename="registrar"))


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme
        django_get_or_create = ("code",)

    code = "CS2600A"
    title = "Certificat de spécialisation Innovations sociales – ESS"
    level = "Bac+4, niveau 7"
    managing_unit = "EPN12 Santé-Solidarité"


class ProgrammeYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgrammeYear
        django_get_or_create = ("programme", "year")

    programme = factory.SubFactory(ProgrammeFactory)
    year = "2024-2025"
    pass_mark = Decimal("10")
    absence_threshold_pct = Decimal("20")
    justified_absences_count = True


class UEFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UE
        django_get_or_create = ("programme_year", "code")

    programme_year = factory.SubFactory(ProgrammeYearFactory)
    code = factory.Sequence(lambda n: f"RSV2{n:02d}")
    title = factory.LazyAttribute(lambda ue: f"UE {ue.code}")
    credits = 4


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StudentProfile

    user = factory.SubFactory(UserFactory)
    number = factory.Sequence(lambda n: f"24{n:05d}")
    last_name = factory.LazyAttribute(lambda s: s.user.last_name)
    first_name = factory.LazyAttribute(lambda s: s.user.first_name)
    birth_date = dt.date(1990, 4, 2)
    email = factory.LazyAttribute(lambda s: s.user.email)


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment
        skip_postgeneration_save = True

    student = factory.SubFactory(StudentFactory)
    programme_year = factory.SubFactory(ProgrammeYearFactory)
    status = Enrolment.Status.ENROLLED
    fees_due = Decimal("0.00")

    class Params:
        # EnrolmentFactory(owing=True): the year's standard fees due, nothing paid.
        owing = factory.Trait(fees_due=Decimal("1200.00"))
        withdrawn = factory.Trait(status=Enrolment.Status.WITHDRAWN)

    @factory.post_generation
    def ues(obj, create, extracted, **kwargs):
        """The given UE, else every UE of the year: the link rows written in one INSERT (a new
        enrolment has none, and nothing listens to m2m_changed)."""
        if create:
            ues = extracted if extracted is not None else obj.programme_year.ues.all()
            Link = Enrolment.ues.through
            Link.objects.bulk_create(Link(enrolment=obj, ue=ue) for ue in ues)


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    enrolment = factory.SubFactory(EnrolmentFactory)
    date = dt.date(2024, 9, 30)
    amount = Decimal("100.00")


class StaffFactory(UserFactory):
    """A teacher assigned to the given UE: ``StaffFactory(ues=[ue])``."""

    username = factory.Sequence(lambda n: f"enseignant{n}")

    @factory.post_generation
    def ues(obj, create, extracted, **kwargs):
        if create:
            for ue in extracted or []:
                StaffAssignment.objects.create(user=obj, ue=ue)


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    ue = factory.SubFactory(UEFactory)
    key = factory.Sequence(lambda n: f"A{n:03d}")
    kind = Assessment.Kind.CT
    weight = Decimal("1")
    date = dt.date(2025, 5, 20)


class GradeFactory(factory.django.DjangoModelFactory):
    """A grade row written directly (no history): for reads. Writes go through services."""

    class Meta:
        model = Grade

    assessment = factory.SubFactory(AssessmentFactory)
    enrolment = factory.SubFactory(EnrolmentFactory)
    status = Grade.Status.GRADED
    value = Decimal("12.00")
    published = True

    class Params:
        # GradeFactory(draft=True): entered, not yet published (students do not see it).
        draft = factory.Trait(published=False)


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    ue = factory.SubFactory(UEFactory)
    key = factory.Sequence(lambda n: f"S{n:03d}")
    kind = Session.Kind.COURS
    start = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=7))
    end = factory.LazyAttribute(lambda s: s.start + dt.timedelta(hours=2))
    site = Session.Site.CONTE
    room = "31.1.12"

    class Params:
        exam = factory.Trait(kind=Session.Kind.EXAMEN)


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    session = factory.SubFactory(SessionFactory)
    enrolment = factory.SubFactory(EnrolmentFactory)
    presence = Attendance.Presence.ABSENT
