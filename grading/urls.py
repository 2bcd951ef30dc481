from .views import documents, registrar, staff, student

app_name = "grading"
urlpatterns = [
    *documents.urlpatterns,
    *student.urlpatterns,
    *staff.urlpatterns,
    *registrar.urlpatterns,
]
