from .views import documents, registrar, staff, student

app_name = "attendance"
urlpatterns = [
    *documents.urlpatterns,
    *student.urlpatterns,
    *staff.urlpatterns,
    *registrar.urlpatterns,
]
