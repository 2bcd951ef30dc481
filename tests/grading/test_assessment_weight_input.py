"""The coefficient is typed as text: « 0,5 » is one half whatever the browser's language."""

from decimal import Decimal

import pytest
from django.urls import reverse

from grading.models import Assessment
from tests.factories import UserFactory
from tests.grading.staff_world import make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world(1)


def _create(client, world, weight, *, language="fr"):
    client.force_login(world.teacher)
    return client.post(
        reverse("grading:staff-assessment-create", kwargs={"ue_id": world.ue.pk}),
        {"key": "CC1", "title": "Dossier", "kind": "cc", "weight": weight, "date": "2025-03-01"},
        headers={"accept-language": language},
    )


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(("typed", "stored"), [("0,5", "0.50"), ("0.5", "0.50"), ("1,25", "1.25")])
def test_a_coefficient_with_a_comma_or_a_dot_is_stored_as_typed(
    client, world, typed, stored, language
):
    response = _create(client, world, typed, language=language)
    assert response.status_code == 302
    assert Assessment.objects.get(key="CC1").weight == Decimal(stored)


@pytest.mark.parametrize(
    ("typed", "message"),
    [("5,5,5", "Nombre ambigu"), ("abc", "Saisissez un nombre"), ("0", "strictement positif")],
)
def test_a_refused_coefficient_says_why_and_creates_nothing(client, world, typed, message):
    response = _create(client, world, typed)
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert f'value="{typed}"' in body  # what was typed comes back, to be corrected
    assert not Assessment.objects.filter(key="CC1").exists()


@pytest.mark.parametrize(("language", "shown"), [("fr", 'value="0,5"'), ("en", 'value="0.5"')])
def test_the_edit_form_shows_the_coefficient_in_the_page_language(client, world, language, shown):
    world.assessment.weight = Decimal("0.50")
    world.assessment.save()
    client.force_login(world.teacher)
    url = reverse("grading:staff-assessment-edit", kwargs={"assessment_id": world.assessment.pk})
    body = client.get(url, headers={"accept-language": language}).content.decode()
    assert shown in body
    assert 'inputmode="decimal"' in body
    assert 'type="number"' not in body


def test_the_admin_takes_the_same_field(client, world):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    url = reverse("admin:grading_assessment_change", args=[world.assessment.pk])
    body = client.get(url).content.decode()
    assert 'name="weight"' in body
    assert 'inputmode="decimal"' in body
    assert 'type="number"' not in body
