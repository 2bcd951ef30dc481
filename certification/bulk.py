"""Writes of bulk issuance: a job split into chunks that any worker runs, and recovered when
the worker running one dies.

A job targets the cohort's students still without a certificate (``services.cohort_plan``);
they are cut into chunks of ``settings.CERTIFICATE_CHUNK_SIZE``, one task each
(``certification.tasks``), so every worker sharing the database takes part. A chunk holds a
lease renewed while it runs (``heartbeat_at``); one whose lease expired is queued again.
Running a chunk twice issues nothing twice (``services.certificate_issue`` returns the
certificate already issued, and finishes one left without its PDF), so numbers stay gapless.
Progress is written once per chunk.
"""

import datetime as dt
import logging
import time

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from enrolment import audit
from enrolment.models import Enrolment, ProgrammeYear, User

from .models import BulkIssueChunk, BulkIssueJob
from .reasons import reason_text
from .rules import NO_JURY
from .selectors import latest_jury
from .services import CertificationError, certificate_issue, cohort_plan, juries_read_once

logger = logging.getLogger(__name__)

Failure = dict[str, object]


def job_create(*, programme_year: ProgrammeYear, by: User | None) -> BulkIssueJob:
    """The job and its chunks, in one transaction; refused before the jury."""
    if latest_jury(programme_year.pk) is None:
        raise CertificationError([reason_text(NO_JURY)])
    plan = cohort_plan(programme_year)
    with transaction.atomic():
        job = BulkIssueJob.objects.create(
            programme_year=programme_year,
            created_by=by,
            total=len(plan.eligible),
            done=len(plan.eligible) - len(plan.to_issue),
        )
        _chunks_create(job, plan.to_issue)
        _job_refresh(job.pk)
        audit.record(
            by=by,
            action="certificates.bulk.start",
            summary=f"Délivrance en lot lancée pour {programme_year} : "
            f"{len(plan.to_issue)} certificat{'s' if len(plan.to_issue) > 1 else ''} à délivrer",
            programme_year=programme_year,
        )
    job.refresh_from_db()
    return job


def _chunks_create(job: BulkIssueJob, enrolment_ids: list[int]) -> list[BulkIssueChunk]:
    size = max(1, settings.CERTIFICATE_CHUNK_SIZE)
    start = BulkIssueChunk.objects.filter(job=job).count()
    return BulkIssueChunk.objects.bulk_create(
        BulkIssueChunk(job=job, index=start + i, enrolment_ids=enrolment_ids[k : k + size])
        for i, k in enumerate(range(0, len(enrolment_ids), size))
    )


def chunks_to_run(job: BulkIssueJob) -> list[BulkIssueChunk]:
    """The chunks a « Relancer » queues again: every one not done. A job of the previous
    version (no chunks yet) gets its chunks now, from the students still to issue."""
    with transaction.atomic():
        locked = BulkIssueJob.objects.select_for_update().get(pk=job.pk)
        if not locked.chunks.exists():
            plan = cohort_plan(locked.programme_year)
            BulkIssueJob.objects.filter(pk=job.pk).update(total=len(plan.eligible))
            _chunks_create(locked, plan.to_issue)
        pending = list(locked.chunks.exclude(status=BulkIssueChunk.Status.DONE))
        BulkIssueChunk.objects.filter(pk__in=[c.pk for c in pending]).update(
            status=BulkIssueChunk.Status.QUEUED, heartbeat_at=None
        )
        _job_refresh(job.pk)
    return pending


