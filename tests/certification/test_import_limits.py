"""Limits of a cohort import (SECURITY.md #31): size and nesting refused before json parses."""

import io
import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given
from hypothesis import strategies as st

from certification.interchange import CohortImportError, cohort_import
from certification.interchange.validate import MAX_DEPTH, nesting_depth
from enrolment.models import StudentProfile
from tests.certification.cohort_docs import cohort, encode, row_counts

DEMO = Path(django_settings.BASE_DIR) / "demo" / "cs2600a-2024-2025.json"
DEPTH_ERROR = f"fichier: plus de {MAX_DEPTH} niveaux de [ ou {{ imbriqués"


def run_import(path: Path) -> tuple[CommandError, str]:
    stderr = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("import_cohort", str(path), stderr=stderr, stdout=io.StringIO())
    return info.value, stderr.getvalue()


def nested(levels: int) -> bytes:
    """A cohort whose programme is ``levels - 1`` lists deep (the file's object is one more)."""
    inner = b"[" * (levels - 1) + b"]" * (levels - 1)
    return b'{"programme": ' + inner + b', "students": []}'


@pytest.mark.django_db
def test_attack_31_a_deeply_nested_file_is_refused_with_exit_2_and_a_listed_error(tmp_path):
    cohort_import(data=encode(cohort()), by=None)  # something stored that must not move
    before = row_counts()
    path = tmp_path / "deep.json"
    path.write_bytes(nested(200_000))
    error, stderr = run_import(path)
    assert error.returncode == 2
    assert stderr.startswith(DEPTH_ERROR), stderr
    assert "Traceback" not in stderr
    assert row_counts() == before


@pytest.mark.django_db
def test_attack_31_a_file_over_the_size_limit_is_refused_before_it_is_read(
    tmp_path, settings, monkeypatch
):
    settings.COHORT_IMPORT_MAX_BYTES = 1024
    path = tmp_path / "promo.json"
    path.write_bytes(encode(cohort()))  # a valid file of about 3 KB
    assert path.stat().st_size > 1024

    def never(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("json.loads called on a file over the limit")

    monkeypatch.setattr(json, "loads", never)
    before = row_counts()
    error, stderr = run_import(path)
    assert error.returncode == 2
    assert "dépasse la taille maximale de 1 ko" in stderr, stderr
    assert stderr.startswith("fichier: ")
    assert row_counts() == before


@pytest.mark.django_db
def test_attack_31_a_200_mb_file_is_refused_without_being_loaded_in_memory(tmp_path):
    path = tmp_path / "huge.json"
    with path.open("wb") as file:
        file.truncate(200 * 1024 * 1024)  # sparse: 200 Mo announced, no disk used
    assert path.stat().st_size > django_settings.COHORT_IMPORT_MAX_BYTES
    tracemalloc.start()
    try:
        error, stderr = run_import(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.returncode == 2
    assert "fichier: 200 Mo dépasse la taille maximale de 128 Mo" in stderr, stderr
    assert peak < 5 * 1024 * 1024, peak
    assert StudentProfile.objects.count() == 0


@pytest.mark.django_db
def test_attack_31_a_file_at_the_limit_imports_and_one_byte_more_is_refused(tmp_path, settings):
    data = encode(cohort())
    path = tmp_path / "promo.json"
    path.write_bytes(data)
    settings.COHORT_IMPORT_MAX_BYTES = len(data) - 1
    error, stderr = run_import(path)
    assert error.returncode == 2
    assert "dépasse la taille maximale" in stderr
    assert StudentProfile.objects.count() == 0

    settings.COHORT_IMPORT_MAX_BYTES = len(data)
    call_command("import_cohort", str(path), stdout=io.StringIO())
    assert StudentProfile.objects.count() == 3


@pytest.mark.django_db
def test_attack_31_bytes_over_the_limit_are_refused_by_cohort_import_itself(settings):
    # Any other entry point (a page, a task) hands bytes to cohort_import: the same limit.
    data = encode(cohort())
    settings.COHORT_IMPORT_MAX_BYTES = len(data) - 1
    with pytest.raises(CohortImportError) as info:
        cohort_import(data=data, by=None)
    assert info.value.errors[0].startswith("fichier: ")
    assert "dépasse la taille maximale" in info.value.errors[0]
    assert StudentProfile.objects.count() == 0


@pytest.mark.django_db
def test_attack_31_load_demo_goes_through_the_same_size_limit(settings):
    settings.COHORT_IMPORT_MAX_BYTES = 1024
    assert DEMO.stat().st_size > 1024
    before = row_counts()
    stderr = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("load_demo", stderr=stderr, stdout=io.StringIO())
    assert info.value.returncode == 2
    assert "dépasse la taille maximale de 1 ko" in stderr.getvalue()
    assert row_counts() == before


@pytest.mark.django_db
def test_attack_31_nesting_at_the_limit_is_parsed_and_one_level_more_is_refused():
    at_limit = refused_errors(nested(MAX_DEPTH))
    assert not any(e.startswith(DEPTH_ERROR) for e in at_limit), at_limit
    assert at_limit  # refused for what it is: a programme that is not an object
    assert refused_errors(nested(MAX_DEPTH + 1)) == [
        f"{DEPTH_ERROR} ; le format d'échange n'en compte que 5"
    ]


def refused_errors(data: bytes) -> list[str]:
    with pytest.raises(CohortImportError) as info:
        cohort_import(data=data, by=None)
    return info.value.errors


@pytest.mark.django_db
def test_attack_31_a_normal_file_under_both_limits_still_imports(tmp_path):
    path = tmp_path / "demo.json"
    path.write_bytes(DEMO.read_bytes())
    stdout = io.StringIO()
    call_command("import_cohort", str(path), stdout=stdout)
    assert "Import terminé." in stdout.getvalue()
    assert StudentProfile.objects.count() == len(json.loads(DEMO.read_bytes())["students"])


@pytest.mark.parametrize(
    ("data", "depth"),
    [
        (b"", 0),
        (b"12", 0),
        (b"[]", 1),
        (b'{"a": [1, {"b": []}]}', 4),
        (b'{"a": "[[[[{{{{"}', 1),
        (b'["\\"[[[[", [[]]]', 3),  # an escaped quote does not close the string
        (b'["\\\\", [[]]]', 3),  # an escaped backslash does not escape the quote
        (b'["\\\\\\"[[[", []]', 2),
        (b'[""]', 1),
        (b'["", "[", ""]', 1),
        (b'["]", "[", [["{"]]]', 3),
        (b'{"\xc3\xa9l\xc3\xa8ve": ["\xe2\x80\x93["]}', 2),
    ],
)
def test_attack_31_nesting_depth_ignores_brackets_in_strings(data, depth):
    assert nesting_depth(data) == depth


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet=st.sampled_from('[]{}"\\/aé\n')),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(alphabet=st.sampled_from('[]{}"\\a')), children, max_size=4)
    ),
    max_leaves=30,
)


@given(value=_JSON, ascii_only=st.booleans())
def test_attack_31_nesting_depth_agrees_with_json_on_any_document(value, ascii_only):
    data = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8")
    assert nesting_depth(data) == _depth(value)
