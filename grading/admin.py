"""Admin of grades: every change goes through ``grades_apply`` so that it is in the history;
the history itself is read-only for everyone."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from enrolment.freeze import ASSESSMENTS_FROZEN, ensure_open, is_frozen, refusal
from enrolment.validators import check_free_text
from lib.admin import ReadOnlyAdmin
from lib.forms import decimal_overrides

from . import rules
from .models import Assessment, Grade, GradeHistory
from .services import (
    GradeChange,
    GradeWriteError,
    Source,
    assessment_delete,
    assessment_write,
    grades_apply,
)


def _frozen(assessment: Assessment | None) -> bool:
    return (
        assessment is not None
        and assessment.pk is not None
        and is_frozen(assessment.ue.programme_year_id)
    )


@check_free_text
class AssessmentAdminForm(forms.ModelForm):
    class Meta:
        model = Assessment
        fields = ["ue", "key", "title", "kind", "weight", "date", "makeup_of"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # Before _post_clean, the instance still holds the stored UE: both cohorts are checked.
        ue = data.get("ue")
        for programme_year_id in {
            self.instance.ue.programme_year_id if self.instance.pk else None,
            ue.programme_year_id if ue is not None else None,
        } - {None}:
            ensure_open(programme_year_id, ASSESSMENTS_FROZEN)
        return data


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    """A deliberated cohort's assessments are read-only here (RULES.md §7b); writes go through
    the grading services, which refuse them too."""

    form = AssessmentAdminForm
    formfield_overrides = decimal_overrides()
    list_display = ["key", "ue", "kind", "weight", "date", "makeup_of"]
    list_filter = ["ue__programme_year", "ue", "kind"]

    def has_change_permission(self, request: HttpRequest, obj: Assessment | None = None) -> bool:
        return super().has_change_permission(request, obj) and not _frozen(obj)

    def has_delete_permission(self, request: HttpRequest, obj: Assessment | None = None) -> bool:
        return super().has_delete_permission(request, obj) and not _frozen(obj)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        obj = self.get_object(request, object_id)
        if request.method == "GET" and _frozen(obj):
            messages.warning(request, refusal(ASSESSMENTS_FROZEN))
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Assessment, form: Any, change: bool) -> None:
        assessment_write(assessment=obj)

    def delete_model(self, request: HttpRequest, obj: Assessment) -> None:
        assessment_delete(assessment=obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with transaction.atomic():
            for assessment in queryset.select_related("ue"):
                assessment_delete(assessment=assessment)


@check_free_text
class GradeAdminForm(forms.ModelForm):
    # The raw text goes through the one grade-input rule: Django's DecimalField would accept
    # « 1_0 », « 1e1 » or full-width digits (SECURITY.md #7).
    value = forms.CharField(label="Note", required=False, max_length=10)
    opened_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(label="Motif de la modification", max_length=500)

    class Meta:
        model = Grade
        fields = ["assessment", "enrolment", "status", "plagiarism_report"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["opened_version"].initial = self.instance.version
            if self.instance.value is not None:
                self.fields["value"].initial = rules.format_grade(self.instance.value)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.instance.pk and self.instance.locked:
            raise ValidationError("Note verrouillée après le jury : déverrouillez-la d'abord.")
        if self.instance.pk and data.get("opened_version") != self.instance.version:
            raise ValidationError(
                "Cette note a été modifiée par quelqu'un d'autre depuis l'ouverture de la page : "
                "rechargez-la."
            )
        status, text = data.get("status"), (data.get("value") or "").strip()
        data["value"] = None
        if status == Grade.Status.GRADED:
            try:
                data["value"] = rules.parse_grade(text)
            except rules.GradeInputError as exc:
                self.add_error("value", exc.message)
        elif text:
            self.add_error("value", "Une note chiffrée va avec le statut « Noté ».")
        if status == Grade.Status.PLAGIARISM and not (data.get("plagiarism_report") or "").strip():
            self.add_error("plagiarism_report", "Le plagiat exige un court rapport.")
        return data

    def validate_unique(self) -> None:
        # grades_apply merges a new pair into the existing grade: no duplicate can arise.
        pass


@admin.register(Grade)
class GradeAdmin(admin.ModelAdmin):
    form = GradeAdminForm
    list_display = ["assessment", "enrolment", "status", "value", "published", "locked", "version"]
    list_filter = ["assessment__ue", "status", "published", "locked"]
    readonly_fields = ["published", "locked", "version", "updated_at", "updated_by"]
    raw_id_fields = ["enrolment"]

    def get_readonly_fields(self, request: HttpRequest, obj: Grade | None = None) -> list[str]:
        fields = list(self.readonly_fields)
        if obj is not None:
            fields += ["assessment", "enrolment"]
        return fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Grade, form: Any, change: bool) -> None:
        data = form.cleaned_data
        # The version read when the form was opened: a concurrent edit is refused, not lost.
        expected = data.get("opened_version")
        try:
            report = grades_apply(
                changes=[
                    GradeChange(
                        assessment_id=obj.assessment_id,
                        enrolment_id=obj.enrolment_id,
                        status=data["status"],
                        value=data.get("value"),
                        plagiarism_report=data.get("plagiarism_report") or "",
                        expected_version=expected if change else None,
                    )
                ],
                by=request.user,  # type: ignore[arg-type]
                source=Source.ADMIN,
                reason=data["reason"],
                allow_locked=False,
            )
        except GradeWriteError as exc:
            messages.error(
                request, _("Note refusée : elle a changé entre-temps ou est verrouillée.")
            )
            raise ValidationError("conflict") from exc
        if report.grades:
            obj.pk = report.grades[0].pk
        elif obj.pk is None:
            obj.pk = (
                Grade.objects.filter(assessment_id=obj.assessment_id, enrolment_id=obj.enrolment_id)
                .values_list("pk", flat=True)
                .first()
            )
        obj.refresh_from_db()


@admin.register(GradeHistory)
class GradeHistoryAdmin(ReadOnlyAdmin):
    list_display = ["grade", "at", "by", "source", "action", "old_value", "new_value", "reason"]
    list_filter = ["source", "action"]
