"""The calendar subscription link (SECURITY.md #33): a random secret, shown once, revocable,
and dead after a password change."""

import hashlib
import html
import re
from itertools import takewhile

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from attendance.models import CalendarFeed
from tests.factories import PASSWORD, StudentFactory, UserFactory
from tests.student_data import cohort, enrol, session, signed_in, student

pytestmark = pytest.mark.django_db

# The subscription link is on the configured public address, never on the request's Host.
PUBLIC_BASE_URL = "https://cs.example.org"
FEED_URL = re.compile(r'value="https://cs\.example\.org(/calendrier/([^/"]+)/planning\.ics)"')


@pytest.fixture(autouse=True)
def _public_base_url(settings):
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL


def new_link(client: Client) -> str:
    """Press « Générer un nouveau lien » and read the feed's path from the page it lands on."""
    response = client.post(reverse("attendance:student-planning-feed-rotate"), follow=True)
    assert response.redirect_chain == [
        (reverse("attendance:student-planning") + "#abonnement", 302)
    ]
    match = FEED_URL.search(response.content.decode())
    assert match is not None
    return match.group(1)


def token_of(path: str) -> str:
    return path.split("/")[2]


def shared_prefix(a: str, b: str) -> int:
    return len(list(takewhile(lambda pair: pair[0] == pair[1], zip(a, b, strict=False))))


def feed_uids(path: str) -> set[str]:
    response = Client().get(path)
    assert response.status_code == 200
    return {str(e["UID"]) for e in Calendar.from_ical(response.content).walk("VEVENT")}


def test_new_link_serves_the_students_sessions_without_sign_in():
    c = cohort()
    s = student()
    enrol(s, c)
    mine = session(c.rsv206, days=3, title="Séance du flux")
    path = new_link(signed_in(s))
    response = Client().get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"].startswith("no-store")
    assert b"S\xc3\xa9ance du flux" in response.content
    assert feed_uids(path) == {f"seance-{mine.pk}@portail-cs.cnam.fr"}


def test_attack_33_old_link_is_404_after_a_password_change():
    c = cohort()
    s = student()
    enrol(s, c)
    session(c.rsv206, days=3)
    client = signed_in(s)
    path = new_link(client)
    assert Client().get(path).status_code == 200
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Un-nouveau-mot-2026",
            "new_password2": "Un-nouveau-mot-2026",
        },
    )
    assert response.status_code == 302
    assert Client().get(path).status_code == 404
    page = client.get(reverse("attendance:student-planning")).content.decode()
    assert "ne fonctionne plus depuis le changement de votre mot de passe" in page
    fresh = new_link(client)
    assert Client().get(fresh).status_code == 200
    assert Client().get(path).status_code == 404


def test_attack_33_old_link_is_404_after_a_password_reset():
    c = cohort()
    s = student()
    enrol(s, c)
    path = new_link(signed_in(s))
    s.user.set_password("Reinitialise-2026")  # what the reset form does
    s.user.save()
    assert Client().get(path).status_code == 404


def test_attack_33_old_link_is_404_after_a_new_link():
    c = cohort()
    s = student()
    enrol(s, c)
    session(c.rsv206, days=3)
    client = signed_in(s)
    old = new_link(client)
    new = new_link(client)
    assert token_of(old) != token_of(new)
    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 200
    assert CalendarFeed.objects.filter(user=s.user).count() == 1


def test_attack_33_new_link_from_my_data_page_replaces_the_old_one():
    c = cohort()
    s = student()
    enrol(s, c)
    client = signed_in(s)
    old = new_link(client)
    page = client.get(reverse("enrolment:student-profile")).content.decode()
    rotate = reverse("attendance:student-planning-feed-rotate")
    assert f'action="{rotate}"' in page
    assert "Générer un nouveau lien" in page
    assert Client().get(new_link(client)).status_code == 200
    assert Client().get(old).status_code == 404


def test_attack_33_revoked_link_is_404():
    c = cohort()
    s = student()
    enrol(s, c)
    client = signed_in(s)
    path = new_link(client)
    response = client.post(reverse("attendance:student-planning-feed-revoke"))
    assert response.status_code == 302
    assert Client().get(path).status_code == 404
    assert not CalendarFeed.objects.filter(user=s.user).exists()


