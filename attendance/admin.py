from django.contrib import admin

from . import models


@admin.register(models.Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["key", "ue", "kind", "start", "end", "site", "room", "cancelled"]
    list_filter = ["ue__programme_year", "ue", "kind", "site", "cancelled"]


@admin.register(models.SessionChange)
class SessionChangeAdmin(admin.ModelAdmin):
    list_display = ["session", "kind", "at", "by"]


@admin.register(models.Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ["session", "enrolment", "presence", "minutes_missed", "justified"]
    list_filter = ["presence", "justified"]
