"""Project-wide consistency: the Django admin (the back office) covers every model."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

APPS = ("enrolment", "attendance", "grading", "certification")


def test_every_model_of_the_portal_is_in_the_admin():
    missing = [
        model._meta.label
        for app in APPS
        for model in apps.get_app_config(app).get_models()
        if model not in admin.site._registry
    ]
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model", [m for app in APPS for m in apps.get_app_config(app).get_models()], ids=str
)
def test_every_admin_list_page_opens_for_a_superuser(admin_client, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert admin_client.get(url).status_code == 200
