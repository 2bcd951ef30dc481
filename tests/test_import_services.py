"""The cohort import's bulk writes, in the apps that own the tables (issue 12): plain rows in,
the difference with what is stored written, what moved counted. The import as a whole is
tested through ``cohort_import`` in tests/certification/test_interchange.py and its siblings."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from attendance.imports import Mark, SessionRow, attendances_replace, sessions_upsert
from attendance.models import Attendance, Session
from enrolment.imports import (
    Counts,
    EnrolmentRow,
    PersonRow,
    ProgrammeYearRow,
    UERow,
    enrolment_ues_replace,
    enrolments_upsert,
    payments_replace_imported,
    people_upsert,
    programme_upsert,
    programme_year_upsert,
    ues_upsert,
)
from enrolment.models import Enrolment, EnrolmentStatusChange, Payment, StudentProfile
from grading.imports import AssessmentRow, GradeRow, assessments_upsert, grades_upsert
from grading.models import Assessment, Grade, GradeHistory
from grading.services import GradeWriteError
from tests.factories import (
    AttendanceFactory,
    EnrolmentFactory,
    GradeFactory,
    PaymentFactory,
    RegistrarFactory,
    SessionFactory,
    UEFactory,
)

pytestmark = pytest.mark.django_db

REASON = "Import de promotion"
ALICE = PersonRow("2400001", "Durand", "Alice", dt.date(1999, 1, 2), "alice@example.org")


def test_programme_year_and_ue_are_created_then_brought_up_to_date():
    programme_id, counts = programme_upsert(code="CS9", title="Titre")
    assert counts == Counts(created=1)
    assert programme_upsert(code="CS9", title="Nouveau titre") == (programme_id, Counts(updated=1))
    row = ProgrammeYearRow("2025-2026", Decimal("10"), Decimal("20"), True)
    py_id, counts = programme_year_upsert(programme_id=programme_id, row=row)
    assert counts == Counts(created=1)
    same = programme_year_upsert(programme_id=programme_id, row=row)
    assert same == (py_id, Counts())
    ues, counts = ues_upsert(programme_year_id=py_id, rows=[UERow("UE1", "Une", 4)])
    assert counts == Counts(created=1)
    again, counts = ues_upsert(programme_year_id=py_id, rows=[UERow("UE1", "Une UE", 6)])
    assert (again, counts) == (ues, Counts(updated=1))


def test_people_and_enrolments_are_created_with_their_history_then_updated():
    py = UEFactory().programme_year
    registrar = RegistrarFactory()
    at = timezone.now()
    students, counts = people_upsert(rows=[ALICE])
    assert counts == Counts(created=1)
    profile = StudentProfile.objects.select_related("user").get(pk=students[ALICE.number])
    assert not profile.user.has_usable_password()
    rows = [EnrolmentRow(profile.pk, Decimal("300.00"))]
    enrolments, counts = enrolments_upsert(
        programme_year_id=py.pk, rows=rows, at=at, by=registrar, reason=REASON
    )
    assert counts == Counts(created=1)
    change = EnrolmentStatusChange.objects.get(enrolment_id=enrolments[profile.pk])
    assert (change.to_status, change.by, change.reason) == (
        Enrolment.Status.ENROLLED,
        registrar,
        REASON,
    )

    moved = ALICE._replace(email="alice.durand@example.org")
    assert people_upsert(rows=[moved]) == (students, Counts(updated=1))
    assert StudentProfile.objects.get(pk=profile.pk).user.email == "alice.durand@example.org"
    again = enrolments_upsert(
        programme_year_id=py.pk,
        rows=[EnrolmentRow(profile.pk, Decimal("350.00"))],
        at=at,
        by=None,
        reason=REASON,
    )
    assert again == (enrolments, Counts(updated=1))
    assert EnrolmentStatusChange.objects.filter(enrolment_id=enrolments[profile.pk]).count() == 1


def test_enrolment_ues_are_replaced_only_between_the_given_enrolments_and_ue():
    first, second, elsewhere = UEFactory(), UEFactory(), UEFactory(code="AUTRE")
    py = first.programme_year
    kept = EnrolmentFactory(programme_year=py, ues=[first])  # not given: untouched
    enrolment = EnrolmentFactory(programme_year=py, ues=[first, elsewhere])
    counts = enrolment_ues_replace(
        enrolment_ids=[enrolment.pk],
        ue_ids=[first.pk, second.pk],
        links={(enrolment.pk, second.pk)},
    )
    assert counts == Counts(created=1, deleted=1)
    assert set(enrolment.ues.all()) == {second, elsewhere}
    assert set(kept.ues.all()) == {first}


def test_imported_payments_are_replaced_and_those_typed_by_the_registrar_stay():
    enrolment = EnrolmentFactory()
    py_id = enrolment.programme_year_id
    day = dt.date(2025, 1, 10)
    # Typed by a person with the words an import uses: still the registrar's payment.
    typed = PaymentFactory(enrolment=enrolment, date=day, amount=Decimal("50.00"), reason=REASON)
    wanted = {enrolment.pk: [(day, Decimal("50.00")), (day, Decimal("50.00"))]}
    counts = payments_replace_imported(
        programme_year_id=py_id, wanted=wanted, by=None, reason=REASON
    )
    assert counts == Counts(created=2)
    again = payments_replace_imported(
        programme_year_id=py_id, wanted=wanted, by=None, reason=REASON
    )
    assert again == Counts()
    fewer = {enrolment.pk: [(day, Decimal("50.00"))]}
    counts = payments_replace_imported(
        programme_year_id=py_id, wanted=fewer, by=None, reason=REASON
    )
    assert counts == Counts(deleted=1)
    imported = Payment.objects.filter(enrolment=enrolment, source=Payment.Source.COHORT_IMPORT)
    assert [(p.amount, p.means, p.reason) for p in imported] == [
        (Decimal("50.00"), Payment.Means.OTHER, REASON)
    ]
    assert Payment.objects.filter(pk=typed.pk, source=Payment.Source.REGISTRAR).exists()


def _assessment(key, ue_id, makeup_of=None):
    return AssessmentRow(
        key, ue_id, Assessment.Kind.CT, Decimal("1"), dt.date(2025, 5, 20), key, makeup_of
    )


def test_assessments_are_upserted_by_key_with_their_makeup_links():
    ue = UEFactory()
    py_id = ue.programme_year_id
    rows = [_assessment("CT", ue.pk), _assessment("RATT", ue.pk, makeup_of="CT")]
    ids, counts = assessments_upsert(programme_year_id=py_id, rows=rows)
    assert counts == Counts(created=2)
    assert Assessment.objects.get(pk=ids["RATT"]).makeup_of_id == ids["CT"]
    unlinked = [rows[0], _assessment("RATT", ue.pk)]
    assert assessments_upsert(programme_year_id=py_id, rows=unlinked) == (ids, Counts(updated=1))
    assert Assessment.objects.get(pk=ids["RATT"]).makeup_of_id is None


def test_grades_go_through_grades_apply_as_a_cohort_import():
    grade = GradeFactory(value=Decimal("8.00"))
    enrolment, assessment = grade.enrolment, grade.assessment
    rows = [GradeRow(assessment.pk, enrolment.pk, Grade.Status.GRADED, Decimal("14.00"))]
    scope = {"assessment_ids": [assessment.pk], "enrolment_ids": [enrolment.pk]}
    applied = grades_upsert(**scope, rows=rows, by=None, reason=REASON)
    assert (applied.created, applied.changed, applied.history_rows) == (0, 1, 1)
    history = GradeHistory.objects.get(grade=grade)
    assert (history.source, history.reason, history.old_value, history.new_value) == (
        GradeHistory.Source.COHORT_IMPORT,
        REASON,
        Decimal("8.00"),
        Decimal("14.00"),
    )
    assert grades_upsert(**scope, rows=rows, by=None, reason=REASON).history_rows == 0

    Grade.objects.filter(pk=grade.pk).update(locked=True)
    other = [GradeRow(assessment.pk, enrolment.pk, Grade.Status.GRADED, Decimal("9.00"))]
    with pytest.raises(GradeWriteError):
        grades_upsert(**scope, rows=other, by=None, reason=REASON)
    assert Grade.objects.get(pk=grade.pk).value == Decimal("14.00")


def test_sessions_are_upserted_by_key():
    ue = UEFactory()
    start = timezone.now() + dt.timedelta(days=3)
    row = SessionRow(
        "S1",
        ue.pk,
        Session.Kind.COURS,
        start,
        start + dt.timedelta(hours=2),
        Session.Site.CONTE,
        "31.1.12",
        False,
        "",
    )
    ids, counts = sessions_upsert(programme_year_id=ue.programme_year_id, rows=[row])
    assert counts == Counts(created=1)
    moved = row._replace(room="17.2.05")
    assert sessions_upsert(programme_year_id=ue.programme_year_id, rows=[moved]) == (
        ids,
        Counts(updated=1),
    )
    assert Session.objects.get(pk=ids["S1"]).room == "17.2.05"


def test_attendances_are_replaced_what_is_not_listed_becomes_presence():
    session = SessionFactory()
    enrolment = EnrolmentFactory(programme_year=session.ue.programme_year)
    late = SessionFactory(ue=session.ue)
    present = SessionFactory(ue=session.ue)
    AttendanceFactory(session=session, enrolment=enrolment)  # absent, no longer in the file
    AttendanceFactory(session=present, enrolment=enrolment, presence=Attendance.Presence.PRESENT)
    registrar = RegistrarFactory()
    wanted = {(late.pk, enrolment.pk): Mark(Attendance.Presence.LATE, 20, False)}
    counts = attendances_replace(
        session_ids=[session.pk, late.pk, present.pk],
        enrolment_ids=[enrolment.pk],
        wanted=wanted,
        by=registrar,
    )
    assert counts == Counts(created=1, deleted=1)
    rows = Attendance.objects.filter(enrolment=enrolment).order_by("session_id")
    assert [(a.session_id, a.presence, a.recorded_by_id) for a in rows] == [
        (late.pk, Attendance.Presence.LATE, registrar.pk),
        (present.pk, Attendance.Presence.PRESENT, None),
    ]
    later = {(late.pk, enrolment.pk): Mark(Attendance.Presence.LATE, 35, False)}
    again = attendances_replace(
        session_ids=[late.pk], enrolment_ids=[enrolment.pk], wanted=later, by=None
    )
    assert again == Counts(updated=1)
