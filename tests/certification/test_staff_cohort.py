"""The staff per-UE cohort page (certification:staff-ue): grades beside absence rates."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import AttendanceFactory, GradeFactory, SessionFactory
from tests.grading.staff_world import add_students, make_world

pytestmark = pytest.mark.django_db


def cohort_html(client, world) -> str:
    client.force_login(world.teacher)
    response = client.get(reverse("certification:staff-ue", args=[world.ue.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_cohort_keeps_its_path_under_the_staff_prefix():
    world = make_world(1)
    assert reverse("certification:staff-ue", args=[world.ue.pk]) == f"/enseignant/ue/{world.ue.pk}/"


def test_cohort_shows_grades_averages_absence_rates_and_students_at_risk(client):
    world = make_world(2)
    first, second = world.enrolments
    GradeFactory(assessment=world.assessment, enrolment=first, value=Decimal("8"))
    GradeFactory(assessment=world.assessment, enrolment=second, value=Decimal("14.5"))
    held = SessionFactory(ue=world.ue)
    AttendanceFactory(session=held, enrolment=first)  # the whole (only) session missed
    html = cohort_html(client, world)
    assert "14,50" in html and "8,00" in html
    assert "100,00\xa0%" in html and "0,00\xa0%" in html
    assert "Absences au-delà du seuil de 20\xa0% : défaillant·e." in html
    assert "Moyenne inférieure à 10." in html
    assert world.outsider.student.full_name not in html


def test_cohort_query_count_does_not_grow_with_the_cohort(client, django_assert_max_num_queries):
    world = make_world(2)
    SessionFactory(ue=world.ue)
    client.force_login(world.teacher)
    url = reverse("certification:staff-ue", args=[world.ue.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for e in add_students(world, 40):
        GradeFactory(assessment=world.assessment, enrolment=e, value=Decimal("12"))
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200
