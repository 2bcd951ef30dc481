"""A student's personal data (RGPD, right of access): everything the portal holds about them,
as one ZIP built in the background.

``export_request`` records the request (the student's, or the registrar's for a written
request, with its reference); ``certification.tasks`` queues ``export_build``, which collects
section by section (progress written after each), writes the ZIP beside its final name and
renames it (never half a file), and marks the export ready for
``settings.PERSONAL_DATA_EXPORT_HOURS``. ``export_download`` serves it and logs each download;
``exports_expire`` deletes the files past their time (a hook of ``manage.py worker`` and the
command ``purge_personal_data_exports``). It reads every app, so it lives in the top one.
"""

import datetime as dt
import json
import logging
import os
import re
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from axes.models import AccessFailureLog, AccessLog
from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, override

from attendance.models import Attendance, CalendarFeed, JustificationRequest, Session
from enrolment import audit
from enrolment.models import (
    AuditEntry,
    Enrolment,
    EnrolmentStatusChange,
    MessageRecipient,
    Notification,
    Payment,
    PriorDiploma,
    StudentProfile,
    User,
)
from enrolment.roles import is_registrar
from enrolment.validators import forbidden_character
from grading.documents import transcript, transcript_availability
from grading.selectors import published_ue_results
from lib.pdf import render_pdf
from lib.signing import SigningKeyError, sign_pdf

from . import documents
from .models import Certificate, PersonalDataExport
from .selectors import latest_jury

logger = logging.getLogger(__name__)

Status = PersonalDataExport.Status
PENDING = (Status.QUEUED, Status.RUNNING)
# A request still queued or running after this long lost its worker: marked failed, so that
# the student may ask again (the constraint allows one pending export per student).
STALE_AFTER = dt.timedelta(hours=1)
REFERENCE_MAX = 200
_BUSY = (
    "Un export des données de cet·te élève est déjà en préparation : attendez qu'il soit "
    "prêt, puis recommencez."
)
_BUSY_BY_REGISTRAR = (
    "La scolarité prépare en ce moment un export de vos données : réessayez dans quelques minutes."
)


class PersonalDataError(Exception):
    """A refused request, with its reason in French."""


class ExportExpired(Exception):
    """The export's file is past its time (deleted, or about to be)."""


def _who(student: StudentProfile) -> str:
    return f"{student.last_name.upper()} {student.first_name} ({student.number})"


def _by_name(user: User) -> str:
    return user.get_full_name() or user.username


def _reference(raw: str) -> str:
    reference = raw.strip()
    if not reference:
        raise PersonalDataError(
            "Indiquez la référence de la demande écrite (numéro de courrier, date de réception)."
        )
    if forbidden_character(reference) is not None:
        raise PersonalDataError(
            "La référence tient sur une seule ligne, sans caractère de contrôle ou invisible."
        )
    if len(reference) > REFERENCE_MAX:
        raise PersonalDataError(
            f"La référence tient en {REFERENCE_MAX} caractères au plus ({len(reference)} saisis)."
        )
    return reference


def current_export(
    student: StudentProfile, *, on_behalf: bool, now: dt.datetime | None = None
) -> PersonalDataExport | None:
    """The export a new request would show instead of starting one: still being prepared,
    or ready and not expired (only the student's own, for the student's page)."""
    now = now or timezone.now()
    exports = PersonalDataExport.objects.filter(student=student)
    if not on_behalf:
        exports = exports.filter(on_behalf=False)
    pending = exports.filter(status__in=PENDING).first()
    if pending is not None:
        return pending
    return exports.filter(status=Status.DONE, expires_at__gt=now).order_by("-finished_at").first()


