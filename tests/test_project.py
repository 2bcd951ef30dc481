"""Project-wide checks that only need the settings: security headers, hashing, deployment."""

import ast
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def clean_env(**extra: str) -> dict[str, str]:
    """The current environment without the project's own variables, plus `extra`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "AXES_")) and key != "DATABASE_URL"
    }
    env["DJANGO_SETTINGS_MODULE"] = "cnam_cs.settings"
    env.update(extra)
    return env


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return clean_env(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="portal.example.org",
        DJANGO_PUBLIC_BASE_URL="https://portal.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'check.sqlite3'}",
        **extra,
    )


# Reading a setting imports the settings module only (no django.setup(): the apps, and the
# PDF and signing libraries they import, are not what is checked, and cost 2 s a process).
PRINT_SETTINGS = """
import json
from django.conf import settings
print(json.dumps({name: getattr(settings, name) for name in %r}, default=str))
"""


def settings_in_subprocess(env: dict[str, str], *names: str) -> dict[str, Any]:
    """The named settings as the project computes them for `env`, read in a fresh process
    (the settings module reads the environment once, when it is imported)."""
    result = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS % (list(names),)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    values: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return values


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    del env["DJANGO_SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_cookies_and_https(tmp_path: Path) -> None:
    values = settings_in_subprocess(
        production_env(tmp_path),
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_HTTPONLY",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "ALLOWED_HOSTS",
        "CACHES",
        "STORAGES",
    )
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] in {"Lax", "Strict"}
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_HTTPONLY"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["ALLOWED_HOSTS"] == ["portal.example.org"]
    # Throttling counters are shared by every app server.
    assert values["CACHES"]["default"]["BACKEND"].endswith("DatabaseCache")
    assert values["STORAGES"]["staticfiles"]["BACKEND"].startswith("whitenoise.")


def test_development_defaults_run_on_sqlite_with_nothing_set() -> None:
    values = settings_in_subprocess(clean_env(), "DEBUG", "DATABASES", "SESSION_COOKIE_SECURE")
    assert values["DEBUG"] is True
    database = values["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(database["NAME"]) == BASE_DIR / "db.sqlite3"
    assert values["SESSION_COOKIE_SECURE"] is False


def test_postgres_database_url_uses_postgresql() -> None:
    values = settings_in_subprocess(
        clean_env(DATABASE_URL="postgres://cnam@127.0.0.1:5432/cnam_cs"), "DATABASES"
    )
    database = values["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["USER"], database["PORT"]) == ("cnam_cs", "cnam", 5432)


def test_content_security_policy_forbids_framing_and_inline_scripts() -> None:
    csp = settings.SECURE_CSP
    assert csp["frame-ancestors"] == [CSP.NONE]
    assert csp["default-src"] == [CSP.SELF]
    assert csp["script-src"] == [CSP.SELF]
    assert csp["object-src"] == [CSP.NONE]
    assert csp["base-uri"] == [CSP.NONE]
    for directive in csp.values():
        assert CSP.UNSAFE_INLINE not in directive
        assert CSP.UNSAFE_EVAL not in directive
    assert "django.middleware.csp.ContentSecurityPolicyMiddleware" in settings.MIDDLEWARE
    assert settings.X_FRAME_OPTIONS == "DENY"
    assert settings.SECURE_CONTENT_TYPE_NOSNIFF is True


def test_passwords_are_hashed_with_argon2() -> None:
    # The project's settings module, not the test run's (tests use a cheap hasher: conftest).
    from django.contrib.auth.hashers import get_hasher
    from django.test import override_settings

    from cnam_cs import settings as project

    assert project.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=project.PASSWORD_HASHERS):
        assert get_hasher().algorithm == "argon2"


def test_brute_force_protection_is_on() -> None:
    assert getattr(settings, "AXES_ENABLED", True) is True
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert settings.AXES_FAILURE_LIMIT <= 5
    # django-ipware is not installed: without this callable axes would read REMOTE_ADDR,
    # which behind the proxy is the proxy itself for every client.
    assert settings.AXES_CLIENT_IP_CALLABLE == "lib.client_address.client_address"
    assert settings.AXES_USERNAME_CALLABLE == "enrolment.signin_lockout.axes_username"
    assert settings.AXES_ENABLE_ACCESS_FAILURE_LOG is True


def test_tests_use_their_own_private_folder_mail_and_cache(files_folder: Path) -> None:
    from django.core import mail
    from django.core.cache import cache

    assert Path(settings.PRIVATE_STORAGE_ROOT) == files_folder / "private"
    assert list(files_folder.rglob("*")) == [files_folder / "private"]
    mail.send_mail("s", "b", "from@example.org", ["to@example.org"])
    assert len(mail.outbox) == 1
    cache.set("k", 1)
    assert cache.get("k") == 1


MIGRATE_THEN_SERVE = """
import json
import django
django.setup()
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test import Client

