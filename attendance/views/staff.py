"""Staff pages of the attendance app: sessions of their UE, the roll, moves and cancellations.

Sessions are fetched through a queryset filtered by the user's UE assignments (another UE's
session → 404); a user who teaches nothing gets 403.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_POST

from cnam_cs.body_limits import body_limit
from enrolment.freeze import SESSIONS_FROZEN, refusal
from enrolment.roles import is_teacher

from .. import selectors, services
from ..forms import (
    JustifyForm,
    RollFormSet,
    SessionCancelForm,
    SessionMoveForm,
    document_max_bytes,
)

View = Callable[..., HttpResponseBase]
CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg"}


def staff_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_teacher(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@staff_required
def sessions(request: HttpRequest) -> HttpResponse:
    items = list(selectors.staff_sessions(request.user).order_by("ue__code", "start"))
    return render(
        request,
        "attendance/staff/sessions.html",
        {"sessions": items, "now": timezone.now()},
    )


def _roll_context(session: Any, formset: Any, justify: Any) -> dict[str, Any]:
    rows = selectors.roll_rows(session)
    by_enrolment = {str(f["enrolment"].value()): f for f in formset.forms}
    return {
        "session": session,
        "formset": formset,
        "pairs": [(row, by_enrolment.get(str(row.enrolment.pk))) for row in rows],
        "justify_form": justify,
    }


def _students(rows: list[selectors.RollRow]) -> list[tuple[int, str]]:
    return [
        (
            r.enrolment.pk,
            f"{r.enrolment.student.last_name} {r.enrolment.student.first_name} "
            f"({r.enrolment.student.number})",
        )
        for r in rows
    ]


@staff_required
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
    justify = JustifyForm(students=_students(rows), prefix="justify")
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
                messages.success(request, f"Appel enregistré ({changed} ligne(s) modifiée(s)).")
                return redirect("attendance:staff-roll", session_id=session.pk)
        else:
            messages.error(request, "Rien n'a été enregistré : corrigez les lignes signalées.")
    elif selectors.session_frozen(session):
        messages.warning(request, refusal(SESSIONS_FROZEN))
    return render(
        request,
        "attendance/staff/roll.html",
        _roll_context(session, formset, justify),
        status=400 if request.method == "POST" else 200,
    )


@staff_required
@require_POST
@body_limit(document_max_bytes)
def justify(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(selectors.staff_sessions(request.user), pk=session_id)
    rows = selectors.roll_rows(session)
    form = JustifyForm(request.POST, request.FILES, students=_students(rows), prefix="justify")
    if form.is_valid():
        enrolment = next(
            r.enrolment for r in rows if r.enrolment.pk == form.cleaned_data["enrolment"]
        )
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
                request, f"Absence justifiée enregistrée pour {enrolment.student.full_name}."
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
    messages.error(request, "Absence non enregistrée : corrigez le formulaire.")
    return render(
        request, "attendance/staff/roll.html", _roll_context(session, formset, form), status=400
    )


@staff_required
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
            messages.error(request, "Cette séance est déjà annulée.")
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
                messages.success(request, "Séance déplacée : les élèves de l'UE sont prévenu·es.")
                return redirect("attendance:staff-sessions")
        elif cancel.is_bound and cancel.is_valid():
            try:
                services.session_cancel(
                    session=session, reason=cancel.cleaned_data["reason"], by=request.user
                )
            except ValidationError as exc:
                cancel.add_error(None, exc)
            else:
                messages.success(request, "Séance annulée : les élèves de l'UE sont prévenu·es.")
                return redirect("attendance:staff-sessions")
    elif selectors.session_frozen(session):
        messages.warning(request, refusal(SESSIONS_FROZEN))
    return render(
        request,
        "attendance/staff/session_change.html",
        {"session": session, "move": move, "cancel": cancel, "changes": session.changes.all()},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def justification_document(request: HttpRequest, attendance_id: int) -> FileResponse:
    """The justification file: staff of that UE, registrars and the student only (else 404)."""
    attendance = get_object_or_404(selectors.attendance_visible_to(request.user), pk=attendance_id)
    document = attendance.justification_document
    if not document:
        raise Http404
    extension = document.name.rsplit(".", 1)[-1].lower()
    if extension == "jpeg":
        extension = "jpg"
    response = FileResponse(
        document.open("rb"),
        content_type=CONTENT_TYPES.get(extension, "application/octet-stream"),
        as_attachment=True,
        filename=f"justificatif-{attendance.pk}.{extension}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


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
]
