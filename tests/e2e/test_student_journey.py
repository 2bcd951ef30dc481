"""A student signs in, reads their grades and downloads their relevé de notes (Chromium)."""

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.e2e.browser import sign_in
from tests.student_data import cohort, enrol, passing_grades, session, student

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session", autouse=True)
def _media_url_for_live_server():
    """MEDIA_URL=None (private files are never served) crashes Django's live server handler,
    which parses it as a URL; any unused path does. Must come before ``live_server`` starts."""
    with override_settings(MEDIA_URL="/_non-servi/"):
        yield


@pytest.fixture
def camille():
    c = cohort()
    s = student()
    passing_grades(enrol(s, c), c)
    session(c.rsv206, days=3, site="conte", room="31.1.12")
    return s


def test_student_signs_in_and_reads_grades(page, live_server, camille):
    sign_in(page, live_server.url, "camille@lecnam.net")
    assert page.get_by_role("heading", name="Bonjour Camille").is_visible()
    page.get_by_role("link", name="Notes").first.click()
    page.wait_for_url(re.compile(r".*/eleve/notes/$"))
    table = page.locator("section", has_text="RSV206").first
    assert "12,00" in table.inner_text()
    assert "Validée" in table.inner_text()


def test_student_downloads_the_transcript_as_pdf(page, live_server, camille):
    sign_in(page, live_server.url, "camille")
    page.goto(f"{live_server.url}{reverse('grading:student-grades')}")
    with page.expect_download() as info:
        page.get_by_role("link", name="Télécharger mon relevé de notes (PDF)").click()
    path = info.value.path()
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"


def test_phone_width_menu_opens_and_reaches_the_planning(page, live_server, camille):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server.url, "camille")
    page.get_by_role("button", name="Ouvrir le menu").click()
    page.get_by_role("link", name="Planning", exact=True).click()
    page.wait_for_url(re.compile(r".*/eleve/planning/$"))
    assert "accès 31, 1er étage, salle 12" in page.content()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
