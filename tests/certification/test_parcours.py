"""A certificate issued by the portal appears in the student's parcours by itself (issue 13)."""

import pytest
from django.urls import reverse

from certification import services
from enrolment.models import PriorDiploma

pytestmark = pytest.mark.usefixtures("certificate_pdf_not_rendered")


def test_an_issued_certificate_enters_the_parcours_and_leaves_it_when_revoked(
    deliberated, registrar
):
    enrolment = deliberated["enrolments"][0]
    cert = services.certificate_issue(enrolment=enrolment, by=registrar)

    line = PriorDiploma.objects.get(student=enrolment.student)
    assert (line.certificate_number, line.at_cnam, line.institution, line.year) == (
        cert.number,
        True,
        "Cnam",
        cert.issued_on.year,
    )
    assert line.title.endswith("(CS2600A)")

    services.certificate_revoke(certificate=cert, by=registrar, reason="Erreur d'identité")
    assert not PriorDiploma.objects.filter(certificate_number=cert.number).exists()

    again = services.certificate_issue(enrolment=enrolment, by=registrar)
    assert list(
        PriorDiploma.objects.filter(student=enrolment.student).values_list(
            "certificate_number", flat=True
        )
    ) == [again.number]


def test_the_student_sees_it_on_their_profile(deliberated, registrar, client):
    enrolment = deliberated["enrolments"][0]
    cert = services.certificate_issue(enrolment=enrolment, by=registrar)
    client.force_login(enrolment.student.user)
    page = client.get(reverse("enrolment:student-profile")).content.decode()
    assert f"certificat n° {cert.number}, délivré par ce portail" in page
