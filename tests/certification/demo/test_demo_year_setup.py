"""What ``load_demo`` gives the year's set-up pages (issue 13, docs/demo.md): teachers on the
sessions, make-up exams, an invited teacher with an assignment history, two messages sent, a
student's e-mail choice, and 2025-2026 left for the walkthrough to open. The demo is loaded once
for the package (``demo_database``)."""

from pathlib import Path

import openpyxl
import pytest
from django.conf import settings

from attendance.models import Session
from enrolment.models import (
    AuditEntry,
    Message,
    MessageRecipient,
    ProgrammeYear,
    StaffAssignment,
    StaffAssignmentChange,
    StudentProfile,
    User,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_database")]

BASE_DIR = Path(settings.BASE_DIR)


def test_sessions_have_their_ue_teacher_and_the_june_makeups_are_makeup_exams():
    sessions = Session.objects.filter(ue__programme_year__programme__code="CS2600A")
    teachers = {
        (s.ue.programme_year.year, s.key): [t.username for t in s.teachers.all()]
        for s in sessions.select_related("ue__programme_year").prefetch_related("teachers")
    }
    assert len(teachers) == 36  # 20 in 2024-2025, 16 in 2023-2024
    for session in sessions.select_related("ue__programme_year"):
        key = (session.ue.programme_year.year, session.key)
        assert teachers[key] == [f"enseignant{session.ue.code[-3:]}"], key
    makeups = sessions.filter(makeup=True).values_list("ue__programme_year__year", "key")
    assert set(makeups) == {
        ("2024-2025", "S19"),  # RSV206, 21 June 2025
        ("2024-2025", "S20"),  # RSV207, 28 June 2025
        ("2023-2024", "S15"),
        ("2023-2024", "S16"),
    }
    assert AuditEntry.objects.filter(action="planning.session.edit").count() == 36


def test_an_invited_teacher_not_activated_and_an_assignment_history(demo_database):
    claire = User.objects.get(email="claire.morel@lecnam.net")
    assert (claire.first_name, claire.last_name) == ("Claire", "Morel")
    assert not claire.has_usable_password()
    assert claire.groups.filter(name="Enseignants").exists()
    assert list(
        StaffAssignment.objects.filter(user=claire).values_list(
            "ue__code", "ue__programme_year__year"
        )
    ) == [("RSV207", "2024-2025")]
    history = StaffAssignmentChange.objects.filter(user=claire).order_by("pk")
    assert list(history.values_list("ue__code", "kind", "by__username")) == [
        ("RSV206", "assigned", "scolarite"),
        ("RSV207", "assigned", "scolarite"),
        ("RSV206", "removed", "scolarite"),
    ]
    # The demo teachers' assignments went through the staff service too: history and journal.
    assert (
        StaffAssignmentChange.objects.filter(
            user__username="enseignant206", kind="assigned"
        ).count()
        == 2
    )
    assert "Claire Morel (claire.morel@lecnam.net)" in demo_database


def test_two_messages_sent_to_their_recipients():
    messages = {m.subject: m for m in Message.objects.select_related("author", "ue")}
    assert set(messages) == {"Calendrier des examens de juin", "Séminaire du 7 avril : à préparer"}
    promotion = messages["Calendrier des examens de juin"]
    assert promotion.author.username == "scolarite"
    assert promotion.ue is None
    assert promotion.programme_year.year == "2024-2025"
    seminar = messages["Séminaire du 7 avril : à préparer"]
    assert seminar.author.username == "enseignant206"
    assert seminar.ue.code == "RSV206"
    for message in messages.values():
        assert message.state == Message.State.SENT
        assert message.sent_at is not None
        assert message.recipients.count() == 26
    assert not MessageRecipient.objects.filter(sent_at__isnull=True).exists()


def test_a_student_turned_absence_alerts_off_and_next_year_is_left_to_open(demo_database):
    ines = StudentProfile.objects.select_related("user").get(number="2400110").user
    assert not ines.notify_absences
    assert ines.notify_grades
    assert ines.notify_sessions
    assert User.objects.get(username="eleve").notify_absences
    entry = AuditEntry.objects.get(action="account.notifications.set")
    assert entry.by == ines
    assert not ProgrammeYear.objects.filter(year="2025-2026").exists()
    assert "demo/liste-officielle-2025-2026.xlsx" in demo_database


def test_the_walkthrough_roster_is_the_30_students_sample():
    demo = BASE_DIR / "demo" / "liste-officielle-2025-2026.xlsx"
    sample = BASE_DIR / "tests" / "data" / "liste-officielle-2025-2026.xlsx"
    assert demo.read_bytes() == sample.read_bytes()
    sheet = openpyxl.load_workbook(demo, read_only=True).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 30
    assert len({row[0] for row in rows}) == 30
