"""Staff pages of the attendance app: sessions of their UE, the roll, moves and cancellations.

Sessions are fetched through a queryset filtered by the user's UE assignments (another UE's
session → 404); a user who teaches nothing gets 403.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from enrolment.access import decider_required, teacher_required
from enrolment.freeze import SESSIONS_FROZEN, refusal
from enrolment.roles import is_teacher
from lib.body_limits import body_limit

from .. import selectors, services
from ..forms import (
    JustificationDecisionForm,
    JustifyForm,
    RollFormSet,
    SessionCancelForm,
    SessionMoveForm,
    document_max_bytes,
)
from ..models import JustificationRequest

CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg"}


@teacher_required
def sessions(request: HttpRequest) -> HttpResponse:
    # One block per UE (the template regroups): the current year first, sessions in order.
    items = list(
        selectors.staff_sessions(request.user).order_by(
            "-ue__programme_year__year", "ue__code", "ue_id", "start"
        )
    )
    pending = list(selectors.pending_justification_requests(request.user))
    return render(
        request,
        "attendance/staff/sessions.html",
        {"sessions": items, "now": timezone.now(), "pending": pending},
    )


@dataclass(frozen=True, kw_only=True)
class RollLine:
    """One row of the roll page: the student's presence form, their latest justification
    request, and the justify form of that row when it came back with errors."""

    row: selectors.RollRow
    form: Any
    justification: JustificationRequest | None
    justify_form: JustifyForm | None


def _roll_context(
    session: Any, formset: Any, justify: JustifyForm | None = None, justify_for: int | None = None
) -> dict[str, Any]:
    rows = selectors.roll_rows(session)
    by_enrolment = {str(f["enrolment"].value()): f for f in formset.forms}
    requests = selectors.roll_justification_requests(session)
    return {
        "session": session,
        "formset": formset,
        "rows": [
            RollLine(
                row=row,
                form=by_enrolment.get(str(row.enrolment.pk)),
                justification=requests.get(row.enrolment.pk),
                justify_form=justify if row.enrolment.pk == justify_for else None,
            )
            for row in rows
        ],
        "frozen": selectors.session_frozen(session),
        "here": reverse("attendance:staff-roll", args=[session.pk]),
    }


@teacher_required
def roll(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(selectors.staff_sessions(request.user), pk=session_id)
    rows = selectors.roll_rows(session)
    initial = [
        {
            "enrolment": r.enrolment.pk,
            "presence": r.presence,
            "minutes_missed": r.minutes_missed or None,
        }
        for r in rows
    ]
    allowed = {r.enrolment.pk for r in rows}
    formset = RollFormSet(request.POST or None, initial=initial, allowed=allowed)
    if request.method == "POST":
        if formset.is_valid():
            entries = [
                services.RollEntry(
                    enrolment_id=f.cleaned_data["enrolment"],
                    presence=f.cleaned_data["presence"],
                    minutes_missed=f.cleaned_data.get("minutes_missed") or 0,
                )
                for f in formset.forms
            ]
            try:
                changed = services.roll_record(session=session, entries=entries, by=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(
                    request,
                    ngettext(
                        "Appel enregistré (%(n)d ligne modifiée).",
                        "Appel enregistré (%(n)d lignes modifiées).",
                        changed,
                    )
                    % {"n": changed},
                )
                return redirect("attendance:staff-roll", session_id=session.pk)
        else:
            messages.error(request, _("Rien n'a été enregistré : corrigez les lignes signalées."))
    elif selectors.session_frozen(session):
        messages.warning(request, refusal(SESSIONS_FROZEN))
    return render(
        request,
        "attendance/staff/roll.html",
        _roll_context(session, formset),
        status=400 if request.method == "POST" else 200,
    )


@teacher_required
@require_POST
@body_limit(document_max_bytes)
def justify(request: HttpRequest, session_id: int) -> HttpResponse:
    """Justify the absence of one roll row's student: the row names the student, who must
    follow the session's UE (else 404)."""
    session = get_object_or_404(selectors.staff_sessions(request.user), pk=session_id)
    rows = selectors.roll_rows(session)
    raw = request.POST.get("justify-enrolment", "")
    enrolment = next((r.enrolment for r in rows if str(r.enrolment.pk) == raw), None)
    if enrolment is None:
        raise Http404
    form = JustifyForm(request.POST, request.FILES, prefix="justify")
    if form.is_valid():
        try:
            services.absence_justify(
                session=session,
                enrolment=enrolment,
                reason=form.cleaned_data["reason"],
                document=form.cleaned_data.get("document"),
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Absence justifiée enregistrée pour %(name)s.")
                % {"name": enrolment.student.full_name},
            )
            return redirect("attendance:staff-roll", session_id=session.pk)
    initial = [
        {
            "enrolment": r.enrolment.pk,
            "presence": r.presence,
            "minutes_missed": r.minutes_missed or None,
        }
        for r in rows
    ]
    formset = RollFormSet(initial=initial, allowed={r.enrolment.pk for r in rows})
    messages.error(request, _("Absence non justifiée : corrigez le formulaire de la ligne."))
    return render(
        request,
        "attendance/staff/roll.html",
        _roll_context(session, formset, form, enrolment.pk),
        status=400,
    )


