"""Sign-in, sign-out, password change and reset (booklet §3.3)."""

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from cnam_cs.client_address import client_address

from .. import password_reset
from ..forms import PasswordResetRequestForm, SignInForm


@never_cache
@csrf_protect
@sensitive_post_parameters("birth_date")
def password_reset_request(request: HttpRequest) -> HttpResponse:
    """Ask for the identifier and the date of birth; answer the same way whatever matched."""
    form = PasswordResetRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        password_reset.reset_request(
            identifier=form.cleaned_data["identifier"],
            birth_date=form.cleaned_data["birth_date"],
            # Never a client-written X-Forwarded-For: it could dodge the throttle.
            client_address=client_address(request),
        )
        return redirect("password_reset_done")
    return render(request, "registration/password_reset_form.html", {"form": form})


urlpatterns: list[URLPattern] = [
    path(
        "connexion/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=SignInForm
        ),
        name="login",
    ),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "mot-de-passe/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "mot-de-passe/modifie/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("mot-de-passe-oublie/", password_reset_request, name="password_reset"),
    path(
        "mot-de-passe-oublie/envoye/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reinitialiser/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("password_reset_complete")
        ),
        name="password_reset_confirm",
    ),
    path(
        "reinitialiser/termine/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
