"""Student pages of the enrolment app, and the access rules every student page shares.

Every student page is scoped to ``request.user.student``: an id that is not theirs is a 404
with a log line (SECURITY.md #1). The dashboard, which gathers every app, lives in
``certification.views.student`` (imports run enrolment ← attendance, grading ← certification).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from .. import selectors
from ..forms import ProfileForm
from ..models import Enrolment, StudentProfile
from ..profile import profile_update
from ..roles import is_student

logger = logging.getLogger("cnam_cs.security")

View = Callable[..., HttpResponse]


def _clean(text: str) -> str:
    # Log lines stay single (SECURITY.md #24).
    return text.replace("\r", "\\r").replace("\n", "\\n").replace("\x00", "\\0")[:300]


def not_found(request: HttpRequest, what: str) -> Http404:
    """A 404 for a student reaching what is not theirs, with a single-line log entry."""
    logger.warning(
        "student %s refused %s on %s",
        request.user.pk,
        _clean(what),
        _clean(request.get_full_path()),
    )
    return Http404()


def student_required(view: View) -> View:
    """Anonymous → sign-in page; a signed-in user who is not a student → 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_student(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@dataclass(frozen=True)
class StudentContext:
    student: StudentProfile
    enrolments: list[Enrolment]
    enrolment: Enrolment | None

    def as_dict(self) -> dict[str, Any]:
        return {"student": self.student, "enrolments": self.enrolments, "enrolment": self.enrolment}


def student_context(request: HttpRequest) -> StudentContext:
    """The student, their enrolments, and the one chosen by ``?inscription=`` among them."""
    student: StudentProfile = request.user.student  # type: ignore[union-attr]
    enrolments = list(selectors.student_enrolments(student))
    raw = request.GET.get("inscription")
    if raw is None:
        return StudentContext(student, enrolments, selectors.default_enrolment(enrolments))
    chosen = next((e for e in enrolments if str(e.pk) == raw), None)
    if chosen is None:
        raise not_found(request, f"inscription={raw}")
    return StudentContext(student, enrolments, chosen)


@student_required
def enrolment_page(request: HttpRequest) -> HttpResponse:
    ctx = student_context(request)
    context = ctx.as_dict()
    if ctx.enrolment is not None:
        context["detail"] = selectors.enrolment_detail(ctx.enrolment)
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
    context = ctx.as_dict() | {"form": form, "at_cnam": at_cnam, "elsewhere": elsewhere}
    return render(request, "enrolment/student/profile.html", context)


urlpatterns: list[URLPattern] = [
    path("eleve/inscription/", enrolment_page, name="student-enrolment"),
    path("eleve/mes-donnees/", profile, name="student-profile"),
]
