"""Admin of the planning and the rolls. Once the jury has deliberated on a cohort, its sessions
already held and their rolls are read-only here (RULES.md §7b); writes go through the
attendance services, which refuse them too."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from enrolment.freeze import SESSIONS_FROZEN, refusal
from enrolment.validators import check_free_text
from lib.admin import ReadOnlyAdmin
from lib.formats import long_date

from . import models, services
from .selectors import session_frozen


@check_free_text
class SessionAdminForm(forms.ModelForm):
    class Meta:
        model = models.Session
        fields = ["ue", "key", "title", "kind", "start", "end", "site", "room", "cancelled"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # Before _post_clean the instance still holds the stored values, read by the check.
        wanted = models.Session(pk=self.instance.pk, ue=data.get("ue"), end=data.get("end"))
        if data.get("ue") is not None:
            services.session_ensure_open(session=wanted, new_end=data.get("end"), lock=False)
        elif self.instance.pk is not None:
            services.session_ensure_open(session=self.instance, lock=False)
        return data


@check_free_text
class AttendanceAdminForm(forms.ModelForm):
    class Meta:
        model = models.Attendance
        fields = [
            "session",
            "enrolment",
            "presence",
            "minutes_missed",
            "justified",
            "justification_reason",
            "justification_document",
            "recorded_by",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        sessions = {data.get("session")}
        if self.instance.pk is not None:
            sessions.add(self.instance.session)
        for session in sessions - {None}:
            services.session_ensure_open(session=session, lock=False)
        return data


class _PurgeNoteMixin:
    """Says when the retention purge deleted the file (attendance/retention.py)."""

    @admin.display(description=_("conservation du justificatif"))
    def purge_note(self, obj: models.Attendance | models.JustificationRequest) -> str:
        if obj.purged_at is None:
            return "—"
        return gettext("justificatif supprimé le %(day)s (durée de conservation)") % {
            "day": long_date(obj.purged_at)
        }


class _FrozenSessionMixin:
    """Read-only and undeletable once frozen; the reason is shown on the page."""

    def _session_of(self, obj: Any) -> models.Session | None:
        raise NotImplementedError

    def _frozen(self, obj: Any) -> bool:
        session = self._session_of(obj) if obj is not None else None
        return session is not None and session_frozen(session)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and not self._frozen(obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and not self._frozen(obj)  # type: ignore[misc]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        obj = self.get_object(request, object_id)  # type: ignore[attr-defined]
        if request.method == "GET" and self._frozen(obj):
            messages.warning(request, refusal(SESSIONS_FROZEN))
        return super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]


@admin.register(models.Session)
class SessionAdmin(_FrozenSessionMixin, admin.ModelAdmin):
    form = SessionAdminForm
    list_display = ["key", "ue", "kind", "start", "end", "site", "room", "cancelled"]
    list_filter = ["ue__programme_year", "ue", "kind", "site", "cancelled"]

    def _session_of(self, obj: models.Session) -> models.Session:
        return obj

    def save_model(
        self, request: HttpRequest, obj: models.Session, form: Any, change: bool
    ) -> None:
        services.session_write(session=obj)

    def delete_model(self, request: HttpRequest, obj: models.Session) -> None:
        services.session_delete(session=obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with transaction.atomic():
            for session in queryset:
                services.session_delete(session=session)


@admin.register(models.SessionChange)
class SessionChangeAdmin(admin.ModelAdmin):
    list_display = ["session", "kind", "at", "by"]


@admin.register(models.Attendance)
class AttendanceAdmin(_PurgeNoteMixin, _FrozenSessionMixin, admin.ModelAdmin):
    form = AttendanceAdminForm
    list_display = ["session", "enrolment", "presence", "minutes_missed", "justified"]
    readonly_fields = ["purge_note"]
    list_filter = ["presence", "justified"]

    def _session_of(self, obj: models.Attendance) -> models.Session:
        return obj.session

    def save_model(
        self, request: HttpRequest, obj: models.Attendance, form: Any, change: bool
    ) -> None:
        services.attendance_write(attendance=obj)

    def delete_model(self, request: HttpRequest, obj: models.Attendance) -> None:
        services.attendance_delete(attendance=obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with transaction.atomic():
            for attendance in queryset:
                services.attendance_delete(attendance=attendance)


@admin.register(models.CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    """Read-only but deletable: deleting a row revokes the student's calendar link."""

    list_display = ["user", "created_at"]
    search_fields = ["user__username"]
    fields = ["user", "created_at"]  # the hash and the stamp are of no use to a person
    readonly_fields = ["user", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(models.JustificationRequest)
class JustificationRequestAdmin(_PurgeNoteMixin, ReadOnlyAdmin):
    """Read-only: students send requests from their pages, the UE's teachers and registrars
    decide on the staff pages (through the services, which respect the jury's freeze)."""

    list_display = ["attendance", "status", "created_at", "decided_by", "decided_at"]
    list_filter = ["status", "attendance__session__ue"]
    search_fields = [
        "attendance__enrolment__student__number",
        "attendance__enrolment__student__last_name",
    ]
    date_hierarchy = "created_at"
    readonly_fields = ["purge_note"]
    list_select_related = [
        "attendance__session__ue",
        "attendance__enrolment__student",
        "decided_by",
    ]
