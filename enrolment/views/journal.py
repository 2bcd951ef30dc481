"""The registrar's journal: who did what, when, in the year-setup screens."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path

from lib.formats import long_date_hour

from .. import journal
from ..access import registrar_required
from ..staff_forms import JournalFilterForm

PER_PAGE = 50


@registrar_required
def journal_list(request: HttpRequest) -> HttpResponse:
    form = JournalFilterForm(request.GET or None, families=journal.family_choices())
    programme_year_id, family = None, ""
    if form.is_bound and form.is_valid():
        year = form.cleaned_data["programme_year"]
        programme_year_id = year.pk if year is not None else None
        family = form.cleaned_data["family"]
    page = Paginator(
        journal.journal_entries(programme_year_id=programme_year_id, family=family), PER_PAGE
    ).get_page(request.GET.get("page"))
    rows = [
        (
            entry,
            long_date_hour(entry.at),
            str(journal.FAMILY_LABELS.get(journal.family_of(entry.action), "")),
        )
        for entry in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "enrolment/registrar/journal.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


urlpatterns: list[URLPattern] = [
    path("scolarite/journal/", journal_list, name="registrar-journal"),
]
