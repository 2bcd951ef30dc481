"""The demo cohorts (docs/demo.md): each case on its named student, and ``load_demo``.

2024-2025: held minutes for a student of both UE: RSV206 8 cours × 240 + visite 180 +
séminaire 300 = 2400, RSV207 5 cours × 120 = 600, so 3000 in all (exams and the cancelled S07
left out). 2023-2024: the past cohort ``load_demo`` carries through the whole jury lifecycle.
"""

import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from certification.interchange import cohort_import, find_programme_year, results_document
from certification.models import Certificate, Jury
from enrolment.models import Enrolment, StaffAssignment, StudentProfile, User
from grading.models import Grade, GradeHistory
from tests.certification.cohort_docs import row_counts

pytestmark = pytest.mark.django_db

DEMO = Path(settings.BASE_DIR) / "demo" / "cs2600a-2024-2025.json"
PAST_DEMO = Path(settings.BASE_DIR) / "demo" / "cs2600a-2023-2024.json"


def ue(code: str, average: str | None, status: str, credits: int) -> dict[str, object]:
    return {"code": code, "average": average, "status": status, "credits": credits}


def line(number, rsv206, rsv207, rate="0.00", *, defaillant=False, paid=True, reasons=()):
    credits = sum(u["credits"] for u in (rsv206, rsv207))
    return {
        "number": number,
        "ues": [rsv206, rsv207],
        "credits": credits,
        "absence_rate": rate,
        "defaillant": defaillant,
        "fees_paid": paid,
        "eligible": not reasons,
        "reasons": list(reasons),
    }


OK206 = "validated", 8
OK207 = "validated", 4

CASES = {
    # validated (the « eleve » account): (14 + 2×13.5)/3 = 13.67; (15+12)/2; 30 min late = 1 %
    "0900017": line(
        "0900017", ue("RSV206", "13.67", *OK206), ue("RSV207", "13.50", *OK207), "1.00"
    ),
    # UE failed: RSV207 (8+9)/2 = 8.50
    "2400102": line(
        "2400102",
        ue("RSV206", "11.33", *OK206),
        ue("RSV207", "8.50", "failed", 0),
        reasons=["ue_failed:RSV207"],
    ),
    # défaillant by absence: 240 + 240 (justified, still counted) + 180 = 660 / 3000 = 22 %
    "2400103": line(
        "2400103",
        ue("RSV206", "12.33", *OK206),
        ue("RSV207", "13.50", *OK207),
        "22.00",
        defaillant=True,
        reasons=["defaillant_absence"],
    ),
    # exactly 20 %: 240 + 120 + 120 + 120 late = 600 / 3000; S07 cancelled and S17 exam ignored
    "0800214": line(
        "0800214", ue("RSV206", "14.33", *OK206), ue("RSV207", "12.50", *OK207), "20.00"
    ),
    # missed exam: absent on RSV206-CT counts 0: (13 + 0)/3 = 4.33
    "2400105": line(
        "2400105",
        ue("RSV206", "4.33", "failed", 0),
        ue("RSV207", "11.50", *OK207),
        defaillant=True,
        reasons=["defaillant_missed:RSV206-CT", "ue_failed:RSV206"],
    ),
    # make-up pending: absent_justified on RSV207-CT, no make-up entry
    "2400106": line(
        "2400106",
        ue("RSV206", "15.00", *OK206),
        ue("RSV207", None, "pending", 0),
        reasons=["makeup_pending:RSV207-CT", "ue_pending:RSV207"],
    ),
    # make-up done: RSV206-CT-R 13 replaces the justified absence: (11 + 26)/3 = 12.33
    "0700321": line("0700321", ue("RSV206", "12.33", *OK206), ue("RSV207", "13.00", *OK207)),
    # plagiarism on RSV207-CC counts 0: (0 + 16)/2 = 8.00
    "2400108": line(
        "2400108",
        ue("RSV206", "12.00", *OK206),
        ue("RSV207", "8.00", "failed", 0),
        reasons=["ue_failed:RSV207"],
    ),
    # fees still due: 600 of 1 200 paid
    "2400109": line(
        "2400109",
        ue("RSV206", "13.33", *OK206),
        ue("RSV207", "13.00", *OK207),
        paid=False,
        reasons=["fees_unpaid"],
    ),
    # warning: 240 + 300 = 540 / 3000 = 18 %
    "2400110": line(
        "2400110", ue("RSV206", "11.50", *OK206), ue("RSV207", "11.50", *OK207), "18.00"
    ),
    # tiers-temps (set by load_demo): validated
    "0600412": line("0600412", ue("RSV206", "15.67", *OK206), ue("RSV207", "14.75", *OK207)),
    # overpayment: 1 250 paid for 1 200 due
    "2400112": line("2400112", ue("RSV206", "11.67", *OK206), ue("RSV207", "10.50", *OK207)),
    # RSV207 make-up graded (draft in load_demo): (12 + 14)/2 = 13.00
    "2400113": line("2400113", ue("RSV206", "12.67", *OK206), ue("RSV207", "13.00", *OK207)),
}


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
def fast_demo(settings, monkeypatch):
    """Speed only: certificates without their PDF rendering (~0.3 s each) nor signature."""
    monkeypatch.setattr("certification.services.render_pdf", lambda *a, **k: b"%PDF-1.7 demo")
    monkeypatch.setattr("certification.services.sign_pdf", lambda pdf, **k: pdf)


@pytest.fixture
def loaded(fast_demo):
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


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


def test_past_cohort_has_a_first_jury_a_second_session_and_a_rectificatif(loaded):
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


def test_past_cohort_decisions_cover_the_four_words_across_the_pv_versions(loaded):
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


def test_rectificatif_publishes_the_corrected_mark_and_changes_the_average(loaded):
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


def test_past_cohort_certificates_one_replaced_one_revoked_after_the_rectificatif(loaded):
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


def test_past_students_sign_in_with_the_demo_password_and_teachers_see_their_ue(loaded):
    assert "2300202" in loaded and "2300206" in loaded
    users = User.objects.filter(student__number__startswith="23")
    assert users.count() == 9
    assert all(u.check_password("Demo-Cnam-2025!") for u in users)
    # 2024-2025 students other than « eleve » still have no usable password.
    assert not User.objects.get(username="2400102").has_usable_password()
    for code in ("RSV206", "RSV207"):
        assert StaffAssignment.objects.filter(
            user__username=f"enseignant{code[-3:]}", ue__code=code, ue__programme_year=past_year()
        ).exists()


def test_current_cohort_stays_before_its_jury(loaded):
    py = find_programme_year("CS2600A", "2024-2025")
    assert py.frozen_at is None
    assert not Jury.objects.filter(programme_year=py).exists()
    assert not Certificate.objects.filter(programme_year=py).exists()
    assert not Enrolment.objects.filter(programme_year=py).exclude(jury_decision="").exists()
    lines = {s["number"]: s for s in results_document(py)["students"]}
    for number, expected in CASES.items():
        assert lines[number] == expected, number  # no « decision » before the jury


def test_load_demo_twice_leaves_the_past_cohort_unchanged(loaded):
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
