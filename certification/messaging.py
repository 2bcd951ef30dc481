"""Messages from the portal: a registrar or a teacher e-mails an audience of a promotion.

``message_create`` keeps the message and a snapshot of its recipients in one transaction;
``message_send`` (run by ``tasks.send_message``) sends to the recipients not sent yet, in
batches, one SMTP connection per batch. A recipient is claimed (``sent_at`` written) before
its e-mail goes out and released if the send fails: a second run, or two workers at once,
never send the same e-mail twice.

These are the registrar's and teachers' communications, not notifications: a student's
e-mail preferences (``User.notify_*``) do not apply to them.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from enrolment import audit
from enrolment.models import UE, Message, MessageRecipient, ProgrammeYear, StaffAssignment, User
from enrolment.notifications import recipient_language, render_email
from enrolment.roles import is_registrar
from lib.links import absolute_url

from .audiences import Audience, AudienceList, audience_members

logger = logging.getLogger(__name__)

TEMPLATE = "portal_message"
DEFAULT_BATCH_SIZE = 50


class MessageRefused(Exception):
    """The message cannot be written as asked; ``messages`` say why, in French."""

    def __init__(self, *messages: str) -> None:
        super().__init__(" ".join(messages))
        self.messages = list(messages)


class MessageForbidden(Exception):
    """The author may not write to this audience (a teacher and a UE not theirs): a 404."""


def check_author(
    *, author: User, programme_year: ProgrammeYear, audience: str, ue: UE | None
) -> None:
    """The registrar writes to any audience; a teacher only to a UE they are assigned to."""
    if is_registrar(author):
        return
    if (
        audience != Audience.UE
        or ue is None
        or ue.programme_year_id != programme_year.pk
        or not StaffAssignment.objects.filter(user=author, ue=ue).exists()
    ):
        raise MessageForbidden


def _members(
    *, author: User, programme_year: ProgrammeYear, audience: str, ue: UE | None
) -> AudienceList:
    check_author(author=author, programme_year=programme_year, audience=audience, ue=ue)
    if audience not in Audience.values:
        raise MessageRefused(_("Choisissez les destinataires."))
    if audience == Audience.UE and (ue is None or ue.programme_year_id != programme_year.pk):
        raise MessageRefused(_("Choisissez une UE de la promotion."))
    return audience_members(
        programme_year=programme_year, audience=audience, ue=ue if audience == Audience.UE else None
    )


def _author_role(message: Message) -> str:
    if is_registrar(message.author):
        return _("scolarité")
    if message.ue is not None:
        return _("enseignant·e de l'UE %(code)s") % {"code": message.ue.code}
    return _("enseignant·e")


def render_message(message: Message, *, recipient: User | None) -> tuple[str, str]:
    """Subject and body of the e-mail exactly as sent: the author's text and the footer."""
    author = message.author
    context = {
        "message": message,
        "code": message.programme_year.programme.code,
        "programme_year": message.programme_year,
        "author_name": author.get_full_name() or author.get_username(),
        "author_role": _author_role(message),
        "author_email": author.email,
        "portal_url": absolute_url("/"),
        "body": message.body.replace("\r\n", "\n").strip(),
    }
    language = recipient_language(recipient) if recipient else settings.LANGUAGE_CODE
    return render_email(TEMPLATE, context, language=language)


@dataclass(frozen=True)
class Preview:
    message: Message  # not saved
    members: AudienceList
    subject: str
    body: str  # as the first recipient will read it

    @property
    def count(self) -> int:
        return self.members.count


def _clean(message: Message) -> None:
    try:
        message.full_clean(exclude=["author", "programme_year", "created_at", "state"])
    except ValidationError as exc:
        raise MessageRefused(*exc.messages) from exc
    if not message.subject.strip() or not message.body.strip():
        raise MessageRefused(_("Écrivez un objet et un message."))


def message_preview(
    *,
    author: User,
    programme_year: ProgrammeYear,
    audience: str,
    subject: str,
    body: str,
    ue: UE | None = None,
) -> Preview:
    """The recipients and the e-mail as it will be sent; nothing written."""
    members = _members(author=author, programme_year=programme_year, audience=audience, ue=ue)
    message = Message(
        author=author,
        programme_year=programme_year,
        ue=ue if audience == Audience.UE else None,
        audience=members.label,
        subject=subject.strip(),
        body=body,
        created_at=timezone.now(),
    )
    _clean(message)
    first = members.reachable[0].user_id if members.reachable else None
    recipient = User.objects.filter(pk=first).first() if first else None
    subject_line, text = render_message(message, recipient=recipient)
    return Preview(message=message, members=members, subject=subject_line, body=text)


