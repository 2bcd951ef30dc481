"""Programmes, UE, people, enrolments and fees."""

from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from .rules import JuryDecision
from .validators import EMAIL_UNAVAILABLE, MULTI_LINE, ONE_LINE, normalise_email

YEAR_VALIDATOR = RegexValidator(
    r"^[0-9]{4}-[0-9]{4}$", _("L'année universitaire s'écrit « 2024-2025 ».")
)


class User(AbstractUser):
    """Every person who signs in. Made custom from the start: it cannot be swapped later."""

    # AbstractUser's names, with the free-text rule (Django's own labels and translations).
    first_name = models.CharField(
        _("first name"), max_length=150, blank=True, validators=[ONE_LINE]
    )
    last_name = models.CharField(_("last name"), max_length=150, blank=True, validators=[ONE_LINE])
    email = models.EmailField(_("adresse e-mail"), blank=True, validators=[ONE_LINE])
    # The language the person last chose on the portal (blank: never chose, the browser's
    # Accept-Language rules the pages and e-mails go in French).
    language = models.CharField(
        _("langue"),
        max_length=8,
        choices=[("fr", "Français"), ("en", "English")],
        blank=True,
        default="",
    )
    # The e-mails a person may turn off (RULES-free comfort); the legal ones — invitation,
    # password reset, exclusion from the exam, certificate issued — are always sent.
    notify_grades = models.BooleanField(_("notes publiées"), default=True)
    notify_sessions = models.BooleanField(_("séance déplacée ou annulée"), default=True)
    notify_absences = models.BooleanField(_("alerte d'absences"), default=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~Q(email=""),
                name="user_email_unique_ci",
                violation_error_message=EMAIL_UNAVAILABLE,
            )
        ]


class Programme(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True, validators=[ONE_LINE])
    title = models.CharField(_("intitulé"), max_length=200, validators=[ONE_LINE])
    level = models.CharField(_("niveau"), max_length=100, blank=True, validators=[ONE_LINE])
    managing_unit = models.CharField(
        _("unité de gestion"), max_length=100, blank=True, validators=[ONE_LINE]
    )

    class Meta:
        verbose_name = _("programme")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"


