"""Writes of the certification app: deliberation, certificate issuance and revocation.

Issuing is idempotent and safe under concurrency: the programme year's ``CertificateCounter``
row is locked (``select_for_update`` on PostgreSQL; SQLite's IMMEDIATE transactions already
serialise writers), the enrolment's certificate is looked up again under that lock, and the
number and snapshot are written in the same short transaction. The PDF is rendered after,
outside the lock, so that several workers render at once (``certificate_finish``).
"""

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from enrolment import audit
from enrolment.models import Enrolment, ProgrammeYear, User
from enrolment.rules import JuryDecision
from enrolment.services import parcours_certificate_add, parcours_certificate_remove
from grading.models import Grade
from grading.services import grade_unlock, grades_lock, grades_publish_corrections
from lib.pdf import render_pdf
from lib.signing import SignatureBox, sign_pdf

from . import documents, notifications, qr
from .models import Certificate, CertificateCounter, Jury, certificate_path
from .reasons import reason_texts
from .rules import certificate_due, certificate_issuable, jury_decision
from .selectors import (
    cohort_enrolments,
    cohort_result_rows,
    cohort_results,
    enrolment_result,
    latest_jury,
)

logger = logging.getLogger(__name__)

JURY_LOCK_REASON = "Délibération du jury"

_MM = 72 / 25.4  # PDF points per millimetre
# The certificate's visible signature: the bordered box « .sign-field » of
# templates/certification/pdf/certificate.html, in PDF points from the page's bottom-left
# corner (x 124 → 192 mm, y 22 → 40 mm on A4), on the last page. Change both together.
CERTIFICATE_SIGNATURE_BOX = SignatureBox(page=-1, box=(124 * _MM, 22 * _MM, 192 * _MM, 40 * _MM))


class CertificationError(Exception):
    """Refused, with every reason in French."""

    def __init__(self, reasons: Sequence[str]) -> None:
        super().__init__(" ; ".join(reasons))
        self.reasons = list(reasons)


def draft_grades(programme_year: ProgrammeYear) -> QuerySet[Grade]:
    """Marks of the cohort students cannot see yet, corrections under way excepted."""
    return (
        Grade.objects.filter(
            enrolment__in=cohort_enrolments(programme_year),
            published=False,
            under_correction=False,
        )
        .select_related("assessment__ue", "enrolment__student")
        .order_by("assessment__ue__code", "assessment__date", "assessment__key", "pk")
    )


def _members(members: str) -> list[str]:
    return [line.strip() for line in members.splitlines() if line.strip()]


def _deliberation_errors(
    *,
    previous: Jury | None,
    members: str,
    kind: str | None,
    reason: str,
    deliberated_at: dt.datetime,
    drafts: int,
) -> list[str]:
    """Every reason to refuse a deliberation (``members`` and ``reason`` stripped)."""
    errors: list[str] = []
    if not _members(members):
        errors.append("Indiquez les membres du jury.")
    if previous is not None:
        if kind not in {Jury.Kind.SECOND_SESSION, Jury.Kind.RECTIFICATIF}:
            errors.append(
                "Le jury a déjà délibéré : choisissez « seconde session » ou « rectificatif »."
            )
        if not reason:
            errors.append("Une nouvelle délibération demande un motif.")
        if deliberated_at < previous.deliberated_at:
            errors.append("La date précède celle de la délibération précédente.")
    if drafts:
        errors.append(
            f"{drafts} note{'s' if drafts > 1 else ''} de la promotion "
            f"{'sont' if drafts > 1 else 'est'} encore en brouillon : publiez-les ou "
            "complétez-les avant de délibérer."
        )
    return errors


def _decisions_snapshot(
    *,
    programme_year: ProgrammeYear,
    sequence: int,
    kind: str,
    reason: str,
    deliberated_at: dt.datetime,
    members: str,
) -> tuple[dict[str, Any], dict[int, JuryDecision]]:
    """The PV's snapshot of the cohort's published results, and each enrolment's decision."""
    results = cohort_results(programme_year, published_only=True)
    snapshot = documents.jury_snapshot(programme_year=programme_year, results=results)
    decisions = {er.enrolment.pk: jury_decision(er.result) for er in results}
    for student in snapshot["students"]:
        student["decision"] = decisions[student["enrolment_id"]].value
    snapshot.update(
        sequence=sequence,
        kind=kind,
        reason=reason,
        deliberated_at=deliberated_at.isoformat(),
        members=_members(members),
    )
    return snapshot, decisions


