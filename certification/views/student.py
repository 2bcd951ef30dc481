"""Student pages of the certification app."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
