"""A student sends the justification of an absence; the UE's teacher accepts it from the roll
row; the student then reads « acceptée » (headless Chromium, at phone width for the roll)."""

from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from attendance.models import Attendance, JustificationRequest
from tests.e2e.browser import sign_in, sign_out
from tests.factories import AttendanceFactory, SessionFactory
from tests.grading.staff_world import make_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_student_sends_teacher_accepts_from_the_roll_row_student_reads_accepted(
    page, live_server, tmp_path: Path
):
    world = make_world(3)
    session = SessionFactory(ue=world.ue, key="S1")
    absence = AttendanceFactory(session=session, enrolment=world.enrolments[1])
    student = absence.enrolment.student
    certificate = tmp_path / "certificat.pdf"
    certificate.write_bytes(b"%PDF-1.4\n%arret de travail\n")

    sign_in(page, live_server.url, student.user.username)
    page.goto(f"{live_server.url}{reverse('attendance:student-attendance')}")
    page.get_by_role("link", name="Justifier").click()
    page.locator("input[type=file][name=document]").set_input_files(certificate)
    page.get_by_label("Commentaire (facultatif)").fill("Arrêt de travail")
    page.get_by_role("button", name="Envoyer le justificatif").click()
    expect(page.get_by_text("Justificatif envoyé")).to_be_visible()
    expect(page.get_by_text("en attente")).to_be_visible()
    sign_out(page)

    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server.url, world.teacher.username)
    page.goto(f"{live_server.url}{reverse('attendance:staff-roll', args=[session.pk])}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    row = page.get_by_role("row").filter(has_text=student.full_name)
    expect(row.get_by_text("justificatif de l'élève à examiner")).to_be_visible()
    expect(row.get_by_text("« Arrêt de travail »")).to_be_visible()
    row.get_by_role("button", name="Accepter").click()
    expect(page.get_by_text(f"Justificatif de {student.full_name} accepté")).to_be_visible()
    assert page.url.endswith(reverse("attendance:staff-roll", args=[session.pk]))
    row = page.get_by_role("row").filter(has_text=student.full_name)
    expect(row.get_by_text("justifiée : Arrêt de travail")).to_be_visible()
    assert Attendance.objects.get(pk=absence.pk).justified
    assert JustificationRequest.objects.get().status == "accepted"
    sign_out(page)

    sign_in(page, live_server.url, student.user.username)
    page.goto(f"{live_server.url}{reverse('attendance:student-attendance')}")
    expect(page.get_by_text("acceptée")).to_be_visible()
    expect(page.get_by_role("link", name="Justifier")).to_have_count(0)
