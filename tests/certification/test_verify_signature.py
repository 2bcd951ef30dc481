"""Signed documents (issue 14): the certificate is signed when frozen (visible signature), the
attestation and the final relevé when produced; /verifier/ checks an uploaded PDF's signature
and the register of certificates, and says in plain French what it found."""

import hashlib
from io import BytesIO
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader
from pypdf import PdfReader

from certification import services
from certification.views.public import Verdict, verdict
from enrolment.models import ProgrammeYear
from lib import signing
from lib.pdf import render_pdf
from tests.pdf_builders import document_case

pytestmark = pytest.mark.django_db

PASSPHRASE = "phrase-de-test"


@pytest.fixture
def cert(deliberated, registrar):
    return services.certificate_issue(enrolment=deliberated["enrolments"][0], by=registrar)


def quoted(name: str) -> str:
    """« name », the guillemets held to the name by no-break spaces."""
    return f"«\xa0{name}\xa0»"


def upload(client, data: bytes) -> str:
    response = client.post(
        reverse("certification:verify-upload"),
        {"document": SimpleUploadedFile("document.pdf", data, content_type="application/pdf")},
    )
    assert response.status_code == 200
    return response.content.decode()


def new_key(folder: Path, name: str, subject: str) -> Path:
    path = folder / f"{name}.p12"
    signing.generate_self_signed(path, subject=subject, passphrase=PASSPHRASE)
    return path


def certificate_pem(p12: Path, passphrase: str, out: Path) -> Path:
    """The certificate (no key) of a PKCS#12 file, as the previous-certificate setting wants."""
    _, certificate, _ = pkcs12.load_key_and_certificates(p12.read_bytes(), passphrase.encode())
    assert certificate is not None
    out.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return out


def unsigned_pdf() -> bytes:
    return render_pdf("pdf/base.html", {}, title="Un document non signé")


def reason_of(data: bytes) -> str:
    signature = PdfFileReader(BytesIO(data)).embedded_signatures[0]
    return str(signature.sig_object["/Reason"])


# --- Signing where documents are produced -------------------------------------------------


def test_the_stored_certificate_is_signed_visibly_and_its_sha256_is_the_signed_files(client, cert):
    data = cert.pdf.read()
    assert hashlib.sha256(data).hexdigest() == cert.sha256
    checked = signing.verify_pdf(data)
    assert checked.outcome == signing.VALID
    assert checked.signatory == signing.signatory_name()
    assert checked.current is True
    assert reason_of(data) == f"Certificat de spécialisation n° {cert.number}"
    # The visible field sits where the template leaves its bordered box, on the last page.
    reader = PdfReader(BytesIO(data))
    widgets = [
        annotation.get_object()
        for annotation in reader.pages[-1]["/Annots"]
        if annotation.get_object().get("/FT") == "/Sig"
    ]
    assert len(widgets) == 1
    rect = [float(value) for value in widgets[0]["/Rect"]]
    assert rect == [float(round(v)) for v in services.CERTIFICATE_SIGNATURE_BOX.box]
    # Its text is legible: glyph widths in thousandths of an em (no glyph wider than an em),
    # not in the font's 2048 units, which spread the letters out of the box.
    font = next(iter(widgets[0]["/AP"]["/N"]["/Resources"]["/Font"].values())).get_object()
    widths = font["/DescendantFonts"][0].get_object()["/W"]
    assert 0 < max(w for entry in widths if isinstance(entry, list) for w in entry) <= 1000
    # A re-download serves the same signed bytes: signed once, when frozen.
    client.force_login(cert.enrolment.student.user)
    response = client.get(reverse("certification:certificate-pdf", args=[cert.enrolment_id]))
    assert response.content == data


def test_the_attestation_is_signed_when_produced(client, deliberated):
    enrolment = deliberated["enrolments"][0]
    client.force_login(enrolment.student.user)
    response = client.get(reverse("certification:attestation-pdf", args=[enrolment.pk]))
    assert response.status_code == 200
    assert signing.verify_pdf(response.content).outcome == signing.VALID
    assert reason_of(response.content) == "Attestation de réussite"


