"""E-mails of the grading app: each student is told once that an assessment's grades are out."""

from enrolment.notifications import notify_once

from .models import Assessment, Grade


def grades_published(*, assessment: Assessment) -> int:
    """E-mail every student with a published grade of the assessment, once each."""
    grades = Grade.objects.filter(assessment=assessment, published=True).select_related(
        "enrolment__student__user"
    )
    sent = 0
    ue = assessment.ue
    label = assessment.title or assessment.key
    for grade in grades:
        student = grade.enrolment.student
        sent += notify_once(
            key=f"grades-published:{assessment.pk}:{grade.enrolment_id}",
            recipient=student.user,
            subject=f"Cnam CS — note publiée : {ue.code} {label}",
            body=(
                f"Bonjour {student.first_name},\n\n"
                f"Votre note de l'évaluation « {label} » de l'UE {ue.code} ({ue.title}) "
                "est publiée sur le portail CS, rubrique « Notes ».\n\n"
                "Cnam — EPN12 Santé-Solidarité"
            ),
        )
    return sent
