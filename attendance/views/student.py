"""Student pages of the attendance app: planning (with its iCalendar), assiduité, and the
justification of an absence."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from enrolment.access import not_found, student_context, student_required
from enrolment.freeze import is_frozen
from enrolment.selectors import default_enrolment, student_enrolment_list
from lib.body_limits import body_limit
from lib.links import absolute_url
from lib.numbers import count, plain_percent

from .. import planning, selectors, services
from ..forms import JustificationRequestForm, document_max_bytes
from ..models import Attendance, JustificationRequest
from ..rules import format_rate

# The new feed secret waits here between the POST that made it and the one page that shows it.
NEW_FEED_TOKEN = "attendance.new-feed-token"


@student_required
def planning_page(request: HttpRequest) -> HttpResponse:
    ctx = student_context(request)
    context = ctx.as_dict()
    # Shown once: popped from the session, then only its hash remains (SECURITY.md #33).
    token = request.session.pop(NEW_FEED_TOKEN, None)
    if ctx.enrolment is not None:
        now = timezone.now()
        sessions = planning.student_sessions(ctx.enrolment)
        weeks = planning.by_week(sessions)
        today = timezone.localdate(now)
        context.update(
            weeks=[w for w in weeks if w.sunday >= today],
            past_weeks=[w for w in weeks if w.sunday < today],
            now=now,
            feed=planning.feed_link(request.user),
        )
        if token is not None:
            # The configured public address, never the Host header the page was asked with.
            context["feed_url"] = absolute_url(
                reverse("attendance:student-planning-feed", args=[token])
            )
    return render(request, "attendance/student/planning.html", context)


def _ics_response(body: bytes, *, filename: str, attachment: bool) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


@student_required
def planning_ics(request: HttpRequest) -> HttpResponse:
    ctx = student_context(request)
    if ctx.enrolment is None:
        raise Http404
    body = planning.ics_calendar(
        planning.student_sessions(ctx.enrolment),
        name=f"Cnam {ctx.enrolment.programme_year}",
        now=timezone.now(),
    )
    return _ics_response(body, filename="planning-cnam.ics", attachment=True)


@require_POST
@student_required
def planning_feed_rotate(request: HttpRequest) -> HttpResponse:
    """« Générer un nouveau lien »: the previous link answers 404 from now on."""
    request.session[NEW_FEED_TOKEN] = services.calendar_feed_rotate(user=request.user)
    messages.success(
        request, _("Nouveau lien d'abonnement créé. Tout lien précédent ne fonctionne plus.")
    )
    return redirect(reverse("attendance:student-planning") + "#abonnement")


@require_POST
@student_required
def planning_feed_revoke(request: HttpRequest) -> HttpResponse:
    services.calendar_feed_revoke(user=request.user)
    request.session.pop(NEW_FEED_TOKEN, None)
    messages.success(request, _("Abonnement désactivé : le lien ne fonctionne plus."))
    return redirect(reverse("attendance:student-planning") + "#abonnement")


def planning_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The same calendar for a phone's subscription: the secret token stands for a sign-in."""
    student = planning.feed_student(token)
    if student is None:
        raise Http404
    enrolment = default_enrolment(student_enrolment_list(student))
    if enrolment is None:
        raise Http404
    body = planning.ics_calendar(
        planning.student_sessions(enrolment),
        name=f"Cnam {enrolment.programme_year}",
        now=timezone.now(),
    )
    response = _ics_response(body, filename="planning-cnam.ics", attachment=False)
    response["Cache-Control"] = "no-store, private"
    return response


@student_required
def attendance_page(request: HttpRequest) -> HttpResponse:
    ctx = student_context(request)
    context = ctx.as_dict()
    if ctx.enrolment is not None:
        now = timezone.now()
        absence = selectors.enrolment_absence_rate(ctx.enrolment, now=now)
        requests = selectors.latest_justification_requests(ctx.enrolment)
        rows = planning.held_sessions(ctx.enrolment, now=now)
        context.update(
            # Each held session with the latest justification sent for its absence, if any.
            lines=[(r, requests.get(r.attendance.pk) if r.attendance else None) for r in rows],
            # After the jury (§7b) the absences of sessions held stay as they are.
            can_justify=not is_frozen(ctx.enrolment.programme_year_id),
            absence=absence,
            rate=format_rate(absence.rate_display),
            threshold=plain_percent(absence.threshold_pct),
            missed=count(absence.missed_minutes),
            held=count(absence.held_minutes),
        )
    return render(request, "attendance/student/attendance.html", context)


@student_required
@body_limit(document_max_bytes)
def justify_page(request: HttpRequest, attendance_id: int) -> HttpResponse:
    """Send the justification of one of one's absences (PDF, JPEG or PNG, checked by content).

    Another student's absence is a 404 with a log line.
    """
    attendance = (
        Attendance.objects.select_related("session__ue", "enrolment")
        .filter(enrolment__student__user_id=request.user.pk, pk=attendance_id)
        .first()
    )
    if attendance is None:
        raise not_found(request, f"absence={attendance_id}")
    history = list(attendance.justification_requests.all())
    pending = any(r.status == JustificationRequest.Status.PENDING for r in history)
    open_to_justify = (
        attendance.presence == Attendance.Presence.ABSENT
        and not attendance.justified
        and not pending
        and not selectors.session_frozen(attendance.session)
    )
    form = JustificationRequestForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.justification_request_submit(
                attendance=attendance,
                document=form.cleaned_data["document"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Justificatif envoyé : l'enseignant·e de l'UE ou la scolarité va l'examiner."),
            )
            return redirect("attendance:student-attendance")
    return render(
        request,
        "attendance/student/justify.html",
        {
            "attendance": attendance,
            "session": attendance.session,
            "history": history,
            "pending": pending,
            "open_to_justify": open_to_justify,
            "frozen": selectors.session_frozen(attendance.session),
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )


urlpatterns: list[URLPattern] = [
    path("eleve/planning/", planning_page, name="student-planning"),
    path("eleve/planning.ics", planning_ics, name="student-planning-ics"),
    path(
        "eleve/planning/abonnement/nouveau-lien/",
        planning_feed_rotate,
        name="student-planning-feed-rotate",
    ),
    path(
        "eleve/planning/abonnement/desactiver/",
        planning_feed_revoke,
        name="student-planning-feed-revoke",
    ),
    path("calendrier/<str:token>/planning.ics", planning_feed, name="student-planning-feed"),
    path("eleve/assiduite/", attendance_page, name="student-attendance"),
    path(
        "eleve/assiduite/absences/<int:attendance_id>/justifier/",
        justify_page,
        name="student-justify",
    ),
]
