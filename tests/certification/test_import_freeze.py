"""Cohort import after the jury (RULES.md §7b): every change to frozen data is a listed error
and nothing is written; the same file again changes nothing; fees, payments, contact data and
sessions still to come may change."""

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from attendance.models import Attendance, Session
from certification.interchange import CohortImportError, cohort_import
from enrolment.freeze import (
    ASSESSMENTS_FROZEN,
    ENROLMENTS_FROZEN,
    RULES_FROZEN,
    SESSIONS_FROZEN,
    SESSIONS_INTO_PAST_FROZEN,
    UES_FROZEN,
    refusal,
)
from enrolment.models import Enrolment, Payment, ProgrammeYear, StudentProfile
from grading.models import Assessment, Grade, GradeHistory
from grading.services import grades_lock
from tests.certification.cohort_docs import clone, cohort, encode, row_counts, student

pytestmark = pytest.mark.django_db

Doc = dict[str, Any]


def _moment(days: int, hour: int = 9) -> str:
    day = timezone.localdate() + dt.timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:00:00+01:00"


def snapshot() -> dict[str, Any]:
    """Row counts of every model, and every value of the frozen tables."""
    values = {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Assessment, Session, Attendance, Grade, Enrolment, Payment, StudentProfile)
    }
    through = sorted(Enrolment.ues.through.objects.values_list("enrolment_id", "ue_id"))
    return {"counts": row_counts(), "values": values, "ues": through}


@pytest.fixture
def doc() -> Doc:
    """A cohort imported, then deliberated: grades locked, the programme year frozen."""
    d = cohort()
    d["sessions"].append(
        {
            "key": "S04",
            "ue": "RSV207",
            "kind": "cours",
            "start": _moment(30),
            "end": _moment(30, 12),
            "site": "conte",
            "room": "31.1.12",
        }
    )
    cohort_import(data=encode(d), by=None)
    grades_lock(enrolments=Enrolment.objects.all(), by=None, reason="jury")
    ProgrammeYear.objects.update(frozen_at=timezone.now())
    return d


def refused(d: Doc) -> list[str]:
    before = snapshot()
    with pytest.raises(CohortImportError) as info:
        cohort_import(data=encode(d), by=None)
    assert snapshot() == before
    return info.value.errors


def test_the_same_file_again_changes_nothing_and_succeeds(doc):
    before = snapshot()
    report = cohort_import(data=encode(doc), by=None)
    assert not report.changed
    assert snapshot() == before


def _set(path: list[Any], value: Any) -> Callable[[Doc], None]:
    def mutate(d: Doc) -> None:
        target = d
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return mutate


def _append(path: list[Any], value: Any) -> Callable[[Doc], None]:
    def mutate(d: Doc) -> None:
        target = d
        for step in path:
            target = target[step]
        target.append(value)

    return mutate


def _unlink_makeup(d: Doc) -> None:
    del d["assessments"][2]["makeup_of"]


def _move_s04_to_march(d: Doc) -> None:
    d["sessions"][3] |= {"start": PAST_SESSION["start"], "end": PAST_SESSION["end"]}


def _drop_rsv207(d: Doc) -> None:
    s = d["students"][0]
    s["ues"] = ["RSV206"]
    s["grades"] = [g for g in s["grades"] if not g["assessment"].startswith("RSV207")]
    s["attendance"] = [a for a in s["attendance"] if a["session"] != "S02"]


NEW_ASSESSMENT = {
    "key": "RSV207-CC",
    "ue": "RSV207",
    "kind": "cc",
    "weight": "1",
    "date": "2025-03-01",
}
PAST_SESSION = {
    "key": "S05",
    "ue": "RSV206",
    "kind": "cours",
    "start": "2025-03-03T09:00:00+01:00",
    "end": "2025-03-03T12:00:00+01:00",
    "site": "conte",
    "room": "31.1.12",
}

FROZEN_CASES = [
    # (id, mutation, path, refusal)
    (
        "assessment_weight",
        _set(["assessments", 0, "weight"], "3"),
        "assessments[0]",
        ASSESSMENTS_FROZEN,
    ),
    (
        "assessment_date",
        _set(["assessments", 3, "date"], "2025-06-08"),
        "assessments[3]",
        ASSESSMENTS_FROZEN,
    ),
    ("makeup_unlinked", _unlink_makeup, "assessments[2]", ASSESSMENTS_FROZEN),
    (
        "new_assessment",
        _append(["assessments"], NEW_ASSESSMENT),
        "assessments[4]",
        ASSESSMENTS_FROZEN,
    ),
    (
        "held_session_moved",
        _set(["sessions", 0, "room"], "35.2.14"),
        "sessions[0]",
        SESSIONS_FROZEN,
    ),
    (
        "held_session_cancelled",
        _set(["sessions", 1, "cancelled"], True),
        "sessions[1]",
        SESSIONS_FROZEN,
    ),
    (
        "new_past_session",
        _append(["sessions"], PAST_SESSION),
        "sessions[4]",
        SESSIONS_INTO_PAST_FROZEN,
    ),
    (
        "future_session_into_the_past",
        _move_s04_to_march,
        "sessions[3]",
        SESSIONS_INTO_PAST_FROZEN,
    ),
    (
        "lateness_changed",
        _set(["students", 0, "attendance", 0, "minutes_missed"], 45),
        "students[0].attendance[0]",
        SESSIONS_FROZEN,
    ),
    (
        "absence_justified",
        _set(["students", 0, "attendance", 1, "justified"], True),
        "students[0].attendance[1]",
        SESSIONS_FROZEN,
    ),
    (
        "absence_added",
        _append(
            ["students", 2, "attendance"], {"session": "S03", "status": "absent", "justified": True}
        ),
        "students[2].attendance[2]",
        SESSIONS_FROZEN,
    ),
    (
        "absences_removed",
        _set(["students", 1, "attendance"], []),
        "students[1].attendance",
        SESSIONS_FROZEN,
    ),
    ("ue_dropped", _drop_rsv207, "students[0].ues", UES_FROZEN),
    ("new_student", _append(["students"], student(4)), "students[3]", ENROLMENTS_FROZEN),
    ("pass_mark", _set(["programme", "pass_mark"], "12"), "programme", RULES_FROZEN),
    (
        "threshold",
        _set(["programme", "absence_threshold_pct"], "25"),
        "programme",
        RULES_FROZEN,
    ),
    ("ue_credits", _set(["programme", "ues", 0, "credits"], 6), "programme.ues[0]", RULES_FROZEN),
]