def export_request(
    *, student: StudentProfile, by: User, reference: str = "", now: dt.datetime | None = None
) -> tuple[PersonalDataExport, bool]:
    """Record a request; returns the export and whether it is new (to be queued).

    The student's own request shows the export still pending or ready instead of starting
    another. The registrar's, for a written request, needs its reference and is refused while
    another export of the student is being prepared.
    """
    now = now or timezone.now()
    on_behalf = by.pk != student.user_id
    if on_behalf and not is_registrar(by):
        raise PersonalDataError("Seule la scolarité peut exporter les données d'un·e autre élève.")
    clean = _reference(reference) if on_behalf else ""
    with transaction.atomic():
        # One request at a time per student: the second of two clicks waits, then sees the first.
        StudentProfile.objects.select_for_update().filter(pk=student.pk).first()
        existing = current_export(student, on_behalf=on_behalf, now=now)
        if existing is not None and not on_behalf:
            return existing, False
        if PersonalDataExport.objects.filter(student=student, status__in=PENDING).exists():
            raise PersonalDataError(_BUSY_BY_REGISTRAR if not on_behalf else _BUSY)
        try:
            with transaction.atomic():
                export = PersonalDataExport.objects.create(
                    student=student,
                    requested_by=by,
                    on_behalf=on_behalf,
                    request_reference=clean,
                    created_at=now,
                    steps_total=len(SECTIONS),
                )
        except IntegrityError:
            raise PersonalDataError(_BUSY if on_behalf else _BUSY_BY_REGISTRAR) from None
        summary = f"Export des données personnelles de {_who(student)} demandé"
        if on_behalf:
            summary += f" par la scolarité ({_by_name(by)}), demande écrite « {clean} »"
        else:
            summary += " par l'élève"
        audit.record(by=by, action="rgpd.export.request", summary=summary)
    return export, True


# --- Collection -------------------------------------------------------------------------------


@dataclass
class _Build:
    """What the sections share while one export is built: the student and the open ZIP."""

    student: StudentProfile
    user: User
    enrolments: list[Enrolment]
    archive: zipfile.ZipFile
    files: list[str] = field(default_factory=list)

    def add_file(self, name: str, data: bytes) -> str:
        # PDFs and images are compressed already: stored as they are.
        self.archive.writestr(name, data, compress_type=zipfile.ZIP_STORED)
        self.files.append(name)
        return name


def _safe(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z._-]+", "-", text).strip("-") or "fichier"


def _py(enrolment: Enrolment) -> dict[str, Any]:
    py = enrolment.programme_year
    return {
        "inscription_id": enrolment.pk,
        "programme": py.programme.code,
        "intitule": py.programme.title,
        "annee": py.year,
    }


def _identity(b: _Build) -> dict[str, Any]:
    u, s = b.user, b.student
    feed = CalendarFeed.objects.filter(user=u).first()
    return {
        "compte": {
            "identifiant": u.username,
            "prenom": u.first_name,
            "nom": u.last_name,
            "email_de_connexion": u.email,
            "langue": u.language,
            "cree_le": u.date_joined,
            "derniere_connexion": u.last_login,
            "actif": u.is_active,
            "emails_de_notification": {
                "notes_publiees": u.notify_grades,
                "seance_deplacee_ou_annulee": u.notify_sessions,
                "alerte_absences": u.notify_absences,
            },
            "abonnement_calendrier_cree_le": feed.created_at if feed else None,
        },
        "eleve": {
            "numero": s.number,
            "nom": s.last_name,
            "prenom": s.first_name,
            "date_de_naissance": s.birth_date,
            "email_personnel": s.email,
            "telephone": s.phone,
            "adresse": s.address,
            "situation_professionnelle": s.get_employment_display() if s.employment else "",
            "employeur": s.employer,
            "fonction": s.job_title,
            "tiers_temps": s.tiers_temps,
            "amenagements": s.accommodations,
        },
        "parcours": [
            {
                "intitule": d.title,
                "etablissement": d.institution,
                "annee": d.year,
                "obtenu_au_cnam": d.at_cnam,
                "numero_de_certificat": d.certificate_number,
            }
            for d in PriorDiploma.objects.filter(student=s)
        ],
    }


def _enrolments(b: _Build) -> list[dict[str, Any]]:
    ids = [e.pk for e in b.enrolments]
    changes = EnrolmentStatusChange.objects.filter(enrolment_id__in=ids).order_by("at", "pk")
    payments = Payment.objects.filter(enrolment_id__in=ids).order_by("date", "pk")
    out = []
    for e in b.enrolments:
        paid = [p for p in payments if p.enrolment_id == e.pk]
        total = sum((p.amount for p in paid), Decimal("0.00"))
        out.append(
            _py(e)
            | {
                "statut": e.status,
                "statut_libelle": e.get_status_display(),
                "creee_le": e.created_at,
                "ues": [
                    {"code": ue.code, "intitule": ue.title, "credits": ue.credits}
                    for ue in e.ues.order_by("code")
                ],
                "historique_du_statut": [
                    {"le": c.at, "de": c.from_status, "vers": c.to_status, "motif": c.reason}
                    for c in changes
                    if c.enrolment_id == e.pk
                ],
                "frais_dus": e.fees_due,
                "paiements": [
                    {
                        "date": p.date,
                        "montant": p.amount,
                        "remboursement": p.amount < 0,
                        "moyen": p.get_means_display(),
                        "motif": p.reason,
                        "enregistre_le": p.recorded_at,
                    }
                    for p in paid
                ],
                "total_paye": total,
                "reste_du": max(e.fees_due - total, Decimal("0.00")),
            }
        )
    return out


