"""Who is who: the three roles of the portal, answered from the database, never from a page."""

from django.contrib.auth.models import AnonymousUser

from .models import StaffAssignment, User

AnyUser = User | AnonymousUser


def is_student(user: AnyUser) -> bool:
    return user.is_authenticated and hasattr(user, "student")


def is_teacher(user: AnyUser) -> bool:
    """Staff who teach at least one UE (grading and attendance, for those UE only)."""
    return user.is_authenticated and StaffAssignment.objects.filter(user_id=user.pk).exists()


def is_registrar(user: AnyUser) -> bool:
    """Admins of EPN12: enrolments, fees, jury, certificates."""
    return user.is_authenticated and user.is_active and user.has_perm("enrolment.registrar")


def roles_of(user: AnyUser) -> frozenset[str]:
    roles = set()
    if is_student(user):
        roles.add("student")
    if is_teacher(user):
        roles.add("teacher")
    if is_registrar(user):
        roles.add("registrar")
    return frozenset(roles)
