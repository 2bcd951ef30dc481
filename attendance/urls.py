from .views import planning, registrar, signing, staff, student

app_name = "attendance"
urlpatterns = [
    *student.urlpatterns,
    *staff.urlpatterns,
    *registrar.urlpatterns,
    *planning.urlpatterns,
    *signing.urlpatterns,
]
