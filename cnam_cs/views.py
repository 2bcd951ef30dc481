"""Home: each role lands on its own page."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from enrolment.roles import roles_of

ROLE_HOMES = (
    ("student", "certification:student-dashboard"),
    ("registrar", "enrolment:registrar-home"),
    ("teacher", "grading:staff-home"),
)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    roles = roles_of(request.user)
    for role, name in ROLE_HOMES:
        if role in roles:
            try:
                return redirect(reverse(name))
            except NoReverseMatch:
                continue
    return render(request, "home.html", {"roles": roles})
