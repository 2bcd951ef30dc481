"""Staff pages of the grading app: assessments, grid entry, spreadsheets, history.

Every object is fetched through a queryset filtered by the user's UE assignments, so another
UE's assessment or grade answers 404; a user who teaches nothing gets 403.
"""

import json
import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.text import slugify
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from enrolment.access import staff_required
from lib.body_limits import body_limit
from lib.spreadsheet_safety import XLSX_TYPE, SpreadsheetRejected

from .. import codes, rules, selectors, services, spreadsheets
from ..forms import AssessmentForm, GridFormSet, ImportForm, import_max_bytes
from ..models import Grade
from ..services import GradeChange, GradeWriteError, MakeupNotEntitledError

logger = logging.getLogger(__name__)
IMPORT_SESSION_KEY = "grading-import-{}"


def _assessment(request: HttpRequest, assessment_id: int) -> Any:
    return get_object_or_404(selectors.staff_assessments(request.user), pk=assessment_id)


@staff_required
def assessment_create(request: HttpRequest, ue_id: int) -> HttpResponse:
    ue = get_object_or_404(selectors.staff_ues(request.user), pk=ue_id)
    form = AssessmentForm(request.POST or None, ue=ue)
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.assessment_save(form=form)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, gettext("Évaluation %(key)s créée.") % {"key": assessment.key}
            )
            return redirect("grading:staff-grid", assessment_id=assessment.pk)
    return render(request, "grading/staff/assessment_form.html", {"form": form, "ue": ue})


@staff_required
def assessment_edit(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = _assessment(request, assessment_id)
    form = AssessmentForm(request.POST or None, instance=assessment, ue=assessment.ue)
    if request.method == "POST" and form.is_valid():
        try:
            services.assessment_save(form=form)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, gettext("Évaluation %(key)s enregistrée.") % {"key": assessment.key}
            )
            return redirect("grading:staff-grid", assessment_id=assessment.pk)
    return render(
        request,
        "grading/staff/assessment_form.html",
        {"form": form, "ue": assessment.ue, "assessment": assessment},
    )


def _initial(grid: selectors.Grid) -> list[dict[str, object]]:
    out = []
    for row in grid.rows:
        grade = row.grade
        out.append(
            {
                "enrolment": row.enrolment.pk,
                "version": row.version,
                "status": grade.status if grade else Grade.Status.GRADED,
                "value": rules.format_grade(grade.value)
                if grade and grade.value is not None
                else "",
                "report": grade.plagiarism_report if grade else "",
            }
        )
    return out


def _formset(grid: selectors.Grid, data: Any = None) -> Any:
    formset = GridFormSet(
        data,
        initial=_initial(grid),
        allowed={row.enrolment.pk for row in grid.rows},
        has_grade={row.enrolment.pk for row in grid.rows if row.grade is not None},
    )
    # A locked mark's row is read-only (grades_apply refuses it anyway); after the jury, the
    # one mark unlocked for correction stays editable (RULES.md §7b).
    locked = {row.enrolment.pk for row in grid.rows if row.grade is not None and row.grade.locked}
    for form in formset.forms:
        if grid.locked or form.initial.get("enrolment") in locked:
            for field in form.fields.values():
                field.disabled = True
    return formset


def _lines(
    grid: selectors.Grid, formset: Any, conflicts: dict[int, Any]
) -> list[tuple[selectors.GridRow, Any, Any]]:
    """Each grid row with its form (matched by enrolment id, whatever order was posted) and
    its conflict, if any."""
    by_enrolment = {str(form["enrolment"].value()): form for form in formset.forms}
    return [
        (row, by_enrolment.get(str(row.enrolment.pk)), conflicts.get(row.enrolment.pk))
        for row in grid.rows
    ]