def _publish_corrections(enrolments: list[Enrolment], *, by: User | None, reason: str) -> None:
    """A rectificatif publishes the corrections made since the last deliberation."""
    corrections = list(
        Grade.objects.filter(enrolment__in=enrolments, under_correction=True).select_related(
            "assessment"
        )
    )
    grades_publish_corrections(grades=corrections, by=by, reason=reason or JURY_LOCK_REASON)


def _record_jury(
    *,
    programme_year: ProgrammeYear,
    sequence: int,
    kind: str,
    reason: str,
    deliberated_at: dt.datetime,
    members: str,
    by: User | None,
) -> tuple[Jury, dict[int, JuryDecision]]:
    """The deliberation with its PV, and each enrolment's decision (not written yet)."""
    snapshot, decisions = _decisions_snapshot(
        programme_year=programme_year,
        sequence=sequence,
        kind=kind,
        reason=reason,
        deliberated_at=deliberated_at,
        members=members,
    )
    jury = Jury.objects.create(
        programme_year=programme_year,
        sequence=sequence,
        kind=kind,
        reason=reason[:500],
        deliberated_at=deliberated_at,
        members=members,
        deliberated_by=by,
        snapshot=snapshot,
    )
    return jury, decisions


def _record_decisions(decisions: dict[int, JuryDecision]) -> None:
    """Each enrolment's decision: one update per decision."""
    for decision in JuryDecision:
        ids = [pk for pk, d in decisions.items() if d == decision]
        Enrolment.objects.filter(pk__in=ids).update(jury_decision=decision.value)


def _freeze(
    locked_year: ProgrammeYear, enrolments: list[Enrolment], *, by: User | None, reason: str
) -> None:
    """The first deliberation freezes the cohort; every one locks its marks."""
    if locked_year.frozen_at is None:
        ProgrammeYear.objects.filter(pk=locked_year.pk).update(frozen_at=timezone.now())
    grades_lock(enrolments=enrolments, by=by, reason=reason or JURY_LOCK_REASON)


def _deliberation_summary(
    programme_year: ProgrammeYear, sequence: int, decisions: dict[int, JuryDecision], reason: str
) -> str:
    """What the journal says of a deliberation: how many students got each decision."""
    counts = ", ".join(
        f"{sum(1 for d in decisions.values() if d == decision)} {decision.label}"
        for decision in JuryDecision
    )
    return f"Délibération n° {sequence} de {programme_year} : {counts}" + (
        f" — {reason}" if reason else ""
    )


@transaction.atomic
def jury_deliberate(
    *,
    programme_year: ProgrammeYear,
    deliberated_at: dt.datetime,
    members: str,
    by: User | None,
    kind: str | None = None,
    reason: str = "",
) -> Jury:
    """Record a deliberation: each student's decision, the snapshot (PV), and the freeze.

    The first deliberation freezes the cohort (RULES.md §7b); a later one (second session or
    rectificatif) needs a reason and supersedes it, publishing the corrections under way.
    Refused, with every reason, while a mark of the cohort is still a draft.
    """
    members = members.strip()
    reason = reason.strip()
    # Lock the programme year row so that two deliberations cannot interleave.
    locked_year = ProgrammeYear.objects.select_for_update().get(pk=programme_year.pk)
    previous = latest_jury(programme_year.pk)
    errors = _deliberation_errors(
        previous=previous,
        members=members,
        kind=kind,
        reason=reason,
        deliberated_at=deliberated_at,
        drafts=draft_grades(programme_year).count(),
    )
    if errors:
        raise CertificationError(errors)
    if previous is None:
        kind = Jury.Kind.FIRST
    assert kind is not None  # a later deliberation without its kind is refused above

    enrolments = list(cohort_enrolments(programme_year))
    _publish_corrections(enrolments, by=by, reason=reason)
    sequence = 1 if previous is None else previous.sequence + 1
    jury, decisions = _record_jury(
        programme_year=programme_year,
        sequence=sequence,
        kind=kind,
        reason=reason,
        deliberated_at=deliberated_at,
        members=members,
        by=by,
    )
    _record_decisions(decisions)
    _freeze(locked_year, enrolments, by=by, reason=reason)
    audit.record(
        by=by,
        action="jury.deliberation.record",
        summary=_deliberation_summary(programme_year, sequence, decisions, reason),
        programme_year=programme_year,
    )
    logger.info(
        "jury %s deliberated (PV %s) by %s", programme_year, sequence, getattr(by, "pk", None)
    )
    return jury


