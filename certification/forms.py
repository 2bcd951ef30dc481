"""Forms of the registrar's certification pages and of the public verification page."""

from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from enrolment.models import NO_CONTROL_CHARS

VERIFY_MAX_BYTES = 10 * 1024 * 1024
# Line breaks separate members; every other control or bidi character is refused.
MEMBERS_CHARS = RegexValidator(
    r"^[^\x00-\x09\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]*$",
    _("Ce champ contient des caractères de contrôle interdits."),
)


class DeliberateForm(forms.Form):
    """The first deliberation, or (``later=True``) a second session or a rectificatif."""

    LATER_KINDS = [
        ("second_session", _("Seconde session (après les rattrapages)")),
        ("rectificatif", _("Rectificatif (après une correction)")),
    ]

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
    kind = forms.ChoiceField(label=_("Nature"), choices=LATER_KINDS, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Motif"),
        max_length=500,
        validators=[NO_CONTROL_CHARS],
        help_text=_("Par exemple : « notes de rattrapage de juin » ou « erreur de saisie »."),
    )
    confirm = forms.BooleanField(label="", required=True)

    def __init__(self, *args: Any, later: bool, count: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not later:
            del self.fields["kind"]
            del self.fields["reason"]
        self.fields["confirm"].label = ngettext(
            "Je confirme : la décision de %(n)s élève sera enregistrée et la promotion figée.",
            "Je confirme : les décisions des %(n)s élèves seront enregistrées et la promotion "
            "figée.",
            count,
        ) % {"n": count}
        self.fields["confirm"].error_messages["required"] = _(
            "Cochez la case de confirmation pour délibérer."
        )


class IssueCohortForm(forms.Form):
    """Bulk issuance asks for a confirmation that states how many certificates."""

    confirm = forms.BooleanField(label="", required=True)

    def __init__(self, *args: Any, count: int, **kwargs: Any) -> None:
        # Shown on the jury page beside DeliberateForm: ids of its own.
        kwargs.setdefault("auto_id", "id_issue_%s")
        super().__init__(*args, **kwargs)
        self.fields["confirm"].label = ngettext(
            "Je confirme la délivrance de %(n)s certificat.",
            "Je confirme la délivrance de %(n)s certificats.",
            count,
        ) % {"n": count}
        self.fields["confirm"].error_messages["required"] = _(
            "Cochez la case de confirmation pour délivrer les certificats."
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
