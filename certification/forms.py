"""Forms of the registrar's certification pages and of the public verification page."""

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrolment.models import NO_CONTROL_CHARS

VERIFY_MAX_BYTES = 10 * 1024 * 1024
# Line breaks separate members; every other control or bidi character is refused.
MEMBERS_CHARS = RegexValidator(
    r"^[^\x00-\x09\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]*$",
    _("Ce champ contient des caractères de contrôle interdits."),
)


class DeliberateForm(forms.Form):
    deliberated_at = forms.DateTimeField(
        label=_("Date et heure de la délibération"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        initial=lambda: timezone.localtime().replace(second=0, microsecond=0),
    )
    members = forms.CharField(
        label=_("Membres du jury (un par ligne)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        validators=[MEMBERS_CHARS],
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Motif"), max_length=300, validators=[NO_CONTROL_CHARS])


class VerifyUploadForm(forms.Form):
    document = forms.FileField(
        label=_("Fichier PDF du certificat"),
        help_text=_("10 Mo au plus. Le fichier n'est pas conservé."),
    )

    def clean_document(self) -> object:
        document = self.cleaned_data["document"]
        limit = min(VERIFY_MAX_BYTES, getattr(settings, "MAX_UPLOAD_BYTES", VERIFY_MAX_BYTES))
        if document.size > limit:
            raise forms.ValidationError(_("Fichier trop volumineux."))
        return document
