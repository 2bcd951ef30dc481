"""In Chromium, a refused password form shows its error under the field, inside the group of
the « Afficher » button, and keeps the new password typed (issue 10)."""

import re

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD
from tests.student_data import student

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NEW = "Nouveau-secret-2026"
# Case-sensitive: « Nouveau » is not the « nouveau » of the confirmation (labels end with « * »).
OLD_LABEL = re.compile("Ancien mot de passe")
NEW_LABEL = re.compile("Nouveau mot de passe")
CONFIRM_LABEL = re.compile("Confirmation du nouveau mot de passe")


def _check_error_shown(page: Page, field_label: re.Pattern[str], message: str) -> None:
    field = page.get_by_label(field_label)
    error = page.get_by_text(message)
    expect(error).to_be_visible()
    assert error.is_visible()
    # Named by its field (aria-describedby), so a screen reader reads it with the field.
    expect(field).to_have_accessible_description(re.compile(re.escape(message)))
    # Inside the « Afficher » group, under the field: not hidden by Bootstrap's sibling rule.
    group = page.locator(".input-group.has-validation", has=field)
    expect(group.get_by_role("button", name="Afficher")).to_be_visible()
    expect(group.get_by_text(message)).to_be_visible()
    field_box, error_box = field.bounding_box(), error.bounding_box()
    assert error_box["y"] >= field_box["y"] + field_box["height"] - 1


@pytest.mark.parametrize("url_name", ["password_reset_confirm", "enrolment:invitation-confirm"])
@pytest.mark.parametrize("width", [390, 1280])
def test_a_mismatched_new_password_shows_its_error_and_keeps_what_was_typed(
    page, live_server, url_name, width
):
    page.set_default_timeout(5_000)
    page.set_viewport_size({"width": width, "height": 900})
    user = student().user
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    page.goto(live_server.url + reverse(url_name, kwargs={"uidb64": uid, "token": token}))
    page.get_by_label(NEW_LABEL).fill(NEW)
    page.get_by_label(CONFIRM_LABEL).fill(NEW + "x")
    page.get_by_role("button", name="Enregistrer").click()
    _check_error_shown(
        page,
        CONFIRM_LABEL,
        "Les deux mots de passe ne correspondent pas.",
    )
    assert page.get_by_label(NEW_LABEL).input_value() == NEW
    assert page.get_by_label(CONFIRM_LABEL).input_value() == (NEW + "x")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_wrong_old_password_is_shown_and_the_new_ones_are_kept(page, live_server):
    page.set_default_timeout(5_000)
    student()
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Nom d'utilisateur ou adresse e-mail").fill("camille")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r".*/eleve/"))
    page.goto(live_server.url + reverse("password_change"))
    page.get_by_label(OLD_LABEL).fill("pas-le-bon-2025")
    page.get_by_label(NEW_LABEL).fill(NEW)
    page.get_by_label(CONFIRM_LABEL).fill(NEW)
    page.get_by_role("button", name="Enregistrer").click()
    _check_error_shown(page, OLD_LABEL, "Votre ancien mot de passe est incorrect.")
    assert page.get_by_label(OLD_LABEL).input_value() == ""
    assert page.get_by_label(NEW_LABEL).input_value() == NEW
