"""Grid entry by staff: scope, validation, forged fields, publication, lock, averages."""

import json
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.html import escape

from grading.codes import STATUS_OF_CODE
from grading.models import Grade, GradeHistory
from grading.services import GradeChange, Source, grades_apply, grades_lock
from tests.factories import GradeFactory
from tests.grading.staff_world import add_students, grid_post, make_world

pytestmark = pytest.mark.django_db


def _grid_url(assessment):
    return reverse("grading:staff-grid", kwargs={"assessment_id": assessment.pk})


def test_grid_lists_every_enrolled_student_but_not_withdrawn_ones(client):
    world = make_world(3)
    world.enrolments[2].status = "withdrawn"
    world.enrolments[2].save()
    client.force_login(world.teacher)
    response = client.get(_grid_url(world.assessment))
    assert response.status_code == 200
    body = response.content.decode()
    assert world.enrolments[0].student.number in body
    assert world.enrolments[2].student.number not in body
    assert world.outsider.student.number not in body


def test_saving_the_grid_accepts_a_french_comma_and_writes_drafts_with_history(client):
    world = make_world(2)
    client.force_login(world.teacher)
    e0, e1 = world.enrolments
    response = client.post(
        _grid_url(world.assessment),
        grid_post(world, {e0.pk: "12,5"}, statuses={e1.pk: "absent"}) | {"form-1-value": "ABS"},
    )
    assert response.status_code == 302
    g0 = Grade.objects.get(enrolment=e0)
    assert g0.value == Decimal("12.50") and not g0.published
    assert Grade.objects.get(enrolment=e1).status == Grade.Status.ABSENT
    assert GradeHistory.objects.filter(source=Source.GRID).count() == 2


CODES_HINT = (
    "Saisissez une note de 0 à 20 (ex. 12,5) ou un code : ABS (absent), ABJ (absence "
    "justifiée), PLAGIAT."
)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("20,5", "La note doit être comprise entre 0 et 20."),
        ("-1", "La note doit être comprise entre 0 et 20."),
        ("-0", "La note doit être comprise entre 0 et 20."),
        ("12.345", "La note doit être un nombre avec au plus deux décimales (ex. 12,5)."),
        ("abc", CODES_HINT),
        ("1_0", CODES_HINT),
        ("NaN", CODES_HINT),
        ("１２", CODES_HINT),
        ("1e1", CODES_HINT),
        ("=1+1", CODES_HINT),
        ("0x10", CODES_HINT),
    ],
)
def test_attack_7_a_refused_grade_saves_nothing_and_shows_the_error_on_its_row(
    client, typed, message
):
    world = make_world(2)
    client.force_login(world.teacher)
    e0, e1 = world.enrolments
    response = client.post(
        _grid_url(world.assessment), grid_post(world, {e0.pk: "14", e1.pk: typed})
    )
    assert response.status_code == 400
    assert Grade.objects.count() == 0
    assert GradeHistory.objects.count() == 0
    body = response.content.decode()
    assert "table-danger" in body
    assert f'<div class="grid-error" role="alert">{escape(message)}</div>' in body


def test_the_grid_reads_its_codes_from_the_one_list(client):
    world = make_world(1)
    client.force_login(world.teacher)
    body = client.get(_grid_url(world.assessment)).content.decode()
    assert f'data-codes="{escape(json.dumps(STATUS_OF_CODE))}"' in body
    assert "ABS (absent), ABJ (absence justifiée), PLAGIAT (le plagiat demande un rapport)" in body


def test_plagiarism_without_a_report_is_refused(client):
    world = make_world(1)
    client.force_login(world.teacher)
    e0 = world.enrolments[0]
    response = client.post(_grid_url(world.assessment), grid_post(world, {e0.pk: "PLAGIAT"}))
    assert response.status_code == 400
    assert "rapport" in response.content.decode()
    assert not Grade.objects.exists()
    response = client.post(
        _grid_url(world.assessment),
        grid_post(world, {e0.pk: "PLAGIAT"}, reports={e0.pk: "Copie identique à X"}),
    )
    assert response.status_code == 302
    assert Grade.objects.get().plagiarism_report == "Copie identique à X"


