"""Who may open a page: the role decorators and the student context every app's views share.

It lives in enrolment, the lowest app, and outside any views module, so that attendance,
grading and certification never import another app's views (tests/test_architecture.py).
Every student page is scoped to ``request.user.student``: an id that is not theirs is a 404
with a log line (SECURITY.md #1).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from . import selectors
from .models import Enrolment, StudentProfile
from .roles import AnyUser, is_registrar, is_student, is_teacher

logger = logging.getLogger("cnam_cs.security")

View = Callable[..., HttpResponseBase]
RoleCheck = Callable[[AnyUser], bool]


def role_required(*roles: RoleCheck) -> Callable[[View], View]:
    """Anonymous → sign-in page; signed in without any of ``roles`` → 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not any(role(request.user) for role in roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def is_superuser(user: AnyUser) -> bool:
    return user.is_authenticated and user.is_superuser


student_required = role_required(is_student)
registrar_required = role_required(is_registrar)
# Attendance rolls: only the UE's teachers.
teacher_required = role_required(is_teacher)
# Grading and certification staff pages: teachers, and registrars who oversee every UE.
staff_required = role_required(is_teacher, is_registrar)
# The UE's teachers and registrars decide on students' justifications.
decider_required = role_required(is_teacher, is_registrar, is_superuser)


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
    enrolments = selectors.student_enrolment_list(student)
    raw = request.GET.get("inscription")
    if raw is None:
        return StudentContext(student, enrolments, selectors.default_enrolment(enrolments))
    chosen = next((e for e in enrolments if str(e.pk) == raw), None)
    if chosen is None:
        raise not_found(request, f"inscription={raw}")
    return StudentContext(student, enrolments, chosen)
