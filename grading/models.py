"""Assessments, grades and their append-only history."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from enrolment.models import UE, Enrolment


class Assessment(models.Model):
    """A contrôle continu item or a contrôle terminal; a make-up replaces one original."""

    class Kind(models.TextChoices):
        CC = "cc", _("Contrôle continu")
        CT = "ct", _("Contrôle terminal")

    ue = models.ForeignKey(UE, on_delete=models.PROTECT, related_name="assessments")
    key = models.CharField(_("clé"), max_length=40)
    title = models.CharField(_("intitulé"), max_length=200, blank=True)
    kind = models.CharField(_("type"), max_length=2, choices=Kind)
    weight = models.DecimalField(_("coefficient"), max_digits=5, decimal_places=2)
    date = models.DateField(_("date"))
    makeup_of = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="makeup",
        verbose_name=_("rattrapage de"),
    )

    class Meta:
        verbose_name = _("évaluation")
        ordering = ["ue", "date", "key"]
        constraints = [
            models.UniqueConstraint(fields=["ue", "key"], name="assessment_key_unique"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="assessment_weight_positive"),
            models.CheckConstraint(
                condition=~Q(makeup_of=models.F("id")), name="assessment_not_own_makeup"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ue.code} {self.key}"


class Grade(models.Model):
    """One student's entry for one assessment. ``version`` detects concurrent edits."""

    class Status(models.TextChoices):
        GRADED = "graded", _("Noté")
        ABSENT = "absent", _("Absent")
        ABSENT_JUSTIFIED = "absent_justified", _("Absence justifiée")
        PLAGIARISM = "plagiarism", _("Plagiat")

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="grades")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="grades")
    status = models.CharField(_("statut"), max_length=20, choices=Status)
    value = models.DecimalField(_("note"), max_digits=4, decimal_places=2, null=True, blank=True)
    published = models.BooleanField(_("publiée"), default=False)
    locked = models.BooleanField(_("verrouillée"), default=False)
    # Unlocked by an admin after the jury (RULES.md §7b): a change stays a draft, which only
    # the next deliberation (rectificatif) publishes and locks again.
    under_correction = models.BooleanField(_("en correction"), default=False)
    plagiarism_report = models.TextField(_("rapport de plagiat"), blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("note")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "enrolment"], name="grade_unique"),
            models.CheckConstraint(
                condition=(
                    Q(status="graded", value__isnull=False, value__gte=0, value__lte=20)
                    | (~Q(status="graded") & Q(value__isnull=True))
                ),
                name="grade_value_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["graded", "absent", "absent_justified", "plagiarism"]),
                name="grade_status_known",
            ),
        ]
        indexes = [
            # The few marks unlocked for a correction, which the jury page counts for a cohort
            # on every view: without it PostgreSQL reads every grade (60 ms at 64,000 students).
            models.Index(
                fields=["enrolment"],
                condition=Q(under_correction=True),
                name="grade_under_correction",
            ),
            # The jury page lists the cohort's drafts on every view (services.draft_grades):
            # once a cohort's marks are published, a probe of this small index instead of a
            # read of every grade of the cohort.
            models.Index(
                fields=["enrolment"],
                condition=Q(published=False, under_correction=False),
                name="grade_draft",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment} {self.enrolment.student.number}"


class GradeHistory(models.Model):
    """Append-only: one row per change of value, status, publication or lock."""

    class Source(models.TextChoices):
        GRID = "grid", _("Saisie en grille")
        IMPORT = "import", _("Import de fichier")
        COHORT_IMPORT = "cohort_import", _("Import de promotion")
        ADMIN = "admin", _("Administration")
        COMMAND = "command", _("Commande")
        PUBLICATION = "publication", _("Publication")
        JURY = "jury", _("Jury")

    class Action(models.TextChoices):
        CREATE = "create", _("Création")
        CHANGE = "change", _("Modification")
        PUBLISH = "publish", _("Publication")
        UNPUBLISH = "unpublish", _("Dépublication")
        LOCK = "lock", _("Verrouillage")
        UNLOCK = "unlock", _("Déverrouillage")

    grade = models.ForeignKey(Grade, on_delete=models.PROTECT, related_name="history")
    at = models.DateTimeField(_("date"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source = models.CharField(_("origine"), max_length=20, choices=Source)
    action = models.CharField(_("action"), max_length=10, choices=Action)
    old_status = models.CharField(max_length=20, blank=True)
    old_value = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    new_status = models.CharField(max_length=20, blank=True)
    new_value = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    reason = models.CharField(_("motif"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("historique de note")
        verbose_name_plural = _("historique des notes")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.grade} {self.action} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: object, **kwargs: object) -> None:
        # History is evidence: a row, once written, is never rewritten.
        if self.pk is not None:
            raise PermissionError("L'historique des notes ne peut pas être modifié.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("L'historique des notes ne peut pas être supprimé.")
