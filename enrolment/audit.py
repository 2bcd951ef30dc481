"""The registrar's journal: every write of the year-setup screens says who did what, when.

Services call ``record`` inside their own transaction, so a refused or rolled-back write
leaves no line, and a line never exists without its write.
"""

from django.utils import timezone

from .models import AuditEntry, ProgrammeYear, User


def record(
    *,
    by: User | None,
    action: str,
    summary: str,
    programme_year: ProgrammeYear | None = None,
) -> AuditEntry:
    """Write one journal line; ``action`` is a dotted name, ``summary`` plain French."""
    return AuditEntry.objects.create(
        at=timezone.now(),
        by=by,
        action=action,
        summary=summary[:500],
        programme_year=programme_year,
    )
