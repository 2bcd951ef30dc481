"""The registrar's planning: the week view with its clashes, a session created alone or as a
weekly series (previewed, then confirmed), and a session's page (edit, move, cancel).

Moves and cancellations go through ``services.session_move`` / ``session_cancel``, as on the
teachers' page: the students are e-mailed the same way.
"""

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from enrolment.access import registrar_required
from enrolment.freeze import SESSIONS_FROZEN, refusal
from enrolment.models import UE, ProgrammeYear, User

from .. import rules, selectors, services
from ..forms import SessionCancelForm
from ..models import Session
from ..planning_forms import (
    PlanningMoveForm,
    SeriesForm,
    SessionCreateForm,
    SessionEditForm,
)
from ..rooms import code_reading

_WEEK = re.compile(r"(?P<year>[0-9]{4})-W(?P<week>[0-9]{1,2})")


def iso_week(monday: dt.date) -> str:
    """« 2025-W40 », the ``semaine`` parameter of the week view."""
    year, week, _day = monday.isocalendar()
    return f"{year}-W{week:02d}"


def _monday(value: str | None) -> dt.date | None:
    match = _WEEK.fullmatch(value or "")
    if match is None:
        return None
    try:
        return dt.date.fromisocalendar(int(match["year"]), int(match["week"]), 1)
    except ValueError:
        return None


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week_url(monday: dt.date, promotion: int | None = None) -> str:
    query = {"semaine": iso_week(monday)}
    if promotion is not None:
        query["promotion"] = str(promotion)
    return f"{reverse('attendance:registrar-planning')}?{urlencode(query)}"


@dataclass(frozen=True)
class ClashNote:
    """One other session at the same time: same room, and/or these teachers in both."""

    other: Session
    same_room: bool
    teachers: list[User]


@dataclass(frozen=True)
class Entry:
    session: Session
    room: str
    clashes: list[ClashNote]


@dataclass(frozen=True)
class Day:
    day: dt.date
    entries: list[Entry]


def _notes(
    ref: int | str, clashes: dict[int | str, list[rules.Clash]], sessions: dict[int, Session]
) -> list[ClashNote]:
    notes = []
    for clash in clashes.get(ref, ()):
        other = sessions.get(int(clash.other(ref).ref))
        if other is None:  # another slot still to be created: named by the caller
            continue
        teachers = [t for t in other.teachers.all() if t.pk in clash.teachers]
        notes.append(ClashNote(other=other, same_room=clash.same_room, teachers=teachers))
    return notes


def _entry(session: Session, clashes: Any, sessions: dict[int, Session]) -> Entry:
    room = code_reading(code=session.room, site=session.site) or session.room
    return Entry(session=session, room=room, clashes=_notes(session.pk, clashes, sessions))


@registrar_required
def planning(request: HttpRequest) -> HttpResponse:
    """The week's sessions, day by day, every promotion or one, with their clashes."""
    asked = request.GET.get("semaine")
    monday = _monday(asked)
    if monday is None:
        if asked:
            messages.warning(request, _("Semaine inconnue : voici la semaine en cours."))
        monday = monday_of(timezone.localdate())
    years = list(ProgrammeYear.objects.select_related("programme"))
    promotion = next((y for y in years if str(y.pk) == request.GET.get("promotion")), None)
    promotion_id = promotion.pk if promotion else None
    start, end = selectors.week_bounds(monday)
    clashes, sessions = selectors.planning_clashes(start=start, end=end)
    shown = [
        s for s in sessions.values() if promotion is None or s.ue.programme_year_id == promotion.pk
    ]
    days = []
    for offset in range(7):
        day = monday + dt.timedelta(days=offset)
        entries = [
            _entry(s, clashes, sessions)
            for s in shown
            if max(timezone.localdate(s.start), monday) == day
        ]
        days.append(Day(day=day, entries=entries))
    pairs = {(c.first.ref, c.second.ref) for s in shown for c in clashes.get(s.pk, ())}
    return render(
        request,
        "attendance/registrar/planning/week.html",
        {
            "monday": monday,
            "sunday": monday + dt.timedelta(days=6),
            "week": iso_week(monday),
            "days": days,
            "count": len(shown),
            "clash_count": len(pairs),
            "years": years,
            "promotion": promotion,
            "previous_url": week_url(monday - dt.timedelta(days=7), promotion_id),
            "next_url": week_url(monday + dt.timedelta(days=7), promotion_id),
            "today_url": week_url(monday_of(timezone.localdate()), promotion_id),
        },
    )


