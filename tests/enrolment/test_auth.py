"""Sign-in with the username or the e-mail, throttling, sign-out and password change."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD
from tests.student_data import student

pytestmark = pytest.mark.django_db


def sign_in(client: Client, username: str, password: str = PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_login_page_is_french_and_labels_username_or_email():
    html = Client().get(reverse("login")).content.decode()
    assert "Nom d&#x27;utilisateur ou adresse e-mail" in html
    assert "Mot de passe oublié ?" in html


@pytest.mark.parametrize("identifier", ["camille", "CAMILLE", "camille@lecnam.net"])
def test_sign_in_with_username_or_email(identifier):
    s = student()
    client = Client()
    response = sign_in(client, identifier)
    assert response.status_code == 302
    assert int(client.session[SESSION_KEY]) == s.user.pk


def test_wrong_password_is_refused_in_french():
    student()
    response = sign_in(Client(), "camille", "mauvais-mot-de-passe")
    assert response.status_code == 200
    assert "Saisissez un nom d’utilisateur et un mot de passe valides" in response.content.decode()


def test_session_key_changes_at_sign_in():
    student()
    client = Client()
    preset = client.session  # a session planted before sign-in (fixation)
    preset["planted"] = True
    preset.save()
    before = preset.session_key
    client.cookies["sessionid"] = before
    assert client.session.get("planted") is True
    sign_in(client, "camille")
    after = client.session
    assert after.session_key not in (None, before)
    assert int(after[SESSION_KEY]) > 0


def test_disabled_account_cannot_sign_in_and_loses_its_sessions():
    s = student()
    client = Client()
    sign_in(client, "camille")
    assert client.get(reverse("certification:student-dashboard")).status_code == 200
    s.user.is_active = False
    s.user.save()
    assert client.get(reverse("certification:student-dashboard")).status_code == 302
    response = sign_in(Client(), "camille")
    assert response.status_code == 200
    assert SESSION_KEY not in Client().session


def test_sign_out_is_post_only_and_kills_the_session_cookie():
    student()
    client = Client()
    sign_in(client, "camille")
    cookie = client.cookies["sessionid"].value
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    replay = Client()
    replay.cookies["sessionid"] = cookie
    response = replay.get(reverse("certification:student-dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_five_failures_lock_the_account_with_the_locked_out_page(settings):
    student()
    for _ in range(5):
        sign_in(Client(), "camille", "faux")
    response = sign_in(Client(), "camille")  # even the right password
    assert response.status_code == 429
    assert "Trop de tentatives de connexion" in response.content.decode()


def test_attack_19_rotating_x_forwarded_for_does_not_reset_the_lockout():
    student()
    for n in range(5):
        sign_in(Client(), "camille", "faux", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    response = sign_in(Client(), "camille", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert response.status_code == 429


def test_next_pointing_elsewhere_is_ignored():
    student()
    response = Client().post(
        reverse("login"),
        {"username": "camille", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_password_change_keeps_the_session_and_the_new_password_works():
    student()
    client = Client()
    sign_in(client, "camille")
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Un-nouveau-mot-2026",
            "new_password2": "Un-nouveau-mot-2026",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("certification:student-dashboard")).status_code == 200
    assert sign_in(Client(), "camille", "Un-nouveau-mot-2026").status_code == 302


def test_password_change_page_is_in_french():
    student()
    client = Client()
    sign_in(client, "camille")
    html = client.get(reverse("password_change")).content.decode()
    assert "Changer de mot de passe" in html
    assert "Ancien mot de passe" in html


def test_unknown_host_is_refused():
    response = Client().get(reverse("login"), HTTP_HOST="evil.example")
    assert response.status_code == 400
