"""Registrar deliberates, issues the cohort's certificates in bulk, opens a QR verification URL."""

import re
import subprocess

import pytest
import zxingcpp
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from certification.models import Certificate
from tests.certification.conftest import make_cohort
from tests.e2e.browser import sign_in
from tests.factories import RegistrarFactory

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_registrar_deliberates_issues_in_bulk_and_verifies(live_server, page, settings, tmp_path):
    settings.TASKS = IMMEDIATE
    settings.PUBLIC_BASE_URL = live_server.url
    page.set_default_timeout(5_000)
    cohort = make_cohort(3, failing=1)  # 4 students, 3 admis
    registrar = RegistrarFactory()
    sign_in(page, live_server.url, registrar.username)
    page.goto(live_server.url + reverse("certification:registrar-jury", args=[cohort["py"].pk]))
    page.get_by_label("Membres du jury (un par ligne)").fill("Mme A\nM. B")
    page.get_by_label(
        "Je confirme : les notes des 4 élèves seront verrouillées, leurs décisions enregistrées "
        "et la promotion figée (évaluations, séances tenues, UE)."
    ).check()
    page.get_by_role("button", name="Enregistrer la délibération").click()
    expect(
        page.get_by_role("status").filter(has_text=re.compile(r"PV n° 1\b.* enregistré"))
    ).to_be_visible()

    # The label must name this form's own checkbox (the deliberation form has one too).
    issue = page.get_by_role("button", name="Délivrer les certificats des élèves admis")
    issue_form = page.locator("form").filter(has=issue)
    issue_form.get_by_label(
        "Je confirme : 3 certificats seront délivrés et 3 élèves recevront un e-mail."
    ).check()
    issue.click()
    expect(page.locator("#bulk-job")).to_have_attribute("data-finished", "1")
    expect(page.locator("#bulk-done")).to_have_text("3")
    assert Certificate.objects.count() == 3

    cert = Certificate.objects.order_by("sequence").first()
    url = _qr_url_of_pdf(cert.pdf.path, tmp_path)
    assert url == cert.snapshot["verification_url"]
    assert url.startswith(live_server.url + "/verifier/")
    page.goto(url)
    expect(page.get_by_text("Certificat valide")).to_be_visible()
    expect(page.get_by_text(cert.number)).to_be_visible()


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


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_registrar_filters_and_sorts_the_jury_table_on_a_phone(live_server, page):
    """At 390 px the page does not scroll sideways (the table does, inside its box); the
    filter form and the sort links work without JavaScript tricks."""
    page.set_default_timeout(5_000)
    page.set_viewport_size({"width": 390, "height": 844})
    cohort = make_cohort(3, failing=1, deliberated=True)  # 3 admis, 1 ajourné
    registrar = RegistrarFactory()
    sign_in(page, live_server.url, registrar.username)
    for url in (
        reverse("enrolment:registrar-home"),
        reverse("certification:registrar-juries"),
        reverse("certification:registrar-jury", args=[cohort["py"].pk]),
    ):
        page.goto(live_server.url + url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, url

    page.get_by_label("Décision (ou proposition)").select_option(label="ajourné")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_role("status").filter(has_text="1 élève sur 4")).to_be_visible()
    expect(page.locator(".jury-table tbody tr")).to_have_count(1)
    expect(page.locator(".jury-table tbody tr td.decision strong")).to_have_text("ajourné")

    page.get_by_role("link", name="Tout afficher").click()
    page.get_by_role("link", name=re.compile("^RSV207")).click()  # highest first
    header = page.get_by_role("columnheader", name=re.compile("^RSV207"))
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(page.locator(".jury-table tbody tr").last).to_contain_text("8,50")
    # The student's name stays in view while the table scrolls sideways.
    page.locator(".table-responsive").evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    name = page.locator(".jury-table tbody th.sticky-col").first
    box = name.bounding_box()
    assert box is not None and box["x"] < 40
