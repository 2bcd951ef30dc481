"""Shared pytest fixtures: test-wide settings and the headless Chromium used by e2e tests.

Domain objects come from tests/factories.py, not from here.
"""

import gc
import itertools
import os

# Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse
# ORM calls from it ("You cannot call this from an async context").
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings
from django.utils import translation
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from lib.signing import generate_self_signed

# The properties are checked, not timed: on a loaded machine (CI runs two suites at once) a
# slow draw or example is the machine's, not the code's — timings belong in bench/.
hypothesis_settings.register_profile(
    "suite", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("suite")


def pytest_configure(config: pytest.Config) -> None:
    """On SQLite the test database is made from the models instead of replaying the 72
    migrations (about 5 s of CPU a run, mostly Django rendering model states). The migrations
    still run for real: on a fresh SQLite file in ``tests/test_project.py``
    (``test_attack_34_migrate_alone_creates_the_cache_table``) and for the whole PostgreSQL
    run; ``makemigrations --check`` (scripts/test) proves they describe these models."""
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        config.option.nomigrations = True


def pytest_collection_finish(session: pytest.Session) -> None:
    """Speed only: what is loaded by now (Django, WeasyPrint, the test modules) lives as long
    as the run, so the garbage collector stops walking it (``gc.freeze``), and it runs less
    often on the many short-lived rows and requests of the tests. About 7 % less CPU on
    tests/grading (3 interleaved runs each way, medians 28.3 against 30.4 s)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


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
def _french_outside_requests() -> Iterator[None]:
    """Every test starts in the portal's language: a request in English activates English in
    the thread and Django leaves it active, so a form built outside a request afterwards
    would read English."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@dataclass(frozen=True)
class SigningKeys:
    """The session's signing keys (PKCS#12, one passphrase): the portal's and another's."""

    portal: Path
    other: Path
    passphrase: str


SIGNING_PASSPHRASE = "tests-passphrase-7Qm2-zX9"


@pytest.fixture(scope="session")
def signing_keys(tmp_path_factory: pytest.TempPathFactory) -> SigningKeys:
    """Two self-signed keys made once per session: « Cnam EPN12 (tests) », the portal's, and
    « Autre établissement », for documents signed elsewhere."""
    folder = tmp_path_factory.mktemp("signing")
    keys = SigningKeys(folder / "portal.p12", folder / "other.p12", SIGNING_PASSPHRASE)
    generate_self_signed(keys.portal, subject="Cnam EPN12 (tests)", passphrase=keys.passphrase)
    generate_self_signed(keys.other, subject="Autre établissement", passphrase=keys.passphrase)
    return keys


def settings_for_tests(signing_keys: SigningKeys) -> dict[str, Any]:
    """The settings the whole test session runs with.

    - A local cache. The project's cache is a DatabaseCache (shared by app servers); tests use
      a LocMemCache, emptied before each test, so that tests without database access can use
      the cache and none sees another's counters.
    - A cheap hasher: Argon2 costs ~0.1 s per user created, and the project's own choice is
      checked on the settings module itself (tests/test_project.py).
    - Signing with the session's portal key; no timestamp authority, no previous certificate.

    django-axes stays enabled (AXES_ENABLED is left alone). Mail needs nothing here: Django's
    test environment (set up by pytest-django) already sends it to django.core.mail.outbox.
    """
    return {
        "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
        "CACHES": {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": "cnam-cs-tests",
            }
        },
        "SIGNING_PKCS12_PATH": str(signing_keys.portal),
        "SIGNING_PASSPHRASE": signing_keys.passphrase,
        "SIGNING_PASSPHRASE_FILE": "",
        "SIGNING_PREVIOUS_CERTIFICATES": [],
        "SIGNING_TSA_URL": "",
    }


def files_under(folder: Path) -> dict[str, Any]:
    """Where a test (or a module's shared data) keeps its files: private files and a demo
    signing key, when a test asks for one, in ``folder``."""
    private_root = folder / "private"
    private_root.mkdir()
    return {
        "PRIVATE_STORAGE_ROOT": private_root,
        "MEDIA_ROOT": private_root,
        "SIGNING_DEMO_DIR": folder / "signing-demo",
    }


@pytest.fixture(scope="session", autouse=True)
def _session_settings(signing_keys: SigningKeys) -> Iterator[None]:
    """``settings_for_tests``, once for the session (each setting changed sends a signal that
    some twenty receivers check: once, not once a test)."""
    with override_settings(**settings_for_tests(signing_keys)):
        yield


@pytest.fixture(scope="session")
def _test_folders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One folder a test, numbered in a folder of the session (``files_folder``)."""
    root = tmp_path_factory.mktemp("tests")
    return (root / str(n) for n in itertools.count(1))


@pytest.fixture(autouse=True)
def files_folder(_test_folders: Iterator[Path]) -> Iterator[Path]:
    """Every test keeps its files in a new folder of its own and starts with an empty cache.

    Not pytest's ``tmp_path``: each of those scans every folder made so far this session for
    the next free number. Over 2,000 empty tests, pytest alone, two runs each: ``tmp_path``
    adds 2.7–2.8 s of CPU, this fixture 0.9 s. Tests that want a scratch folder of their own
    still ask for ``tmp_path``."""
    folder = next(_test_folders)
    folder.mkdir()
    with override_settings(**files_under(folder)):
        cache.clear()
        yield folder


@contextmanager
def shared_data_transaction(django_db_blocker: Any, folder: Path) -> Iterator[None]:
    """An outer transaction, rolled back when the block ends, for data that several tests
    share: each test runs in a savepoint of it (as Django's ``TestCase.setUpTestData``), so a
    test's own writes are undone before the next one. Files go to ``folder``. Tests that do
    not ask for the data still see its rows once it is built: give it a year or a code of its
    own. Not around ``transaction=True`` tests (they flush the database)."""
    with ExitStack() as stack:
        stack.enter_context(django_db_blocker.unblock())
        stack.enter_context(override_settings(**files_under(folder)))
        cache.clear()
        with transaction.atomic():
            yield
            transaction.set_rollback(True)


@pytest.fixture(scope="module")
def module_transaction(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """``shared_data_transaction`` around a module's tests: what a module-scoped fixture writes
    inside it is built once and rolled back after the module's last test."""
    with shared_data_transaction(django_db_blocker, tmp_path_factory.mktemp("module")):
        yield


def certificates_without_pdf(
    patch: pytest.MonkeyPatch, *, module: str = "certification.services"
) -> None:
    """Speed only, for tests about what ``load_demo`` writes: certificates are stored without
    their PDF rendering (~0.3 s each) nor signature. ``module``: another module that renders
    and signs with ``render_pdf`` and ``sign_pdf`` (the « Mes données » archive)."""
    patch.setattr(f"{module}.render_pdf", lambda *a, **k: b"%PDF-1.7 not rendered")
    patch.setattr(f"{module}.sign_pdf", lambda pdf, **k: pdf)


@pytest.fixture
def certificate_pdf_not_rendered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Speed only, for tests about what issuing a certificate does elsewhere (the parcours,
    the journal, a page, an e-mail, a code): the certificate is numbered, frozen and stored,
    its PDF neither rendered nor signed (``certificates_without_pdf``). The PDF itself is
    tested in ``test_issuance``, ``test_verify_signature`` and ``test_tagged_pdfs``."""
    certificates_without_pdf(monkeypatch)
