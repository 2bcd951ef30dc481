"""The portal's one decimal field (lib/forms.py): what it reads, what it refuses, how it shows."""

from decimal import Decimal

import pytest
from django import forms
from django.utils import translation

from lib.forms import DecimalInput, LocalizedDecimalField, format_decimal, parse_decimal


class MoneyForm(forms.Form):
    amount = LocalizedDecimalField(
        min_value=Decimal("0.01"),
        max_value=Decimal("9999999.99"),
        decimal_places=2,
        display_places=2,
    )


class WeightForm(forms.Form):
    weight = LocalizedDecimalField(max_digits=5, decimal_places=2, required=False)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("0,5", "0.5"),
        ("0.5", "0.5"),
        ("600,50", "600.50"),
        ("1 200,50", "1200.50"),
        ("1\u00a0200,50", "1200.50"),  # no-break space
        ("1\u202f200,50", "1200.50"),  # narrow no-break space
        ("1 200.50", "1200.50"),
        ("12 345 678", "12345678"),
        ("  42 ", "42"),
        (",5", "0.5"),
        ("5,", "5"),
        ("0,125", "0.125"),  # a leading zero is never a thousands group
        ("-3,5", "-3.5"),
        ("-0", "0"),
    ],
)
def test_accepted_inputs(typed, expected):
    value = parse_decimal(typed, decimal_places=3)
    assert value == Decimal(expected)
    assert str(value) == expected


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("1.200,50", "ambiguous"),
        ("1,200.50", "ambiguous"),
        ("5,5,5", "ambiguous"),
        ("1.200.000", "ambiguous"),
        ("12 00", "ambiguous"),
        ("1 20,5", "ambiguous"),
        ("abc", "invalid"),
        ("", "invalid"),
        (".", "invalid"),
        ("-", "invalid"),
        ("1e3", "invalid"),
        ("1_000", "invalid"),
        ("NaN", "invalid"),
        ("Infinity", "invalid"),
        ("+5", "invalid"),
        ("１２", "invalid"),  # full-width digits
        ("٣", "invalid"),  # Arabic-Indic digit
        ("12\t5", "invalid"),
        ("5 €", "invalid"),
        ("1" * 41, "invalid"),
    ],
)
def test_refused_inputs(typed, code):
    with pytest.raises(forms.ValidationError) as refused:
        parse_decimal(typed, decimal_places=2)
    assert refused.value.code == code


@pytest.mark.parametrize("typed", ["1,200", "1.200", "999,000"])
def test_a_thousands_lookalike_is_ambiguous_when_the_field_takes_two_decimals(typed):
    with pytest.raises(forms.ValidationError) as refused:
        parse_decimal(typed, decimal_places=2)
    assert refused.value.code == "ambiguous"
    assert parse_decimal(typed, decimal_places=3) == Decimal(typed.replace(",", "."))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("0,01", "0.01"), ("600,50", "600.50"), ("1 200,5", "1200.5"), ("9 999 999,99", "9999999.99")],
)
def test_the_money_form_reads_french_amounts(typed, expected):
    form = MoneyForm({"amount": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == Decimal(expected)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("abc", "Saisissez un nombre, par exemple 0,5 ou 1\xa0200,50."),
        ("1.200,50", "Nombre ambigu"),
        ("5,5,5", "Nombre ambigu"),
        ("0", "supérieur ou égal à 0,01"),
        ("10 000 000", "inférieur ou égal à 9\u00a0999\u00a0999,99"),
        ("0,005", "2 chiffres après la virgule"),
        ("1,005", "Nombre ambigu"),
        ("", "Ce champ est obligatoire."),
    ],
)
def test_the_money_form_refuses_with_a_french_message(typed, message):
    with translation.override("fr"):
        form = MoneyForm({"amount": typed})
        assert not form.is_valid()
        assert message in " ".join(form.errors["amount"])


def test_the_limits_in_messages_follow_the_language():
    with translation.override("en"):
        form = MoneyForm({"amount": "0"})
        assert not form.is_valid()
        assert "0.01" in form.errors["amount"][0]


def test_max_digits_still_applies():
    form = WeightForm({"weight": "1 000,5"})
    assert not form.is_valid()
    assert "weight" in form.errors


def test_the_input_is_text_with_the_decimal_keypad_never_type_number():
    html = str(MoneyForm()["amount"])
    assert 'type="text"' in html
    assert 'inputmode="decimal"' in html
    assert 'type="number"' not in html
    assert "step=" not in html and "min=" not in html


@pytest.mark.parametrize(
    ("language", "form_class", "initial", "shown"),
    [
        ("fr", WeightForm, Decimal("0.50"), 'value="0,5"'),
        ("en", WeightForm, Decimal("0.50"), 'value="0.5"'),
        ("fr", WeightForm, Decimal("2.00"), 'value="2"'),
        ("fr", MoneyForm, Decimal("600.5"), 'value="600,50"'),
        ("en", MoneyForm, Decimal("600.5"), 'value="600.50"'),
        ("fr", MoneyForm, Decimal("1200"), 'value="1200,00"'),
        ("fr", MoneyForm, 0, 'value="0,00"'),
    ],
)
def test_initial_values_are_shown_in_the_active_language(language, form_class, initial, shown):
    name = next(iter(form_class.base_fields))
    with translation.override(language):
        html = str(form_class(initial={name: initial})[name])
    assert shown in html


def test_a_refused_input_is_shown_back_as_typed():
    form = MoneyForm({"amount": "1.200,50"})
    assert not form.is_valid()
    assert 'value="1.200,50"' in str(form["amount"])


def test_an_unchanged_initial_value_is_not_a_change():
    form = MoneyForm({"amount": "600,50"}, initial={"amount": Decimal("600.50")})
    assert not form.has_changed()
    assert MoneyForm({"amount": "600,51"}, initial={"amount": Decimal("600.50")}).has_changed()


def test_format_decimal_groups_thousands_only_when_asked():
    with translation.override("fr"):
        assert format_decimal(Decimal("1200.5"), places=2) == "1200,50"
        assert format_decimal(Decimal("1200.5"), places=2, grouping=True) == "1\u00a0200,50"
        assert format_decimal(Decimal("-0.00")) == "0"


def test_the_widget_keeps_extra_attributes():
    widget = DecimalInput(attrs={"class": "form-control", "inputmode": "numeric"})
    html = widget.render("x", Decimal("3"))
    assert 'class="form-control"' in html and 'inputmode="numeric"' in html
