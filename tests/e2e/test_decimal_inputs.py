"""In a browser set to English (en-US), « 0,5 » typed as a coefficient is one half and
« 600,50 » typed as a payment is 600.50 €: the decimal inputs are text, read by the server
(issue 10: an <input type=number> turned them into 5 and 60 050)."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, expect

from enrolment.models import Payment
from grading.models import Assessment
from tests.e2e.browser import sign_in
from tests.factories import EnrolmentFactory, RegistrarFactory
from tests.grading.staff_world import make_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def english_page(browser: Browser):
    context = browser.new_context(locale="en-US", timezone_id="Europe/Paris")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_an_english_browser_types_french_decimals_and_the_portal_stores_them(
    english_page, live_server
):
    page = english_page
    assert page.evaluate("navigator.language") == "en-US"
    world = make_world(1)

    sign_in(page, live_server.url, world.teacher.username)
    page.goto(live_server.url + reverse("grading:staff-assessment-create", args=[world.ue.pk]))
    weight = page.locator('input[name="weight"]')
    expect(weight).to_have_attribute("type", "text")
    expect(weight).to_have_attribute("inputmode", "decimal")
    page.locator('input[name="key"]').fill("CC1")
    page.locator('input[name="title"]').fill("Dossier")
    page.locator('select[name="kind"]').select_option("cc")
    weight.fill("0,5")
    page.locator('input[name="date"]').fill("2025-03-01")
    page.locator("form.staff-form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/enseignant/evaluations/\d+/notes/$"))
    # The grid's heading echoes the coefficient in the page's language (« 0,5 » or « 0.50 »).
    expect(page.get_by_text(re.compile(r"\b(coefficient|weight) 0[,.]50?\b"))).to_be_visible()
    created = Assessment.objects.get(ue=world.ue, key="CC1")
    assert created.weight == Decimal("0.50")

    page.context.clear_cookies()
    enrolment = EnrolmentFactory(owing=True)
    sign_in(page, live_server.url, RegistrarFactory().username)
    page.goto(live_server.url + reverse("enrolment:registrar-enrolment", args=[enrolment.pk]))
    amount = page.locator('input[name="payment-amount"]')
    expect(amount).to_have_attribute("type", "text")
    amount.fill("600,50")
    page.locator('select[name="payment-means"]').select_option("transfer")
    payment_form = page.locator("form", has=amount)
    payment_form.locator("button[type=submit]").click()
    expect(page.get_by_text("600,50\u00a0€").first).to_be_visible()
    assert [p.amount for p in Payment.objects.filter(enrolment=enrolment)] == [Decimal("600.50")]
