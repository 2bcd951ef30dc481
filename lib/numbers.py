"""French numbers: « 12,50 », « 1 200,00 € », « 21,25 % », « 17,5 ».

The one implementation of the French way of writing a number (comma for decimals, no-break
spaces), whatever the reader's language: grades, money and rates read the same in every
document. Pure Python (no Django, no settings), so the pure ``rules.py`` modules use it too;
``lib.formats`` re-exports it and ``cnam_format`` makes template filters of it.

Rounding is half-up (away from zero on a tie), from the exact value: 9.995 gives « 10,00 »
and a ``Fraction`` is never rounded through a float (RULES.md §6, §8 #9).
"""

from decimal import ROUND_HALF_UP, Context, Decimal
from fractions import Fraction

# Exact arithmetic on marks × weights, sums of money and threshold × minutes: 50 digits hold
# any of them, so ``EXACT.add``, ``EXACT.multiply`` and ``EXACT.subtract`` never round. Used
# through its methods, never installed as the thread's context (``localcontext`` per student
# cost a third of a cohort's averages); only its flags change, and nothing reads them.
EXACT = Context(prec=50)

NBSP = "\xa0"  # between thousands of money, and before « € » and « % »
NNBSP = "\u202f"  # narrow no-break space: between thousands of plain counts (« 1 200 »)
DASH = "—"  # no value
# « 1,200.50 » as Python writes it → « 1 200,50 »
_FRENCH_FIGURES = str.maketrans({",": NBSP, ".": ","})


def round_half_up(value: Decimal | Fraction | int, places: int = 2) -> Decimal:
    """``value`` rounded half-up (away from zero) to ``places`` decimals, exactly.

    Never « -0 »: a value that rounds to zero is zero.
    """
    if isinstance(value, Decimal) and value.is_finite() and value.adjusted() < 40:
        # A Decimal is already exact: the decimal module rounds it half-up itself, without the
        # Fraction below (a grade, a balance or a rate: 8 µs → 1 µs on every page).
        rounded = value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP, EXACT)
        return rounded if rounded else abs(rounded)
    exact = Fraction(value)
    return ratio_half_up(exact.numerator, exact.denominator, places)


def ratio_half_up(numerator: int, denominator: int, places: int = 2) -> Decimal:
    """``numerator / denominator`` (``denominator`` > 0) rounded half-up (away from zero) to
    ``places`` decimals, in integers: floor(|n| / d × 10^places + ½), so 9.995 gives 10.00
    whatever the two numbers (RULES.md §8 #9). Never « -0 »."""
    units = (2 * abs(numerator) * 10**places + denominator) // (2 * denominator)
    return Decimal(-units if numerator < 0 else units).scaleb(-places)


def decimal_fr(value: Decimal | Fraction | int, places: int = 2) -> str:
    """« 12,50 », « 1 200,00 », « -15,00 »: ``places`` decimals, rounded half-up, thousands
    grouped with no-break spaces."""
    return f"{round_half_up(value, places):,.{places}f}".translate(_FRENCH_FIGURES)


def grade(value: Decimal | Fraction | int | None) -> str:
    """A grade with 2 decimals: « 12,50 »; « — » when there is none."""
    return DASH if value is None else decimal_fr(value, 2)


def money(value: Decimal | Fraction | int) -> str:
    """Euros with cents: ``Decimal("1200")`` → « 1 200,00 € », a refund « -15,00 € »."""
    return f"{decimal_fr(value, 2)}{NBSP}€"


def percent(value: Decimal | Fraction | int) -> str:
    """A rate with 2 decimals: « 21,25 % » (no-break space before « % »)."""
    return f"{decimal_fr(value, 2)}{NBSP}%"


def plain(value: Decimal | None) -> str:
    """A figure as typed, without trailing zeros: « 10 », « 17,5 », « 1,25 »; « — » if none.

    For thresholds, pass marks and coefficients, which the booklet writes « 10 », not « 10,00 ».
    """
    if value is None:
        return DASH
    return f"{value.normalize():f}".replace(".", ",")


def plain_percent(value: Decimal | None) -> str:
    """A threshold as the booklet writes it: « 20 % », « 17,5 % »."""
    return f"{plain(value)}{NBSP}%"


def count(n: int) -> str:
    """A whole number with narrow no-break spaces between thousands: « 1 200 »."""
    return f"{n:,}".replace(",", NNBSP)