@pytest.mark.parametrize(
    ("mutate", "path", "what"), [c[1:] for c in FROZEN_CASES], ids=[c[0] for c in FROZEN_CASES]
)
def test_a_change_to_frozen_data_is_refused_with_its_path_and_nothing_is_written(
    doc, mutate, path, what
):
    changed = clone(doc)
    mutate(changed)
    errors = refused(changed)
    assert any(e.startswith(f"{path}: ") and refusal(what) in e for e in errors), errors


def test_a_locked_grade_is_still_refused(doc):
    changed = clone(doc)
    changed["students"][1]["grades"][1]["value"] = "3"
    errors = refused(changed)
    assert errors == [
        "students[1].grades[1]: note verrouillée après le jury, elle ne peut plus être "
        "modifiée par un import"
    ]


def test_every_frozen_change_is_listed_at_once(doc):
    changed = clone(doc)
    changed["assessments"][0]["weight"] = "3"
    changed["sessions"][0]["room"] = "35.2.14"
    changed["students"][0]["attendance"][0]["minutes_missed"] = 45
    changed["students"].append(student(4))
    errors = refused(changed)
    assert [e.split(":")[0] for e in errors] == [
        "assessments[0]",
        "sessions[0]",
        "students[0].attendance[0]",
        "students[3]",
    ]


def test_fees_payments_contact_data_and_sessions_to_come_may_still_change(doc):
    changed = clone(doc)
    changed["students"][0]["fees_due"] = "1500.00"
    changed["students"][0]["payments"].append({"date": "2025-07-01", "amount": "300.00"})
    changed["students"][1]["email"] = "nouvelle@example.org"
    changed["sessions"][3]["start"] = _moment(40)
    changed["sessions"][3]["end"] = _moment(40, 12)
    changed["sessions"].append(
        {
            "key": "S06",
            "ue": "RSV206",
            "kind": "cours",
            "start": _moment(50),
            "end": _moment(50, 12),
            "site": "conte",
            "room": "31.1.12",
        }
    )
    history = GradeHistory.objects.count()
    report = cohort_import(data=encode(changed), by=None)
    assert report.created["payment"] == 1 and report.created["session"] == 1
    first = Enrolment.objects.get(student__number="2400001")
    assert first.fees_due == Decimal("1500.00")
    assert sorted(first.payments.values_list("amount", flat=True)) == [
        Decimal("300.00"),
        Decimal("1200.00"),
    ]
    assert StudentProfile.objects.get(number="2400002").email == "nouvelle@example.org"
    assert Session.objects.get(key="S04").start.date() == timezone.localdate() + dt.timedelta(
        days=40
    )
    assert GradeHistory.objects.count() == history


def test_an_open_cohort_still_takes_the_same_changes(doc):
    ProgrammeYear.objects.update(frozen_at=None)
    changed = clone(doc)
    changed["assessments"][0]["weight"] = "3"
    changed["students"][1]["attendance"] = []
    report = cohort_import(data=encode(changed), by=None)
    assert report.updated["assessment"] == 1 and report.deleted["attendance"] == 2


def test_the_command_refuses_with_exit_status_2_and_lists_the_errors(doc, tmp_path):
    changed = clone(doc)
    changed["sessions"][0]["room"] = "35.2.14"
    path = tmp_path / "promo.json"
    path.write_bytes(encode(changed))
    before = snapshot()
    stderr = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("import_cohort", str(path), stderr=stderr, stdout=io.StringIO())
    assert info.value.returncode == 2
    assert f"sessions[0]: {refusal(SESSIONS_FROZEN)}" in stderr.getvalue()
    assert snapshot() == before


def test_the_command_still_imports_payments(doc, tmp_path):
    changed = clone(doc)
    changed["students"][2]["payments"] = []
    path = tmp_path / "promo.json"
    path.write_bytes(encode(changed))
    stdout = io.StringIO()
    call_command("import_cohort", str(path), stdout=stdout)
    assert "paiements : 1 supprimé\n" in stdout.getvalue()
    assert not Payment.objects.filter(enrolment__student__number="2400003").exists()
