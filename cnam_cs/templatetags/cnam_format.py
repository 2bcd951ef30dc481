"""Template filters for dates and ordinals in the reader's language (lib/formats.py).

``{% load cnam_format %}`` then ``{{ day|long_date }}`` (« 1er juillet 2024 »),
``{{ day|long_date:"l j F" }}``, ``{{ moment|long_datetime }}`` (« 1er juillet 2024 à 14:00 »).
"""

import datetime as dt

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
