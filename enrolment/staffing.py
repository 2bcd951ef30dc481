"""Teachers: invited by e-mail, assigned to UE year by year, with the assignments' history.

Who is a teacher, for the registrar's staff pages: a member of the « Enseignants » group (every
invited teacher is put in it, so that one without any UE yet is listed), or anyone who holds
or held an assignment. Access stays decided by ``roles.is_teacher``: teaching at least one UE
now. ``StaffAssignment`` is the table of current assignments; each addition or removal leaves
a ``StaffAssignmentChange`` line and a journal line (``audit.record``). Assignments are no part
of what the jury freezes (RULES.md §7b): a teacher may still be given a deliberated UE, to
correct a mark the registrar unlocked.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from . import audit
from .models import UE, StaffAssignment, StaffAssignmentChange, User
from .roles import forget_roles
from .selectors import email_in_use
from .services import EnrolmentError, invitation_send
from .validators import normalise_email

logger = logging.getLogger(__name__)

TEACHERS_GROUP = "Enseignants"
INVITATION_TEMPLATE = "invitation_teacher"
USERNAME_MAX = User._meta.get_field("username").max_length or 150
EMAIL_TAKEN = gettext_noop(  # translated where it is raised
    "Cette adresse e-mail est déjà celle d'un compte du portail : "
    "retrouvez la personne dans la liste des enseignant·es."
)


def _name(user: User) -> str:
    full = f"{user.first_name} {user.last_name.upper()}".strip()
    return full or user.username


def _ue_label(ue: UE) -> str:
    return f"{ue.code} ({ue.programme_year.programme.code} {ue.programme_year.year})"


# --- reads ------------------------------------------------------------------------------------


def teachers() -> QuerySet[User]:
    """Everyone the staff pages list: invited as a teacher, or holding or having held a UE."""
    return User.objects.filter(
        Q(groups__name=TEACHERS_GROUP)
        | Exists(StaffAssignment.objects.filter(user_id=OuterRef("pk")))
        | Exists(StaffAssignmentChange.objects.filter(user_id=OuterRef("pk")))
    ).distinct()


@dataclass(frozen=True)
class YearUEs:
    """The UE a teacher has in one programme year."""

    label: str  # « CS2600A 2025-2026 »
    ues: list[UE]


@dataclass(frozen=True)
class TeacherRow:
    user: User
    years: list[YearUEs]
    activated: bool  # a password chosen: the invitation was followed (or never needed)


def _by_year(assignments: Iterable[StaffAssignment]) -> list[YearUEs]:
    grouped: dict[tuple[str, str], list[UE]] = defaultdict(list)
    for assignment in assignments:
        year = assignment.ue.programme_year
        grouped[(year.year, year.programme.code)].append(assignment.ue)
    # The latest year first, its UE by code.
    return [
        YearUEs(label=f"{code} {year}", ues=sorted(ues, key=lambda ue: ue.code))
        for (year, code), ues in sorted(grouped.items(), key=lambda item: item[0], reverse=True)
    ]


def _with_assignments(users: QuerySet[User]) -> QuerySet[User]:
    return users.prefetch_related(
        Prefetch(
            "assignments",
            queryset=StaffAssignment.objects.select_related("ue__programme_year__programme"),
        )
    )


def teacher_rows() -> list[TeacherRow]:
    """The staff list: each teacher with their current UE per year, by name."""
    users = _with_assignments(teachers().order_by("last_name", "first_name", "username"))
    return [teacher_row(user) for user in users]


def teacher_get(user_id: int) -> User | None:
    return _with_assignments(teachers()).filter(pk=user_id).first()


def teacher_row(user: User) -> TeacherRow:
    return TeacherRow(
        user=user, years=_by_year(user.assignments.all()), activated=user.has_usable_password()
    )


def teacher_history(user: User) -> QuerySet[StaffAssignmentChange]:
    """Every assignment given or taken off, the latest first."""
    return StaffAssignmentChange.objects.filter(user=user).select_related(
        "ue__programme_year__programme", "by"
    )


def assignable_ues(user: User) -> QuerySet[UE]:
    """The UE ``user`` could be given: every UE not theirs yet, the latest year first."""
    return (
        UE.objects.exclude(assignments__user=user)
        .select_related("programme_year__programme")
        .order_by("-programme_year__year", "programme_year__programme__code", "code")
    )


# --- writes -----------------------------------------------------------------------------------


def _join_teachers(user: User) -> None:
    group, _created = Group.objects.get_or_create(name=TEACHERS_GROUP)
    user.groups.add(group)


def assignment_refusal(*, user: User, ue: UE) -> str | None:
    """Why ``user`` cannot be given ``ue`` (French), or None; the admin's form asks it too."""
    if not user.is_active:
        return _("Le compte de %(name)s est désactivé : il ne peut pas recevoir d'UE.") % {
            "name": _name(user)
        }
    if StaffAssignment.objects.filter(user=user, ue=ue).exists():
        return _already_teaches(user, ue)
    return None


