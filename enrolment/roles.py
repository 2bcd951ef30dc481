"""Who is who: the three roles of the portal, answered from the database, never from a page.

The facts (a student profile, a UE taught, the registrar permission given to the user or to
one of their groups) are read with the signed-in user, in the query that loads it from the
session (``enrolment.auth``), or in one query the first time another user object is asked
about; they are kept on that object — on ``request.user``, for the rest of the request, as
Django keeps ``has_perm``'s permissions. The student profile is kept too, so that
``request.user.student`` costs no other query. ``forget_roles`` drops them after a change
within the same request.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, Permission
from django.db.models import Exists, OuterRef, Q, QuerySet

from lib.prepared import Prepared, columns, instance

from .models import StaffAssignment, StudentProfile, User

AnyUser = User | AnonymousUser

REGISTRAR_PERMISSION = ("enrolment", "registrar")  # "enrolment.registrar"
_CACHE = "_cnam_role_facts"


@dataclass(frozen=True)
class _Facts:
    """What the database says of a user; the user's own flags are read at each question."""

    student: bool
    teacher: bool
    registrar_permission: bool


def _registrar_permission(user: OuterRef) -> Q:
    app_label, codename = REGISTRAR_PERMISSION
    permissions = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return Exists(permissions.filter(user=user)) | Exists(permissions.filter(group__user=user))


_PROFILE_FIELDS = tuple(StudentProfile._meta.concrete_fields)


def _with_facts(user_id: int) -> QuerySet[User]:
    """The user's row with the facts: the profile's columns (NULL for staff), teaches a UE,
    has the registrar permission."""
    return User.objects.filter(pk=user_id).annotate(
        _teaches=Exists(StaffAssignment.objects.filter(user_id=OuterRef("pk"))),
        _registrar=_registrar_permission(OuterRef("pk")),
    )


_FACT_COLUMNS = (*(f"student__{f.name}" for f in _PROFILE_FIELDS), "_teaches", "_registrar")
# The facts of a user already loaded (a user object from elsewhere than the session).
_FACTS = Prepared(lambda user_id: _with_facts(user_id).values_list(*_FACT_COLUMNS))
# The signed-in user and the facts in one read: what the session's backend loads on every
# request (enrolment.auth), so that no page asks again.
_USER_AND_FACTS = Prepared(
    lambda user_id: _with_facts(user_id).values_list(*columns(User), *_FACT_COLUMNS)
)


def _keep(user: User, row: Sequence[Any]) -> _Facts:
    """Keep on ``user`` the facts of ``row`` (``_FACT_COLUMNS``) and its student profile."""
    *profile_values, teaches, registrar = row
    student_field = User._meta.get_field("student")
    profile: StudentProfile | None = None
    if profile_values[0] is not None:
        profile = StudentProfile.from_db(
            user._state.db, [f.attname for f in _PROFILE_FIELDS], profile_values
        )
        profile.user = user  # type: ignore[assignment]  # student.user without a query
    if not student_field.is_cached(user):
        # request.user.student without a query (None: RelatedObjectDoesNotExist, no query).
        student_field.set_cached_value(user, profile)
    facts = _Facts(
        student=profile is not None, teacher=bool(teaches), registrar_permission=bool(registrar)
    )
    # Through the attribute, not __dict__: request.user is a SimpleLazyObject around the user
    # the session's backend loaded (and primed), and its own __dict__ is not the user's.
    setattr(user, _CACHE, facts)
    return facts


def _facts(user: User) -> _Facts:
    cached: _Facts | None = getattr(user, _CACHE, None)
    if cached is not None:
        return cached
    rows = _FACTS.rows(user_id=user.pk)
    return _keep(user, rows[0] if rows else (None,) * len(_FACT_COLUMNS))


def user_with_roles(user_id: int) -> User | None:
    """The user of that id with their roles already known (one query), or None."""
    rows = _USER_AND_FACTS.rows(user_id=user_id)
    if not rows:
        return None
    n_user = len(User._meta.concrete_fields)
    user = instance(User, rows[0][:n_user])
    _keep(user, rows[0][n_user:])
    return user


def forget_roles(user: AnyUser) -> None:
    """Ask the database again next time (after giving or taking a role to this very object)."""
    if getattr(user, _CACHE, None) is not None:
        delattr(user, _CACHE)


def is_student(user: AnyUser) -> bool:
    return user.is_authenticated and _facts(user).student


def is_teacher(user: AnyUser) -> bool:
    """Staff who teach at least one UE (grading and attendance, for those UE only)."""
    return user.is_authenticated and _facts(user).teacher


def is_registrar(user: AnyUser) -> bool:
    """Admins of EPN12: enrolments, fees, jury, certificates.

    As ``user.has_perm("enrolment.registrar")``: an active superuser, or an active user given
    the permission directly or through a group; never an inactive account.
    """
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or _facts(user).registrar_permission


def roles_of(user: AnyUser) -> frozenset[str]:
    roles = set()
    if is_student(user):
        roles.add("student")
    if is_teacher(user):
        roles.add("teacher")
    if is_registrar(user):
        roles.add("registrar")
    return frozenset(roles)
