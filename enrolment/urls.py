from .views import documents, registrar, staff, student

app_name = "enrolment"
urlpatterns = [
    *documents.urlpatterns,
    *student.urlpatterns,
    *staff.urlpatterns,
    *registrar.urlpatterns,
]
