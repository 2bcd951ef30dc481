"""Ordinals and long dates in the reader's language (lib/formats.py, cnam_format filters), and
French numbers (lib/numbers.py)."""

import datetime as dt
from decimal import Decimal as D
from fractions import Fraction

import pytest
from django.template import Context, Template
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from lib import formats, numbers
from lib.formats import long_date, long_datetime, ordinal
from lib.numbers import count, decimal_fr, grade, money, percent, plain, plain_percent

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


def test_date_and_hour_as_the_convocations_write_them():
    moment = dt.datetime(2026, 12, 1, 17, 5, tzinfo=dt.UTC)  # 18:05 in Paris (winter)
    with translation.override("fr"):
        assert formats.long_date_hour(moment) == "1er décembre 2026 à 18 h 05"
    with translation.override("en"):
        assert formats.long_date_hour(moment) == "1 December 2026, 18:05"


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


# --- French numbers (lib/numbers.py, re-exported by lib/formats.py) ------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("0"), "0,00"),
        (D("-0"), "0,00"),
        (D("-0.001"), "0,00"),  # rounds to zero: never « -0,00 »
        (D("0.5"), "0,50"),
        (D("0.005"), "0,01"),  # half-up
        (D("0.004999"), "0,00"),
        (D("9.994"), "9,99"),
        (D("9.995"), "10,00"),  # half-up, RULES.md §8 #9
        (D("12.5"), "12,50"),
        (D("20"), "20,00"),
        (D("-9.995"), "-10,00"),  # away from zero on a tie, like Decimal's ROUND_HALF_UP
        (D("-150.5"), "-150,50"),
        (D("999.999"), "1\xa0000,00"),
        (D("1234567.891"), "1\xa0234\xa0567,89"),
        (Fraction(1999, 200), "10,00"),  # 9.995 exactly
        (Fraction(2, 3), "0,67"),
        (7, "7,00"),
    ],
)
def test_decimal_fr_rounds_half_up_and_groups_thousands(value, text):
    assert decimal_fr(value) == text


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (D("12.345"), 1, "12,3"),
        (D("12.35"), 1, "12,4"),
        (D("12.5"), 0, "13"),
        (D("1200"), 0, "1\xa0200"),
    ],
)
def test_decimal_fr_takes_the_number_of_decimals(value, places, text):
    assert decimal_fr(value, places) == text


@given(
    st.decimals(min_value=-(10**12), max_value=10**12, places=5),
    st.integers(min_value=0, max_value=3),
)
def test_a_decimal_rounds_as_its_exact_fraction_does(value, places):
    """Decimals take the decimal module's half-up rounding; the written figure is the one the
    exact Fraction path gives, to the last digit and exponent."""
    exact = numbers.round_half_up(Fraction(value), places)
    assert str(numbers.round_half_up(value, places)) == str(exact)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("1200"), "1\xa0200,00\xa0€"),
        (D("0"), "0,00\xa0€"),
        (D("-0.00"), "0,00\xa0€"),
        (D("0.005"), "0,01\xa0€"),
        (D("-15"), "-15,00\xa0€"),  # a refund
        (D("-1200.5"), "-1\xa0200,50\xa0€"),
        (D("1234567.891"), "1\xa0234\xa0567,89\xa0€"),
    ],
)
def test_money(value, text):
    assert money(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("0"), "0,00\xa0%"),
        (D("1"), "1,00\xa0%"),
        (D("20"), "20,00\xa0%"),
        (D("21.25"), "21,25\xa0%"),
        (D("12.345"), "12,35\xa0%"),
        (D("20.005"), "20,01\xa0%"),
        (Fraction(85, 4), "21,25\xa0%"),
        (Fraction(40010, 2000), "20,01\xa0%"),  # 20.005 exactly, never through a float
        (D("100"), "100,00\xa0%"),
    ],
)
def test_percent(value, text):
    assert percent(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(D("12.5"), "12,50"), (D("0"), "0,00"), (D("-0"), "0,00"), (D("9.995"), "10,00"), (None, "—")],
)
def test_grade(value, text):
    assert grade(value) == text


@pytest.mark.parametrize(
    ("value", "text", "pct"),
    [
        (D("10"), "10", "10\xa0%"),
        (D("10.00"), "10", "10\xa0%"),
        (D("17.5"), "17,5", "17,5\xa0%"),
        (D("1.25"), "1,25", "1,25\xa0%"),
        (D("100"), "100", "100\xa0%"),  # not « 1E+2 »
        (D("15.000"), "15", "15\xa0%"),
        (None, "—", "—\xa0%"),
    ],
)
def test_plain_figures_lose_their_trailing_zeros(value, text, pct):
    assert plain(value) == text
    assert plain_percent(value) == pct


@pytest.mark.parametrize(
    ("n", "text"), [(0, "0"), (999, "999"), (1200, "1\u202f200"), (1234567, "1\u202f234\u202f567")]
)
def test_count_groups_thousands_with_narrow_spaces(n, text):
    assert count(n) == text


def test_the_numbers_read_the_same_in_english():
    with translation.override("en"):
        assert money(D("1200")) == "1\xa0200,00\xa0€"
        assert grade(D("12.5")) == "12,50"


def test_lib_numbers_is_pure():
    # The pure rules modules import it: no Django (STYLE.md).
    import ast
    from pathlib import Path

    import lib.numbers

    tree = ast.parse(Path(lib.numbers.__file__).read_text(encoding="utf-8"))
    modules = [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    ] + [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert modules == ["decimal", "fractions"]


def test_number_filters():
    template = Template(
        "{% load cnam_format %}{{ g|grade }} · {{ none|grade }} · {{ fee|money }} · "
        "{{ rate|percent }} · {{ t|plain }} · {{ g|decimal_fr:1 }} · {{ none|money }}."
    )
    context = Context(
        {"g": D("12.45"), "none": None, "fee": D("-1200"), "rate": D("21.25"), "t": D("17.50")}
    )
    with translation.override("fr"):
        assert template.render(context) == (
            "12,45 · — · -1\xa0200,00\xa0€ · 21,25\xa0% · 17,5 · 12,5 · ."
        )


def test_lib_formats_reexports_the_numbers():
    assert formats.money is money
    assert formats.decimal_fr is decimal_fr
