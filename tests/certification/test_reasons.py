"""Reasons are codes and figures in the rules, worded in one place (certification.reasons),
and frozen in a jury snapshot as data, not text. No database."""

import json
from decimal import Decimal

import pytest

from attendance.rules import Presence, SessionAttendance, SessionKind
from certification.documents import row_from_snapshot
from certification.reasons import reason_data, reason_from_data, reason_text
from certification.rules import NO_JURY, Reason, ReasonCode, UEInput, student_result
from enrolment.rules import JuryDecision
from grading.rules import AssessmentInfo, AssessmentKind, GradeEntry, GradeStatus

D = Decimal


def every_reason() -> tuple[Reason, ...]:
    """One student with a reason of each eligibility kind."""
    ct = AssessmentInfo(key="RSV206-CT", ue="RSV206", kind=AssessmentKind.CT, weight=D(1))
    cc = AssessmentInfo(key="RSV206-CC", ue="RSV206", kind=AssessmentKind.CC, weight=D(1))
    ct7 = AssessmentInfo(key="RSV207-CT", ue="RSV207", kind=AssessmentKind.CT, weight=D(1))
    result = student_result(
        ues=[
            UEInput(
                code="RSV206",
                credits=8,
                assessments=[ct, cc],
                entries={
                    "RSV206-CT": GradeEntry(status=GradeStatus.ABSENT_JUSTIFIED),
                    "RSV206-CC": GradeEntry(status=GradeStatus.ABSENT),
                },
            ),
            UEInput(
                code="RSV207",
                credits=4,
                assessments=[ct7],
                entries={"RSV207-CT": GradeEntry(status=GradeStatus.GRADED, value=D("8.5"))},
            ),
        ],
        sessions=[
            SessionAttendance(
                minutes=120, kind=SessionKind.COURS, held=True, presence=Presence.ABSENT
            ),
            SessionAttendance(minutes=120, kind=SessionKind.COURS, held=True),
        ],
        fees_due=D("1200"),
        payments=[D("1050")],
        pass_mark=D("10"),
        absence_threshold_pct=D("20"),
        justified_absences_count=True,
    )
    assert {r.kind for r in result.reasons} == set(ReasonCode) - {
        ReasonCode.NO_JURY,
        ReasonCode.NOT_ADMIS,
    }
    assert result.credits_total == 12
    return result.reasons


def test_each_reason_is_worded_in_french_with_its_figures():
    assert [reason_text(r) for r in every_reason()] == [
        "Taux d'absence 50,00\xa0% > 20\xa0% (120 min manquées sur 240 min)",
        "Non composé : RSV206-CC (défaillant)",
        "150,00\xa0€ restent dus",
        "Rattrapage en attente pour RSV206-CT",
        "UE RSV207 : moyenne 8,50 < 10",
        "UE RSV206 en attente : rattrapage attendu pour RSV206-CT",
    ]


def test_the_rules_carry_figures_not_text():
    for reason in every_reason():
        assert not any(
            isinstance(value, str) and " " in value
            for value in (getattr(reason, name) for name in reason.__slots__)
        ), reason


@pytest.mark.parametrize(
    ("reason", "text"),
    [
        (
            Reason(
                "defaillant_absence",
                rate=D("0.42"),
                threshold_pct=D("0"),
                missed_minutes=1,
                held_minutes=240,
            ),
            "Taux d'absence 0,42\xa0% > 0\xa0% (1 min manquée sur 240 min)",
        ),
        (Reason("fees_unpaid", balance=D("1.50")), "1,50\xa0€ reste dû"),
        (Reason("fees_unpaid", balance=D("2")), "2,00\xa0€ restent dus"),
        (
            Reason("ue_pending:RSV207", ue="RSV207", no_assessment=True),
            "UE RSV207 en attente : aucune évaluation prévue",
        ),
        (
            Reason("ue_failed:RSV207", ue="RSV207", average=D("9.99"), pass_mark=D("10.00")),
            "UE RSV207 : moyenne 9,99 < 10",
        ),
        (NO_JURY, "Le jury n'a pas encore délibéré."),
        (
            Reason("not_admis", decision=JuryDecision.AJOURNE),
            "Décision du jury : ajourné (seule la décision « admis » y donne droit).",
        ),
    ],
)
def test_singulars_thresholds_and_document_reasons(reason, text):
    assert reason_text(reason) == text


def test_a_reason_is_frozen_as_json_data_and_worded_again_identically():
    for reason in every_reason():
        data = json.loads(json.dumps(reason_data(reason)))
        again = reason_from_data(data)
        assert again == reason
        assert reason_text(again) == reason_text(reason)


def snapshot(**extra):
    return {
        "enrolment_id": 1,
        "number": "2400017",
        "last_name": "Dupont",
        "first_name": "Léa",
        "ues": [],
        "credits": 0,
        "absence_rate": "50.00",
        "defaillant": True,
        "fees_paid": False,
        "balance": "150.00",
        "eligible": False,
        "decision": "defaillant",
        **extra,
    }


def test_a_jury_row_words_the_frozen_reasons():
    reasons = every_reason()
    row = row_from_snapshot(
        snapshot(reasons=[r.code for r in reasons], reason_data=[reason_data(r) for r in reasons])
    )
    assert row.reasons == [reason_text(r) for r in reasons]
    assert row.defaillant_why == [
        "Taux d'absence 50,00\xa0% > 20\xa0% (120 min manquées sur 240 min)",
        "Non composé : RSV206-CC (défaillant)",
    ]


def test_a_snapshot_frozen_with_french_messages_still_reads_as_it_was():
    row = row_from_snapshot(
        snapshot(
            reasons=["defaillant_absence", "fees_unpaid"],
            messages=["Taux d'absence 50,00 % > 20 %", "150,00 € restent dus"],
        )
    )
    assert row.reasons == ["Taux d'absence 50,00 % > 20 %", "150,00 € restent dus"]
    assert row.defaillant_why == ["Taux d'absence 50,00 % > 20 %"]
