"""PDF documents of the grading app: the relevé de notes."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from enrolment.documents import document_enrolments
from lib.downloads import available_or_404, pdf_download

from ..documents import transcript, transcript_availability


@login_required
def transcript_pdf(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = get_object_or_404(document_enrolments(request.user), pk=enrolment_id)
    available_or_404(transcript_availability(enrolment))
    document = transcript(enrolment)
    return pdf_download(
        template="grading/pdf/transcript.html",
        context={"transcript": document},
        title=_("Relevé de notes — %(name)s") % {"name": document.student.full_name},
        filename=f"releve-de-notes-{document.student.number}",
        signature_reason=document.signature_reason,
    )


urlpatterns: list[URLPattern] = [
    path(
        "eleve/documents/<int:enrolment_id>/releve-de-notes.pdf",
        transcript_pdf,
        name="transcript-pdf",
    ),
]
