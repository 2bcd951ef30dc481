"""Registrar deliberates, issues the cohort's certificates in bulk, opens a QR verification URL."""

import subprocess

import pytest
import zxingcpp
from django.urls import reverse
from PIL import Image

from certification.models import Certificate
from tests.certification.conftest import make_cohort
from tests.factories import PASSWORD, RegistrarFactory

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_registrar_deliberates_issues_in_bulk_and_verifies(live_server, page, settings, tmp_path):
    settings.TASKS = IMMEDIATE
    settings.PUBLIC_BASE_URL = live_server.url
    cohort = make_cohort(3, failing=1)
    registrar = RegistrarFactory()
    page.goto(live_server.url + reverse("login"))
    page.locator("input[name=username]").fill(registrar.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_load_state()
    page.goto(live_server.url + reverse("certification:registrar-jury", args=[cohort["py"].pk]))
    page.get_by_label("Membres du jury (un par ligne)").fill("Mme A\nM. B")
    page.get_by_role("button", name="Enregistrer la délibération").click()
    page.get_by_text("Le jury a délibéré").wait_for()
    page.get_by_role("button", name="Délivrer les certificats de tous les éligibles").click()
    page.get_by_text("3 / 3").or_(page.locator("#bulk-done", has_text="3")).first.wait_for()
    assert Certificate.objects.count() == 3

    cert = Certificate.objects.order_by("sequence").first()
    url = _qr_url_of_pdf(cert.pdf.path, tmp_path)
    assert url == cert.snapshot["verification_url"]
    assert url.startswith(live_server.url + "/verifier/")
    page.goto(url)
    assert "Certificat valide" in page.content()
    assert cert.number in page.content()


def _qr_url_of_pdf(pdf_path, tmp_path):
    """Read the QR code printed on the issued PDF, as a phone would: render, then decode."""
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", pdf_path, str(tmp_path / "p")],
        check=True,
    )
    (png,) = tmp_path.glob("p*.png")
    codes = zxingcpp.read_barcodes(Image.open(png))
    assert len(codes) == 1, "the certificate carries exactly one QR code"
    return codes[0].text
