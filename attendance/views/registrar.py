"""Registrar pages of the attendance app: the students' justifications waiting for a decision."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path

from enrolment.access import registrar_required

from .. import selectors


@registrar_required
def justifications(request: HttpRequest) -> HttpResponse:
    """Every justification sent by a student and still waiting for a decision."""
    pending = list(selectors.pending_justification_requests(request.user))
    return render(request, "attendance/registrar/justifications.html", {"pending": pending})


urlpatterns: list[URLPattern] = [
    path("scolarite/justificatifs/", justifications, name="registrar-justifications"),
]
