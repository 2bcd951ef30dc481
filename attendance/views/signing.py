"""The signing sheet (feuille d'émargement) of a session, as a PDF: the registrar and the
teachers of the session's UE (another UE's session → 404; a student → 403)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from enrolment.access import staff_required
from lib.downloads import pdf_download

from .. import signing


@staff_required
def session_signing_sheet(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(signing.signing_sessions(request.user), pk=session_id)
    sheet = signing.signing_sheet(session)
    return pdf_download(
        template="attendance/pdf/signing_sheet.html",
        context={"sheet": sheet},
        title=_("Feuille d'émargement %(ue)s %(key)s") % {"ue": sheet.ue_code, "key": session.key},
        filename=f"emargement {sheet.ue_code} {session.key} {sheet.start:%Y-%m-%d}",
    )


urlpatterns: list[URLPattern] = [
    path(
        "seances/<int:session_id>/emargement.pdf",
        session_signing_sheet,
        name="session-signing-sheet",
    ),
]
