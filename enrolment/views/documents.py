"""PDF documents of the enrolment app: the certificat de scolarité."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from cnam_cs.downloads import pdf_response
from cnam_cs.pdf import render_pdf

from ..documents import document_enrolments, scolarite_availability, scolarite_certificate


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


urlpatterns: list[URLPattern] = [
    path(
        "eleve/documents/<int:enrolment_id>/certificat-de-scolarite.pdf",
        scolarite_pdf,
        name="scolarite-pdf",
    ),
]
