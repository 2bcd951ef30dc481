"""What a student may read of their grades beyond the grades page (built by ``lines``)."""

import datetime as dt

from enrolment.models import Enrolment

from .models import Assessment, Grade, GradeHistory


def recently_published(enrolment: Enrolment, *, since: dt.datetime) -> list[Grade]:
    """Grades of the enrolment made visible since ``since`` (their publication history)."""
    published_ids = GradeHistory.objects.filter(
        grade__enrolment=enrolment, action=GradeHistory.Action.PUBLISH, at__gte=since
    ).values("grade_id")
    return list(
        Grade.objects.filter(pk__in=published_ids, published=True)
        .select_related("assessment__ue")
        .order_by("assessment__ue__code", "assessment__date")
    )


def scheduled_makeups(enrolment: Enrolment) -> dict[tuple[str, str], Assessment]:
    """Make-ups of the enrolment's UE by (UE code, key of the original assessment)."""
    return {
        (a.ue.code, a.makeup_of.key): a
        for a in Assessment.objects.filter(
            ue__enrolments=enrolment, makeup_of__isnull=False
        ).select_related("ue", "makeup_of")
    }
