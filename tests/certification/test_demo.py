"""The demo file (docs/demo.md): each case on its named student, and ``load_demo`` run twice.

What ``load_demo`` leaves in the database is in ``test_demo_loaded.py``.
"""

import io
import json

import pytest
from django.core.management import call_command

from certification.interchange import cohort_import, find_programme_year, results_document
from enrolment.models import StaffAssignment, StudentProfile, User
from grading.models import Grade
from tests.certification.cohort_docs import row_counts
from tests.certification.demo_cases import CASES, DEMO
from tests.conftest import certificates_without_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    cohort_import(data=DEMO.read_bytes(), by=None)
    return find_programme_year("CS2600A", "2024-2025")


def test_every_case_student_has_the_expected_export_line(demo):
    lines = {s["number"]: s for s in results_document(demo)["students"]}
    for number, expected in CASES.items():
        assert lines[number] == expected, number


def test_most_students_are_eligible(demo):
    students = results_document(demo)["students"]
    eligible = [s for s in students if s["eligible"]]
    assert len(students) == 26
    assert len(eligible) == 20


def test_demo_file_is_idempotent(demo):
    before = row_counts()
    report = cohort_import(data=DEMO.read_bytes(), by=None)
    assert not report.changed
    assert row_counts() == before


def test_demo_numbers_keep_their_zeros():
    numbers = [s["number"] for s in json.loads(DEMO.read_text(encoding="utf-8"))["students"]]
    assert "0900017" in numbers
    assert sum(n.startswith("0") for n in numbers) >= 4


def test_load_demo_twice_prints_logins_and_sets_up_accounts(fast_demo):
    call_command("load_demo", stdout=io.StringIO())
    out = io.StringIO()
    before = row_counts()
    call_command("load_demo", stdout=out)
    text = out.getvalue()
    for username in ("eleve", "enseignant206", "enseignant207", "scolarite", "admin"):
        assert username in text
        assert User.objects.get(username=username).check_password("Demo-Cnam-2025!")
    assert "Demo-Cnam-2025!" in text
    assert row_counts() == before  # the second run adds nothing
    assert StudentProfile.objects.get(number="0900017").user.username == "eleve"
    assert StaffAssignment.objects.filter(
        user__username="enseignant206", ue__code="RSV206", ue__programme_year__year="2024-2025"
    ).exists()
    assert StaffAssignment.objects.filter(
        user__username="enseignant207", ue__code="RSV207", ue__programme_year__year="2024-2025"
    ).exists()
    registrar = User.objects.get(username="scolarite")
    assert registrar.is_staff
    assert registrar.has_perm("enrolment.registrar")
    assert User.objects.get(username="admin").is_superuser
    assert StudentProfile.objects.get(number="0600412").tiers_temps
    assert StudentProfile.objects.get(number="0900017").diplomas.count() == 2
    # Only 2024-2025's make-up is left in draft: the past cohort has none (it deliberated).
    drafts = Grade.objects.filter(published=False)
    assert set(drafts.values_list("assessment__key", "enrolment__programme_year__year")) == {
        ("RSV207-CT-R", "2024-2025")
    }


# ---- The past cohort, 2023-2024: every state of the jury lifecycle -------------------------


@pytest.fixture
def fast_demo(monkeypatch):
    certificates_without_pdf(monkeypatch)
