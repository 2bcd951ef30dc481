from .views import (
    documents,
    messages,
    official_export,
    personal_data,
    public,
    registrar,
    staff,
    student,
    year_opening,
)

app_name = "certification"
urlpatterns = [
    *documents.urlpatterns,
    *public.urlpatterns,
    *student.urlpatterns,
    *staff.urlpatterns,
    *registrar.urlpatterns,
    *messages.urlpatterns,
    *official_export.urlpatterns,
    *year_opening.urlpatterns,
    *personal_data.urlpatterns,
]
