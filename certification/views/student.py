"""The student's dashboard, certification standing and documents (PDFs and the certificate).

The dashboard gathers every app's facts, so it lives in the top app.
"""

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from attendance import planning
from attendance.documents import exam_convocations
from attendance.rules import format_rate
from enrolment import documents as enrolment_documents
from enrolment.access import student_context, student_required
from enrolment.models import Enrolment
from enrolment.rules import JuryDecision
from grading import documents as grading_documents
from grading import student_reads
from grading.selectors import makeup_days_not_entitled

from ..checklist import certification_checklist, format_duration
from ..dashboard import NEW_GRADES_DAYS, dashboard_warnings
from ..documents import attestation_availability, jury_title
from ..models import Certificate
from ..reasons import reason_texts
from ..selectors import enrolment_result, latest_jury


@dataclass(frozen=True)
class DocumentItem:
    title: str
    description: str
    url: str | None
    reasons: list[str] = field(default_factory=list)


def _availability(
    check: Callable[[Enrolment], tuple[bool, Sequence[object]]], enrolment: Enrolment
) -> tuple[bool, list[str]]:
    """Ask the document's own module whether it can be delivered, and why not."""
    available, reasons = check(enrolment)
    return available, [str(r) for r in reasons]


def _document(
    title: str, description: str, url_name: str, availability: tuple[bool, list[str]], *args: Any
) -> DocumentItem:
    available, reasons = availability
    url = reverse(url_name, args=args) if available else None
    return DocumentItem(title, description, url, reasons)


def _certificate(enrolment: Enrolment) -> Certificate | None:
    """The valid certificate, else the latest revoked one (to say so), else None."""
    return (
        Certificate.objects.filter(enrolment=enrolment)
        .order_by(F("revoked_at").desc(nulls_first=True), "-sequence")
        .first()
    )


def _convocations(enrolment: Enrolment) -> list[DocumentItem]:
    items = []
    for notice in exam_convocations(enrolment, skip=makeup_days_not_entitled(enrolment)):
        title = _("Convocation à l'examen — %(ue)s, %(date)s") % {
            "ue": notice.ue_code,
            # French typography: « 24 mai 2025 à 9 h 00 »; English: "24 May 2025, 09:00".
            "date": date_format(
                timezone.localtime(notice.start), pgettext("date and time", "j F Y à G \\h i")
            ),
        }
        url = reverse("certification:convocation-pdf", args=[enrolment.pk, notice.session_id])
        where = f"{notice.site_label}, {notice.room_description}"
        items.append(
            DocumentItem(
                title,
                _("%(where)s. Avec vos aménagements d'examen s'il y a lieu.") % {"where": where},
                url,
            )
        )
    return items


@student_required
def dashboard(request: HttpRequest) -> HttpResponse:
    ctx = student_context(request)
    context = ctx.as_dict()
    if ctx.enrolment is not None:
        now = timezone.now()
        result = enrolment_result(ctx.enrolment, published_only=True, now=now)
        new_grades = student_reads.recently_published(
            ctx.enrolment, since=now - dt.timedelta(days=NEW_GRADES_DAYS)
        )
        context.update(
            result=result.result,
            next_sessions=planning.upcoming(planning.student_sessions(ctx.enrolment), now=now),
            warnings=dashboard_warnings(
                result,
                makeups=student_reads.scheduled_makeups(ctx.enrolment),
                new_grades=len(new_grades),
            ),
            new_grades=new_grades,
            rate=format_rate(result.result.absence.rate_display),
            minutes_left=format_duration(result.result.absence.minutes_left),
        )
    return render(request, "certification/student/dashboard.html", context)


@student_required
def certification_page(request: HttpRequest) -> HttpResponse:
    ctx = student_context(request)
    context = ctx.as_dict()
    if ctx.enrolment is not None:
        jury = latest_jury(ctx.enrolment.programme_year_id)
        decision = ctx.enrolment.jury_decision
        er = enrolment_result(ctx.enrolment, published_only=True)
        context.update(
            result=er.result,
            reasons=reason_texts(er.result.reasons),
            checklist=certification_checklist(
                er,
                makeups=student_reads.scheduled_makeups(ctx.enrolment),
                today=timezone.localdate(),
            ),
            certificate=_certificate(ctx.enrolment),
            jury=jury,
            jury_title=jury_title(jury) if jury else "",
            decision=_(JuryDecision(decision).label) if decision else "",
        )
    return render(request, "certification/student/certification.html", context)


@student_required
def documents_page(request: HttpRequest) -> HttpResponse:
    ctx = student_context(request)
    context = ctx.as_dict()
    e = ctx.enrolment
    if e is not None:
        documents = [
            _document(
                _("Certificat de scolarité"),
                _("Atteste votre inscription pour l'année universitaire."),
                "enrolment:scolarite-pdf",
                _availability(enrolment_documents.scolarite_availability, e),
                e.pk,
            ),
            _document(
                _("Attestation de paiement"),
                _("Les frais d'inscription réglés, les remboursements et le reste dû."),
                "enrolment:payment-receipt-pdf",
                _availability(enrolment_documents.payment_receipt_availability, e),
                e.pk,
            ),
            _document(
                _("Relevé de notes"),
                _("Notes publiées, moyennes, crédits et décisions."),
                "grading:transcript-pdf",
                _availability(grading_documents.transcript_availability, e),
                e.pk,
            ),
            _document(
                _("Attestation de réussite"),
                _("Délivrée une fois toutes les UE validées et le jury réuni."),
                "certification:attestation-pdf",
                _availability(attestation_availability, e),
                e.pk,
            ),
        ]
        certificate = _certificate(e)
        if certificate is not None and certificate.revoked_at is None:
            cert_state = (True, [])
        elif certificate is not None:
            cert_state = (
                False,
                [_("Ce certificat a été révoqué : %s") % certificate.revoked_reason],
            )
        else:
            cert_state = (False, [_("Le certificat n'a pas encore été délivré par la scolarité.")])
        documents.append(
            _document(
                _("Certificat de spécialisation"),
                _("Le certificat délivré, avec son numéro et son code de vérification."),
                "certification:certificate-pdf",
                cert_state,
                e.pk,
            )
        )
        context.update(documents=documents, convocations=_convocations(e))
    return render(request, "certification/student/documents.html", context)


urlpatterns: list[URLPattern] = [
    path("eleve/tableau-de-bord/", dashboard, name="student-dashboard"),
    path("eleve/certification/", certification_page, name="student-certification"),
    path("eleve/documents/", documents_page, name="student-documents"),
]