def _session_line(s: Session, a: Attendance | None) -> dict[str, Any]:
    if a is not None:
        presence: str | None = a.presence
    else:
        # Only what is not plain presence is stored: a roll taken without a line is presence.
        presence = Attendance.Presence.PRESENT if s.roll_taken_at else None
    return {
        "ue": s.ue.code,
        "cle": s.key,
        "intitule": s.title,
        "type": s.get_kind_display(),
        "debut": s.start,
        "fin": s.end,
        "duree_minutes": s.minutes,
        "site": s.get_site_display(),
        "salle": s.room,
        "annulee": s.cancelled,
        "rattrapage": s.makeup,
        "appel_fait": s.roll_taken_at is not None,
        "presence": presence,
        "minutes_manquees": a.minutes_missed if a else 0,
        "absence_justifiee": a.justified if a else False,
        "motif": a.justification_reason if a else "",
    }


def _attendance(b: _Build) -> list[dict[str, Any]]:
    out = []
    for e in b.enrolments:
        marks = Attendance.objects.filter(enrolment=e).select_related("session__ue")
        rows = {a.session_id: a for a in marks.order_by("session__start", "pk")}
        sessions = Session.objects.filter(ue__enrolments=e).select_related("ue")
        listed = [_session_line(s, rows.pop(s.pk, None)) for s in sessions.order_by("start", "pk")]
        # Marks left: sessions of a UE the enrolment no longer has.
        others = [_session_line(a.session, a) for a in rows.values()]
        out.append(_py(e) | {"seances": listed, "lignes_hors_de_vos_ue": others})
    return out


def _stored_file(
    b: _Build, folder: str, stem: str, name: str | None, purged: object
) -> dict[str, Any]:
    """Copy a private file into the ZIP; a file purged (retention) or missing is said so."""
    storage = Attendance._meta.get_field("justification_document").storage
    if purged is not None or not name or not storage.exists(name):
        why = "supprimé (durée de conservation écoulée)" if purged else "fichier introuvable"
        return {"fichier": None, "fichier_non_inclus": why, "fichier_supprime_le": purged}
    extension = _safe(name.rsplit(".", 1)[-1].lower()) if "." in name else "bin"
    with storage.open(name, "rb") as handle:
        return {"fichier": b.add_file(f"{folder}/{stem}.{extension}", handle.read())}


def _justifications(b: _Build) -> list[dict[str, Any]]:
    ids = [e.pk for e in b.enrolments]
    out = []
    requests = JustificationRequest.objects.filter(attendance__enrolment_id__in=ids)
    for r in requests.select_related("attendance__session__ue").order_by("created_at", "pk"):
        s = r.attendance.session
        stem = f"{s.ue.code}-{timezone.localtime(s.start):%Y-%m-%d}-demande-{r.pk}"
        out.append(
            {
                "origine": "demande de l'élève",
                "inscription_id": r.attendance.enrolment_id,
                "seance": {"ue": s.ue.code, "cle": s.key, "debut": s.start},
                "deposee_le": r.created_at,
                "etat": r.status,
                "etat_libelle": r.get_status_display(),
                "commentaire": r.comment,
                "decidee_le": r.decided_at,
                "motif_du_refus": r.refusal_reason,
            }
            | _stored_file(
                b, "justificatifs", _safe(stem), r.document.name, getattr(r, "purged_at", None)
            )
        )
    teacher_files = Attendance.objects.filter(enrolment_id__in=ids).exclude(
        justification_document=""
    )
    for a in teacher_files.select_related("session__ue").order_by("session__start", "pk"):
        s = a.session
        stem = f"{s.ue.code}-{timezone.localtime(s.start):%Y-%m-%d}-appel-{a.pk}"
        out.append(
            {
                "origine": "déposé avec l'appel",
                "inscription_id": a.enrolment_id,
                "seance": {"ue": s.ue.code, "cle": s.key, "debut": s.start},
                "absence_justifiee": a.justified,
                "motif": a.justification_reason,
            }
            | _stored_file(
                b,
                "justificatifs",
                _safe(stem),
                a.justification_document.name,
                getattr(a, "purged_at", None),
            )
        )
    return out


