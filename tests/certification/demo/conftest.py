"""The demo database, loaded once for the modules of this package: ``load_demo`` takes over a
second, and the tests here only read what it gives (each test's own writes are rolled back)."""

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command

from tests.conftest import certificates_without_pdf, shared_data_transaction


@pytest.fixture(scope="package")
def demo_database(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """``load_demo`` once for the package, in a transaction rolled back after its last test;
    its output. Certificates are stored without their PDF (``certificates_without_pdf``).
    Kept to this package so that no other test sees the demo's rows."""
    with (
        shared_data_transaction(django_db_blocker, tmp_path_factory.mktemp("demo")),
        pytest.MonkeyPatch.context() as patch,
    ):
        certificates_without_pdf(patch)
        out = io.StringIO()
        call_command("load_demo", stdout=out)
        yield out.getvalue()
