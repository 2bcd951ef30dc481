"""One public base URL (PUBLIC_BASE_URL) for every link that leaves the portal: the demo
derives it from PORT, production must set it (https), check --deploy says so."""

from pathlib import Path

import pytest
from django.core.checks import Error, Warning, run_checks

from certification.qr import verification_url
from cnam_cs.checks import public_base_url_check
from enrolment.services import invitation_link
from lib.links import absolute_url
from tests.factories import UserFactory
from tests.test_project import clean_env, production_env, settings_in_subprocess


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "http://127.0.0.1:8000"),
        ({"PORT": "8123"}, "http://127.0.0.1:8123"),
        (
            {"PORT": "8123", "DJANGO_PUBLIC_BASE_URL": "https://cs.example.org"},
            "https://cs.example.org",
        ),
    ],
)
def test_the_demo_links_follow_the_port_unless_an_address_is_set(env, expected):
    assert settings_in_subprocess(clean_env(**env), "PUBLIC_BASE_URL") == {
        "PUBLIC_BASE_URL": expected
    }


def test_production_has_no_default_address(tmp_path: Path):
    env = production_env(tmp_path, PORT="8123")
    del env["DJANGO_PUBLIC_BASE_URL"]
    assert settings_in_subprocess(env, "PUBLIC_BASE_URL") == {"PUBLIC_BASE_URL": ""}


@pytest.mark.django_db  # the model checks ask the database whether it supports JSON
def test_check_deploy_fails_in_production_without_the_address(settings):
    # What production makes of an environment without the address is read in a fresh process
    # above (test_production_has_no_default_address); `manage.py check --deploy` as a whole runs
    # with production settings in scripts/test. Here: the deployment checks refuse that setting.
    settings.DEBUG = False
    settings.PUBLIC_BASE_URL = ""
    errors = [m for m in run_checks(include_deployment_checks=True) if m.id == "cnam_cs.E001"]
    assert [(m.is_serious(), m.msg.split(":")[0]) for m in errors] == [
        (True, "DJANGO_PUBLIC_BASE_URL is not set")
    ]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", [(Error, "cnam_cs.E001")]),
        ("cs.cnam.fr", [(Error, "cnam_cs.E001")]),
        ("http://portal.example.org", [(Warning, "cnam_cs.W001")]),
        ("https://elsewhere.example.org", [(Warning, "cnam_cs.W002")]),
        ("http://elsewhere.example.org", [(Warning, "cnam_cs.W001"), (Warning, "cnam_cs.W002")]),
        ("https://portal.example.org", []),
        ("https://portal.example.org/", []),
    ],
)
def test_the_deploy_check_of_the_public_address(settings, url, expected):
    settings.PUBLIC_BASE_URL = url
    settings.ALLOWED_HOSTS = ["portal.example.org"]
    found = [(type(message), message.id) for message in public_base_url_check(None)]
    assert found == expected


@pytest.mark.parametrize("base", ["https://cs.example.org", "https://cs.example.org/"])
def test_absolute_url_joins_with_one_slash(settings, base):
    settings.PUBLIC_BASE_URL = base
    assert absolute_url("/verifier/ABC") == "https://cs.example.org/verifier/ABC"
    assert absolute_url("verifier/ABC") == "https://cs.example.org/verifier/ABC"


def test_the_certificate_qr_code_points_to_the_public_address(settings):
    settings.PUBLIC_BASE_URL = "https://cs.example.org"
    assert verification_url("CS-2024-0001") == "https://cs.example.org/verifier/CS-2024-0001"


@pytest.mark.django_db
def test_the_invitation_link_points_to_the_public_address(settings):
    settings.PUBLIC_BASE_URL = "https://cs.example.org"
    assert invitation_link(user=UserFactory()).startswith(
        "https://cs.example.org/compte/invitation/"
    )