def _grades(b: _Build) -> list[dict[str, Any]]:
    """Published grades only (RULES.md §6): a draft never leaves the portal, not even here."""
    out = []
    for e in b.enrolments:
        ues = []
        for p in published_ue_results(e):
            evaluations = []
            for a in p.assessments:
                grade = p.grades.get(a.pk)
                if grade is None:
                    continue
                evaluations.append(
                    {
                        "cle": a.key,
                        "intitule": a.title,
                        "type": a.get_kind_display(),
                        "date": a.date,
                        "coefficient": a.weight,
                        "rattrapage_de": a.makeup_of.key if a.makeup_of is not None else None,
                        "statut": grade.status,
                        "statut_libelle": grade.get_status_display(),
                        "note": grade.value,
                    }
                )
            ues.append(
                {
                    "code": p.ue.code,
                    "intitule": p.ue.title,
                    "credits": p.ue.credits,
                    "moyenne": p.result.average,
                    "statut": p.result.status.value,
                    "credits_obtenus": p.result.credits,
                    "evaluations": evaluations,
                }
            )
        out.append(_py(e) | {"ues": ues, "jury": _jury(e)})
    return out


def _jury(e: Enrolment) -> dict[str, Any] | None:
    jury = latest_jury(e.programme_year_id)
    if jury is None or not e.jury_decision:
        return None
    return {
        "decision": e.jury_decision,
        "decision_libelle": e.get_jury_decision_display(),
        "pv_numero": jury.sequence,
        "delibere_le": jury.deliberated_at,
    }


def _documents(b: _Build) -> dict[str, Any]:
    certificates = Certificate.objects.filter(enrolment__in=b.enrolments).order_by("issued_at")
    issued = []
    for c in certificates:
        line: dict[str, Any] = {
            "numero": c.number,
            "delivre_le": c.issued_on,
            "etat": "révoqué" if c.revoked_at else "valide",
            "revoque_le": c.revoked_at,
            "motif_de_revocation": c.revoked_reason,
            "adresse_de_verification": c.snapshot.get("verification_url", ""),
            "sha256": c.sha256,
            "fichier": None,
        }
        if c.pdf.name and c.pdf.storage.exists(c.pdf.name):
            with c.pdf.storage.open(c.pdf.name, "rb") as handle:
                name = f"documents/certificat-{_safe(c.number)}.pdf"
                line["fichier"] = b.add_file(name, handle.read())
        issued.append(line)
    return {"certificats": issued, "produits_pour_cet_export": _rendered(b)}


def _pdf(
    template: str, context: dict[str, Any], *, title: str, reason: str | None
) -> tuple[bytes, bool]:
    """A document rendered as its download renders it (``lib.downloads.pdf_download``), signed
    when its page signs it; without a usable key the copy in the archive is left unsigned
    (the export is the student's right, not a document to prove)."""
    data = render_pdf(template, context, title=title)
    if reason is None:
        return data, False
    try:
        return sign_pdf(data, reason=reason), True
    except SigningKeyError:
        logger.warning("personal data export: %s left unsigned (no signing key)", title)
        return data, False


def _rendered(b: _Build) -> list[dict[str, Any]]:
    """The relevé de notes and the attestation de réussite as their pages give them today."""
    out = []
    for e in b.enrolments:
        py = f"{_safe(e.programme_year.programme.code)}-{e.programme_year.year}"
        available, reasons = transcript_availability(e)
        line: dict[str, Any] = _py(e) | {"document": "relevé de notes"}
        if available:
            document = transcript(e)
            data, signed = _pdf(
                "grading/pdf/transcript.html",
                {"transcript": document},
                title=f"Relevé de notes — {document.student.full_name}",
                reason=document.signature_reason,  # as its page signs it
            )
            line["fichier"] = b.add_file(f"documents/releve-de-notes-{py}.pdf", data)
            line["signe"] = signed
        else:
            line |= {"fichier": None, "non_disponible": reasons}
        out.append(line)
        available, reasons = documents.attestation_availability(e)
        line = _py(e) | {"document": "attestation de réussite"}
        if available:
            data, signed = _pdf(
                "certification/pdf/attestation.html",
                documents.attestation_context(e),
                title="Attestation de réussite",
                reason=documents.ATTESTATION_SIGNATURE_REASON,
            )
            line["fichier"] = b.add_file(f"documents/attestation-de-reussite-{py}.pdf", data)
            line["signe"] = signed
        else:
            line |= {"fichier": None, "non_disponible": reasons}
        out.append(line)
    return out


