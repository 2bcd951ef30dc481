"""Staff pages of the certification app: the per-UE cohort, grades beside absences.

The page combines grading and attendance, two peers that never import each other, so it
belongs to the top app; its path stays under ``enseignant/``.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, path

from enrolment.access import staff_required
from grading.selectors import staff_ues

from ..board import staff_board
from ..cohort import ue_cohort


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    """« Mes UE »: per UE, what is left to do (grades to enter or publish, rolls to take)."""
    return render(request, "certification/staff/home.html", {"board": staff_board(request.user)})


@staff_required
def ue_cohort_page(request: HttpRequest, ue_id: int) -> HttpResponse:
    ue = get_object_or_404(staff_ues(request.user), pk=ue_id)
    cohort = ue_cohort(ue)
    return render(request, "certification/staff/cohort.html", {"ue": ue, "cohort": cohort})


urlpatterns: list[URLPattern] = [
    # Served before grading's patterns (cnam_cs/urls.py), whose ``staff-home`` names this path.
    path("enseignant/", home, name="staff-home"),
    path("enseignant/ue/<int:ue_id>/", ue_cohort_page, name="staff-ue"),
]
