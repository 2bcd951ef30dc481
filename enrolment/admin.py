from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from . import models


@admin.register(models.User)
class PortalUserAdmin(UserAdmin):
    pass


class UEInline(admin.TabularInline):
    model = models.UE
    extra = 0


@admin.register(models.Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "managing_unit"]


@admin.register(models.ProgrammeYear)
class ProgrammeYearAdmin(admin.ModelAdmin):
    list_display = ["programme", "year", "pass_mark", "absence_threshold_pct"]
    inlines = [UEInline]


@admin.register(models.UE)
class UEAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "credits", "programme_year"]
    list_filter = ["programme_year"]


class DiplomaInline(admin.TabularInline):
    model = models.PriorDiploma
    extra = 0


@admin.register(models.StudentProfile)
class StudentProfileAdmin(admin.ModelAdmin):
    list_display = ["number", "last_name", "first_name", "email", "tiers_temps"]
    search_fields = ["number", "last_name", "first_name", "email"]
    inlines = [DiplomaInline]


class PaymentInline(admin.TabularInline):
    model = models.Payment
    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # refunds are negative payments, never edits


class StatusChangeInline(admin.TabularInline):
    model = models.EnrolmentStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "at", "by", "reason"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(models.Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ["student", "programme_year", "status", "fees_due"]
    list_filter = ["programme_year", "status"]
    search_fields = ["student__number", "student__last_name"]
    readonly_fields = ["status"]
    inlines = [PaymentInline, StatusChangeInline]


@admin.register(models.StaffAssignment)
class StaffAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "ue"]


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
