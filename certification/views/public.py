"""Public pages: certificate verification (no sign-in)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
