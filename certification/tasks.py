"""Background work (Django's tasks API; ``django_tasks_db`` backend, ``manage.py db_worker``)."""

from django.tasks import task

from . import services


@task()
def issue_cohort(job_id: int) -> dict[str, int]:
    """Issue every eligible certificate of a BulkIssueJob; safe to run again after a crash."""
    job = services.bulk_issue_run(job_id=job_id)
    return {"done": job.done, "total": job.total, "failures": len(job.failures)}