def _already_teaches(user: User, ue: UE) -> str:
    return _("%(name)s enseigne déjà %(ue)s.") % {"name": _name(user), "ue": _ue_label(ue)}


@transaction.atomic
def assignment_add(*, user: User, ue: UE, by: User | None) -> StaffAssignment:
    """Give ``ue`` to ``user``: the current assignment, a history line and a journal line."""
    refusal = assignment_refusal(user=user, ue=ue)
    if refusal is not None:
        raise EnrolmentError(refusal)
    try:
        with transaction.atomic():
            assignment = StaffAssignment.objects.create(user=user, ue=ue)
    except IntegrityError:  # the same assignment made meanwhile by someone else
        raise EnrolmentError(_already_teaches(user, ue)) from None
    StaffAssignmentChange.objects.create(
        user=user, ue=ue, kind=StaffAssignmentChange.Kind.ASSIGNED, at=timezone.now(), by=by
    )
    _join_teachers(user)
    audit.record(
        by=by,
        action="staff.assignment.add",
        summary=f"{_name(user)} affecté·e à {ue.code} — {ue.title} ({ue.programme_year.year})",
        programme_year=ue.programme_year,
    )
    forget_roles(user)
    return assignment


@transaction.atomic
def assignment_remove(*, user: User, ue: UE, by: User | None) -> None:
    """Take ``ue`` off ``user``; the history keeps that they taught it."""
    deleted, _rows = StaffAssignment.objects.filter(user=user, ue=ue).delete()
    if not deleted:  # already removed (twice the same click, or another registrar)
        raise EnrolmentError(
            _("%(name)s n'enseigne pas %(ue)s.") % {"name": _name(user), "ue": _ue_label(ue)}
        )
    StaffAssignmentChange.objects.create(
        user=user, ue=ue, kind=StaffAssignmentChange.Kind.REMOVED, at=timezone.now(), by=by
    )
    audit.record(
        by=by,
        action="staff.assignment.remove",
        summary=f"{_name(user)} retiré·e de {ue.code} — {ue.title} ({ue.programme_year.year})",
        programme_year=ue.programme_year,
    )
    forget_roles(user)


@transaction.atomic
def teacher_invite(
    *, email: str, first_name: str, last_name: str, by: User | None, ue: UE | None = None
) -> User:
    """Create a teacher's account (no usable password), optionally give a UE, and e-mail the
    one-time link to choose a password (the students' invitation link and page)."""
    address = normalise_email(email)
    first_name, last_name = first_name.strip(), last_name.strip()
    if not address:
        raise EnrolmentError(_("Saisissez l'adresse e-mail de l'enseignant·e."))
    if not (first_name and last_name):
        raise EnrolmentError(_("Saisissez le prénom et le nom de l'enseignant·e."))
    username = address.lower()
    if (
        email_in_use(address, user_id=None)
        or User.objects.filter(username__iexact=username).exists()
    ):
        raise EnrolmentError(_(EMAIL_TAKEN))
    if len(username) > USERNAME_MAX:
        raise EnrolmentError(
            _("Une adresse e-mail de plus de %(n)s caractères ne peut pas servir d'identifiant.")
            % {"n": USERNAME_MAX}
        )
    user = User(username=username, email=address, first_name=first_name, last_name=last_name)
    user.set_unusable_password()
    try:
        user.full_clean()
        with transaction.atomic():
            user.save()
    except ValidationError as exc:
        raise EnrolmentError(" ".join(exc.messages)) from None
    except IntegrityError:  # the same address invited meanwhile by someone else
        raise EnrolmentError(_(EMAIL_TAKEN)) from None
    _join_teachers(user)
    audit.record(
        by=by,
        action="staff.teacher.invite",
        summary=f"Enseignant·e {_name(user)} invité·e ({address})",
        programme_year=ue.programme_year if ue is not None else None,
    )
    if ue is not None:
        assignment_add(user=user, ue=ue, by=by)
    invitation_send(user=user, template=INVITATION_TEMPLATE)
    return user


@transaction.atomic
def teacher_reinvite(*, user: User, by: User | None) -> None:
    """A new one-time link, while the teacher has not chosen a password yet."""
    if user.has_usable_password():
        raise EnrolmentError(
            _(
                "%(name)s a déjà activé son compte : en cas d'oubli, le mot de passe se "
                "réinitialise depuis la page de connexion."
            )
            % {"name": _name(user)}
        )
    if not user.is_active:
        raise EnrolmentError(_("Le compte de %(name)s est désactivé.") % {"name": _name(user)})
    if not user.email:
        raise EnrolmentError(_("%(name)s n'a pas d'adresse e-mail.") % {"name": _name(user)})
    audit.record(
        by=by,
        action="staff.teacher.reinvite",
        summary=f"Invitation renvoyée à {_name(user)} ({user.email})",
    )
    invitation_send(user=user, template=INVITATION_TEMPLATE)
