"""PDF documents of the enrolment app: the certificat de scolarité, the attestation de
paiement."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from cnam_cs.downloads import pdf_response
from cnam_cs.pdf import render_pdf

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
    available, reasons = scolarite_availability(enrolment)
    if not available:
        raise Http404(" ".join(reasons))
    certificate = scolarite_certificate(enrolment)
    data = render_pdf(
        "enrolment/pdf/scolarite.html",
        {"certificate": certificate},
        title=_("Certificat de scolarité — %(name)s") % {"name": certificate.student.full_name},
    )
    return pdf_response(data, f"certificat-de-scolarite-{certificate.student.number}")


@login_required
def payment_receipt_pdf(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = get_object_or_404(document_enrolments(request.user), pk=enrolment_id)
    available, reasons = payment_receipt_availability(enrolment)
    if not available:
        raise Http404(" ".join(reasons))
    receipt = payment_receipt(enrolment)
    data = render_pdf(
        "enrolment/pdf/payment_receipt.html",
        {"receipt": receipt},
        title=_("Attestation de paiement — %(name)s") % {"name": receipt.student.full_name},
    )
    return pdf_response(data, f"attestation-de-paiement-{receipt.student.number}")


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
