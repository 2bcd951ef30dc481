"""Cross-cutting defences of SECURITY.md that no single app owns."""

import re
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

TEMPLATES = Path(settings.BASE_DIR) / "templates"


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy_and_refuse_framing(client):
    response = client.get(reverse("login"))
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/.git/HEAD", "/static/../cnam_cs/settings.py", "/.env"])
def test_attack_25_repository_and_settings_files_are_never_served(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_attack_22_sign_in_never_redirects_to_another_site(client, target):
    user = UserFactory()
    response = client.post(
        reverse("login") + f"?next={target}",
        {"username": user.username, "password": PASSWORD, "next": target},
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


@pytest.mark.django_db
def test_a_nul_byte_in_the_username_is_refused_without_an_error_page(client):
    response = client.post(reverse("login"), {"username": "eleve\x00", "password": "x"})
    assert response.status_code in {200, 400}
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_attack_26_a_forced_server_error_shows_a_plain_page_without_traceback(settings):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory())
    with mock.patch("cnam_cs.views.roles_of", side_effect=RuntimeError("secret detail")):
        response = client.get(reverse("home"))
    assert response.status_code == 500
    body = response.content.decode()
    assert "Une erreur est survenue" in body
    assert "Traceback" not in body and "secret detail" not in body


@pytest.mark.django_db
def test_attack_20_cookie_replay_after_sign_out_is_dead():
    browser = Client()
    browser.force_login(UserFactory())
    stolen = browser.cookies[settings.SESSION_COOKIE_NAME].value
    browser.post(reverse("logout"))
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = stolen
    response = replay.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def _templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


def test_templates_hold_no_inline_script_style_attribute_or_event_handler():
    """The CSP forbids them: they would silently not run, so none may be written."""
    offenders = []
    for path in _templates():
        text = path.read_text()
        if "/pdf/" in str(path):
            continue  # PDF templates are rendered by WeasyPrint, never by a browser
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"\sstyle=\"", r"\son[a-z]+=\""):
            offenders += [f"{path.relative_to(TEMPLATES)}: {m}" for m in re.findall(pattern, text)]
    assert offenders == []
