"""Ordinals and long dates in the reader's language (lib/formats.py, cnam_format filters)."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import translation

from lib.formats import long_date, long_datetime, ordinal

PARIS = dt.timezone(dt.timedelta(hours=2))


@pytest.mark.parametrize(
    ("n", "french", "english"),
    [
        (1, "1er", "1st"),
        (2, "2e", "2nd"),
        (3, "3e", "3rd"),
        (4, "4e", "4th"),
        (11, "11e", "11th"),
        (12, "12e", "12th"),
        (13, "13e", "13th"),
        (21, "21e", "21st"),
        (22, "22e", "22nd"),
        (101, "101e", "101st"),
        (111, "111e", "111th"),
    ],
)
def test_ordinals_follow_each_language(n, french, english):
    with translation.override("fr"):
        assert ordinal(n) == french
    with translation.override("en"):
        assert ordinal(n) == english


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (dt.date(2024, 7, 1), "1er juillet 2024"),
        (dt.date(2024, 7, 2), "2 juillet 2024"),
        (dt.date(2024, 7, 11), "11 juillet 2024"),
        (dt.date(2025, 1, 31), "31 janvier 2025"),
    ],
)
def test_french_long_date_writes_1er_for_the_first_of_the_month(day, text):
    with translation.override("fr"):
        assert long_date(day) == text


def test_long_date_takes_a_format_with_weekday():
    with translation.override("fr"):
        assert long_date(dt.date(2025, 12, 1), "l j F") == "lundi 1er décembre"
        assert long_date(dt.date(2025, 12, 2), "l j F Y") == "mardi 2 décembre 2025"


def test_an_escaped_j_is_left_alone():
    with translation.override("fr"):
        assert long_date(dt.date(2024, 7, 1), "\\j j F") == "j 1er juillet"


def test_aware_datetimes_are_read_in_paris_time():
    # 30 June 2024 at 23:30 UTC is already 1 July in Paris.
    moment = dt.datetime(2024, 6, 30, 23, 30, tzinfo=dt.UTC)
    with translation.override("fr"):
        assert long_date(moment) == "1er juillet 2024"
        assert long_datetime(moment) == "1er juillet 2024 à 01:30"


def test_french_date_and_time_join_with_a():
    with translation.override("fr"):
        assert long_datetime(dt.datetime(2024, 7, 1, 14, 0, tzinfo=PARIS)) == (
            "1er juillet 2024 à 14:00"
        )


def test_template_filters():
    template = Template(
        "{% load cnam_format %}{{ day|long_date }} · {{ day|long_date:'l j F' }} · "
        "{{ moment|long_datetime }} · {{ 2|ordinal }} · {{ nothing|long_date }}."
    )
    context = Context(
        {
            "day": dt.date(2024, 7, 1),
            "moment": dt.datetime(2024, 7, 3, 9, 5, tzinfo=PARIS),
            "nothing": None,
        }
    )
    with translation.override("fr"):
        assert template.render(context) == (
            "1er juillet 2024 · lundi 1er juillet · 3 juillet 2024 à 09:05 · 2e · ."
        )
