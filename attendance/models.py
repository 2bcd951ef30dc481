"""Sessions (séances), their changes, attendance entries and justification requests."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from enrolment.models import UE, Enrolment
from lib.storage import private_storage


class Session(models.Model):
    """A teaching activity of a UE; its duration is derived from start and end."""

    class Kind(models.TextChoices):
        COURS = "cours", _("Cours")
        VISITE = "visite", _("Visite")
        SEMINAIRE = "seminaire", _("Séminaire")
        EXAMEN = "examen", _("Examen")

    class Site(models.TextChoices):
        SAINT_MARTIN = "saint-martin", _("Saint-Martin")
        CONTE = "conte", _("Conté")
        JEUNES = "jeunes", _("Jeunes")
        GAY_LUSSAC = "gay-lussac", _("Gay-Lussac")
        PLAINE_SAINT_DENIS = "plaine-saint-denis", _("La Plaine Saint-Denis")
        ENSAM = "ensam", _("Ensam")

    ue = models.ForeignKey(UE, on_delete=models.PROTECT, related_name="sessions")
    key = models.CharField(_("clé"), max_length=40)
    title = models.CharField(_("intitulé"), max_length=200, blank=True)
    kind = models.CharField(_("type"), max_length=10, choices=Kind)
    start = models.DateTimeField(_("début"))
    end = models.DateTimeField(_("fin"))
    site = models.CharField(_("site"), max_length=20, choices=Site)
    room = models.CharField(_("salle"), max_length=20)
    cancelled = models.BooleanField(_("annulée"), default=False)
    # A make-up exam (rattrapage) stays an ``examen`` session: every exam rule (left out of the
    # absence rate §5, convocations, the cohort file's kinds) applies to it unchanged.
    makeup = models.BooleanField(_("rattrapage"), default=False)
    # The teachers taking the session, among the UE's assigned teachers (checked by the
    # planning services, which write it).
    teachers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="planned_sessions",
        verbose_name=_("enseignant·es"),
    )
    # The roll stores only what is not plain presence: a session where everyone came would
    # leave no trace, so the first « Enregistrer l'appel » is recorded here (« appel fait »).
    roll_taken_at = models.DateTimeField(_("appel fait le"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("séance")
        ordering = ["start", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["ue", "key"], name="session_key_unique"),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="session_end_after_start"),
            models.CheckConstraint(
                condition=Q(makeup=False) | Q(kind="examen"),
                name="session_makeup_is_exam",
                violation_error_message=_("Seul un examen peut être un rattrapage."),
            ),
        ]
        indexes = [models.Index(fields=["ue", "start"])]

    def __str__(self) -> str:
        return f"{self.ue.code} {self.key} {self.start:%d/%m/%Y %H:%M}"

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


class SessionChange(models.Model):
    """A move or a cancellation, kept so the planning can show what changed and when."""

    class Kind(models.TextChoices):
        MOVED = "moved", _("Déplacée")
        CANCELLED = "cancelled", _("Annulée")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=10, choices=Kind)
    at = models.DateTimeField(_("date"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    old_start = models.DateTimeField()
    old_end = models.DateTimeField()
    old_site = models.CharField(max_length=20, choices=Session.Site)
    old_room = models.CharField(max_length=20)
    reason = models.CharField(_("motif"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("modification de séance")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.session} {self.kind}"


def justification_path(instance: "Attendance", filename: str) -> str:
    # The stored name never comes from the user: only the extension is kept.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"justifications/{instance.enrolment_id}/{instance.session_id}.{extension}"


class Attendance(models.Model):
    """What is not plain presence at a session: lateness or absence (justified or not)."""

    class Presence(models.TextChoices):
        PRESENT = "present", _("Présent·e")
        LATE = "late", _("En retard")
        ABSENT = "absent", _("Absent·e")

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="attendances")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="attendances")
    presence = models.CharField(max_length=10, choices=Presence, default=Presence.PRESENT)
    minutes_missed = models.PositiveIntegerField(_("minutes manquées"), default=0)
    justified = models.BooleanField(_("absence justifiée"), default=False)
    justification_reason = models.CharField(_("motif"), max_length=300, blank=True)
    justification_document = models.FileField(
        _("justificatif"),
        storage=private_storage,
        upload_to=justification_path,
        blank=True,
    )
    # Set when the retention purge deleted the justification file (attendance/retention.py):
    # the row, its reason and its decision stay. Once set, the file is gone (or being deleted:
    # its name is cleared right after) and must never be read.
    purged_at = models.DateTimeField(
        _("justificatif supprimé le (durée de conservation)"),
        null=True,
        blank=True,
        editable=False,
    )
    recorded_at = models.DateTimeField(_("enregistré le"), auto_now=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("présence")
        constraints = [
            models.UniqueConstraint(fields=["session", "enrolment"], name="attendance_unique"),
            models.CheckConstraint(
                condition=Q(justified=False) | Q(presence="absent"),
                name="only_absences_are_justified",
            ),
            models.CheckConstraint(
                condition=Q(presence="late") | Q(minutes_missed=0),
                name="minutes_missed_only_when_late",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session} {self.enrolment.student.number} {self.presence}"


def request_document_path(instance: "JustificationRequest", filename: str) -> str:
    # Each request keeps its own file (history): a random part, never the user's file name.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"justifications/demandes/{instance.attendance_id}/{secrets.token_hex(8)}.{extension}"


class JustificationRequest(models.Model):
    """A student's justification of one absence, waiting for the UE's teacher or the registrar.

    A request is decided once; a new request after a refusal is a new row (history kept).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        ACCEPTED = "accepted", _("Acceptée")
        REFUSED = "refused", _("Refusée")

    attendance = models.ForeignKey(
        Attendance, on_delete=models.PROTECT, related_name="justification_requests"
    )
    document = models.FileField(
        _("justificatif"), storage=private_storage, upload_to=request_document_path
    )
    # As ``Attendance.purged_at``: the file was deleted by the retention purge, the row stays
    # (its name is then empty, which only ``.update()`` writes: a purged request is never
    # decided, so never validated again).
    purged_at = models.DateTimeField(
        _("justificatif supprimé le (durée de conservation)"),
        null=True,
        blank=True,
        editable=False,
    )
    comment = models.CharField(_("commentaire"), max_length=300, blank=True)
    status = models.CharField(_("état"), max_length=10, choices=Status, default=Status.PENDING)
    created_at = models.DateTimeField(_("déposée le"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)
    refusal_reason = models.CharField(_("motif du refus"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("demande de justification")
        verbose_name_plural = _("demandes de justification")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["attendance"],
                condition=Q(status="pending"),
                name="one_pending_justification_request",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True)
                | (~Q(status="pending") & Q(decided_at__isnull=False)),
                name="justification_request_decided_at",
            ),
            models.CheckConstraint(
                condition=~Q(status="refused") | ~Q(refusal_reason=""),
                name="justification_refusal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attendance} {self.status} {self.created_at:%d/%m/%Y %H:%M}"


class CalendarFeed(models.Model):
    """A student's calendar subscription: only the SHA-256 of its random token is kept.

    ``password_stamp`` ties the link to the password it was made under: once the password
    changes (or is reset), the stamp no longer matches and the link is dead (SECURITY.md #33).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    password_stamp = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("créé le"))

    class Meta:
        verbose_name = _("abonnement au calendrier")
        verbose_name_plural = _("abonnements au calendrier")

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%d/%m/%Y %H:%M}"
