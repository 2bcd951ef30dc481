"""Shared pytest fixtures: test-wide settings and the headless Chromium used by e2e tests.

Domain objects come from tests/factories.py, not from here.
"""

import os

# Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse
# ORM calls from it ("You cannot call this from an async context").
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

# Debian's Chromium (scripts/setup installs it): Playwright cannot download its own browser here.
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # the suite runs as root in CI
    "--disable-gpu",
    # No network but loopback: without these Chromium keeps trying to reach Google's hosts.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch options, pointed at the system Chromium."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """A French-speaking browser: the portal follows Accept-Language (English is available)."""
    return {**browser_context_args, "locale": "fr-FR", "timezone_id": "Europe/Paris"}


@pytest.fixture(autouse=True)
def _test_settings(settings: Any, tmp_path: Path) -> None:
    """Every test: private files in its own folder and a fresh local cache.

    The project's cache is a DatabaseCache (shared by app servers); tests use a LocMemCache so
    that tests without database access can use the cache and none sees another's counters.
    django-axes stays enabled (AXES_ENABLED is left alone). Mail needs nothing here: Django's
    test environment (set up by pytest-django) already sends it to django.core.mail.outbox.
    """
    private_root = tmp_path / "private"
    private_root.mkdir()
    # A cheap hasher: Argon2 costs ~0.1 s per user created, and the project's own choice is
    # checked on the settings module itself (tests/test_project.py).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PRIVATE_STORAGE_ROOT = private_root
    settings.MEDIA_ROOT = private_root
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "cnam-cs-tests",
        }
    }
    cache.clear()


@pytest.fixture(autouse=True)
def _french_outside_requests() -> Iterator[None]:
    """Every test starts in the portal's language: a request in English activates English in
    the thread and Django leaves it active, so a form built outside a request afterwards
    would read English."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()
