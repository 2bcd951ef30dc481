"""Forms of the registrar's staff and journal pages. They validate input; services write."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .models import UE, ProgrammeYear
from .validators import check_free_text


class UEChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A UE named with its year and programme: the same code comes back every year."""

    def label_from_instance(self, obj: Any) -> str:
        year = obj.programme_year
        return f"{year.year} · {year.programme.code} · {obj.code} — {obj.title}"


def _all_ues() -> QuerySet[UE]:
    return UE.objects.select_related("programme_year__programme").order_by(
        "-programme_year__year", "programme_year__programme__code", "code"
    )


@check_free_text
class TeacherInviteForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse e-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text=_("Elle sert d'identifiant ; le lien d'invitation y est envoyé."),
    )
    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    ue = UEChoiceField(
        label=_("UE à confier (facultatif)"),
        queryset=_all_ues(),
        required=False,
        empty_label=_("Aucune pour l'instant"),
    )


class AssignForm(forms.Form):
    ue = UEChoiceField(
        label=_("UE à confier"), queryset=UE.objects.none(), empty_label=_("Choisissez une UE")
    )

    def __init__(self, *args: Any, queryset: QuerySet[UE], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["ue"]
        assert isinstance(field, UEChoiceField)
        field.queryset = queryset


class JournalFilterForm(forms.Form):
    programme_year = forms.ModelChoiceField(
        label=_("Promotion"),
        queryset=ProgrammeYear.objects.select_related("programme"),
        required=False,
        empty_label=_("Toutes"),
    )
    family = forms.ChoiceField(label=_("Type d'action"), required=False)

    def __init__(self, *args: Any, families: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["family"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Toutes")), *families]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select"
