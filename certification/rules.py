"""Pure certification rules: eligibility with every blocking reason (RULES.md §7).

Reason codes are the INTERCHANGE.md vocabulary; messages are plain French with the figures.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from attendance.rules import AbsenceRate, SessionAttendance, absence_rate, format_rate
from enrolment.rules import JuryDecision, fees_balance, format_euros
from grading.rules import AssessmentInfo, GradeEntry, UEResult, format_grade, ue_result


class ReasonCode(StrEnum):
    UE_FAILED = "ue_failed"
    UE_PENDING = "ue_pending"
    MAKEUP_PENDING = "makeup_pending"
    DEFAILLANT_ABSENCE = "defaillant_absence"
    DEFAILLANT_MISSED = "defaillant_missed"
    FEES_UNPAID = "fees_unpaid"


@dataclass(frozen=True, slots=True, order=True)
class Reason:
    """``code`` as exported (``ue_failed:RSV207``); ``message`` for people to read."""

    code: str
    message: str = field(compare=False)

    @property
    def kind(self) -> ReasonCode:
        return ReasonCode(self.code.partition(":")[0])

    @property
    def subject(self) -> str | None:
        """The UE or assessment key the reason is about, if any."""
        _, sep, subject = self.code.partition(":")
        return subject if sep else None


@dataclass(frozen=True, slots=True)
class UEInput:
    """One UE the student is enrolled in, all its assessments, and the student's entries."""

    code: str
    credits: int
    assessments: Sequence[AssessmentInfo]
    entries: Mapping[str, GradeEntry]


@dataclass(frozen=True, slots=True)
class StudentResult:
    ues: tuple[UEResult, ...]
    credits: int
    absence: AbsenceRate
    defaillant: bool
    fees_paid: bool
    balance: Decimal
    eligible: bool
    reasons: tuple[Reason, ...]

    @property
    def reason_codes(self) -> list[str]:
        return [reason.code for reason in self.reasons]

    @property
    def missed(self) -> tuple[str, ...]:
        """Keys of the assessments not sat (défaillant by assessment)."""
        return tuple(key for ue in self.ues for key in ue.missed)


def _plain(value: Decimal) -> str:
    # Thresholds read as typed: « 10 », « 20 », « 17,5 » — not « 10,00 ».
    return f"{value.normalize():f}".replace(".", ",")


def _ue_reasons(ue: UEResult, *, pass_mark: Decimal) -> list[Reason]:
    reasons = [
        Reason(f"{ReasonCode.MAKEUP_PENDING}:{key}", f"Rattrapage en attente pour {key}")
        for key in ue.makeup_pending
    ]
    reasons += [
        Reason(f"{ReasonCode.DEFAILLANT_MISSED}:{key}", f"Non composé : {key} (défaillant)")
        for key in ue.missed
    ]
    if ue.pending:
        waits = []
        if not ue.has_assessment:
            waits.append("aucune évaluation prévue")
        if ue.missing:
            waits.append(f"aucune note pour {', '.join(ue.missing)}")
        if ue.makeup_pending:
            waits.append(f"rattrapage attendu pour {', '.join(ue.makeup_pending)}")
        reasons.append(
            Reason(
                f"{ReasonCode.UE_PENDING}:{ue.ue}", f"UE {ue.ue} en attente : {' ; '.join(waits)}"
            )
        )
    elif not ue.validated:
        reasons.append(
            Reason(
                f"{ReasonCode.UE_FAILED}:{ue.ue}",
                f"UE {ue.ue} : moyenne {format_grade(ue.average)} < {_plain(pass_mark)}",
            )
        )
    return reasons