def _initial(request: HttpRequest) -> dict[str, Any]:
    """?ue=<id>&date=YYYY-MM-DD from the week view's links, when they make sense."""
    initial: dict[str, Any] = {}
    ue = request.GET.get("ue", "")
    if ue.isdigit():
        initial["ue"] = int(ue)
    try:
        day = dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return initial
    initial.update(day=day, first_day=day)
    return initial


def _fail(form: Form, exc: ValidationError) -> None:
    # A service's error names its field when the form has it; otherwise it goes on top.
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@registrar_required
def session_new(request: HttpRequest) -> HttpResponse:
    """Plan one session."""
    form = SessionCreateForm(request.POST or None, initial=_initial(request))
    if form.is_valid():
        data = form.cleaned_data
        start, end = form.spans()
        try:
            session = services.session_create(
                ue=data["ue"],
                title=data["title"],
                kind=data["kind"],
                makeup=data["makeup"],
                start=start,
                end=end,
                site=data["site"],
                room=data["room"],
                teachers=list(data["teachers"]),
                by=request.user,
            )
        except ValidationError as exc:
            _fail(form, exc)
        else:
            messages.success(
                request,
                _("Séance %(name)s créée.") % {"name": f"{session.ue.code} {session.key}"},
            )
            return redirect("attendance:registrar-session", session_id=session.pk)
    return render(
        request,
        "attendance/registrar/planning/session_new.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@dataclass(frozen=True)
class PreviewLine:
    start: dt.datetime
    end: dt.datetime
    clashes: list[ClashNote]


@registrar_required
def session_series(request: HttpRequest) -> HttpResponse:
    """A weekly series: the days are previewed (with clashes), then created on confirmation."""
    form = SeriesForm(request.POST or None, initial=_initial(request))
    preview: list[PreviewLine] = []
    skipped: list[dt.date] = []
    digest = ""
    if form.is_valid():
        data = form.cleaned_data
        plan = form.plan()
        arguments = _series_arguments(data, plan)
        digest = form.digest()
        confirmed = request.POST.get("action") == "confirm"
        try:
            if confirmed and request.POST.get("digest") == digest:
                sessions = services.session_series_create(**arguments, by=request.user)
                return _series_created(request, sessions, data["ue"])
            series = services.session_series_check(**arguments)
        except ValidationError as exc:
            _fail(form, exc)
        else:
            if confirmed:
                messages.warning(
                    request,
                    _("Le formulaire a changé depuis l'aperçu : vérifiez ce nouvel aperçu."),
                )
            preview = _series_preview(data, plan)
            skipped = list(series.skipped)
    return render(
        request,
        "attendance/registrar/planning/series.html",
        {
            "form": form,
            "preview": preview,
            "skipped": skipped,
            "digest": digest,
            "clash_count": sum(1 for line in preview if line.clashes),
        },
        status=400 if request.method == "POST" and form.errors else 200,
    )


def _series_arguments(data: dict[str, Any], plan: services.SeriesPlan) -> dict[str, Any]:
    """What the series form gives ``session_series_check`` and ``session_series_create``."""
    return {
        "ue": data["ue"],
        "title": data["title"],
        "kind": data["kind"],
        "makeup": data["makeup"],
        "plan": plan,
        "site": data["site"],
        "room": data["room"],
        "teachers": list(data["teachers"]),
    }


def _series_created(request: HttpRequest, sessions: list[Session], ue: UE) -> HttpResponse:
    """Say how many sessions were created, and show the week of the first one."""
    messages.success(
        request,
        ngettext(
            "%(n)d séance créée pour %(ue)s.",
            "%(n)d séances créées pour %(ue)s.",
            len(sessions),
        )
        % {"n": len(sessions), "ue": ue.code},
    )
    first = monday_of(timezone.localdate(sessions[0].start))
    return redirect(week_url(first, ue.programme_year_id))


def _series_preview(data: dict[str, Any], plan: services.SeriesPlan) -> list[PreviewLine]:
    """The series' days, each with its clashes against the planning and the other days."""
    spans = plan.spans()
    candidates = [
        rules.Slot(
            ref=f"new-{n}",
            start=start,
            end=end,
            site=data["site"],
            room=data["room"],
            teachers=frozenset(t.pk for t in data["teachers"]),
        )
        for n, (start, end) in enumerate(spans)
    ]
    clashes, known = selectors.planning_clashes(
        start=spans[0][0], end=spans[-1][1], extra=candidates
    )
    return [
        PreviewLine(start=s.start, end=s.end, clashes=_notes(s.ref, clashes, known))
        for s in candidates
    ]


def _teacher_ids(session: Session) -> list[int]:
    return [t.pk for t in session.teachers.all()]


@registrar_required
def session(request: HttpRequest, session_id: int) -> HttpResponse:
    """One session: what it is (edit), when and where (move, students e-mailed), cancel."""
    session = get_object_or_404(
        Session.objects.select_related("ue__programme_year__programme").prefetch_related(
            "teachers"
        ),
        pk=session_id,
    )
    action = request.POST.get("action")
    local_start, local_end = timezone.localtime(session.start), timezone.localtime(session.end)
    edit = SessionEditForm(
        request.POST if action == "edit" else None,
        ue=session.ue,
        initial={
            "title": session.title,
            "kind": session.kind,
            "makeup": session.makeup,
            "teachers": _teacher_ids(session),
        },
        prefix="edit",
    )
    move = PlanningMoveForm(
        request.POST if action == "move" else None,
        initial={
            "day": local_start.date(),
            "start_time": local_start.time(),
            "end_time": local_end.time(),
            "site": session.site,
            "room": session.room,
        },
        prefix="move",
    )
    cancel = SessionCancelForm(request.POST if action == "cancel" else None, prefix="cancel")
    if request.method == "POST":
        done = _session_post(request, session, action=action, edit=edit, move=move, cancel=cancel)
        if done is not None:
            messages.success(request, done)
            return redirect("attendance:registrar-session", session_id=session.pk)
    elif selectors.session_frozen(session):
        messages.warning(request, refusal(SESSIONS_FROZEN))
    clashes, sessions = selectors.planning_clashes(start=session.start, end=session.end)
    monday = monday_of(local_start.date())
    return render(
        request,
        "attendance/registrar/planning/session.html",
        {
            "session": session,
            "room": code_reading(code=session.room, site=session.site) or session.room,
            "clashes": _notes(session.pk, clashes, sessions),
            "edit": edit,
            "move": move,
            "cancel": cancel,
            "changes": session.changes.select_related("by"),
            "week_url": week_url(monday, session.ue.programme_year_id),
        },
        status=400 if request.method == "POST" else 200,
    )


def _session_post(
    request: HttpRequest,
    session: Session,
    *,
    action: str | None,
    edit: SessionEditForm,
    move: PlanningMoveForm,
    cancel: SessionCancelForm,
) -> str | None:
    """Run the posted action through its service; the success message, or None (errors are
    on the form)."""
    user = request.user
    try:
        if action == "edit" and edit.is_valid():
            data = edit.cleaned_data
            changed = services.session_edit(
                session=session,
                title=data["title"],
                kind=data["kind"],
                makeup=data["makeup"],
                teachers=list(data["teachers"]),
                by=user,
            )
            return _("Séance modifiée.") if changed else _("Rien n'a changé.")
        if action == "move" and move.is_valid():
            start, end = move.spans()
            services.session_move(
                session=session,
                start=start,
                end=end,
                site=move.cleaned_data["site"],
                room=move.cleaned_data["room"],
                reason=move.cleaned_data["reason"],
                by=user,
            )
            return _("Séance déplacée : les élèves de l'UE sont prévenu·es.")
        if action == "cancel" and cancel.is_valid():
            services.session_cancel(session=session, reason=cancel.cleaned_data["reason"], by=user)
            return _("Séance annulée : les élèves de l'UE sont prévenu·es.")
    except ValidationError as exc:
        form = {"edit": edit, "move": move, "cancel": cancel}[action or ""]
        _fail(form, exc)
    if action not in {"edit", "move", "cancel"}:
        messages.error(request, _("Action inconnue : rien n'a été modifié."))
    return None


urlpatterns: list[URLPattern] = [
    path("scolarite/planning/", planning, name="registrar-planning"),
    path("scolarite/planning/seances/nouvelle/", session_new, name="registrar-session-new"),
    path("scolarite/planning/series/nouvelle/", session_series, name="registrar-session-series"),
    path("scolarite/planning/seances/<int:session_id>/", session, name="registrar-session"),
]
