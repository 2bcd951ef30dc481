"""What ``load_demo`` gives (docs/demo.md), loaded once for the package (``demo_database``):
2023-2024, the past cohort carried through the whole jury lifecycle, and 2024-2025 still
before its jury."""

import io
import json

import pytest
from django.core.management import call_command

from certification.interchange import find_programme_year, results_document
from certification.models import Certificate, Jury
from enrolment.models import Enrolment, StaffAssignment, User
from grading.models import Grade, GradeHistory
from tests.certification.cohort_docs import row_counts
from tests.certification.demo_cases import CASES, DEMO, PAST_DEMO

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_database")]


def test_past_demo_students_are_not_in_the_current_cohort():
    def numbers(path):
        return {s["number"] for s in json.loads(path.read_text(encoding="utf-8"))["students"]}

    past = numbers(PAST_DEMO)
    assert len(past) == 9
    assert not past & numbers(DEMO)


def past_year():
    return find_programme_year("CS2600A", "2023-2024")


def decisions_by_pv(py) -> dict[str, list[str]]:
    """Each student's decision in PV 1, 2, 3, by student number."""
    out: dict[str, list[str]] = {}
    for jury in Jury.objects.filter(programme_year=py).order_by("sequence"):
        for student in jury.snapshot["students"]:
            out.setdefault(student["number"], []).append(student["decision"])
    return out


def test_past_cohort_has_a_first_jury_a_second_session_and_a_rectificatif():
    py = past_year()
    juries = list(Jury.objects.filter(programme_year=py).order_by("sequence"))
    assert [(j.sequence, j.kind) for j in juries] == [
        (1, Jury.Kind.FIRST),
        (2, Jury.Kind.SECOND_SESSION),
        (3, Jury.Kind.RECTIFICATIF),
    ]
    assert [j.deliberated_at.date().isoformat() for j in juries] == [
        "2024-07-01",
        "2024-09-20",
        "2024-10-08",
    ]
    assert juries[0].reason == ""
    assert all(j.reason for j in juries[1:])
    assert py.frozen_at is not None
    grades = Grade.objects.filter(enrolment__programme_year=py)
    assert grades.count() == 38  # 9 students × 4, and two make-up marks
    assert not grades.filter(published=False).exists()
    assert not grades.filter(locked=False).exists()
    assert not grades.filter(under_correction=True).exists()


def test_past_cohort_decisions_cover_the_four_words_across_the_pv_versions():
    decisions = decisions_by_pv(past_year())
    assert {d for pv in decisions.values() for d in pv} == {
        "admis",
        "en_attente",
        "ajourne",
        "defaillant",
    }
    assert decisions == {
        "2300201": ["admis"] * 3,
        "2300202": ["admis"] * 3,
        "2300203": ["en_attente", "admis", "admis"],  # make-up 12 at RSV206-CT-R
        "2300204": ["ajourne"] * 3,  # RSV207 8.00
        "2300205": ["defaillant"] * 3,  # absent at RSV207-CT
        "2300206": ["admis", "admis", "ajourne"],  # corrected: RSV207 11.50 → 9.00
        "2300207": ["admis"] * 3,  # fees still due: no certificate
        "2300208": ["admis"] * 3,
        "2300209": ["en_attente", "ajourne", "ajourne"],  # make-up 8 at RSV207-CT-R
    }
    latest = dict(
        Enrolment.objects.filter(programme_year=past_year()).values_list(
            "student__number", "jury_decision"
        )
    )
    assert latest == {number: pv[-1] for number, pv in decisions.items()}


def test_rectificatif_publishes_the_corrected_mark_and_changes_the_average():
    py = past_year()
    second, rectificatif = Jury.objects.filter(programme_year=py, sequence__gt=1).order_by(
        "sequence"
    )

    def rsv207(jury):
        student = next(s for s in jury.snapshot["students"] if s["number"] == "2300206")
        return next(u for u in student["ues"] if u["code"] == "RSV207")

    assert (rsv207(second)["average"], rsv207(second)["status"]) == ("11.50", "validated")
    assert (rsv207(rectificatif)["average"], rsv207(rectificatif)["status"]) == ("9.00", "failed")
    grade = Grade.objects.get(
        enrolment__programme_year=py,
        enrolment__student__number="2300206",
        assessment__key="RSV207-CT",
    )
    assert grade.value == 7
    assert grade.published and grade.locked
    steps = list(grade.history.order_by("pk").values_list("action", "source", "old_value"))
    assert steps[-4:] == [
        (GradeHistory.Action.UNLOCK, GradeHistory.Source.ADMIN, 12),
        (GradeHistory.Action.CHANGE, GradeHistory.Source.COMMAND, 12),
        (GradeHistory.Action.PUBLISH, GradeHistory.Source.JURY, 7),
        (GradeHistory.Action.LOCK, GradeHistory.Source.JURY, 7),
    ]
    unlock = grade.history.get(action=GradeHistory.Action.UNLOCK)
    assert unlock.reason.startswith("Erreur de report")
    assert unlock.by.username == "scolarite"


