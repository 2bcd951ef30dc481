"""The registrar's catalogue: programmes, their years and the years' UE (``enrolment.catalogue``).

The views read the form and call the service; a refusal (uniqueness, the year's format, the
jury freeze) comes back as a French message on the form, nothing written.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _

from ..access import registrar_required
from ..catalogue import (
    catalogue_programmes,
    programme_save,
    programme_year_save,
    ue_save,
    year_following,
    year_ues,
)
from ..catalogue_forms import ProgrammeForm, ProgrammeYearForm, UEForm
from ..models import UE, Programme, ProgrammeYear, User

Crumb = tuple[str, str | None]


@registrar_required
def catalogue(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "enrolment/registrar/catalogue/index.html",
        {"programmes": catalogue_programmes()},
    )


def _form_page(
    request: HttpRequest,
    form: ModelForm,  # type: ignore[type-arg]
    *,
    save: Callable[..., Any],
    done: Callable[[Any], tuple[str, str]],
    heading: str,
    crumbs: list[Crumb],
    cancel: str,
    intro: str = "",
) -> HttpResponse:
    """The one create-or-edit flow: valid form → service → message and redirect."""
    if request.method == "POST" and form.is_valid():
        user: User = request.user  # type: ignore[assignment]
        try:
            saved = save(form.instance, user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            message, url = done(saved)
            messages.success(request, message)
            return redirect(url)
    context = {
        "form": form,
        "heading": heading,
        "crumbs": crumbs,
        "cancel": cancel,
        "intro": intro,
    }
    return render(request, "enrolment/registrar/catalogue/form.html", context)


def _catalogue_crumbs(*more: Crumb) -> list[Crumb]:
    return [
        (_("Scolarité"), reverse("enrolment:registrar-home")),
        (_("Catalogue"), reverse("enrolment:registrar-catalogue")),
        *more,
    ]


def _year_url(py: ProgrammeYear) -> str:
    return reverse("enrolment:registrar-catalogue-year", args=[py.pk])


@registrar_required
def programme_edit(request: HttpRequest, programme_id: int | None = None) -> HttpResponse:
    programme = (
        get_object_or_404(Programme, pk=programme_id) if programme_id is not None else Programme()
    )
    creating = programme.pk is None
    form = ProgrammeForm(request.POST or None, instance=programme)
    heading = (
        _("Nouveau programme")
        if creating
        else _("Modifier le programme %(code)s") % {"code": programme.code}
    )
    return _form_page(
        request,
        form,
        save=lambda p, by: programme_save(programme=p, by=by),
        done=lambda p: (
            (_("Programme %(code)s créé.") if creating else _("Programme %(code)s enregistré."))
            % {"code": p.code},
            reverse("enrolment:registrar-catalogue"),
        ),
        heading=heading,
        crumbs=_catalogue_crumbs((heading, None)),
        cancel=reverse("enrolment:registrar-catalogue"),
    )


def _programme_year(programme_year_id: int) -> ProgrammeYear:
    return get_object_or_404(
        ProgrammeYear.objects.select_related("programme", "opened_from"), pk=programme_year_id
    )


@registrar_required
def year_create(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = get_object_or_404(Programme, pk=programme_id)
    latest = programme.years.order_by("-year").first()
    initial: dict[str, Any] = {}
    if latest is not None:
        # The usual settings of the programme, taken from its latest year.
        initial = {
            "pass_mark": latest.pass_mark,
            "absence_threshold_pct": latest.absence_threshold_pct,
            "justified_absences_count": latest.justified_absences_count,
            "fees": latest.fees,
        }
    form = ProgrammeYearForm(
        request.POST or None, instance=ProgrammeYear(programme=programme), initial=initial
    )
    heading = _("Nouvelle année de %(code)s") % {"code": programme.code}
    return _form_page(
        request,
        form,
        save=lambda py, by: programme_year_save(programme_year=py, by=by),
        done=lambda py: (_("Promotion %(name)s créée.") % {"name": py}, _year_url(py)),
        heading=heading,
        crumbs=_catalogue_crumbs((heading, None)),
        cancel=reverse("enrolment:registrar-catalogue"),
        intro=_(
            "Pour reprendre les UE et le plan d'évaluation d'une année existante, utilisez "
            "plutôt « Ouvrir l'année suivante » depuis la page de cette année."
        ),
    )


@registrar_required
def year_detail(request: HttpRequest, programme_year_id: int) -> HttpResponse:
    py = _programme_year(programme_year_id)
    ues = year_ues(py)
    counts = dict(
        UE.objects.filter(programme_year=py).annotate(n=Count("enrolments")).values_list("pk", "n")
    )
    totals = UE.objects.filter(programme_year=py).aggregate(credits=Sum("credits"))
    return render(
        request,
        "enrolment/registrar/catalogue/year.html",
        {
            "py": py,
            "ues": [(ue, counts.get(ue.pk, 0)) for ue in ues],
            "credits": totals["credits"] or 0,
            "following": year_following(py),
            "opened": list(py.opened_years.order_by("year")),
        },
    )


@registrar_required
def year_edit(request: HttpRequest, programme_year_id: int) -> HttpResponse:
    py = _programme_year(programme_year_id)
    form = ProgrammeYearForm(request.POST or None, instance=py)
    heading = _("Modifier la promotion %(name)s") % {"name": py}
    return _form_page(
        request,
        form,
        save=lambda p, by: programme_year_save(programme_year=p, by=by),
        done=lambda p: (_("Promotion %(name)s enregistrée.") % {"name": p}, _year_url(p)),
        heading=heading,
        crumbs=_catalogue_crumbs((str(py), _year_url(py)), (_("Modifier"), None)),
        cancel=_year_url(py),
    )


@registrar_required
def ue_create(request: HttpRequest, programme_year_id: int) -> HttpResponse:
    py = _programme_year(programme_year_id)
    form = UEForm(request.POST or None, instance=UE(programme_year=py), programme_year=py)
    heading = _("Nouvelle UE en %(name)s") % {"name": py}
    return _form_page(
        request,
        form,
        save=lambda ue, by: ue_save(ue=ue, by=by),
        done=lambda ue: (_("UE %(code)s créée.") % {"code": ue.code}, _year_url(py)),
        heading=heading,
        crumbs=_catalogue_crumbs((str(py), _year_url(py)), (_("Nouvelle UE"), None)),
        cancel=_year_url(py),
    )


@registrar_required
def ue_edit(request: HttpRequest, ue_id: int) -> HttpResponse:
    ue = get_object_or_404(UE.objects.select_related("programme_year__programme"), pk=ue_id)
    py = ue.programme_year
    form = UEForm(request.POST or None, instance=ue, programme_year=py)
    heading = _("Modifier l'UE %(code)s") % {"code": ue.code}
    return _form_page(
        request,
        form,
        save=lambda u, by: ue_save(ue=u, by=by),
        done=lambda u: (_("UE %(code)s enregistrée.") % {"code": u.code}, _year_url(py)),
        heading=heading,
        crumbs=_catalogue_crumbs((str(py), _year_url(py)), (ue.code, None)),
        cancel=_year_url(py),
    )


urlpatterns: list[URLPattern] = [
    path("scolarite/catalogue/", catalogue, name="registrar-catalogue"),
    path(
        "scolarite/catalogue/programmes/nouveau/",
        programme_edit,
        name="registrar-catalogue-programme-create",
    ),
    path(
        "scolarite/catalogue/programmes/<int:programme_id>/",
        programme_edit,
        name="registrar-catalogue-programme-edit",
    ),
    path(
        "scolarite/catalogue/programmes/<int:programme_id>/annees/nouvelle/",
        year_create,
        name="registrar-catalogue-year-create",
    ),
    path(
        "scolarite/catalogue/annees/<int:programme_year_id>/",
        year_detail,
        name="registrar-catalogue-year",
    ),
    path(
        "scolarite/catalogue/annees/<int:programme_year_id>/modifier/",
        year_edit,
        name="registrar-catalogue-year-edit",
    ),
    path(
        "scolarite/catalogue/annees/<int:programme_year_id>/ue/nouvelle/",
        ue_create,
        name="registrar-catalogue-ue-create",
    ),
    path(
        "scolarite/catalogue/ue/<int:ue_id>/",
        ue_edit,
        name="registrar-catalogue-ue-edit",
    ),
]
