"""Template filters for dates and ordinals in the reader's language (lib/formats.py), and for
French numbers (lib/numbers.py).

``{% load cnam_format %}`` then ``{{ day|long_date }}`` (« 1er juillet 2024 »),
``{{ day|long_date:"l j F" }}``, ``{{ moment|long_datetime }}`` (« 1er juillet 2024 à 14:00 »).
``{{ value|decimal_fr }}`` (« 12,50 »), ``{{ value|decimal_fr:1 }}``, ``{{ grade.value|grade }}``
(« 12,50 », « — » if none), ``{{ amount|money }}`` (« 1 200,00 € »), ``{{ rate|percent }}``
(« 21,25 % »), ``{{ threshold|plain }}`` (« 17,5 »).
"""

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from django import template

from lib import formats

register = template.Library()


@register.filter
def long_date(value: dt.date | None, fmt: str = "j F Y") -> str:
    if value in (None, ""):
        return ""
    return formats.long_date(value, fmt)


@register.filter
def long_datetime(value: dt.datetime | None) -> str:
    if value in (None, ""):
        return ""
    return formats.long_datetime(value)


@register.filter
def ordinal(value: int) -> str:
    return formats.ordinal(int(value))


def _number(value: Decimal | Fraction | int | float | str) -> Decimal | Fraction | int:
    if isinstance(value, Decimal | Fraction | int):
        return value
    return Decimal(str(value))  # a float through its shortest text, as floatformat does


@register.filter
def decimal_fr(value: Decimal | Fraction | int | float | str | None, places: int = 2) -> str:
    if value in (None, ""):
        return ""
    return formats.decimal_fr(_number(value), int(places))


@register.filter
def grade(value: Decimal | int | str | None) -> str:
    if value in (None, ""):
        return formats.grade(None)
    return formats.grade(_number(value))


@register.filter
def money(value: Decimal | int | str | None) -> str:
    if value in (None, ""):
        return ""
    return formats.money(_number(value))


@register.filter
def percent(value: Decimal | Fraction | int | str | None) -> str:
    if value in (None, ""):
        return ""
    return formats.percent(_number(value))


@register.filter
def plain(value: Decimal | int | str | None) -> str:
    if value in (None, ""):
        return ""
    return formats.plain(value if isinstance(value, Decimal) else Decimal(str(value)))
