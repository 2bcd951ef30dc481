"""Eligibility with every blocking reason (RULES.md §7, INTERCHANGE.md), without a database."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attendance.rules import Presence, SessionAttendance, SessionKind
from certification.reasons import reason_text, reason_texts
from certification.rules import (
    Reason,
    ReasonCode,
    UEInput,
    attestation_available,
    certificate_due,
    certificate_issuable,
    jury_decision,
    student_result,
)
from enrolment.rules import JuryDecision
from grading.rules import AssessmentInfo, AssessmentKind, GradeEntry, GradeStatus, UEStatus
from tests.grade_entries import ABSENT, JUSTIFIED, PLAGIARISM, graded

D = Decimal


def assessment(key, ue, kind="ct", weight="1", makeup_of=None):
    return AssessmentInfo(
        key=key, ue=ue, kind=AssessmentKind(kind), weight=D(weight), makeup_of=makeup_of
    )


RSV206 = (
    assessment("RSV206-CC1", "RSV206", "cc"),
    assessment("RSV206-CT", "RSV206", "ct", "2"),
    assessment("RSV206-CT-R", "RSV206", "ct", "2", makeup_of="RSV206-CT"),
)
RSV207 = (assessment("RSV207-CT", "RSV207"),)


def session(minutes=120, presence=Presence.PRESENT, late=0, justified=False):
    return SessionAttendance(
        minutes=minutes,
        kind=SessionKind.COURS,
        held=True,
        presence=presence,
        minutes_missed=late,
        justified=justified,
    )


def run(
    rsv206,
    rsv207,
    *,
    sessions=(),
    fees_due="1200",
    payments=("1200",),
    justified_count=True,
    rsv207_assessments=RSV207,
):
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
        justified_absences_count=justified_count,
    )


GOOD_206 = {"RSV206-CC1": graded("12"), "RSV206-CT": graded("14")}
GOOD_207 = {"RSV207-CT": graded("15")}
FAILED_207 = {"RSV207-CT": graded("9")}


def test_good_student_is_eligible_with_all_credits():
    result = run(GOOD_206, GOOD_207, sessions=[session()] * 10)
    assert result.eligible
    assert result.reasons == ()
    assert result.credits == 12
    assert result.fees_paid
    assert result.balance == 0
    assert jury_decision(result) == JuryDecision.ADMIS
    assert certificate_issuable(result=result, decision=JuryDecision.ADMIS) == (True, [])


def test_several_reasons_are_all_given_sorted_as_strings():
    result = run(
        {"RSV206-CC1": ABSENT, "RSV206-CT": JUSTIFIED},
        {"RSV207-CT": graded("8.5")},
        sessions=[session(presence=Presence.ABSENT), session()],
        payments=("1000", "50"),
    )
    assert result.reason_codes == [
        "defaillant_absence",
        "defaillant_missed:RSV206-CC1",
        "fees_unpaid",
        "makeup_pending:RSV206-CT",
        "ue_failed:RSV207",
        "ue_pending:RSV206",
    ]
    assert result.reason_codes == sorted(result.reason_codes)
    messages = {r.code: reason_text(r) for r in result.reasons}
    assert messages["ue_failed:RSV207"] == "UE RSV207 : moyenne 8,50 < 10"
    assert messages["fees_unpaid"] == "150,00\xa0€ restent dus"
    assert messages["makeup_pending:RSV206-CT"] == "Rattrapage en attente pour RSV206-CT"
    assert messages["defaillant_missed:RSV206-CC1"] == "Non composé : RSV206-CC1 (défaillant)"
    assert messages["defaillant_absence"].startswith("Taux d'absence 50,00\xa0% > 20\xa0%")
    assert not result.eligible
    assert result.defaillant


def test_pending_ue_message_names_the_assessment_without_a_mark():
    result = run(GOOD_206, {})
    assert result.reason_codes == ["ue_pending:RSV207"]
    assert reason_text(result.reasons[0]) == "UE RSV207 en attente : aucune note pour RSV207-CT"


def test_ue_without_any_assessment_is_pending_and_blocks_eligibility():
    result = run(GOOD_206, {}, rsv207_assessments=())
    assert result.reason_codes == ["ue_pending:RSV207"]
    assert "aucune évaluation" in reason_text(result.reasons[0])
    assert result.credits == 8


def test_absent_at_the_makeup_is_defaillant_under_the_makeup_key():
    result = run(
        {"RSV206-CC1": graded("20"), "RSV206-CT": JUSTIFIED, "RSV206-CT-R": ABSENT}, GOOD_207
    )
    rsv206 = result.ues[0]
    assert rsv206.average == D("6.67")
    assert result.reason_codes == ["defaillant_missed:RSV206-CT-R", "ue_failed:RSV206"]
    assert result.defaillant
    assert result.missed == ("RSV206-CT-R",)


def test_justified_absence_at_the_makeup_stays_pending_under_the_original_key():
    result = run(
        {"RSV206-CC1": graded("20"), "RSV206-CT": JUSTIFIED, "RSV206-CT-R": JUSTIFIED}, GOOD_207
    )
    assert result.reason_codes == ["makeup_pending:RSV206-CT", "ue_pending:RSV206"]
    assert not result.defaillant


def test_validated_ue_can_coexist_with_defaillance_and_still_block_eligibility():
    result = run({"RSV206-CC1": ABSENT, "RSV206-CT": graded("20")}, GOOD_207)
    assert result.ues[0].status == UEStatus.VALIDATED  # (0 + 2×20) / 3 = 13.33
    assert result.credits == 12
    assert result.reason_codes == ["defaillant_missed:RSV206-CC1"]
    assert not result.eligible


@pytest.mark.parametrize(("justified_count", "eligible"), [(True, False), (False, True)])
def test_justified_absences_setting_reaches_eligibility(justified_count, eligible):
    sessions = [session(presence=Presence.ABSENT, justified=True), session(), session()]
    result = run(GOOD_206, GOOD_207, sessions=sessions, justified_count=justified_count)
    assert result.eligible is eligible
    assert result.absence.defaillant is not eligible


def test_overpaid_fees_do_not_block():
    result = run(GOOD_206, GOOD_207, payments=("1300",))
    assert result.fees_paid
    assert result.balance == D(-100)
    assert result.eligible


def test_attestation_needs_the_jury_and_admis_but_not_fees():
    unpaid = run(GOOD_206, GOOD_207, payments=())
    assert jury_decision(unpaid) == JuryDecision.ADMIS
    assert attestation_available(result=unpaid, decision=JuryDecision.ADMIS) == (True, [])
    available, why = attestation_available(result=unpaid, decision=None)
    assert not available
    assert reason_texts(why) == ["Le jury n'a pas encore délibéré."]
    issuable, reasons = certificate_issuable(result=unpaid, decision=JuryDecision.ADMIS)
    assert not issuable
    assert reason_texts(reasons) == ["1\xa0200,00\xa0€ restent dus"]


def test_certificate_is_refused_before_the_jury_whatever_the_results():
    result = run(GOOD_206, GOOD_207, sessions=[session()] * 10)
    issuable, reasons = certificate_issuable(result=result, decision=None)
    assert not issuable
    assert reason_texts(reasons) == ["Le jury n'a pas encore délibéré."]


@pytest.mark.parametrize(
    ("rsv206", "rsv207", "sessions", "decision"),
    [
        # défaillant by assessment wins over a validated UE and over everything else
        ({"RSV206-CC1": ABSENT, "RSV206-CT": graded("20")}, GOOD_207, (), "defaillant"),
        # défaillant by absence rate, even with every UE validated
        (GOOD_206, GOOD_207, (session(presence=Presence.ABSENT),), "defaillant"),
        # défaillant beats ajourné
        (
            {"RSV206-CC1": ABSENT, "RSV206-CT": graded("2")},
            {"RSV207-CT": graded("9")},
            (),
            "defaillant",
        ),
        # ajourné: a UE below the pass mark
        (GOOD_206, {"RSV207-CT": graded("9")}, (), "ajourne"),
        # ajourné beats en attente: no make-up can compensate a failed UE
        (
            {"RSV206-CC1": graded("12"), "RSV206-CT": JUSTIFIED},
            {"RSV207-CT": graded("9")},
            (),
            "ajourne",
        ),
        # en attente: a UE with no mark yet, or a make-up to sit
        (GOOD_206, {}, (), "en_attente"),
        ({"RSV206-CC1": graded("12"), "RSV206-CT": JUSTIFIED}, GOOD_207, (), "en_attente"),
        (GOOD_206, GOOD_207, (), "admis"),
    ],
)
def test_jury_decision_follows_the_precedence_of_rules_7b(rsv206, rsv207, sessions, decision):
    result = run(rsv206, rsv207, sessions=sessions)
    assert jury_decision(result) == JuryDecision(decision)
    available, why = attestation_available(result=result, decision=jury_decision(result))
    assert available is (decision == "admis")
    assert bool(why) is (decision != "admis")


def test_a_decision_other_than_admis_refuses_with_the_word_and_every_reason():
    result = run(GOOD_206, {"RSV207-CT": graded("8.5")})
    issuable, reasons = certificate_issuable(result=result, decision=JuryDecision.AJOURNE)
    assert not issuable
    assert reason_texts(reasons)[0].startswith("Décision du jury : ajourné")
    assert "UE RSV207 : moyenne 8,50 < 10" in reason_texts(reasons)


def test_reason_exposes_its_kind_and_subject():
    reason = Reason("makeup_pending:RSV206-CT", "…")
    assert reason.kind == ReasonCode.MAKEUP_PENDING
    assert reason.subject == "RSV206-CT"
    assert Reason("fees_unpaid", "…").subject is None


def test_student_without_any_ue_has_nothing_to_block_on_grades():
    result = student_result(
        ues=[],
        sessions=[],
        fees_due=D(0),
        payments=[],
        pass_mark=D(10),
        absence_threshold_pct=D(20),
        justified_absences_count=True,
    )
    assert result.credits == 0
    assert result.reasons == ()


# --- properties --------------------------------------------------------------------------

mark = st.integers(min_value=0, max_value=2000).map(
    lambda n: GradeEntry(status=GradeStatus.GRADED, value=D(n) / 100)
)
entry = st.one_of(mark, st.sampled_from([ABSENT, JUSTIFIED, PLAGIARISM]))
maybe_entry = st.one_of(st.none(), entry)


def entries_for(keys, values):
    return {k: v for k, v in zip(keys, values, strict=True) if v is not None}


RSV206_KEYS = [a.key for a in RSV206]
sessions_strategy = st.lists(
    st.builds(
        SessionAttendance,
        minutes=st.integers(min_value=0, max_value=240),
        kind=st.sampled_from(SessionKind),
        held=st.booleans(),
        presence=st.sampled_from(Presence),
        minutes_missed=st.integers(min_value=0, max_value=300),
        justified=st.booleans(),
    ),
    max_size=15,
)


@given(
    st.lists(maybe_entry, min_size=3, max_size=3),
    maybe_entry,
    sessions_strategy,
    st.integers(min_value=0, max_value=200_000),
    st.lists(st.integers(min_value=-50_000, max_value=150_000), max_size=3),
    st.booleans(),
)
def test_reasons_are_empty_exactly_when_eligible(
    rsv206_values, rsv207_value, sessions, due_cents, payment_cents, justified_count
):
    result = run(
        entries_for(RSV206_KEYS, rsv206_values),
        entries_for(["RSV207-CT"], [rsv207_value]),
        sessions=sessions,
        fees_due=str(D(due_cents) / 100),
        payments=[str(D(c) / 100) for c in payment_cents],
        justified_count=justified_count,
    )
    all_validated = all(u.status == UEStatus.VALIDATED for u in result.ues)
    assert result.eligible == (not result.reasons)
    assert result.eligible == (all_validated and not result.defaillant and result.fees_paid)
    assert result.reason_codes == sorted(result.reason_codes)
    assert result.credits == sum(u.credits for u in result.ues)


@given(
    st.lists(maybe_entry, min_size=3, max_size=3),
    maybe_entry,
    maybe_entry,
)
def test_changing_a_grade_in_one_ue_never_changes_another_ue(rsv206_values, before, after):
    rsv206 = entries_for(RSV206_KEYS, rsv206_values)
    first = run(rsv206, entries_for(["RSV207-CT"], [before]))
    second = run(rsv206, entries_for(["RSV207-CT"], [after]))
    assert first.ues[0] == second.ues[0]
    assert [r for r in first.reasons if "RSV206" in r.code] == [
        r for r in second.reasons if "RSV206" in r.code
    ]


@pytest.mark.parametrize("decision", [None, *JuryDecision])
@pytest.mark.parametrize(
    ("rsv207", "payments"),
    [(GOOD_207, ("1200",)), (GOOD_207, ("600",)), (FAILED_207, ("1200",)), (FAILED_207, ())],
)
def test_the_cheap_certificate_test_answers_as_the_full_rule(decision, rsv207, payments):
    """The jury table and bulk issuance decide without the reasons: the same yes or no."""
    result = run(GOOD_206, rsv207, payments=payments)
    issuable, _reasons = certificate_issuable(result=result, decision=decision)
    assert certificate_due(decision=decision, fees_paid=result.fees_paid) is issuable
