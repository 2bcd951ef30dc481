"""Bulk issuance: chunks any worker runs, progress per chunk, recovery of a dead worker's
chunk, and a certificate's PDF rendered outside the counter's lock (issue 11)."""

import datetime as dt
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone

from certification import bulk, services, tasks
from certification.models import BulkIssueChunk, BulkIssueJob, Certificate
from certification.tasks import issue_cohort

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def cohort(deliberated):
    """Issuing comes after the jury: these tests start from the deliberated cohort."""
    return deliberated


def _files(settings) -> list[str]:
    return sorted(p.name for p in settings.PRIVATE_STORAGE_ROOT.rglob("*.pdf"))


@pytest.mark.usefixtures("certificate_pdf_not_rendered")
def test_bulk_issue_with_immediate_backend_issues_every_eligible(cohort, registrar, settings):
    settings.TASKS = IMMEDIATE
    job = tasks.bulk_issue_start(programme_year=cohort["py"], by=registrar)
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == ("done", 3, 3)
    assert Certificate.objects.count() == 3


def test_a_job_is_split_into_chunks_each_one_task(cohort, registrar, settings):
    settings.CERTIFICATE_CHUNK_SIZE = 2
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    job = tasks.bulk_issue_start(programme_year=cohort["py"], by=registrar)
    chunks = list(job.chunks.all())
    assert [len(c.enrolment_ids) for c in chunks] == [2, 1]
    assert all(c.task_id for c in chunks)
    assert len({c.task_id for c in chunks}) == 2
    assert (job.status, job.done, job.total) == ("queued", 0, 3)


@pytest.mark.usefixtures("certificate_pdf_not_rendered")
def test_progress_is_written_once_per_chunk(cohort, registrar, settings):
    settings.CERTIFICATE_CHUNK_SIZE = 2
    job = bulk.job_create(programme_year=cohort["py"], by=registrar)
    first, second = job.chunks.all()
    bulk.chunk_run(chunk_id=first.pk)
    job.refresh_from_db()
    assert (job.status, job.done) == ("running", 2)
    bulk.chunk_run(chunk_id=second.pk)
    job.refresh_from_db()
    assert (job.status, job.done, job.finished_at is not None) == ("done", 3, True)


@pytest.mark.usefixtures("certificate_pdf_not_rendered")
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
        mock.patch.object(bulk, "certificate_issue", crash_after_two),
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


@pytest.mark.usefixtures("certificate_pdf_not_rendered")
def test_a_dead_workers_chunk_is_queued_again_once_its_lease_expires(cohort, registrar, settings):
    settings.TASK_LEASE_SECONDS = 60
    job = bulk.job_create(programme_year=cohort["py"], by=registrar)
    (chunk,) = job.chunks.all()
    with (
        mock.patch.object(bulk, "certificate_issue", side_effect=KeyboardInterrupt),
        pytest.raises(KeyboardInterrupt),
    ):
        bulk.chunk_run(chunk_id=chunk.pk)
    chunk.refresh_from_db()
    assert chunk.status == "running"
    assert bulk.stale_chunks(timezone.now() + dt.timedelta(seconds=30)) == []
    later = timezone.now() + dt.timedelta(seconds=61)
    assert [c.pk for c in bulk.stale_chunks(later)] == [chunk.pk]
    chunk.refresh_from_db()
    assert (chunk.status, chunk.attempts) == ("queued", 1)
    settings.TASKS = IMMEDIATE
    with mock.patch("certification.bulk.timezone.now", return_value=later):
        assert tasks.requeue_stale_chunks() == 0  # already queued: nothing stale left
    tasks.bulk_issue_enqueue(job=job)
    job.refresh_from_db()
    chunk.refresh_from_db()
    assert (job.status, job.done, chunk.attempts) == ("done", 3, 2)


def test_the_worker_runs_the_recovery_hooks(cohort, registrar, settings):
    settings.TASK_RECOVERY_HOOKS = ["certification.tasks.requeue_stale_chunks"]
    settings.TASK_LEASE_SECONDS = 0
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    job = bulk.job_create(programme_year=cohort["py"], by=registrar)
    BulkIssueChunk.objects.filter(job=job).update(
        status="running", heartbeat_at=timezone.now() - dt.timedelta(seconds=5)
    )
    from cnam_cs.management.commands.worker import run_recovery_hooks

    assert run_recovery_hooks() == 1
    assert BulkIssueChunk.objects.get(job=job).status == "queued"


def test_a_failed_render_leaves_a_numbered_certificate_that_the_next_call_finishes(
    cohort, registrar, settings
):
    enrolment = cohort["enrolments"][0]
    with (
        mock.patch.object(services, "render_pdf", side_effect=RuntimeError("disque plein")),
        pytest.raises(RuntimeError),
    ):
        services.certificate_issue(enrolment=enrolment, by=registrar)
    pending = Certificate.objects.get()
    assert (pending.sequence, pending.sha256, pending.pdf.name) == (1, "", "")
    assert _files(settings) == []
    finished = services.certificate_issue(enrolment=enrolment, by=registrar)
    assert finished.pk == pending.pk
    assert (finished.sequence, len(finished.sha256)) == (1, 64)
    assert _files(settings) == [f"{finished.number}.pdf"]


