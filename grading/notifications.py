"""E-mails of the grading app: each student is told once that an assessment's grades are out."""

from django.urls import reverse

from enrolment.notifications import notify_once
from lib.links import absolute_url

from .models import Assessment, Grade


def grades_published(*, assessment: Assessment) -> int:
    """E-mail every student with a published grade of the assessment, once each, unless they
    turned these e-mails off (``User.notify_grades``)."""
    grades = Grade.objects.filter(
        assessment=assessment, published=True, enrolment__student__user__notify_grades=True
    ).select_related("enrolment__student__user")
    sent = 0
    context = {
        "ue": assessment.ue,
        "label": assessment.title or assessment.key,
        "link": absolute_url(reverse("grading:student-grades")),
    }
    for grade in grades:
        student = grade.enrolment.student
        sent += notify_once(
            key=f"grades-published:{assessment.pk}:{grade.enrolment_id}",
            recipient=student.user,
            template="grades_published",
            context={**context, "student": student},
        )
    return sent