def jury_grade_unlock(*, grade: Grade, by: User, reason: str) -> None:
    """After the jury, an admin unlocks one mark to correct it, with a reason (RULES.md §7b).

    The correction stays a draft until the next deliberation (rectificatif) publishes it.
    """
    if not reason.strip():
        raise CertificationError(["Un motif est obligatoire pour déverrouiller une note."])
    if not grade.locked:
        raise CertificationError(["Cette note n'est pas verrouillée."])
    with transaction.atomic():
        grade_unlock(grade=grade, by=by, reason=reason, for_correction=True)
        enrolment = grade.enrolment
        audit.record(
            by=by,
            action="jury.grade.unlock",
            summary=f"Note de {enrolment.student.number} en {grade.assessment.ue.code} "
            f"{grade.assessment.key} déverrouillée pour correction : {reason.strip()}",
            programme_year=enrolment.programme_year,
        )


def _certificate_number(programme_year: ProgrammeYear, sequence: int) -> str:
    return f"{programme_year.programme.code}-{programme_year.end_year}-{sequence:05d}"


_NOT_IN_JURY = ["Cet·te élève ne figure pas dans la délibération du jury."]


def jury_student(jury: Jury, enrolment_id: int) -> dict[str, Any]:
    """One student's frozen results in a deliberation's snapshot."""
    for student in jury.snapshot.get("students", []):
        if student["enrolment_id"] == enrolment_id:
            return dict(student)
    raise CertificationError(_NOT_IN_JURY)


@dataclass(frozen=True)
class _JuryIndex:
    jury: Jury
    students: dict[int, dict[str, Any]]  # the snapshot's students by enrolment id


# The deliberations read within ``juries_read_once()``, by primary key (None outside).
_JURY_INDEXES: ContextVar[dict[int, _JuryIndex] | None] = ContextVar("jury_indexes", default=None)


@contextmanager
def juries_read_once() -> Iterator[None]:
    """Within it (a bulk chunk, a few seconds), each deliberation's snapshot is decoded once
    instead of once per certificate: the snapshot holds the whole cohort, so decoding it for
    each student made a bulk run grow with the square of the cohort. Which deliberation is
    the latest is still asked for each certificate, so one recorded meanwhile is used at once.
    """
    token = _JURY_INDEXES.set({})
    try:
        yield
    finally:
        _JURY_INDEXES.reset(token)


def _latest_jury_student(programme_year_id: int, enrolment_id: int) -> tuple[Jury, dict[str, Any]]:
    """The deliberation in force and the student's frozen results in it."""
    indexes = _JURY_INDEXES.get()
    if indexes is None:
        jury = latest_jury(programme_year_id)
        if jury is None:
            raise CertificationError(_NOT_IN_JURY)
        return jury, jury_student(jury, enrolment_id)
    pk = (
        Jury.objects.filter(programme_year_id=programme_year_id)
        .order_by("-sequence")
        .values_list("pk", flat=True)
        .first()
    )
    if pk is None:
        raise CertificationError(_NOT_IN_JURY)
    index = indexes.get(pk)
    if index is None:
        jury = Jury.objects.get(pk=pk)
        students = {s["enrolment_id"]: s for s in jury.snapshot.get("students", [])}
        index = indexes[pk] = _JuryIndex(jury, students)
    student = index.students.get(enrolment_id)
    if student is None:
        raise CertificationError(_NOT_IN_JURY)
    return index.jury, dict(student)


def _existing(enrolment: Enrolment) -> Certificate | None:
    """The enrolment's valid certificate (a revoked one does not count)."""
    return Certificate.objects.filter(enrolment_id=enrolment.pk, revoked_at__isnull=True).first()


