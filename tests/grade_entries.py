"""Grade entries as the pure rules take them (grading/rules.py), for the rules' tests."""

from decimal import Decimal

from grading.rules import GradeEntry, GradeStatus


def graded(value: str) -> GradeEntry:
    return GradeEntry(status=GradeStatus.GRADED, value=Decimal(value))


def status(name: str) -> GradeEntry:
    """A special status by its code (``absent``, ``absent_justified``, ``plagiarism``)."""
    return GradeEntry(status=GradeStatus(name))


ABSENT = GradeEntry(status=GradeStatus.ABSENT)
JUSTIFIED = GradeEntry(status=GradeStatus.ABSENT_JUSTIFIED)
PLAGIARISM = GradeEntry(status=GradeStatus.PLAGIARISM)