def test_attack_3_a_foreign_enrolment_id_in_the_formset_is_refused_and_nothing_changes(client):
    world = make_world(2)
    foreign = GradeFactory(
        assessment=world.other_assessment,
        enrolment=world.outsider,
        value=Decimal("8"),
        published=False,
    )
    client.force_login(world.teacher)
    data = grid_post(world, {world.enrolments[0].pk: "15"})
    data["form-1-enrolment"] = str(world.outsider.pk)
    data["form-1-value"] = "19"
    data["form-1-DELETE"] = "on"
    response = client.post(_grid_url(world.assessment), data)
    assert response.status_code == 400
    assert not Grade.objects.filter(assessment=world.assessment).exists()
    foreign.refresh_from_db()
    assert (foreign.value, foreign.published, foreign.version) == (Decimal("8.00"), False, 1)


def test_attack_4_extra_fields_published_locked_weight_are_ignored(client):
    world = make_world(1)
    client.force_login(world.teacher)
    e0 = world.enrolments[0]
    data = grid_post(world, {e0.pk: "11"}) | {
        "form-0-published": "on",
        "form-0-locked": "on",
        "form-0-weight": "9",
        "published": "on",
        "locked": "on",
        "weight": "9",
        "student": str(world.outsider.student.pk),
        "is_staff": "on",
    }
    assert client.post(_grid_url(world.assessment), data).status_code == 302
    grade = Grade.objects.get()
    assert (grade.value, grade.published, grade.locked) == (Decimal("11.00"), False, False)
    world.assessment.refresh_from_db()
    assert world.assessment.weight == Decimal("1")
    world.teacher.refresh_from_db()
    assert not world.teacher.is_staff
    assert grade.enrolment_id == e0.pk


def test_a_stale_row_is_refused_with_both_values_shown(client):
    world = make_world(1)
    e0 = world.enrolments[0]
    client.force_login(world.teacher)
    # Loaded when the grade did not exist (version 0); someone else writes 9 meanwhile.
    grades_apply(
        changes=[
            GradeChange(
                assessment_id=world.assessment.pk,
                enrolment_id=e0.pk,
                status="graded",
                value=Decimal("9"),
            )
        ],
        by=world.other_teacher,
        source=Source.COMMAND,
    )
    response = client.post(_grid_url(world.assessment), grid_post(world, {e0.pk: "15"}))
    assert response.status_code == 409
    body = response.content.decode()
    assert "9,00" in body and "15,00" in body
    assert Grade.objects.get().value == Decimal("9.00")
    # Saving again is a deliberate choice: the re-shown form carries the current version.
    assert 'name="form-0-version" value="1"' in body


def test_publish_makes_grades_visible_and_emails_each_student_once(
    client, django_capture_on_commit_callbacks
):
    world = make_world(2)
    client.force_login(world.teacher)
    e0, e1 = world.enrolments
    client.post(_grid_url(world.assessment), grid_post(world, {e0.pk: "12", e1.pk: "13"}))
    url = reverse("grading:staff-publish", kwargs={"assessment_id": world.assessment.pk})
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"confirm": "1"}).status_code == 302
    assert set(Grade.objects.values_list("published", flat=True)) == {True}
    assert len(mail.outbox) == 2
    # Nothing left to publish: the page says no e-mail will go, and none goes.
    assert "Aucun e-mail ne sera envoyé." in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"confirm": "1"})
    assert len(mail.outbox) == 2
    assert GradeHistory.objects.filter(action="publish").count() == 2


