"""Bulk issuance in the background (Django's tasks API; ``django_tasks_db`` backend,
``manage.py db_worker``): the task, and the services that create and queue its jobs.

Queueing lives here, beside the task, so that ``services`` never imports this module: the
imports run one way, tasks → services.
"""

from django.tasks import task

from enrolment.models import ProgrammeYear, User

from . import services
from .models import BulkIssueJob
from .reasons import reason_text
from .rules import NO_JURY
from .selectors import latest_jury


@task()
def issue_cohort(job_id: int) -> dict[str, int]:
    """Issue every eligible certificate of a BulkIssueJob; safe to run again after a crash."""
    job = services.bulk_issue_run(job_id=job_id)
    return {"done": job.done, "total": job.total, "failures": len(job.failures)}


def bulk_issue_start(*, programme_year: ProgrammeYear, by: User | None) -> BulkIssueJob:
    """Create the job and queue it for a worker (``manage.py db_worker``)."""
    if latest_jury(programme_year.pk) is None:
        raise services.CertificationError([reason_text(NO_JURY)])
    plan = services.cohort_plan(programme_year)
    job = BulkIssueJob.objects.create(
        programme_year=programme_year, created_by=by, total=len(plan.eligible)
    )
    return bulk_issue_enqueue(job=job)


def bulk_issue_enqueue(*, job: BulkIssueJob) -> BulkIssueJob:
    """(Re)queue a job: a re-run skips students already issued, so it is always safe."""
    result = issue_cohort.enqueue(job.pk)
    BulkIssueJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    job.refresh_from_db()
    return job
