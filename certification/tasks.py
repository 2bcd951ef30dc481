"""Bulk issuance in the background (Django's tasks API; ``django_tasks_db`` backend, run by
``manage.py worker``): the tasks, and what queues them.

Queueing lives here, beside the tasks, so that services never import this module: the
imports run one way, tasks → bulk → services.
"""

from django.db import transaction
from django.tasks import task

from enrolment.models import ProgrammeYear, User

from . import bulk
from .models import BulkIssueChunk, BulkIssueJob


@task()
def issue_chunk(chunk_id: int) -> dict[str, int]:
    """Issue the certificates of one chunk of a bulk job; safe to run again."""
    chunk = bulk.chunk_run(chunk_id=chunk_id)
    return {"done": chunk.done, "failures": len(chunk.failures)}


@task()
def issue_cohort(job_id: int) -> dict[str, int]:
    """A whole job in one worker (jobs queued before chunks existed); safe to run again."""
    job = bulk.job_run_inline(job_id=job_id)
    return {"done": job.done, "total": job.total, "failures": len(job.failures)}


def bulk_issue_start(*, programme_year: ProgrammeYear, by: User | None) -> BulkIssueJob:
    """Create the job and queue its chunks for the workers (``manage.py worker``)."""
    job = bulk.job_create(programme_year=programme_year, by=by)
    _enqueue(list(job.chunks.all()))
    job.refresh_from_db()
    return job


def bulk_issue_enqueue(*, job: BulkIssueJob) -> BulkIssueJob:
    """« Relancer »: queue again every chunk not done; issued students are skipped."""
    _enqueue(bulk.chunks_to_run(job))
    job.refresh_from_db()
    return job


def requeue_stale_chunks() -> int:
    """A worker's recovery hook (``settings.TASK_RECOVERY_HOOKS``): chunks whose worker died
    are queued again, without anyone pressing « Relancer »."""
    stale = bulk.stale_chunks()
    _enqueue(stale)
    return len(stale)


def _enqueue(chunks: list[BulkIssueChunk]) -> None:
    for chunk in chunks:
        result = issue_chunk.enqueue(chunk.pk)
        chunk.task_id = str(result.id)[:64]
    with transaction.atomic():
        BulkIssueChunk.objects.bulk_update(chunks, ["task_id"], batch_size=500)