def test_the_final_transcript_is_signed_and_the_provisional_one_is_not(client):
    case = document_case()
    url = reverse("grading:transcript-pdf", args=[case.enrolment.pk])
    client.force_login(case.enrolment.student.user)
    provisional = client.get(url).content
    assert signing.verify_pdf(provisional).outcome == signing.UNSIGNED
    ProgrammeYear.objects.filter(pk=case.programme_year.pk).update(frozen_at=timezone.now())
    final = client.get(url).content
    assert signing.verify_pdf(final).outcome == signing.VALID
    assert reason_of(final) == "Relevé de notes définitif"


# --- The verification page ----------------------------------------------------------------


def test_the_page_names_the_certificate_that_signs_before_any_upload(client):
    html = client.get(reverse("certification:verify-upload")).content.decode()
    assert f"au nom de {quoted(signing.signatory_name())}" in html
    assert "portail de démonstration" not in html


def test_the_demo_page_says_its_certificate_proves_nothing(client, settings, tmp_path):
    settings.DEBUG = True
    settings.SIGNING_PKCS12_PATH = ""
    settings.SIGNING_DEMO_DIR = tmp_path / "demo-signing"
    notice = (
        f"Ce portail de démonstration signe avec un certificat autogénéré "
        f"{quoted('Cnam EPN12 (démo)')} : il ne prouve rien hors de cette démonstration."
    )
    html = client.get(reverse("certification:verify-upload")).content.decode()
    assert f"au nom de {quoted('Cnam EPN12 (démo)')}" in html
    assert notice in html
    # A document signed in the demo: the notice goes with its « signature valide », once.
    html = upload(client, signing.sign_pdf(unsigned_pdf(), reason="Attestation de réussite"))
    assert "Signature valide de Cnam EPN12 (démo), le " in html
    assert html.count(notice) == 1


def test_an_issued_certificate_is_authentic_signed_and_known(client, cert):
    html = upload(client, cert.pdf.read())
    assert "<strong>Authentique</strong>" in html
    assert "alert-success" in html
    assert "alert-danger" not in html
    assert f"Signature valide de {signing.signatory_name()}, le " in html
    assert "certificat précédent" not in html
    assert cert.number in html


def test_one_byte_changed_is_modified_after_signature(client, cert):
    data = cert.pdf.read()
    changed = data.replace(b"/Title (Certificat ", b"/Title (Certificas ", 1)
    assert sum(a != b for a, b in zip(data, changed, strict=True)) == 1
    assert signing.verify_pdf(changed).outcome == signing.MODIFIED
    html = upload(client, changed)
    assert "Document modifié après signature" in html
    assert 'class="alert alert-danger" role="alert"' in html
    assert "Authentique" not in html


def test_a_pdf_signed_with_another_key_is_refused(client, settings, signing_keys):
    settings.SIGNING_PKCS12_PATH = str(signing_keys.other)
    forged = signing.sign_pdf(unsigned_pdf(), reason="Certificat de spécialisation")
    settings.SIGNING_PKCS12_PATH = str(signing_keys.portal)
    assert signing.verify_pdf(forged).outcome == signing.OTHER_CERTIFICATE
    html = upload(client, forged)
    assert "<strong>Refusé</strong>" in html
    assert "Signé par un autre certificat que celui du Cnam" in html
    assert f"au nom de {quoted('Autre établissement')}" in html
    assert 'class="alert alert-danger" role="alert"' in html


def test_an_unsigned_pdf_is_said_unsigned(client):
    html = upload(client, unsigned_pdf())
    assert "Document non signé." in html
    assert "<strong>Inconnu</strong>" in html
    assert "alert-success" not in html


