"""« Mes données » (RGPD): a student's export of everything the portal holds about them, and
the registrar's, for a written access request. Built by a worker; these pages show its
progress and serve the ZIP to its student or the registrar only."""

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _

from enrolment.access import registrar_required, student_context, student_required
from enrolment.models import StudentProfile
from lib.formats import long_date_hour

from .. import tasks
from ..models import PersonalDataExport
from ..personal_data import (
    SECTIONS,
    ExportExpired,
    PersonalDataError,
    export_download,
    is_expired,
    section_label,
    visible_exports,
)
from ..personal_data_forms import AccessRequestForm

logger = logging.getLogger("cnam_cs.security")
Status = PersonalDataExport.Status


@dataclass(frozen=True)
class ExportState:
    """One export as its page shows it (and as the status JSON gives it to the script)."""

    export: PersonalDataExport
    status: str
    status_label: str
    done: int
    total: int
    section: str
    pending: bool
    ready: bool
    requested: str  # « 30 novembre 2026 à 18 h 05 »
    finished: str
    until: str
    status_url: str
    download_url: str

    def as_json(self) -> dict[str, object]:
        return {
            "status": self.status,
            "status_label": self.status_label,
            "done": self.done,
            "total": self.total,
            "section": self.section,
            "finished": not self.pending,
        }


def _when(moment: dt.datetime | None) -> str:
    return "" if moment is None else long_date_hour(moment)


def _state(export: PersonalDataExport) -> ExportState:
    expired = is_expired(export)
    status = Status.EXPIRED if expired else Status(export.status)
    pending = status in (Status.QUEUED, Status.RUNNING)
    return ExportState(
        export=export,
        status=status.value,
        status_label=str(status.label),
        done=export.steps_done,
        total=export.steps_total or len(SECTIONS),
        section=section_label(export.steps_done) if pending else "",
        pending=pending,
        ready=status == Status.DONE,
        requested=_when(export.created_at),
        finished=_when(export.finished_at),
        until=_when(export.expires_at),
        status_url=reverse("certification:personal-data-export-status", args=[export.pk]),
        download_url=reverse("certification:personal-data-export-download", args=[export.pk]),
    )


def _sections() -> list[str]:
    return [label for _key, label, _collect in SECTIONS]


@student_required
def student_page(request: HttpRequest) -> HttpResponse:
    """The student's own export: ask for it, follow it, download it while it lasts."""
    ctx = student_context(request)
    if request.method == "POST":
        try:
            tasks.personal_data_export_start(student=ctx.student, by=request.user)
        except PersonalDataError as error:
            messages.error(request, str(error))
        return redirect("certification:student-personal-data")
    latest = PersonalDataExport.objects.filter(student=ctx.student, on_behalf=False).first()
    context = ctx.as_dict() | {
        "state": _state(latest) if latest is not None else None,
        "sections": _sections(),
        "hours": settings.PERSONAL_DATA_EXPORT_HOURS,
    }
    return render(request, "certification/personal_data/student.html", context)


@registrar_required
def registrar_page(request: HttpRequest, student_id: int) -> HttpResponse:
    """A written access request: its reference, then the same progress and download."""
    student = get_object_or_404(StudentProfile.objects.select_related("user"), pk=student_id)
    form = AccessRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            tasks.personal_data_export_start(
                student=student, by=request.user, reference=form.cleaned_data["reference"]
            )
        except PersonalDataError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Export lancé : l'archive se prépare ci-dessous."))
            return redirect("certification:registrar-personal-data", student_id=student.pk)
    exports = list(
        PersonalDataExport.objects.filter(student=student).select_related("requested_by")
    )
    context = {
        "student": student,
        "enrolment": student.enrolments.order_by("-programme_year__year", "-pk").first(),
        "form": form,
        "state": _state(exports[0]) if exports else None,
        "history": [_state(x) for x in exports],
        "sections": _sections(),
        "hours": settings.PERSONAL_DATA_EXPORT_HOURS,
    }
    return render(request, "certification/personal_data/registrar.html", context)


def _visible(request: HttpRequest, export_id: int) -> PersonalDataExport:
    """The student's own export, or any for the registrar; anyone else's is a logged 404."""
    exports = PersonalDataExport.objects.filter(visible_exports(request.user))
    try:
        return exports.select_related("student__user").get(pk=export_id)
    except PersonalDataExport.DoesNotExist:
        logger.warning("user %s refused personal data export %s", request.user.pk, export_id)
        raise Http404 from None


@login_required
def export_status(request: HttpRequest, export_id: int) -> JsonResponse:
    response = JsonResponse(_state(_visible(request, export_id)).as_json())
    response["Cache-Control"] = "no-store"
    return response


@login_required
def export_file(request: HttpRequest, export_id: int) -> HttpResponseBase:
    export = _visible(request, export_id)
    try:
        handle = export_download(export=export, by=request.user)
    except ExportExpired:
        return render(
            request,
            "certification/personal_data/expired.html",
            {"export": export, "own": export.student.user_id == request.user.pk},
            status=410,
        )
    except PersonalDataError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"donnees-personnelles-{export.student.number}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns: list[URLPattern] = [
    path("eleve/mes-donnees/export/", student_page, name="student-personal-data"),
    path(
        "scolarite/eleves/<int:student_id>/donnees-personnelles/",
        registrar_page,
        name="registrar-personal-data",
    ),
    path(
        "donnees-personnelles/<int:export_id>/etat.json",
        export_status,
        name="personal-data-export-status",
    ),
    path(
        "donnees-personnelles/<int:export_id>/archive.zip",
        export_file,
        name="personal-data-export-download",
    ),
]
