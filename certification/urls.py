from .views import documents, public, registrar, staff, student

app_name = "certification"
urlpatterns = [
    *documents.urlpatterns,
    *public.urlpatterns,
    *student.urlpatterns,
    *staff.urlpatterns,
    *registrar.urlpatterns,
]