def _render_grid(
    request: HttpRequest,
    grid: selectors.Grid,
    formset: Any,
    *,
    conflicts: dict[int, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "grading/staff/grid.html",
        {
            "assessment": grid.assessment,
            "grid": grid,
            "formset": formset,
            "lines": _lines(grid, formset, conflicts or {}),
            "conflicts": conflicts or {},
            # grid.js reads the codes from here: one list (grading/codes.py), not two.
            "status_codes": json.dumps(codes.STATUS_OF_CODE),
            "codes_hint": codes.codes_hint(),
        },
        status=status,
    )


@staff_required
def grid(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = _assessment(request, assessment_id)
    current = selectors.assessment_grid(assessment)
    if request.method != "POST":
        return _render_grid(request, current, _formset(current))
    if current.locked:
        messages.error(
            request, gettext("Notes verrouillées après le jury : aucune saisie possible.")
        )
        return redirect("grading:staff-grid", assessment_id=assessment.pk)
    formset = _formset(current, request.POST)
    if not formset.is_valid():
        messages.error(request, gettext("Rien n'a été enregistré : corrigez les lignes signalées."))
        return _render_grid(request, current, formset, status=400)
    changes = [
        GradeChange(
            assessment_id=assessment.pk,
            enrolment_id=form.cleaned_data["enrolment"],
            status=form.cleaned_data["status"],
            value=form.parsed_value,
            plagiarism_report=form.cleaned_data.get("report", "").strip(),
            expected_version=form.cleaned_data["version"],
        )
        for form in formset.forms
        if form.is_entry
    ]
    try:
        report = services.grid_save(assessment=assessment, rows=changes, by=request.user)
    except GradeWriteError as exc:
        return _conflicted(request, assessment, exc)
    except MakeupNotEntitledError as exc:
        # The original entry changed since the page was read: show the make-up's list again.
        messages.error(request, exc.message)
        return redirect("grading:staff-grid", assessment_id=assessment.pk)
    saved = report.created + report.changed
    messages.success(
        request,
        ngettext(
            "%(n)d note enregistrée en brouillon.", "%(n)d notes enregistrées en brouillon.", saved
        )
        % {"n": saved}
        if saved
        else gettext("Aucune modification."),
    )
    return redirect("grading:staff-grid", assessment_id=assessment.pk)


def _conflicted(request: HttpRequest, assessment: Any, exc: GradeWriteError) -> HttpResponse:
    """Re-show the grid: the other person's value and ours side by side on each refused row.

    The refused rows now carry the current version, so saving again is a deliberate choice.
    """
    fresh = selectors.assessment_grid(assessment)
    conflicts = {c.enrolment_id: c for c in exc.conflicts}
    rows = {row.enrolment.pk: row for row in fresh.rows}
    data = request.POST.copy()
    total = int(data.get("form-TOTAL_FORMS", "0") or 0)
    for i in range(total):
        raw = data.get(f"form-{i}-enrolment", "")
        if not str(raw).isdigit() or int(raw) not in conflicts or int(raw) not in rows:
            continue
        row = rows[int(raw)]
        data[f"form-{i}-version"] = str(row.version)
        if row.grade is not None:
            data[f"initial-form-{i}-status"] = row.grade.status
            data[f"initial-form-{i}-value"] = (
                rules.format_grade(row.grade.value) if (row.grade.value is not None) else ""
            )
    formset = _formset(fresh, data)
    formset.is_valid()
    shown = {
        enrolment_id: {
            "current": _label(c.current_status, c.current_value),
            "wanted": _label(c.wanted_status, c.wanted_value),
            "locked": c.reason == "locked",
        }
        for enrolment_id, c in conflicts.items()
    }
    messages.error(
        request,
        "Rien n'a été enregistré : quelqu'un a modifié certaines notes depuis l'ouverture de la "
        "page. Comparez les deux valeurs sur les lignes signalées, puis enregistrez à nouveau.",
    )
    return _render_grid(request, fresh, formset, conflicts=shown, status=409)


def _label(status: str | None, value: Any) -> str:
    if status is None:
        return "—"
    if status == Grade.Status.GRADED:
        return rules.format_grade(value)
    return str(Grade.Status(status).label)


@staff_required
@require_http_methods(["GET", "POST"])
def publish(request: HttpRequest, assessment_id: int) -> HttpResponse:
    """Two steps: the page says what publishing will do (grades shown, e-mails sent); only a
    POST carrying ``confirm=1`` publishes. Anything else shows that page and changes nothing."""
    assessment = _assessment(request, assessment_id)
    preview = selectors.publish_preview(assessment)
    if request.method == "POST" and request.POST.get("confirm") == "1":
        if not preview.to_publish:
            # Nothing new to show: no e-mail either, whatever was published before.
            messages.info(request, gettext("Aucune note à publier : aucun e-mail envoyé."))
            return redirect("grading:staff-grid", assessment_id=assessment.pk)
        count = services.grades_publish(assessment=assessment, by=request.user)
        messages.success(
            request,
            ngettext(
                "%(n)s note publiée : l'élève la voit désormais.",
                "%(n)s notes publiées : les élèves les voient désormais.",
                count,
            )
            % {"n": count},
        )
        return redirect("grading:staff-grid", assessment_id=assessment.pk)
    return render(
        request,
        "grading/staff/publish_confirm.html",
        {"assessment": assessment, "preview": preview},
    )


@staff_required
def assessment_history(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = _assessment(request, assessment_id)
    lines = selectors.history_lines(selectors.assessment_history(assessment)[:1000])
    return render(
        request,
        "grading/staff/history.html",
        {"assessment": assessment, "lines": lines, "grade": None},
    )


@staff_required
def grade_history(request: HttpRequest, grade_id: int) -> HttpResponse:
    grade = get_object_or_404(
        selectors.staff_grades(request.user).select_related("assessment__ue", "enrolment__student"),
        pk=grade_id,
    )
    return render(
        request,
        "grading/staff/history.html",
        {
            "assessment": grade.assessment,
            "grade": grade,
            "lines": selectors.history_lines(selectors.grade_history(grade)),
        },
    )


@staff_required
def export(request: HttpRequest, assessment_id: int, fmt: str) -> HttpResponse:
    if fmt not in ("xlsx", "csv"):
        raise Http404
    assessment = _assessment(request, assessment_id)
    current = selectors.assessment_grid(assessment)
    name = slugify(f"notes-{assessment.ue.code}-{assessment.key}") or "notes"
    if fmt == "xlsx":
        response = HttpResponse(spreadsheets.export_xlsx(current), content_type=XLSX_TYPE)
    else:
        response = HttpResponse(
            spreadsheets.export_csv(current), content_type="text/csv; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@staff_required
@body_limit(import_max_bytes)
def import_upload(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = _assessment(request, assessment_id)
    current = selectors.assessment_grid(assessment)
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {
        "assessment": assessment,
        "form": form,
        "grid": current,
        "codes_hint": codes.codes_hint(),
    }
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            table = spreadsheets.read_table(upload.read(settings.MAX_UPLOAD_BYTES + 1))
        except SpreadsheetRejected as exc:
            form.add_error("file", exc.message)
        else:
            preview = spreadsheets.import_preview(current, table)
            filename = (upload.name or "fichier")[:100]
            if preview.can_apply:
                request.session[IMPORT_SESSION_KEY.format(assessment.pk)] = {
                    **preview.to_session(assessment),
                    "filename": filename,
                }
            else:
                request.session.pop(IMPORT_SESSION_KEY.format(assessment.pk), None)
            context.update({"preview": preview, "filename": filename})
            return render(request, "grading/staff/import_preview.html", context)
    return render(request, "grading/staff/import.html", context)


@staff_required
@require_POST
def import_apply(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = _assessment(request, assessment_id)
    payload = request.session.pop(IMPORT_SESSION_KEY.format(assessment.pk), None)
    back = reverse("grading:staff-import", kwargs={"assessment_id": assessment.pk})
    if not payload or payload.get("assessment") != assessment.pk:
        messages.error(request, gettext("Aucun aperçu en attente : déposez à nouveau le fichier."))
        return redirect(back)
    try:
        report = services.import_apply(
            assessment=assessment,
            payload=payload,
            by=request.user,
            filename=str(payload.get("filename", "")),
        )
    except GradeWriteError as exc:
        messages.error(
            request,
            ngettext(
                "Rien n'a été importé : %(n)d note a changé ou a été verrouillée depuis "
                "l'aperçu. Exportez à nouveau le fichier.",
                "Rien n'a été importé : %(n)d notes ont changé ou ont été verrouillées depuis "
                "l'aperçu. Exportez à nouveau le fichier.",
                len(exc.conflicts),
            )
            % {"n": len(exc.conflicts)},
        )
        return redirect(back)
    except MakeupNotEntitledError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    saved = report.created + report.changed
    messages.success(
        request,
        ngettext(
            "Import appliqué : %(n)d note enregistrée.",
            "Import appliqué : %(n)d notes enregistrées.",
            saved,
        )
        % {"n": saved},
    )
    return redirect("grading:staff-grid", assessment_id=assessment.pk)


urlpatterns: list[URLPattern] = [
    path(
        "enseignant/ue/<int:ue_id>/evaluations/nouvelle/",
        assessment_create,
        name="staff-assessment-create",
    ),
    path(
        "enseignant/evaluations/<int:assessment_id>/modifier/",
        assessment_edit,
        name="staff-assessment-edit",
    ),
    path("enseignant/evaluations/<int:assessment_id>/notes/", grid, name="staff-grid"),
    path("enseignant/evaluations/<int:assessment_id>/publier/", publish, name="staff-publish"),
    path(
        "enseignant/evaluations/<int:assessment_id>/historique/",
        assessment_history,
        name="staff-assessment-history",
    ),
    path("enseignant/notes/<int:grade_id>/historique/", grade_history, name="staff-grade-history"),
    path(
        "enseignant/evaluations/<int:assessment_id>/export.<str:fmt>",
        export,
        name="staff-export",
    ),
    path("enseignant/evaluations/<int:assessment_id>/import/", import_upload, name="staff-import"),
    path(
        "enseignant/evaluations/<int:assessment_id>/import/appliquer/",
        import_apply,
        name="staff-import-apply",
    ),
]
