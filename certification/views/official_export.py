"""The registrar's download of the cohort's results for the official information system
(``certification.official_export``; the layout is documented in docs/exports.md)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from enrolment.access import registrar_required
from enrolment.models import ProgrammeYear
from lib.downloads import ascii_filename

from .. import official_export

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": official_export.XLSX_TYPE}


@registrar_required
def registrar_official_export(
    request: HttpRequest, programme_year_id: int, fmt: str
) -> HttpResponse:
    """CSV or XLSX: provisional before the jury deliberates, final after (STATUT_EXPORT)."""
    if fmt not in CONTENT_TYPES:
        raise Http404(_("Format inconnu : CSV ou XLSX."))
    py = get_object_or_404(ProgrammeYear.objects.select_related("programme"), pk=programme_year_id)
    export = official_export.official_export(py)
    data = official_export.as_xlsx(export) if fmt == "xlsx" else official_export.as_csv(export)
    response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = (
        f'attachment; filename="{ascii_filename(export.filename_stem, extension=fmt)}"'
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns: list[URLPattern] = [
    path(
        "scolarite/jurys/<int:programme_year_id>/export-officiel.<str:fmt>",
        registrar_official_export,
        name="registrar-official-export",
    ),
]
