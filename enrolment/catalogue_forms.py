"""Forms of the registrar's catalogue pages. They read input; ``enrolment.catalogue`` checks the
rules (uniqueness, the year's format, the jury freeze) and writes.

What the jury froze is shown disabled: the browser cannot send it, the form keeps the stored
value, and the service refuses a change anyway.
"""

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from lib.forms import LocalizedDecimalField

from .catalogue import UE_RULES, YEAR_RULES
from .models import UE, Programme, ProgrammeYear
from .registrar_forms import money_field
from .validators import check_free_text

FROZEN_HELP = _("Figé : le jury de cette promotion a délibéré.")


class _ServiceChecked(forms.ModelForm):  # type: ignore[type-arg]
    """Uniqueness is the service's (one message, whatever the path)."""

    def validate_unique(self) -> None:
        return None

    def _freeze(self, names: tuple[str, ...]) -> None:
        for name in names:
            field = self.fields[name]
            field.disabled = True
            field.help_text = FROZEN_HELP


@check_free_text
class ProgrammeForm(_ServiceChecked):
    class Meta:
        model = Programme
        fields = ["code", "title", "level", "managing_unit"]
        help_texts = {"code": _("Par exemple CS2600A ; écrit en majuscules.")}


@check_free_text
class ProgrammeYearForm(_ServiceChecked):
    pass_mark = LocalizedDecimalField(
        label=_("Note de validation (sur 20)"),
        min_value=Decimal(0),
        max_value=Decimal(20),
        decimal_places=2,
        max_digits=4,
    )
    absence_threshold_pct = LocalizedDecimalField(
        label=_("Seuil d'absence (%)"),
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
        max_digits=5,
        help_text=_("Au-delà de ce taux d'absence, l'élève est défaillant·e."),
    )
    fees = money_field(
        _("Frais d'inscription (€)"),
        help_text=_("Le montant proposé pour une nouvelle inscription ; il reste modifiable."),
    )

    class Meta:
        model = ProgrammeYear
        fields = ["year", "pass_mark", "absence_threshold_pct", "justified_absences_count", "fees"]
        help_texts = {"year": _("Deux années qui se suivent, par exemple 2025-2026.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.is_frozen:
            self._freeze(("year", *YEAR_RULES))


class _Numeric(forms.TextInput):
    """A whole number typed as text (never ``type="number"``): the phone's numeric keypad."""

    def __init__(self) -> None:
        super().__init__(attrs={"inputmode": "numeric", "autocomplete": "off"})


@check_free_text
class UEForm(_ServiceChecked):
    credits = forms.IntegerField(
        label=_("Crédits ECTS"), min_value=1, max_value=60, widget=_Numeric()
    )
    hours = forms.IntegerField(
        label=_("Volume horaire (heures)"),
        min_value=1,
        max_value=2000,
        required=False,
        widget=_Numeric(),
    )

    class Meta:
        model = UE
        fields = ["code", "title", "credits", "hours", "syllabus", "competences"]
        widgets = {
            "syllabus": forms.Textarea(attrs={"rows": 8}),
            "competences": forms.Textarea(attrs={"rows": 6}),
        }
        help_texts = {
            "code": _("Par exemple RSV206 ; unique dans la promotion."),
            "syllabus": _("Le « Contenu de la formation » du livret, montré aux élèves."),
            "competences": _("Une compétence par ligne ; les élèves les voient en liste."),
        }

    def __init__(self, *args: Any, programme_year: ProgrammeYear, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.programme_year = programme_year
        if programme_year.is_frozen and self.instance.pk:
            self._freeze(UE_RULES)
