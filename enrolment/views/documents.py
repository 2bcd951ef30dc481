"""PDF documents of the enrolment app."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
