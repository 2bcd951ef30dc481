"""Writes of the certification app: deliberation, certificate issuance and revocation.

Issuing is idempotent and safe under concurrency: the programme year's ``CertificateCounter``
row is locked (``select_for_update`` on PostgreSQL; SQLite's IMMEDIATE transactions already
serialise writers), the enrolment's certificate is looked up again under that lock, and the
number, snapshot, PDF and SHA-256 are written in the same transaction. A failure rolls the
counter back with everything else: numbers stay gapless.
"""

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from cnam_cs.pdf import render_pdf
from enrolment.models import Enrolment, ProgrammeYear, User
from grading.models import Grade
from grading.services import grade_unlock, grades_lock

from . import documents, notifications, qr
from .models import BulkIssueJob, Certificate, CertificateCounter, Jury
from .rules import certificate_issuable
from .selectors import cohort_enrolments, cohort_results, enrolment_result

logger = logging.getLogger(__name__)

JURY_LOCK_REASON = "Délibération du jury"


class CertificationError(Exception):
    """Refused, with every reason in French."""

    def __init__(self, reasons: Sequence[str]) -> None:
        super().__init__(" ; ".join(reasons))
        self.reasons = list(reasons)


@transaction.atomic
def jury_deliberate(
    *, programme_year: ProgrammeYear, deliberated_at: dt.datetime, members: str, by: User | None
) -> Jury:
    """Record the jury, freeze the cohort's results and lock every grade of the cohort."""
    members = members.strip()
    if not members:
        raise CertificationError(["Indiquez les membres du jury."])
    # Lock the programme year row so that two deliberations cannot interleave.
    ProgrammeYear.objects.select_for_update().get(pk=programme_year.pk)
    if Jury.objects.filter(programme_year=programme_year).exists():
        raise CertificationError(["Le jury de cette promotion a déjà délibéré."])
    results = cohort_results(programme_year, published_only=False)
    snapshot = documents.jury_snapshot(programme_year=programme_year, results=results)
    snapshot["deliberated_at"] = deliberated_at.isoformat()
    snapshot["members"] = [line.strip() for line in members.splitlines() if line.strip()]
    jury = Jury.objects.create(
        programme_year=programme_year,
        deliberated_at=deliberated_at,
        members=members,
        deliberated_by=by,
        snapshot=snapshot,
    )
    grades_lock(enrolments=[er.enrolment for er in results], by=by, reason=JURY_LOCK_REASON)
    logger.info("jury %s deliberated by %s", programme_year, getattr(by, "pk", None))
    return jury


def jury_grade_unlock(*, grade: Grade, by: User, reason: str) -> None:
    """After the jury, an admin unlocks one grade with a reason (in the grade's history)."""
    if not reason.strip():
        raise CertificationError(["Un motif est obligatoire pour déverrouiller une note."])
    if not grade.locked:
        raise CertificationError(["Cette note n'est pas verrouillée."])
    grade_unlock(grade=grade, by=by, reason=reason)


def _certificate_number(programme_year: ProgrammeYear, sequence: int) -> str:
    return f"{programme_year.programme.code}-{programme_year.end_year}-{sequence:05d}"


def _certificate_snapshot(
    *, enrolment: Enrolment, number: str, issued_on: dt.date, code: str, er: object
) -> dict[str, object]:
    py = enrolment.programme_year
    student = enrolment.student
    result_data = documents.result_snapshot(er)  # type: ignore[arg-type]
    return {
        "number": number,
        "issued_on": issued_on.isoformat(),
        "verification_url": qr.verification_url(code),
        "holder": {
            "number": student.number,
            "first_name": student.first_name,
            "last_name": student.last_name,
            "birth_date": student.birth_date.isoformat(),
        },
        "programme": {
            "code": py.programme.code,
            "title": py.programme.title,
            "level": py.programme.level,
            "managing_unit": py.programme.managing_unit,
        },
        "year": py.year,
        "ues": result_data["ues"],
        "credits": result_data["credits"],
    }


def _existing(enrolment: Enrolment) -> Certificate | None:
    return Certificate.objects.filter(enrolment_id=enrolment.pk).first()


