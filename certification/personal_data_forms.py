"""The registrar's form for a written access request (RGPD): its reference, nothing else."""

from django import forms
from django.utils.translation import gettext_lazy as _

from enrolment.validators import ONE_LINE

from .personal_data import REFERENCE_MAX


class AccessRequestForm(forms.Form):
    reference = forms.CharField(
        label=_("Référence de la demande écrite"),
        max_length=REFERENCE_MAX,
        validators=[ONE_LINE],
        help_text=_(
            "Par exemple « courrier reçu le 28 novembre 2026, n° 2026-114 » : elle figure au "
            "journal et dans l'archive."
        ),
        error_messages={
            "required": _(
                "Indiquez la référence de la demande écrite (numéro de courrier, date de "
                "réception)."
            )
        },
    )
