"""RULES.md §8: every worked example of the booklet's rules, one test each."""

from decimal import Decimal

import pytest

from attendance.rules import Presence, SessionAttendance, SessionKind
from certification.reasons import reason_text
from certification.rules import StudentResult, UEInput, student_result
from grading.rules import (
    AssessmentInfo,
    AssessmentKind,
    GradeInputError,
    UEStatus,
    parse_grade,
)
from tests.grade_entries import graded, status

D = Decimal


def assessment(key, ue, kind, weight="1", makeup_of=None):
    return AssessmentInfo(
        key=key, ue=ue, kind=AssessmentKind(kind), weight=D(weight), makeup_of=makeup_of
    )


RSV206 = [
    assessment("RSV206-CC1", "RSV206", "cc", "1"),
    assessment("RSV206-CT", "RSV206", "ct", "2"),
    assessment("RSV206-CT-R", "RSV206", "ct", "2", makeup_of="RSV206-CT"),
]
RSV207 = [
    assessment("RSV207-CC1", "RSV207", "cc", "1"),
    assessment("RSV207-CT", "RSV207", "ct", "1"),
]
GOOD_RSV206 = {"RSV206-CC1": graded("12"), "RSV206-CT": graded("9")}
GOOD_RSV207 = {"RSV207-CC1": graded("10"), "RSV207-CT": graded("10")}


def cours(*, presence=Presence.PRESENT, late=0):
    return SessionAttendance(
        minutes=120, kind=SessionKind.COURS, held=True, presence=presence, minutes_missed=late
    )


def run(
    *,
    rsv206=GOOD_RSV206,
    rsv207=GOOD_RSV207,
    rsv207_assessments=RSV207,
    sessions=(),
    fees_due="1200.00",
    payments=("1200.00",),
) -> StudentResult:
    return student_result(
        ues=[
            UEInput(code="RSV206", credits=8, assessments=RSV206, entries=rsv206),
            UEInput(code="RSV207", credits=4, assessments=rsv207_assessments, entries=rsv207),
        ],
        sessions=sessions,
        fees_due=D(fees_due),
        payments=[D(p) for p in payments],
        pass_mark=D(10),
        absence_threshold_pct=D(20),
        justified_absences_count=True,
    )


def forty_hours_with(*, absent_sessions, late_minutes=0):
    """40 h of courses held: 20 sessions of 120 min, the first ones missed."""
    sessions = [cours(presence=Presence.ABSENT) for _ in range(absent_sessions)]
    if late_minutes:
        sessions.append(cours(presence=Presence.LATE, late=late_minutes))
    sessions += [cours() for _ in range(20 - len(sessions))]
    return sessions


def ue(result, code):
    return next(u for u in result.ues if u.ue == code)


def test_1_weighted_averages_validate_both_ues_and_grant_twelve_credits():
    # RSV206: CC 12 (w1), CT 9 (w2) → 30/3 = 10; RSV207: CT 10.
    result = run(
        rsv207={"RSV207-CT": graded("10")},
        rsv207_assessments=[assessment("RSV207-CT", "RSV207", "ct")],
    )
    assert ue(result, "RSV206").average == D("10.00")
    assert ue(result, "RSV206").status == UEStatus.VALIDATED
    assert ue(result, "RSV207").average == D("10.00")
    assert ue(result, "RSV207").status == UEStatus.VALIDATED
    assert result.credits == 12
    assert result.eligible
    assert result.reasons == ()


def test_2_unjustified_absence_at_the_final_exam_counts_zero_and_makes_defaillant():
    result = run(rsv206={"RSV206-CC1": graded("12"), "RSV206-CT": status("absent")})
    assert ue(result, "RSV206").average == D("4.00")  # (12 + 2×0) / 3
    assert result.defaillant
    assert not result.eligible
    assert "defaillant_missed:RSV206-CT" in result.reason_codes


def test_3_justified_absence_without_makeup_leaves_the_ue_pending():
    result = run(rsv206={"RSV206-CC1": graded("12"), "RSV206-CT": status("absent_justified")})
    assert ue(result, "RSV206").status == UEStatus.PENDING
    assert ue(result, "RSV206").average is None
    assert not result.eligible
    assert result.reason_codes == ["makeup_pending:RSV206-CT", "ue_pending:RSV206"]
    assert not result.defaillant


def test_4_makeup_mark_replaces_the_justified_absence():
    result = run(
        rsv206={
            "RSV206-CC1": graded("12"),
            "RSV206-CT": status("absent_justified"),
            "RSV206-CT-R": graded("14"),
        }
    )
    # (12 + 2×14) / 3 = 13.333… → 13.33
    assert ue(result, "RSV206").average == D("13.33")
    assert ue(result, "RSV206").status == UEStatus.VALIDATED
    assert result.eligible


def test_5_plagiarism_counts_zero_and_the_ue_is_not_validated():
    result = run(rsv207={"RSV207-CC1": status("plagiarism"), "RSV207-CT": graded("16")})
    assert ue(result, "RSV207").average == D("8.00")
    assert ue(result, "RSV207").status == UEStatus.FAILED
    assert result.reason_codes == ["ue_failed:RSV207"]
    assert not result.defaillant  # plagiarism is a 0, not a missed assessment


def test_6_exactly_twenty_percent_absence_is_not_defaillant():
    result = run(sessions=forty_hours_with(absent_sessions=4))  # 480 of 2400 min
    assert result.absence.held_minutes == 2400
    assert result.absence.missed_minutes == 480
    assert result.absence.rate_display == D("20.00")
    assert not result.defaillant
    assert result.eligible


def test_7_twenty_percent_plus_thirty_minutes_late_is_defaillant():
    result = run(sessions=forty_hours_with(absent_sessions=4, late_minutes=30))
    assert result.absence.missed_minutes == 510
    assert result.absence.rate_display == D("21.25")
    assert result.defaillant
    assert result.reason_codes == ["defaillant_absence"]
    assert reason_text(result.reasons[0]) == (
        "Taux d'absence 21,25\xa0% > 20\xa0% (510 min manquées sur 2400 min)"
    )


def test_8_fees_still_due_block_an_otherwise_eligible_student():
    result = run(payments=("1050.00",))
    assert all(u.status == UEStatus.VALIDATED for u in result.ues)
    assert not result.defaillant
    assert not result.eligible
    assert result.reason_codes == ["fees_unpaid"]
    assert reason_text(result.reasons[0]) == "150,00\xa0€ restent dus"


@pytest.mark.parametrize(
    ("marks", "raw", "average", "validated"),
    [
        (["10", "10", "10", "10", "9.97"], "9.994", "9.99", False),
        (["10", "9.99"], "9.995", "10.00", True),
    ],
)
def test_9_rounded_average_decides_9_994_fails_and_9_995_passes(marks, raw, average, validated):
    assessments = [assessment(f"RSV207-CC{i}", "RSV207", "cc") for i in range(len(marks))]
    entries = {f"RSV207-CC{i}": graded(m) for i, m in enumerate(marks)}
    result = run(rsv207_assessments=assessments, rsv207=entries)
    rsv207 = ue(result, "RSV207")
    assert rsv207.raw_average == D(raw)
    assert rsv207.average == D(average)
    assert (rsv207.status == UEStatus.VALIDATED) is validated
    assert result.eligible is validated


@pytest.mark.parametrize("text", ["20,5", "-1", "abc", "12.345"])
def test_10_invalid_marks_are_refused_with_a_clear_message(text):
    with pytest.raises(GradeInputError) as excinfo:
        parse_grade(text)
    assert excinfo.value.message.startswith("La note doit être")