def test_past_cohort_certificates_one_replaced_one_revoked_after_the_rectificatif():
    py = past_year()
    certificates = {
        c.number: c
        for c in Certificate.objects.filter(programme_year=py).select_related(
            "enrolment__student", "replaces"
        )
    }
    assert list(certificates) == [f"CS2600A-2024-{n:05d}" for n in range(1, 7)]
    holders = {n: c.enrolment.student.number for n, c in certificates.items()}
    assert holders == {
        "CS2600A-2024-00001": "2300201",
        "CS2600A-2024-00002": "2300202",
        "CS2600A-2024-00003": "2300203",  # admis at the second session
        "CS2600A-2024-00004": "2300206",
        "CS2600A-2024-00005": "2300208",
        "CS2600A-2024-00006": "2300202",
    }
    revoked = {n for n, c in certificates.items() if c.is_revoked}
    assert revoked == {"CS2600A-2024-00002", "CS2600A-2024-00004"}

    # Civil-status error: revoked, the record corrected, a new certificate with a new number.
    old, new = certificates["CS2600A-2024-00002"], certificates["CS2600A-2024-00006"]
    assert old.revoked_reason.startswith("Erreur d'état civil")
    assert new.replaces == old
    assert not new.is_revoked
    assert old.snapshot["holder"]["birth_date"] == "1987-11-03"
    assert new.snapshot["holder"]["birth_date"] == "1987-03-11"
    assert new.snapshot["jury"]["sequence"] == 3

    # Flagged by the rectificatif (no longer admis), then revoked; nothing replaces it.
    flagged = certificates["CS2600A-2024-00004"]
    assert "rectificatif" in flagged.revoked_reason
    assert not hasattr(flagged, "replaced_by")
    assert flagged.snapshot["jury"]["sequence"] == 2

    # Every valid certificate is held by an « admis » student: nothing left flagged.
    valid = Certificate.objects.filter(programme_year=py, revoked_at__isnull=True)
    assert set(valid.values_list("enrolment__jury_decision", flat=True)) == {"admis"}
    assert not Certificate.objects.filter(enrolment__student__number="2300207").exists()


def test_past_students_sign_in_with_the_demo_password_and_teachers_see_their_ue(demo_database):
    assert "2300202" in demo_database and "2300206" in demo_database
    users = User.objects.filter(student__number__startswith="23")
    assert users.count() == 9
    assert all(u.check_password("Demo-Cnam-2025!") for u in users)
    # 2024-2025 students other than « eleve » still have no usable password.
    assert not User.objects.get(username="2400102").has_usable_password()
    for code in ("RSV206", "RSV207"):
        assert StaffAssignment.objects.filter(
            user__username=f"enseignant{code[-3:]}", ue__code=code, ue__programme_year=past_year()
        ).exists()


def test_current_cohort_stays_before_its_jury():
    py = find_programme_year("CS2600A", "2024-2025")
    assert py.frozen_at is None
    assert not Jury.objects.filter(programme_year=py).exists()
    assert not Certificate.objects.filter(programme_year=py).exists()
    assert not Enrolment.objects.filter(programme_year=py).exclude(jury_decision="").exists()
    lines = {s["number"]: s for s in results_document(py)["students"]}
    for number, expected in CASES.items():
        assert lines[number] == expected, number  # no « decision » before the jury


def test_load_demo_twice_leaves_the_past_cohort_unchanged():
    py = past_year()

    def counts():
        return (
            Jury.objects.filter(programme_year=py).count(),
            Certificate.objects.filter(programme_year=py).count(),
            Certificate.objects.filter(programme_year=py, revoked_at__isnull=False).count(),
            Grade.objects.filter(enrolment__programme_year=py).count(),
            GradeHistory.objects.filter(grade__enrolment__programme_year=py).count(),
        )

    before, rows = counts(), row_counts()
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert counts() == before == (3, 6, 2, 38, before[-1])
    assert row_counts() == rows
    assert "3 délibérations" in out.getvalue()
