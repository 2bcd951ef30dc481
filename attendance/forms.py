"""Staff forms of the attendance app: the roll, a justified absence, moving a session."""

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from enrolment.validators import check_free_text

from . import rules
from .models import Attendance, Session

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
# What a justification may be, told by its first bytes, never by its name or browser type.
DOCUMENT_MAGIC = {b"%PDF-": "pdf", b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg"}


class RollRowForm(forms.Form):
    enrolment = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    presence = forms.ChoiceField(
        label=_("Présence"),
        choices=Attendance.Presence.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    minutes_missed = forms.IntegerField(
        label=_("Minutes de retard"),
        min_value=0,
        max_value=24 * 60,
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm roll-minutes"}),
    )

    def clean(self) -> dict[str, object]:
        data = super().clean()
        if data.get("presence") == Attendance.Presence.LATE and not data.get("minutes_missed"):
            self.add_error("minutes_missed", _("Indiquez les minutes de retard."))
        return data


class BaseRollFormSet(forms.BaseFormSet):
    def __init__(self, *args: object, allowed: set[int], **kwargs: object) -> None:
        self.allowed = allowed
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def get_form_kwargs(self, index: int | None) -> dict[str, object]:
        # Every posted row is validated, even one the client calls « extra ».
        return {**super().get_form_kwargs(index), "empty_permitted": False}

    def clean(self) -> None:
        seen: set[int] = set()
        for form in self.forms:
            enrolment = (form.cleaned_data or {}).get("enrolment")
            if enrolment is None:
                continue
            if enrolment not in self.allowed or enrolment in seen:
                raise forms.ValidationError(
                    _(
                        "Une ligne concerne un·e élève qui ne suit pas cette UE : rien n'a été "
                        "enregistré."
                    )
                )
            seen.add(enrolment)


RollFormSet = forms.formset_factory(
    RollRowForm,
    formset=BaseRollFormSet,
    extra=0,
    max_num=2000,
    absolute_max=2000,
    validate_max=True,
)


def document_max_bytes() -> int:
    """A justification's file limit: 5 Mo, or the site's upload limit if lower."""
    return min(MAX_DOCUMENT_BYTES, settings.MAX_UPLOAD_BYTES)


@check_free_text
class JustifyForm(forms.Form):
    enrolment = forms.TypedChoiceField(label=_("Élève"), coerce=int)
    reason = forms.CharField(label=_("Motif"), max_length=300)
    document = forms.FileField(
        label=_("Justificatif (facultatif)"),
        required=False,
        help_text=_("PDF, PNG ou JPEG, 5 Mo au plus."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )

    def __init__(self, *args: object, students: list[tuple[int, str]], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["enrolment"].choices = [("", "—"), *students]

    def clean_document(self) -> UploadedFile | None:
        document = self.cleaned_data.get("document")
        if not document:
            return None
        if document.size > document_max_bytes():
            raise forms.ValidationError(_("Justificatif trop volumineux (5 Mo au plus)."))
        head = document.read(16)
        document.seek(0)
        kind = next((k for magic, k in DOCUMENT_MAGIC.items() if head.startswith(magic)), None)
        if kind is None:
            raise forms.ValidationError(
                _("Le justificatif doit être un PDF, une image PNG ou JPEG.")
            )
        document.name = f"justificatif.{kind}"  # the stored name never comes from the user
        return document


@check_free_text
class SessionMoveForm(forms.Form):
    start = forms.DateTimeField(
        label=_("Début"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    end = forms.DateTimeField(
        label=_("Fin"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    site = forms.ChoiceField(label=_("Site"), choices=Session.Site.choices)
    room = forms.CharField(label=_("Salle"), max_length=20, help_text=_("ex. 31.1.12"))
    reason = forms.CharField(label=_("Motif"), max_length=300)

    def clean(self) -> dict[str, object]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            self.add_error("end", _("La fin doit suivre le début."))
        if data.get("site") and data.get("room"):
            try:
                room = rules.parse_room(code=data["room"].strip(), site=rules.Site(data["site"]))
            except rules.RoomCodeError as exc:
                self.add_error("room", exc.message)
            else:
                data["room"] = room.code
        return data


@check_free_text
class SessionCancelForm(forms.Form):
    reason = forms.CharField(label=_("Motif de l'annulation"), max_length=300)
