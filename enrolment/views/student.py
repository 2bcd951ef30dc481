"""Student pages of the enrolment app.

Every student page is scoped to ``request.user.student`` (``enrolment.access``). The
dashboard, which gathers every app, lives in ``certification.views.student`` (imports run
enrolment ← attendance, grading ← certification).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import selectors, services
from ..access import student_context, student_required
from ..catalogue import ue_descriptions
from ..forms import NotificationPreferencesForm, ProfileForm
from ..models import User
from ..profile import profile_update


@student_required
def enrolment_page(request: HttpRequest) -> HttpResponse:
    ctx = student_context(request)
    context = ctx.as_dict()
    if ctx.enrolment is not None:
        context["detail"] = selectors.enrolment_detail(ctx.enrolment)
        context["descriptions"] = ue_descriptions(context["detail"].ues)
    return render(request, "enrolment/student/enrolment.html", context)


@student_required
def profile(request: HttpRequest) -> HttpResponse:
    ctx = student_context(request)
    student = ctx.student
    form = ProfileForm(request.POST if request.method == "POST" else None, instance=student)
    if request.method == "POST" and form.is_valid():
        try:
            profile_update(student=student, **{f: form.cleaned_data[f] for f in form.fields})
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Vos coordonnées ont été enregistrées."))
            return redirect("enrolment:student-profile")
    if request.method == "POST":
        student.refresh_from_db()  # the form wrote into the instance: show the saved record
    at_cnam, elsewhere = selectors.prior_diplomas(student)
    context = ctx.as_dict() | {
        "form": form,
        "at_cnam": at_cnam,
        "elsewhere": elsewhere,
        "notifications_form": _notifications_form(request.user),
    }
    return render(request, "enrolment/student/profile.html", context)


def _notifications_form(user: User) -> NotificationPreferencesForm:
    return NotificationPreferencesForm(
        initial={
            "notify_grades": user.notify_grades,
            "notify_sessions": user.notify_sessions,
            "notify_absences": user.notify_absences,
        }
    )


@require_POST
@student_required
def notification_preferences(request: HttpRequest) -> HttpResponse:
    form = NotificationPreferencesForm(request.POST)
    form.is_valid()  # three check boxes: an unticked or unknown value reads « non »
    data = form.cleaned_data
    services.notification_preferences_set(
        user=request.user,
        grades=bool(data.get("notify_grades")),
        sessions=bool(data.get("notify_sessions")),
        absences=bool(data.get("notify_absences")),
    )
    messages.success(request, _("Vos préférences d'e-mail ont été enregistrées."))
    return redirect(reverse("enrolment:student-profile") + "#notifications")


urlpatterns: list[URLPattern] = [
    path("eleve/inscription/", enrolment_page, name="student-enrolment"),
    path("eleve/mes-donnees/", profile, name="student-profile"),
    path(
        "eleve/mes-donnees/notifications/",
        notification_preferences,
        name="student-notifications",
    ),
]
