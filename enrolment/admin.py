from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from lib.admin import ReadOnlyAdmin
from lib.forms import decimal_overrides

from . import catalogue, models, services, staffing
from .freeze import ENROLMENTS_FROZEN, UES_FROZEN, ensure_open, is_frozen, refusal
from .selectors import email_in_use
from .validators import EMAIL_UNAVAILABLE, check_free_text, normalise_email


def _clean_email(value: str, *, user_id: int | None) -> str:
    # The database constraints see one table each; an address is also refused when another
    # account holds it in the other table (SECURITY.md #29).
    address = normalise_email(value)
    if email_in_use(address, user_id=user_id):
        raise forms.ValidationError(EMAIL_UNAVAILABLE, code="email_unavailable")
    return address


@check_free_text
class PortalUserChangeForm(UserChangeForm):  # type: ignore[type-arg]
    class Meta(UserChangeForm.Meta):
        model = models.User

    def clean_email(self) -> str:
        return _clean_email(self.cleaned_data.get("email", ""), user_id=self.instance.pk)


@admin.register(models.User)
class PortalUserAdmin(UserAdmin):
    form = PortalUserChangeForm


FROZEN_RULES = ["pass_mark", "absence_threshold_pct", "justified_absences_count"]


class _CatalogueAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    """The catalogue service's checks (uniqueness, the year's format, the jury freeze) run on
    the admin's form, so that a refusal shows there; the save goes through the service."""

    def check(self) -> None:
        raise NotImplementedError

    def _post_clean(self) -> None:
        super()._post_clean()
        if self.errors:
            return
        try:
            self.check()
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                self.add_error(None, exc)
                return
            for field, errors in exc.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)


class ProgrammeAdminForm(_CatalogueAdminForm):
    def check(self) -> None:
        catalogue.programme_check(programme=self.instance)


class ProgrammeYearAdminForm(_CatalogueAdminForm):
    def check(self) -> None:
        catalogue.programme_year_check(programme_year=self.instance)


class UEAdminForm(_CatalogueAdminForm):
    def check(self) -> None:
        if self.instance.programme_year_id is not None:  # a new year's inline: checked on save
            catalogue.ue_check(ue=self.instance)


class UEInline(admin.TabularInline):
    model = models.UE
    form = UEAdminForm
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        frozen = obj is not None and obj.is_frozen
        return super().has_add_permission(request, obj) and not frozen

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The UE and their credits are what the jury decided on (§7b).
        frozen = obj is not None and obj.is_frozen
        return super().has_change_permission(request, obj) and not frozen

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting a UE would take it out of enrolments that the jury has frozen (§7b).
        frozen = obj is not None and obj.is_frozen
        return super().has_delete_permission(request, obj) and not frozen


