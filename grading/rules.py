"""Pure grading rules: grade input, make-ups and the UE average (RULES.md §6).

Exact ``Decimal``/integer arithmetic only; the average is rounded half-up once, at the end.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from lib import numbers

MAX_GRADE = Decimal(20)
_CENT = Decimal("0.01")

# SECURITY.md #6/#7: the one written rule for grade input. ASCII classes only, so full-width
# or Arabic-Indic digits, "1_0", "1e1", "NaN", "-0" and "+5" never reach Decimal().
_GRADE_RE = re.compile(r"[0-9]{1,2}(?:[.,][0-9]{1,2})?")
# Only to choose the clearest message for something number-shaped but refused.
_NUMBER_LIKE_RE = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?")

MSG_REQUIRED = "La note est obligatoire."
MSG_FORMAT = "La note doit être un nombre avec au plus deux décimales (ex. 12,5)."
MSG_RANGE = "La note doit être comprise entre 0 et 20."
# ``GradeInputError.code`` of text that is not even number-shaped (« abc »): forms then list
# the status codes accepted instead (grading/codes.py).
NOT_A_NUMBER = "not_a_number"


class GradeInputError(ValueError):
    """A refused grade input; ``message`` is French, ready for a form error."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def parse_grade(text: str, /) -> Decimal:
    """Parse a typed grade (« 12,5 » or « 12.5 ») into a Decimal with 2 decimals, 0 to 20.

    Raises ``GradeInputError`` with a French message otherwise.
    """
    stripped = text.strip()
    if not stripped:
        raise GradeInputError(MSG_REQUIRED)
    if _GRADE_RE.fullmatch(stripped):
        value = Decimal(stripped.replace(",", "."))
        if value <= MAX_GRADE:
            return value.quantize(_CENT)
        raise GradeInputError(MSG_RANGE)
    if not _NUMBER_LIKE_RE.fullmatch(stripped):
        raise GradeInputError(MSG_FORMAT, code=NOT_A_NUMBER)
    whole, _, decimals = stripped.replace(",", ".").partition(".")
    if len(decimals) > 2:
        raise GradeInputError(MSG_FORMAT)
    if whole.startswith("-") or Decimal(stripped.replace(",", ".")) > MAX_GRADE:
        raise GradeInputError(MSG_RANGE)
    raise GradeInputError(MSG_FORMAT)


def format_grade(value: Decimal | None, /) -> str:
    """French grade with 2 decimals (« 12,50 »); « — » when there is none (lib/numbers.py)."""
    return numbers.grade(value)


class GradeStatus(StrEnum):
    GRADED = "graded"
    ABSENT = "absent"
    ABSENT_JUSTIFIED = "absent_justified"
    PLAGIARISM = "plagiarism"


class AssessmentKind(StrEnum):
    CC = "cc"
    CT = "ct"


class UEStatus(StrEnum):
    VALIDATED = "validated"
    FAILED = "failed"
    PENDING = "pending"


@dataclass(frozen=True, slots=True)
class AssessmentInfo:
    key: str
    ue: str
    kind: AssessmentKind
    weight: Decimal
    makeup_of: str | None = None

    def __post_init__(self) -> None:
        if not self.weight > 0:
            raise ValueError(f"assessment {self.key}: weight must be positive")


@dataclass(frozen=True, slots=True)
class GradeEntry:
    status: GradeStatus
    value: Decimal | None = None

    def __post_init__(self) -> None:
        if (self.status == GradeStatus.GRADED) != (self.value is not None):
            raise ValueError("a value is given exactly when the status is graded")
        if self.value is not None and not 0 <= self.value <= MAX_GRADE:
            raise ValueError("a grade lies between 0 and 20")


@dataclass(frozen=True, slots=True)
class CountedMark:
    """A mark that enters the average: ``original`` is the assessment it stands for,
    ``source`` the assessment whose entry gave it (the make-up when one replaced it)."""

    original: str
    source: str
    weight: Decimal
    mark: Decimal


@dataclass(frozen=True, slots=True)
class UEResult:
    ue: str
    status: UEStatus
    average: Decimal | None
    credits: int
    counted: tuple[CountedMark, ...] = ()
    missing: tuple[str, ...] = ()
    makeup_pending: tuple[str, ...] = ()
    missed: tuple[str, ...] = ()
    has_assessment: bool = True

    @property
    def pending(self) -> bool:
        return self.status == UEStatus.PENDING

    @property
    def raw_average(self) -> Decimal | None:
        """The weighted average before rounding (50 digits), ``None`` while pending: worked
        out when read, since only the rounded one decides (§6) and is shown."""
        if self.average is None:
            return None
        weighted, weights = _weighted_sums(self.counted)
        return numbers.EXACT.divide(weighted, weights)

    @property
    def validated(self) -> bool:
        return self.status == UEStatus.VALIDATED


def _round_half_up(weighted: Decimal, weights: Decimal) -> Decimal:
    # Rounded from the exact quotient (n₁/d₁)/(n₂/d₂) = n₁·d₂ / (d₁·n₂), in integers: 9.995
    # must give 10.00 whatever the weights (§8 #9). The divisor is positive (weights > 0).
    n1, d1 = weighted.as_integer_ratio()
    n2, d2 = weights.as_integer_ratio()
    return numbers.ratio_half_up(n1 * d2, d1 * n2)


