"""Staff-side grading services: import payloads, assessments, publication e-mails."""

from decimal import Decimal

import pytest
from django.core import mail

from grading import services
from grading.forms import AssessmentForm
from grading.models import Grade, GradeHistory
from grading.services import GradeChange, GradeWriteError, Source, grades_apply
from tests.grading.staff_world import make_world

pytestmark = pytest.mark.django_db


def test_import_apply_refuses_a_payload_of_another_assessment():
    world = make_world(1)
    payload = {
        "assessment": world.other_assessment.pk,
        "changes": [[world.enrolments[0].pk, "graded", "12.00", "", 0]],
    }
    with pytest.raises(ValueError):
        services.import_apply(
            assessment=world.assessment, payload=payload, by=world.teacher, filename="x.csv"
        )
    assert not Grade.objects.exists()


def test_import_apply_reports_a_stale_payload_and_writes_nothing():
    world = make_world(2)
    e = world.enrolments
    grades_apply(
        changes=[
            GradeChange(
                assessment_id=world.assessment.pk,
                enrolment_id=e[0].pk,
                status="graded",
                value=Decimal("5"),
            )
        ],
        by=None,
        source=Source.COMMAND,
    )
    payload = {
        "assessment": world.assessment.pk,
        "changes": [[e[1].pk, "graded", "12.00", "", 0], [e[0].pk, "absent", None, "", 0]],
    }
    with pytest.raises(GradeWriteError) as info:
        services.import_apply(
            assessment=world.assessment, payload=payload, by=world.teacher, filename="x.csv"
        )
    assert [c.enrolment_id for c in info.value.conflicts] == [e[0].pk]
    assert Grade.objects.count() == 1 and GradeHistory.objects.count() == 1


def test_grades_publish_emails_only_students_with_a_grade(django_capture_on_commit_callbacks):
    world = make_world(3)
    e = world.enrolments
    grades_apply(
        changes=[
            GradeChange(
                assessment_id=world.assessment.pk,
                enrolment_id=e[0].pk,
                status="graded",
                value=Decimal("5"),
            )
        ],
        by=None,
        source=Source.COMMAND,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.grades_publish(assessment=world.assessment, by=world.teacher) == 1
    assert [m.to for m in mail.outbox] == [[e[0].student.user.email]]


def test_assessment_save_keeps_the_ue_of_the_page():
    world = make_world(0)
    form = AssessmentForm(
        {"key": "CC9", "kind": "cc", "weight": "2", "date": "2025-01-10"}, ue=world.ue
    )
    assert form.is_valid(), form.errors
    assessment = services.assessment_save(form=form)
    assert assessment.ue == world.ue


def test_a_non_positive_weight_is_refused_in_french():
    world = make_world(0)
    form = AssessmentForm(
        {"key": "CC9", "kind": "cc", "weight": "0", "date": "2025-01-10"}, ue=world.ue
    )
    assert not form.is_valid()
    assert "strictement positif" in str(form.errors)
