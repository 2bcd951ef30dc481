"""Forms of the registrar's certification pages and of the public verification page."""

from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from enrolment.models import UE, ProgrammeYear
from enrolment.validators import check_free_text

from .audiences import AUDIENCE_HELP, Audience

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

    def __init__(
        self, *args: Any, later: bool, count: int, corrections: int = 0, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if not later:
            del self.fields["kind"]
            del self.fields["reason"]
        # The box states what the click does, with the figures (issue 10: no silent freeze).
        if later:
            label = ngettext(
                "Je confirme : cette délibération remplace la précédente ; la décision de "
                "%(n)s élève sera recalculée et ses notes verrouillées.",
                "Je confirme : cette délibération remplace la précédente ; les décisions des "
                "%(n)s élèves seront recalculées et leurs notes verrouillées.",
                count,
            ) % {"n": count}
            if corrections:
                label += " " + ngettext(
                    "%(c)s note en cours de correction sera publiée.",
                    "%(c)s notes en cours de correction seront publiées.",
                    corrections,
                ) % {"c": corrections}
        else:
            label = ngettext(
                "Je confirme : les notes de %(n)s élève seront verrouillées, sa décision "
                "enregistrée et la promotion figée (évaluations, séances tenues, UE).",
                "Je confirme : les notes des %(n)s élèves seront verrouillées, leurs décisions "
                "enregistrées et la promotion figée (évaluations, séances tenues, UE).",
                count,
            ) % {"n": count}
        self.fields["confirm"].label = label
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
            "Je confirme : %(n)s certificat sera délivré et %(n)s élève recevra un e-mail.",
            "Je confirme : %(n)s certificats seront délivrés et %(n)s élèves recevront un e-mail.",
            count,
        ) % {"n": count}
        self.fields["confirm"].error_messages["required"] = _(
            "Cochez la case de confirmation pour délivrer les certificats."
        )


@check_free_text
class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Motif"), max_length=300)


class RevokeForm(ReasonForm):
    """Revoking states what follows: the number stops being valid, publicly."""

    confirm = forms.BooleanField(label="", required=True)

    def __init__(self, *args: Any, number: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["confirm"].label = _(
            "Je confirme : le certificat n° %(number)s ne sera plus valide ; la page de "
            "vérification l'indiquera (« révoqué ») à quiconque le consulte."
        ) % {"number": number}
        self.fields["confirm"].error_messages["required"] = _(
            "Cochez la case de confirmation pour révoquer le certificat."
        )


@check_free_text
class JuryFilterForm(forms.Form):
    """The jury table's filters and sort, read from the query string (GET)."""

    q = forms.CharField(
        label=_("Nom ou numéro"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    decision = forms.ChoiceField(label=_("Décision (ou proposition)"), required=False)
    reason = forms.ChoiceField(label=_("Motif de blocage"), required=False)
    ue = forms.ChoiceField(label=_("UE"), required=False)
    certificate = forms.ChoiceField(label=_("Certificat"), required=False)
    sort = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        decisions: list[tuple[str, str]],
        reasons: list[tuple[str, str]] | None = None,
        ue_codes: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("auto_id", "id_filter_%s")
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = [("", _("Toutes")), *decisions]
        self.fields["reason"].choices = [("", _("Tous")), *(reasons or [])]
        self.fields["ue"].choices = [("", _("Toutes")), *((c, c) for c in ue_codes or [])]
        self.fields["certificate"].choices = [
            ("", _("Tous")),
            ("to_issue", _("à délivrer")),
            ("issued", _("délivré")),
            ("to_revoke", _("signalé : titulaire plus admis·e")),
        ]
        self.fields["q"].widget.attrs.update({"class": "form-control", "autocomplete": "off"})
        for name in ("decision", "reason", "ue", "certificate"):
            self.fields[name].widget.attrs["class"] = "form-select"


class JuryDateForm(forms.Form):
    """The planned jury date, announced to the students (informational: no freeze, no gate)."""

    jury_planned_on = forms.DateField(
        label=_("Date prévue du jury"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_(
            "Annoncée aux élèves sur leur page « Certification ». Laissez vide si elle n'est "
            "pas encore connue."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_jury_date_%s")
        super().__init__(*args, **kwargs)


def verify_max_bytes() -> int:
    """The verification page's file limit: 10 Mo, or the site's upload limit if lower."""
    return min(VERIFY_MAX_BYTES, settings.MAX_UPLOAD_BYTES)


class VerifyUploadForm(forms.Form):
    document = forms.FileField(label=_("Fichier PDF à vérifier"))

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


def _ue_label(ue: UE) -> str:
    return f"{ue.code} — {ue.title} ({ue.programme_year})"


@check_free_text
class MessageForm(forms.Form):
    """A message from the portal: promotion, audience (and UE), subject, text.

    ``ues``: the UE the author may write to (a teacher's own UE); a teacher chooses only « les
    élèves d'une UE ». The service checks the same again (``messaging.check_author``).
    """

    programme_year = forms.ModelChoiceField(
        label=_("Promotion"), queryset=ProgrammeYear.objects.none(), empty_label=None
    )
    audience = forms.ChoiceField(
        label=_("Destinataires"), choices=Audience.choices, widget=forms.RadioSelect
    )
    ue = forms.ModelChoiceField(
        label=_("UE"),
        queryset=UE.objects.none(),
        required=False,
        help_text=_("Pour « Les élèves d'une UE » seulement."),
    )
    subject = forms.CharField(label=_("Objet"), max_length=200)
    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=10000,
        help_text=_(
            "Texte brut. Un pied de message est ajouté : qui l'écrit, depuis le portail, et "
            "que l'élève le reçoit en tant qu'élève de la promotion."
        ),
    )
    expected = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, years: Any, ues: Any, registrar: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme_year"].queryset = years  # type: ignore[attr-defined]
        self.fields["ue"].queryset = ues  # type: ignore[attr-defined]
        self.fields["ue"].label_from_instance = lambda ue: (
            f"{ue.code} — {ue.title} ({ue.programme_year})"
        )  # type: ignore[attr-defined]
        choices = Audience.choices if registrar else [(Audience.UE.value, Audience.UE.label)]
        self.fields["audience"].choices = [  # type: ignore[attr-defined]
            (value, f"{label} — {AUDIENCE_HELP[Audience(value)]}") for value, label in choices
        ]
        if not registrar:
            self.fields["audience"].initial = Audience.UE.value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("audience") == Audience.UE:
            ue, py = data.get("ue"), data.get("programme_year")
            if ue is None:
                self.add_error("ue", _("Choisissez l'UE."))
            elif py is not None and ue.programme_year_id != py.pk:
                self.add_error("ue", _("Cette UE n'appartient pas à la promotion choisie."))
        return data
