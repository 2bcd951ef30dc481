"""Free text and e-mail addresses typed by people: one rule each, for every app and the import.

Free text (SECURITY.md #32): control characters (C0, DEL, C1) and the invisible bidirectional
formatting characters are refused in every field: U+202E shows what follows it reversed (a
file « factfdp.exe » reads « factexe.pdf »), ESC and BEL drive the terminals that display logs,
a newline splits a log line or a CSV row. A line break is allowed only where people type in a
text area, as ``\\n`` or ``\\r\\n``.

E-mail addresses (SECURITY.md #29) are stored as Django's own ``normalize_email`` does: spaces
stripped, domain in lower case, local part as typed. Uniqueness ignores case on the whole address
(database constraints on ``Lower("email")``), since every mail provider we meet does.
"""

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# Bidirectional formatting: LRM, RLM, ALM, embeddings and overrides, isolates.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# U+2028 and U+2029 end a line for str.splitlines() and JavaScript as "\n" does.
_LINE_BREAKS = "\n\r\u2028\u2029"
_ONE_LINE = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{_BIDI}\\u2028\\u2029]")
_MULTI_LINE = re.compile(f"[\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f{_BIDI}\\u2028\\u2029]")

ONE_LINE_MESSAGE = _("Ce champ tient sur une seule ligne : retirez le retour à la ligne.")
FORBIDDEN_MESSAGE = _(
    "Ce champ contient un caractère de contrôle ou de mise en forme invisible (%(code)s) : "
    "retirez-le."
)


def forbidden_character(value: str, *, multiline: bool = False) -> str | None:
    """The first character of ``value`` that free text may not hold, or None.

    With ``multiline``, ``\\n`` and ``\\r\\n`` are line breaks; a lone ``\\r`` is still refused.
    """
    if multiline:
        match = _MULTI_LINE.search(value.replace("\r\n", "\n"))
    else:
        match = _ONE_LINE.search(value)
    return match.group() if match else None


def is_line_break(char: str) -> bool:
    return char in _LINE_BREAKS


def code_point(char: str) -> str:
    return f"U+{ord(char):04X}"


@deconstructible
class FreeTextValidator:
    """The one check on free text; ``multiline`` for fields typed in a text area."""

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value: Any) -> None:
        char = forbidden_character(str(value), multiline=self.multiline)
        if char is None:
            return
        if is_line_break(char) and not self.multiline:
            raise ValidationError(ONE_LINE_MESSAGE, code="line_break")
        raise ValidationError(
            FORBIDDEN_MESSAGE, code="forbidden_character", params={"code": code_point(char)}
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FreeTextValidator) and other.multiline == self.multiline

    def __hash__(self) -> int:
        return hash((FreeTextValidator, self.multiline))


ONE_LINE = FreeTextValidator()
MULTI_LINE = FreeTextValidator(multiline=True)


def check_free_text[F: type[forms.Form | forms.ModelForm[Any]]](form_class: F) -> F:
    """Class decorator: every text field of the form gets the free-text rule, once.

    The widget decides: a text area allows line breaks, any other input is one line. Password
    fields are left alone (a password may hold any character).
    """
    for field in form_class.base_fields.values():
        if not isinstance(field, forms.CharField) or isinstance(field.widget, forms.PasswordInput):
            continue
        if not any(isinstance(v, FreeTextValidator) for v in field.validators):
            field.validators.append(
                FreeTextValidator(multiline=isinstance(field.widget, forms.Textarea))
            )
    return form_class


def normalise_email(value: str) -> str:
    """Spaces stripped and the domain in lower case (Django's ``normalize_email``)."""
    address = value.strip()
    local, at, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}" if at else address


EMAIL_UNAVAILABLE = _("Cette adresse ne peut pas être utilisée : choisissez-en une autre.")
