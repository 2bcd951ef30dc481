"""Sessions (séances), their changes, and attendance entries."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from cnam_cs.storage import private_storage
from enrolment.models import UE, Enrolment


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

    class Meta:
        verbose_name = _("séance")
        ordering = ["start", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["ue", "key"], name="session_key_unique"),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="session_end_after_start"),
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
