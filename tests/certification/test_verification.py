import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from certification import services


@pytest.fixture
def cohort(deliberated):
    """Issuing comes after the jury: these tests start from the deliberated cohort."""
    return deliberated


@pytest.fixture
def cert(cohort, registrar):
    return services.certificate_issue(enrolment=cohort["enrolments"][0], by=registrar)


def test_verification_page_shows_holder_number_and_valid_but_no_grades(client, cert):
    r = client.get(f"/verifier/{cert.verification_code}")
    html = r.content.decode()
    assert r.status_code == 200
    assert cert.number in html and "valide" in html
    assert "1990" not in html  # no birth date
    assert "14,00" not in html  # no grades


def test_qr_url_is_the_verify_route(cert, settings):
    assert cert.snapshot["verification_url"] == (
        settings.PUBLIC_BASE_URL.rstrip("/")
        + reverse("certification:verify", args=[cert.verification_code])
    )


def test_wrong_code_is_a_plain_404(client, db):
    assert client.get("/verifier/not-a-real-code").status_code == 404


def test_lookups_are_throttled(client, db):
    codes = [client.get(f"/verifier/x{i}").status_code for i in range(31)]
    assert codes[:30] == [404] * 30
    assert codes[30] == 429


def test_revocation_shows_at_once(client, cert, registrar):
    services.certificate_revoke(certificate=cert, by=registrar, reason="Fraude")
    html = client.get(f"/verifier/{cert.verification_code}").content.decode()
    assert "révoqué" in html


def test_revocation_needs_a_reason(cert, registrar):
    with pytest.raises(services.CertificationError):
        services.certificate_revoke(certificate=cert, by=registrar, reason="  ")


def test_upload_of_the_issued_pdf_is_authentic_and_a_modified_one_unknown(client, cert):
    data = cert.pdf.read()
    assert hashlib.sha256(data).hexdigest() == cert.sha256
    ok = client.post(
        reverse("certification:verify-upload"),
        {"document": SimpleUploadedFile("c.pdf", data, "application/pdf")},
    )
    assert "Authentique" in ok.content.decode() and cert.number in ok.content.decode()
    bad = client.post(
        reverse("certification:verify-upload"),
        {"document": SimpleUploadedFile("c.pdf", data + b" ", "application/pdf")},
    ).content.decode()
    # A byte appended after the end of the signed file: no longer the registered file (not
    # « Authentique »); what was signed is still intact, and the page says only that.
    assert "Authentique" not in bad
    assert "<strong>Signature valide</strong>" in bad
    assert (
        "Ce document n'est pas un certificat enregistré : seule la signature est vérifiée." in bad
    )


def test_behind_the_proxy_each_client_has_its_own_lookup_counter(client, db, settings):
    settings.BEHIND_PROXY = True

    def lookup(forwarded_for: str) -> int:
        response = client.get(
            "/verifier/x", HTTP_X_FORWARDED_FOR=forwarded_for, REMOTE_ADDR="10.0.0.1"
        )
        return response.status_code

    assert [lookup("203.0.113.9") for _ in range(31)][-2:] == [404, 429]
    # Another client behind the same proxy is not throttled; a forged entry resets nothing.
    assert lookup("198.51.100.7") == 404
    assert lookup("198.51.100.8, 203.0.113.9") == 429
