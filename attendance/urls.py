from .views import registrar, staff, student

app_name = "attendance"
urlpatterns = [
    *student.urlpatterns,
    *staff.urlpatterns,
    *registrar.urlpatterns,
]
