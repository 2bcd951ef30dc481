"""Roles: one query per user object (none through has_perm), the same answers as before."""

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from enrolment.auth import UsernameOrEmailBackend
from enrolment.models import StaffAssignment, User
from enrolment.roles import forget_roles, is_registrar, is_student, is_teacher, roles_of
from tests.factories import (
    EnrolmentFactory,
    RegistrarFactory,
    StaffFactory,
    StudentFactory,
    UEFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    """The user as a new request loads it: nothing cached on the object."""
    return User.objects.get(pk=user.pk)


def test_all_roles_and_the_student_profile_cost_one_query():
    student = StudentFactory()
    user = fresh(student.user)
    with CaptureQueriesContext(connection) as ctx:
        assert roles_of(user) == {"student"}
        assert is_student(user) and not is_teacher(user) and not is_registrar(user)
        assert user.student.number == student.number
        assert user.student.user is user
    assert len(ctx.captured_queries) == 1
    assert "auth_permission" in ctx.captured_queries[0]["sql"]  # in the same query


def test_a_user_without_a_profile_has_no_student_and_no_second_query():
    user = fresh(UserFactory())
    with CaptureQueriesContext(connection) as ctx:
        assert roles_of(user) == frozenset()
        assert not hasattr(user, "student")
    assert len(ctx.captured_queries) == 1


def test_teacher_and_registrar_at_once():
    user = StaffFactory(ues=[UEFactory()])
    user.user_permissions.add(Permission.objects.get(codename="registrar"))
    assert roles_of(fresh(user)) == {"teacher", "registrar"}


def test_registrar_through_a_group():
    group = Group.objects.create(name="Scolarité")
    group.permissions.add(Permission.objects.get(codename="registrar"))
    user = UserFactory()
    assert not is_registrar(fresh(user))
    user.groups.add(group)
    assert is_registrar(fresh(user))


def test_an_inactive_registrar_is_not_one_and_a_superuser_always_is():
    registrar = fresh(RegistrarFactory())
    assert is_registrar(registrar)
    registrar.is_active = False
    assert not is_registrar(registrar)
    admin = UserFactory(is_superuser=True)
    assert roles_of(fresh(admin)) == {"registrar"}
    admin.is_active = False
    assert not is_registrar(admin)


def test_anonymous_has_no_role_and_no_query():
    with CaptureQueriesContext(connection) as ctx:
        assert roles_of(AnonymousUser()) == frozenset()
    assert ctx.captured_queries == []


def test_roles_are_kept_on_the_object_until_forgotten():
    user = fresh(UserFactory())
    assert not is_teacher(user)
    StaffAssignment.objects.create(user=user, ue=UEFactory())
    assert not is_teacher(user)  # this request's answer
    forget_roles(user)
    assert is_teacher(user)
    assert is_teacher(fresh(user))  # the next request's


def test_student_pages_ask_no_permission_and_roles_once(client):
    enrolment = EnrolmentFactory()
    client.force_login(enrolment.student.user)
    client.get(reverse("grading:student-grades"))  # warm the session
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("grading:student-grades")).status_code == 200
    sql = [q["sql"] for q in ctx.captured_queries]
    asking = [s for s in sql if "auth_permission" in s]
    assert len(asking) == 1
    # The roles come with the signed-in user, in the query that loads it from the session.
    assert '"enrolment_user"."password"' in asking[0]
    assert not [s for s in sql if "enrolment_staffassignment" in s and "auth_permission" not in s]
    assert not [s for s in sql if 'FROM "enrolment_studentprofile"' in s]


def test_the_session_user_is_read_with_its_roles_or_not_at_all():
    backend = UsernameOrEmailBackend()
    teacher = StaffFactory()
    StaffAssignment.objects.create(user=teacher, ue=UEFactory())
    with CaptureQueriesContext(connection) as ctx:
        user = backend.get_user(teacher.pk)
        assert user is not None and user.username == teacher.username
        assert roles_of(user) == {"teacher"}
    assert len(ctx.captured_queries) == 1
    assert backend.get_user(teacher.pk + 1000) is None
    teacher.is_active = False
    teacher.save(update_fields=["is_active"])
    assert backend.get_user(teacher.pk) is None


def test_roles_forgotten_through_the_request_user_proxy(client):
    enrolment = EnrolmentFactory()
    user = enrolment.student.user
    lazy = SimpleLazyObject(lambda: UsernameOrEmailBackend().get_user(user.pk))
    assert roles_of(lazy) == {"student"}
    StaffAssignment.objects.create(user=user, ue=UEFactory())
    assert roles_of(lazy) == {"student"}  # this request's answer, kept on the user
    forget_roles(lazy)
    assert roles_of(lazy) == {"student", "teacher"}
