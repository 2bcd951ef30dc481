"""A decimal form field typed as text: « 0,5 » and « 0.5 » both mean one half, in any browser.

``<input type="number">`` is parsed by the browser in *its* locale: in a browser not set to
French, « 0,5 » reached the server as « 5 » and « 600,50 » as « 60050 ». A text input with
``inputmode="decimal"`` (the phone still shows a numeric keypad) hands the server what was
typed; this field reads it by one written rule and refuses whatever could mean two numbers.
"""

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import formats
from django.utils.translation import gettext_lazy as _

MSG_INVALID = _("Saisissez un nombre, par exemple 0,5 ou 1 200,50.")
MSG_AMBIGUOUS = _(
    "Nombre ambigu : une seule virgule (ou un seul point) pour les décimales, et des espaces "
    "pour les milliers, par exemple 1 200,50."
)
MSG_MIN = _("Saisissez un nombre supérieur ou égal à %(limit_value)s.")
MSG_MAX = _("Saisissez un nombre inférieur ou égal à %(limit_value)s.")

# Space, no-break space and narrow no-break space: what French keyboards and copied amounts
# use between thousands.
_GROUP = "[ \u00a0\u202f]"
# ASCII digits only, so that full-width or Arabic-Indic digits, « 1_0 », « 1e3 », « NaN » or
# « +5 » never reach Decimal(). Thousands groups must be whole (« 1 200 », never « 12 00 »).
_NUMBER_RE = re.compile(
    rf"(?P<sign>[-\u2212]?)(?P<whole>[1-9][0-9]{{0,2}}(?:{_GROUP}[0-9]{{3}})+|[0-9]*)"
    rf"(?:[.,](?P<fraction>[0-9]*))?"
)
# Number-shaped but refused (« 1.200,50 », « 5,5,5 », « 12 00 »): worth the clearer message.
_NUMBER_LIKE_RE = re.compile(rf"[-\u2212]?[0-9.,]*[0-9][0-9.,]*(?:{_GROUP}[0-9.,]+)*")
# « 1,200 » or « 1.200 »: an English or German thousands separator, or a decimal?
_THOUSANDS_LOOKALIKE_RE = re.compile(r"[-\u2212]?[1-9][0-9]{0,2}[.,][0-9]{3}")
_MAX_LENGTH = 40


def parse_decimal(text: str, *, decimal_places: int | None = None) -> Decimal:
    """The number a person typed, with a comma or a dot for decimals and spaces for thousands.

    Raises ``ValidationError`` (code ``invalid`` or ``ambiguous``) with a French message.
    ``decimal_places`` tells « 1,200 » (refused as ambiguous) from « 0,125 ».
    """
    stripped = text.strip()
    match = _NUMBER_RE.fullmatch(stripped) if len(stripped) <= _MAX_LENGTH else None
    if match is None or not (match["whole"] or match["fraction"]):
        if len(stripped) <= _MAX_LENGTH and _NUMBER_LIKE_RE.fullmatch(stripped):
            raise ValidationError(MSG_AMBIGUOUS, code="ambiguous")
        raise ValidationError(MSG_INVALID, code="invalid")
    fraction = match["fraction"] or ""
    if (
        decimal_places is not None
        and len(fraction) == 3
        and decimal_places < 3
        and _THOUSANDS_LOOKALIKE_RE.fullmatch(stripped)
    ):
        raise ValidationError(MSG_AMBIGUOUS, code="ambiguous")
    whole = re.sub(_GROUP, "", match["whole"]) or "0"
    sign = "-" if match["sign"] else ""
    value = Decimal(f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}")
    return abs(value) if value == 0 else value  # never « -0 »


def format_decimal(value: Decimal, *, places: int | None = None, grouping: bool = False) -> str:
    """``value`` written in the active language: « 0,5 » in French, « 0.5 » in English.

    ``places`` fixes the digits after the separator (« 600,50 »); None shows as few as needed.
    """
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places))
    elif value == value.to_integral_value():
        value = value.quantize(Decimal(1))
    else:
        value = value.normalize()
    if value == 0:
        value = abs(value)  # never « -0 »
    return str(formats.number_format(value, use_l10n=True, force_grouping=grouping))


class DecimalInput(forms.TextInput):
    """A text input with the phone's decimal keypad; shows values in the active language."""

    def __init__(self, attrs: dict[str, Any] | None = None, *, places: int | None = None) -> None:
        defaults = {"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"}
        super().__init__({**defaults, **(attrs or {})})
        self.places = places

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            return format_decimal(Decimal(value), places=self.places)
        formatted: str | None = super().format_value(value)
        return formatted


class _MinValidator(MinValueValidator):
    message = MSG_MIN

    def __call__(self, value: Any) -> None:
        if self.compare(value, self.limit_value):
            limit = format_decimal(Decimal(self.limit_value), grouping=True)
            raise ValidationError(self.message, code=self.code, params={"limit_value": limit})


class _MaxValidator(MaxValueValidator):
    message = MSG_MAX

    def __call__(self, value: Any) -> None:
        if self.compare(value, self.limit_value):
            limit = format_decimal(Decimal(self.limit_value), grouping=True)
            raise ValidationError(self.message, code=self.code, params={"limit_value": limit})


class LocalizedDecimalField(forms.DecimalField):
    """The portal's one decimal field: « 0,5 », « 0.5 », « 1 200,50 »; nothing ambiguous.

    ``display_places`` fixes the decimals shown when a stored value is re-displayed (2 for
    money: « 600,50 »); by default as few as needed (a coefficient: « 0,5 »).
    """

    widget = DecimalInput
    default_error_messages = {"invalid": MSG_INVALID, "ambiguous": MSG_AMBIGUOUS}

    def __init__(self, *, display_places: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(self.widget, DecimalInput):
            self.widget.places = display_places
        # Limits in the messages are written as the person reads numbers (« 9 999 999,99 »).
        self.validators = [
            _MinValidator(v.limit_value)
            if type(v) is MinValueValidator
            else _MaxValidator(v.limit_value)
            if type(v) is MaxValueValidator
            else v
            for v in self.validators
        ]

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        try:
            return parse_decimal(str(value), decimal_places=self.decimal_places)
        except ValidationError as exc:
            code = exc.code or "invalid"
            raise ValidationError(self.error_messages[code], code=code) from None


def decimal_overrides(*, display_places: int | None = None) -> dict[type, dict[str, Any]]:
    """``ModelAdmin.formfield_overrides`` giving every model DecimalField this field."""
    return {
        models.DecimalField: {
            "form_class": LocalizedDecimalField,
            "display_places": display_places,
        }
    }
