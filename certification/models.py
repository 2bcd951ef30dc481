"""Jury, certificates and their verification, bulk issuance jobs, personal data exports."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from enrolment.models import Enrolment, ProgrammeYear, StudentProfile
from enrolment.validators import ONE_LINE
from lib.storage import private_storage


class Jury(models.Model):
    """One deliberation of a programme year, with its snapshot (the PV's content), never rewritten.

    The first deliberation freezes the cohort; a later one (second session after make-ups, or
    a rectificatif after a correction) supersedes it and needs a reason (RULES.md §7b). The
    latest deliberation of a programme year is the one with the highest ``sequence``.
    """

    class Kind(models.TextChoices):
        FIRST = "first", _("Première délibération")
        SECOND_SESSION = "second_session", _("Seconde session")
        RECTIFICATIF = "rectificatif", _("Rectificatif")

    programme_year = models.ForeignKey(
        ProgrammeYear, on_delete=models.PROTECT, related_name="juries"
    )
    sequence = models.PositiveIntegerField(_("n° de PV"), default=1)
    kind = models.CharField(_("nature"), max_length=20, choices=Kind, default=Kind.FIRST)
    reason = models.CharField(_("motif"), max_length=500, blank=True)
    deliberated_at = models.DateTimeField(_("délibéré le"))
    members = models.TextField(_("membres du jury"))
    deliberated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    snapshot = models.JSONField(_("résultats figés"), default=dict)

    class Meta:
        verbose_name = _("délibération")
        ordering = ["programme_year", "sequence"]
        get_latest_by = "sequence"
        constraints = [
            models.UniqueConstraint(
                fields=["programme_year", "sequence"], name="jury_sequence_unique"
            ),
            models.CheckConstraint(
                condition=Q(sequence=1, kind="first")
                | (Q(sequence__gt=1) & ~Q(kind="first") & ~Q(reason="")),
                name="jury_later_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"PV n° {self.sequence} {self.programme_year}"

    def save(self, *args: object, **kwargs: object) -> None:
        # A deliberation is evidence: once recorded it is never rewritten.
        if self.pk is not None:
            raise PermissionError("Une délibération enregistrée ne peut pas être modifiée.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class CertificateCounter(models.Model):
    """Last number issued per programme year: numbers are unique, never reused, gapless."""

    programme_year = models.OneToOneField(
        ProgrammeYear, on_delete=models.PROTECT, related_name="certificate_counter"
    )
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.programme_year}: {self.last_number}"


def certificate_path(instance: "Certificate", filename: str) -> str:
    return f"certificates/{instance.programme_year_id}/{instance.number}.pdf"


class Certificate(models.Model):
    """An issued certificate, frozen: snapshot, PDF bytes and their SHA-256 never change."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="certificates")
    programme_year = models.ForeignKey(
        ProgrammeYear, on_delete=models.PROTECT, related_name="certificates"
    )
    sequence = models.PositiveIntegerField()
    number = models.CharField(_("numéro"), max_length=40, unique=True)
    issued_on = models.DateField(_("délivré le"))
    issued_at = models.DateTimeField(auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    verification_code = models.CharField(max_length=64, unique=True)
    snapshot = models.JSONField(default=dict)
    pdf = models.FileField(storage=private_storage, upload_to=certificate_path, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    revoked_reason = models.CharField(_("motif de révocation"), max_length=300, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # After a revocation, the certificate issued in its place (RULES.md §7).
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("remplace"),
    )

    class Meta:
        verbose_name = _("certificat")
        ordering = ["programme_year", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme_year", "sequence"], name="certificate_sequence_unique"
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | ~Q(revoked_reason=""),
                name="revocation_has_reason",
            ),
            # At most one valid certificate per enrolment; revoked ones stay, for the record.
            models.UniqueConstraint(
                fields=["enrolment"],
                condition=Q(revoked_at__isnull=True),
                name="certificate_one_valid_per_enrolment",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class BulkIssueJob(models.Model):
    """Issuing a whole cohort in the background; progress survives a reload or a restart.

    The students to issue are split into chunks (``BulkIssueChunk``), each one task, so that
    every worker takes part; ``done`` and ``failures`` are summed from the chunks as each ends.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("En attente")
        RUNNING = "running", _("En cours")
        DONE = "done", _("Terminé")
        FAILED = "failed", _("Échec")

    programme_year = models.ForeignKey(
        ProgrammeYear, on_delete=models.PROTECT, related_name="bulk_jobs"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failures = models.JSONField(default=list)
    task_id = models.CharField(max_length=64, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("délivrance groupée")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.programme_year} {self.status} {self.done}/{self.total}"


class BulkIssueChunk(models.Model):
    """A slice of a bulk job run by one worker at a time, with a lease.

    A worker running the chunk renews ``heartbeat_at``; a chunk still « running » whose
    heartbeat is older than ``settings.TASK_LEASE_SECONDS`` belonged to a worker that died:
    it is queued again (``certification.tasks.requeue_stale_chunks``). Running a chunk twice
    issues nothing twice: an enrolment's certificate is issued once.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("En attente")
        RUNNING = "running", _("En cours")
        DONE = "done", _("Terminé")

    job = models.ForeignKey(BulkIssueJob, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    enrolment_ids = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    # Certificates of the chunk that exist after its last run (issued now or before).
    done = models.PositiveIntegerField(default=0)
    failures = models.JSONField(default=list)
    task_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("lot de délivrance groupée")
        ordering = ["job", "index"]
        constraints = [
            models.UniqueConstraint(fields=["job", "index"], name="bulk_chunk_index_unique")
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="bulk_chunk_lease")]

    def __str__(self) -> str:
        return f"{self.job_id}#{self.index} {self.status}"


def personal_data_export_path(instance: "PersonalDataExport", filename: str) -> str:
    # A random part: the name of a student's export is never guessable, even by number.
    return f"personal_data/{instance.student_id}/{secrets.token_hex(16)}.zip"


class PersonalDataExport(models.Model):
    """Everything the portal holds about a student, as one ZIP built in the background (RGPD).

    Asked by the student, or by the registrar for a written access request
    (``on_behalf``, with the request's reference). The file is kept
    ``settings.PERSONAL_DATA_EXPORT_HOURS`` after it is built, then deleted
    (``certification.personal_data.exports_expire``); the row stays, as the record of the request.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("En attente")
        RUNNING = "running", _("En préparation")
        DONE = "done", _("Prêt")
        FAILED = "failed", _("Échec")
        EXPIRED = "expired", _("Expiré")

    student = models.ForeignKey(
        StudentProfile, on_delete=models.PROTECT, related_name="personal_data_exports"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    on_behalf = models.BooleanField(_("demande écrite traitée par la scolarité"), default=False)
    request_reference = models.CharField(
        _("référence de la demande"), max_length=200, blank=True, validators=[ONE_LINE]
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    steps_done = models.PositiveSmallIntegerField(default=0)
    steps_total = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(
        storage=private_storage, upload_to=personal_data_export_path, blank=True, max_length=200
    )
    size = models.PositiveBigIntegerField(_("taille (octets)"), default=0)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("demandé le"))
    finished_at = models.DateTimeField(_("prêt le"), null=True, blank=True)
    expires_at = models.DateTimeField(_("disponible jusqu'au"), null=True, blank=True)
    downloaded_count = models.PositiveIntegerField(_("téléchargements"), default=0)

    class Meta:
        verbose_name = _("export de données personnelles")
        verbose_name_plural = _("exports de données personnelles")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["student"],
                condition=Q(status__in=["queued", "running"]),
                name="personal_data_export_one_pending",
            ),
            models.CheckConstraint(
                condition=Q(on_behalf=False) | ~Q(request_reference=""),
                name="personal_data_export_reference",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} {self.status} {self.created_at:%Y-%m-%d %H:%M}"
