from django.contrib import admin

from lib.admin import ReadOnlyAdmin

from . import models


@admin.register(models.Jury)
class JuryAdmin(ReadOnlyAdmin):
    """A deliberation is evidence: read-only here; the registrar's jury page records them."""

    list_display = ["programme_year", "sequence", "kind", "deliberated_at"]
    readonly_fields = [f.name for f in models.Jury._meta.fields]


@admin.register(models.Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ["number", "enrolment", "issued_on", "revoked_at"]
    # An issued certificate is frozen: only the registrar pages revoke it.
    readonly_fields = [f.name for f in models.Certificate._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(models.BulkIssueJob)
class BulkIssueJobAdmin(admin.ModelAdmin):
    list_display = ["programme_year", "status", "done", "total", "created_at"]


@admin.register(models.BulkIssueChunk)
class BulkIssueChunkAdmin(admin.ModelAdmin):
    """Read-only: chunks are written by the workers (``certification.bulk``) only."""

    list_display = ["job", "index", "status", "done", "attempts", "heartbeat_at", "finished_at"]
    list_filter = ["status"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(models.CertificateCounter)
class CertificateCounterAdmin(admin.ModelAdmin):
    # Numbers are never reused: the counter only moves forward through issuance.
    list_display = ["programme_year", "last_number"]
    readonly_fields = ["programme_year", "last_number"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(models.PersonalDataExport)
class PersonalDataExportAdmin(ReadOnlyAdmin):
    """The record of an access request (RGPD): written by ``certification.personal_data`` only."""

    list_display = ["student", "status", "on_behalf", "created_at", "expires_at"]
    list_filter = ["status", "on_behalf"]
