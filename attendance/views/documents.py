"""PDF documents of the attendance app: the convocation to an exam."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from cnam_cs.downloads import pdf_response
from cnam_cs.pdf import render_pdf
from enrolment.documents import document_enrolments

from ..documents import convocation, exam_sessions


@login_required
def convocation_pdf(request: HttpRequest, enrolment_id: int, session_id: int) -> HttpResponse:
    enrolment = get_object_or_404(document_enrolments(request.user), pk=enrolment_id)
    # Only an exam of one of this enrolment's UE, not cancelled: anything else is 404.
    session = get_object_or_404(exam_sessions(enrolment), pk=session_id)
    document = convocation(enrolment, session)
    data = render_pdf(
        "attendance/pdf/convocation.html",
        {"convocation": document},
        title=_("Convocation à l'examen %(ue)s — %(name)s")
        % {"ue": document.exam.ue_code, "name": document.student.full_name},
    )
    return pdf_response(
        data,
        f"convocation-{document.exam.ue_code}-{document.exam.start:%Y-%m-%d}-"
        f"{document.student.number}",
    )


urlpatterns: list[URLPattern] = [
    path(
        "eleve/documents/<int:enrolment_id>/convocation/<int:session_id>.pdf",
        convocation_pdf,
        name="convocation-pdf",
    ),
]
