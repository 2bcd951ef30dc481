"""Forms of the student's account: sign-in, password reset request, contact details."""

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from .models import StudentProfile
from .selectors import email_in_use
from .validators import EMAIL_UNAVAILABLE, check_free_text, normalise_email


class SignInForm(AuthenticationForm):
    """Django's sign-in form, labelled as the booklet says (§3.3): username or e-mail."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Nom d'utilisateur ou adresse e-mail")
        self.fields["username"].widget.attrs.update({"autocomplete": "username"})
        self.fields["password"].label = _("Mot de passe")


class KeepNewPasswordsMixin:
    """The new password and its confirmation come back typed when the form is refused.

    Emptied, they made the person retype blind what a validator had just refused (issue 10);
    the old password of the change form is still never sent back.
    """

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("new_password1", "new_password2"):
            widget = self.fields[name].widget
            if isinstance(widget, forms.PasswordInput):
                widget.render_value = True


class NewPasswordForm(KeepNewPasswordsMixin, SetPasswordForm):  # type: ignore[type-arg]
    """Reset link and invitation: choose a password."""


class ChangePasswordForm(KeepNewPasswordsMixin, PasswordChangeForm):  # type: ignore[type-arg]
    """A signed-in person changes their password."""


class PasswordResetRequestForm(forms.Form):
    """Booklet §3.3 « Réinitialiser le mot de passe »: both fields are required."""

    identifier = forms.CharField(
        label=_("Nom d'utilisateur ou adresse e-mail"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    birth_date = forms.DateField(
        label=_("Date de naissance"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
    )

    def clean_identifier(self) -> str:
        value: str = self.cleaned_data["identifier"].strip()
        if "\x00" in value:
            raise forms.ValidationError(_("Identifiant invalide."))
        return value


@check_free_text
class ProfileForm(forms.ModelForm):
    """What a student may change themselves: contact and professional situation."""

    class Meta:
        model = StudentProfile
        fields = ["email", "phone", "address", "employment", "employer", "job_title"]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 2, "autocomplete": "street-address"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        }

    def clean_email(self) -> str:
        address = normalise_email(self.cleaned_data["email"])
        # One answer whoever holds it, a student or not: never whose address it is.
        if email_in_use(address, user_id=self.instance.user_id):
            raise forms.ValidationError(EMAIL_UNAVAILABLE, code="email_unavailable")
        return address

    def clean_address(self) -> str:
        # Typed on several lines in a text area (the field's validator has already refused
        # every other control character), kept on one: « 2 rue Conté, 75003 Paris ».
        value = str(self.cleaned_data.get("address", ""))
        lines = value.replace("\r\n", "\n").split("\n")
        return ", ".join(line.strip() for line in lines if line.strip())


class NotificationPreferencesForm(forms.Form):
    """The e-mails a student may turn off (the legal ones are always sent)."""

    notify_grades = forms.BooleanField(label=_("Notes publiées"), required=False)
    notify_sessions = forms.BooleanField(label=_("Séance déplacée ou annulée"), required=False)
    notify_absences = forms.BooleanField(
        label=_("Alerte d'absences"),
        required=False,
        help_text=_("Quand votre taux d'absence approche du seuil de défaillance."),
    )