def chunk_run(*, chunk_id: int) -> BulkIssueChunk:
    """Issue a chunk's certificates, each in its own transactions, renewing the lease."""
    chunk = _chunk_claim(chunk_id)
    if chunk.status == BulkIssueChunk.Status.DONE:
        return chunk
    by = chunk.job.created_by
    lease = settings.TASK_LEASE_SECONDS
    renewed = time.monotonic()
    enrolments = Enrolment.objects.select_related("student", "programme_year__programme").in_bulk(
        chunk.enrolment_ids
    )
    done, failures = 0, []
    with juries_read_once():
        for enrolment_id in chunk.enrolment_ids:
            enrolment = enrolments.get(enrolment_id)
            if enrolment is None:
                continue
            try:
                certificate_issue(enrolment=enrolment, by=by)
            except CertificationError as exc:
                failures.append(_failure(enrolment, exc.reasons))
            except Exception as exc:
                logger.exception("bulk issue: enrolment %s failed", enrolment.pk)
                failures.append(_failure(enrolment, [f"Erreur inattendue : {type(exc).__name__}"]))
            else:
                done += 1
            if time.monotonic() - renewed > lease / 4:
                BulkIssueChunk.objects.filter(pk=chunk.pk).update(heartbeat_at=timezone.now())
                renewed = time.monotonic()
    with transaction.atomic():
        BulkIssueChunk.objects.filter(pk=chunk.pk).update(
            status=BulkIssueChunk.Status.DONE,
            done=done,
            failures=failures,
            finished_at=timezone.now(),
        )
        _job_refresh(chunk.job_id)
    chunk.refresh_from_db()
    return chunk


def _chunk_claim(chunk_id: int) -> BulkIssueChunk:
    with transaction.atomic():
        # of=("self",): PostgreSQL locks no outer-joined row (created_by may be NULL).
        chunk = (
            BulkIssueChunk.objects.select_for_update(of=("self",))
            .select_related("job__created_by")
            .get(pk=chunk_id)
        )
        if chunk.status != BulkIssueChunk.Status.DONE:
            chunk.status = BulkIssueChunk.Status.RUNNING
            chunk.heartbeat_at = timezone.now()
            chunk.attempts += 1
            chunk.save(update_fields=["status", "heartbeat_at", "attempts"])
            _job_refresh(chunk.job_id)
    return chunk


def _job_refresh(job_id: int) -> None:
    """The job's progress, failures and status, from its chunks (under the job's row lock)."""
    job = BulkIssueJob.objects.select_for_update().get(pk=job_id)
    chunks = list(job.chunks.values("status", "done", "failures", "enrolment_ids"))
    planned = sum(len(c["enrolment_ids"]) for c in chunks)
    already = job.total - planned  # issued before the job started
    job.done = already + (job.chunks.aggregate(n=Sum("done"))["n"] or 0)
    job.failures = [f for c in chunks for f in c["failures"]]
    statuses = {c["status"] for c in chunks}
    if statuses <= {BulkIssueChunk.Status.DONE}:
        job.status = BulkIssueJob.Status.FAILED if job.failures else BulkIssueJob.Status.DONE
        job.finished_at = job.finished_at or timezone.now()
    else:
        started = statuses & {BulkIssueChunk.Status.RUNNING, BulkIssueChunk.Status.DONE}
        job.status = BulkIssueJob.Status.RUNNING if started else BulkIssueJob.Status.QUEUED
        job.finished_at = None
    job.save(update_fields=["done", "failures", "status", "finished_at"])


def stale_chunks(now: dt.datetime | None = None) -> list[BulkIssueChunk]:
    """Chunks « running » whose lease expired (their worker died): put back in the queue."""
    now = now or timezone.now()
    limit = now - dt.timedelta(seconds=settings.TASK_LEASE_SECONDS)
    with transaction.atomic():
        stale = list(
            BulkIssueChunk.objects.select_for_update().filter(
                status=BulkIssueChunk.Status.RUNNING, heartbeat_at__lt=limit
            )
        )
        BulkIssueChunk.objects.filter(pk__in=[c.pk for c in stale]).update(
            status=BulkIssueChunk.Status.QUEUED, heartbeat_at=None
        )
    for chunk in stale:
        logger.warning(
            "bulk issue: chunk %s of job %s lost its worker; queued again",
            chunk.index,
            chunk.job_id,
        )
    return stale


def job_run_inline(*, job_id: int) -> BulkIssueJob:
    """Run every chunk of a job in this process, one after the other (a job queued by the
    previous version as a single task, and the tests)."""
    job = BulkIssueJob.objects.get(pk=job_id)
    for chunk in chunks_to_run(job):
        chunk_run(chunk_id=chunk.pk)
    job.refresh_from_db()
    return job


def _failure(enrolment: Enrolment, reasons: list[str]) -> Failure:
    student = enrolment.student
    return {
        "enrolment_id": enrolment.pk,
        "number": student.number,
        "name": f"{student.last_name.upper()} {student.first_name}",
        "reasons": reasons,
    }
