"""The cohort import follows the portal's rules on free text (#32) and e-mail addresses (#29)."""

from typing import Any

import pytest

from certification.interchange import CohortImportError, cohort_import
from enrolment.models import StudentProfile, User
from tests.certification.cohort_docs import cohort, encode, row_counts
from tests.student_data import student

pytestmark = pytest.mark.django_db

CHARS = {"U+202E": "\u202e", "U+200F": "\u200f", "ESC": "\x1b", "BEL": "\x07", "newline": "\n"}
TEXT_PATHS = [
    ("students", 0, "last_name"),
    ("students", 2, "first_name"),
    ("programme", "title"),
    ("programme", "ues", 1, "title"),
    ("sessions", 0, "room"),
]


def refused(doc: dict[str, Any]) -> list[str]:
    before = row_counts()
    with pytest.raises(CohortImportError) as info:
        cohort_import(data=encode(doc), by=None)
    assert row_counts() == before
    return info.value.errors


def _path(steps: tuple[Any, ...]) -> str:
    out = ""
    for step in steps:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out


@pytest.mark.parametrize("char", CHARS.values(), ids=CHARS.keys())
@pytest.mark.parametrize("steps", TEXT_PATHS, ids=_path)
def test_attack_32_a_text_of_the_file_with_the_character_is_a_listed_error(steps, char):
    doc = cohort()
    target = doc
    for step in steps[:-1]:
        target = target[step]
    target[steps[-1]] = f"{target[steps[-1]]}{char}x"
    if char == "\n":
        reason = "tient sur une seule ligne : retour à la ligne interdit"
    else:
        reason = (
            "contient un caractère de contrôle ou de mise en forme invisible interdit "
            f"(U+{ord(char):04X})"
        )
    assert f"{_path(steps)}: {reason}" in refused(doc)


def test_attack_32_a_bidi_mark_in_an_email_domain_is_refused():
    doc = cohort()
    doc["students"][1]["email"] = "eleve2@exa\u200fmple.org"
    assert any(e.startswith("students[1].email: contient un caractère") for e in refused(doc))


def test_attack_29_a_case_variant_of_an_address_in_the_file_is_a_listed_duplicate():
    doc = cohort()
    doc["students"][2]["email"] = " ELEVE1@example.ORG"
    assert "students[2].email: adresse « ELEVE1@example.org » en double" in refused(doc)


@pytest.mark.parametrize(
    "taken", ["camille.perso@example.org", "CAMILLE.Perso@example.org", "Camille@LECNAM.net"]
)
def test_attack_29_an_address_another_account_holds_is_a_listed_error(taken):
    student("camille", number="3199999")  # personal camille.perso@…, sign-in camille@lecnam.net
    doc = cohort()
    doc["students"][1]["email"] = taken
    assert "students[1].email: adresse déjà utilisée par un autre compte" in refused(doc)
    assert StudentProfile.objects.count() == 1


def test_attack_29_imported_addresses_are_stored_normalised_and_may_change_case_later():
    doc = cohort()
    doc["students"][0]["email"] = "  Eleve1@EXAMPLE.org"
    cohort_import(data=encode(doc), by=None)
    profile = StudentProfile.objects.get(number="2400001")
    assert profile.email == User.objects.get(username="2400001").email == "Eleve1@example.org"
    doc["students"][0]["email"] = "eleve1@example.org"  # its own address, another case
    cohort_import(data=encode(doc), by=None)
    assert StudentProfile.objects.get(number="2400001").email == "eleve1@example.org"
