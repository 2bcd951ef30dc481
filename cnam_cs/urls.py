from django.contrib import admin
from django.urls import include, path

from enrolment.views import auth

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("compte/", include(auth.urlpatterns)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("enrolment.urls")),
    path("", include("attendance.urls")),
    path("", include("grading.urls")),
    path("", include("certification.urls")),
]
