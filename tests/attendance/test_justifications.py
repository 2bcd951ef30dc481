"""A student sends the justification of an absence; the UE's teacher or the registrar accepts
it (the absence becomes justified) or refuses it with a reason; the student is e-mailed.
The teacher also justifies from the roll row, the student being named by the row."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from attendance import services
from attendance.forms import JustificationRequestForm
from attendance.models import Attendance, JustificationRequest
from enrolment.freeze import SESSIONS_FROZEN, refusal
from enrolment.models import ProgrammeYear
from lib.links import absolute_url
from tests.factories import AttendanceFactory, RegistrarFactory, SessionFactory
from tests.grading.staff_world import make_world

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%justificatif\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64
FROZEN = refusal(SESSIONS_FROZEN)


@pytest.fixture
def world():
    w = make_world(3)
    w.session = SessionFactory(ue=w.ue, key="S1")
    w.absence = AttendanceFactory(session=w.session, enrolment=w.enrolments[0])
    w.other_absence = AttendanceFactory(session=w.session, enrolment=w.enrolments[1])
    return w


def stored_files() -> list[Path]:
    return [p for p in Path(settings.PRIVATE_STORAGE_ROOT).rglob("*") if p.is_file()]


def words(response) -> str:
    """The page's text with its spaces and line breaks folded."""
    return " ".join(response.content.decode().split())


def send(client, attendance, content=PDF, name="certificat.pdf", comment=""):
    client.force_login(attendance.enrolment.student.user)
    return client.post(
        reverse("attendance:student-justify", args=[attendance.pk]),
        {"document": SimpleUploadedFile(name, content), "comment": comment},
    )


def pending_request(attendance, content=PDF) -> JustificationRequest:
    return services.justification_request_submit(
        attendance=attendance,
        document=SimpleUploadedFile("justificatif.pdf", content),
        comment="Arrêt maladie",
    )


def decide(client, item, decision, reason="", **extra):
    return client.post(
        reverse("attendance:justification-review", args=[item.pk]),
        {"decision-decision": decision, "decision-reason": reason, **extra},
    )


# ---- The student sends a justification -------------------------------------------------------