def certificate_issue(
    *, enrolment: Enrolment, by: User | None, issued_on: dt.date | None = None
) -> Certificate:
    """Issue the enrolment's certificate, or return the one already issued.

    Raises ``CertificationError`` with every blocking reason when not eligible.
    """
    existing = _existing(enrolment)
    if existing is not None:
        return existing
    er = enrolment_result(enrolment, published_only=False)
    issuable, reasons = certificate_issuable(result=er.result)
    if not issuable:
        raise CertificationError([r.message for r in reasons])
    py = enrolment.programme_year
    CertificateCounter.objects.get_or_create(programme_year=py)
    try:
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
                snapshot=_certificate_snapshot(
                    enrolment=enrolment, number=number, issued_on=day, code=code, er=er
                ),
            )
            pdf = render_pdf(
                "certification/pdf/certificate.html",
                documents.certificate_context(
                    certificate, qr_svg=qr.qr_svg(certificate.snapshot["verification_url"])
                ),
                title=f"Certificat {number}",
            )
            certificate.sha256 = hashlib.sha256(pdf).hexdigest()
            certificate.pdf.save(f"{number}.pdf", ContentFile(pdf), save=False)
            certificate.save(update_fields=["pdf", "sha256"])
            notifications.certificate_issued(certificate)
    except IntegrityError:
        # Another writer issued it between our check and our insert (unique enrolment).
        existing = _existing(enrolment)
        if existing is None:
            raise
        return existing
    logger.info("certificate %s issued for enrolment %s", number, enrolment.pk)
    return certificate


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
    logger.info("certificate %s revoked by %s", locked.number, by.pk)
    return locked


@dataclass(frozen=True)
class CohortPlan:
    eligible: list[Enrolment]
    not_eligible: int


def cohort_plan(programme_year: ProgrammeYear) -> CohortPlan:
    """Who a bulk issuance targets: the cohort's eligible students (issued ones included)."""
    results = cohort_results(programme_year, published_only=False)
    eligible = [er.enrolment for er in results if er.result.eligible]
    return CohortPlan(eligible=eligible, not_eligible=len(results) - len(eligible))


def bulk_issue_start(*, programme_year: ProgrammeYear, by: User | None) -> BulkIssueJob:
    """Create the job and queue it for a worker (``manage.py db_worker``)."""
    from .tasks import issue_cohort

    plan = cohort_plan(programme_year)
    job = BulkIssueJob.objects.create(
        programme_year=programme_year, created_by=by, total=len(plan.eligible)
    )
    bulk_issue_enqueue(job=job, task=issue_cohort)
    return job


def bulk_issue_enqueue(*, job: BulkIssueJob, task: object = None) -> BulkIssueJob:
    """(Re)queue a job: a re-run skips students already issued, so it is always safe."""
    if task is None:
        from .tasks import issue_cohort as task
    result = task.enqueue(job.pk)  # type: ignore[attr-defined]
    BulkIssueJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    job.refresh_from_db()
    return job


def bulk_issue_run(*, job_id: int) -> BulkIssueJob:
    """Issue the job's certificates one by one, each in its own transaction.

    Restartable: progress is recomputed from the certificates that exist, so a worker killed
    midway and restarted (or the same job run twice) issues nothing twice.
    """
    job = BulkIssueJob.objects.select_related("programme_year__programme").get(pk=job_id)
    plan = cohort_plan(job.programme_year)
    issued = set(
        Certificate.objects.filter(enrolment__in=plan.eligible).values_list(
            "enrolment_id", flat=True
        )
    )
    BulkIssueJob.objects.filter(pk=job.pk).update(
        status=BulkIssueJob.Status.RUNNING,
        total=len(plan.eligible),
        done=len(issued),
        failures=[],
        finished_at=None,
    )
    failures: list[dict[str, object]] = []
    done = len(issued)
    for enrolment in plan.eligible:
        if enrolment.pk in issued:
            continue
        try:
            certificate_issue(enrolment=enrolment, by=job.created_by)
        except CertificationError as exc:
            failures.append(_failure(enrolment, exc.reasons))
        except Exception as exc:
            logger.exception("bulk issue: enrolment %s failed", enrolment.pk)
            failures.append(_failure(enrolment, [f"Erreur inattendue : {type(exc).__name__}"]))
        else:
            done += 1
        BulkIssueJob.objects.filter(pk=job.pk).update(done=done, failures=failures)
    BulkIssueJob.objects.filter(pk=job.pk).update(
        status=BulkIssueJob.Status.FAILED if failures else BulkIssueJob.Status.DONE,
        finished_at=timezone.now(),
    )
    job.refresh_from_db()
    return job


def _failure(enrolment: Enrolment, reasons: list[str]) -> dict[str, object]:
    student = enrolment.student
    return {
        "enrolment_id": enrolment.pk,
        "number": student.number,
        "name": f"{student.last_name.upper()} {student.first_name}",
        "reasons": reasons,
    }


__all__ = [
    "CertificationError",
    "bulk_issue_enqueue",
    "bulk_issue_run",
    "bulk_issue_start",
    "certificate_issue",
    "certificate_revoke",
    "cohort_enrolments",
    "jury_deliberate",
    "jury_grade_unlock",
]
