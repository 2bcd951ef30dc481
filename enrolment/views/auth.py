"""Sign-in, sign-out, password change and reset (booklet §3.3)."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse_lazy
from django.views import i18n
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from lib.client_address import client_address

from .. import password_reset, services
from ..forms import ChangePasswordForm, NewPasswordForm, PasswordResetRequestForm, SignInForm


def _offered(language: str) -> bool:
    return language in dict(settings.LANGUAGES)


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch (footer form); a signed-in person's choice is also recorded,
    so that their e-mails and their next sign-in elsewhere follow it."""
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    if request.method == "POST" and request.user.is_authenticated and _offered(language):
        services.user_language_set(user=request.user, language=language)
    return response


class SignInView(auth_views.LoginView):
    """Sign-in that reconciles the browser's language with the person's recorded one."""

    redirect_authenticated_user = True
    authentication_form = SignInForm

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        user = form.get_user()
        chosen = self.request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if _offered(chosen):
            # Picked in the footer on this browser (before signing in, or in an earlier
            # session): the person's latest choice, so their e-mails follow it too.
            services.user_language_set(user=user, language=chosen)
        elif user.language:
            # Nothing picked on this browser but a choice recorded elsewhere: the portal speaks
            # it from now on. A person who never chose keeps their browser's Accept-Language.
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                user.language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response


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
    path("connexion/", SignInView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "mot-de-passe/",
        auth_views.PasswordChangeView.as_view(form_class=ChangePasswordForm),
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
            form_class=NewPasswordForm, success_url=reverse_lazy("password_reset_complete")
        ),
        name="password_reset_confirm",
    ),
    path(
        "reinitialiser/termine/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
