"""Forms of the official-list import (« listes officielles »). They validate input; roster.py
reads the file and writes."""

from collections.abc import Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from . import roster
from .models import ProgrammeYear


def roster_max_bytes() -> int:
    """The list's file limit: the site's upload limit (5 Mo unless configured)."""
    return int(settings.MAX_UPLOAD_BYTES)


class RosterUploadForm(forms.Form):
    programme_year = forms.ModelChoiceField(
        label=_("Promotion"),
        queryset=ProgrammeYear.objects.select_related("programme"),
        empty_label=None,
    )
    file = forms.FileField(
        label=_("Liste officielle (XLSX ou CSV)"),
        help_text=_(
            "XLSX, ou CSV en UTF-8 ou Windows-1252 séparé par « ; » ou « , ». Une ligne de "
            "titres, puis un élève par ligne. Taille maximale : 5 Mo, 5 000 élèves."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme_year"].widget.attrs["class"] = "form-select"

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > roster_max_bytes():
            raise forms.ValidationError(
                _("Fichier trop volumineux (%(max)s Mo au plus).")
                % {"max": roster_max_bytes() // (1024 * 1024)}
            )
        return upload


class MappingForm(forms.Form):
    """One select per column of the file: the field it feeds, or « ignorer »."""

    def __init__(self, *args: Any, headers: Sequence[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, Any]] = [(roster.IGNORE, _("— Ignorer cette colonne —"))]
        choices += list(roster.FIELDS.items())
        for i, header in enumerate(headers):
            self.fields[f"col_{i}"] = forms.ChoiceField(
                label=header, choices=choices, required=False
            )
            self.fields[f"col_{i}"].widget.attrs["class"] = "form-select form-select-sm"
        self.count = len(headers)

    def mapping(self) -> list[str]:
        return [self.cleaned_data.get(f"col_{i}", "") or "" for i in range(self.count)]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for message in roster.mapping_errors(self.mapping()):
            self.add_error(None, message)
        return cleaned

    def columns(self) -> list[forms.BoundField]:
        return [self[f"col_{i}"] for i in range(self.count)]
