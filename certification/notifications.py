"""Certification e-mails: each event is sent once (``enrolment.notifications.notify_once``)."""

from enrolment.notifications import notify_once

from .models import Certificate


def certificate_issued(certificate: Certificate) -> bool:
    """Tell the holder their certificate is issued; a second call sends nothing."""
    student = certificate.enrolment.student
    s = certificate.snapshot
    body = (
        f"Bonjour {student.first_name},\n\n"
        f"Votre certificat « {s['programme']['title']} » ({s['programme']['code']}, "
        f"{s['year']}) a été délivré sous le numéro {certificate.number}.\n"
        "Vous pouvez le télécharger depuis la page « Documents » du portail.\n"
        f"Toute personne peut en vérifier l'authenticité à l'adresse {s['verification_url']}\n\n"
        "— La scolarité de l'EPN12 Santé-Solidarité"
    )
    return notify_once(
        key=f"certificate-issued:{certificate.pk}",
        recipient=student.user,
        subject=f"Votre certificat {certificate.number} est délivré",
        body=body,
    )