class ProgrammeYear(models.Model):
    """A programme in one academic year, with the settings the rules read (RULES.md §1)."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="years")
    year = models.CharField(_("année universitaire"), max_length=9, validators=[YEAR_VALIDATOR])
    pass_mark = models.DecimalField(
        _("note de validation"), max_digits=4, decimal_places=2, default=Decimal("10")
    )
    absence_threshold_pct = models.DecimalField(
        _("seuil d'absence (%)"), max_digits=5, decimal_places=2, default=Decimal("20")
    )
    justified_absences_count = models.BooleanField(
        _("les absences justifiées comptent"), default=True
    )
    # Set by the jury's first deliberation (certification.services): from then on the
    # cohort's academic data is frozen (RULES.md §7b, enforced by enrolment.freeze).
    frozen_at = models.DateTimeField(_("résultats figés le"), null=True, blank=True, editable=False)
    # Announced to students before the jury sits (their certification checklist shows it).
    jury_planned_on = models.DateField(_("date prévue du jury"), null=True, blank=True)
    # The standard fees of a new enrolment in this year (the registrar may change them).
    fees = models.DecimalField(
        _("frais d'inscription"),
        max_digits=9,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    # The year this one was opened from (« Ouvrir l'année suivante »), if any.
    opened_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="opened_years",
        verbose_name=_("ouverte à partir de"),
    )

    class Meta:
        verbose_name = _("promotion")
        ordering = ["programme__code", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "year"], name="programme_year_unique"),
            models.CheckConstraint(
                condition=Q(pass_mark__gte=0) & Q(pass_mark__lte=20), name="pass_mark_0_20"
            ),
            models.CheckConstraint(
                condition=Q(absence_threshold_pct__gte=0) & Q(absence_threshold_pct__lte=100),
                name="absence_threshold_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme.code} {self.year}"

    @property
    def end_year(self) -> int:
        return int(self.year[-4:])

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None


class UE(models.Model):
    """Unité d'enseignement of a programme year, with its ECTS credits."""

    programme_year = models.ForeignKey(ProgrammeYear, on_delete=models.PROTECT, related_name="ues")
    code = models.CharField(_("code"), max_length=20, validators=[ONE_LINE])
    title = models.CharField(_("intitulé"), max_length=250, validators=[ONE_LINE])
    credits = models.PositiveSmallIntegerField(_("crédits ECTS"))
    hours = models.PositiveSmallIntegerField(_("volume horaire"), null=True, blank=True)
    syllabus = models.TextField(_("contenu de la formation"), blank=True, validators=[MULTI_LINE])
    # One competence per line, as the booklet lists them (« Compétences visées »).
    competences = models.TextField(_("compétences visées"), blank=True, validators=[MULTI_LINE])

    class Meta:
        verbose_name = _("UE")
        verbose_name_plural = _("UE")
        ordering = ["programme_year", "code"]
        constraints = [
            models.UniqueConstraint(fields=["programme_year", "code"], name="ue_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"


class StudentProfile(models.Model):
    """Identity, contact and professional situation (« civilité » of the portail élève)."""

    class Employment(models.TextChoices):
        EMPLOYED = "employed", _("Salarié·e")
        JOBSEEKER = "jobseeker", _("Demandeur·se d'emploi")
        SELF_EMPLOYED = "self_employed", _("Indépendant·e")
        VOLUNTEER = "volunteer", _("Bénévole")
        OTHER = "other", _("Autre")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="student"
    )
    number = models.CharField(
        _("numéro d'élève"),
        max_length=20,
        unique=True,
        validators=[RegexValidator(r"^[0-9A-Za-z-]+$", _("Numéro d'élève invalide."))],
    )
    last_name = models.CharField(_("nom"), max_length=100, validators=[ONE_LINE])
    first_name = models.CharField(_("prénom"), max_length=100, validators=[ONE_LINE])
    birth_date = models.DateField(_("date de naissance"))
    email = models.EmailField(_("adresse e-mail personnelle"), validators=[ONE_LINE])
    phone = models.CharField(_("téléphone"), max_length=30, blank=True, validators=[ONE_LINE])
    address = models.TextField(_("adresse postale"), blank=True, validators=[MULTI_LINE])
    employment = models.CharField(
        _("situation professionnelle"), max_length=20, choices=Employment, blank=True
    )
    employer = models.CharField(_("employeur"), max_length=200, blank=True, validators=[ONE_LINE])
    job_title = models.CharField(_("fonction"), max_length=200, blank=True, validators=[ONE_LINE])
    tiers_temps = models.BooleanField(_("tiers-temps aux examens"), default=False)
    accommodations = models.TextField(
        _("aménagements (Mission Handi'Cnam)"), blank=True, validators=[MULTI_LINE]
    )

    class Meta:
        verbose_name = _("élève")
        ordering = ["last_name", "first_name", "number"]
        constraints = [
            # One address, one account (SECURITY.md #29): the password reset finds the account
            # by it. Other accounts' sign-in addresses are checked by selectors.email_in_use.
            models.UniqueConstraint(
                Lower("email"),
                condition=~Q(email=""),
                name="student_email_unique_ci",
                violation_error_message=EMAIL_UNAVAILABLE,
            )
        ]

    def __str__(self) -> str:
        return f"{self.last_name.upper()} {self.first_name} ({self.number})"

    def clean(self) -> None:
        # As AbstractUser.clean() does for the sign-in address.
        super().clean()
        self.email = normalise_email(self.email)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name.upper()}"


