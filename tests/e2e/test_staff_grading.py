"""A teacher enters a cohort's grades with the keyboard only, saves, publishes; the student
then sees the grade (headless Chromium)."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from grading.models import Grade
from tests.e2e.browser import sign_in
from tests.grading.staff_world import make_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_teacher_types_grades_with_the_keyboard_publishes_and_the_student_sees_them(
    page, live_server
):
    world = make_world(3)
    sign_in(page, live_server.url, world.teacher.username)
    page.goto(f"{live_server.url}{reverse('grading:staff-grid', args=[world.assessment.pk])}")
    first = page.locator("input.grid-input").first
    first.focus()
    for typed in ("12,5", "ABS", "15"):
        page.keyboard.type(typed)
        page.keyboard.press("Enter")
    # After the last row, Enter lands on the save button; Enter again saves.
    assert page.evaluate("document.activeElement.id") == "grid-save"
    page.keyboard.press("Enter")
    expect(page.get_by_text("3 notes enregistrées")).to_be_visible()
    values = {g.enrolment_id: (g.status, g.value, g.published) for g in Grade.objects.all()}
    e = world.enrolments
    assert values[e[0].pk][0:2] == ("graded", Decimal("12.50"))
    assert values[e[1].pk][0] == "absent"
    assert all(not published for _, _, published in values.values())
    # Publishing is confirmed on a page that says how many e-mails will go.
    page.get_by_role("link", name="Publier…").click()
    expect(page.get_by_text("3 élèves recevront un e-mail.")).to_be_visible()
    assert not Grade.objects.filter(published=True).exists()
    page.get_by_role("button", name="Publier 3 notes").click()
    expect(page.get_by_text("3 notes publiées")).to_be_visible()
    assert set(Grade.objects.values_list("published", flat=True)) == {True}

    with page.expect_navigation(url=re.compile(r".*/compte/connexion/$")):
        page.get_by_role("button", name="Se déconnecter").first.click()
    student = e[0].student
    sign_in(page, live_server.url, student.user.username)
    page.goto(f"{live_server.url}{reverse('grading:student-grades')}")
    expect(page.get_by_text("12,50").first).to_be_visible()
