"""Staff attendance pages: scope, the roll, justified absences, moves and cancellations."""

import datetime as dt

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from attendance.models import Attendance, Session, SessionChange
from tests.factories import RegistrarFactory, SessionFactory
from tests.grading.staff_world import make_world

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%test\n"


@pytest.fixture
def world():
    w = make_world(3)
    w.session = SessionFactory(ue=w.ue, key="S1")
    w.other_session = SessionFactory(ue=w.other_ue, key="S1")
    return w


def _roll(world, presences, minutes=None):
    minutes = minutes or {}
    data = {
        "form-TOTAL_FORMS": str(len(world.enrolments)),
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "2000",
    }
    for i, e in enumerate(world.enrolments):
        data |= {
            f"form-{i}-enrolment": str(e.pk),
            f"form-{i}-presence": presences.get(e.pk, "present"),
            f"form-{i}-minutes_missed": str(minutes.get(e.pk, "")),
        }
    return data


def test_routes_answer_login_403_404_by_role(client, world):
    urls = [reverse("attendance:staff-sessions")] + [
        reverse(name, kwargs={"session_id": world.session.pk})
        for name in (
            "attendance:staff-roll",
            "attendance:staff-justify",
            "attendance:staff-session-change",
        )
    ]
    for url in urls:
        assert client.get(url).status_code == 302
    client.force_login(world.enrolments[0].student.user)
    for url in urls:
        assert client.post(url, _roll(world, {})).status_code == 403
    client.force_login(world.other_teacher)
    for url in urls[1:]:
        assert client.post(url, _roll(world, {world.enrolments[0].pk: "absent"})).status_code == 404
    assert not Attendance.objects.exists()
    sessions = client.get(urls[0]).content.decode()
    assert world.other_ue.code in sessions and "RSV201 —" not in sessions


def test_the_roll_records_late_and_absent_for_the_whole_cohort(client, world):
    client.force_login(world.teacher)
    url = reverse("attendance:staff-roll", kwargs={"session_id": world.session.pk})
    page = client.get(url)
    assert page.status_code == 200
    e = world.enrolments
    response = client.post(url, _roll(world, {e[0].pk: "late", e[1].pk: "absent"}, {e[0].pk: 25}))
    assert response.status_code == 302
    rows = {a.enrolment_id: a for a in Attendance.objects.all()}
    assert rows[e[0].pk].presence == "late" and rows[e[0].pk].minutes_missed == 25
    assert rows[e[1].pk].presence == "absent"
    assert e[2].pk not in rows


def test_late_without_minutes_or_a_foreign_student_saves_nothing(client, world):
    client.force_login(world.teacher)
    url = reverse("attendance:staff-roll", kwargs={"session_id": world.session.pk})
    e = world.enrolments
    assert client.post(url, _roll(world, {e[0].pk: "late", e[1].pk: "absent"})).status_code == 400
    data = _roll(world, {e[1].pk: "absent"})
    data["form-0-enrolment"] = str(world.outsider.pk)
    data["form-0-presence"] = "absent"
    assert client.post(url, data).status_code == 400
    assert not Attendance.objects.exists()


def test_justified_absence_with_a_pdf_readable_by_staff_registrar_and_that_student_only(
    client, world
):
    client.force_login(world.teacher)
    url = reverse("attendance:staff-justify", kwargs={"session_id": world.session.pk})
    e0 = world.enrolments[0]
    response = client.post(
        url,
        {
            "justify-enrolment": e0.pk,
            "justify-reason": "Arrêt maladie",
            "justify-document": SimpleUploadedFile("../../x.pdf", PDF),
        },
    )
    assert response.status_code == 302
    attendance = Attendance.objects.get()
    assert attendance.justified and attendance.presence == "absent"
    assert ".." not in attendance.justification_document.name
    doc = reverse("attendance:justification-document", kwargs={"attendance_id": attendance.pk})
    response = client.get(doc)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    client.force_login(e0.student.user)
    assert client.get(doc).status_code == 200
    client.force_login(RegistrarFactory())
    assert client.get(doc).status_code == 200
    client.force_login(world.enrolments[1].student.user)
    assert client.get(doc).status_code == 404
    client.force_login(world.other_teacher)
    assert client.get(doc).status_code == 404


def test_a_justification_that_is_not_a_pdf_or_image_is_refused(client, world):
    client.force_login(world.teacher)
    url = reverse("attendance:staff-justify", kwargs={"session_id": world.session.pk})
    response = client.post(
        url,
        {
            "justify-enrolment": world.enrolments[0].pk,
            "justify-reason": "x",
            "justify-document": SimpleUploadedFile("a.pdf", b"MZ\x90evil"),
        },
    )
    assert response.status_code == 400
    assert "Le justificatif doit être un PDF, une image PNG ou JPEG." in response.content.decode()
    assert not Attendance.objects.exists()
    # The row names the student: one who does not follow the session's UE is not on the roll.
    response = client.post(url, {"justify-enrolment": world.outsider.pk, "justify-reason": "x"})
    assert response.status_code == 404
    assert not Attendance.objects.exists()


def test_moving_a_session_logs_the_change_and_emails_each_student_at_once(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world.teacher)
    url = reverse("attendance:staff-session-change", kwargs={"session_id": world.session.pk})
    start = timezone.localtime(world.session.start) + dt.timedelta(days=14)
    data = {
        "action": "move",
        "move-start": start.strftime("%Y-%m-%dT%H:%M"),
        "move-end": (start + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "move-site": "saint-martin",
        "move-room": "31.1.12",
        "move-reason": "Travaux",
    }
    assert client.post(url, data).status_code == 400  # access 31 is Conté, not Saint-Martin
    data["move-room"] = "21.2.32"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, data).status_code == 302
    session = Session.objects.get(pk=world.session.pk)
    assert session.site == "saint-martin" and session.room == "21.2.32"
    change = SessionChange.objects.get()
    assert change.kind == "moved" and change.old_room == "31.1.12" and change.by == world.teacher
    assert len(mail.outbox) == 3
    assert "déplacée" in mail.outbox[0].subject


def test_cancelling_a_session_emails_the_students(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world.teacher)
    url = reverse("attendance:staff-session-change", kwargs={"session_id": world.session.pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "cancel", "cancel-reason": "Grève"})
    assert response.status_code == 302
    assert Session.objects.get(pk=world.session.pk).cancelled
    assert len(mail.outbox) == 3 and "annulée" in mail.outbox[0].subject
    assert "Grève" in mail.outbox[0].body
