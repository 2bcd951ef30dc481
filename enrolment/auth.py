"""Sign-in with the username or the e-mail address (booklet §3.3)."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q
from django.http import HttpRequest

from .models import User
from .roles import user_with_roles

# axes stores the identifier in a 255-character column.
_KEY_LENGTH = 255


def find_account(identifier: str) -> User | None:
    """The one account whose username or sign-in e-mail is ``identifier``, in any case."""
    identifier = identifier.strip()
    if not identifier or "\x00" in identifier:
        return None
    matches = list(
        User.objects.filter(
            Q(username__iexact=identifier) | (Q(email__iexact=identifier) & ~Q(email=""))
        )[:2]
    )
    return matches[0] if len(matches) == 1 else None


def canonical_username(raw: str) -> str:
    """The one key every spelling of an account shares: its username.

    An identifier that names no account is stripped and case-folded, so that guesses at an
    unknown name share one counter too (and a lockout tells nothing about existence).
    """
    account = find_account(raw)
    if account is not None:
        return account.username
    return raw.strip().casefold().replace("\x00", "")[:_KEY_LENGTH]


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
        user = find_account(username)
        if user is None:
            # Run the hasher anyway so that timing does not tell whether the account exists.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id: Any) -> User | None:
        """The signed-in user of each request, read with their roles in the same query."""
        user = user_with_roles(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