call_command("migrate", verbosity=0)
client = Client(raise_request_exception=False)
facts = {
    "backend": type(caches["default"]).__name__,
    "tables": connection.introspection.table_names(),
    "lookup": client.get("/verifier/code-inconnu").status_code,
    "upload": client.post("/verifier/").status_code,
}
caches["default"].set("attack-34", "ok", 60)
facts["roundtrip"] = caches["default"].get("attack-34")
# A site whose operator ran createcachetable by hand migrates unchanged; reversing drops it.
call_command("migrate", "certification", "0003", verbosity=0)
facts["after_reverse"] = "cnam_cs_cache" in connection.introspection.table_names()
call_command("createcachetable", verbosity=0)
call_command("migrate", verbosity=0)
facts["after_rerun"] = "cnam_cs_cache" in connection.introspection.table_names()
print(json.dumps(facts))
"""


def test_attack_34_migrate_alone_creates_the_cache_table(tmp_path: Path) -> None:
    # A fresh process and database: Django's test runner calls createcachetable itself after
    # migrating the test database, which would hide a missing step.
    result = subprocess.run(
        [sys.executable, "-c", MIGRATE_THEN_SERVE],
        cwd=BASE_DIR,
        env=clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.sqlite3'}"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts["backend"] == "DatabaseCache"
    assert "cnam_cs_cache" in facts["tables"]
    assert facts["lookup"] == 404  # an unknown code, not a 500 for a missing table
    assert facts["upload"] == 200
    assert facts["roundtrip"] == "ok"
    assert facts["after_reverse"] is False
    assert facts["after_rerun"] is True


ENVIRONMENT_READERS = {"getenv", "env_bool", "env_list", "env_positive_int"}


def environment_variables_read(source: str) -> set[str]:
    """Names the code reads from the environment: ``os.environ.get("X")``, ``os.getenv("X")``,
    ``os.environ["X"]`` and the settings' ``env_*("X", …)`` helpers."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Subscript) and ast.unparse(node.value).endswith("environ"):
            key = node.slice
        elif isinstance(node, ast.Call) and node.args and _reads_environment(node.func):
            key = node.args[0]
        else:
            continue
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            names.add(key.value)
    return names


def _reads_environment(function: ast.expr) -> bool:
    if isinstance(function, ast.Name):
        return function.id in ENVIRONMENT_READERS
    if isinstance(function, ast.Attribute) and function.attr == "get":
        return ast.unparse(function.value).endswith("environ")
    return isinstance(function, ast.Attribute) and function.attr in ENVIRONMENT_READERS


def test_every_environment_variable_is_in_the_deployment_table() -> None:
    folders = ("cnam_cs", "enrolment", "grading", "attendance", "certification", "lib")
    read = set()
    for folder in folders:
        for path in (BASE_DIR / folder).rglob("*.py"):
            read |= environment_variables_read(path.read_text(encoding="utf-8"))
    table = (BASE_DIR / "docs" / "deploy.md").read_text(encoding="utf-8")
    # The variable column of docs/deploy.md's tables (a row may name several variables).
    first_cells = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]
    documented = {name for cell in first_cells for name in re.findall(r"`([A-Z0-9_]+)`", cell)}
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "DJANGO_SIGNING_PKCS12"} <= read
    assert read - documented == set()


def test_the_environment_reader_sees_every_form() -> None:
    source = (
        'import os\nA = os.environ.get("ONE", "x")\nB = os.getenv("TWO")\n'
        'C = os.environ["THREE"]\nD = env_list("FOUR")\nE = env_positive_int("FIVE", 1)\n'
        'F = env_bool("SIX", False)\nG = {}.get("NOT_ENV")\nos.environ.setdefault("NOR_THIS", "")\n'
    )
    assert environment_variables_read(source) == {"ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX"}
