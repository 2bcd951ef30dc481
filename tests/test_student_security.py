"""Student pages: who may open them, scoping to one's own records, and constant queries."""

import datetime as dt
import logging
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import AssessmentFactory, RegistrarFactory, StaffFactory
from tests.student_data import absent, cohort, enrol, grade, session, signed_in, student

pytestmark = pytest.mark.django_db

STUDENT_PAGES = [
    "certification:student-dashboard",
    "enrolment:student-enrolment",
    "enrolment:student-profile",
    "attendance:student-planning",
    "attendance:student-planning-ics",
    "attendance:student-attendance",
    "grading:student-grades",
    "certification:student-certification",
    "certification:student-documents",
]


@pytest.mark.parametrize("name", STUDENT_PAGES)
def test_anonymous_is_sent_to_the_login_page(name):
    response = Client().get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize("name", STUDENT_PAGES)
@pytest.mark.parametrize("factory", [RegistrarFactory, StaffFactory])
def test_signed_in_non_students_get_403(name, factory):
    client = Client()
    client.force_login(factory())
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", STUDENT_PAGES)
def test_attack_1_another_students_enrolment_id_is_404_and_logged(name, caplog):
    c = cohort()
    me, other = student(), student(username="autre")
    enrol(me, c)
    theirs = enrol(other, c)
    client = signed_in(me)
    with caplog.at_level(logging.WARNING, logger="cnam_cs.security"):
        response = client.get(reverse(name), {"inscription": theirs.pk})
    assert response.status_code == 404
    assert b"MARTIN" not in response.content
    [record] = [r for r in caplog.records if r.name == "cnam_cs.security"]
    assert f"student {me.user.pk} refused inscription={theirs.pk}" in record.getMessage()


@pytest.mark.parametrize("value", ["abc", "-1", "1 OR 1=1", "999999"])
def test_malformed_enrolment_ids_are_404(value):
    c = cohort()
    s = student()
    enrol(s, c)
    assert (
        signed_in(s).get(reverse("grading:student-grades"), {"inscription": value}).status_code
        == 404
    )


def test_attack_24_log_line_stays_single_when_the_query_string_carries_newlines(caplog):
    s = student()
    with caplog.at_level(logging.WARNING, logger="cnam_cs.security"):
        signed_in(s).get(reverse("grading:student-grades"), {"inscription": "1\nFAKE ENTRY"})
    [record] = [r for r in caplog.records if r.name == "cnam_cs.security"]
    assert "\n" not in record.getMessage()


@pytest.mark.parametrize("name", STUDENT_PAGES)
def test_attack_23_student_pages_are_not_cached(name):
    c = cohort()
    s = student()
    enrol(s, c)
    response = signed_in(s).get(reverse(name))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_attack_8_names_are_escaped_everywhere():
    c = cohort()
    s = student(first_name='"><img src=x onerror=alert(1)>', last_name="<script>x</script>")
    enrol(s, c)
    client = signed_in(s)
    for name in STUDENT_PAGES[:3]:
        html = client.get(reverse(name)).content.decode()
        assert "<script>x" not in html
        assert "<img src=x" not in html


def test_attack_21_profile_post_needs_a_csrf_token():
    s = student()
    client = Client(enforce_csrf_checks=True)
    client.force_login(s.user)
    response = client.post(reverse("enrolment:student-profile"), {"email": "x@example.org"})
    assert response.status_code == 403


def build(n: int, year: str):
    """A cohort of n students; the first has n sessions (one absence) and n published grades."""
    c = cohort(year)
    students = [student(username=f"eleve{year}-{i}") for i in range(n)]
    enrolments = [enrol(s, c, fees="100") for s in students]
    me = enrolments[0]
    for i in range(n):
        held = session(c.rsv206 if i % 2 else c.rsv207, days=-40 + i, hours=2)
        session(c.rsv206, days=1 + i)
        a = AssessmentFactory(ue=c.rsv206 if i % 2 else c.rsv207, date=dt.date(2025, 5, 1))
        for e in enrolments[:2]:
            grade(a, e, value=Decimal("11"))
        if i == 0:
            absent(held, me)
    return students[0]


def count_queries(s, name) -> int:
    client = signed_in(s)
    client.get(reverse(name))  # warm sessions, content types
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse(name)).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", STUDENT_PAGES)
def test_query_count_does_not_grow_with_sessions_grades_or_students(name, settings):
    small = count_queries(build(2, "2023-2024"), name)
    large = count_queries(build(30, "2024-2025"), name)
    assert large == small, (small, large)
    assert small <= 30
