"""The navigation of each role: every entry names a page that exists (a typo fails loudly)."""

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import Promise
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from enrolment.roles import roles_of

StrOrPromise = str | Promise


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool


MENUS: dict[str, tuple[tuple[StrOrPromise, str], ...]] = {
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
        (_("Mes UE"), "certification:staff-home"),
        (_("Assiduité"), "attendance:staff-sessions"),
        (_("Messages"), "certification:messages"),
    ),
    "registrar": (
        (_("Scolarité"), "enrolment:registrar-home"),
        (_("Catalogue"), "enrolment:registrar-catalogue"),
        (_("Planning"), "attendance:registrar-planning"),
        (_("Inscriptions"), "enrolment:registrar-enrolments"),
        (_("Jury"), "certification:registrar-juries"),
        (_("Certificats"), "certification:registrar-certificates"),
        (_("Messages"), "certification:messages"),
        (_("Justificatifs"), "attendance:registrar-justifications"),
    ),
}
MENU_TITLES = {"student": _("Élève"), "teacher": _("Enseignant·e"), "registrar": _("Scolarité")}


HELP = (_("Aide"), "help")


def _resolve(menu: str) -> list[tuple[str, str]]:
    """(label, address) of each entry of ``menu`` (a role, or "help")."""
    key = (menu, get_language(), get_script_prefix(), get_urlconf(), settings.ROOT_URLCONF)
    return list(_resolved(*key))


@lru_cache(maxsize=256)
def _resolved(menu: str, *_language_prefix_and_urlconf: object) -> tuple[tuple[str, str], ...]:
    """Worked out once per language and URL configuration, since every page shows its menus
    (a student page: 9 reverse() and 9 translations less). A typo still fails loudly."""
    entries = (HELP,) if menu == "help" else MENUS[menu]
    return tuple((str(label), reverse(name)) for label, name in entries)


def _active_url(path: str, urls: list[str]) -> str | None:
    """The most specific menu address the page lies under: /scolarite/jurys/1/ is « Jury »,
    not also « Scolarité » (/scolarite/). The home page "/" is nobody's prefix."""
    matching = [url for url in urls if url != "/" and path.startswith(url)]
    return max(matching, key=len, default=None)


_ITEM = '<li class="nav-item"><a class="nav-link" href="{}">{}</a></li>'
_ACTIVE_ITEM = (
    '<li class="nav-item"><a class="nav-link active" href="{}" aria-current="page">{}</a></li>'
)
_TITLE = '<li class="nav-item"><span class="nav-link disabled menu-title">{}</span></li>'


def _item_html(item: NavItem) -> SafeString:
    return format_html(_ACTIVE_ITEM if item.active else _ITEM, item.url, item.label)


@lru_cache(maxsize=1024)
def _menu_html(
    menus: tuple[tuple[str, tuple[NavItem, ...]], ...], help_item: NavItem | None
) -> SafeString:
    """The menu's items as base.html shows them, written once for each (labels, addresses,
    active item): every page shows its menu, which took 40 template nodes to render."""
    lines = []
    for title, items in menus:
        if len(menus) > 1:
            lines.append(format_html(_TITLE, title))
        lines.extend(_item_html(item) for item in items)
    if help_item is not None:
        lines.append(_item_html(help_item))
    return format_html_join("\n            ", "{}", ((line,) for line in lines))


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    roles = roles_of(user) if user is not None and user.is_authenticated else frozenset()
    menus = [
        (str(MENU_TITLES[role]), _resolve(role))
        for role in ("student", "teacher", "registrar")
        if role in roles
    ]
    help_entry = _resolve("help")
    urls = [url for _title, entries in menus for _label, url in entries]
    urls += [url for _label, url in help_entry]
    # One item at most is active on any page, whatever the number of menus shown.
    active = _active_url(request.path, urls)
    nav_menus = [
        (title, [NavItem(label, url, url == active) for label, url in entries])
        for title, entries in menus
        if entries
    ]
    nav_help = [NavItem(label, url, url == active) for label, url in help_entry]
    help_item = nav_help[0] if nav_help else None
    return {
        "nav_menus": nav_menus,
        "nav_help": help_item,
        # The <li> of nav_menus then nav_help, as base.html shows them to a signed-in user.
        "nav_items_html": _menu_html(
            tuple((title, tuple(items)) for title, items in nav_menus), help_item
        ),
        "user_roles": roles,
    }
