"""Staff pages of the attendance app."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
