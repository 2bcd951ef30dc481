"""``manage.py worker``: django-tasks-db's ``db_worker`` plus recovery of dead workers' work.

django-tasks-db claims only ``READY`` tasks: a task whose worker was killed stays ``RUNNING``
for ever. Every worker therefore runs the project's recovery hooks
(``settings.TASK_RECOVERY_HOOKS``, e.g. ``certification.tasks.requeue_stale_chunks``) once at
start and then every ``--recovery-interval`` seconds (default: a third of
``settings.TASK_LEASE_SECONDS``) in a background thread, so work left by a dead worker
resumes by itself on any worker still alive or started later. The PDF renderer is warmed up
before the first task.
"""

import logging
import threading
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections
from django.utils.module_loading import import_string
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from lib import pdf, signing

logger = logging.getLogger(__name__)


def run_recovery_hooks() -> int:
    """Run every hook once; a failing hook is logged and does not stop the others."""
    recovered = 0
    for path in settings.TASK_RECOVERY_HOOKS:
        try:
            recovered += int(import_string(path)() or 0)
        except Exception:
            logger.exception("recovery hook %s failed", path)
    if recovered:
        logger.warning("recovery: %s unit(s) of work queued again", recovered)
    return recovered


def _recovery_loop(interval: float, stop: threading.Event) -> None:
    while not stop.wait(interval):
        close_old_connections()
        run_recovery_hooks()
        connections.close_all()  # this thread's connections only


class Command(DbWorkerCommand):
    help = "Run a background worker that also resumes the work of dead workers"

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--recovery-interval",
            type=float,
            default=None,
            help="Seconds between two checks for work left by dead workers "
            "(default: TASK_LEASE_SECONDS / 3).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interval = options.pop("recovery_interval") or settings.TASK_LEASE_SECONDS / 3
        # WeasyPrint, its fonts and stylesheet, the signing key and the signature's font: once,
        # before the first task (a missing key fails here, loudly, not on the first document).
        pdf.warm_up()
        signing.warm_up()
        run_recovery_hooks()
        connections.close_all()
        stop = threading.Event()
        thread = threading.Thread(
            target=_recovery_loop, args=(interval, stop), name="task-recovery", daemon=True
        )
        thread.start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