class PriorDiploma(models.Model):
    """The « parcours »: Cnam certificates and diplomas from elsewhere, recorded at enrolment."""

    student = models.ForeignKey(StudentProfile, on_delete=models.CASCADE, related_name="diplomas")
    title = models.CharField(_("intitulé"), max_length=250, validators=[ONE_LINE])
    institution = models.CharField(
        _("établissement"), max_length=200, blank=True, validators=[ONE_LINE]
    )
    year = models.PositiveSmallIntegerField(_("année d'obtention"), null=True, blank=True)
    at_cnam = models.BooleanField(_("obtenu au Cnam"), default=False)
    # Set when the portal itself issued it: the line follows the certificate (written at
    # issue, removed at revocation) and the registrar does not type it.
    certificate_number = models.CharField(
        _("numéro de certificat"), max_length=40, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("diplôme antérieur")
        verbose_name_plural = _("diplômes antérieurs")
        ordering = ["-year", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["certificate_number"],
                condition=~Q(certificate_number=""),
                name="diploma_certificate_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Enrolment(models.Model):
    """A student in a programme year, with its UE and the fees due."""

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        ENROLLED = "enrolled", _("Inscrit·e")
        WITHDRAWN = "withdrawn", _("Abandon")
        COMPLETED = "completed", _("Terminée")

    student = models.ForeignKey(StudentProfile, on_delete=models.PROTECT, related_name="enrolments")
    programme_year = models.ForeignKey(
        ProgrammeYear, on_delete=models.PROTECT, related_name="enrolments"
    )
    ues = models.ManyToManyField(UE, related_name="enrolments", verbose_name=_("UE"))
    status = models.CharField(_("statut"), max_length=12, choices=Status, default=Status.PENDING)
    fees_due = models.DecimalField(
        _("frais dus"),
        max_digits=9,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    # The decision of the latest deliberation (RULES.md §7b), written only by
    # certification.services.jury_deliberate with that deliberation's snapshot, so that every
    # app (the relevé in grading included) reads the same word without importing certification.
    jury_decision = models.CharField(
        _("décision du jury"),
        max_length=12,
        choices=[
            (JuryDecision.ADMIS.value, _("admis")),
            (JuryDecision.EN_ATTENTE.value, _("en attente")),
            (JuryDecision.AJOURNE.value, _("ajourné")),
            (JuryDecision.DEFAILLANT.value, _("défaillant")),
        ],
        blank=True,
        editable=False,
    )

    class Meta:
        verbose_name = _("inscription")
        ordering = ["programme_year", "student__number"]
        permissions = [
            ("registrar", _("Gérer la scolarité : inscriptions, frais, jury, certificats")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "programme_year"], name="enrolment_unique_per_year"
            ),
            models.CheckConstraint(condition=Q(fees_due__gte=0), name="fees_due_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.student} — {self.programme_year}"


class EnrolmentStatusChange(models.Model):
    """Dated history of an enrolment's status (who, when, why)."""

    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.PROTECT, related_name="status_changes"
    )
    from_status = models.CharField(max_length=12, choices=Enrolment.Status, blank=True)
    to_status = models.CharField(max_length=12, choices=Enrolment.Status)
    at = models.DateTimeField(_("date"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("motif"), max_length=300, blank=True, validators=[ONE_LINE])

    class Meta:
        verbose_name = _("changement de statut")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


class Payment(models.Model):
    """A dated payment; a refund is a negative payment with a reason, never an edit."""

    class Means(models.TextChoices):
        TRANSFER = "transfer", _("Virement")
        CARD = "card", _("Carte bancaire")
        CHEQUE = "cheque", _("Chèque")
        FUNDING = "funding", _("Prise en charge (employeur, OPCO, CPF)")
        OTHER = "other", _("Autre")

    class Source(models.TextChoices):
        REGISTRAR = "registrar", _("Saisi par la scolarité")
        COHORT_IMPORT = "cohort_import", _("Import de promotion")

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="payments")
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("montant"), max_digits=9, decimal_places=2)
    means = models.CharField(_("moyen"), max_length=10, choices=Means, default=Means.TRANSFER)
    reason = models.CharField(_("motif"), max_length=300, blank=True, validators=[ONE_LINE])
    recorded_at = models.DateTimeField(_("enregistré le"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A re-import replaces only the payments an import wrote: never one the registrar typed,
    # whatever its reason says.
    source = models.CharField(
        _("origine"), max_length=16, choices=Source, default=Source.REGISTRAR, editable=False
    )

    class Meta:
        verbose_name = _("paiement")
        ordering = ["date", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="payment_not_zero"),
            models.CheckConstraint(
                condition=Q(amount__gt=0) | ~Q(reason=""), name="refund_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.amount} €"


class StaffAssignment(models.Model):
    """A staff member teaches (and may grade and take attendance for) one UE."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    ue = models.ForeignKey(UE, on_delete=models.CASCADE, related_name="assignments")

    class Meta:
        verbose_name = _("affectation")
        constraints = [
            models.UniqueConstraint(fields=["user", "ue"], name="assignment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.ue.code}"


class StaffAssignmentChange(models.Model):
    """One line of the assignments' history: a teacher given or taken off a UE."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("affecté·e")
        REMOVED = "removed", _("retiré·e")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignment_changes"
    )
    ue = models.ForeignKey(UE, on_delete=models.CASCADE, related_name="assignment_changes")
    kind = models.CharField(max_length=10, choices=Kind)
    at = models.DateTimeField(_("date"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("historique d'affectation")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.kind} {self.user_id} → {self.ue_id}"


class AuditEntry(models.Model):
    """Who did what, when: one line per write of the registrar's and teachers' screens."""

    at = models.DateTimeField(_("date"), db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
    )
    # A stable dotted name (« catalogue.ue.create », « planning.session.move »…) to filter on.
    action = models.CharField(_("action"), max_length=60, db_index=True)
    # What was done, in plain French, with the object named (« UE RSV206 créée en 2025-2026 »).
    summary = models.CharField(_("résumé"), max_length=500)
    programme_year = models.ForeignKey(
        ProgrammeYear,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_entries",
        verbose_name=_("promotion"),
    )

    class Meta:
        verbose_name = _("entrée du journal")
        verbose_name_plural = _("journal")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


class RosterImport(models.Model):
    """An official enrolment list imported from the registrar's screen, and its invitations."""

    class State(models.TextChoices):
        SENDING = "sending", _("Invitations en cours d'envoi")
        DONE = "done", _("Terminé")
        FAILED = "failed", _("Échec")

    programme_year = models.ForeignKey(
        ProgrammeYear, on_delete=models.PROTECT, related_name="roster_imports"
    )
    created_at = models.DateTimeField(_("importée le"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    filename = models.CharField(_("fichier"), max_length=200)
    sha256 = models.CharField(max_length=64)
    created = models.PositiveIntegerField(_("inscriptions créées"), default=0)
    unchanged = models.PositiveIntegerField(_("inscriptions déjà présentes"), default=0)
    # The users still to invite (their ids), and how many invitations went out.
    to_invite = models.JSONField(default=list)
    invited = models.PositiveIntegerField(_("invitations envoyées"), default=0)
    state = models.CharField(max_length=10, choices=State, default=State.SENDING)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("import de liste officielle")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.created_at:%Y-%m-%d})"


class Message(models.Model):
    """An e-mail written in the portal to a cohort, a UE or a filtered list, kept as sent."""

    class State(models.TextChoices):
        QUEUED = "queued", _("En attente d'envoi")
        SENDING = "sending", _("En cours d'envoi")
        SENT = "sent", _("Envoyé")
        FAILED = "failed", _("Échec")

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="messages_written"
    )
    programme_year = models.ForeignKey(
        ProgrammeYear, on_delete=models.PROTECT, related_name="messages"
    )
    ue = models.ForeignKey(UE, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The audience as chosen (« Toute la promotion », « Défaillants »…), said as it was.
    audience = models.CharField(_("destinataires"), max_length=200)
    subject = models.CharField(_("objet"), max_length=200, validators=[ONE_LINE])
    body = models.TextField(_("message"), validators=[MULTI_LINE])
    created_at = models.DateTimeField(_("écrit le"))
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    state = models.CharField(max_length=10, choices=State, default=State.QUEUED)

    class Meta:
        verbose_name = _("message")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.subject


class MessageRecipient(models.Model):
    """One recipient of a message, with the address used and when it went out."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    email = models.EmailField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("destinataire")
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="message_recipient_unique"),
        ]

    def __str__(self) -> str:
        return self.email


class Notification(models.Model):
    """An e-mail sent once: the key makes a second send of the same event a no-op."""

    key = models.CharField(max_length=200, unique=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    subject = models.CharField(max_length=250)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("notification")
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return self.key
