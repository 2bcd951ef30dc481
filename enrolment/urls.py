from .views import documents, registrar, student

app_name = "enrolment"
urlpatterns = [
    *documents.urlpatterns,
    *student.urlpatterns,
    *registrar.urlpatterns,
]
