"""Project-wide consistency: every free-text field carries the one free-text rule (SECURITY.md #32).

Forms get it from ``@check_free_text`` (a text area allows line breaks, nothing else does); the
enrolment models carry it too so that the admin applies it.
"""

import importlib
import pkgutil
from collections.abc import Iterator

import pytest
from django import forms
from django.apps import apps
from django.db import models

from attendance.forms import JustifyForm, SessionCancelForm
from certification.forms import DeliberateForm, ReasonForm
from enrolment.validators import FreeTextValidator
from grading.forms import GridRowForm

PORTAL = ("enrolment", "attendance", "grading", "certification")
# They look an account up and store nothing; the reset page must answer alike (SECURITY.md #18).
LOOKUPS = {"enrolment.forms.SignInForm", "enrolment.forms.PasswordResetRequestForm"}
# Django's password forms: a password is hashed, never shown, and may hold any character.
PASSWORDS = {"enrolment.forms.NewPasswordForm", "enrolment.forms.ChangePasswordForm"}
# Fields with a stricter rule of their own, or never typed by a person.
STRICT_OR_SYSTEM = {
    "enrolment.User.username",  # UnicodeUsernameValidator
    "enrolment.User.password",
    "enrolment.StudentProfile.number",  # [0-9A-Za-z-]+
    "enrolment.ProgrammeYear.year",  # 2024-2025
    "enrolment.Notification.key",  # written by enrolment.notifications, read-only in the admin
    "enrolment.Notification.subject",
    # Written by the services from checked data, read-only in the admin (issue 13).
    "enrolment.AuditEntry.action",  # a dotted name chosen by the code
    "enrolment.AuditEntry.summary",  # built from fields that carry the rule themselves
    "enrolment.RosterImport.filename",  # the upload's name, shown escaped
    "enrolment.RosterImport.sha256",
    "enrolment.RosterImport.error",
    "enrolment.Message.audience",  # the label of the audience the service chose
    "enrolment.MessageRecipient.email",  # copied from the account's checked address
}


def portal_forms() -> Iterator[type[forms.BaseForm]]:
    for app in PORTAL:
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" not in module.name and ".management" not in module.name:
                importlib.import_module(module.name)
    seen: set[type] = set()
    todo = list(forms.BaseForm.__subclasses__())
    while todo:
        form = todo.pop()
        if form in seen:
            continue
        seen.add(form)
        todo += form.__subclasses__()
        if form.__module__.partition(".")[0] in PORTAL:
            yield form


def rule_of(validators: list[object]) -> list[bool]:
    return [v.multiline for v in validators if isinstance(v, FreeTextValidator)]


def test_attack_32_every_text_field_of_every_portal_form_carries_the_rule():
    found, wrong = 0, []
    for form in portal_forms():
        label = f"{form.__module__}.{form.__name__}"
        if label in LOOKUPS | PASSWORDS:
            continue
        for name, field in form.base_fields.items():
            if not isinstance(field, forms.CharField):
                continue
            found += 1
            wanted = [isinstance(field.widget, forms.Textarea)]
            if rule_of(field.validators) != wanted:
                wrong.append(f"{label}.{name}: {rule_of(field.validators)} instead of {wanted}")
    assert found > 20  # the walk did see the forms
    assert wrong == []


def test_attack_32_every_free_text_field_of_the_enrolment_models_carries_the_rule():
    wrong = []
    for model in apps.get_app_config("enrolment").get_models():
        for field in model._meta.get_fields():
            label = f"{model._meta.label}.{field.name}"
            if (
                not isinstance(field, models.CharField | models.TextField)
                or not field.editable
                or field.choices
                or label in STRICT_OR_SYSTEM
            ):
                continue
            wanted = [isinstance(field, models.TextField)]
            if rule_of(field.validators) != wanted:
                wrong.append(f"{label}: {rule_of(field.validators)} instead of {wanted}")
    assert wrong == []


ONE_LINE = "Ce champ tient sur une seule ligne : retirez le retour à la ligne."


def invisible(code: str) -> str:
    return (
        "Ce champ contient un caractère de contrôle ou de mise en forme invisible "
        f"({code}) : retirez-le."
    )


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        (SessionCancelForm({"reason": "Grève\x07"}), "reason", invisible("U+0007")),
        (
            JustifyForm({"enrolment": "1", "reason": "Malade\u202e"}),
            "reason",
            invisible("U+202E"),
        ),
        (ReasonForm({"reason": "Erreur\nde saisie"}), "reason", ONE_LINE),
        (
            GridRowForm(
                {"enrolment": "1", "version": "0", "status": "plagiarism", "report": "Copie\x1b"}
            ),
            "report",
            invisible("U+001B"),
        ),
        (
            DeliberateForm(
                {"deliberated_at": "2025-07-01T14:00", "members": "Mme A\n\u200fM. B"},
                later=False,
                count=1,
            ),
            "members",
            invisible("U+200F"),
        ),
    ],
    ids=["session cancel", "justify", "certificate reason", "plagiarism report", "jury members"],
)
def test_attack_32_forms_of_every_app_refuse_the_characters(form, field, message):
    assert not form.is_valid()
    assert form.errors[field][0] == message


def test_attack_32_jury_members_are_typed_one_per_line():
    form = DeliberateForm(
        {"deliberated_at": "2025-07-01T14:00", "members": "Mme A\r\nM. B", "confirm": "on"},
        later=False,
        count=1,
    )
    assert form.is_valid(), form.errors
