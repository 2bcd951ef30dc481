"""A real ``manage.py worker`` killed with SIGKILL in the middle of a bulk issuance: another
worker finishes the job by itself (the dead one's chunk is queued again once its lease
expires), with no certificate issued twice, no number skipped and no file left over."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection

from certification import tasks
from certification.models import BulkIssueChunk, BulkIssueJob, Certificate
from tests.certification.conftest import make_cohort
from tests.test_project import BASE_DIR, clean_env

STUDENTS = 8
CHUNK = 4
LEASE_SECONDS = 3
WORKER = [sys.executable, "manage.py", "worker", "--no-reload", "--no-startup-delay"]


def _database_url() -> str:
    """The test database, for the worker processes to share."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = f"{s['USER']}:{s['PASSWORD']}@" if s["PASSWORD"] else f"{s['USER']}@"
    return f"postgresql://{auth}{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"


def _worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*WORKER, "--interval", "0.2", "--recovery-interval", "0.5", "-v", "0"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"pas atteint en {timeout} s : {what}"
        time.sleep(0.05)


def _killed_mid_chunk(job: BulkIssueJob) -> BulkIssueChunk | None:
    """A chunk running with some of its students issued and others not yet."""
    issued = set(Certificate.objects.values_list("enrolment_id", flat=True))
    for chunk in job.chunks.filter(status=BulkIssueChunk.Status.RUNNING):
        done = len(issued.intersection(chunk.enrolment_ids))
        if 0 < done < len(chunk.enrolment_ids):
            return chunk
    return None


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_worker_was_killed_finishes_without_anyone_pressing_a_button(
    settings, tmp_path
):
    cohort = make_cohort(STUDENTS, deliberated=True)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.CERTIFICATE_CHUNK_SIZE = CHUNK
    job = tasks.bulk_issue_start(programme_year=cohort["py"], by=None)
    env = clean_env(
        DATABASE_URL=_database_url(),
        DJANGO_DEBUG="true",
        DJANGO_PUBLIC_BASE_URL="http://testserver",
        DJANGO_PRIVATE_ROOT=str(settings.PRIVATE_STORAGE_ROOT),
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        DJANGO_TASK_LEASE_SECONDS=str(LEASE_SECONDS),
    )
    first = _worker(env)
    victim: list[BulkIssueChunk] = []

    def caught_mid_chunk() -> bool:
        chunk = _killed_mid_chunk(job)
        if chunk is not None:
            first.send_signal(signal.SIGKILL)
            victim.append(chunk)
        return chunk is not None

    try:
        _wait(caught_mid_chunk, 120, "un lot en cours, à moitié délivré")
        first.wait(10)
        job.refresh_from_db()
        assert job.status == BulkIssueJob.Status.RUNNING
        second = _worker(env)
        try:
            _wait(
                lambda: BulkIssueJob.objects.get(pk=job.pk).status == BulkIssueJob.Status.DONE,
                180,
                "la délivrance terminée par le second worker",
            )
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(20)
    finally:
        if first.poll() is None:
            first.kill()

    job.refresh_from_db()
    assert (job.done, job.total, job.failures) == (STUDENTS, STUDENTS, [])
    certificates = list(Certificate.objects.order_by("sequence"))
    assert [c.sequence for c in certificates] == list(range(1, STUDENTS + 1))
    assert len({c.enrolment_id for c in certificates}) == STUDENTS
    assert all(len(c.sha256) == 64 for c in certificates)
    stored = sorted(p.name for p in settings.PRIVATE_STORAGE_ROOT.rglob("*.pdf"))
    assert stored == sorted(c.pdf.name.rsplit("/", 1)[1] for c in certificates)
    assert BulkIssueChunk.objects.get(pk=victim[0].pk).attempts == 2
    assert os.path.getsize(settings.PRIVATE_STORAGE_ROOT / certificates[0].pdf.name) > 1000
