"""Forms of the registrar's certification pages and of the public verification page."""

from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from enrolment.validators import check_free_text

VERIFY_MAX_BYTES = 10 * 1024 * 1024


@check_free_text
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
    )
    kind = forms.ChoiceField(label=_("Nature"), choices=LATER_KINDS, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Motif"),
        max_length=500,
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


@check_free_text
class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Motif"), max_length=300)


def verify_max_bytes() -> int:
    """The verification page's file limit: 10 Mo, or the site's upload limit if lower."""
    return min(VERIFY_MAX_BYTES, settings.MAX_UPLOAD_BYTES)


class VerifyUploadForm(forms.Form):
    document = forms.FileField(label=_("Fichier PDF du certificat"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The limit actually enforced (the site's upload limit may be lower than 10 Mo).
        megabytes = f"{verify_max_bytes() / (1024 * 1024):.3g}".replace(".", ",")
        self.fields["document"].help_text = _(
            "%(size)s Mo au plus. Le fichier n'est pas conservé."
        ) % {"size": megabytes}

    def clean_document(self) -> object:
        document = self.cleaned_data["document"]
        if document.size > verify_max_bytes():
            raise forms.ValidationError(_("Fichier trop volumineux."))
        return document
