"""Certification e-mails: each event is sent once (``enrolment.notifications.notify_once``)."""

from django.urls import reverse

from enrolment.notifications import notify_once
from lib.links import absolute_url

from .models import Certificate


def certificate_issued(certificate: Certificate) -> bool:
    """Tell the holder their certificate is issued; a second call sends nothing."""
    student = certificate.enrolment.student
    s = certificate.snapshot
    return notify_once(
        key=f"certificate-issued:{certificate.pk}",
        recipient=student.user,
        template="certificate_issued",
        context={
            "student": student,
            "number": certificate.number,
            "programme": s["programme"],
            "year": s["year"],
            # The address printed on the certificate, frozen with it.
            "verification_url": s["verification_url"],
            "link": absolute_url(reverse("certification:student-documents")),
        },
    )
