"""The one write a student makes on their own record: contact and professional situation."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from .models import StudentProfile
from .selectors import email_in_use
from .validators import EMAIL_UNAVAILABLE, normalise_email

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

    Raises ``ValidationError`` (French messages) and saves nothing when a value is refused; an
    address another account holds gets a message that does not say whose it is.
    """
    locked = StudentProfile.objects.select_for_update().get(pk=student.pk)
    locked.email = normalise_email(email)
    locked.phone = phone.strip()
    locked.address = address.strip()
    locked.employment = employment
    locked.employer = employer.strip()
    locked.job_title = job_title.strip()
    if email_in_use(locked.email, user_id=locked.user_id):
        raise ValidationError({"email": EMAIL_UNAVAILABLE})
    locked.full_clean()
    try:
        with transaction.atomic():
            locked.save(update_fields=list(EDITABLE_FIELDS))
    except IntegrityError as exc:  # the same address saved by someone else meanwhile
        raise ValidationError({"email": EMAIL_UNAVAILABLE}) from exc
    return locked
