"""Words around numbers and dates in the reader's language: ordinals and long dates; and
French numbers (« 12,50 », « 1 200,00 € », « 21,25 % »), implemented in lib/numbers.py so the
pure rules modules can use them without Django, and re-exported here.

French writes « 1er étage », « 2e étage » and « 1er juillet 2024 »; English "1st floor",
"2nd floor" and "1 July 2024". The date patterns go through gettext so the English
catalogue decides; ordinals follow each language's rule, which a catalogue cannot express.
"""

import datetime as dt
import re

from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import get_language, pgettext

from lib.numbers import (
    count,
    decimal_fr,
    grade,
    money,
    percent,
    plain,
    plain_percent,
    round_half_up,
)

__all__ = [
    "count",
    "decimal_fr",
    "grade",
    "long_date",
    "long_datetime",
    "money",
    "ordinal",
    "percent",
    "plain",
    "plain_percent",
    "round_half_up",
]

# A « j » (day of the month) not escaped by a backslash in a Django date format.
_DAY = re.compile(r"(?<!\\)j")


def ordinal(n: int) -> str:
    """« 1er », « 2e », « 10e » in French; "1st", "2nd", "3rd", "11th", "22nd" in English."""
    if (get_language() or "fr").startswith("en"):
        teens = 10 <= n % 100 <= 20  # 11th, 12th, 13th
        suffix = "th" if teens else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return f"{n}{suffix}"
    return "1er" if n == 1 else f"{n}e"


def _local[D: dt.date](value: D) -> D:
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)  # type: ignore[return-value]  # D is datetime here
    return value


def long_date(value: dt.date, fmt: str = "j F Y") -> str:
    """``value`` in the Django date format ``fmt``, the first of the month written « 1er »
    in French: « 1er juillet 2024 », « 2 juillet 2024 »."""
    value = _local(value)
    if value.day == 1:
        # English: "j" (1 July 2024); French: "j\e\r" (1er juillet 2024).
        fmt = _DAY.sub(lambda _m: pgettext("first day of the month", "j\\e\\r"), fmt)
    return date_format(value, fmt)


def long_date_hour(value: dt.datetime) -> str:
    """« 1er décembre 2026 à 18 h 05 », as the convocations write a time in French; English
    "1 December 2026, 18:05" (via the catalogue)."""
    return long_date(value, pgettext("date and time", "j F Y à G \\h i"))


def long_datetime(value: dt.datetime) -> str:
    """« 1er juillet 2024 à 14:00 »; English "1 July 2024 at 14:00" (via the catalogue)."""
    value = _local(value)
    return pgettext("date and time", "%(date)s à %(time)s") % {
        "date": long_date(value),
        "time": time_format(value, "H:i"),
    }