def _messages(b: _Build) -> dict[str, Any]:
    received = MessageRecipient.objects.filter(user=b.user).select_related("message")
    return {
        "notifications": [
            {"objet": n.subject, "envoyee_le": n.sent_at}
            for n in Notification.objects.filter(recipient=b.user).order_by("sent_at", "pk")
        ],
        "messages": [
            {
                "objet": r.message.subject,
                "ecrit_le": r.message.created_at,
                "envoye_le": r.sent_at,
                "adresse": r.email,
            }
            for r in received.order_by("message__created_at", "pk")
        ],
    }


def _journal(b: _Build) -> dict[str, Any]:
    # The journal names a student by their number: whole numbers only (« 2400017 » is not
    # « 24000170 »), so no line about someone else slips in.
    number = re.compile(rf"(?<![0-9A-Za-z-]){re.escape(b.student.number)}(?![0-9A-Za-z-])")
    candidates = AuditEntry.objects.filter(summary__contains=b.student.number).order_by("at")
    exports = PersonalDataExport.objects.filter(student=b.student).order_by("created_at")
    return {
        "entrees": [
            {"le": a.at, "action": a.action, "resume": a.summary}
            for a in candidates
            if number.search(a.summary)
        ],
        "exports_de_vos_donnees": [
            {
                "demande_le": x.created_at,
                "par_la_scolarite": x.on_behalf,
                "reference": x.request_reference,
                "etat": x.status,
                "telechargements": x.downloaded_count,
            }
            for x in exports
        ],
    } | _sign_ins(b.user)


def _sign_ins(user: User) -> dict[str, Any]:
    return {
        "connexions": [
            {
                "le": a.attempt_time,
                "deconnexion_le": a.logout_time,
                "adresse_ip": a.ip_address,
                "navigateur": a.user_agent,
            }
            for a in AccessLog.objects.filter(username__iexact=user.username).order_by(
                "attempt_time"
            )
        ],
        "echecs_de_connexion": [
            {
                "le": a.attempt_time,
                "adresse_ip": a.ip_address,
                "navigateur": a.user_agent,
                "verrouillage": a.locked_out,
            }
            for a in AccessFailureLog.objects.filter(username__iexact=user.username).order_by(
                "attempt_time"
            )
        ],
    }


# Labels translated where they are shown (the pages); the archive is written in French.
Section = tuple[str, Promise, Callable[[_Build], Any]]
# (key in donnees.json, what the progress says, collector): one step each.
SECTIONS: list[Section] = [
    ("identite", gettext_lazy("Identité et compte"), _identity),
    ("inscriptions", gettext_lazy("Inscriptions, historique et frais"), _enrolments),
    ("assiduite", gettext_lazy("Séances et assiduité"), _attendance),
    ("justificatifs", gettext_lazy("Justificatifs d'absence"), _justifications),
    ("notes", gettext_lazy("Notes publiées, résultats et jury"), _grades),
    ("documents", gettext_lazy("Documents délivrés"), _documents),
    ("messages", gettext_lazy("Messages et notifications"), _messages),
    ("journal", gettext_lazy("Journal et connexions"), _journal),
]


def section_label(step: int) -> str:
    """The section being prepared when ``step`` are done (« Séances et assiduité »)."""
    return str(SECTIONS[min(step, len(SECTIONS) - 1)][1])


def _json_default(value: object) -> str:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not exported")


# --- Build, download, expiry ------------------------------------------------------------------


def _claim(export_id: int) -> PersonalDataExport | None:
    with transaction.atomic():
        export = (
            PersonalDataExport.objects.select_for_update(of=("self",))
            .select_related("student__user", "requested_by")
            .get(pk=export_id)
        )
        if export.status not in PENDING:
            return None  # built, failed or expired already: running it again does nothing
        export.status = Status.RUNNING
        export.steps_done = 0
        export.steps_total = len(SECTIONS)
        export.save(update_fields=["status", "steps_done", "steps_total"])
    return export


