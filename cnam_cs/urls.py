from django.contrib import admin
from django.urls import include, path

from enrolment.views import auth

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("aide/", views.help_page, name="help"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("mentions-legales/", views.legal_notice, name="legal"),
    path("compte/", include(auth.urlpatterns)),
    path("i18n/setlang/", auth.set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("", include("enrolment.urls")),
    path("", include("attendance.urls")),
    # « Mes UE » (certification:staff-home, enseignant/) lives in certification: it reads grades
    # and rolls, which the grading app may not (imports run one way).
    path("", include("certification.urls")),
    path("", include("grading.urls")),
]