def certificate_issuability(enrolment: Enrolment) -> tuple[bool, list[str]]:
    """Whether a certificate may be issued now, with every French reason when not."""
    decision = enrolment.jury_decision or None
    er = enrolment_result(enrolment, published_only=True)
    issuable, reasons = certificate_issuable(
        result=er.result, decision=JuryDecision(decision) if decision else None
    )
    return issuable, reason_texts(reasons)


def certificate_issue(
    *, enrolment: Enrolment, by: User | None, issued_on: dt.date | None = None
) -> Certificate:
    """Issue the enrolment's certificate, or return the valid one already issued.

    RULES.md §7: only after the jury, for a student whose latest decision is « admis », fees
    paid at the time of issue. After a revocation, a new certificate takes a new number and
    records the one it replaces. Raises ``CertificationError`` with every blocking reason.

    Two steps, so that workers render in parallel: the number is taken and the row written
    under the counter's lock (a few milliseconds), then the PDF is rendered outside any lock
    or transaction and stored (``certificate_finish``). If rendering fails, the numbered
    certificate stays without its PDF and the next call (or run of a bulk chunk) finishes it:
    numbers stay gapless, and no file is left without its row.
    """
    existing = _existing(enrolment)
    if existing is not None:
        return certificate_finish(existing)
    enrolment.refresh_from_db(fields=["jury_decision", "fees_due"])
    issuable, reasons = certificate_issuability(enrolment)
    if not issuable:
        raise CertificationError(reasons)
    try:
        certificate = _certificate_numbered(enrolment=enrolment, by=by, issued_on=issued_on)
    except IntegrityError:
        # Another writer issued it between our check and our insert (one valid per enrolment).
        existing = _existing(enrolment)
        if existing is None:
            raise
        certificate = existing
    return certificate_finish(certificate)


def _certificate_numbered(
    *, enrolment: Enrolment, by: User | None, issued_on: dt.date | None
) -> Certificate:
    """Take the next number and write the certificate's row and snapshot (no PDF yet)."""
    py = enrolment.programme_year
    jury, decided = _latest_jury_student(py.pk, enrolment.pk)
    CertificateCounter.objects.get_or_create(programme_year=py)
    with transaction.atomic():
        counter = CertificateCounter.objects.select_for_update().get(programme_year=py)
        existing = _existing(enrolment)  # issued while we waited for the lock
        if existing is not None:
            return existing
        counter.last_number += 1
        counter.save(update_fields=["last_number"])
        number = _certificate_number(py, counter.last_number)
        code = secrets.token_urlsafe(24)
        day = issued_on or timezone.localdate()
        certificate = Certificate.objects.create(
            enrolment=enrolment,
            programme_year=py,
            sequence=counter.last_number,
            number=number,
            issued_on=day,
            issued_by=by,
            verification_code=code,
            replaces=Certificate.objects.filter(
                enrolment_id=enrolment.pk, revoked_at__isnull=False, replaced_by__isnull=True
            )
            .order_by("-sequence")
            .first(),
            snapshot=documents.certificate_snapshot(
                enrolment=enrolment,
                number=number,
                issued_on=day,
                verification_url=qr.verification_url(code),
                jury=jury,
                decided=decided,
            ),
        )
        parcours_certificate_add(
            enrolment=enrolment,
            number=number,
            title=f"{py.programme.title} ({py.programme.code})",
            obtained_in=day.year,
        )
        audit.record(
            by=by,
            action="certificates.certificate.issue",
            summary=f"Certificat {number} délivré à {enrolment.student.last_name.upper()} "
            f"{enrolment.student.first_name} ({enrolment.student.number})",
            programme_year=py,
        )
    logger.info("certificate %s numbered for enrolment %s", number, enrolment.pk)
    return certificate


