"""Relevé de notes: published grades only, averages from grading.rules, « provisoire » until
the jury (RULES.md §6, §7)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from enrolment.models import Enrolment, ProgrammeYear
from grading.documents import transcript, transcript_availability
from grading.models import Grade
from tests.factories import GradeFactory, RegistrarFactory
from tests.pdf_builders import document_case, pdf_text

pytestmark = pytest.mark.django_db


def url(enrolment: Enrolment) -> str:
    return reverse("grading:transcript-pdf", args=[enrolment.pk])


def test_transcript_averages_decisions_and_credits():
    case = document_case()
    document = transcript(case.enrolment)
    rsv206, rsv207 = document.ues
    assert (rsv206.code, rsv206.average, rsv206.status_label, rsv206.credits_obtained) == (
        "RSV206",
        "12,50",
        "Validée",
        8,
    )
    assert [line.mark for line in rsv206.lines] == ["14,00", "11,75"]
    assert [line.coefficient for line in rsv206.lines] == ["1", "2"]
    assert (rsv207.average, rsv207.status_label, rsv207.credits_obtained) == ("—", "En attente", 0)
    assert rsv207.waiting_for == ("UE RSV207 en attente : rattrapage attendu pour CT207-2400017",)
    assert (document.credits_obtained, document.credits_total) == (8, 12)
    assert document.provisional and document.jury_decision == ""


def test_failed_ue_is_not_validated_and_grants_no_credit():
    case = document_case()
    Grade.objects.filter(pk=case.grades["ct206"].pk).update(value=Decimal("7.00"))
    rsv206 = transcript(case.enrolment).ues[0]
    assert (rsv206.average, rsv206.status_label, rsv206.credits_obtained) == (
        "9,33",
        "Non validée",
        0,
    )


def test_unpublished_grades_are_invisible_including_in_the_average():
    case = document_case()
    GradeFactory(
        assessment=case.assessments["rt207"],
        enrolment=case.enrolment,
        value=Decimal("18.00"),
        published=False,
    )
    Grade.objects.filter(pk=case.grades["ct206"].pk).update(published=False)
    document = transcript(case.enrolment)
    rsv206, rsv207 = document.ues
    assert rsv206.status_label == "En attente"
    assert rsv206.lines[1].status_label == "Pas encore de note publiée"
    assert rsv207.status_label == "En attente"
    assert "18,00" not in [line.mark for line in rsv207.lines]


def test_published_makeup_replaces_the_justified_absence():
    case = document_case()
    GradeFactory(
        assessment=case.assessments["rt207"], enrolment=case.enrolment, value=Decimal("10.00")
    )
    rsv207 = transcript(case.enrolment).ues[1]
    assert (rsv207.average, rsv207.status_label) == ("10,00", "Validée")
    assert rsv207.lines[1].label == "Rattrapage — Dossier de management"


def test_transcript_pdf_is_provisional_before_the_jury(client, django_assert_max_num_queries):
    case = document_case()
    client.force_login(case.enrolment.student.user)
    with django_assert_max_num_queries(10):
        response = client.get(url(case.enrolment))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="releve-de-notes-2400017.pdf"'
    text = pdf_text(response.content)
    assert "RELEVÉ DE NOTES" in text
    assert "DUPONT-LEFÈVRE Léa" in text
    assert "PROVISOIRE — avant délibération du jury" in text
    assert "12,50" in text and "VALIDÉE" in text and "EN ATTENTE" in text
    assert "8 / 12" in text


def test_transcript_pdf_is_final_once_the_jury_has_deliberated(client):
    case = document_case()
    ProgrammeYear.objects.filter(pk=case.programme_year.pk).update(
        frozen_at=timezone.now() - dt.timedelta(days=1)
    )
    assert not transcript(case.enrolment).provisional
    client.force_login(case.enrolment.student.user)
    text = pdf_text(client.get(url(case.enrolment)).content)
    assert "PROVISOIRE" not in text
    assert "Relevé établi après délibération du jury" in text


def test_query_count_does_not_grow_with_the_number_of_grades(django_assert_max_num_queries):
    case = document_case()
    for n in range(30):
        GradeFactory(
            assessment__ue=case.ue_206, assessment__key=f"EXTRA{n}", enrolment=case.enrolment
        )
    with django_assert_max_num_queries(5):
        document = transcript(case.enrolment)
    assert len(document.ues[0].lines) == 32


def test_transcript_unavailable_while_enrolment_pending():
    case = document_case()
    case.enrolment.status = Enrolment.Status.PENDING
    available, reasons = transcript_availability(case.enrolment)
    assert not available and "en attente de validation" in reasons[0]


def test_transcript_unavailable_before_any_published_grade(client):
    case = document_case()
    Grade.objects.filter(enrolment=case.enrolment).update(published=False)
    available, reasons = transcript_availability(case.enrolment)
    assert not available and "Aucune note n'a encore été publiée" in reasons[0]
    client.force_login(case.enrolment.student.user)
    assert client.get(url(case.enrolment)).status_code == 404


def test_another_students_transcript_is_404(client):
    mine = document_case()
    other = document_case(number="2400099", first_name="Paul", last_name="Durand")
    client.force_login(mine.enrolment.student.user)
    assert client.get(url(other.enrolment)).status_code == 404


def test_registrar_may_download_a_students_transcript(client):
    case = document_case()
    client.force_login(RegistrarFactory())
    assert client.get(url(case.enrolment)).status_code == 200
