"""PDF documents of the certification app: attestation, certificate (frozen), PV de jury."""

import logging

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from attendance.documents import convocation, exam_sessions
from enrolment.access import registrar_required
from enrolment.documents import document_enrolments
from enrolment.models import Enrolment
from enrolment.roles import is_registrar
from grading.selectors import makeup_days_not_entitled
from lib.downloads import pdf_download, pdf_response
from lib.prepared import Prepared

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
    py = enrolment.programme_year
    return pdf_download(
        template="certification/pdf/attestation.html",
        context=documents.attestation_context(enrolment),
        title="Attestation de réussite",
        filename=f"attestation-{py.programme.code}-{py.year}-{enrolment.student.number}.pdf",
        signature_reason=documents.ATTESTATION_SIGNATURE_REASON,
    )


@login_required
def convocation_pdf(request: HttpRequest, enrolment_id: int, session_id: int) -> HttpResponse:
    """The convocation to one exam: of one of the enrolment's UE, not cancelled, and never to
    a make-up the student is not entitled to (RULES.md §7b) — anything else is 404.

    It lives here, not in attendance, because entitlement to a make-up is read from grades.
    """
    enrolment = _visible_enrolment(request, enrolment_id)
    skip = makeup_days_not_entitled(enrolment)
    session = get_object_or_404(exam_sessions(enrolment, skip=skip), pk=session_id)
    document = convocation(enrolment, session)
    return pdf_download(
        template="attendance/pdf/convocation.html",
        context={"convocation": document},
        title=_("Convocation à l'examen %(ue)s — %(name)s")
        % {"ue": document.exam.ue_code, "name": document.student.full_name},
        filename=f"convocation-{document.exam.ue_code}-{document.exam.start:%Y-%m-%d}-"
        f"{document.student.number}",
    )


# The holder's valid certificate (number, file name), compiled once: the re-download's query.
_OWN_CERTIFICATE = Prepared(
    lambda enrolment_id, user_id: Certificate.objects.filter(
        enrolment_id=enrolment_id,
        enrolment__student__user_id=user_id,
        revoked_at__isnull=True,
    ).values_list("number", "pdf")
)


@login_required
def certificate_pdf(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    """The stored bytes, exactly as issued: never rendered again.

    Its holder's download, the usual one, is one query (number and file name, no model);
    the registrar's role is asked only when the certificate is not the user's own.
    """
    own = _OWN_CERTIFICATE.rows(enrolment_id=enrolment_id, user_id=request.user.pk)
    found = own[0] if own else None
    if found is None and is_registrar(request.user):
        found = (
            Certificate.objects.filter(enrolment_id=enrolment_id, revoked_at__isnull=True)
            .values_list("number", "pdf")
            .first()
        )
    if found is None:
        _visible_enrolment(request, enrolment_id)  # another's enrolment: logged, 404
        raise Http404
    number, name = found
    return _stored_file(name, number)


@registrar_required
def registrar_certificate_pdf(request: HttpRequest, certificate_id: int) -> HttpResponse:
    """Any issued certificate, revoked ones included, exactly as issued (registrar only)."""
    return _stored_pdf(get_object_or_404(Certificate, pk=certificate_id))


def _stored_pdf(certificate: Certificate) -> HttpResponse:
    return _stored_file(certificate.pdf.name, certificate.number)


def _stored_file(name: str | None, number: str) -> HttpResponse:
    if not name:
        raise Http404
    with Certificate._meta.get_field("pdf").storage.open(name, "rb") as handle:
        content = handle.read()
    return pdf_response(content, f"certificat-{number}.pdf")


@registrar_required
def jury_pv_pdf(
    request: HttpRequest, programme_year_id: int, sequence: int | None = None
) -> HttpResponse:
    """A PV rendered from its deliberation's frozen snapshot: the latest one, or version n."""
    juries = Jury.objects.select_related("programme_year__programme").filter(
        programme_year_id=programme_year_id
    )
    if sequence is None:
        jury = juries.order_by("-sequence").first()
        if jury is None:
            raise Http404
    else:
        jury = get_object_or_404(juries, sequence=sequence)
    py = jury.programme_year
    return pdf_download(
        template="certification/pdf/jury_pv.html",
        context=documents.jury_pv_context(jury),
        title=f"PV de jury {jury.programme_year} n° {jury.sequence}",
        filename=f"pv-jury-{py.programme.code}-{py.year}-n{jury.sequence}.pdf",
        issued_at=jury.deliberated_at,
    )


urlpatterns: list[URLPattern] = [
    path(
        "eleve/documents/<int:enrolment_id>/convocation/<int:session_id>.pdf",
        convocation_pdf,
        name="convocation-pdf",
    ),
    path(
        "scolarite/certificats/<int:certificate_id>/certificat.pdf",
        registrar_certificate_pdf,
        name="registrar-certificate-pdf",
    ),
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
    path(
        "scolarite/jurys/<int:programme_year_id>/pv-<int:sequence>.pdf",
        jury_pv_pdf,
        name="jury-pv-pdf-version",
    ),
]