@pytest.mark.parametrize("method", ["get", "post"])
def test_publish_without_confirmation_shows_the_consequences_and_publishes_nothing(
    client, django_capture_on_commit_callbacks, method
):
    world = make_world(3)
    client.force_login(world.teacher)
    e0, e1, _e2 = world.enrolments
    client.post(_grid_url(world.assessment), grid_post(world, {e0.pk: "12", e1.pk: "13"}))
    url = reverse("grading:staff-publish", kwargs={"assessment_id": world.assessment.pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = getattr(client, method)(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "2 notes en brouillon seront publiées" in body
    assert "2 élèves recevront un e-mail." in body
    assert 'name="confirm" value="1"' in body
    assert not Grade.objects.filter(published=True).exists()
    assert not GradeHistory.objects.filter(action="publish").exists()
    assert mail.outbox == []


def test_publish_with_confirmation_publishes_and_sends_as_many_emails_as_announced(
    client, django_capture_on_commit_callbacks
):
    world = make_world(3)
    client.force_login(world.teacher)
    e0, e1, e2 = world.enrolments
    client.post(_grid_url(world.assessment), grid_post(world, {e0.pk: "12", e1.pk: "13"}))
    url = reverse("grading:staff-publish", kwargs={"assessment_id": world.assessment.pk})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"confirm": "1"})
    # A second draft later: only its student is told, and the page says so beforehand.
    client.post(
        _grid_url(world.assessment),
        grid_post(
            world,
            {e2.pk: "9"},
            versions={e0.pk: 2, e1.pk: 2},
            initial_values={e0.pk: "12,00", e1.pk: "13,00"},
        ),
    )
    assert "1 élève recevra un e-mail." in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"confirm": "1"}, follow=True)
    assert "1 note publiée" in response.content.decode()
    assert Grade.objects.get(enrolment=e2).published
    assert [m.to for m in mail.outbox[2:]] == [[e2.student.user.email]]


def test_a_correction_is_announced_as_left_unpublished(client):
    world = make_world(2)
    e0, e1 = world.enrolments
    GradeFactory(assessment=world.assessment, enrolment=e0, draft=True)
    GradeFactory(assessment=world.assessment, enrolment=e1, draft=True, under_correction=True)
    client.force_login(world.teacher)
    url = reverse("grading:staff-publish", kwargs={"assessment_id": world.assessment.pk})
    body = client.get(url).content.decode()
    assert "1 note en brouillon sera publiée" in body
    assert "1 note en cours de correction n’est pas publiée" in body
    client.post(url, {"confirm": "1"})
    assert not Grade.objects.get(enrolment=e1).published


def test_after_the_jury_the_grid_says_locked_and_refuses_saving(client):
    world = make_world(1)
    e0 = world.enrolments[0]
    grades_apply(
        changes=[
            GradeChange(
                assessment_id=world.assessment.pk,
                enrolment_id=e0.pk,
                status="graded",
                value=Decimal("9"),
            )
        ],
        by=None,
        source=Source.COMMAND,
    )
    grades_lock(enrolments=[e0], by=None, reason="Jury")
    client.force_login(world.teacher)
    page = client.get(_grid_url(world.assessment)).content.decode()
    assert "verrouillées" in page and "disabled" in page
    client.post(
        _grid_url(world.assessment),
        grid_post(world, {e0.pk: "15"}, versions={e0.pk: 2}, initial_values={e0.pk: "9,00"}),
    )
    assert Grade.objects.get().value == Decimal("9.00")


def test_the_grid_shows_the_ue_average_including_drafts(client):
    world = make_world(1)
    e0 = world.enrolments[0]
    GradeFactory(assessment=world.assessment, enrolment=e0, value=Decimal("13.25"), draft=True)
    client.force_login(world.teacher)
    body = client.get(_grid_url(world.assessment)).content.decode()
    assert "13,25" in body


def test_saving_a_300_student_grid_takes_a_constant_number_of_queries(
    client, django_assert_max_num_queries
):
    small = make_world(5)
    client.force_login(small.teacher)
    with django_assert_max_num_queries(40) as small_ctx:
        client.post(
            _grid_url(small.assessment), grid_post(small, {e.pk: "12" for e in small.enrolments})
        )
    assert Grade.objects.filter(assessment=small.assessment).count() == 5
    big = make_world(0, year="2025-2026")
    add_students(big, 300)
    client.force_login(big.teacher)
    with django_assert_max_num_queries(len(small_ctx.captured_queries)):
        response = client.post(
            _grid_url(big.assessment), grid_post(big, {e.pk: "12" for e in big.enrolments})
        )
    assert response.status_code == 302
    assert Grade.objects.filter(assessment=big.assessment).count() == 300
