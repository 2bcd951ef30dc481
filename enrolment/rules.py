"""Pure enrolment rules: fees balance and the enrolment state machine (RULES.md §3).

No Django here: callers pass plain values, so every rule is testable without a database.
"""

from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from lib import numbers


class JuryDecision(StrEnum):
    """The jury's decision for a student (RULES.md §7b), as exported (INTERCHANGE.md)."""

    ADMIS = "admis"
    EN_ATTENTE = "en_attente"
    AJOURNE = "ajourne"
    DEFAILLANT = "defaillant"

    @property
    def label(self) -> str:
        """The same word on every page and document."""
        return JURY_DECISION_LABELS[self]


JURY_DECISION_LABELS: Mapping[JuryDecision, str] = MappingProxyType(
    {
        JuryDecision.ADMIS: "admis",
        JuryDecision.EN_ATTENTE: "en attente",
        JuryDecision.AJOURNE: "ajourné",
        JuryDecision.DEFAILLANT: "défaillant",
    }
)


def fees_balance(*, due: Decimal, payments: Iterable[Decimal]) -> Decimal:
    """Return what is still due: amount due minus payments (refunds are negative payments).

    A negative balance is in the student's favour (INTERCHANGE.md: overpayment allowed).
    """
    paid = Decimal(0)
    for payment in payments:
        paid = numbers.EXACT.add(paid, payment)
    return numbers.EXACT.subtract(due, paid)


def is_paid_in_full(*, due: Decimal, payments: Iterable[Decimal]) -> bool:
    """True when payments cover the amount due (RULES.md §3: sum of payments >= due)."""
    return fees_balance(due=due, payments=payments) <= 0


def format_euros(value: Decimal, /) -> str:
    """French money: ``Decimal("1200")`` → « 1 200,00 € » (no-break spaces; lib/numbers.py)."""
    return numbers.money(value)


class EnrolmentStatus(StrEnum):
    PENDING = "pending"
    ENROLLED = "enrolled"
    WITHDRAWN = "withdrawn"
    COMPLETED = "completed"


STATUS_LABELS: Mapping[EnrolmentStatus, str] = MappingProxyType(
    {
        EnrolmentStatus.PENDING: "en attente",
        EnrolmentStatus.ENROLLED: "inscrit",
        EnrolmentStatus.WITHDRAWN: "retiré",
        EnrolmentStatus.COMPLETED: "terminé",
    }
)

# RULES.md §3: pending → enrolled → (withdrawn | completed); a pending file may be dropped.
ALLOWED_TRANSITIONS: Mapping[EnrolmentStatus, frozenset[EnrolmentStatus]] = MappingProxyType(
    {
        EnrolmentStatus.PENDING: frozenset({EnrolmentStatus.ENROLLED, EnrolmentStatus.WITHDRAWN}),
        EnrolmentStatus.ENROLLED: frozenset({EnrolmentStatus.WITHDRAWN, EnrolmentStatus.COMPLETED}),
        EnrolmentStatus.WITHDRAWN: frozenset(),
        EnrolmentStatus.COMPLETED: frozenset(),
    }
)


def check_transition(*, current: EnrolmentStatus, target: EnrolmentStatus) -> tuple[bool, str]:
    """Say whether an enrolment may go from ``current`` to ``target``, with a French reason.

    The reason is empty when the change is allowed.
    """
    if target in ALLOWED_TRANSITIONS[current]:
        return True, ""
    if current == target:
        return False, f"L'inscription est déjà à l'état « {STATUS_LABELS[current]} »."
    if not ALLOWED_TRANSITIONS[current]:
        return False, (
            f"Une inscription à l'état « {STATUS_LABELS[current]} » ne peut plus changer d'état."
        )
    return False, (
        f"Passage de l'état « {STATUS_LABELS[current]} » à l'état "
        f"« {STATUS_LABELS[target]} » non autorisé."
    )


def enrolment_certificate_available(*, status: EnrolmentStatus) -> bool:
    """The certificat de scolarité exists while enrolled or completed (RULES.md §3)."""
    return status in {EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED}
