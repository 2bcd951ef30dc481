"""Certificat de scolarité: availability (RULES.md §3), content, and who may download it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from enrolment.documents import (
    payment_receipt,
    payment_receipt_availability,
    scolarite_availability,
    scolarite_certificate,
)
from enrolment.models import Enrolment, Payment, StudentProfile
from tests.factories import PaymentFactory, RegistrarFactory, StaffFactory
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
    with django_assert_max_num_queries(6):
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


# ---- Attestation de paiement ---------------------------------------------------------------


def receipt_url(enrolment: Enrolment) -> str:
    return reverse("enrolment:payment-receipt-pdf", args=[enrolment.pk])


def paid_case():
    """1 200,00 € due; 600,50 € by transfer, 400,00 € by card, 100,00 € refunded."""
    case = document_case()
    Enrolment.objects.filter(pk=case.enrolment.pk).update(fees_due=Decimal("1200.00"))
    PaymentFactory(
        enrolment=case.enrolment,
        date=dt.date(2024, 9, 30),
        amount=Decimal("600.50"),
        means=Payment.Means.TRANSFER,
    )
    PaymentFactory(
        enrolment=case.enrolment,
        date=dt.date(2025, 1, 31),
        amount=Decimal("400.00"),
        means=Payment.Means.CARD,
    )
    PaymentFactory(
        enrolment=case.enrolment,
        date=dt.date(2025, 2, 3),
        amount=Decimal("-100.00"),
        reason="Double prélèvement de janvier",
    )
    case.enrolment.refresh_from_db()
    return case


def test_receipt_lists_payments_refunds_total_and_balance_with_french_amounts(client):
    case = paid_case()
    client.force_login(case.enrolment.student.user)
    response = client.get(receipt_url(case.enrolment))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="attestation-de-paiement-2400017.pdf"'
    )
    text = pdf_text(response.content)
    assert "ATTESTATION DE PAIEMENT" in text
    assert "Léa DUPONT-LEFÈVRE" in text
    assert "2400017" in text and "CS2600A" in text and "2024-2025" in text
    assert "30 septembre 2024 Virement 600,50 €" in text
    assert "31 janvier 2025 Carte bancaire 400,00 €" in text
    assert "Total reçu 1 000,50 €" in text
    assert "3 février 2025 Double prélèvement de janvier 100,00 €" in text
    assert "Total remboursé 100,00 €" in text
    assert "Frais d'inscription dus 1 200,00 €" in text
    assert "Total payé (remboursements déduits) 900,50 €" in text
    assert "Reste à payer 299,50 €" in text
    assert "PARTIELLEMENT ACQUITTÉS" in text
    assert "Fait à Paris, le" in text


def test_receipt_data_of_an_overpaid_enrolment_says_the_credit():
    case = document_case()
    Enrolment.objects.filter(pk=case.enrolment.pk).update(fees_due=Decimal("1200"))
    PaymentFactory(enrolment=case.enrolment, amount=Decimal("1250"))
    case.enrolment.refresh_from_db()
    receipt = payment_receipt(case.enrolment)
    assert receipt.reference == "PAIE-CS2600A-2024-2025-2400017"
    assert receipt.balance == "0,00\xa0€"
    assert receipt.credit == "50,00\xa0€"
    assert receipt.paid_in_full
    assert receipt.refunds == ()


def test_receipt_of_another_student_is_404(client):
    paid_case()
    other = document_case(number="2400099", first_name="Paul", last_name="Durand")
    PaymentFactory(enrolment=other.enrolment, amount=Decimal("300"))
    mine = StudentProfile.objects.get(number="2400017")
    client.force_login(mine.user)
    assert client.get(receipt_url(other.enrolment)).status_code == 404


def test_receipt_without_any_payment_is_refused_with_a_french_reason(client):
    case = document_case()
    available, reasons = payment_receipt_availability(case.enrolment)
    assert not available
    assert reasons == [
        "Aucun paiement n'est encore enregistré pour cette inscription : l'attestation de "
        "paiement sera disponible dès le premier règlement reçu par la scolarité."
    ]
    client.force_login(case.enrolment.student.user)
    assert client.get(receipt_url(case.enrolment)).status_code == 404


def test_registrar_downloads_the_receipt_and_a_teacher_may_not(client):
    case = paid_case()
    client.force_login(RegistrarFactory())
    response = client.get(receipt_url(case.enrolment))
    assert response.status_code == 200
    assert "DUPONT-LEFÈVRE" in pdf_text(response.content)
    client.force_login(StaffFactory(ues=[case.ue_206]))
    assert client.get(receipt_url(case.enrolment)).status_code == 404


def test_receipt_is_offered_on_the_enrolment_and_documents_pages_and_to_the_registrar(client):
    case = paid_case()
    link = receipt_url(case.enrolment)
    client.force_login(case.enrolment.student.user)
    assert link in client.get(reverse("enrolment:student-enrolment")).content.decode()
    documents = client.get(reverse("certification:student-documents")).content.decode()
    assert "Attestation de paiement" in documents
    assert link in documents
    client.force_login(RegistrarFactory())
    detail = client.get(reverse("enrolment:registrar-enrolment", args=[case.enrolment.pk]))
    assert link in detail.content.decode()


def test_documents_page_says_why_there_is_no_receipt_yet(client):
    case = document_case()
    client.force_login(case.enrolment.student.user)
    html = client.get(reverse("certification:student-documents")).content.decode()
    assert "Attestation de paiement" in html
    assert receipt_url(case.enrolment) not in html
    assert "Aucun paiement n&#x27;est encore enregistré" in html
