"""Sign-in with the username or the e-mail address (booklet §3.3)."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q
from django.http import HttpRequest

from .models import User


class UsernameOrEmailBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or password is None or "\x00" in username:
            return None
        identifier = username.strip()
        matches = list(
            User.objects.filter(
                Q(username__iexact=identifier) | (Q(email__iexact=identifier) & ~Q(email=""))
            )[:2]
        )
        if len(matches) != 1:
            # Run the hasher anyway so that timing does not tell whether the account exists.
            User().set_password(password)
            return None
        user = matches[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
