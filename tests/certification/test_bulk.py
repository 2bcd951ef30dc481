from unittest import mock

import pytest
from django.core.management import call_command

from certification import services, tasks
from certification.models import BulkIssueJob, Certificate
from certification.tasks import issue_cohort


@pytest.fixture
def cohort(deliberated):
    """Issuing comes after the jury: these tests start from the deliberated cohort."""
    return deliberated


IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def test_bulk_issue_with_immediate_backend_issues_every_eligible(cohort, registrar, settings):
    settings.TASKS = IMMEDIATE
    job = tasks.bulk_issue_start(programme_year=cohort["py"], by=registrar)
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == ("done", 3, 3)
    assert Certificate.objects.count() == 3


def test_restart_after_a_crash_finishes_without_duplicates(cohort, registrar):
    job = BulkIssueJob.objects.create(programme_year=cohort["py"], created_by=registrar)
    real = services.certificate_issue
    calls = {"n": 0}

    def crash_after_two(**kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # the worker is killed
        return real(**kwargs)

    with (
        mock.patch.object(services, "certificate_issue", crash_after_two),
        pytest.raises(KeyboardInterrupt),
    ):
        issue_cohort.call(job.pk)
    assert Certificate.objects.count() == 2
    issue_cohort.call(job.pk)
    issue_cohort.call(job.pk)
    job.refresh_from_db()
    assert Certificate.objects.count() == 3
    assert (job.done, job.total, job.status) == (3, 3, "done")
    assert sorted(Certificate.objects.values_list("sequence", flat=True)) == [1, 2, 3]


@pytest.mark.django_db(transaction=True)
def test_db_worker_batch_runs_the_queued_job(settings):
    from tests.certification.conftest import make_cohort

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    cohort = make_cohort(2, deliberated=True)
    job = tasks.bulk_issue_start(programme_year=cohort["py"], by=None)
    assert Certificate.objects.count() == 0
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")
    job.refresh_from_db()
    assert (job.status, job.done) == ("done", 2)
