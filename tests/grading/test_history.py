"""Complete history: N changes through each path → exactly N history rows; append-only."""

from decimal import Decimal

import pytest
from django.urls import reverse

from grading import selectors
from grading.models import Grade, GradeHistory
from grading.services import GradeChange, Source, grade_unlock, grades_apply, grades_lock
from tests.factories import UserFactory
from tests.grading.staff_world import grid_post, make_world

pytestmark = pytest.mark.django_db


def test_grid_changes_write_one_row_each_with_who_old_and_new(client):
    world = make_world(3)
    client.force_login(world.teacher)
    url = reverse("grading:staff-grid", kwargs={"assessment_id": world.assessment.pk})
    e = world.enrolments
    client.post(url, grid_post(world, {e[0].pk: "10", e[1].pk: "11"}))
    assert GradeHistory.objects.count() == 2
    # Second save: one changed, one untouched (same value) → one more row.
    client.post(
        url,
        grid_post(
            world,
            {e[0].pk: "12", e[1].pk: "11,00"},
            versions={e[0].pk: 1, e[1].pk: 1},
            initial_values={e[0].pk: "10,00", e[1].pk: "11,00"},
        ),
    )
    assert GradeHistory.objects.count() == 3
    last = GradeHistory.objects.latest("pk")
    assert (last.old_value, last.new_value, last.by, last.source) == (
        Decimal("10.00"),
        Decimal("12.00"),
        world.teacher,
        Source.GRID,
    )
    page = client.get(
        reverse("grading:staff-grade-history", kwargs={"grade_id": last.grade_id})
    ).content.decode()
    assert "10,00" in page and "12,00" in page
    page = client.get(
        reverse("grading:staff-assessment-history", kwargs={"assessment_id": world.assessment.pk})
    ).content.decode()
    assert page.count("Saisie en grille") == 3


def test_command_publication_lock_and_unlock_each_write_one_row():
    world = make_world(2)
    e = world.enrolments
    for value in ("5", "6", "7"):
        grades_apply(
            changes=[
                GradeChange(
                    assessment_id=world.assessment.pk,
                    enrolment_id=e[0].pk,
                    status="graded",
                    value=Decimal(value),
                )
            ],
            by=None,
            source=Source.COMMAND,
        )
    assert GradeHistory.objects.filter(source=Source.COMMAND).count() == 3
    from grading.services import assessment_publish

    assert assessment_publish(assessment=world.assessment, by=world.teacher) == 1
    grades_lock(enrolments=e, by=None, reason="Jury")
    admin = UserFactory(is_superuser=True, is_staff=True)
    grade = Grade.objects.get()
    grade_unlock(grade=grade, by=admin, reason="Erreur de saisie")
    actions = list(GradeHistory.objects.values_list("action", flat=True))
    assert actions == ["create", "change", "change", "publish", "lock", "unlock"]


def test_admin_changes_go_through_the_service_and_the_history(client):
    world = make_world(1)
    e0 = world.enrolments[0]
    grades_apply(
        changes=[
            GradeChange(
                assessment_id=world.assessment.pk,
                enrolment_id=e0.pk,
                status="graded",
                value=Decimal("8"),
            )
        ],
        by=None,
        source=Source.COMMAND,
    )
    grade = Grade.objects.get()
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    url = reverse("admin:grading_grade_change", args=[grade.pk])
    response = client.post(
        url,
        {
            "status": "graded",
            "value": "9.5",
            "plagiarism_report": "",
            "reason": "Erreur de report",
            "published": "on",
            "opened_version": grade.version,
        },
    )
    assert response.status_code == 302
    grade.refresh_from_db()
    assert grade.value == Decimal("9.50") and not grade.published
    row = GradeHistory.objects.latest("pk")
    assert (row.source, row.by, row.reason, row.old_value) == (
        Source.ADMIN,
        admin,
        "Erreur de report",
        Decimal("8.00"),
    )
    assert GradeHistory.objects.count() == 2


def test_history_cannot_be_edited_or_deleted_in_the_admin_or_the_model(client):
    world = make_world(1)
    grades_apply(
        changes=[
            GradeChange(
                assessment_id=world.assessment.pk,
                enrolment_id=world.enrolments[0].pk,
                status="absent",
            )
        ],
        by=None,
        source=Source.COMMAND,
    )
    row = GradeHistory.objects.get()
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    change = client.post(
        reverse("admin:grading_gradehistory_change", args=[row.pk]), {"reason": "falsifié"}
    )
    assert change.status_code in (302, 403) and GradeHistory.objects.get().reason == ""
    assert (
        client.post(
            reverse("admin:grading_gradehistory_delete", args=[row.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert client.get(reverse("admin:grading_gradehistory_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:grading_grade_delete", args=[row.grade_id]), {"post": "yes"}
        ).status_code
        == 403
    )
    row.reason = "x"
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete()
    assert GradeHistory.objects.count() == 1


@pytest.mark.parametrize(
    ("source", "shown"),
    [(Source.COHORT_IMPORT, "import"), (Source.COMMAND, "système")],
)
def test_history_pages_render_changes_without_an_author(client, source, shown):
    world = make_world(1)
    e0 = world.enrolments[0]
    for value in ("8", "9"):
        grades_apply(
            changes=[
                GradeChange(
                    assessment_id=world.assessment.pk,
                    enrolment_id=e0.pk,
                    status="graded",
                    value=Decimal(value),
                )
            ],
            by=None,
            source=source,
        )
    grade = Grade.objects.get()
    assert list(grade.history.values_list("by", "source")) == [(None, source)] * 2
    client.force_login(world.teacher)
    for url in (
        reverse("grading:staff-grade-history", kwargs={"grade_id": grade.pk}),
        reverse("grading:staff-assessment-history", kwargs={"assessment_id": world.assessment.pk}),
    ):
        response = client.get(url)
        assert response.status_code == 200
        page = response.content.decode()
        assert page.count(f"<td>{shown}</td>") == 2
        assert "8,00" in page and "9,00" in page


def test_history_shows_the_author_by_name_or_the_origin_when_there_is_none():
    world = make_world(1)
    grades_apply(
        changes=[
            GradeChange(
                assessment_id=world.assessment.pk,
                enrolment_id=world.enrolments[0].pk,
                status="absent",
            )
        ],
        by=None,
        source=Source.ADMIN,
    )
    line = selectors.history_lines(list(GradeHistory.objects.all()))[0]
    assert line.author == "Administration"
    line.entry.by = world.teacher
    assert line.author == world.teacher.get_full_name()
