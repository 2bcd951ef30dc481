"""Which cohorts' justification files are due for deletion (issue 14), and the purge itself.

The clock starts at the cohort's **latest** deliberation (the highest ``Jury.sequence``): a
second session or a rectificatif restarts it, since the files may be needed to answer a
challenge to that decision. A cohort never deliberated keeps its files. A cohort is due on the
day ``settings.JUSTIFICATION_RETENTION_DAYS`` days after that deliberation's date (Paris time):
a jury held on 30 November 2026 at 14:00, with 365 days, is purged from 30 November 2027 on,
whatever the hour of the daily run. The files themselves are deleted by
``attendance.retention``, rows kept.
"""

import datetime as dt

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from attendance.retention import JustificationFile, justification_files_purge
from enrolment.models import ProgrammeYear, User

from .models import Jury


def retention_cutoff(today: dt.date, days: int | None = None) -> dt.datetime:
    """A deliberation before this moment is old enough: the start of the day after
    ``today - days`` (Paris time)."""
    days = settings.JUSTIFICATION_RETENTION_DAYS if days is None else days
    day = today - dt.timedelta(days=days) + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def programme_years_due(*, today: dt.date | None = None) -> list[tuple[ProgrammeYear, dt.datetime]]:
    """Cohorts whose latest deliberation is older than the retention, each with that
    deliberation's date, the oldest first."""
    today = today or timezone.localdate()
    latest = Jury.objects.filter(programme_year=OuterRef("pk")).order_by("-sequence")
    years = (
        ProgrammeYear.objects.annotate(last_jury_at=Subquery(latest.values("deliberated_at")[:1]))
        .filter(last_jury_at__lt=retention_cutoff(today))
        .select_related("programme")
        .order_by("last_jury_at", "pk")
    )
    return [(py, py.last_jury_at) for py in years]


def justifications_purge(
    *, today: dt.date | None = None, dry_run: bool, by: User | None = None
) -> list[JustificationFile]:
    """Delete (or, ``dry_run``, list) the justification files of every cohort due."""
    years = programme_years_due(today=today)
    return justification_files_purge(
        programme_year_ids=[py.pk for py, _ in years], by=by, dry_run=dry_run
    )