def test_a_pdf_sent_by_the_student_waits_for_the_teacher_who_sees_it(client, world):
    page = send(client, world.absence, comment="Arrêt maladie")
    assert page.status_code == 302
    item = JustificationRequest.objects.get()
    assert item.status == "pending" and item.comment == "Arrêt maladie"
    assert item.document.name.endswith(".pdf") and "certificat" not in item.document.name
    assert item.document.read() == PDF
    assert not Attendance.objects.get(pk=world.absence.pk).justified
    student_page = words(client.get(reverse("attendance:student-attendance")))
    assert "Justification : <strong>en attente</strong>" in student_page

    client.force_login(world.teacher)
    review = reverse("attendance:justification-review", args=[item.pk])
    sessions = client.get(reverse("attendance:staff-sessions")).content.decode()
    assert "Justificatifs à examiner (1)" in sessions and f'href="{review}"' in sessions
    roll = client.get(reverse("attendance:staff-roll", args=[world.session.pk])).content.decode()
    assert "justificatif de l'élève à examiner" in roll
    assert f'action="{review}"' in roll  # the « Accepter » of the row
    file_url = reverse("attendance:justification-request-document", args=[item.pk])
    response = client.get(file_url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"


def test_an_exe_renamed_pdf_is_refused_with_a_message_and_nothing_is_stored(client, world):
    response = send(client, world.absence, content=EXE, name="certificat.pdf")
    assert response.status_code == 400
    assert "Le justificatif doit être un PDF, une image PNG ou JPEG." in response.content.decode()
    assert not JustificationRequest.objects.exists()
    assert stored_files() == []


def test_a_file_past_the_limit_is_refused_with_a_message_and_nothing_is_stored(
    client, world, settings
):
    settings.JUSTIFICATION_MAX_BYTES = 20_000
    response = send(client, world.absence, content=PDF + b"x" * 25_000)
    assert response.status_code == 413
    assert "Fichier trop volumineux : 19,5 Kio au plus." in response.content.decode()
    assert not JustificationRequest.objects.exists()
    assert stored_files() == []
    # The form says the same when a body gets past the gate (a limit changed meanwhile).
    form = JustificationRequestForm(
        {}, {"document": SimpleUploadedFile("a.pdf", PDF + b"x" * 25_000)}
    )
    assert not form.is_valid()
    assert form.errors["document"] == ["Justificatif trop volumineux : 19,5 Kio au plus."]


def test_a_png_is_accepted_and_no_second_request_while_one_waits(client, world):
    assert send(client, world.absence, content=PNG, name="photo.PNG").status_code == 302
    assert JustificationRequest.objects.get().document.name.endswith(".png")
    again = send(client, world.absence)
    assert again.status_code == 400
    assert JustificationRequest.objects.count() == 1


def test_a_student_cannot_reach_another_students_absence_or_file(client, world):
    item = pending_request(world.absence)
    file_url = reverse("attendance:justification-request-document", args=[item.pk])
    client.force_login(world.enrolments[1].student.user)
    assert client.get(file_url).status_code == 404
    justify = reverse("attendance:student-justify", args=[world.absence.pk])
    assert client.get(justify).status_code == 404
    post = client.post(justify, {"document": SimpleUploadedFile("a.pdf", PDF)})
    assert post.status_code == 404
    assert JustificationRequest.objects.count() == 1
    client.force_login(world.enrolments[0].student.user)
    assert client.get(file_url).status_code == 200


# ---- The teacher or the registrar decides ----------------------------------------------------


def test_a_teacher_of_another_ue_gets_404_and_changes_nothing(client, world):
    item = pending_request(world.absence)
    client.force_login(world.other_teacher)
    assert client.get(reverse("attendance:justification-review", args=[item.pk])).status_code == 404
    assert decide(client, item, "accept").status_code == 404
    file_url = reverse("attendance:justification-request-document", args=[item.pk])
    assert client.get(file_url).status_code == 404
    sessions = client.get(reverse("attendance:staff-sessions")).content.decode()
    assert "Justificatifs à examiner" not in sessions
    assert JustificationRequest.objects.get().status == "pending"
    assert not Attendance.objects.get(pk=world.absence.pk).justified


def test_a_student_cannot_decide(client, world):
    item = pending_request(world.absence)
    client.force_login(world.enrolments[0].student.user)
    assert decide(client, item, "accept").status_code == 403
    assert JustificationRequest.objects.get().status == "pending"


def test_accepting_justifies_the_absence_and_emails_the_student_a_link(
    client, world, django_capture_on_commit_callbacks
):
    item = pending_request(world.absence)
    client.force_login(world.teacher)
    roll = reverse("attendance:staff-roll", args=[world.session.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = decide(client, item, "accept", next=roll)
    assert response.status_code == 302 and response["Location"] == roll
    attendance = Attendance.objects.get(pk=world.absence.pk)
    assert attendance.justified and attendance.presence == "absent"
    assert attendance.justification_reason == "Arrêt maladie"
    assert attendance.recorded_by == world.teacher
    assert attendance.justification_document.read() == PDF
    item.refresh_from_db()
    assert (item.status, item.decided_by) == ("accepted", world.teacher)
    assert item.decided_at is not None
    [email] = mail.outbox
    assert email.to == [world.enrolments[0].student.user.email]
    assert "accepté" in email.subject
    assert absolute_url(reverse("attendance:student-attendance")) in email.body
    client.force_login(world.enrolments[0].student.user)
    page = words(client.get(reverse("attendance:student-attendance")))
    assert "Justification : <strong>acceptée</strong>" in page


def test_refusing_without_a_reason_is_a_form_error(client, world):
    item = pending_request(world.absence)
    client.force_login(world.teacher)
    response = decide(client, item, "refuse", reason="  ")
    assert response.status_code == 400
    assert "Indiquez le motif du refus : l&#x27;élève le recevra." in response.content.decode()
    assert JustificationRequest.objects.get().status == "pending"
    assert mail.outbox == []


def test_refusing_with_a_reason_emails_it_and_the_student_may_send_another(
    client, world, django_capture_on_commit_callbacks
):
    item = pending_request(world.absence)
    client.force_login(world.teacher)
    with django_capture_on_commit_callbacks(execute=True):
        response = decide(client, item, "refuse", reason="Document illisible")
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.refusal_reason) == ("refused", "Document illisible")
    assert not Attendance.objects.get(pk=world.absence.pk).justified
    [email] = mail.outbox
    assert "refusé" in email.subject
    assert "Motif : Document illisible" in email.body
    assert absolute_url(reverse("attendance:student-attendance")) in email.body

    client.force_login(world.enrolments[0].student.user)
    page = words(client.get(reverse("attendance:student-attendance")))
    assert "Justification : <strong>refusée</strong> : Document illisible" in page
    assert reverse("attendance:student-justify", args=[world.absence.pk]) in page
    assert send(client, world.absence).status_code == 302
    assert list(JustificationRequest.objects.order_by("pk").values_list("status", flat=True)) == [
        "refused",
        "pending",
    ]


def test_a_request_is_decided_once(world):
    item = pending_request(world.absence)
    services.justification_request_decide(request=item, accept=True, by=world.teacher)
    with pytest.raises(services.ValidationError) as info:
        services.justification_request_decide(
            request=item, accept=False, reason="x", by=world.teacher
        )
    assert info.value.messages == ["Cette demande a déjà été traitée."]


def test_the_registrar_lists_and_decides_every_ue(client, world):
    item = pending_request(world.absence)
    client.force_login(RegistrarFactory())
    listing = client.get(reverse("attendance:registrar-justifications")).content.decode()
    assert "Justificatifs à examiner (1)" in listing
    assert world.enrolments[0].student.full_name in listing
    response = decide(client, item, "accept")
    assert response.status_code == 302
    assert response["Location"] == reverse("attendance:registrar-justifications")
    assert Attendance.objects.get(pk=world.absence.pk).justified


def test_a_foreign_next_address_is_ignored(client, world):
    item = pending_request(world.absence)
    client.force_login(world.teacher)
    response = decide(client, item, "refuse", reason="Illisible", next="https://evil.example/")
    assert response["Location"] == reverse("attendance:staff-sessions")


def test_after_the_jury_deciding_or_sending_is_refused_with_the_freeze_message(client, world):
    item = pending_request(world.absence)
    ProgrammeYear.objects.filter(pk=world.ue.programme_year_id).update(frozen_at=timezone.now())
    client.force_login(world.teacher)
    for decision, reason in (("accept", ""), ("refuse", "Illisible")):
        response = decide(client, item, decision, reason)
        assert response.status_code == 400
        assert FROZEN in response.content.decode()
    assert JustificationRequest.objects.get().status == "pending"
    assert not Attendance.objects.get(pk=world.absence.pk).justified
    assert mail.outbox == []
    response = send(client, world.other_absence)
    assert response.status_code == 400 and FROZEN in response.content.decode()
    assert JustificationRequest.objects.count() == 1


# ---- Justified from the roll row -------------------------------------------------------------


def test_the_roll_has_no_student_drop_down_but_a_justify_action_per_absent_row(client, world):
    client.force_login(world.teacher)
    roll = client.get(reverse("attendance:staff-roll", args=[world.session.pk])).content.decode()
    # The student is named by the row's hidden field, never chosen from a list.
    assert roll.count('name="justify-enrolment"') == 2
    assert roll.count('<input type="hidden" name="justify-enrolment"') == 2
    assert "Enregistrer une absence justifiée" not in roll
    assert roll.count('<details class="roll-justify"') == 2  # the two absent rows


def test_the_teacher_justifies_from_the_row_with_a_file_and_no_comment(client, world):
    client.force_login(world.teacher)
    url = reverse("attendance:staff-justify", args=[world.session.pk])
    response = client.post(
        url,
        {
            "justify-enrolment": world.enrolments[1].pk,
            "justify-document": SimpleUploadedFile("x.jpg", b"\xff\xd8\xff\xe0rest"),
        },
    )
    assert response.status_code == 302
    attendance = Attendance.objects.get(pk=world.other_absence.pk)
    assert attendance.justified and attendance.justification_document.name.endswith(".jpg")


def test_a_row_justified_with_neither_reason_nor_file_says_so_beside_the_row(client, world):
    client.force_login(world.teacher)
    url = reverse("attendance:staff-justify", args=[world.session.pk])
    response = client.post(url, {"justify-enrolment": world.enrolments[1].pk})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Indiquez un motif ou joignez un justificatif." in html
    assert f'id="justify-{world.enrolments[1].pk}-reason-error"' in html
    assert not Attendance.objects.get(pk=world.other_absence.pk).justified


def test_a_student_outside_the_ue_or_a_missing_row_is_404(client, world):
    client.force_login(world.teacher)
    url = reverse("attendance:staff-justify", args=[world.session.pk])
    for value in (world.outsider.pk, "", "abc"):
        response = client.post(url, {"justify-enrolment": value, "justify-reason": "Arrêt"})
        assert response.status_code == 404
    assert not Attendance.objects.filter(justified=True).exists()
