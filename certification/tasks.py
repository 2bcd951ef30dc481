"""Background work (Django's tasks API; ``django_tasks_db`` backend, run by ``manage.py worker``):
bulk issuance and messages from the portal: the tasks, and what queues them.

Queueing lives here, beside the tasks, so that services never import this module: the
imports run one way, tasks → bulk → services.
"""

from django.db import transaction
from django.tasks import task

from enrolment.models import UE, Message, ProgrammeYear, User

from . import bulk, messaging
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


@task()
def send_message(message_id: int) -> dict[str, int]:
    """Send a portal message to its recipients not sent yet; safe to run again."""
    message = messaging.message_send(message_id=message_id)
    progress = messaging.progress_of(message)
    return {"sent": progress.sent, "total": progress.total}


def message_start(
    *,
    author: User,
    programme_year: ProgrammeYear,
    audience: str,
    subject: str,
    body: str,
    ue: UE | None = None,
    expected_count: int | None = None,
) -> Message:
    """Keep the message and its recipients (``messaging.message_create``), then queue it."""
    message = messaging.message_create(
        author=author,
        programme_year=programme_year,
        audience=audience,
        subject=subject,
        body=body,
        ue=ue,
        expected_count=expected_count,
    )
    send_message.enqueue(message.pk)
    message.refresh_from_db()
    return message


def message_retry(*, message: Message, by: User) -> Message:
    """« Relancer l'envoi »: queue the message again; recipients already sent are skipped."""
    message = messaging.message_retry(message=message, by=by)
    send_message.enqueue(message.pk)
    message.refresh_from_db()
    return message
