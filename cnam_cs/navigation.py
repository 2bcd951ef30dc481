"""The navigation of each role. Entries whose page does not exist yet are left out."""

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from enrolment.roles import roles_of


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool


MENUS: dict[str, tuple[tuple[str, str], ...]] = {
    "student": (
        (_("Tableau de bord"), "certification:student-dashboard"),
        (_("Inscription"), "enrolment:student-enrolment"),
        (_("Planning"), "attendance:student-planning"),
        (_("Assiduité"), "attendance:student-attendance"),
        (_("Notes"), "grading:student-grades"),
        (_("Certification"), "certification:student-certification"),
        (_("Documents"), "certification:student-documents"),
        (_("Mes données"), "enrolment:student-profile"),
    ),
    "teacher": (
        (_("Mes UE"), "grading:staff-home"),
        (_("Assiduité"), "attendance:staff-sessions"),
    ),
    "registrar": (
        (_("Scolarité"), "enrolment:registrar-home"),
        (_("Inscriptions"), "enrolment:registrar-enrolments"),
        (_("Jury"), "certification:registrar-juries"),
        (_("Certificats"), "certification:registrar-certificates"),
    ),
}
MENU_TITLES = {"student": _("Élève"), "teacher": _("Enseignant·e"), "registrar": _("Scolarité")}


def _items(request: HttpRequest, role: str) -> list[NavItem]:
    items = []
    for label, name in MENUS[role]:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append(NavItem(str(label), url, request.path.startswith(url) and url != "/"))
    return items


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_menus": [], "user_roles": frozenset()}
    roles = roles_of(user)
    menus = [
        (str(MENU_TITLES[role]), _items(request, role))
        for role in ("student", "teacher", "registrar")
        if role in roles
    ]
    return {"nav_menus": [(title, items) for title, items in menus if items], "user_roles": roles}
