"""E-mail notifications, each sent once per event key (a retry or a re-run sends nothing).

Every e-mail is rendered from ``templates/email/<name>_subject.txt`` and
``templates/email/<name>.txt`` in its recipient's language (``User.language``).
"""

import logging
from collections.abc import Mapping

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation

from .models import Notification, User

logger = logging.getLogger(__name__)


def recipient_language(user: User) -> str:
    """The language ``user`` reads the portal in, or the portal's default one."""
    language = getattr(user, "language", "")
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def render_email(template: str, context: Mapping[str, object], *, language: str) -> tuple[str, str]:
    """Subject (one line) and body of the e-mail ``template``, written in ``language``.

    Dates (``|date:"j F Y"``) and numbers (``|floatformat``) follow the same language.
    """
    with translation.override(language):
        subject = render_to_string(f"email/{template}_subject.txt", dict(context))
        body = render_to_string(f"email/{template}.txt", dict(context))
    return " ".join(subject.split()), body


def notify_once(*, key: str, recipient: User, template: str, context: Mapping[str, object]) -> bool:
    """Send the e-mail ``template`` to ``recipient`` unless ``key`` was already sent.

    ``context`` gets ``recipient`` added. Returns True when an e-mail went out. The e-mail
    goes after the row is committed, so a rolled-back transaction never leaves a sent
    e-mail behind it.
    """
    address = recipient.email or getattr(getattr(recipient, "student", None), "email", "")
    if not address:
        return False
    subject, body = render_email(
        template,
        {**context, "recipient": recipient},
        language=recipient_language(recipient),
    )
    try:
        with transaction.atomic():
            Notification.objects.create(key=key[:200], recipient=recipient, subject=subject[:250])
    except IntegrityError:
        return False
    transaction.on_commit(lambda: send_mail(subject, body, None, [address], fail_silently=False))
    logger.info("notification %s queued", key[:200])
    return True
