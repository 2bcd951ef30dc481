"""Home: each role lands on its own page. Help, accessibility and legal pages: public."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from attendance.rooms import room_reading
from attendance.rules import SITES, Site, parse_room
from enrolment.roles import roles_of

ROLE_HOMES = (
    ("student", "certification:student-dashboard"),
    ("registrar", "enrolment:registrar-home"),
    ("teacher", "certification:staff-home"),
)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    roles = roles_of(request.user)
    for role, name in ROLE_HOMES:
        if role in roles:
            return redirect(name)
    return render(request, "home.html", {"roles": roles})


@dataclass(frozen=True)
class SitePlace:
    """A teaching site as the booklet lists it (§2.5 « Vos lieux d'enseignement »)."""

    label: str
    address: tuple[str, ...]
    transport: str
    first_access: str
    last_access: str


def _sites() -> list[SitePlace]:
    places = []
    for info in SITES.values():
        accesses = sorted(info.accesses, key=lambda a: (len(a), a))  # "9" before "10"
        places.append(
            SitePlace(info.label, info.address, info.transport, accesses[0], accesses[-1])
        )
    return places


def help_page(request: HttpRequest) -> HttpResponse:
    """« Aide et contacts », from the booklet: scolarité, Handi'Cnam, STOPVIOLENCE, VAE/VAP,
    sites. Public: a student who cannot sign in needs it most."""
    example = parse_room(code="21.2.32", site=Site.SAINT_MARTIN)
    return render(
        request,
        "pages/help.html",
        {"sites": _sites(), "room_example": example.code, "room_reading": room_reading(example)},
    )


def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/accessibility.html")


def legal_notice(request: HttpRequest) -> HttpResponse:
    # Cookie names and lifetimes are read from the settings, so the page cannot drift.
    return render(
        request,
        "pages/legal.html",
        {
            "session_cookie": settings.SESSION_COOKIE_NAME,
            "session_hours": settings.SESSION_COOKIE_AGE // 3600,
            "csrf_cookie": settings.CSRF_COOKIE_NAME,
            "csrf_days": settings.CSRF_COOKIE_AGE // 86400,
            "language_cookie": settings.LANGUAGE_COOKIE_NAME,
            "language_days": (settings.LANGUAGE_COOKIE_AGE or 0) // 86400,
            # Django's default message storage keeps a notice in a cookie until it is shown.
            "messages_cookie": CookieStorage.cookie_name
            if settings.MESSAGE_STORAGE.rsplit(".", 2)[-2] in {"fallback", "cookie"}
            else None,
        },
    )