def _makeups_by_original(assessments: Sequence[AssessmentInfo]) -> dict[str, AssessmentInfo]:
    makeups: dict[str, AssessmentInfo] = {}
    for assessment in assessments:
        if assessment.makeup_of is None:
            continue
        if assessment.makeup_of in makeups:
            raise ValueError(f"{assessment.makeup_of} has more than one make-up")
        makeups[assessment.makeup_of] = assessment
    return makeups


def ue_result(
    *,
    ue: str,
    credits: int,
    assessments: Sequence[AssessmentInfo],
    entries: Mapping[str, GradeEntry],
    pass_mark: Decimal,
) -> UEResult:
    """Average, status and credits of one UE for one student (RULES.md §6, INTERCHANGE.md).

    ``assessments`` are all of the UE's (originals and make-ups); ``entries`` maps key → entry.
    """
    foreign = [a.key for a in assessments if a.ue != ue]
    if foreign:
        raise ValueError(f"assessments not of UE {ue}: {', '.join(foreign)}")
    originals = [a for a in assessments if a.makeup_of is None]
    counted, missing, makeup_pending, missed = _count_marks(
        originals, _makeups_by_original(assessments), entries
    )
    average: Decimal | None = None
    status = UEStatus.PENDING
    if originals and not missing and not makeup_pending:
        average = _round_half_up(*_weighted_sums(counted))
        # RULES.md §6 Decision: the rounded figure decides, so what is read is what was decided.
        status = UEStatus.VALIDATED if average >= pass_mark else UEStatus.FAILED
    return UEResult(
        ue=ue,
        status=status,
        average=average,
        credits=credits if status == UEStatus.VALIDATED else 0,
        counted=tuple(counted),
        missing=tuple(missing),
        makeup_pending=tuple(makeup_pending),
        missed=tuple(missed),
        has_assessment=bool(originals),
    )


def _count_marks(
    originals: Sequence[AssessmentInfo],
    makeups: Mapping[str, AssessmentInfo],
    entries: Mapping[str, GradeEntry],
) -> tuple[list[CountedMark], list[str], list[str], list[str]]:
    """Sort the originals into counted, missing and waiting for a make-up, in their order (§6).

    Returns (counted, missing, makeup_pending, missed); missed lists the counted marks not sat.
    """
    counted: list[CountedMark] = []
    missing: list[str] = []
    makeup_pending: list[str] = []
    missed: list[str] = []
    for original in originals:
        entry = entries.get(original.key)
        if entry is None:
            missing.append(original.key)
            continue
        source = original.key
        if entry.status == GradeStatus.ABSENT_JUSTIFIED:
            # The make-up entry stands in for the justified absence; without a usable one the
            # UE waits (RULES.md §6 Decision), still under the original's key.
            makeup = makeups.get(original.key)
            makeup_entry = entries.get(makeup.key) if makeup else None
            if (
                makeup is None
                or makeup_entry is None
                or makeup_entry.status == GradeStatus.ABSENT_JUSTIFIED
            ):
                makeup_pending.append(original.key)
                continue
            entry, source = makeup_entry, makeup.key
        if entry.status == GradeStatus.ABSENT:
            missed.append(source)  # not sat: défaillant, and the mark counts 0 (§6)
        # absent and plagiarism count 0 (booklet §4.2, §4.4); only graded carries a value.
        mark = entry.value if entry.value is not None else Decimal(0)
        counted.append(
            CountedMark(original=original.key, source=source, weight=original.weight, mark=mark)
        )
    return counted, missing, makeup_pending, missed


def _weighted_sums(counted: Sequence[CountedMark]) -> tuple[Decimal, Decimal]:
    """Σ weight × mark and Σ weight of the counted marks (non-empty), exactly."""
    weighted = weights = Decimal(0)
    for c in counted:
        weighted = numbers.EXACT.add(weighted, numbers.EXACT.multiply(c.weight, c.mark))
        weights = numbers.EXACT.add(weights, c.weight)
    return weighted, weights


def validate_makeup(
    *,
    makeup: AssessmentInfo,
    original: AssessmentInfo | None,
    existing_makeup_of_original: str | None,
) -> list[str]:
    """French errors for a make-up attachment (RULES.md §6); empty when it is valid.

    ``existing_makeup_of_original`` is the key of another make-up already attached, if any.
    """
    if original is None:
        return [f"Le rattrapage {makeup.key} doit être rattaché à une évaluation existante."]
    errors: list[str] = []
    if original.makeup_of is not None:
        errors.append(
            f"{original.key} est elle-même un rattrapage : un rattrapage ne se rattrape pas."
        )
    if makeup.ue != original.ue:
        errors.append(
            f"Le rattrapage {makeup.key} doit être de la même UE que {original.key} "
            f"({original.ue})."
        )
    if makeup.kind != original.kind:
        errors.append(
            f"Le rattrapage {makeup.key} doit être du même type que {original.key} "
            f"({original.kind.upper()})."
        )
    if makeup.weight != original.weight:
        errors.append(
            f"Le rattrapage {makeup.key} doit avoir le même coefficient que {original.key} "
            f"({numbers.plain(original.weight)})."
        )
    if existing_makeup_of_original is not None and existing_makeup_of_original != makeup.key:
        errors.append(f"{original.key} a déjà un rattrapage ({existing_makeup_of_original}).")
    return errors
