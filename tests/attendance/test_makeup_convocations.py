"""Convocations to make-up exams (RULES.md §7b): only the students entitled to the make-up
are convened; every convocation has its own reference.

Exam sessions and assessments meet on (UE, day): grading says which make-up days a student
does not sit (``makeup_days_not_entitled``), attendance leaves those exams out.
"""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings

from attendance.documents import convocation, exam_convocations, exam_sessions
from attendance.models import Session
from certification.interchange import cohort_import
from enrolment.models import Enrolment
from grading.models import Grade
from grading.selectors import makeup_days_not_entitled
from tests.factories import AssessmentFactory, SessionFactory
from tests.pdf_builders import PARIS, document_case

pytestmark = pytest.mark.django_db

DEMO = Path(settings.BASE_DIR) / "demo" / "cs2600a-2024-2025.json"


def exam(ue, day: dt.date, key: str) -> Session:
    start = dt.datetime(day.year, day.month, day.day, 9, 0, tzinfo=PARIS)
    return SessionFactory(
        ue=ue, key=key, kind=Session.Kind.EXAMEN, start=start, end=start + dt.timedelta(hours=3)
    )


def convened(enrolment: Enrolment) -> list[int]:
    return [
        n.session_id for n in exam_convocations(enrolment, skip=makeup_days_not_entitled(enrolment))
    ]


@pytest.fixture
def case():
    """document_case: CT206 graded (no make-up due), CT207 absent with justification."""
    case = document_case()
    case.assessments["rt206"] = AssessmentFactory(
        ue=case.ue_206,
        key="RT206",
        weight=case.assessments["ct206"].weight,
        date=dt.date(2025, 6, 21),
        makeup_of=case.assessments["ct206"],
    )
    case.makeup_206 = exam(case.ue_206, dt.date(2025, 6, 21), "R206")
    case.makeup_207 = exam(case.ue_207, dt.date(2025, 6, 24), "R207")
    return case


def test_a_student_is_not_convened_to_a_makeup_without_a_justified_absence(case):
    assert makeup_days_not_entitled(case.enrolment) == {(case.ue_206.pk, dt.date(2025, 6, 21))}
    assert convened(case.enrolment) == [case.exam.pk, case.makeup_207.pk]


def test_a_justified_absence_at_the_original_convenes_to_its_makeup(case):
    Grade.objects.filter(pk=case.grades["ct206"].pk).update(status="absent_justified", value=None)
    assert makeup_days_not_entitled(case.enrolment) == set()
    assert convened(case.enrolment) == [case.exam.pk, case.makeup_206.pk, case.makeup_207.pk]


def test_an_unjustified_absence_gives_no_makeup_convocation(case):
    Grade.objects.filter(pk=case.grades["ct207"].pk).update(status="absent")
    assert case.makeup_207.pk not in convened(case.enrolment)
    assert case.makeup_206.pk not in convened(case.enrolment)


def test_a_makeup_day_shared_with_an_assessment_the_student_sits_keeps_its_exam(case):
    AssessmentFactory(ue=case.ue_206, key="CC206-bis", kind="cc", date=dt.date(2025, 6, 21))
    assert case.makeup_206.pk in convened(case.enrolment)


def test_without_skip_every_exam_of_the_students_ue_is_listed(case):
    ids = [s.pk for s in exam_sessions(case.enrolment)]
    assert ids == [case.exam.pk, case.makeup_206.pk, case.makeup_207.pk]


def test_each_convocation_of_a_student_has_its_own_stable_reference(case):
    # The exam of RSV206 and its make-up share the UE: they used to share the reference.
    first = convocation(case.enrolment, case.exam).reference
    makeup = convocation(case.enrolment, case.makeup_206).reference
    other_ue = convocation(case.enrolment, case.makeup_207).reference
    assert len({first, makeup, other_ue}) == 3
    assert first == convocation(case.enrolment, case.exam).reference
    assert first.startswith("CONV-CS2600A-2024-2025-2400017-RSV206-")


def test_convocation_references_differ_between_students_for_one_session(case):
    other = document_case(number="2400099", first_name="Paul", last_name="Durand")
    assert (
        convocation(case.enrolment, case.exam).reference
        != convocation(other.enrolment, case.exam).reference
    )


def test_demo_students_are_convened_to_the_makeups_they_are_entitled_to_only():
    cohort_import(data=DEMO.read_bytes(), by=None)

    def keys(number: str) -> list[str]:
        enrolment = Enrolment.objects.get(student__number=number)
        skip = makeup_days_not_entitled(enrolment)
        return [s.key for s in exam_sessions(enrolment, skip=skip)]

    # Camille Rousseau sat both exams: no make-up.
    assert keys("0900017") == ["S17", "S18"]
    # Aminata Diallo: justified absence at RSV207-CT only → the RSV207 make-up (S20).
    assert keys("2400106") == ["S17", "S18", "S20"]


def test_the_pdf_of_a_makeup_the_student_is_not_entitled_to_is_404(client, case):
    from django.urls import reverse

    client.force_login(case.enrolment.student.user)

    def url(session):
        return reverse("certification:convocation-pdf", args=[case.enrolment.pk, session.pk])

    assert client.get(url(case.makeup_206)).status_code == 404
    assert client.get(url(case.makeup_207)).status_code == 200