def test_garbage_is_unreadable(client):
    html = upload(client, b"%PDF-1.7\nceci n'est pas un PDF\n%%EOF")
    assert "<strong>Fichier illisible</strong> : ce n'est pas un PDF valide." in html
    assert "alert-success" not in html


def test_an_old_document_stays_valid_after_a_key_rotation(
    client, settings, cert, signing_keys, tmp_path
):
    """The key changes: the former certificate is listed as a previous one."""
    previous = certificate_pem(signing_keys.portal, signing_keys.passphrase, tmp_path / "old.pem")
    settings.SIGNING_PKCS12_PATH = str(new_key(tmp_path, "new", "Cnam EPN12 2027"))
    settings.SIGNING_PASSPHRASE = PASSPHRASE
    settings.SIGNING_PREVIOUS_CERTIFICATES = [str(previous)]
    data = cert.pdf.read()
    checked = signing.verify_pdf(data)
    assert (checked.outcome, checked.current) == (signing.VALID, False)
    html = upload(client, data)
    assert "<strong>Authentique</strong>" in html
    assert " — certificat précédent de l'établissement" in html
    assert f"au nom de {quoted('Cnam EPN12 2027')}" in html


def test_a_signed_attestation_has_a_valid_signature_but_is_not_in_the_register(client, deliberated):
    enrolment = deliberated["enrolments"][0]
    client.force_login(enrolment.student.user)
    data = client.get(reverse("certification:attestation-pdf", args=[enrolment.pk])).content
    client.logout()
    html = upload(client, data)
    assert "<strong>Signature valide</strong>" in html
    assert (
        "Ce document n'est pas un certificat enregistré : seule la signature est vérifiée." in html
    )
    assert "alert-success" in html


def test_a_revoked_certificate_is_revoked_even_with_a_valid_signature(client, cert, registrar):
    services.certificate_revoke(certificate=cert, by=registrar, reason="Erreur d'état civil")
    html = upload(client, cert.pdf.read())
    assert "<strong>Révoqué</strong>" in html
    assert 'class="alert alert-danger" role="alert"' in html
    assert f"Signature valide de {signing.signatory_name()}" in html


def test_a_certificate_issued_before_signing_is_authentic_by_its_fingerprint(client, cert):
    """A certificate frozen before documents were signed: unsigned, known by its SHA-256."""
    old_file = unsigned_pdf()
    type(cert).objects.filter(pk=cert.pk).update(sha256=hashlib.sha256(old_file).hexdigest())
    html = upload(client, old_file)
    assert "<strong>Authentique</strong>" in html
    assert "Document non signé." in html
    assert "délivré avant que les documents du portail ne soient signés" in html


def test_the_verdict_combines_signature_and_register():
    def checked(outcome: str) -> signing.Verification:
        return signing.Verification(outcome, "", None, "", True, False, False)

    cases = {
        (signing.VALID, True, False): Verdict.AUTHENTIC,
        (signing.UNSIGNED, True, False): Verdict.AUTHENTIC,
        (signing.VALID, True, True): Verdict.REVOKED,
        (signing.VALID, False, False): Verdict.SIGNATURE_ONLY,
        (signing.MODIFIED, False, False): Verdict.MODIFIED,
        (signing.OTHER_CERTIFICATE, False, False): Verdict.OTHER_CERTIFICATE,
        (signing.UNSIGNED, False, False): Verdict.UNKNOWN,
        (signing.INVALID, False, False): Verdict.UNREADABLE,
    }
    found = {
        (outcome, known, revoked): verdict(checked(outcome), known=known, revoked=revoked)
        for outcome, known, revoked in cases
    }
    assert found == cases


def test_without_a_usable_key_the_register_still_answers(client, cert, settings):
    data = cert.pdf.read()
    settings.SIGNING_PKCS12_PATH = ""  # production (DEBUG off) without a key
    html = upload(client, data)
    assert "<strong>Authentique</strong>" in html
    assert "La signature n'a pas pu être vérifiée" in html
    assert "au nom de" not in html