def test_attack_33_token_reveals_no_database_id():
    c = cohort()
    # Ids long enough that a random 43-character token cannot hold them by chance.
    first = StudentFactory(user=UserFactory(pk=987654321, username="camille"), pk=876543219)
    second = StudentFactory(user=UserFactory(pk=987654322, username="dominique"), pk=876543218)
    for s in (first, second):
        enrol(s, c)
    tokens = [token_of(new_link(signed_in(s))) for s in (first, second)]
    for s, token in zip((first, second), tokens, strict=True):
        for secret in (str(s.user.pk), str(s.pk), s.number):
            assert secret not in token
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # 256 random bits, no "id:signature"
        # Only the hash is kept: the database cannot give the link back.
        stored = CalendarFeed.objects.get(user=s.user).token_hash
        assert stored == hashlib.sha256(token.encode()).hexdigest()
        assert token not in stored
    assert shared_prefix(*tokens) < 6
    assert shared_prefix(tokens[0][::-1], tokens[1][::-1]) < 6


def test_attack_33_old_style_signed_links_are_404():
    c = cohort()
    s = student()
    enrol(s, c)
    new_link(signed_in(s))
    signer = signing.Signer(salt="attendance.planning-feed")  # the links handed out before
    for token in (signer.sign(str(s.pk)), str(s.pk), s.number, "x" * 43, "a" * 500):
        response = Client().get(reverse("attendance:student-planning-feed", args=[token]))
        assert response.status_code == 404


def test_attack_33_another_students_token_never_gives_this_students_sessions():
    mine, theirs = cohort("2024-2025"), cohort("2025-2026")
    s = student()
    other = student(username="dominique")
    enrol(s, mine)
    enrol(other, theirs)
    my_session = session(mine.rsv206, days=3)
    their_session = session(theirs.rsv206, days=4)
    my_path = new_link(signed_in(s))
    their_path = new_link(signed_in(other))
    assert feed_uids(my_path) == {f"seance-{my_session.pk}@portail-cs.cnam.fr"}
    assert feed_uids(their_path) == {f"seance-{their_session.pk}@portail-cs.cnam.fr"}
    # Another student's token with this student's id swapped in is no key either.
    forged = f"{s.pk}:{token_of(their_path)}"
    assert (
        Client().get(reverse("attendance:student-planning-feed", args=[forged])).status_code == 404
    )


def test_attack_33_link_of_a_disabled_account_is_404():
    c = cohort()
    s = student()
    enrol(s, c)
    path = new_link(signed_in(s))
    s.user.is_active = False
    s.user.save()
    assert Client().get(path).status_code == 404


def test_attack_33_link_is_shown_once():
    c = cohort()
    s = student()
    enrol(s, c)
    client = signed_in(s)
    planning_url = reverse("attendance:student-planning")
    before = html.unescape(client.get(planning_url).content.decode())
    assert FEED_URL.search(before) is None
    assert "pas encore de lien d'abonnement" in before
    path = new_link(client)
    again = html.unescape(client.get(planning_url).content.decode())
    assert token_of(path) not in again
    assert FEED_URL.search(again) is None
    assert "Un lien d'abonnement existe depuis le" in again
    assert "Générer un nouveau lien" in again
    assert Client().get(path).status_code == 200  # hidden, not revoked


def test_attack_33_rotation_needs_post_csrf_and_a_signed_in_student():
    c = cohort()
    s = student()
    enrol(s, c)
    rotate = reverse("attendance:student-planning-feed-rotate")
    revoke = reverse("attendance:student-planning-feed-revoke")
    client = signed_in(s)
    assert client.get(rotate).status_code == 405
    assert client.get(revoke).status_code == 405
    assert not CalendarFeed.objects.exists()

    anonymous = Client().post(rotate)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))
    staff = Client()
    staff.force_login(UserFactory(username="enseignant", is_staff=True))
    assert staff.post(rotate).status_code == 403
    assert not CalendarFeed.objects.exists()

    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(s.user)
    assert guarded.post(rotate).status_code == 403  # a cross-site form has no token
    assert not CalendarFeed.objects.exists()
    guarded.get(reverse("attendance:student-planning"))
    token = guarded.cookies["csrftoken"].value
    assert guarded.post(rotate, {"csrfmiddlewaretoken": token}).status_code == 302
    assert CalendarFeed.objects.filter(user=s.user).count() == 1
