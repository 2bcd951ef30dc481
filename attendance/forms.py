"""Forms of the attendance app: the roll, a justified absence (from the roll row or sent by the
student), the decision on a student's justification, moving a session."""

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from enrolment.validators import check_free_text
from lib.body_limits import size_label

from . import rules
from .models import Attendance, Session

# What a justification may be, told by its first bytes, never by its name or browser type.
DOCUMENT_MAGIC = {b"%PDF-": "pdf", b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg"}
DOCUMENT_ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


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
    """A justification's file limit: JUSTIFICATION_MAX_BYTES, or the site's upload limit if
    lower."""
    return min(settings.JUSTIFICATION_MAX_BYTES, settings.MAX_UPLOAD_BYTES)


def document_help() -> str:
    return _("PDF, JPEG ou PNG, %(limit)s au plus.") % {"limit": size_label(document_max_bytes())}


def clean_document(document: UploadedFile) -> UploadedFile:
    """The file, renamed after what its first bytes say it is; else a French refusal."""
    if document.size is not None and document.size > document_max_bytes():
        raise forms.ValidationError(
            _("Justificatif trop volumineux : %(limit)s au plus.")
            % {"limit": size_label(document_max_bytes())},
            code="too-large",
        )
    head = document.read(16)
    document.seek(0)
    kind = next((k for magic, k in DOCUMENT_MAGIC.items() if head.startswith(magic)), None)
    if kind is None:
        raise forms.ValidationError(
            _("Le justificatif doit être un PDF, une image PNG ou JPEG."),
            code="bad-type",
        )
    document.name = f"justificatif.{kind}"  # the stored name never comes from the user
    return document


def _document_field(*, required: bool, label: str) -> forms.FileField:
    return forms.FileField(
        label=label,
        required=required,
        error_messages={"required": _("Choisissez le fichier à envoyer.")},
        widget=forms.ClearableFileInput(attrs={"accept": DOCUMENT_ACCEPT}),
    )


@check_free_text
class JustifyForm(forms.Form):
    """A teacher justifies the absence of the student of one roll row (never chosen from a
    list: the row's hidden field, checked against the session's UE by the view)."""

    enrolment = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(label=_("Motif"), max_length=300, required=False)
    document = _document_field(required=False, label=_("Justificatif (facultatif)"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["document"].help_text = document_help()

    def clean_document(self) -> UploadedFile | None:
        document = self.cleaned_data.get("document")
        return clean_document(document) if document else None

    def clean(self) -> dict[str, object]:
        data = super().clean()
        if not self.errors and not data.get("reason") and not data.get("document"):
            self.add_error("reason", _("Indiquez un motif ou joignez un justificatif."))
        return data


@check_free_text
class JustificationRequestForm(forms.Form):
    """A student sends the justification of one of their absences."""

    document = _document_field(required=True, label=_("Justificatif"))
    comment = forms.CharField(
        label=_("Commentaire (facultatif)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["document"].help_text = document_help()

    def clean_document(self) -> UploadedFile:
        return clean_document(self.cleaned_data["document"])


@check_free_text
class JustificationDecisionForm(forms.Form):
    """Accept a student's justification, or refuse it with a reason."""

    decision = forms.ChoiceField(
        choices=[("accept", _("Accepter")), ("refuse", _("Refuser"))], widget=forms.HiddenInput
    )
    reason = forms.CharField(label=_("Motif du refus"), max_length=300, required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean()
        if data.get("decision") == "refuse" and not data.get("reason", "").strip():
            self.add_error("reason", _("Indiquez le motif du refus : l'élève le recevra."))
        return data


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
