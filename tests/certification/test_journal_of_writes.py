"""The registrar's journal holds the writes of every screen, not only the year's set-up
(issue 13: « every write … leaves an audit trail (who, when, what), visible to the registrar»)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from attendance.services import RollEntry, roll_record
from certification import services
from certification.bulk import job_create
from enrolment import services as enrolment_services
from enrolment.models import AuditEntry
from grading.services import grades_publish
from tests.certification.conftest import deliberate
from tests.factories import SessionFactory, StaffFactory


def lines(action: str) -> list[tuple[str, str]]:
    return [
        (getattr(e.by, "username", ""), e.summary)
        for e in AuditEntry.objects.filter(action=action).select_related("by")
    ]


def test_fees_payments_refunds_and_status_changes_are_in_the_journal(cohort, registrar):
    enrolment = cohort["enrolments"][4]
    number = enrolment.student.number
    student = f"{enrolment.student.last_name.upper()} {enrolment.student.first_name} ({number})"
    enrolment_services.fees_set(enrolment=enrolment, fees_due=Decimal("600"), by=registrar)
    enrolment_services.payment_record(
        enrolment=enrolment,
        date=dt.date(2025, 1, 15),
        amount=Decimal("450"),
        means="transfer",
        by=registrar,
    )
    enrolment_services.refund_record(
        enrolment=enrolment,
        date=dt.date(2025, 2, 1),
        amount=Decimal("50"),
        means="transfer",
        reason="Trop-perçu",
        by=registrar,
    )
    enrolment_services.enrolment_transition(
        enrolment=enrolment, target="withdrawn", by=registrar, reason="Départ en région"
    )
    who = registrar.username
    assert lines("fees.fees.set") == [
        (
            who,
            f"Frais dus par {enrolment.student.last_name.upper()} "
            f"{enrolment.student.first_name} ({number}) : 150,00\xa0€ → 600,00\xa0€",
        )
    ]
    [(_, paid)] = lines("fees.payment.record")
    assert paid == f"Paiement de 450,00\xa0€ pour {student} (Virement, 15/01/2025)"
    [(_, refund)] = lines("fees.refund.record")
    assert (
        refund == f"Remboursement de 50,00\xa0€ pour {student} (Virement, 01/02/2025) : Trop-perçu"
    )
    [(_, status)] = lines("enrolment.enrolment.status")
    assert status.endswith(": inscrit → retiré (Départ en région)")
    assert AuditEntry.objects.filter(programme_year=cohort["py"]).count() == 4


def test_an_unchanged_fee_writes_no_line(cohort, registrar):
    enrolment = cohort["enrolments"][0]
    enrolment_services.fees_set(enrolment=enrolment, fees_due=enrolment.fees_due, by=registrar)
    assert not AuditEntry.objects.filter(action="fees.fees.set").exists()


@pytest.mark.usefixtures("certificate_pdf_not_rendered")
def test_deliberation_certificates_and_revocation_are_in_the_journal(cohort, registrar):
    deliberate(cohort["py"], by=registrar)
    [(who, deliberation)] = lines("jury.deliberation.record")
    assert who == registrar.username
    assert deliberation == (
        f"Délibération n° 1 de {cohort['py']} : 4 admis, 0 en attente, 1 ajourné, 0 défaillant"
    )

    cert = services.certificate_issue(enrolment=cohort["enrolments"][0], by=registrar)
    job_create(programme_year=cohort["py"], by=registrar)
    services.certificate_revoke(certificate=cert, by=registrar, reason="Erreur de nom")
    assert [s for _, s in lines("certificates.certificate.issue")] == [
        f"Certificat {cert.number} délivré à {cert.enrolment.student.last_name.upper()} "
        f"{cert.enrolment.student.first_name} ({cert.enrolment.student.number})"
    ]
    [(_, bulk)] = lines("certificates.bulk.start")
    assert bulk.endswith(": 2 certificats à délivrer")
    assert lines("certificates.certificate.revoke") == [
        (registrar.username, f"Certificat {cert.number} révoqué : Erreur de nom")
    ]


def test_publication_and_roll_are_in_the_journal(db):
    from grading.models import Grade
    from tests.certification.conftest import make_cohort

    c = make_cohort(2)
    assessment = c["assessments"][0]
    Grade.objects.filter(assessment=assessment).update(published=False)
    teacher = StaffFactory(ues=[assessment.ue])
    grades_publish(assessment=assessment, by=teacher)
    [(who, published)] = lines("grades.assessment.publish")
    assert who == teacher.username
    assert published.startswith(f"2 notes publiées en RSV206 {assessment.key}")

    session = SessionFactory(ue=assessment.ue)
    roll_record(
        session=session,
        entries=[RollEntry(enrolment_id=c["enrolments"][0].pk, presence="absent")],
        by=teacher,
    )
    [(_, roll)] = lines("attendance.roll.record")
    assert roll.endswith(": 1 absence(s), 0 retard(s)")


def test_the_registrar_reads_them_on_the_journal_page(cohort, registrar, client):
    enrolment_services.fees_set(
        enrolment=cohort["enrolments"][0], fees_due=Decimal("10"), by=registrar
    )
    client.force_login(registrar)
    page = client.get(reverse("enrolment:registrar-journal")).content.decode()
    assert "Frais dus par" in page
