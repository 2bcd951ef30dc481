"""The student's grades: published only, per UE and assessment, with the UE results."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path

from enrolment.access import student_context, student_required

from ..lines import grade_sheet


@student_required
def grades_page(request: HttpRequest) -> HttpResponse:
    ctx = student_context(request)
    context = ctx.as_dict()
    if ctx.enrolment is not None:
        # The same lines, statuses and jury decision as the relevé de notes.
        context["sheet"] = grade_sheet(ctx.enrolment)
    return render(request, "grading/student/grades.html", context)


urlpatterns: list[URLPattern] = [
    path("eleve/notes/", grades_page, name="student-grades"),
]
