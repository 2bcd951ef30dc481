"""A make-up concerns only the students entitled to it (RULES.md §7b): a justified absence at
the assessment it replaces. Only they appear on its grid, files and counts; staff writes for
anyone else are refused, while the cohort import keeps ignoring them (INTERCHANGE.md)."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from grading import selectors, spreadsheets
from grading.models import Grade, GradeHistory
from grading.services import (
    GradeChange,
    MakeupNotEntitledError,
    Source,
    grades_apply,
    grid_save,
    import_apply,
)
from tests.factories import AssessmentFactory, GradeFactory
from tests.grading.staff_world import make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """CT1 of RSV201: e0 absent with justification (entitled to CT1-R), e1 graded, e2 absent."""
    w = make_world(3)
    w.makeup = AssessmentFactory(
        ue=w.ue, key="CT1-R", weight=Decimal("1"), date=dt.date(2025, 6, 21), makeup_of=w.assessment
    )
    e0, e1, e2 = w.enrolments
    grades_apply(
        changes=[
            GradeChange(
                assessment_id=w.assessment.pk, enrolment_id=e0.pk, status="absent_justified"
            ),
            GradeChange(
                assessment_id=w.assessment.pk,
                enrolment_id=e1.pk,
                status="graded",
                value=Decimal("12"),
            ),
            GradeChange(assessment_id=w.assessment.pk, enrolment_id=e2.pk, status="absent"),
        ],
        by=None,
        source=Source.COMMAND,
    )
    return w


def number(enrolment):
    return enrolment.student.number


def change(world, enrolment, value="14", version=0):
    return GradeChange(
        assessment_id=world.makeup.pk,
        enrolment_id=enrolment.pk,
        status="graded",
        value=Decimal(value),
        expected_version=version,
    )


def grid_url(assessment):
    return reverse("grading:staff-grid", kwargs={"assessment_id": assessment.pk})


def test_makeup_concerns_only_the_students_absent_with_justification_at_the_original(world):
    e0, e1, e2 = world.enrolments
    assert list(selectors.assessment_enrolments(world.makeup)) == [e0]
    assert list(selectors.assessment_enrolments(world.assessment)) == [e0, e1, e2]


def test_makeup_grid_lists_the_entitled_student_and_no_other(client, world):
    e0, e1, e2 = world.enrolments
    client.force_login(world.teacher)
    page = client.get(grid_url(world.makeup)).content.decode()
    assert number(e0) in page
    assert number(e1) not in page and number(e2) not in page
    original = client.get(grid_url(world.assessment)).content.decode()
    assert all(number(e) in original for e in world.enrolments)


def test_makeup_grid_of_nobody_entitled_is_empty(client, world):
    Grade.objects.filter(assessment=world.assessment).update(status="absent", value=None)
    assert selectors.assessment_grid(world.makeup).rows == []


def test_makeup_exports_hold_only_the_entitled_student(client, world):
    e0 = world.enrolments[0]
    client.force_login(world.teacher)

    def export(fmt):
        url = reverse("grading:staff-export", kwargs={"assessment_id": world.makeup.pk, "fmt": fmt})
        return client.get(url).content

    rows = list(csv.reader(io.StringIO(export("csv").decode("utf-8-sig")), delimiter=";"))
    assert [r[0] for r in rows[1:]] == [number(e0)]
    sheet = openpyxl.load_workbook(io.BytesIO(export("xlsx"))).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [number(e0)]


def test_makeup_import_preview_refuses_a_student_who_is_not_entitled(client, world):
    e0, e1, _ = world.enrolments
    client.force_login(world.teacher)
    token = spreadsheets.assessment_token(world.makeup)
    data = (
        "Numéro;Nom;Prénom;Note;Rapport;Évaluation;Version\n"
        f"{number(e0)};X;Y;14;;{token};0\n"
        f"{number(e1)};X;Y;15;;{token};0\n"
    ).encode()
    url = reverse("grading:staff-import", kwargs={"assessment_id": world.makeup.pk})
    body = client.post(url, {"file": SimpleUploadedFile("n.csv", data)}).content.decode()
    assert "pas d&#x27;absence justifiée à CT1" in body
    assert "concerné·e par ce rattrapage" in body
    apply_url = reverse("grading:staff-import-apply", kwargs={"assessment_id": world.makeup.pk})
    client.post(apply_url)
    assert not Grade.objects.filter(assessment=world.makeup).exists()


def test_grid_save_refuses_a_makeup_entry_for_a_student_not_entitled_and_writes_nothing(world):
    e0, e1, e2 = world.enrolments
    history = GradeHistory.objects.count()
    with pytest.raises(MakeupNotEntitledError) as refused:
        grid_save(
            assessment=world.makeup,
            rows=[change(world, e0), change(world, e1), change(world, e2)],
            by=world.teacher,
        )
    assert refused.value.enrolment_ids == sorted([e1.pk, e2.pk])
    assert number(e1) in refused.value.message and number(e2) in refused.value.message
    assert number(e0) not in refused.value.message
    assert "Rien n'a été enregistré" in refused.value.message
    assert not Grade.objects.filter(assessment=world.makeup).exists()
    assert GradeHistory.objects.count() == history


def test_grid_save_records_the_makeup_of_the_entitled_student(world):
    e0 = world.enrolments[0]
    report = grid_save(assessment=world.makeup, rows=[change(world, e0)], by=world.teacher)
    assert report.created == 1
    assert Grade.objects.get(assessment=world.makeup).enrolment == e0


def test_grid_save_of_an_original_assessment_is_not_restricted(world):
    e1 = world.enrolments[1]
    row = GradeChange(
        assessment_id=world.assessment.pk,
        enrolment_id=e1.pk,
        status="graded",
        value=Decimal("13"),
        expected_version=1,
    )
    assert grid_save(assessment=world.assessment, rows=[row], by=world.teacher).changed == 1


def test_import_apply_refuses_a_makeup_entry_for_a_student_not_entitled_and_writes_nothing(world):
    e0, _, e2 = world.enrolments
    payload = {
        "assessment": world.makeup.pk,
        "changes": [[e0.pk, "graded", "14", "", 0], [e2.pk, "graded", "9", "", 0]],
    }
    history = GradeHistory.objects.count()
    with pytest.raises(MakeupNotEntitledError) as refused:
        import_apply(assessment=world.makeup, payload=payload, by=world.teacher, filename="n.csv")
    assert refused.value.enrolment_ids == [e2.pk]
    assert not Grade.objects.filter(assessment=world.makeup).exists()
    assert GradeHistory.objects.count() == history


def test_import_apply_view_says_why_when_the_entitlement_changed_since_the_preview(client, world):
    e0 = world.enrolments[0]
    client.force_login(world.teacher)
    session = client.session
    session[f"grading-import-{world.makeup.pk}"] = {
        "assessment": world.makeup.pk,
        "changes": [[e0.pk, "graded", "14", "", 0]],
        "filename": "n.csv",
    }
    session.save()
    # The original entry was corrected after the preview: e0 is no longer entitled.
    Grade.objects.filter(assessment=world.assessment, enrolment=e0).update(status="absent")
    url = reverse("grading:staff-import-apply", kwargs={"assessment_id": world.makeup.pk})
    response = client.post(url, follow=True)
    assert "ne concerne que les élèves" in response.content.decode()
    assert not Grade.objects.filter(assessment=world.makeup).exists()


def test_grid_post_for_a_student_not_entitled_writes_nothing(client, world):
    e1 = world.enrolments[1]
    client.force_login(world.teacher)
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "2000",
        "form-0-enrolment": str(e1.pk),
        "form-0-version": "0",
        "form-0-status": "graded",
        "initial-form-0-status": "graded",
        "form-0-value": "15",
        "initial-form-0-value": "",
        "form-0-report": "",
        "initial-form-0-report": "",
    }
    response = client.post(grid_url(world.makeup), data)
    assert response.status_code == 400
    assert not Grade.objects.filter(assessment=world.makeup).exists()


def test_cohort_import_path_still_takes_a_makeup_entry_it_will_ignore(world):
    # INTERCHANGE.md: such an entry is ignored by the rules, not refused by grades_apply.
    e1 = world.enrolments[1]
    grades_apply(changes=[change(world, e1, version=None)], by=None, source=Source.COHORT_IMPORT)
    assert Grade.objects.filter(assessment=world.makeup, enrolment=e1).exists()


def test_makeup_counts_on_the_grid_and_the_histogram_are_of_entitled_students(client, world):
    e0, e1, _ = world.enrolments
    GradeFactory(assessment=world.makeup, enrolment=e0, value=Decimal("14"), draft=True)
    # A stray entry (left by a cohort import, or the original corrected since) is not counted.
    stray = GradeFactory(assessment=world.makeup, enrolment=e1, value=Decimal("3"), draft=True)
    grid = selectors.assessment_grid(world.makeup)
    assert (grid.drafts, grid.published, len(grid.rows)) == (1, 0, 1)
    client.force_login(world.teacher)
    page = client.get(grid_url(world.makeup)).content.decode()
    assert "1 note en brouillon" in page
    histogram = selectors.histogram(
        world.makeup, list(Grade.objects.filter(assessment=world.makeup))
    )
    assert (histogram.graded, histogram.not_graded) == (1, 0)
    assert [b.count for b in histogram.bins] == [0, 0, 0, 0, 0, 0, 0, 1, 0, 0]  # 14, not 3
    assert stray.value == Decimal("3")
