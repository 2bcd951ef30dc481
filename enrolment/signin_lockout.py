"""Sign-in lockout (SECURITY.md #19, #27, #28), built on django-axes.

Two locks, counted on the *account*, not on the string typed (``CAMILLE``, `` camille`` and
camille's e-mail are one account, one counter):

- the (account, address) pair: 5 failures lock that pair for 15 minutes (axes' own lock);
  a success from that address resets it;
- the account from every address: once the last hour holds 20 failures, each address counting
  for at most 5, the account is refused until they age out of the hour (20 guesses an hour at
  most) — except from an address it signed in from recently: the owner at home gets in.

One attacker on one address therefore slows only itself; locking an account for everyone
takes at least four addresses, and even then not from the owner's usual ones. Only attempts
whose password was checked count: a refused attempt during a lockout neither counts nor
extends it (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False``).
"""

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from axes.conf import settings as axes_settings
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessFailureLog, AccessLog
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from .auth import canonical_username


@dataclass(frozen=True)
class AccountLockPolicy:
    """The account-wide limit; ``clock`` can be replaced in tests."""

    limit: int = 20
    per_address: int = 5
    window: dt.timedelta = dt.timedelta(hours=1)
    usual_address_for: dt.timedelta = dt.timedelta(days=30)
    clock: Callable[[], dt.datetime] = timezone.now


POLICY = AccountLockPolicy()


def counted_failures(failures_by_address: Mapping[str | None, int], *, per_address: int) -> int:
    """Failures that count towards the account-wide limit: at most ``per_address`` each."""
    return sum(min(count, per_address) for count in failures_by_address.values())


def account_locked(*, username: str | None, address: str | None, policy: AccountLockPolicy) -> bool:
    """Whether the account-wide lock refuses ``username`` from ``address`` now."""
    if not username:
        return False
    now = policy.clock()
    rows = (
        AccessFailureLog.objects.filter(username=username, attempt_time__gte=now - policy.window)
        .order_by()
        .values_list("ip_address")
        .annotate(count=Count("pk"))
    )
    failures = counted_failures(dict(rows), per_address=policy.per_address)
    if failures < policy.limit:
        return False
    usual = AccessLog.objects.filter(
        username=username, ip_address=address, attempt_time__gte=now - policy.usual_address_for
    ).exists()
    return not usual


def axes_username(request: HttpRequest, credentials: Mapping[str, Any] | None) -> str | None:
    """AXES_USERNAME_CALLABLE: the canonical username, looked up once per request."""
    field = axes_settings.AXES_USERNAME_FORM_FIELD
    raw = credentials.get(field) if credentials else request.POST.get(field)
    if raw is None:
        return None
    memo: dict[str, str] = request.__dict__.setdefault("_canonical_usernames", {})
    if raw not in memo:
        memo[raw] = canonical_username(str(raw))
    return memo[raw]


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: Mapping[str, Any] | None = None,
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the French page, saying which of the two locks applies."""
    context = {"account_wide": getattr(request, "signin_account_locked", False)}
    return render(
        request,
        "registration/locked_out.html",
        context,
        status=axes_settings.AXES_HTTP_RESPONSE_CODE,
    )


class SignInLockoutHandler(AxesDatabaseHandler):
    """axes' (account, address) lock, plus the slower account-wide lock."""

    def is_locked(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        return super().is_locked(request, credentials) or self._account_locked(request, credentials)

    def user_login_failed(
        self,
        sender: Any,
        credentials: dict[str, Any],
        request: HttpRequest | None = None,
        **kwargs: Any,
    ) -> None:
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        # The failure that reaches the account-wide limit already gets the locked-out page.
        if (
            request is not None
            and not request.axes_locked_out  # type: ignore[attr-defined]
            and self._account_locked(request, credentials)
        ):
            request.axes_locked_out = True  # type: ignore[attr-defined]
            request.axes_credentials = credentials  # type: ignore[attr-defined]

    def reset_attempts(
        self,
        *,
        ip_address: str | None = None,
        username: str | None = None,
        ip_or_username: bool = False,
    ) -> int:
        """``manage.py axes_reset_username`` takes any spelling and lifts both locks."""
        username = canonical_username(username) if username else username
        count = super().reset_attempts(
            ip_address=ip_address, username=username, ip_or_username=ip_or_username
        )
        if username and not ip_address:
            # Only the window's failures go: older ones stay as history.
            AccessFailureLog.objects.filter(
                username=username, attempt_time__gte=POLICY.clock() - POLICY.window
            ).delete()
        return count

    def remove_out_of_limit_failure_logs(self, *, username: str, limit: int | None = None) -> int:
        # axes 8.3 deletes the *newest* rows past the limit (its default ordering is newest
        # first): new failures would vanish at once and never reach the account-wide count.
        limit = axes_settings.AXES_ACCESS_FAILURE_LOG_PER_USER_LIMIT if limit is None else limit
        rows = AccessFailureLog.objects.filter(username=username)
        if rows.count() <= limit:
            return 0
        keep = rows.order_by("-attempt_time", "-pk").values_list("pk", flat=True)[:limit]
        count, _ = rows.exclude(pk__in=list(keep)).delete()
        return count

    def _account_locked(self, request: HttpRequest, credentials: dict[str, Any] | None) -> bool:
        locked = account_locked(
            username=get_client_username(request, credentials),
            address=request.axes_ip_address,  # type: ignore[attr-defined]
            policy=POLICY,
        )
        if locked:
            request.signin_account_locked = True  # type: ignore[attr-defined]
        return locked
