"""Staff forms: assessments, the grid (one small form per student) and the file import."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from enrolment.models import UE
from enrolment.validators import check_free_text
from lib.forms import LocalizedDecimalField

from . import codes, rules
from .models import Assessment, Grade


@check_free_text
class AssessmentForm(forms.ModelForm):
    """Create or edit an assessment of one UE; the UE is never taken from the form."""

    class Meta:
        model = Assessment
        fields = ["key", "title", "kind", "weight", "date", "makeup_of"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        # « 0,5 » in a browser not set to French became 5 in an <input type=number> (issue 10).
        field_classes = {"weight": LocalizedDecimalField}
        help_texts = {
            "key": _("Identifiant court, unique dans l'UE (ex. CT1, CC2, RAT-CT1)."),
            "makeup_of": _("Pour un rattrapage : l'évaluation qu'il remplace (même UE)."),
        }

    def __init__(self, *args: object, ue: UE, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.ue = ue
        self.instance.ue = ue
        originals = Assessment.objects.filter(ue=ue, makeup_of__isnull=True)
        if self.instance.pk:
            originals = originals.exclude(pk=self.instance.pk)
        self.fields["makeup_of"].queryset = originals
        self.fields["makeup_of"].required = False

    def clean_weight(self) -> Decimal:
        weight = self.cleaned_data["weight"]
        if weight is None or weight <= 0:
            raise forms.ValidationError(_("Le coefficient doit être strictement positif."))
        return weight

    def clean(self) -> dict[str, object]:
        data = super().clean()
        original = data.get("makeup_of")
        if original is not None and data.get("kind") and data.get("weight"):
            key = data.get("key") or "?"
            existing = getattr(original, "makeup", None) if original.pk else None
            existing_key = existing.key if existing and existing.pk != self.instance.pk else None
            errors = rules.validate_makeup(
                makeup=rules.AssessmentInfo(
                    key=key,
                    ue=str(self.ue.pk),
                    kind=rules.AssessmentKind(data["kind"]),
                    weight=data["weight"],
                    makeup_of=original.key,
                ),
                original=rules.AssessmentInfo(
                    key=original.key,
                    ue=str(original.ue_id),
                    kind=rules.AssessmentKind(original.kind),
                    weight=original.weight,
                    makeup_of=None,
                ),
                existing_makeup_of_original=existing_key,
            )
            for error in errors:
                self.add_error("makeup_of", error)
        return data


STATUS_CHOICES = Grade.Status.choices


@check_free_text
class GridRowForm(forms.Form):
    """One student of the grid. Only these fields are read: anything else posted is ignored."""

    enrolment = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    status = forms.ChoiceField(
        label=_("Statut"), choices=STATUS_CHOICES, show_hidden_initial=True, required=True
    )
    value = forms.CharField(
        label=_("Note"), required=False, max_length=10, show_hidden_initial=True, strip=True
    )
    report = forms.CharField(
        label=_("Rapport de plagiat"), required=False, max_length=2000, show_hidden_initial=True
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.has_grade = bool(kwargs.pop("has_grade", False))
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.parsed_value: Decimal | None = None
        # Keyboard-first: Tab runs down the value column; statuses can be typed there as codes.
        self.fields["status"].widget.attrs.update(
            {"class": "form-select form-select-sm grid-status", "tabindex": "-1"}
        )
        self.fields["value"].widget.attrs.update(
            {
                "class": "form-control form-control-sm grid-input num",
                "inputmode": "decimal",
                "autocomplete": "off",
                "spellcheck": "false",
            }
        )
        self.fields["report"].widget.attrs.update(
            {"class": "form-control form-control-sm grid-report", "autocomplete": "off"}
        )
        current = self["status"].value()
        if current != Grade.Status.PLAGIARISM:
            self.fields["report"].widget.attrs["tabindex"] = "-1"

    def clean(self) -> dict[str, object]:
        data = super().clean()
        text = (data.get("value") or "").strip()
        code = codes.status_of(text)
        if code is not None:
            data["status"], data["value"], text = code, "", ""
        status = data.get("status")
        if status == Grade.Status.GRADED:
            if text or self.has_grade:
                try:
                    self.parsed_value = rules.parse_grade(text)
                except rules.GradeInputError as exc:
                    self.add_error("value", codes.grade_error(exc))
        elif text:
            self.add_error("value", _("Laissez la note vide pour un statut autre que « Noté »."))
        if status == Grade.Status.PLAGIARISM and not (data.get("report") or "").strip():
            self.add_error("report", _("Le plagiat exige un court rapport."))
        return data

    @property
    def is_entry(self) -> bool:
        """False for an untouched empty row: nothing to write."""
        if not self.has_changed():
            return False
        data = self.cleaned_data
        return not (data.get("status") == Grade.Status.GRADED and self.parsed_value is None)


class BaseGridFormSet(forms.BaseFormSet):
    def __init__(self, *args: object, allowed: set[int], has_grade: set[int], **kwargs: object):
        self.allowed = allowed
        self._has_grade = has_grade
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def get_form_kwargs(self, index: int | None) -> dict[str, object]:
        kwargs = super().get_form_kwargs(index)
        enrolment = None
        if self.is_bound and index is not None:
            raw = self.data.get(self.add_prefix(index) + "-enrolment", "")
            enrolment = int(raw) if str(raw).isdigit() else None
        elif index is not None and self.initial and index < len(self.initial):
            enrolment = self.initial[index].get("enrolment")
        kwargs["has_grade"] = enrolment in self._has_grade
        kwargs["empty_permitted"] = False  # every posted row is validated
        return kwargs

    def clean(self) -> None:
        seen: set[int] = set()
        for form in self.forms:
            enrolment = form.cleaned_data.get("enrolment") if form.cleaned_data else None
            if enrolment is None:
                continue
            if enrolment not in self.allowed:
                # A forged or foreign id: the whole save is refused (SECURITY.md #2, #3).
                raise forms.ValidationError(
                    _(
                        "Une ligne concerne un·e élève qui ne suit pas cette UE : rien n'a été "
                        "enregistré."
                    )
                )
            if enrolment in seen:
                raise forms.ValidationError(
                    _("Une élève apparaît deux fois : rien n'a été enregistré.")
                )
            seen.add(enrolment)


GridFormSet = forms.formset_factory(
    GridRowForm,
    formset=BaseGridFormSet,
    extra=0,
    max_num=2000,
    absolute_max=2000,
    validate_max=True,
    can_delete=False,
)


def import_max_bytes() -> int:
    """The grade import's file limit: the site's upload limit (5 Mo unless configured)."""
    return int(settings.MAX_UPLOAD_BYTES)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier XLSX ou CSV"),
        help_text=_("Le fichier exporté depuis cette page, complété. Taille maximale : 5 Mo."),
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > import_max_bytes():
            raise forms.ValidationError(
                _("Fichier trop volumineux (%(max)s Mo au plus).")
                % {"max": import_max_bytes() // (1024 * 1024)}
            )
        return upload
