"""Password reset as the booklet describes it (§3.3): identifier + date of birth.

The answer must not tell whether an account exists or the date matched (SECURITY.md #18):
both branches look the account up, compare a date, make a token and render the e-mail; only
the hand-off of a matching e-mail differs, and it is queued to a background thread so that a
slow SMTP server cannot be timed. Requests are throttled per identifier, per account and per
client address. The clock is injectable so that tests can move it.
"""

import datetime as dt
import hashlib
import hmac
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from lib.links import absolute_url

from .models import User
from .notifications import recipient_language, render_email

logger = logging.getLogger(__name__)

_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="password-reset-mail")
# A stand-in for the no-match branch: same hashing and rendering work, never saved.
_DUMMY_BIRTH_DATE = dt.date(1900, 1, 1)


def _send(message: EmailMessage) -> None:
    try:
        message.send(fail_silently=False)
    except Exception:  # a lost e-mail must be logged, never crash the worker
        logger.exception("password reset e-mail could not be sent")


def deliver_in_background(message: EmailMessage) -> Future[None]:
    """Hand the e-mail to Django's backend from a worker thread (the request does not wait)."""
    return _EXECUTOR.submit(_send, message)


def wait_for_deliveries(timeout: float = 10) -> None:
    """Block until every queued e-mail was handed to the backend (tests, shutdown)."""
    _EXECUTOR.submit(lambda: None).result(timeout=timeout)


@dataclass(frozen=True)
class ResetPolicy:
    """Limits per rolling window; ``clock`` and ``deliver`` can be replaced in tests."""

    per_identifier: int = 5
    per_account: int = 5
    per_address: int = 20
    window_seconds: int = 3600
    clock: Callable[[], dt.datetime] = timezone.now
    deliver: Callable[[EmailMessage], object] = field(default=deliver_in_background)


def _digest(value: str) -> str:
    # Identifiers are personal data: the cache only ever sees a keyed hash of them.
    return hmac.new(
        force_bytes(settings.SECRET_KEY), force_bytes(value), hashlib.sha256
    ).hexdigest()


def _hit(key: str, *, limit: int, policy: ResetPolicy) -> bool:
    """Count one request under ``key``; True while the count stays within ``limit``."""
    window = int(policy.clock().timestamp()) // policy.window_seconds
    full_key = f"pwreset:{window}:{key}"
    cache.add(full_key, 0, timeout=policy.window_seconds)
    try:
        count = cache.incr(full_key)
    except ValueError:  # expired between add and incr
        cache.set(full_key, 1, timeout=policy.window_seconds)
        count = 1
    return count <= limit


def _find_account(identifier: str) -> User | None:
    """The one active student whose username, sign-in e-mail or personal e-mail matches."""
    matches = list(
        User.objects.filter(
            Q(username__iexact=identifier)
            | (Q(email__iexact=identifier) & ~Q(email=""))
            | Q(student__email__iexact=identifier),
            is_active=True,
            student__isnull=False,
        )
        .select_related("student")
        .distinct()[:2]
    )
    return matches[0] if len(matches) == 1 else None


def _message(user: User, *, uid: str, token: str, to: str) -> EmailMessage:
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    # The link is built from the configured public address, never from the Host header.
    context = {
        "user": user,
        "link": absolute_url(path),
        "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    subject, body = render_email("password_reset", context, language=recipient_language(user))
    return EmailMessage(subject, body, None, [to])


def reset_request(
    *,
    identifier: str,
    birth_date: dt.date,
    client_address: str,
    policy: ResetPolicy | None = None,
) -> bool:
    """Send a one-time link to the personal address when both answers match a student.

    Returns whether an e-mail was queued; callers must not let that change the answer.
    """
    policy = policy or POLICY
    identifier = identifier.strip()
    user = _find_account(identifier)
    student = getattr(user, "student", None) if user else None
    # Same work whatever matched: a date comparison, a token and the e-mail text.
    subject_user = user if user is not None else User(pk=0, username="", password="!")
    expected = student.birth_date if student is not None else _DUMMY_BIRTH_DATE
    dates_match = hmac.compare_digest(expected.isoformat(), birth_date.isoformat())
    uid = urlsafe_base64_encode(force_bytes(subject_user.pk))
    token = default_token_generator.make_token(subject_user)
    message = _message(
        subject_user, uid=uid, token=token, to=student.email if student else "nobody@invalid"
    )

    allowed = _hit(f"id:{_digest(identifier.lower())}", limit=policy.per_identifier, policy=policy)
    allowed &= _hit(f"user:{subject_user.pk}", limit=policy.per_account, policy=policy)
    allowed &= _hit(f"ip:{_digest(client_address)}", limit=policy.per_address, policy=policy)

    if student is None or not dates_match:
        return False
    if not allowed:
        logger.warning("password reset throttled for user %s", subject_user.pk)
        return False
    policy.deliver(message)
    logger.info("password reset e-mail queued for user %s", subject_user.pk)
    return True


POLICY = ResetPolicy()
