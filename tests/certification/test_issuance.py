import hashlib
import threading
import time

import pytest
from django.core import mail
from django.db import OperationalError, connection
from django.urls import reverse

from certification import services
from certification.models import Certificate
from tests.certification.conftest import make_cohort
from tests.factories import RegistrarFactory


@pytest.fixture
def cohort(deliberated):
    """Issuing comes after the jury: these tests start from the deliberated cohort."""
    return deliberated


def test_issuing_freezes_number_snapshot_pdf_and_sha256(cohort, registrar):
    e = cohort["enrolments"][0]
    cert = services.certificate_issue(enrolment=e, by=registrar)
    assert cert.number == "CS2600A-2025-00001"
    assert len(cert.verification_code) >= 32
    data = cert.pdf.read()
    assert data.startswith(b"%PDF")
    assert hashlib.sha256(data).hexdigest() == cert.sha256
    assert cert.snapshot["holder"]["number"] == e.student.number
    assert cert.snapshot["verification_url"].endswith(f"/verifier/{cert.verification_code}")


def test_issuing_twice_returns_the_same_certificate_and_mails_once(cohort, registrar):
    e = cohort["enrolments"][0]
    first = services.certificate_issue(enrolment=e, by=registrar)
    second = services.certificate_issue(enrolment=e, by=registrar)
    assert first.pk == second.pk
    assert Certificate.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_certificate_issued_email_is_sent_once():
    cohort = make_cohort(1, deliberated=True)
    e = cohort["enrolments"][0]
    services.certificate_issue(enrolment=e, by=None)
    services.certificate_issue(enrolment=e, by=None)
    assert len(mail.outbox) == 1
    assert "CS2600A-2025-00001" in mail.outbox[0].subject


def test_failed_ue_is_refused_with_its_reason(cohort, registrar):
    failing = cohort["enrolments"][3]
    with pytest.raises(services.CertificationError) as exc:
        services.certificate_issue(enrolment=failing, by=registrar)
    assert any("RSV207" in r and "8,50" in r for r in exc.value.reasons)
    assert not Certificate.objects.exists()


def test_unpaid_fees_are_refused_with_the_amount(cohort, registrar):
    unpaid = cohort["enrolments"][4]
    with pytest.raises(services.CertificationError) as exc:
        services.certificate_issue(enrolment=unpaid, by=registrar)
    assert exc.value.reasons == ["150,00\xa0€ restent dus"]


def test_pending_ue_and_missed_assessment_are_refused_with_every_reason(db, registrar):
    from grading.models import Grade
    from tests.certification.conftest import deliberate

    cohort = make_cohort(1)
    e = cohort["enrolments"][0]
    Grade.objects.filter(enrolment=e, assessment=cohort["assessments"][0]).delete()
    Grade.objects.filter(enrolment=e, assessment=cohort["assessments"][1]).update(
        status="absent", value=None
    )
    deliberate(cohort["py"])
    with pytest.raises(services.CertificationError) as exc:
        services.certificate_issue(enrolment=e, by=registrar)
    text = " | ".join(exc.value.reasons)
    assert "Décision du jury : défaillant" in text
    assert "UE RSV206 en attente" in text
    assert "Non composé : RSV207-CT" in text


def test_no_certificate_before_the_jury(db, registrar):
    cohort = make_cohort(1)
    with pytest.raises(services.CertificationError) as exc:
        services.certificate_issue(enrolment=cohort["enrolments"][0], by=registrar)
    assert exc.value.reasons == ["Le jury n'a pas encore délibéré."]
    assert not Certificate.objects.exists()


def test_numbers_are_gapless_in_issue_order(cohort, registrar):
    numbers = [
        services.certificate_issue(enrolment=e, by=registrar).number
        for e in cohort["enrolments"][:3]
    ]
    assert numbers == [f"CS2600A-2025-0000{i}" for i in (1, 2, 3)]


def test_redownload_is_byte_identical(client, cohort, registrar):
    e = cohort["enrolments"][0]
    cert = services.certificate_issue(enrolment=e, by=registrar)
    url = reverse("certification:certificate-pdf", args=[e.pk])
    client.force_login(e.student.user)
    one = client.get(url).content
    client.force_login(registrar)
    two = client.get(url).content
    assert one == two
    assert hashlib.sha256(one).hexdigest() == cert.sha256


def test_another_student_gets_404_on_a_certificate(client, cohort, registrar):
    e, other = cohort["enrolments"][0], cohort["enrolments"][1]
    services.certificate_issue(enrolment=e, by=registrar)
    client.force_login(other.student.user)
    assert client.get(reverse("certification:certificate-pdf", args=[e.pk])).status_code == 404


def _issue_retrying_shared_cache_locks(enrolment, registrar):
    # The default SQLite test database is in-memory with a shared cache, whose table locks fail
    # at once ("database table is locked") instead of waiting like a file database in WAL mode
    # (set DJANGO_TEST_SQLITE_NAME to test on a file: no retry happens then). A retry is what a
    # client does; the invariants asserted below are the service's.
    for _ in range(200):
        try:
            return services.certificate_issue(enrolment=enrolment, by=registrar)
        except OperationalError as exc:
            if "table is locked" not in str(exc):
                raise
            time.sleep(0.05)
    raise AssertionError("still locked")


@pytest.mark.django_db(transaction=True)
def test_concurrent_issuance_gives_one_certificate_per_student_gapless():
    cohort = make_cohort(8, deliberated=True)
    registrar = RegistrarFactory()
    enrolments = cohort["enrolments"]
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def worker(start: int) -> None:
        # Two threads start at the first student and two at the fifth: they race for the same
        # student (one certificate each) and, pair against pair, for the next number (no gap).
        # In one lockstep order all four would render every PDF (32 renders for 8 students).
        try:
            barrier.wait()
            for e in enrolments[start:] + enrolments[:start]:
                _issue_retrying_shared_cache_locks(e, registrar)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(start,)) for start in (0, 0, 4, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    certs = list(Certificate.objects.order_by("sequence"))
    assert len(certs) == len(enrolments)
    assert len({c.enrolment_id for c in certs}) == len(enrolments)
    assert [c.sequence for c in certs] == list(range(1, len(enrolments) + 1))
