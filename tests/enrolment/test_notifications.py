"""Notification e-mails: written in the recipient's language, each with a link to its page.

The English catalogue is completed separately, so the language is checked where it needs no
catalogue: the language active while the templates render, and month names in dates.
"""

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from attendance import services as attendance_services
from attendance.models import Attendance, JustificationRequest
from attendance.notifications import absence_thresholds, justification_decided
from certification import services as certification_services
from enrolment import notifications, password_reset
from enrolment import services as enrolment_services
from enrolment.models import User
from grading.notifications import grades_published
from tests.certification.conftest import make_cohort
from tests.factories import PASSWORD, AttendanceFactory, GradeFactory, SessionFactory
from tests.grading.staff_world import make_world
from tests.student_data import student

pytestmark = pytest.mark.django_db

BASE = "https://cs.example.test:8443"
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(autouse=True)
def public_base_url(settings):
    """A base address unlike the default one, so that a hard-coded address would show."""
    settings.PUBLIC_BASE_URL = BASE


@pytest.fixture
def rendered(monkeypatch):
    """(template, recipient's language, active language) of every e-mail template rendered."""
    seen: list[tuple[str, str | None, str]] = []
    real = notifications.render_to_string

    def spy(template_name, context=None, *args, **kwargs):
        recipient = (context or {}).get("recipient") or (context or {}).get("user")
        language = notifications.recipient_language(recipient) if recipient else None
        seen.append((template_name, language, translation.get_language()))
        return real(template_name, context, *args, **kwargs)

    monkeypatch.setattr(notifications, "render_to_string", spy)
    return seen


def links_in(body: str) -> list[str]:
    return re.findall(r"https?://\S+", body)


def speak(user: User, language: str) -> User:
    user.language = language
    user.save(update_fields=["language"])
    return user


# --- the recipient's language -------------------------------------------------------------


def _move_to_27_november(world, django_capture_on_commit_callbacks) -> None:
    session = SessionFactory(ue=world.ue, start=dt.datetime(2026, 11, 20, 9, tzinfo=PARIS))
    with django_capture_on_commit_callbacks(execute=True):
        attendance_services.session_move(
            session=session,
            start=dt.datetime(2026, 11, 27, 14, tzinfo=PARIS),
            end=dt.datetime(2026, 11, 27, 17, tzinfo=PARIS),
            site=session.site,
            room=session.room,
            reason="",
            by=world.teacher,
        )


def test_each_recipient_gets_dates_in_their_own_language(django_capture_on_commit_callbacks):
    world = make_world(2)
    english, french = (e.student.user for e in world.enrolments)
    speak(english, "en")
    _move_to_27_november(world, django_capture_on_commit_callbacks)
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {english.email, french.email}
    assert "27 November 2026" in by_address[english.email].body
    assert "novembre" not in by_address[english.email].body
    assert "27 novembre 2026" in by_address[french.email].body
    assert "14:00" in by_address[french.email].body


def test_templates_render_in_the_recipient_language_and_the_request_language_comes_back(
    rendered, django_capture_on_commit_callbacks
):
    world = make_world(2)
    speak(world.enrolments[0].student.user, "en")
    with translation.override("fr"):
        _move_to_27_november(world, django_capture_on_commit_callbacks)
        assert translation.get_language() == "fr"
    assert len(rendered) == 4  # subject and body, two students
    assert [wanted for _, wanted, _ in rendered] == [active for _, _, active in rendered]
    assert {active for _, _, active in rendered} == {"en", "fr"}


def test_an_unknown_language_falls_back_to_french():
    user = User(username="x", language="de")
    assert notifications.recipient_language(user) == "fr"


def test_a_second_call_with_the_same_key_sends_nothing(django_capture_on_commit_callbacks):
    s = student()
    with django_capture_on_commit_callbacks(execute=True):
        context = {"number": "CS-1", "student": s, "programme": {}, "year": "", "link": BASE}
        first = notifications.notify_once(
            key="k", recipient=s.user, template="certificate_issued", context=context
        )
        second = notifications.notify_once(
            key="k", recipient=s.user, template="certificate_issued", context=context
        )
    assert (first, second) == (True, False)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Votre certificat CS-1 est délivré"


# --- a link to the page concerned in every e-mail -------------------------------------------


