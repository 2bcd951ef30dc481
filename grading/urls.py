from .views import documents, staff, student

app_name = "grading"
urlpatterns = [
    *documents.urlpatterns,
    *student.urlpatterns,
    *staff.urlpatterns,
]
