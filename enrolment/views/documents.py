"""PDF documents of the enrolment app: the certificat de scolarité, the attestation de
paiement."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from lib.downloads import available_or_404, pdf_download

from ..documents import (
    document_enrolments,
    payment_receipt,
    payment_receipt_availability,
    scolarite_availability,
    scolarite_certificate,
)


@login_required
def scolarite_pdf(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = get_object_or_404(document_enrolments(request.user), pk=enrolment_id)
    available_or_404(scolarite_availability(enrolment))
    certificate = scolarite_certificate(enrolment)
    return pdf_download(
        template="enrolment/pdf/scolarite.html",
        context={"certificate": certificate},
        title=_("Certificat de scolarité — %(name)s") % {"name": certificate.student.full_name},
        filename=f"certificat-de-scolarite-{certificate.student.number}",
    )


@login_required
def payment_receipt_pdf(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = get_object_or_404(document_enrolments(request.user), pk=enrolment_id)
    available_or_404(payment_receipt_availability(enrolment))
    receipt = payment_receipt(enrolment)
    return pdf_download(
        template="enrolment/pdf/payment_receipt.html",
        context={"receipt": receipt},
        title=_("Attestation de paiement — %(name)s") % {"name": receipt.student.full_name},
        filename=f"attestation-de-paiement-{receipt.student.number}",
    )


urlpatterns: list[URLPattern] = [
    path(
        "eleve/documents/<int:enrolment_id>/certificat-de-scolarite.pdf",
        scolarite_pdf,
        name="scolarite-pdf",
    ),
    path(
        "eleve/documents/<int:enrolment_id>/attestation-de-paiement.pdf",
        payment_receipt_pdf,
        name="payment-receipt-pdf",
    ),
]
