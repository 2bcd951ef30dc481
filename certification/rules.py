"""Pure certification rules: eligibility with every blocking reason (RULES.md §7).

Reason codes are the INTERCHANGE.md vocabulary; each reason carries its figures, and
``certification.reasons`` words it for people (in their language): no text here.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from attendance.rules import AbsenceRate, SessionAttendance, absence_rate
from enrolment.rules import JuryDecision, fees_balance
from grading.rules import AssessmentInfo, GradeEntry, UEResult, ue_result


class ReasonCode(StrEnum):
    UE_FAILED = "ue_failed"
    UE_PENDING = "ue_pending"
    MAKEUP_PENDING = "makeup_pending"
    DEFAILLANT_ABSENCE = "defaillant_absence"
    DEFAILLANT_MISSED = "defaillant_missed"
    FEES_UNPAID = "fees_unpaid"
    # Why a document is refused, beside the reasons above; never in a StudentResult.
    NO_JURY = "no_jury"
    NOT_ADMIS = "not_admis"


@dataclass(frozen=True, slots=True, order=True)
class Reason:
    """``code`` as exported (``ue_failed:RSV207``) and the figures that explain it.

    Reasons compare by code only; ``certification.reasons.reason_text`` words them.
    """

    code: str
    ue: str = field(default="", compare=False)
    average: Decimal | None = field(default=None, compare=False)
    pass_mark: Decimal | None = field(default=None, compare=False)
    no_assessment: bool = field(default=False, compare=False)
    missing: tuple[str, ...] = field(default=(), compare=False)
    makeup_pending: tuple[str, ...] = field(default=(), compare=False)
    rate: Decimal | None = field(default=None, compare=False)  # rounded, as displayed
    threshold_pct: Decimal | None = field(default=None, compare=False)
    missed_minutes: int = field(default=0, compare=False)
    held_minutes: int = field(default=0, compare=False)
    balance: Decimal | None = field(default=None, compare=False)
    decision: JuryDecision | None = field(default=None, compare=False)

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


class UEResultFunction(Protocol):
    """How a UE result is computed: ``grading.rules.ue_result`` or a caller's memo of it,
    which must return exactly what ``ue_result`` returns for the same arguments."""

    def __call__(
        self,
        *,
        ue: str,
        credits: int,
        assessments: Sequence[AssessmentInfo],
        entries: Mapping[str, GradeEntry],
        pass_mark: Decimal,
    ) -> UEResult: ...


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

    credits_total: int = 0  # credits of every UE of the enrolment, validated or not

    @property
    def reason_codes(self) -> list[str]:
        return [reason.code for reason in self.reasons]

    @property
    def missed(self) -> tuple[str, ...]:
        """Keys of the assessments not sat (défaillant by assessment)."""
        return tuple(key for ue in self.ues for key in ue.missed)


def _ue_reasons(ue: UEResult, *, pass_mark: Decimal) -> list[Reason]:
    reasons = [Reason(f"{ReasonCode.MAKEUP_PENDING}:{key}", ue=ue.ue) for key in ue.makeup_pending]
    reasons += [Reason(f"{ReasonCode.DEFAILLANT_MISSED}:{key}", ue=ue.ue) for key in ue.missed]
    if ue.pending:
        reasons.append(
            Reason(
                f"{ReasonCode.UE_PENDING}:{ue.ue}",
                ue=ue.ue,
                no_assessment=not ue.has_assessment,
                missing=ue.missing,
                makeup_pending=ue.makeup_pending,
            )
        )
    elif not ue.validated:
        reasons.append(
            Reason(
                f"{ReasonCode.UE_FAILED}:{ue.ue}",
                ue=ue.ue,
                average=ue.average,
                pass_mark=pass_mark,
            )
        )
    return reasons


def _result_reasons(
    results: Iterable[UEResult],
    *,
    absence: AbsenceRate,
    fees_paid: bool,
    balance: Decimal,
    pass_mark: Decimal,
    absence_threshold_pct: Decimal,
) -> tuple[Reason, ...]:
    """Every blocking reason of a student (their UE, their absence, their fees): one reason per
    code, sorted as strings, as exported (INTERCHANGE.md « Results »)."""
    reasons: list[Reason] = []
    for result in results:
        reasons += _ue_reasons(result, pass_mark=pass_mark)
    if absence.defaillant:
        reasons.append(
            Reason(
                ReasonCode.DEFAILLANT_ABSENCE.value,
                rate=absence.rate_display,
                threshold_pct=absence_threshold_pct,
                missed_minutes=absence.missed_minutes,
                held_minutes=absence.held_minutes,
            )
        )
    if not fees_paid:
        reasons.append(Reason(ReasonCode.FEES_UNPAID.value, balance=balance))
    unique = {reason.code: reason for reason in reasons}
    return tuple(unique[code] for code in sorted(unique))


def student_result(
    *,
    ues: Sequence[UEInput],
    sessions: Iterable[SessionAttendance],
    fees_due: Decimal,
    payments: Iterable[Decimal],
    pass_mark: Decimal,
    absence_threshold_pct: Decimal,
    justified_absences_count: bool,
    compute_ue: UEResultFunction = ue_result,
) -> StudentResult:
    """Results of one student over the UE they are enrolled in, with every blocking reason.

    ``sessions`` are those of the student's UE; eligible exactly when no reason remains.
    ``compute_ue`` computes each UE result (a set-based caller passes a memo of ``ue_result``).
    """
    results = tuple(
        compute_ue(
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

    ordered = _result_reasons(
        results,
        absence=absence,
        fees_paid=fees_paid,
        balance=balance,
        pass_mark=pass_mark,
        absence_threshold_pct=absence_threshold_pct,
    )
    missed = any(result.missed for result in results)
    return StudentResult(
        ues=results,
        credits=sum(result.credits for result in results),
        credits_total=sum(ue.credits for ue in ues),
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


NO_JURY = Reason(ReasonCode.NO_JURY.value)


def _not_admis(decision: JuryDecision) -> Reason:
    return Reason(ReasonCode.NOT_ADMIS.value, decision=decision)


def attestation_available(
    *, result: StudentResult, decision: JuryDecision | None
) -> tuple[bool, list[Reason]]:
    """Attestation de réussite (RULES.md §7): the latest jury decision is « admis ».

    ``decision`` is ``None`` before any deliberation. Fees do not block it; the reasons say
    what does.
    """
    academic = [r for r in result.reasons if r.kind != ReasonCode.FEES_UNPAID]
    if decision is None:
        return False, [*academic, NO_JURY]
    if decision != JuryDecision.ADMIS:
        return False, [_not_admis(decision), *academic]
    return True, []


def certificate_due(*, decision: JuryDecision | None, fees_paid: bool) -> bool:
    """``certificate_issuable`` from two cheap facts, for lists that compute no result (the
    jury table's certificate column, bulk issuance): « admis » at the latest deliberation and
    fees paid now (RULES.md §7). The same answer as ``certificate_issuable``, whose reasons say
    why not."""
    return decision == JuryDecision.ADMIS and fees_paid


def certificate_issuable(
    *, result: StudentResult, decision: JuryDecision | None
) -> tuple[bool, list[Reason]]:
    """The certificate (RULES.md §7): after the jury, decision « admis », fees paid now."""
    if decision is None:
        return False, [NO_JURY]
    blocking = []
    if decision != JuryDecision.ADMIS:
        blocking.append(_not_admis(decision))
        blocking += [r for r in result.reasons if r.kind != ReasonCode.FEES_UNPAID]
    blocking += [r for r in result.reasons if r.kind == ReasonCode.FEES_UNPAID]
    return not blocking, blocking
