"""Forms of the registrar's enrolment pages. They validate input; services write."""

from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from lib.forms import LocalizedDecimalField

from .models import UE, Enrolment, Payment, ProgrammeYear, StudentProfile
from .rules import ALLOWED_TRANSITIONS, EnrolmentStatus
from .validators import check_free_text

MONEY_MAX = Decimal("9999999.99")


def money_field(label: str, *, minimum: str = "0", **kwargs: Any) -> LocalizedDecimalField:
    """An amount in euros, read and shown the French way (« 1 200,50 »)."""
    return LocalizedDecimalField(
        label=label,
        min_value=Decimal(minimum),
        max_value=MONEY_MAX,
        decimal_places=2,
        display_places=2,
        **kwargs,
    )


@check_free_text
class EnrolmentFilterForm(forms.Form):
    q = forms.CharField(label=_("Nom ou numéro"), required=False, max_length=100)
    programme_year = forms.ModelChoiceField(
        label=_("Promotion"),
        queryset=ProgrammeYear.objects.select_related("programme"),
        required=False,
        empty_label=_("Toutes"),
    )
    status = forms.ChoiceField(
        label=_("État"), required=False, choices=[("", _("Tous")), *Enrolment.Status.choices]
    )
    fees = forms.ChoiceField(
        label=_("Frais"),
        required=False,
        choices=[("", _("Tous")), ("due", _("Reste dû")), ("paid", _("Soldés"))],
    )
    ue = forms.ModelChoiceField(
        label=_("UE"),
        queryset=UE.objects.select_related("programme_year"),
        required=False,
        empty_label=_("Toutes"),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["ue"].label_from_instance = lambda ue: f"{ue.code} ({ue.programme_year.year})"
        for name, field in self.fields.items():
            css = "form-control" if name == "q" else "form-select"
            field.widget.attrs["class"] = css


@check_free_text
class EnrolForm(forms.Form):
    """Enrol an existing student (by number) or a new one (identity fields)."""

    programme_year = forms.ModelChoiceField(
        label=_("Promotion"), queryset=ProgrammeYear.objects.select_related("programme")
    )
    number = forms.CharField(
        label=_("Numéro d'élève"),
        max_length=20,
        validators=[RegexValidator(r"^[0-9A-Za-z-]+$", _("Numéro d'élève invalide."))],
        help_text=_("Si ce numéro existe déjà, le dossier de l'élève est repris."),
    )
    last_name = forms.CharField(label=_("Nom"), max_length=100, required=False)
    first_name = forms.CharField(label=_("Prénom"), max_length=100, required=False)
    birth_date = forms.DateField(
        label=_("Date de naissance"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    email = forms.EmailField(label=_("Adresse e-mail personnelle"), required=False)
    ues = forms.ModelMultipleChoiceField(
        label=_("UE"),
        queryset=UE.objects.select_related("programme_year__programme"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Les UE de la promotion choisie."),
    )
    fees_due = money_field(
        _("Frais dus (€)"),
        help_text=_(
            "Prérempli avec le montant le plus fréquent de la promotion, s'il y en a un : "
            "ajustez-le en cas de réduction ou de prise en charge."
        ),
    )

    IDENTITY = ("last_name", "first_name", "birth_date", "email")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["ues"].label_from_instance = lambda ue: (
            f"{ue.programme_year} · {ue.code} — {ue.title} ({ue.credits} ECTS)"
        )
        self.existing: StudentProfile | None = None

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        number = data.get("number")
        py = data.get("programme_year")
        ues = data.get("ues") or []
        if py is not None and any(ue.programme_year_id != py.pk for ue in ues):
            self.add_error("ues", _("Choisissez des UE de la promotion choisie."))
        if number:
            self.existing = (
                StudentProfile.objects.select_related("user").filter(number=number).first()
            )
            if self.existing is None:
                self._require_identity(data)
        return data

    def _require_identity(self, data: dict[str, object]) -> None:
        """One message, on the first missing field, naming every missing one (not four times
        « obligatoire »); the others point to it and are marked invalid too."""
        missing = [n for n in self.IDENTITY if not data.get(n) and n not in self.errors]
        if not missing:
            return
        names = ", ".join(str(self.fields[n].label).lower() for n in missing)
        self.add_error(
            missing[0],
            ngettext(
                "Numéro inconnu : pour inscrire un nouvel élève, renseignez aussi le champ "
                "%(fields)s.",
                "Numéro inconnu : pour inscrire un nouvel élève, renseignez aussi ces champs : "
                "%(fields)s.",
                len(missing),
            )
            % {"fields": names},
        )
        for name in missing[1:]:
            self.fields[name].widget.attrs.update(
                {
                    "class": "is-invalid",
                    "aria-invalid": "true",
                    "aria-describedby": f"{self[missing[0]].auto_id}_error",
                }
            )


@check_free_text
class TransitionForm(forms.Form):
    prefix = "transition"
    target = forms.ChoiceField(label=_("Nouvel état"), choices=Enrolment.Status.choices)
    reason = forms.CharField(label=_("Motif"), max_length=300, strip=True)

    def __init__(self, *args: Any, current: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if current is not None:
            # Offer only the moves the state machine allows from here (RULES.md §3).
            allowed = ALLOWED_TRANSITIONS[EnrolmentStatus(current)]
            self.fields["target"].choices = [
                (value, label) for value, label in Enrolment.Status.choices if value in allowed
            ]


class FeesForm(forms.Form):
    prefix = "fees"
    fees_due = money_field(_("Frais dus (€)"))


class PaymentForm(forms.Form):
    prefix = "payment"
    date = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    amount = money_field(_("Montant (€)"), minimum="0.01")
    means = forms.ChoiceField(label=_("Moyen de paiement"), choices=Payment.Means.choices)


@check_free_text
class RefundForm(PaymentForm):
    prefix = "refund"
    amount = money_field(_("Montant remboursé (€)"), minimum="0.01")
    reason = forms.CharField(label=_("Motif"), max_length=300)


class UEForm(forms.Form):
    prefix = "ue"
    ues = forms.ModelMultipleChoiceField(
        label=_("UE"), queryset=UE.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: object, programme_year: ProgrammeYear, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["ues"].queryset = UE.objects.filter(programme_year=programme_year)
        self.fields["ues"].label_from_instance = lambda ue: (
            f"{ue.code} — {ue.title} ({ue.credits} ECTS)"
        )
