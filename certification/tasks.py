"""Background work (Django's tasks API; ``django_tasks_db`` backend, run by ``manage.py worker``):
bulk issuance, messages from the portal and personal data exports: the tasks, and what
queues them.

Queueing lives here, beside the tasks, so that services never import this module: the
imports run one way, tasks → bulk → services.
"""

from django.db import transaction
from django.tasks import task

from enrolment.models import UE, Message, ProgrammeYear, StudentProfile, User

from . import bulk, messaging, personal_data
from .models import BulkIssueChunk, BulkIssueJob, PersonalDataExport


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


@task()
def build_personal_data_export(export_id: int) -> dict[str, object]:
    """Build a student's personal data ZIP (RGPD); running it again does nothing."""
    export = personal_data.export_build(export_id)
    return {"status": export.status, "size": export.size}


def personal_data_export_start(
    *, student: StudentProfile, by: User, reference: str = ""
) -> PersonalDataExport:
    """Record the request (``personal_data.export_request``) and, when it is a new one, queue
    its build once committed; an export still pending or ready is shown instead."""
    export, created = personal_data.export_request(student=student, by=by, reference=reference)
    if created:
        pk = export.pk
        transaction.on_commit(lambda: _enqueue_export(pk))
    return export


def _enqueue_export(export_id: int) -> None:
    result = build_personal_data_export.enqueue(export_id)
    PersonalDataExport.objects.filter(pk=export_id).update(task_id=str(result.id)[:64])


def expire_personal_data_exports() -> int:
    """A periodic hook of ``manage.py worker`` (``settings.TASK_RECOVERY_HOOKS``): delete the
    exports past their time. Returns 0: nothing is queued again."""
    personal_data.exports_expire()
    return 0