def _back(request: HttpRequest, fallback: str) -> str:
    """Where the decision came from (the roll, the sessions page), if it is one of ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe and target.startswith("/") else fallback


@decider_required
def justification_review(request: HttpRequest, request_id: int) -> HttpResponse:
    """A student's justification: open the file, accept it, or refuse it with a reason.

    Only the UE's teachers and registrars reach it (another UE's teacher: 404).
    """
    item = get_object_or_404(
        selectors.justification_requests_to_decide(request.user), pk=request_id
    )
    fallback = (
        reverse("attendance:staff-sessions")
        if is_teacher(request.user)
        else reverse("attendance:registrar-justifications")
    )
    back = _back(request, fallback)
    form = JustificationDecisionForm(request.POST or None, prefix="decision")
    if request.method == "POST" and form.is_valid():
        accept = form.cleaned_data["decision"] == "accept"
        try:
            services.justification_request_decide(
                request=item, accept=accept, reason=form.cleaned_data["reason"], by=request.user
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            name = item.attendance.enrolment.student.full_name
            if accept:
                text = _("Justificatif de %(name)s accepté : l'absence est justifiée.")
            else:
                text = _("Justificatif de %(name)s refusé : l'élève en est informé·e.")
            messages.success(request, text % {"name": name})
            return redirect(back)
    attendance = item.attendance
    frozen = selectors.session_frozen(attendance.session)
    if request.method == "GET" and frozen and item.status == JustificationRequest.Status.PENDING:
        messages.warning(request, refusal(SESSIONS_FROZEN))
    history = attendance.justification_requests.exclude(pk=item.pk)
    return render(
        request,
        "attendance/staff/justification_review.html",
        {
            "item": item,
            "attendance": attendance,
            "session": attendance.session,
            "history": list(history),
            "form": form,
            "back": back,
            "frozen": frozen,
            "refusing": form.is_bound and form.data.get("decision-decision") == "refuse",
        },
        status=400 if request.method == "POST" else 200,
    )


@teacher_required
def session_change(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(selectors.staff_sessions(request.user), pk=session_id)
    local_start = timezone.localtime(session.start)
    local_end = timezone.localtime(session.end)
    move = SessionMoveForm(
        request.POST if request.POST.get("action") == "move" else None,
        initial={
            "start": local_start.strftime("%Y-%m-%dT%H:%M"),
            "end": local_end.strftime("%Y-%m-%dT%H:%M"),
            "site": session.site,
            "room": session.room,
        },
        prefix="move",
    )
    cancel = SessionCancelForm(
        request.POST if request.POST.get("action") == "cancel" else None, prefix="cancel"
    )
    if request.method == "POST":
        if session.cancelled:
            messages.error(request, _("Cette séance est déjà annulée."))
            return redirect("attendance:staff-sessions")
        if move.is_bound and move.is_valid():
            data = move.cleaned_data
            try:
                services.session_move(
                    session=session,
                    start=data["start"],
                    end=data["end"],
                    site=data["site"],
                    room=data["room"],
                    reason=data["reason"],
                    by=request.user,
                )
            except ValidationError as exc:
                move.add_error(None, exc)
            else:
                messages.success(
                    request, _("Séance déplacée : les élèves de l'UE sont prévenu·es.")
                )
                return redirect("attendance:staff-sessions")
        elif cancel.is_bound and cancel.is_valid():
            try:
                services.session_cancel(
                    session=session, reason=cancel.cleaned_data["reason"], by=request.user
                )
            except ValidationError as exc:
                cancel.add_error(None, exc)
            else:
                messages.success(request, _("Séance annulée : les élèves de l'UE sont prévenu·es."))
                return redirect("attendance:staff-sessions")
    elif selectors.session_frozen(session):
        messages.warning(request, refusal(SESSIONS_FROZEN))
    return render(
        request,
        "attendance/staff/session_change.html",
        {"session": session, "move": move, "cancel": cancel, "changes": session.changes.all()},
        status=400 if request.method == "POST" else 200,
    )


def private_file_response(document: FieldFile, *, stem: str) -> FileResponse:
    """A private justification file, downloaded under a name that never comes from a user."""
    if not document:
        raise Http404
    extension = document.name.rsplit(".", 1)[-1].lower()
    if extension == "jpeg":
        extension = "jpg"
    response = FileResponse(
        document.open("rb"),
        content_type=CONTENT_TYPES.get(extension, "application/octet-stream"),
        as_attachment=True,
        filename=f"{stem}.{extension}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def purged_response(request: HttpRequest, purged_at: datetime) -> HttpResponse:
    """410: the retention purge deleted the file (attendance/retention.py), said in French."""
    return render(
        request, "attendance/justification_purged.html", {"purged_at": purged_at}, status=410
    )


@login_required
def justification_document(request: HttpRequest, attendance_id: int) -> HttpResponse:
    """The justification file: staff of that UE, registrars and the student only (else 404)."""
    attendance = get_object_or_404(selectors.attendance_visible_to(request.user), pk=attendance_id)
    if attendance.purged_at is not None:
        return purged_response(request, attendance.purged_at)
    return private_file_response(
        attendance.justification_document, stem=f"justificatif-{attendance.pk}"
    )


@login_required
def justification_request_document(request: HttpRequest, request_id: int) -> HttpResponse:
    """The file a student sent: that student, the UE's teachers and registrars (else 404)."""
    item: JustificationRequest = get_object_or_404(
        selectors.justification_requests_visible_to(request.user), pk=request_id
    )
    if item.purged_at is not None:
        return purged_response(request, item.purged_at)
    return private_file_response(item.document, stem=f"justificatif-demande-{item.pk}")


urlpatterns: list[URLPattern] = [
    path("enseignant/seances/", sessions, name="staff-sessions"),
    path("enseignant/seances/<int:session_id>/appel/", roll, name="staff-roll"),
    path("enseignant/seances/<int:session_id>/justifier/", justify, name="staff-justify"),
    path(
        "enseignant/seances/<int:session_id>/modifier/", session_change, name="staff-session-change"
    ),
    path(
        "justificatifs/<int:attendance_id>/",
        justification_document,
        name="justification-document",
    ),
    path(
        "justificatifs/demandes/<int:request_id>/",
        justification_review,
        name="justification-review",
    ),
    path(
        "justificatifs/demandes/<int:request_id>/fichier/",
        justification_request_document,
        name="justification-request-document",
    ),
]
