"""The Django admin is a back office: grades typed there follow the same input rule."""

from decimal import Decimal

import pytest
from django.urls import reverse

from grading.models import Grade, GradeHistory
from grading.services import GradeChange, Source, grades_apply
from tests.factories import UserFactory
from tests.grading.staff_world import make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def grade_and_admin(client):
    world = make_world(1)
    grades_apply(
        changes=[
            GradeChange(
                assessment_id=world.assessment.pk,
                enrolment_id=world.enrolments[0].pk,
                status="graded",
                value=Decimal("8"),
            )
        ],
        by=None,
        source=Source.COMMAND,
    )
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return Grade.objects.get()


def _post(client, grade, value, *, version=None):
    return client.post(
        reverse("admin:grading_grade_change", args=[grade.pk]),
        {
            "status": "graded",
            "value": value,
            "plagiarism_report": "",
            "reason": "Correction",
            "opened_version": grade.version if version is None else version,
        },
    )


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("20,5", "entre 0 et 20"),
        ("-1", "entre 0 et 20"),
        ("abc", "deux décimales"),
        ("12.345", "deux décimales"),
        ("1_0", "deux décimales"),
        ("1e1", "deux décimales"),
        ("NaN", "deux décimales"),
        ("Infinity", "deux décimales"),
        ("１２", "deux décimales"),
        ("", "obligatoire"),
    ],
)
def test_admin_refuses_a_bad_grade_with_a_french_message_and_changes_nothing(
    client, grade_and_admin, typed, message
):
    response = _post(client, grade_and_admin, typed)
    assert response.status_code == 200
    assert message in response.content.decode()
    grade = Grade.objects.get()
    assert grade.value == Decimal("8.00") and grade.version == grade_and_admin.version
    assert GradeHistory.objects.count() == 1


def test_admin_accepts_a_french_decimal_comma(client, grade_and_admin):
    assert _post(client, grade_and_admin, "12,5").status_code == 302
    assert Grade.objects.get().value == Decimal("12.50")


def test_admin_refuses_to_overwrite_a_grade_changed_since_the_page_was_opened(
    client, grade_and_admin
):
    opened_at = grade_and_admin.version
    assert _post(client, grade_and_admin, "11", version=opened_at).status_code == 302
    stale = _post(client, grade_and_admin, "15", version=opened_at)
    assert stale.status_code == 200
    assert "modifiée par quelqu" in stale.content.decode()
    assert Grade.objects.get().value == Decimal("11.00")