def test_published_grades_link_to_the_grades_page(django_capture_on_commit_callbacks):
    world = make_world(1)
    GradeFactory(assessment=world.assessment, enrolment=world.enrolments[0])
    with django_capture_on_commit_callbacks(execute=True):
        assert grades_published(assessment=world.assessment) == 1
    assert links_in(mail.outbox[0].body) == [BASE + reverse("grading:student-grades")]


def test_a_moved_session_links_to_the_planning(django_capture_on_commit_callbacks):
    world = make_world(1)
    _move_to_27_november(world, django_capture_on_commit_callbacks)
    message = mail.outbox[0]
    assert links_in(message.body) == [BASE + reverse("attendance:student-planning")]
    assert "déplacée" in message.subject


def test_a_cancelled_session_links_to_the_planning(django_capture_on_commit_callbacks):
    world = make_world(1)
    session = SessionFactory(ue=world.ue, start=dt.datetime(2026, 11, 20, 9, tzinfo=PARIS))
    with django_capture_on_commit_callbacks(execute=True):
        attendance_services.session_cancel(session=session, reason="Grève", by=world.teacher)
    message = mail.outbox[0]
    assert links_in(message.body) == [BASE + reverse("attendance:student-planning")]
    assert "annulée" in message.subject
    assert "20 novembre 2026" in message.body
    assert "Motif : Grève" in message.body


def test_absence_alerts_link_to_the_attendance_page(django_capture_on_commit_callbacks):
    world = make_world(1)
    enrolment = world.enrolments[0]
    start = dt.datetime(2025, 1, 6, 9, tzinfo=PARIS)
    for day in range(4):  # one absence out of four sessions: 25 %, past the 20 % threshold
        session = SessionFactory(
            ue=world.ue,
            start=start + dt.timedelta(days=day),
            end=start + dt.timedelta(days=day, hours=1),
        )
        presence = Attendance.Presence.ABSENT if day == 0 else Attendance.Presence.PRESENT
        AttendanceFactory(session=session, enrolment=enrolment, presence=presence)
    with django_capture_on_commit_callbacks(execute=True):
        assert absence_thresholds(enrolments=[enrolment]) == 2  # 3/4 of the threshold, then past it
    link = BASE + reverse("attendance:student-attendance")
    assert [links_in(m.body) for m in mail.outbox] == [[link], [link]]
    assert "25,00\xa0%" in mail.outbox[0].body
    assert "défaillant" in mail.outbox[1].body


def test_an_english_absence_alert_writes_the_rate_the_english_way(
    django_capture_on_commit_callbacks,
):
    world = make_world(1)
    enrolment = world.enrolments[0]
    speak(enrolment.student.user, "en")
    session = SessionFactory(ue=world.ue, start=dt.datetime(2025, 1, 6, 9, tzinfo=PARIS))
    AttendanceFactory(session=session, enrolment=enrolment)
    with django_capture_on_commit_callbacks(execute=True):
        absence_thresholds(enrolments=[enrolment])
    assert "100.00" in mail.outbox[0].body
    assert "100,00" not in mail.outbox[0].body


