"""A URL configuration where « help » lives elsewhere (tests/test_once_tag.py)."""

from django.urls import include, path

urlpatterns = [path("ailleurs/", include("cnam_cs.urls"))]