@admin.register(models.Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    form = ProgrammeAdminForm
    list_display = ["code", "title", "managing_unit"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        catalogue.programme_save(programme=obj, by=request.user)  # type: ignore[arg-type]


@admin.register(models.ProgrammeYear)
class ProgrammeYearAdmin(admin.ModelAdmin):
    form = ProgrammeYearAdminForm
    list_display = ["programme", "year", "pass_mark", "absence_threshold_pct", "frozen_at"]
    inlines = [UEInline]
    formfield_overrides = decimal_overrides()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.is_frozen:
            fields += FROZEN_RULES  # the rules the jury decided with (§7b)
        return fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        catalogue.programme_year_save(programme_year=obj, by=request.user)  # type: ignore[arg-type]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not models.UE:
            super().save_formset(request, form, formset, change)
            return
        for ue in formset.save(commit=False):
            catalogue.ue_save(ue=ue, by=request.user)  # type: ignore[arg-type]
        for ue in formset.deleted_objects:
            ue.delete()


@admin.register(models.UE)
class UEAdmin(admin.ModelAdmin):
    form = UEAdminForm
    list_display = ["code", "title", "credits", "programme_year"]
    list_filter = ["programme_year"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.programme_year.is_frozen:
            # Moving it or changing its credits would change frozen results (§7b).
            fields += ["programme_year", "credits"]
        return fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        frozen = obj is not None and obj.programme_year.is_frozen
        return super().has_delete_permission(request, obj) and not frozen

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        catalogue.ue_save(ue=obj, by=request.user)  # type: ignore[arg-type]


class DiplomaInline(admin.TabularInline):
    model = models.PriorDiploma
    extra = 0


@check_free_text
class StudentProfileAdminForm(forms.ModelForm):
    # No Meta: the admin builds it with every field of the model.
    def clean_email(self) -> str:
        user = self.cleaned_data.get("user")
        user_id = user.pk if user is not None else self.instance.user_id
        return _clean_email(self.cleaned_data.get("email", ""), user_id=user_id)


@admin.register(models.StudentProfile)
class StudentProfileAdmin(admin.ModelAdmin):
    form = StudentProfileAdminForm
    list_display = ["number", "last_name", "first_name", "email", "tiers_temps"]
    search_fields = ["number", "last_name", "first_name", "email"]
    inlines = [DiplomaInline]


class PaymentInline(admin.TabularInline):
    model = models.Payment
    extra = 0
    can_delete = False
    formfield_overrides = decimal_overrides(display_places=2)

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # refunds are negative payments, never edits


class StatusChangeInline(admin.TabularInline):
    model = models.EnrolmentStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "at", "by", "reason"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class EnrolmentAdminForm(forms.ModelForm):
    class Meta:
        model = models.Enrolment
        fields = ["student", "programme_year", "ues", "fees_due"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # Before _post_clean the instance still holds the stored cohort.
        stored = self.instance.programme_year_id if self.instance.pk else None
        wanted = data.get("programme_year")
        if stored is not None and "ues" in self.changed_data:
            ensure_open(stored, UES_FROZEN)
        if stored is not None and wanted is not None and wanted.pk != stored:
            ensure_open(stored, ENROLMENTS_FROZEN)
        if wanted is not None and wanted.pk != stored:
            ensure_open(wanted.pk, ENROLMENTS_FROZEN)
        ues = data.get("ues")
        if wanted is not None and any(ue.programme_year_id != wanted.pk for ue in ues or []):
            self.add_error("ues", "Une UE choisie n'appartient pas à cette promotion.")
        return data


@admin.register(models.Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    """Fees, payments and status stay open after the jury; the cohort, the student and the UE of
    a deliberated enrolment are read-only (RULES.md §7b)."""

    form = EnrolmentAdminForm
    formfield_overrides = decimal_overrides(display_places=2)
    list_display = ["student", "programme_year", "status", "fees_due"]
    list_filter = ["programme_year", "status"]
    search_fields = ["student__number", "student__last_name"]
    readonly_fields = ["status"]
    inlines = [PaymentInline, StatusChangeInline]

    def _frozen(self, obj: models.Enrolment | None) -> bool:
        return obj is not None and obj.pk is not None and is_frozen(obj.programme_year_id)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if self._frozen(obj):
            fields += ["student", "programme_year", "ues"]
        return fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and not self._frozen(obj)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        if request.method == "GET" and self._frozen(self.get_object(request, object_id)):
            messages.info(request, refusal(UES_FROZEN))
        return super().change_view(request, object_id, form_url, extra_context)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The UE go through the service, which refuses them for a frozen cohort.
        if "ues" in form.cleaned_data:
            services.enrolment_set_ues(
                enrolment=form.instance, ues=form.cleaned_data["ues"], by=request.user
            )
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


class StaffAssignmentAdminForm(forms.ModelForm):
    class Meta:
        model = models.StaffAssignment
        fields = ["user", "ue"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        user, ue = data.get("user"), data.get("ue")
        if self.instance.pk is None and user is not None and ue is not None:
            refusal = staffing.assignment_refusal(user=user, ue=ue)
            if refusal is not None:
                raise forms.ValidationError(refusal)
        return data


@admin.register(models.StaffAssignment)
class StaffAssignmentAdmin(admin.ModelAdmin):
    """Adding and deleting go through ``staffing``: the history and the journal follow."""

    form = StaffAssignmentAdminForm
    list_display = ["user", "ue"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # An assignment is given or taken off, never moved to another person or UE.
        return ["user", "ue"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            saved = staffing.assignment_add(user=obj.user, ue=obj.ue, by=request.user)
            obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        staffing.assignment_remove(user=obj.user, ue=obj.ue, by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with transaction.atomic():
            for obj in queryset.select_related("user", "ue__programme_year"):
                staffing.assignment_remove(user=obj.user, ue=obj.ue, by=request.user)


@admin.register(models.Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["key", "recipient", "sent_at"]
    readonly_fields = ["key", "recipient", "subject", "sent_at"]


@admin.register(models.PriorDiploma)
class PriorDiplomaAdmin(admin.ModelAdmin):
    list_display = ["title", "student", "institution", "year", "at_cnam"]
    search_fields = ["title", "student__number", "student__last_name"]


@admin.register(models.Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["enrolment", "date", "amount", "means", "reason"]
    formfield_overrides = decimal_overrides(display_places=2)
    list_filter = ["means", "enrolment__programme_year"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # refunds are negative payments, never edits

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(models.EnrolmentStatusChange)
class EnrolmentStatusChangeAdmin(admin.ModelAdmin):
    # The dated history the student sees: written by the registrar's pages, never edited.
    list_display = ["enrolment", "from_status", "to_status", "at", "by", "reason"]
    readonly_fields = ["enrolment", "from_status", "to_status", "at", "by", "reason"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(models.StaffAssignmentChange)
class StaffAssignmentChangeAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "user", "ue", "by"]


@admin.register(models.AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "by", "action", "summary", "programme_year"]
    list_filter = ["action", "programme_year"]


@admin.register(models.RosterImport)
class RosterImportAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "programme_year", "filename", "created", "invited", "state"]


class MessageRecipientInline(admin.TabularInline):
    model = models.MessageRecipient
    fields = ["user", "email", "sent_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(models.Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "author", "programme_year", "audience", "subject", "state"]
    inlines = [MessageRecipientInline]


@admin.register(models.MessageRecipient)
class MessageRecipientAdmin(ReadOnlyAdmin):
    list_display = ["message", "email", "sent_at"]
