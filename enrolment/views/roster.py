"""The registrar imports an official enrolment list: upload → column mapping → preview →
confirm, then follows the invitations going out.

Between the steps the file stays in private storage (lib/storage.py, never served), named
by a random token that only this session knows; the session (server-side) holds its sha256,
the promotion and the mapping. Each step reads the file again and checks its sha256, and
the confirmation also compares it with the one the preview showed: what is written is
exactly what was previewed. The preview is computed again inside the import's transaction.
"""

import datetime as dt
import hashlib
import logging
import secrets
from typing import Any

from django.contrib import messages
from django.core.files.base import ContentFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from lib.body_limits import body_limit
from lib.spreadsheet_safety import SpreadsheetRejected
from lib.storage import private_storage

from .. import roster, tasks
from ..access import registrar_required
from ..models import ProgrammeYear, RosterImport
from ..roster_forms import MappingForm, RosterUploadForm, roster_max_bytes

logger = logging.getLogger(__name__)

SESSION_KEY = "enrolment-roster-uploads"
STORAGE_DIR = "roster-uploads"
MAX_PENDING = 5  # uploads a session keeps at once; older ones are dropped with their file
PENDING_HOURS = 24  # a file left behind by an abandoned import is removed after this


def _pending(request: HttpRequest) -> dict[str, dict[str, Any]]:
    return dict(request.session.get(SESSION_KEY, {}))


def _save_pending(request: HttpRequest, pending: dict[str, dict[str, Any]]) -> None:
    request.session[SESSION_KEY] = pending


def _entry(request: HttpRequest, token: str) -> dict[str, Any]:
    """This session's upload ``token``: another session's token, or a stale one, is a 404."""
    entry = _pending(request).get(token)
    if entry is None:
        raise Http404
    return entry


def _drop(request: HttpRequest, token: str) -> None:
    pending = _pending(request)
    entry = pending.pop(token, None)
    if entry is not None:
        private_storage().delete(entry["name"])
        _save_pending(request, pending)


def _sweep_abandoned() -> None:
    """Files of imports started and never confirmed (any session) go after a day."""
    storage = private_storage()
    if not storage.exists(STORAGE_DIR):
        return
    limit = timezone.now() - dt.timedelta(hours=PENDING_HOURS)
    for name in storage.listdir(STORAGE_DIR)[1]:
        full = f"{STORAGE_DIR}/{name}"
        if storage.get_modified_time(full) < limit:
            storage.delete(full)


class _FileChanged(Exception):
    pass


def _read(entry: dict[str, Any]) -> tuple[bytes, roster.Table]:
    """The stored file, its hash checked against the upload's, and its table."""
    storage = private_storage()
    if not storage.exists(entry["name"]):
        raise _FileChanged
    with storage.open(entry["name"], "rb") as stored:
        data = stored.read()
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise _FileChanged
    return data, roster.read_table(data)


def _lost(request: HttpRequest, token: str) -> HttpResponse:
    _drop(request, token)
    messages.error(
        request,
        _("Le fichier déposé n'est plus disponible ou a changé : déposez-le à nouveau."),
    )
    return redirect("enrolment:registrar-roster")


def _chosen_year(request: HttpRequest) -> ProgrammeYear | None:
    asked = request.GET.get("promotion", "")
    if not (asked.isascii() and asked.isdigit() and len(asked) < 10):
        return None
    return ProgrammeYear.objects.select_related("programme").filter(pk=int(asked)).first()


