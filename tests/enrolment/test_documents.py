"""Certificat de scolarité: availability (RULES.md §3), content, and who may download it."""

import pytest
from django.urls import reverse

from enrolment.documents import scolarite_availability, scolarite_certificate
from enrolment.models import Enrolment
from tests.factories import RegistrarFactory, StaffFactory
from tests.pdf_builders import document_case, pdf_text

pytestmark = pytest.mark.django_db


def url(enrolment: Enrolment) -> str:
    return reverse("enrolment:scolarite-pdf", args=[enrolment.pk])


@pytest.mark.parametrize("status", [Enrolment.Status.ENROLLED, Enrolment.Status.COMPLETED])
def test_certificate_is_available_while_enrolled_or_completed(status):
    case = document_case()
    case.enrolment.status = status
    assert scolarite_availability(case.enrolment) == (True, [])


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (Enrolment.Status.PENDING, "en attente de validation"),
        (Enrolment.Status.WITHDRAWN, "abandon"),
    ],
)
def test_certificate_is_refused_with_a_french_reason_otherwise(status, words):
    case = document_case()
    case.enrolment.status = status
    available, reasons = scolarite_availability(case.enrolment)
    assert not available
    assert len(reasons) == 1 and words in reasons[0]


def test_certificate_data_lists_the_enrolled_ue_and_their_credits():
    case = document_case()
    certificate = scolarite_certificate(case.enrolment)
    assert [ue.code for ue in certificate.ues] == ["RSV206", "RSV207"]
    assert certificate.total_credits == 12
    assert certificate.reference == "SCOL-CS2600A-2024-2025-2400017"


def test_student_downloads_their_certificate_as_a_pdf_attachment(
    client, django_assert_max_num_queries
):
    case = document_case()
    client.force_login(case.enrolment.student.user)
    with django_assert_max_num_queries(8):
        response = client.get(url(case.enrolment))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="certificat-de-scolarite-2400017.pdf"'
    )
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    text = pdf_text(response.content)
    assert "CERTIFICAT DE SCOLARITÉ" in text
    assert "Le Conservatoire national des arts et métiers certifie que" in text
    assert "Léa DUPONT-LEFÈVRE" in text
    assert "né(e) le 14 mars 1991" in text
    assert "2024-2025" in text and "(CS2600A)" in text
    assert "RSV206" in text and "RSV207" in text
    assert "Page 1 / 1" in text


def test_another_students_certificate_is_404(client):
    mine = document_case()
    other = document_case(number="2400099", first_name="Paul", last_name="Durand")
    client.force_login(mine.enrolment.student.user)
    assert client.get(url(other.enrolment)).status_code == 404


def test_pending_enrolment_has_no_certificate(client):
    case = document_case()
    Enrolment.objects.filter(pk=case.enrolment.pk).update(status=Enrolment.Status.PENDING)
    client.force_login(case.enrolment.student.user)
    assert client.get(url(case.enrolment)).status_code == 404


def test_anonymous_is_sent_to_sign_in(client):
    case = document_case()
    response = client.get(url(case.enrolment))
    assert response.status_code == 302
    assert "next=" in response["Location"]


def test_registrar_may_download_a_students_certificate(client):
    case = document_case()
    client.force_login(RegistrarFactory())
    response = client.get(url(case.enrolment))
    assert response.status_code == 200
    assert "DUPONT-LEFÈVRE" in pdf_text(response.content)


def test_teacher_of_the_ue_may_not_download_it(client):
    case = document_case()
    client.force_login(StaffFactory(ues=[case.ue_206]))
    assert client.get(url(case.enrolment)).status_code == 404