@pytest.mark.parametrize(
    ("status", "words"),
    [("accepted", "est accepté"), ("refused", "Motif : Illisible")],
)
def test_a_decided_justification_links_to_the_attendance_page(
    status, words, django_capture_on_commit_callbacks
):
    world = make_world(1)
    absence = AttendanceFactory(
        session=SessionFactory(ue=world.ue, start=dt.datetime(2026, 11, 27, 9, tzinfo=PARIS)),
        enrolment=world.enrolments[0],
    )
    request = JustificationRequest.objects.create(
        attendance=absence,
        document="justifications/demandes/x.pdf",
        status=status,
        created_at=dt.datetime(2026, 11, 28, 9, tzinfo=PARIS),
        decided_at=dt.datetime(2026, 11, 29, 9, tzinfo=PARIS),
        refusal_reason="Illisible" if status == "refused" else "",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert justification_decided(request=request)
    body = mail.outbox[0].body
    assert links_in(body) == [BASE + reverse("attendance:student-attendance")]
    assert words in body
    assert "27 novembre 2026" in body


@pytest.mark.usefixtures("certificate_pdf_not_rendered")
def test_an_issued_certificate_links_to_the_documents_and_the_verification_page(
    django_capture_on_commit_callbacks,
):
    enrolment = make_cohort(1, deliberated=True)["enrolments"][0]
    with django_capture_on_commit_callbacks(execute=True):
        certificate = certification_services.certificate_issue(enrolment=enrolment, by=None)
    assert links_in(mail.outbox[-1].body) == [
        BASE + reverse("certification:student-documents"),
        BASE + reverse("certification:verify", kwargs={"code": certificate.verification_code}),
    ]


def test_the_invitation_links_to_the_portal_in_the_new_student_language(
    rendered, django_capture_on_commit_callbacks
):
    s = student()
    speak(s.user, "en")
    with django_capture_on_commit_callbacks(execute=True):
        enrolment_services.invitation_send(user=s.user)
    (link,) = links_in(mail.outbox[0].body)
    assert link.startswith(BASE + "/compte/invitation/")
    assert rendered == [
        ("email/invitation_subject.txt", "en", "en"),
        ("email/invitation.txt", "en", "en"),
    ]


def test_the_french_invitation_says_how_long_the_link_lasts(django_capture_on_commit_callbacks):
    s = student()
    with django_capture_on_commit_callbacks(execute=True):
        enrolment_services.invitation_send(user=s.user)
    assert mail.outbox[0].subject == "Votre accès au portail du Cnam"
    assert "(valable 1 heure, utilisable une seule fois)" in mail.outbox[0].body


def test_the_password_reset_e_mail_is_rendered_in_the_student_language(rendered):
    s = student()
    speak(s.user, "en")
    sent = []
    assert password_reset.reset_request(
        identifier="camille",
        birth_date=dt.date(1990, 4, 2),
        client_address="127.0.0.1",
        policy=password_reset.ResetPolicy(deliver=sent.append),
    )
    assert rendered == [
        ("email/password_reset_subject.txt", "en", "en"),
        ("email/password_reset.txt", "en", "en"),
    ]
    (link,) = links_in(sent[0].body)
    assert link.startswith(BASE + "/compte/reinitialiser/")


# --- choosing a language --------------------------------------------------------------------


def test_choosing_english_in_the_footer_while_signed_in_records_it():
    s = student()
    client = Client()
    client.force_login(s.user)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    s.user.refresh_from_db()
    assert s.user.language == "en"


def test_a_language_the_portal_does_not_offer_changes_nothing():
    s = student()
    client = Client()
    client.force_login(s.user)
    response = client.post(reverse("set_language"), {"language": "de", "next": "/"})
    assert response.status_code == 302
    s.user.refresh_from_db()
    assert s.user.language == ""


def test_an_anonymous_choice_sets_the_cookie_and_records_nothing():
    client = Client()
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert not User.objects.exclude(language="").exists()


def test_signing_in_on_a_new_browser_brings_the_recorded_language():
    s = student()
    speak(s.user, "en")
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    response = client.post(reverse("login"), {"username": "camille", "password": PASSWORD})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = client.get(reverse("certification:student-dashboard")).content.decode()
    assert '<html lang="en">' in html


def test_a_choice_made_before_signing_in_is_recorded_at_sign_in():
    s = student()
    client = Client()
    client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    client.post(reverse("login"), {"username": "camille", "password": PASSWORD})
    s.user.refresh_from_db()
    assert s.user.language == "en"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_a_failed_sign_in_records_no_language():
    s = student()
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(reverse("login"), {"username": "camille", "password": "faux"})
    assert response.status_code == 200
    s.user.refresh_from_db()
    assert s.user.language == ""


def test_someone_who_never_chose_keeps_the_browser_language_after_signing_in():
    s = student()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.post(reverse("login"), {"username": "camille", "password": PASSWORD})
    assert settings.LANGUAGE_COOKIE_NAME not in client.cookies
    html = client.get(reverse("certification:student-dashboard")).content.decode()
    assert '<html lang="en">' in html
    s.user.refresh_from_db()
    assert s.user.language == ""


def test_the_grades_e_mail_of_an_english_student_renders_under_english(
    rendered, django_capture_on_commit_callbacks
):
    world = make_world(1)
    speak(world.enrolments[0].student.user, "en")
    GradeFactory(assessment=world.assessment, enrolment=world.enrolments[0], value=Decimal("12"))
    with django_capture_on_commit_callbacks(execute=True):
        grades_published(assessment=world.assessment)
    assert rendered == [
        ("email/grades_published_subject.txt", "en", "en"),
        ("email/grades_published.txt", "en", "en"),
    ]
