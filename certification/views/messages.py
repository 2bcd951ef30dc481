"""Messages from the portal: the list, the compose page with its preview, a message and its
recipients. The registrar writes to any audience of any promotion; a teacher to the students
of a UE they teach (the service checks it again: ``messaging.check_author``)."""

from typing import Any

from django.contrib import messages as flash
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from enrolment.access import staff_required
from enrolment.models import UE, Message, ProgrammeYear, User
from enrolment.roles import is_registrar
from grading.selectors import staff_ues

from .. import messaging, tasks
from ..forms import MessageForm

PREVIEW_NAMES = 10


def _years(user: User) -> QuerySet[ProgrammeYear]:
    years = ProgrammeYear.objects.select_related("programme").order_by("programme__code", "-year")
    if is_registrar(user):
        return years
    return years.filter(ues__assignments__user=user).distinct()


def _ue_or_404(request: HttpRequest, data: Any) -> None:
    """A UE id the author may not write to is a 404, as on every page of a UE not theirs."""
    raw = data.get("ue", "")
    if (
        str(raw).isdigit()
        and UE.objects.filter(pk=raw).exists()
        and not staff_ues(request.user).filter(pk=raw).exists()
    ):
        raise Http404


def _form(request: HttpRequest, data: Any = None, **kwargs: Any) -> MessageForm:
    user = request.user
    return MessageForm(
        data,
        years=_years(user),
        ues=staff_ues(user),
        registrar=is_registrar(user),
        **kwargs,
    )


def _initial(request: HttpRequest) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    promotion = request.GET.get("promotion", "")
    if promotion.isdigit():
        initial["programme_year"] = promotion
    ue = request.GET.get("ue", "")
    if ue.isdigit():
        chosen = staff_ues(request.user).filter(pk=ue).first()
        if chosen is not None:
            initial.update(ue=chosen.pk, programme_year=chosen.programme_year_id, audience="ue")
    audience = request.GET.get("destinataires", "")
    if audience:
        initial["audience"] = audience
    return initial


@staff_required
def message_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "certification/messages/list.html",
        {"messages_written": messaging.messages_visible_to(request.user)[:200]},
    )


def _compose(
    request: HttpRequest, form: MessageForm, errors: list[str] | None = None
) -> HttpResponse:
    return render(
        request, "certification/messages/new.html", {"form": form, "errors": errors or []}
    )


@staff_required
def message_new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        _ue_or_404(request, request.GET)
        return _compose(request, _form(request, initial=_initial(request)))
    _ue_or_404(request, request.POST)
    form = _form(request, request.POST)
    if "edit" in request.POST or not form.is_valid():
        return _compose(request, form)
    data = form.cleaned_data
    fields = {
        "author": request.user,
        "programme_year": data["programme_year"],
        "audience": data["audience"],
        "subject": data["subject"],
        "body": data["body"],
        "ue": data["ue"],
    }
    try:
        if "send" in request.POST:
            message = tasks.message_start(**fields, expected_count=data["expected"])
            flash.success(request, _("Message enregistré : l'envoi est en cours."))
            return redirect("certification:message", message_id=message.pk)
        preview = messaging.message_preview(**fields)
    except messaging.MessageForbidden:
        raise Http404 from None
    except messaging.MessageRefused as exc:
        return _compose(request, form, exc.messages)
    hidden = request.POST.copy()
    hidden["expected"] = str(preview.count)
    return render(
        request,
        "certification/messages/preview.html",
        {
            "form": _form(request, hidden),
            "preview": preview,
            "first": preview.members.reachable[:PREVIEW_NAMES],
            "more": max(0, preview.count - PREVIEW_NAMES),
        },
    )


def _message(request: HttpRequest, message_id: int) -> Message:
    return get_object_or_404(messaging.messages_visible_to(request.user), pk=message_id)


@staff_required
def message_detail(request: HttpRequest, message_id: int) -> HttpResponse:
    message = _message(request, message_id)
    recipients = message.recipients.select_related("user__student").order_by(
        "user__student__last_name", "user__student__first_name", "pk"
    )
    progress = messaging.progress_of(message)
    return render(
        request,
        "certification/messages/detail.html",
        {
            "message": message,
            "recipients": recipients,
            "progress": progress,
            "sending": message.state in {Message.State.QUEUED, Message.State.SENDING},
            "failed": progress.total - progress.sent
            if message.state == Message.State.FAILED
            else 0,
        },
    )


@require_POST
@staff_required
def message_retry(request: HttpRequest, message_id: int) -> HttpResponse:
    message = _message(request, message_id)
    try:
        tasks.message_retry(message=message, by=request.user)
    except messaging.MessageRefused as exc:
        flash.error(request, " ".join(exc.messages))
        return redirect("certification:message", message_id=message.pk)
    flash.success(request, _("Envoi relancé : les destinataires déjà servis ne recevront rien."))
    return redirect("certification:message", message_id=message.pk)


urlpatterns: list[URLPattern] = [
    path("messages/", message_list, name="messages"),
    path("messages/nouveau/", message_new, name="message-new"),
    path("messages/<int:message_id>/", message_detail, name="message"),
    path("messages/<int:message_id>/relancer/", message_retry, name="message-retry"),
]