def student_result(
    *,
    ues: Sequence[UEInput],
    sessions: Iterable[SessionAttendance],
    fees_due: Decimal,
    payments: Iterable[Decimal],
    pass_mark: Decimal,
    absence_threshold_pct: Decimal,
    justified_absences_count: bool,
) -> StudentResult:
    """Results of one student over the UE they are enrolled in, with every blocking reason.

    ``sessions`` are those of the student's UE; eligible exactly when no reason remains.
    """
    results = tuple(
        ue_result(
            ue=ue.code,
            credits=ue.credits,
            assessments=ue.assessments,
            entries=ue.entries,
            pass_mark=pass_mark,
        )
        for ue in ues
    )
    absence = absence_rate(
        sessions=sessions,
        justified_absences_count=justified_absences_count,
        threshold_pct=absence_threshold_pct,
    )
    balance = fees_balance(due=fees_due, payments=payments)
    fees_paid = balance <= 0

    reasons: list[Reason] = []
    for result in results:
        reasons += _ue_reasons(result, pass_mark=pass_mark)
    if absence.defaillant:
        reasons.append(
            Reason(
                ReasonCode.DEFAILLANT_ABSENCE.value,
                f"Taux d'absence {format_rate(absence.rate_display)} > "
                f"{_plain(absence_threshold_pct)}\xa0% ({absence.missed_minutes} min manquées "
                f"sur {absence.held_minutes} min)",
            )
        )
    if not fees_paid:
        reasons.append(Reason(ReasonCode.FEES_UNPAID.value, f"{format_euros(balance)} restent dus"))
    # One reason per code, sorted as strings, as exported (INTERCHANGE.md « Results »).
    unique = {reason.code: reason for reason in reasons}
    ordered = tuple(unique[code] for code in sorted(unique))

    missed = any(result.missed for result in results)
    return StudentResult(
        ues=results,
        credits=sum(result.credits for result in results),
        absence=absence,
        defaillant=absence.defaillant or missed,
        fees_paid=fees_paid,
        balance=balance,
        eligible=not ordered,
        reasons=ordered,
    )


def jury_decision(result: StudentResult) -> JuryDecision:
    """The jury's word for a student (RULES.md §7b); fees play no part in it.

    Precedence: défaillant, ajourné, en attente, admis. A UE whose average is final and below
    the pass mark makes the student ajourné even while another UE is pending: there is no
    compensation, so no pending mark can change that outcome.
    """
    kinds = {reason.kind for reason in result.reasons}
    if result.defaillant:
        return JuryDecision.DEFAILLANT
    if ReasonCode.UE_FAILED in kinds:
        return JuryDecision.AJOURNE
    if kinds & {ReasonCode.UE_PENDING, ReasonCode.MAKEUP_PENDING}:
        return JuryDecision.EN_ATTENTE
    return JuryDecision.ADMIS


MSG_NO_JURY = "Le jury n'a pas encore délibéré."


def _not_admis(decision: JuryDecision) -> str:
    return f"Décision du jury : {decision.label} (seule la décision « admis » y donne droit)."


def attestation_available(
    *, result: StudentResult, decision: JuryDecision | None
) -> tuple[bool, list[str]]:
    """Attestation de réussite (RULES.md §7): the latest jury decision is « admis ».

    ``decision`` is ``None`` before any deliberation. Fees do not block it; the French
    messages say what does.
    """
    if decision is None:
        blocking = [r.message for r in result.reasons if r.kind != ReasonCode.FEES_UNPAID]
        return False, [*blocking, MSG_NO_JURY]
    if decision != JuryDecision.ADMIS:
        academic = [r.message for r in result.reasons if r.kind != ReasonCode.FEES_UNPAID]
        return False, [_not_admis(decision), *academic]
    return True, []


def certificate_issuable(
    *, result: StudentResult, decision: JuryDecision | None
) -> tuple[bool, list[str]]:
    """The certificate (RULES.md §7): after the jury, decision « admis », fees paid now."""
    if decision is None:
        return False, [MSG_NO_JURY]
    blocking = []
    if decision != JuryDecision.ADMIS:
        blocking.append(_not_admis(decision))
        blocking += [r.message for r in result.reasons if r.kind != ReasonCode.FEES_UNPAID]
    blocking += [r.message for r in result.reasons if r.kind == ReasonCode.FEES_UNPAID]
    return not blocking, blocking
