"""PDF documents of the grading app: the relevé de notes."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from cnam_cs.downloads import pdf_response
from cnam_cs.pdf import render_pdf
from enrolment.documents import document_enrolments

from ..documents import transcript, transcript_availability


@login_required
def transcript_pdf(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = get_object_or_404(document_enrolments(request.user), pk=enrolment_id)
    available, reasons = transcript_availability(enrolment)
    if not available:
        raise Http404(" ".join(reasons))
    document = transcript(enrolment)
    data = render_pdf(
        "grading/pdf/transcript.html",
        {"transcript": document},
        title=_("Relevé de notes — %(name)s") % {"name": document.student.full_name},
    )
    return pdf_response(data, f"releve-de-notes-{document.student.number}")


urlpatterns: list[URLPattern] = [
    path(
        "eleve/documents/<int:enrolment_id>/releve-de-notes.pdf",
        transcript_pdf,
        name="transcript-pdf",
    ),
]
