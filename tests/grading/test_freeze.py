"""RULES.md §7b: once the jury has deliberated, a cohort's assessments can no longer be created,
edited or deleted — by the staff pages, the services or the admin — and nothing is written."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from enrolment.freeze import ASSESSMENTS_FROZEN, FrozenError, refusal
from enrolment.models import ProgrammeYear
from grading import services
from grading.forms import AssessmentForm
from grading.models import Assessment
from tests.factories import UEFactory, UserFactory
from tests.grading.staff_world import make_world

pytestmark = pytest.mark.django_db

MESSAGE = refusal(ASSESSMENTS_FROZEN)


def freeze(programme_year_id: int) -> None:
    ProgrammeYear.objects.filter(pk=programme_year_id).update(frozen_at=timezone.now())


def assessments() -> list[dict[str, object]]:
    return list(Assessment.objects.order_by("pk").values())


@pytest.fixture
def world():
    w = make_world(2)
    freeze(w.ue.programme_year_id)
    return w


def _form_data(**changes: str) -> dict[str, str]:
    return {
        "key": "CC9",
        "title": "",
        "kind": "cc",
        "weight": "1,5",
        "date": "2025-06-01",
    } | changes


# ---- Services ---------------------------------------------------------------------------------


def test_assessment_save_refuses_a_new_assessment_of_a_frozen_cohort(world):
    before = assessments()
    form = AssessmentForm(_form_data(), ue=world.ue)
    assert form.is_valid(), form.errors
    with pytest.raises(FrozenError) as info:
        services.assessment_save(form=form)
    assert info.value.message == MESSAGE
    assert assessments() == before


def test_assessment_save_refuses_an_edit_of_a_frozen_cohort(world):
    before = assessments()
    form = AssessmentForm(
        _form_data(key="CT1", kind="ct", weight="3"), instance=world.assessment, ue=world.ue
    )
    assert form.is_valid(), form.errors
    with pytest.raises(FrozenError):
        services.assessment_save(form=form)
    assert assessments() == before


def test_assessment_delete_and_write_refuse_a_frozen_cohort(world):
    before = assessments()
    with pytest.raises(FrozenError):
        services.assessment_delete(assessment=world.assessment)
    world.assessment.weight = Decimal("4")
    with pytest.raises(FrozenError):
        services.assessment_write(assessment=world.assessment)
    with pytest.raises(FrozenError):
        services.assessment_write(
            assessment=Assessment(
                ue=world.ue, key="NEW", kind="cc", weight=Decimal("1"), date=dt.date(2025, 6, 1)
            )
        )
    assert assessments() == before


def test_an_assessment_cannot_be_moved_into_a_frozen_cohort():
    open_world = make_world(1)
    frozen_ue = UEFactory(programme_year__year="2023-2024", code="RSV201")
    freeze(frozen_ue.programme_year_id)
    before = assessments()
    open_world.assessment.ue = frozen_ue
    with pytest.raises(FrozenError):
        services.assessment_write(assessment=open_world.assessment)
    assert assessments() == before


def test_an_open_cohort_still_takes_creations_edits_and_deletions():
    w = make_world(1)
    other = UEFactory(programme_year__year="2023-2024", code="RSV201")
    freeze(other.programme_year_id)  # another cohort's jury freezes only that cohort
    form = AssessmentForm(_form_data(), ue=w.ue)
    assert form.is_valid(), form.errors
    created = services.assessment_save(form=form)
    assert created.weight == Decimal("1.5")
    services.assessment_delete(assessment=created)
    assert not Assessment.objects.filter(pk=created.pk).exists()


# ---- Staff pages ------------------------------------------------------------------------------


def test_a_teacher_creating_an_assessment_after_the_jury_reads_why_and_nothing_is_saved(
    client, world
):
    client.force_login(world.teacher)
    before = assessments()
    response = client.post(
        reverse("grading:staff-assessment-create", kwargs={"ue_id": world.ue.pk}), _form_data()
    )
    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    assert assessments() == before


def test_a_teacher_editing_an_assessment_after_the_jury_reads_why_and_nothing_is_saved(
    client, world
):
    client.force_login(world.teacher)
    before = assessments()
    response = client.post(
        reverse("grading:staff-assessment-edit", kwargs={"assessment_id": world.assessment.pk}),
        _form_data(key="CT1-bis", kind="ct", weight="2"),
    )
    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    assert assessments() == before


# ---- Admin ------------------------------------------------------------------------------------


@pytest.fixture
def admin_client_(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


def _admin_data(world, **changes: str) -> dict[str, str]:
    return {
        "ue": str(world.ue.pk),
        "key": "CT1",
        "title": "",
        "kind": "ct",
        "weight": "1",
        "date": "2025-05-20",
        "makeup_of": "",
    } | changes


def test_the_admin_shows_a_frozen_assessment_read_only_and_refuses_a_change(admin_client_, world):
    url = reverse("admin:grading_assessment_change", args=[world.assessment.pk])
    page = admin_client_.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert MESSAGE in html
    assert 'name="weight"' not in html and 'name="_save"' not in html
    before = assessments()
    assert admin_client_.post(url, _admin_data(world, weight="5")).status_code == 403
    assert assessments() == before


def test_the_admin_refuses_to_delete_a_frozen_assessment_one_or_in_bulk(admin_client_, world):
    before = assessments()
    delete = reverse("admin:grading_assessment_delete", args=[world.assessment.pk])
    assert admin_client_.get(delete).status_code == 403
    assert admin_client_.post(delete, {"post": "yes"}).status_code == 403
    response = admin_client_.post(
        reverse("admin:grading_assessment_changelist"),
        {"action": "delete_selected", "_selected_action": [world.assessment.pk], "post": "yes"},
    )
    assert response.status_code == 403
    assert assessments() == before


def test_the_admin_refuses_a_new_assessment_of_a_frozen_cohort_with_the_reason(
    admin_client_, world
):
    before = assessments()
    response = admin_client_.post(
        reverse("admin:grading_assessment_add"), _admin_data(world, key="CC9")
    )
    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    assert assessments() == before


def test_the_admin_still_edits_and_deletes_assessments_of_an_open_cohort(admin_client_):
    w = make_world(1)
    url = reverse("admin:grading_assessment_change", args=[w.assessment.pk])
    assert admin_client_.post(url, _admin_data(w, weight="2.5")).status_code == 302
    assert Assessment.objects.get(pk=w.assessment.pk).weight == Decimal("2.5")
    delete = reverse("admin:grading_assessment_delete", args=[w.assessment.pk])
    assert admin_client_.post(delete, {"post": "yes"}).status_code == 302
    assert not Assessment.objects.filter(pk=w.assessment.pk).exists()
