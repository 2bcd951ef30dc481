"""Every staff route: anonymous → login, student → 403, teacher of another UE → 404."""

import pytest
from django.urls import reverse

from grading.models import Assessment, Grade
from tests.factories import GradeFactory
from tests.grading.staff_world import make_world

pytestmark = pytest.mark.django_db


def _routes(world, grade):
    a = world.assessment.pk
    return [
        ("certification:staff-ue", {"ue_id": world.ue.pk}),
        ("grading:staff-assessment-create", {"ue_id": world.ue.pk}),
        ("grading:staff-assessment-edit", {"assessment_id": a}),
        ("grading:staff-grid", {"assessment_id": a}),
        ("grading:staff-publish", {"assessment_id": a}),
        ("grading:staff-assessment-history", {"assessment_id": a}),
        ("grading:staff-grade-history", {"grade_id": grade.pk}),
        ("grading:staff-export", {"assessment_id": a, "fmt": "xlsx"}),
        ("grading:staff-export", {"assessment_id": a, "fmt": "csv"}),
        ("grading:staff-import", {"assessment_id": a}),
        ("grading:staff-import-apply", {"assessment_id": a}),
    ]


@pytest.fixture
def world():
    return make_world(1)


@pytest.fixture
def grade(world):
    return GradeFactory(assessment=world.assessment, enrolment=world.enrolments[0], draft=True)


def test_anonymous_is_sent_to_the_login_page(client, world, grade):
    for name, kwargs in [*_routes(world, grade), ("certification:staff-home", {})]:
        response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login")), name


def test_attack_5_a_student_gets_403_everywhere_and_changes_nothing(client, world, grade):
    client.force_login(world.enrolments[0].student.user)
    for name, kwargs in [*_routes(world, grade), ("certification:staff-home", {})]:
        url = reverse(name, kwargs=kwargs)
        assert client.get(url).status_code == 403, name
        assert client.post(url, {"published": "on", "key": "X"}).status_code == 403, name
    grade.refresh_from_db()
    assert not grade.published and grade.version == 1


def test_attack_2_a_teacher_of_another_ue_gets_404_and_changes_nothing(client, world, grade):
    client.force_login(world.other_teacher)
    for name, kwargs in _routes(world, grade):
        url = reverse(name, kwargs=kwargs)
        assert client.get(url).status_code in (404, 405), name
        assert (
            client.post(
                url, {"key": "HACK", "kind": "ct", "weight": "1", "date": "2025-05-01"}
            ).status_code
            == 404
        ), name
    grade.refresh_from_db()
    assert not grade.published and grade.version == 1
    assert not Assessment.objects.filter(key="HACK").exists()


def test_the_teacher_of_the_ue_reaches_every_page(client, world, grade):
    client.force_login(world.teacher)
    for name, kwargs in _routes(world, grade):
        if name in ("grading:staff-publish", "grading:staff-import-apply"):
            continue
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 200, name
    home = client.get(reverse("certification:staff-home")).content.decode()
    assert world.ue.code in home and world.other_ue.code not in home


def test_an_unknown_export_format_is_404(client, world):
    client.force_login(world.teacher)
    url = reverse(
        "grading:staff-export", kwargs={"assessment_id": world.assessment.pk, "fmt": "exe"}
    )
    assert client.get(url).status_code == 404


def test_creating_an_assessment_and_a_makeup_of_the_same_ue(client, world):
    client.force_login(world.teacher)
    url = reverse("grading:staff-assessment-create", kwargs={"ue_id": world.ue.pk})
    response = client.post(
        url,
        {
            "key": "CC1",
            "title": "Dossier",
            "kind": "cc",
            "weight": "0,5",
            "date": "2025-03-01",
            "ue": world.other_ue.pk,
        },
    )
    assert response.status_code == 302
    cc1 = Assessment.objects.get(key="CC1")
    assert cc1.ue == world.ue and str(cc1.weight) == "0.50"
    # A make-up of another kind and weight: clear French errors, nothing created.
    response = client.post(
        url, {"key": "RAT", "kind": "ct", "weight": "2", "date": "2025-06-01", "makeup_of": cc1.pk}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "même type" in body and "même coefficient" in body
    assert not Assessment.objects.filter(key="RAT").exists()
    # Another UE's assessment is not even a choice.
    response = client.post(
        url,
        {
            "key": "RAT",
            "kind": "ct",
            "weight": "1",
            "date": "2025-06-01",
            "makeup_of": world.other_assessment.pk,
        },
    )
    assert not Assessment.objects.filter(key="RAT").exists()
    response = client.post(
        url,
        {"key": "RAT", "kind": "cc", "weight": "0.5", "date": "2025-06-01", "makeup_of": cc1.pk},
    )
    assert response.status_code == 302
    assert Assessment.objects.get(key="RAT").makeup_of == cc1


def test_grade_history_of_another_ue_is_404(client, world):
    foreign = GradeFactory(assessment=world.other_assessment, enrolment=world.outsider)
    client.force_login(world.teacher)
    url = reverse("grading:staff-grade-history", kwargs={"grade_id": foreign.pk})
    assert client.get(url).status_code == 404
    assert Grade.objects.count() == 1
