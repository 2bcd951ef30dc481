"""PDF documents of the certification app: attestation, certificate (frozen), PV de jury."""

import logging

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, path

from cnam_cs.downloads import pdf_response
from cnam_cs.pdf import render_pdf
from enrolment.documents import document_enrolments
from enrolment.models import Enrolment
from enrolment.views.registrar import registrar_required

from .. import documents
from ..models import Certificate, Jury

logger = logging.getLogger(__name__)


def _visible_enrolment(request: HttpRequest, enrolment_id: int) -> Enrolment:
    """A registrar sees every enrolment; anyone else only their own (else 404)."""
    qs = document_enrolments(request.user).select_related("student__user")
    try:
        return qs.get(pk=enrolment_id)
    except Enrolment.DoesNotExist:
        logger.warning("user %s denied enrolment %s document", request.user.pk, enrolment_id)
        raise Http404 from None


@login_required
def attestation_pdf(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = _visible_enrolment(request, enrolment_id)
    available, reasons = documents.attestation_availability(enrolment)
    if not available:
        return render(
            request,
            "certification/public/unavailable.html",
            {"title": "Attestation de réussite", "reasons": reasons},
            status=409,
        )
    context = documents.attestation_context(enrolment)
    py = enrolment.programme_year
    content = render_pdf(
        "certification/pdf/attestation.html", context, title="Attestation de réussite"
    )
    return pdf_response(
        content, f"attestation-{py.programme.code}-{py.year}-{enrolment.student.number}.pdf"
    )


@login_required
def certificate_pdf(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    """The stored bytes, exactly as issued: never rendered again."""
    enrolment = _visible_enrolment(request, enrolment_id)
    certificate = get_object_or_404(Certificate, enrolment=enrolment)
    if not certificate.pdf:
        raise Http404
    with certificate.pdf.open("rb") as handle:
        content = handle.read()
    return pdf_response(content, f"certificat-{certificate.number}.pdf")


@registrar_required
def jury_pv_pdf(request: HttpRequest, programme_year_id: int) -> HttpResponse:
    jury = get_object_or_404(
        Jury.objects.select_related("programme_year__programme"),
        programme_year_id=programme_year_id,
    )
    content = render_pdf(
        "certification/pdf/jury_pv.html",
        documents.jury_pv_context(jury),
        title=f"PV de jury {jury.programme_year}",
    )
    py = jury.programme_year
    return pdf_response(content, f"pv-jury-{py.programme.code}-{py.year}.pdf")


urlpatterns: list[URLPattern] = [
    path(
        "eleve/documents/<int:enrolment_id>/attestation-de-reussite.pdf",
        attestation_pdf,
        name="attestation-pdf",
    ),
    path(
        "eleve/documents/<int:enrolment_id>/certificat.pdf",
        certificate_pdf,
        name="certificate-pdf",
    ),
    path(
        "scolarite/jurys/<int:programme_year_id>/pv.pdf",
        jury_pv_pdf,
        name="jury-pv-pdf",
    ),
]