def certificate_finish(certificate: Certificate) -> Certificate:
    """Render, sign, store and fingerprint a numbered certificate's PDF; e-mail its holder.

    The stored file and its SHA-256 are those of the signed bytes (PAdES, visible signature
    in the box the template leaves for it): signed once, when frozen; every download serves
    these bytes. Nothing to do when the PDF is there. Safe when two workers finish the same
    certificate: the first to record its file wins, the other deletes its own. A file whose
    row was not written (the transaction failed, or a worker died in between) is deleted by
    the winner.
    """
    if certificate.sha256:
        return certificate
    pdf = sign_pdf(
        render_pdf(
            "certification/pdf/certificate.html",
            documents.certificate_context(
                certificate, qr_png=qr.qr_png_data_uri(certificate.snapshot["verification_url"])
            ),
            title=f"Certificat {certificate.number}",
        ),
        reason=f"Certificat de spécialisation n° {certificate.number}",
        box=CERTIFICATE_SIGNATURE_BOX,
    )
    digest = hashlib.sha256(pdf).hexdigest()
    storage = Certificate._meta.get_field("pdf").storage
    wanted = certificate_path(certificate, "")
    name = storage.save(wanted, ContentFile(pdf))
    try:
        with transaction.atomic():
            won = Certificate.objects.filter(pk=certificate.pk, sha256="").update(
                pdf=name, sha256=digest
            )
            if won:
                notifications.certificate_issued(certificate)
    except BaseException:
        storage.delete(name)
        raise
    if not won:
        storage.delete(name)
    else:
        _delete_leftovers(storage, wanted, keep=name)
        logger.info("certificate %s rendered", certificate.number)
    certificate.refresh_from_db(fields=["pdf", "sha256"])
    return certificate


def _delete_leftovers(storage: Storage, wanted: str, *, keep: str) -> None:
    """Files of earlier attempts at the same certificate (``N.pdf``, ``N_xxxxxxx.pdf``)."""
    folder, _, filename = wanted.rpartition("/")
    stem = filename.removesuffix(".pdf")
    try:
        _, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for other in files:
        path = f"{folder}/{other}"
        if path != keep and (other == filename or other.startswith(f"{stem}_")):
            storage.delete(path)


@transaction.atomic
def certificate_revoke(*, certificate: Certificate, by: User, reason: str) -> Certificate:
    reason = reason.strip()
    if not reason:
        raise CertificationError(["Un motif est obligatoire pour révoquer un certificat."])
    locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if locked.revoked_at is not None:
        raise CertificationError(["Ce certificat est déjà révoqué."])
    locked.revoked_at = timezone.now()
    locked.revoked_reason = reason[:300]
    locked.revoked_by = by
    locked.save(update_fields=["revoked_at", "revoked_reason", "revoked_by"])
    parcours_certificate_remove(number=locked.number)
    audit.record(
        by=by,
        action="certificates.certificate.revoke",
        summary=f"Certificat {locked.number} révoqué : {locked.revoked_reason}",
        programme_year=locked.programme_year,
    )
    logger.info("certificate %s revoked by %s", locked.number, by.pk)
    return locked


@dataclass(frozen=True)
class CohortPlan:
    """Enrolment ids, in student-number order."""

    eligible: list[int]
    not_eligible: int
    # The eligible without a valid certificate yet: what a run issues now (and e-mails).
    to_issue: list[int] = field(default_factory=list)


def cohort_plan(programme_year: ProgrammeYear) -> CohortPlan:
    """Who a bulk issuance targets: « admis » at the latest deliberation with fees paid.

    Issued ones are included (a re-run skips them); a student whose certificate was revoked
    is left out: issuing a replacement is a decision taken one student at a time. Read in
    bulk (``cohort_result_rows``: tuples, no model instance per student).
    """
    if latest_jury(programme_year.pk) is None:
        return CohortPlan(eligible=[], not_eligible=0)
    rows = cohort_result_rows(programme_year, published_only=True)
    certificates = Certificate.objects.filter(programme_year=programme_year)
    revoked = set(
        certificates.filter(revoked_at__isnull=False).values_list("enrolment_id", flat=True)
    )
    issued = set(
        certificates.filter(revoked_at__isnull=True).values_list("enrolment_id", flat=True)
    )
    eligible = [
        row.enrolment_id
        for row in rows
        if certificate_due(
            decision=JuryDecision(row.jury_decision) if row.jury_decision else None,
            fees_paid=row.result.fees_paid,
        )
        and row.enrolment_id not in revoked
    ]
    return CohortPlan(
        eligible=eligible,
        not_eligible=len(rows) - len(eligible),
        to_issue=[pk for pk in eligible if pk not in issued],
    )


__all__ = [
    "CertificationError",
    "certificate_finish",
    "certificate_issue",
    "certificate_revoke",
    "cohort_enrolments",
    "jury_deliberate",
    "jury_grade_unlock",
]
