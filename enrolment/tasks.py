"""Background work of the enrolment app (Django's tasks API; ``django_tasks_db`` backend, run
by ``manage.py worker``): the tasks, and what queues them.

Queueing lives here, beside the tasks, so that services never import this module: the
imports run one way, tasks → roster → services.
"""

from django.db import transaction
from django.tasks import task

from . import roster
from .models import RosterImport


@task()
def roster_invitations(import_id: int) -> dict[str, int]:
    """Send the invitations of an official-list import still due; safe to run again."""
    done = roster.invitations_send(import_id=import_id)
    if done is None:
        return {"invited": 0, "remaining": 0}
    return {"invited": done.invited, "remaining": len(done.to_invite)}


def roster_invitations_start(*, roster_import: RosterImport) -> None:
    """Queue the invitations once the import is committed (never for a rolled-back one)."""
    if not roster_import.to_invite:
        return
    pk = roster_import.pk
    transaction.on_commit(lambda: roster_invitations.enqueue(pk))
