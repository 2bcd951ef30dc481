"""The certificate re-download: the stored bytes, for their holder in one query of its own."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certification.models import Certificate
from tests.factories import EnrolmentFactory, RegistrarFactory

pytestmark = pytest.mark.django_db

BYTES = b"%PDF-1.7 stored bytes"


def stored(enrolment, *, revoked: bool = False) -> Certificate:
    certificate = Certificate(
        enrolment=enrolment,
        programme_year=enrolment.programme_year,
        sequence=1,
        number="CS-2025-0001",
        issued_on=dt.date(2025, 7, 1),
        verification_code="code-1",
        revoked_at=timezone.now() if revoked else None,
        revoked_reason="erreur" if revoked else "",
    )
    certificate.pdf.save("c.pdf", ContentFile(BYTES), save=False)
    certificate.save()
    return certificate


def url(enrolment) -> str:
    return reverse("certification:certificate-pdf", args=[enrolment.pk])


def test_the_holder_downloads_the_stored_bytes_in_three_queries(client):
    enrolment = EnrolmentFactory()
    stored(enrolment)
    client.force_login(enrolment.student.user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url(enrolment))
    assert response.status_code == 200
    assert response.content == BYTES
    assert 'filename="certificat-cs-2025-0001.pdf"' in response["Content-Disposition"]
    # The session, the user, the certificate: no role, no enrolment, no model instance.
    assert len(ctx.captured_queries) == 3


def test_a_registrar_downloads_it_and_another_student_gets_404(client):
    enrolment = EnrolmentFactory()
    stored(enrolment)
    client.force_login(RegistrarFactory())
    assert client.get(url(enrolment)).content == BYTES
    client.force_login(EnrolmentFactory().student.user)
    assert client.get(url(enrolment)).status_code == 404


def test_a_revoked_certificate_is_404_for_its_holder(client):
    enrolment = EnrolmentFactory()
    stored(enrolment, revoked=True)
    client.force_login(enrolment.student.user)
    assert client.get(url(enrolment)).status_code == 404