def test_a_file_whose_row_is_not_written_is_deleted(cohort, registrar, settings):
    enrolment = cohort["enrolments"][0]
    with (
        mock.patch.object(
            services.notifications, "certificate_issued", side_effect=RuntimeError("smtp")
        ),
        pytest.raises(RuntimeError),
    ):
        services.certificate_issue(enrolment=enrolment, by=registrar)
    assert Certificate.objects.get().sha256 == ""
    assert _files(settings) == []


def test_two_workers_finishing_one_certificate_keep_one_file(cohort, registrar, settings):
    enrolment = cohort["enrolments"][0]
    with (
        mock.patch.object(services, "render_pdf", side_effect=RuntimeError),
        pytest.raises(RuntimeError),
    ):
        services.certificate_issue(enrolment=enrolment, by=registrar)
    late = Certificate.objects.get()  # read by a second worker before the first one wrote
    first = services.certificate_finish(Certificate.objects.get())
    second = services.certificate_finish(late)
    assert second.sha256 == first.sha256
    assert second.pdf.name == first.pdf.name
    assert _files(settings) == [f"{first.number}.pdf"]


def test_a_file_left_by_a_dead_worker_is_removed_by_the_one_that_finishes(
    cohort, registrar, settings
):
    enrolment = cohort["enrolments"][0]
    with (
        mock.patch.object(services, "render_pdf", side_effect=RuntimeError),
        pytest.raises(RuntimeError),
    ):
        services.certificate_issue(enrolment=enrolment, by=registrar)
    pending = Certificate.objects.get()
    left = settings.PRIVATE_STORAGE_ROOT / "certificates" / str(pending.programme_year_id)
    left.mkdir(parents=True)
    (left / f"{pending.number}.pdf").write_bytes(b"%PDF-1.7 half written")
    finished = services.certificate_finish(pending)
    assert finished.pdf.name != f"certificates/{pending.programme_year_id}/{pending.number}.pdf"
    assert _files(settings) == [finished.pdf.name.rsplit("/", 1)[1]]


@pytest.mark.django_db(transaction=True)
def test_db_worker_batch_runs_the_queued_job(settings):
    from tests.certification.conftest import make_cohort

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    cohort = make_cohort(2, deliberated=True)
    job = tasks.bulk_issue_start(programme_year=cohort["py"], by=None)
    assert Certificate.objects.count() == 0
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload")
    job.refresh_from_db()
    assert (job.status, job.done) == ("done", 2)


def _snapshot_reads(queries) -> int:
    return sum('"certification_jury"."snapshot"' in q["sql"] for q in queries)


@pytest.mark.usefixtures("certificate_pdf_not_rendered")
def test_a_chunk_decodes_the_deliberation_once_not_once_per_certificate(cohort, registrar):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    py = cohort["py"]
    admis = [e for e in py.enrolments.all() if e.jury_decision == "admis" and e.fees_due == 0]
    assert len(admis) >= 2
    with CaptureQueriesContext(connection) as ctx, services.juries_read_once():
        for enrolment in admis:
            services.certificate_issue(enrolment=enrolment, by=registrar)
    assert _snapshot_reads(ctx.captured_queries) == 1
    assert Certificate.objects.filter(programme_year=py).count() == len(admis)
    with CaptureQueriesContext(connection) as ctx:  # outside: read for each certificate
        Certificate.objects.filter(programme_year=py).update(
            revoked_at=timezone.now(), revoked_reason="Essai"
        )
        for enrolment in admis:
            services.certificate_issue(enrolment=enrolment, by=registrar)
    assert _snapshot_reads(ctx.captured_queries) == len(admis)


@pytest.mark.usefixtures("certificate_pdf_not_rendered")
def test_a_deliberation_recorded_during_a_chunk_is_the_one_its_next_certificate_freezes(
    cohort, registrar
):
    from certification.models import Jury

    py = cohort["py"]
    first, second, *_rest = [
        e for e in py.enrolments.order_by("pk") if e.jury_decision == "admis" and e.fees_due == 0
    ]
    with services.juries_read_once():
        services.certificate_issue(enrolment=first, by=registrar)
        jury = Jury.objects.get(programme_year=py)
        Jury.objects.create(
            programme_year=py,
            sequence=2,
            kind=Jury.Kind.RECTIFICATIF,
            reason="Rectificatif d'essai",
            deliberated_at=jury.deliberated_at + dt.timedelta(days=1),
            members=jury.members,
            snapshot=jury.snapshot,
        )
        services.certificate_issue(enrolment=second, by=registrar)
    by_enrolment = {
        c.enrolment_id: c.snapshot["jury"]["sequence"] for c in Certificate.objects.all()
    }
    assert (by_enrolment[first.pk], by_enrolment[second.pk]) == (1, 2)