@transaction.atomic
def message_create(
    *,
    author: User,
    programme_year: ProgrammeYear,
    audience: str,
    subject: str,
    body: str,
    ue: UE | None = None,
    expected_count: int | None = None,
) -> Message:
    """Keep the message and its recipients (a snapshot of the audience now), queued.

    Students without an address are kept as recipients without one: listed, never sent.
    ``expected_count``: the count the author saw on the preview; another count is refused.
    """
    preview = message_preview(
        author=author,
        programme_year=programme_year,
        audience=audience,
        subject=subject,
        body=body,
        ue=ue,
    )
    if preview.count == 0:
        raise MessageRefused(_("Aucun destinataire joignable par e-mail : rien n'a été envoyé."))
    if expected_count is not None and expected_count != preview.count:
        raise MessageRefused(
            _(
                "La liste a changé depuis l'aperçu : %(n)s destinataires maintenant. "
                "Vérifiez l'aperçu avant d'envoyer."
            )
            % {"n": preview.count}
        )
    message = preview.message
    message.save()
    MessageRecipient.objects.bulk_create(
        MessageRecipient(message=message, user_id=m.user_id, email=m.email)
        for m in preview.members.members
    )
    audit.record(
        by=author,
        action="messages.message.create",
        summary=ngettext(
            "Message « %(subject)s » à %(n)s destinataire (%(audience)s)",
            "Message « %(subject)s » à %(n)s destinataires (%(audience)s)",
            preview.count,
        )
        % {"subject": message.subject, "n": preview.count, "audience": message.audience},
        programme_year=programme_year,
    )
    return message


def _pending(message_id: int) -> QuerySet[MessageRecipient]:
    return MessageRecipient.objects.filter(message_id=message_id, sent_at__isnull=True).exclude(
        email=""
    )


def message_send(*, message_id: int, batch_size: int | None = None) -> Message:
    """Send to every recipient not sent yet; a failed send leaves its recipient unsent.

    The message ends « envoyé » when every reachable recipient has it, else « échec ».
    """
    size = batch_size or getattr(settings, "MESSAGE_BATCH_SIZE", DEFAULT_BATCH_SIZE)
    message = Message.objects.select_related("author", "programme_year__programme", "ue").get(
        pk=message_id
    )
    Message.objects.filter(pk=message.pk).exclude(state=Message.State.SENT).update(
        state=Message.State.SENDING
    )
    last = 0
    while True:
        batch = list(
            _pending(message.pk).filter(pk__gt=last).select_related("user").order_by("pk")[:size]
        )
        if not batch:
            break
        last = batch[-1].pk
        try:
            connection = mailers.default
            connection.open()
        except Exception:
            logger.exception("message %s: mail server unreachable", message.pk)
            break
        try:
            for recipient in batch:
                _send_one(message, recipient, connection)
        finally:
            connection.close()
    return _finish(message.pk)


def _send_one(message: Message, recipient: MessageRecipient, connection: BaseEmailBackend) -> bool:
    # Claimed first: another worker running the same message skips it.
    claimed = MessageRecipient.objects.filter(pk=recipient.pk, sent_at__isnull=True).update(
        sent_at=timezone.now()
    )
    if not claimed:
        return False
    subject, body = render_message(message, recipient=recipient.user)
    email = EmailMessage(
        subject=subject,
        body=body,
        to=[recipient.email],
        reply_to=[message.author.email] if message.author.email else [],
    )
    try:
        connection.send_messages([email])
    except Exception:
        MessageRecipient.objects.filter(pk=recipient.pk).update(sent_at=None)
        logger.exception("message %s: send to recipient %s failed", message.pk, recipient.pk)
        return False
    return True


def _finish(message_id: int) -> Message:
    unsent = _pending(message_id).count()
    if unsent:
        Message.objects.filter(pk=message_id).update(state=Message.State.FAILED)
    else:
        Message.objects.filter(pk=message_id).update(
            state=Message.State.SENT, sent_at=timezone.now()
        )
    return Message.objects.get(pk=message_id)


@transaction.atomic
def message_retry(*, message: Message, by: User) -> Message:
    """« Relancer l'envoi »: queued again for the recipients not sent; sent ones are skipped."""
    remaining = _pending(message.pk).count()
    if not remaining:
        raise MessageRefused(_("Tous les destinataires joignables ont déjà reçu ce message."))
    Message.objects.filter(pk=message.pk).update(state=Message.State.QUEUED)
    audit.record(
        by=by,
        action="messages.message.retry",
        summary=_("Envoi relancé du message « %(subject)s » (%(n)s destinataires restants)")
        % {"subject": message.subject, "n": remaining},
        programme_year=message.programme_year,
    )
    message.refresh_from_db()
    return message


@dataclass(frozen=True)
class Progress:
    sent: int
    total: int  # recipients with an address
    unreachable: int

    @property
    def percent(self) -> int:
        return round(100 * self.sent / self.total) if self.total else 100


def progress_of(message: Message) -> Progress:
    counts = message.recipients.aggregate(
        sent=Count("pk", filter=Q(sent_at__isnull=False)),
        total=Count("pk", filter=~Q(email="")),
        unreachable=Count("pk", filter=Q(email="")),
    )
    return Progress(**counts)


def messages_visible_to(user: User) -> QuerySet[Message]:
    """The registrar sees every message; a teacher the ones they wrote."""
    messages = Message.objects.select_related("author", "programme_year__programme", "ue")
    if not is_registrar(user):
        messages = messages.filter(author=user)
    return messages.annotate(
        n_sent=Count("recipients", filter=Q(recipients__sent_at__isnull=False)),
        n_total=Count("recipients", filter=~Q(recipients__email="")),
    ).order_by("-created_at", "-pk")
