"""The menu marks exactly one item as the current page: the most specific address wins."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.test import RequestFactory

from cnam_cs.navigation import navigation
from tests.factories import EnrolmentFactory, RegistrarFactory, StaffFactory, UEFactory

CURRENT = re.compile(r'<a class="nav-link active" href="([^"]+)" aria-current="page">([^<]+)</a>')


def active_labels(user, path: str) -> list[str]:
    request = RequestFactory().get(path)
    request.user = user
    context = navigation(request)
    items = [item for _title, items in context["nav_menus"] for item in items]
    if context["nav_help"] is not None:
        items.append(context["nav_help"])
    return [item.label for item in items if item.active]


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("/scolarite/", "Scolarité"),
        ("/scolarite/jurys/", "Jury"),
        ("/scolarite/jurys/1/", "Jury"),
        ("/scolarite/jurys/1/eleve/4/", "Jury"),
        ("/scolarite/inscriptions/", "Inscriptions"),
        ("/scolarite/certificats/12/", "Certificats"),
        ("/aide/", "Aide"),
    ],
)
def test_registrar_pages_mark_exactly_one_menu_item(db, path, label):
    assert active_labels(RegistrarFactory(), path) == [label]


@pytest.mark.parametrize(
    ("path", "label"),
    [("/enseignant/", "Mes UE"), ("/enseignant/seances/", "Assiduité")],
)
def test_teacher_pages_mark_exactly_one_menu_item(db, path, label):
    assert active_labels(StaffFactory(ues=[UEFactory()]), path) == [label]


def test_a_user_with_two_roles_still_gets_one_active_item(db):
    teacher_and_registrar = StaffFactory(ues=[UEFactory()])
    teacher_and_registrar.user_permissions.add(Permission.objects.get(codename="registrar"))
    assert active_labels(teacher_and_registrar, "/scolarite/jurys/1/") == ["Jury"]


def test_the_home_address_marks_nothing(db):
    assert active_labels(RegistrarFactory(), "/") == []


def test_anonymous_visitors_get_only_the_help_item():
    request = RequestFactory().get("/aide/")
    request.user = AnonymousUser()
    context = navigation(request)
    assert context["nav_menus"] == []
    assert (context["nav_help"].label, context["nav_help"].url) == ("Aide", "/aide/")
    assert context["nav_help"].active


@pytest.mark.parametrize("path", ["/scolarite/", "/scolarite/jurys/"])
def test_rendered_registrar_page_has_one_aria_current_link(client, db, path):
    client.force_login(RegistrarFactory())
    html = client.get(path).content.decode()
    assert html.count("nav-link active") == 1
    assert len(CURRENT.findall(html)) == 1


def test_every_role_sees_the_help_item(client, db):
    client.force_login(EnrolmentFactory().student.user)
    html = client.get("/eleve/planning/").content.decode()
    assert '<a class="nav-link" href="/aide/">Aide</a>' in html
    assert CURRENT.findall(html) == [("/eleve/planning/", "Planning")]


def test_help_item_is_in_the_header_without_signing_in(client, db):
    html = client.get("/aide/").content.decode()
    assert CURRENT.findall(html) == [("/aide/", "Aide")]
