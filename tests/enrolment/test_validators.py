"""The free-text rule and the e-mail normalisation, without a database (SECURITY.md #29, #32)."""

import pytest
from django import forms
from django.core.exceptions import ValidationError

from enrolment.validators import (
    MULTI_LINE,
    ONE_LINE,
    FreeTextValidator,
    check_free_text,
    forbidden_character,
    normalise_email,
)

# Every character the rule names, one of each family (SECURITY.md #32 and the bidi list).
FORBIDDEN = {
    "U+202E right-to-left override": "\u202e",
    "U+200F right-to-left mark": "\u200f",
    "U+200E left-to-right mark": "\u200e",
    "U+202A left-to-right embedding": "\u202a",
    "U+2066 left-to-right isolate": "\u2066",
    "U+2069 pop directional isolate": "\u2069",
    "U+061C Arabic letter mark": "\u061c",
    "ESC": "\x1b",
    "BEL": "\x07",
    "NUL": "\x00",
    "TAB": "\t",
    "DEL": "\x7f",
    "C1 NEL": "\x85",
    "C1 CSI": "\x9b",
}
LINE_BREAKS = {"LF": "\n", "CR LF": "\r\n", "lone CR": "\r", "U+2028": "\u2028"}


def messages(validator: FreeTextValidator, value: str) -> list[str]:
    with pytest.raises(ValidationError) as info:
        validator(value)
    return info.value.messages


@pytest.mark.parametrize("char", FORBIDDEN.values(), ids=FORBIDDEN.keys())
@pytest.mark.parametrize("validator", [ONE_LINE, MULTI_LINE], ids=["one line", "multi-line"])
def test_attack_32_every_control_and_bidi_character_is_refused_and_named(validator, char):
    (message,) = messages(validator, f"Coopérative{char} ESS")
    assert "caractère de contrôle ou de mise en forme invisible" in message
    assert f"U+{ord(char):04X}" in message


@pytest.mark.parametrize("newline", LINE_BREAKS.values(), ids=LINE_BREAKS.keys())
def test_attack_32_a_one_line_field_refuses_line_breaks_with_its_own_message(newline):
    assert messages(ONE_LINE, f"06 12{newline}34") == [
        "Ce champ tient sur une seule ligne : retirez le retour à la ligne."
    ]


@pytest.mark.parametrize("value", ["2 rue Conté\n75003 Paris", "2 rue Conté\r\n75003 Paris\r\n"])
def test_attack_32_a_multi_line_field_accepts_lf_and_crlf(value):
    MULTI_LINE(value)  # no error
    assert forbidden_character(value, multiline=True) is None


def test_attack_32_a_multi_line_field_refuses_a_lone_cr_and_an_override_after_a_newline():
    assert forbidden_character("2 rue\r75003", multiline=True) == "\r"
    assert forbidden_character("2 rue\u202875003", multiline=True) == "\u2028"
    assert forbidden_character("2 rue\n\u202e75003", multiline=True) == "\u202e"


@pytest.mark.parametrize(
    "value", ["Chargée de projet", "O'Brien-Núñez", "06 12 34 56 78", "+33 (0)1 40 27 20 00"]
)
def test_ordinary_text_passes(value):
    ONE_LINE(value)
    assert forbidden_character(value) is None


def test_the_validator_deconstructs_for_migrations_and_compares_by_kind():
    path, args, kwargs = MULTI_LINE.deconstruct()
    assert (path, args, kwargs) == (
        "enrolment.validators.FreeTextValidator",
        (),
        {"multiline": True},
    )
    assert FreeTextValidator() == ONE_LINE != MULTI_LINE


def test_check_free_text_decides_by_the_widget_and_leaves_passwords_alone():
    @check_free_text
    class Form(forms.Form):
        line = forms.CharField()
        text = forms.CharField(widget=forms.Textarea)
        secret = forms.CharField(widget=forms.PasswordInput)
        count = forms.IntegerField()

    def kinds(name: str) -> list[bool]:
        return [
            v.multiline
            for v in Form.base_fields[name].validators
            if isinstance(v, FreeTextValidator)
        ]

    assert kinds("line") == [False]
    assert kinds("text") == [True]
    assert kinds("secret") == []
    assert check_free_text(Form) is Form and kinds("line") == [False]  # never added twice
    form = Form({"line": "a\nb", "text": "a\nb", "secret": "\x1b", "count": "1"})
    assert set(form.errors) == {"line"}


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Camille.Martin@Example.ORG ", "Camille.Martin@example.org"),
        ("camille@example.org", "camille@example.org"),
        ("a@b@Example.ORG", "a@b@example.org"),
        ("pas-une-adresse", "pas-une-adresse"),
        ("", ""),
    ],
)
def test_attack_29_addresses_are_stored_stripped_with_the_domain_in_lower_case(typed, stored):
    assert normalise_email(typed) == stored