def export_build(export_id: int, *, now: dt.datetime | None = None) -> PersonalDataExport:
    """Collect every section into a ZIP, progress written after each, then mark it ready.

    On any error the export is marked failed and no file is left, half-written or whole.
    """
    export = _claim(export_id)
    if export is None:
        return PersonalDataExport.objects.get(pk=export_id)
    storage = PersonalDataExport._meta.get_field("file").storage
    name = export.file.field.generate_filename(export, "export.zip")
    final = Path(storage.path(name))
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=".export-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            _write_zip(export, out)
        os.replace(tmp, final)
        finished = now or timezone.now()
        PersonalDataExport.objects.filter(pk=export.pk).update(
            status=Status.DONE,
            steps_done=len(SECTIONS),
            file=name,
            size=final.stat().st_size,
            finished_at=finished,
            expires_at=finished + dt.timedelta(hours=settings.PERSONAL_DATA_EXPORT_HOURS),
        )
    except Exception:
        logger.exception("personal data export %s failed", export.pk)
        Path(tmp).unlink(missing_ok=True)
        final.unlink(missing_ok=True)
        PersonalDataExport.objects.filter(pk=export.pk).update(
            status=Status.FAILED, file="", finished_at=now or timezone.now()
        )
    export.refresh_from_db()
    return export


def _write_zip(export: PersonalDataExport, out: Any) -> None:
    student = export.student
    enrolments = list(
        Enrolment.objects.filter(student=student)
        .select_related("programme_year__programme", "student")
        .order_by("-programme_year__year", "-pk")
    )
    generated = timezone.now()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        b = _Build(student=student, user=student.user, enrolments=enrolments, archive=archive)
        data: dict[str, Any] = {
            "format": "cnam-cs-donnees-personnelles/1",
            "genere_le": generated,
            "demande": {
                "demandee_le": export.created_at,
                "par_la_scolarite": export.on_behalf,
                "reference": export.request_reference,
            },
        }
        for step, (key, _label, collect) in enumerate(SECTIONS, start=1):
            data[key] = collect(b)
            PersonalDataExport.objects.filter(pk=export.pk).update(steps_done=step)
        text = json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)
        archive.writestr("donnees.json", text.encode("utf-8"))
        with override("fr"):  # the archive speaks French, whatever the page's language
            readme = render_to_string(
                "certification/personal_data/lisezmoi.txt",
                {
                    "student": student,
                    "generated": generated,
                    "export": export,
                    "sections": [str(label) for _key, label, _c in SECTIONS],
                    "files": b.files,
                    "hours": settings.PERSONAL_DATA_EXPORT_HOURS,
                },
            )
        archive.writestr("LISEZMOI.txt", readme.encode("utf-8"))


def is_expired(export: PersonalDataExport, *, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return export.status == Status.EXPIRED or (
        export.status == Status.DONE and export.expires_at is not None and export.expires_at <= now
    )


def export_download(
    *, export: PersonalDataExport, by: User, now: dt.datetime | None = None
) -> File[bytes]:
    """The ready ZIP, opened; each download is counted and logged. Past its time →
    ``ExportExpired``; not ready → ``PersonalDataError``."""
    if by.pk != export.student.user_id and not is_registrar(by):
        raise PersonalDataError("Cet export ne vous concerne pas.")
    if is_expired(export, now=now):
        raise ExportExpired
    if export.status != Status.DONE or not export.file.name:
        raise PersonalDataError("Cet export n'est pas encore prêt.")
    with transaction.atomic():
        PersonalDataExport.objects.filter(pk=export.pk).update(
            downloaded_count=F("downloaded_count") + 1
        )
        who = "l'élève" if by.pk == export.student.user_id else f"la scolarité ({_by_name(by)})"
        audit.record(
            by=by,
            action="rgpd.export.download",
            summary=f"Export des données personnelles de {_who(export.student)} "
            f"téléchargé par {who}",
        )
    return export.file.storage.open(export.file.name, "rb")


def exports_expire(*, now: dt.datetime | None = None) -> int:
    """Delete the files past their time and mark them expired; requests stuck without a
    worker for ``STALE_AFTER`` are marked failed. Returns the number of files deleted."""
    now = now or timezone.now()
    PersonalDataExport.objects.filter(status__in=PENDING, created_at__lt=now - STALE_AFTER).update(
        status=Status.FAILED, finished_at=now
    )
    expired = 0
    due = PersonalDataExport.objects.filter(status=Status.DONE, expires_at__lte=now)
    for export in due:
        name = export.file.name
        with transaction.atomic():
            updated = PersonalDataExport.objects.filter(pk=export.pk, status=Status.DONE).update(
                status=Status.EXPIRED, file=""
            )
        if updated and name:
            export.file.storage.delete(name)
            expired += 1
    if expired:
        logger.info("personal data exports: %s expired file(s) deleted", expired)
    return expired


def visible_exports(user: User) -> Q:
    """Who may see an export: its student, or the registrar (use in ``filter``)."""
    if is_registrar(user):
        return Q()
    return Q(student__user=user)
