"""New-password, invitation and password-change forms: the error is written next to its field
(and named by it), and the new password comes back typed; the old one never does."""

import re

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.factories import PASSWORD
from tests.student_data import student

pytestmark = pytest.mark.django_db

NEW = "Nouveau-secret-2026"
MISMATCH = "Les deux mots de passe ne correspondent pas."


def _input(html: str, name: str) -> str:
    (tag,) = re.findall(rf'<input[^>]*name="{name}"[^>]*>', html)
    return tag


def _error_next_to(html: str, name: str, message: str) -> None:
    """``message`` is in the error block of field ``name``, which the input names."""
    field_id = f"id_{name}"
    block = re.search(
        rf'<div id="{field_id}_error" class="invalid-feedback">(.*?)</div>', html, re.S
    )
    assert block is not None and message in block.group(1)
    tag = _input(html, name)
    assert 'aria-invalid="true"' in tag
    assert f"{field_id}_error" in re.search(r'aria-describedby="([^"]*)"', tag).group(1)
    # Right after its field, before the next field starts.
    field_block = html.split(f'id="div_{field_id}"')[1].split('id="div_id_')[0]
    assert message in field_block


def _set_password_page(client: Client, url_name: str) -> str:
    user = student().user
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    response = client.get(reverse(url_name, kwargs={"uidb64": uid, "token": token}), follow=True)
    assert 'name="new_password1"' in response.content.decode()
    return response.redirect_chain[-1][0]


@pytest.mark.parametrize("url_name", ["password_reset_confirm", "enrolment:invitation-confirm"])
def test_a_mismatch_is_shown_under_the_confirmation_and_both_new_passwords_come_back(url_name):
    client = Client()
    form_url = _set_password_page(client, url_name)
    response = client.post(form_url, {"new_password1": NEW, "new_password2": NEW + "x"})
    assert response.status_code == 200
    html = response.content.decode()
    _error_next_to(html, "new_password2", MISMATCH)
    assert f'value="{NEW}"' in _input(html, "new_password1")
    assert f'value="{NEW}x"' in _input(html, "new_password2")
    assert 'type="password"' in _input(html, "new_password1")


@pytest.mark.parametrize("url_name", ["password_reset_confirm", "enrolment:invitation-confirm"])
def test_a_too_short_password_says_why_next_to_the_field(url_name):
    client = Client()
    form_url = _set_password_page(client, url_name)
    response = client.post(form_url, {"new_password1": "court", "new_password2": "court"})
    html = response.content.decode()
    _error_next_to(html, "new_password2", "au minimum 10 caractères")
    assert 'value="court"' in _input(html, "new_password2")


def test_a_wrong_old_password_is_said_and_not_sent_back_the_new_ones_are():
    student()
    client = Client()
    client.post(reverse("login"), {"username": "camille", "password": PASSWORD})
    response = client.post(
        reverse("password_change"),
        {"old_password": "pas-le-bon-2025", "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 200
    html = response.content.decode()
    _error_next_to(html, "old_password", "ancien mot de passe est incorrect")
    assert "value=" not in _input(html, "old_password")
    assert "pas-le-bon-2025" not in html
    assert f'value="{NEW}"' in _input(html, "new_password1")
    assert f'value="{NEW}"' in _input(html, "new_password2")


def test_a_mismatch_on_the_change_form_is_shown_under_the_confirmation():
    student()
    client = Client()
    client.post(reverse("login"), {"username": "camille", "password": PASSWORD})
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": "Autre-secret-2026"},
    )
    html = response.content.decode()
    _error_next_to(html, "new_password2", MISMATCH)
    assert PASSWORD not in html


@pytest.mark.parametrize("url_name", ["password_reset_confirm", "enrolment:invitation-confirm"])
def test_the_set_password_pages_load_the_show_button_script(url_name):
    client = Client()
    html = client.get(_set_password_page(client, url_name)).content.decode()
    assert "js/student.js" in html
