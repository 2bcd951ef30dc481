"""« Ouvrir l'année suivante »: the preview (GET) and the opening (POST) of the next year."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from enrolment.access import registrar_required
from enrolment.models import ProgrammeYear

from ..year_opening import year_open_next, year_opening_preview


@registrar_required
def year_open(request: HttpRequest, programme_year_id: int) -> HttpResponse:
    source = get_object_or_404(
        ProgrammeYear.objects.select_related("programme"), pk=programme_year_id
    )
    error = None
    if request.method == "POST":
        try:
            new = year_open_next(programme_year=source, by=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request,
                _(
                    "Promotion %(programme)s %(year)s ouverte : réglages, frais, UE et plan "
                    "d'évaluation repris de %(source)s. Vérifiez les dates des évaluations."
                )
                % {"programme": source.programme.code, "year": new.year, "source": source.year},
            )
            return redirect("enrolment:registrar-catalogue-year", programme_year_id=new.pk)
    preview = year_opening_preview(source)
    return render(
        request,
        "certification/registrar/year_opening.html",
        {"preview": preview, "source": source, "error": error},
        status=400 if error else 200,
    )


urlpatterns: list[URLPattern] = [
    path(
        "scolarite/catalogue/annees/<int:programme_year_id>/ouvrir-suivante/",
        year_open,
        name="registrar-year-open",
    ),
]
