"""Students choose which e-mails they get; the legal ones are sent whatever they chose."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse

from attendance import services as attendance_services
from attendance.models import Attendance
from attendance.notifications import absence_thresholds
from enrolment.models import AuditEntry, User
from enrolment.services import notification_preferences_set
from grading.notifications import grades_published
from tests.factories import (
    AttendanceFactory,
    EnrolmentFactory,
    GradeFactory,
    RegistrarFactory,
    SessionFactory,
)
from tests.grading.staff_world import make_world

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


def ticked(html: str) -> list[str]:
    return re.findall(r'<input type="checkbox" name="(notify_\w+)"[^>]* checked>', html)


def _turn_off(user: User, **off: bool) -> None:
    wanted = {"grades": True, "sessions": True, "absences": True}
    wanted.update({k: not v for k, v in off.items()})
    notification_preferences_set(user=user, **wanted)


# --- the service ----------------------------------------------------------------------------


def test_the_preferences_are_saved_with_a_journal_line():
    user = EnrolmentFactory().student.user
    notification_preferences_set(user=user, grades=False, sessions=True, absences=False)
    user.refresh_from_db()
    assert (user.notify_grades, user.notify_sessions, user.notify_absences) == (False, True, False)
    entry = AuditEntry.objects.get()
    assert entry.action == "account.notifications.set"
    assert entry.by == user
    assert entry.summary.endswith(
        "notes publiées non, séance déplacée ou annulée oui, alerte d'absences non"
    )


def test_saving_the_same_preferences_writes_nothing():
    user = EnrolmentFactory().student.user
    notification_preferences_set(user=user, grades=True, sessions=True, absences=True)
    assert not AuditEntry.objects.exists()


# --- the page -------------------------------------------------------------------------------


def test_the_profile_page_shows_the_choices_and_what_is_always_sent(client):
    user = EnrolmentFactory().student.user
    client.force_login(user)
    html = client.get(reverse("enrolment:student-profile")).content.decode()
    assert 'action="' + reverse("enrolment:student-notifications") + '"' in html
    assert "Notes publiées" in html
    assert "Séance déplacée ou annulée" in html
    assert "Alerte d&#x27;absences" in html
    assert "Toujours envoyés, quels que soient vos choix" in html
    assert ticked(html) == ["notify_grades", "notify_sessions", "notify_absences"]


def test_unticking_a_box_turns_that_e_mail_off(client):
    user = EnrolmentFactory().student.user
    client.force_login(user)
    response = client.post(
        reverse("enrolment:student-notifications"),
        {"notify_grades": "on", "notify_absences": "on"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("enrolment:student-profile") + "#notifications"
    user.refresh_from_db()
    assert (user.notify_grades, user.notify_sessions, user.notify_absences) == (True, False, True)
    html = client.get(reverse("enrolment:student-profile")).content.decode()
    assert ticked(html) == ["notify_grades", "notify_absences"]


def test_a_registrar_or_anonymous_cannot_post_a_students_preferences(client):
    url = reverse("enrolment:student-notifications")
    assert client.post(url, {}).status_code == 302  # to the sign-in page
    client.force_login(RegistrarFactory())
    assert client.post(url, {}).status_code == 403


def test_the_preferences_are_changed_by_post_only(client):
    user = EnrolmentFactory().student.user
    client.force_login(user)
    assert client.get(reverse("enrolment:student-notifications")).status_code == 405


def test_extra_fields_cannot_change_the_account(client):
    user = EnrolmentFactory().student.user
    client.force_login(user)
    client.post(
        reverse("enrolment:student-notifications"),
        {"notify_grades": "on", "is_staff": "on", "email": "x@evil.example"},
    )
    user.refresh_from_db()
    assert user.is_staff is False
    assert user.email != "x@evil.example"


# --- the e-mails honour them ----------------------------------------------------------------


def test_published_grades_skip_a_student_who_turned_them_off(django_capture_on_commit_callbacks):
    world = make_world(2)
    quiet, told = world.enrolments
    _turn_off(quiet.student.user, grades=True)
    for enrolment in world.enrolments:
        GradeFactory(assessment=world.assessment, enrolment=enrolment)
    with django_capture_on_commit_callbacks(execute=True):
        assert grades_published(assessment=world.assessment) == 1
    assert [m.to for m in mail.outbox] == [[told.student.user.email]]


def test_a_moved_session_skips_a_student_who_turned_it_off(django_capture_on_commit_callbacks):
    world = make_world(2)
    quiet, told = world.enrolments
    _turn_off(quiet.student.user, sessions=True)
    session = SessionFactory(ue=world.ue, start=dt.datetime(2026, 11, 20, 9, tzinfo=PARIS))
    with django_capture_on_commit_callbacks(execute=True):
        attendance_services.session_cancel(session=session, reason="Grève", by=world.teacher)
    assert [m.to for m in mail.outbox] == [[told.student.user.email]]


def _absent_once_in_four(world, enrolment) -> None:
    start = dt.datetime(2025, 1, 6, 9, tzinfo=PARIS)
    for day in range(4):  # 25 %: past 3/4 of the threshold, and past the 20 % threshold
        session = SessionFactory(
            ue=world.ue,
            start=start + dt.timedelta(days=day),
            end=start + dt.timedelta(days=day, hours=1),
        )
        presence = Attendance.Presence.ABSENT if day == 0 else Attendance.Presence.PRESENT
        AttendanceFactory(session=session, enrolment=enrolment, presence=presence)


def test_the_absence_warning_can_be_turned_off_but_not_the_defaillance_notice(
    django_capture_on_commit_callbacks,
):
    world = make_world(1)
    enrolment = world.enrolments[0]
    _turn_off(enrolment.student.user, absences=True)
    _absent_once_in_four(world, enrolment)
    with django_capture_on_commit_callbacks(execute=True):
        assert absence_thresholds(enrolments=[enrolment]) == 1
    (notice,) = mail.outbox
    assert "défaillant" in notice.body


def test_every_absence_alert_goes_to_a_student_who_kept_them(django_capture_on_commit_callbacks):
    world = make_world(1)
    enrolment = world.enrolments[0]
    _absent_once_in_four(world, enrolment)
    with django_capture_on_commit_callbacks(execute=True):
        assert absence_thresholds(enrolments=[enrolment]) == 2