@registrar_required
@body_limit(roster_max_bytes)
def roster_list(request: HttpRequest) -> HttpResponse:
    """The imports made (of one promotion with ``?promotion=``) and the upload form."""
    chosen = _chosen_year(request)
    form = RosterUploadForm(
        request.POST or None,
        request.FILES or None,
        initial={"programme_year": chosen.pk} if chosen else None,
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(roster_max_bytes() + 1)
        try:
            table = roster.read_table(data)
        except SpreadsheetRejected as exc:
            form.add_error("file", exc.message)
        else:
            _sweep_abandoned()
            token = secrets.token_urlsafe(18)
            name = private_storage().save(f"{STORAGE_DIR}/{token}.bin", ContentFile(data))
            pending = _pending(request)
            while len(pending) >= MAX_PENDING:
                oldest = min(pending, key=lambda t: pending[t]["at"])
                private_storage().delete(pending.pop(oldest)["name"])
            pending[token] = {
                "py": form.cleaned_data["programme_year"].pk,
                "name": name,
                "filename": (upload.name or "liste")[:200],
                "sha256": hashlib.sha256(data).hexdigest(),
                "mapping": roster.guess_mapping(table.headers),
                "confirmed_mapping": False,
                "at": timezone.now().isoformat(),
            }
            _save_pending(request, pending)
            return redirect("enrolment:registrar-roster-mapping", token=token)
    imports = RosterImport.objects.select_related("programme_year__programme", "created_by")
    if chosen is not None:
        imports = imports.filter(programme_year=chosen)
    rows = [(i, roster.progress(i)) for i in imports[:100]]
    status = 400 if form.errors else 200
    return render(
        request,
        "enrolment/registrar/roster/list.html",
        {"form": form, "chosen": chosen, "rows": rows, "years": ProgrammeYear.objects.all()},
        status=status,
    )


@registrar_required
def roster_mapping(request: HttpRequest, token: str) -> HttpResponse:
    entry = _entry(request, token)
    try:
        _data, table = _read(entry)
    except (_FileChanged, SpreadsheetRejected):
        return _lost(request, token)
    programme_year = get_object_or_404(
        ProgrammeYear.objects.select_related("programme"), pk=entry["py"]
    )
    initial = {f"col_{i}": key for i, key in enumerate(entry["mapping"])}
    form = MappingForm(request.POST or None, headers=table.headers, initial=initial)
    if request.method == "POST" and form.is_valid():
        pending = _pending(request)
        pending[token] = {**entry, "mapping": form.mapping(), "confirmed_mapping": True}
        _save_pending(request, pending)
        return redirect("enrolment:registrar-roster-preview", token=token)
    samples = [
        [cells[i].text if i < len(cells) else "" for _line, cells in table.rows[:3]]
        for i in range(len(table.headers))
    ]
    return render(
        request,
        "enrolment/registrar/roster/mapping.html",
        {
            "form": form,
            "token": token,
            "entry": entry,
            "programme_year": programme_year,
            "columns": list(zip(form.columns(), samples, strict=True)),
            "row_count": len(table.rows),
        },
        status=400 if form.errors else 200,
    )


def _preview_page(
    request: HttpRequest,
    token: str,
    entry: dict[str, Any],
    programme_year: ProgrammeYear,
    preview: roster.Preview,
    *,
    status: int = 200,
) -> HttpResponse:
    shown = preview.rows[:500]
    return render(
        request,
        "enrolment/registrar/roster/preview.html",
        {
            "token": token,
            "entry": entry,
            "programme_year": programme_year,
            "preview": preview,
            "shown": shown,
            "hidden_rows": len(preview.rows) - len(shown),
        },
        status=status,
    )


@registrar_required
def roster_preview(request: HttpRequest, token: str) -> HttpResponse:
    entry = _entry(request, token)
    if not entry.get("confirmed_mapping"):
        return redirect("enrolment:registrar-roster-mapping", token=token)
    try:
        _data, table = _read(entry)
    except (_FileChanged, SpreadsheetRejected):
        return _lost(request, token)
    programme_year = get_object_or_404(
        ProgrammeYear.objects.select_related("programme"), pk=entry["py"]
    )
    preview = roster.roster_preview(
        programme_year=programme_year, table=table, mapping=entry["mapping"]
    )
    return _preview_page(request, token, entry, programme_year, preview)


@require_POST
@registrar_required
def roster_confirm(request: HttpRequest, token: str) -> HttpResponse:
    entry = _entry(request, token)
    if not entry.get("confirmed_mapping"):
        return redirect("enrolment:registrar-roster-mapping", token=token)
    # The hash the preview page showed: a preview of another file (another tab) is refused.
    if request.POST.get("sha256", "") != entry["sha256"]:
        return _lost(request, token)
    try:
        _data, table = _read(entry)
    except (_FileChanged, SpreadsheetRejected):
        return _lost(request, token)
    programme_year = get_object_or_404(
        ProgrammeYear.objects.select_related("programme"), pk=entry["py"]
    )
    try:
        roster_import = roster.roster_apply(
            programme_year=programme_year,
            table=table,
            mapping=entry["mapping"],
            by=request.user,  # type: ignore[arg-type]
            filename=entry["filename"],
            sha256=entry["sha256"],
        )
    except roster.RosterError as exc:
        messages.error(
            request, _("Rien n'a été importé : corrigez le fichier et déposez-le à nouveau.")
        )
        return _preview_page(request, token, entry, programme_year, exc.preview, status=400)
    _drop(request, token)
    tasks.roster_invitations_start(roster_import=roster_import)
    if roster_import.created:
        messages.success(
            request,
            ngettext(
                "Liste importée : %(n)d inscription créée, %(same)d déjà présente(s).",
                "Liste importée : %(n)d inscriptions créées, %(same)d déjà présente(s).",
                roster_import.created,
            )
            % {"n": roster_import.created, "same": roster_import.unchanged},
        )
    else:
        messages.info(
            request,
            _("Rien de nouveau : les %(same)d inscriptions sont déjà présentes.")
            % {"same": roster_import.unchanged},
        )
    return redirect("enrolment:registrar-roster-import", import_id=roster_import.pk)


@registrar_required
def roster_import(request: HttpRequest, import_id: int) -> HttpResponse:
    """The import's counts and its invitations' progress (refreshes itself while sending)."""
    done = get_object_or_404(
        RosterImport.objects.select_related("programme_year__programme", "created_by"),
        pk=import_id,
    )
    state = roster.progress(done)
    return render(
        request,
        "enrolment/registrar/roster/import.html",
        {
            "roster_import": done,
            "progress": state,
            "pending": [] if state.sending else roster.pending_invitees(done),
        },
    )


@require_POST
@registrar_required
def roster_resend(request: HttpRequest, import_id: int) -> HttpResponse:
    done = get_object_or_404(RosterImport, pk=import_id)
    if roster.invitations_resume(roster_import=done, by=request.user):  # type: ignore[arg-type]
        tasks.roster_invitations_start(roster_import=done)
        messages.success(request, _("Envoi des invitations relancé."))
    else:
        messages.info(request, _("Toutes les invitations de cet import sont déjà parties."))
    return redirect("enrolment:registrar-roster-import", import_id=done.pk)


urlpatterns: list[URLPattern] = [
    path("scolarite/listes/", roster_list, name="registrar-roster"),
    path("scolarite/listes/<int:import_id>/", roster_import, name="registrar-roster-import"),
    path(
        "scolarite/listes/<int:import_id>/relancer/",
        roster_resend,
        name="registrar-roster-resend",
    ),
    path(
        "scolarite/listes/depot/<str:token>/colonnes/",
        roster_mapping,
        name="registrar-roster-mapping",
    ),
    path(
        "scolarite/listes/depot/<str:token>/apercu/",
        roster_preview,
        name="registrar-roster-preview",
    ),
    path(
        "scolarite/listes/depot/<str:token>/confirmer/",
        roster_confirm,
        name="registrar-roster-confirm",
    ),
]
