from .views import catalogue, documents, journal, registrar, roster, staff, student

app_name = "enrolment"
urlpatterns = [
    *documents.urlpatterns,
    *student.urlpatterns,
    *registrar.urlpatterns,
    *catalogue.urlpatterns,
    *staff.urlpatterns,
    *journal.urlpatterns,
    *roster.urlpatterns,
]
