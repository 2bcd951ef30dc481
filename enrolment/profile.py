"""The one write a student makes on their own record: contact and professional situation."""

from django.db import transaction

from .models import StudentProfile

EDITABLE_FIELDS = ("email", "phone", "address", "employment", "employer", "job_title")


@transaction.atomic
def profile_update(
    *,
    student: StudentProfile,
    email: str,
    phone: str = "",
    address: str = "",
    employment: str = "",
    employer: str = "",
    job_title: str = "",
) -> StudentProfile:
    """Change the student's contact and professional data; identity fields never move here.

    Raises ``ValidationError`` (French messages) and saves nothing when a value is refused.
    """
    locked = StudentProfile.objects.select_for_update().get(pk=student.pk)
    locked.email = email.strip()
    locked.phone = phone.strip()
    locked.address = address.strip()
    locked.employment = employment
    locked.employer = employer.strip()
    locked.job_title = job_title.strip()
    locked.full_clean()
    locked.save(update_fields=list(EDITABLE_FIELDS))
    return locked
