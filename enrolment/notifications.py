"""E-mail notifications, each sent once per event key (a retry or a re-run sends nothing)."""

import logging

from django.core.mail import send_mail
from django.db import IntegrityError, transaction

from .models import Notification, User

logger = logging.getLogger(__name__)


def notify_once(*, key: str, recipient: User, subject: str, body: str) -> bool:
    """Send ``subject``/``body`` to ``recipient`` unless ``key`` was already sent.

    Returns True when an e-mail went out. The e-mail goes after the row is committed, so a
    rolled-back transaction never leaves a sent e-mail behind it.
    """
    address = recipient.email or getattr(getattr(recipient, "student", None), "email", "")
    if not address:
        return False
    try:
        with transaction.atomic():
            Notification.objects.create(key=key[:200], recipient=recipient, subject=subject[:250])
    except IntegrityError:
        return False
    transaction.on_commit(lambda: send_mail(subject, body, None, [address], fail_silently=False))
    logger.info("notification %s queued", key[:200])
    return True
