"""``manage.py load_demo [--reset]``: the fictitious CS2600A cohorts and demo accounts.

2024-2025 is left before its jury; 2023-2024 is carried through the whole jury lifecycle with
the real services (docs/demo.md). Idempotent: safe to run at every start. Prints the demo
logins every time.
"""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.test.utils import override_settings
from django.utils.translation import ngettext

from certification.interchange import CohortImportError, cohort_file_import, find_programme_year
from certification.models import Certificate, Jury
from certification.services import (
    CertificationError,
    certificate_issue,
    certificate_revoke,
    cohort_plan,
    jury_deliberate,
    jury_grade_unlock,
)
from enrolment.catalogue import programme_year_save, ue_save
from enrolment.models import (
    UE,
    Enrolment,
    PriorDiploma,
    ProgrammeYear,
    StaffAssignment,
    StudentProfile,
    User,
)
from enrolment.rules import JuryDecision
from grading.models import Assessment, Grade, GradeHistory
from grading.services import GradeChange, GradeWriteError, assessment_publish, grades_apply
from lib.formats import money

DEMO_FILE = Path(settings.BASE_DIR) / "demo" / "cs2600a-2024-2025.json"
# The booklet's texts of RSV206 and RSV207 (§5.2) and the years' standard fees.
CATALOGUE_FILE = Path(settings.BASE_DIR) / "demo" / "cs2600a-catalogue.json"
PASSWORD = "Demo-Cnam-2025!"
PROGRAMME, YEAR = "CS2600A", "2024-2025"
STUDENT_NUMBER = "0900017"  # Camille Rousseau: every UE validated, eligible (docs/demo.md)
DRAFT_ASSESSMENT = "RSV207-CT-R"  # left unpublished: what a draft looks like
# The booklet gives no jury date: the Friday after the last make-up (RSV207-CT-R, 28 June).
JURY_PLANNED_ON = dt.date(2025, 7, 4)

# The past cohort, carried through every state of the jury lifecycle (docs/demo.md).
PAST_FILE = Path(settings.BASE_DIR) / "demo" / "cs2600a-2023-2024.json"
PAST_YEAR = "2023-2024"
PARIS = ZoneInfo("Europe/Paris")
JURY_MEMBERS = (
    "Mme Hélène Rivière, responsable du certificat, présidente\n"
    "M. Olivier Masson, enseignant de RSV206\n"
    "Mme Sandrine Leclerc, enseignante de RSV207\n"
    "M. Didier Roche, directeur d'une coopérative d'activité et d'emploi"
)
FIRST_JURY = dt.datetime(2024, 7, 1, 14, 0, tzinfo=PARIS)
SECOND_SESSION = dt.datetime(2024, 9, 20, 14, 0, tzinfo=PARIS)
RECTIFICATIF = dt.datetime(2024, 10, 8, 10, 0, tzinfo=PARIS)
CERTIFICATES_ISSUED_ON = dt.date(2024, 9, 27)
# Make-up marks of September 2024, for the two justified absences at a CT.
MAKEUPS = {("2300203", "RSV206-CT-R"): "12", ("2300209", "RSV207-CT-R"): "8"}
# The correction: Clara Bonnet's RSV207 defence was reported 12 instead of 7, so RSV207
# falls from 11.50 to 9.00 and the rectificatif makes her ajournée.
CORRECTED = ("2300206", "RSV207-CT", "7")
CORRECTION_REASON = (
    "Erreur de report signalée par l'enseignante : 12 saisi au lieu de 7 (procès-verbal de "
    "soutenance)"
)
# Bastien Renard's birth date was typed day and month swapped at enrolment (1987-11-03 in
# the file); his certificate is revoked, the date corrected and a new certificate issued.
CIVIL_ERROR = ("2300202", dt.date(1987, 3, 11))
CIVIL_ERROR_REASON = (
    "Erreur d'état civil : date de naissance erronée (3 novembre 1987 au lieu du 11 mars "
    "1987) ; un nouveau certificat est délivré"
)
PAST_LOGINS = {
    "2300202": "certificat révoqué (état civil) et remplacé",
    "2300206": "note corrigée, ajournée par le rectificatif, certificat révoqué",
}

PROFILES: dict[str, dict[str, Any]] = {
    "0900017": {
        "employment": StudentProfile.Employment.EMPLOYED,
        "employer": "Association Les Jardins partagés du 11e",
        "job_title": "Coordinatrice de projets",
        "phone": "06 12 34 56 78",
        "address": "12 rue des Vinaigriers\n75010 Paris",
        "diplomas": [
            (
                "Licence professionnelle Intervention sociale",
                "Université Paris-Est Créteil",
                2012,
                False,
            ),
            ("Certificat de compétence Gestion associative", "Cnam", 2019, True),
        ],
    },
    "0600412": {
        "employment": StudentProfile.Employment.EMPLOYED,
        "employer": "Scop Ateliers du Faubourg",
        "job_title": "Chargée de développement",
        "tiers_temps": True,
        "accommodations": "Tiers-temps aux examens et salle au rez-de-chaussée (Mission "
        "Handi'Cnam).",
        "diplomas": [("Master Économie sociale et solidaire", "Université Lyon 2", 2001, False)],
    },
    "2400109": {
        "employment": StudentProfile.Employment.JOBSEEKER,
        "diplomas": [("BTS Économie sociale et familiale", "Lycée Rabelais, Paris", 2008, False)],
    },
    "2400114": {
        "employment": StudentProfile.Employment.SELF_EMPLOYED,
        "job_title": "Consultante en impact social",
        "diplomas": [("Titre RNCP Responsable de projets ESS", "Cnam", 2021, True)],
    },
}


class Command(BaseCommand):
    help = (
        "Charge les promotions fictives CS2600A 2024-2025 (avant son jury) et 2023-2024 "
        "(délibérée, certificats délivrés) et les comptes de démonstration."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="vide TOUTE la base (manage.py flush) avant de charger la démonstration",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["reset"]:
            call_command("flush", interactive=False, verbosity=0)
            self.stdout.write("Base vidée (--reset).")
        try:
            report = cohort_file_import(path=DEMO_FILE, by=None)
        except CohortImportError as exc:
            for line in exc.errors:
                self.stderr.write(line)
            raise CommandError("Le fichier de démonstration est refusé.", returncode=2) from exc
        for line in report.lines():
            self.stdout.write(line)
        accounts = self._accounts()
        ProgrammeYear.objects.filter(programme__code=PROGRAMME, year=YEAR).update(
            jury_planned_on=JURY_PLANNED_ON
        )
        published = self._publish()
        self.stdout.write(
            ngettext(
                "Notes publiées : %(count)s nouvelle ; les notes de %(draft)s restent "
                "en brouillon (invisibles des élèves).",
                "Notes publiées : %(count)s nouvelles ; les notes de %(draft)s restent "
                "en brouillon (invisibles des élèves).",
                published,
            )
            % {"count": published, "draft": DRAFT_ASSESSMENT}
        )
        self.stdout.write(
            "Les séances de la démonstration sont toutes passées (année 2024-2025) : le "
            "planning ne montre donc aucune séance à venir."
        )
        self.stdout.write(self._past_cohort())
        self.stdout.write(self._catalogue())
        accounts += self._past_accounts()
        self.stdout.write("")
        self.stdout.write("Comptes de démonstration (identifiant ou adresse e-mail) :")
        width = max(len(u) for u, _, _ in accounts)
        self.stdout.write(f"  {'identifiant'.ljust(width)}  {'mot de passe'.ljust(16)}  rôle")
        for username, email, role in accounts:
            self.stdout.write(f"  {username.ljust(width)}  {PASSWORD.ljust(16)}  {role} ({email})")
        self.stdout.write(
            f"Les autres élèves de {PAST_YEAR} (2300201 à 2300209) ont le même mot de passe ; "
            "ceux de 2024-2025 n'en ont pas (docs/demo.md)."
        )

    @transaction.atomic
    def _accounts(self) -> list[tuple[str, str, str]]:
        student = StudentProfile.objects.select_related("user").get(number=STUDENT_NUMBER)
        if student.user.username != "eleve":
            User.objects.filter(username="eleve").exclude(pk=student.user_id).update(
                username=f"eleve-ancien-{student.user_id}"
            )
            student.user.username = "eleve"
        student.user.set_password(PASSWORD)
        student.user.save()
        self._profiles()

        ues = {
            ue.code: ue
            for ue in UE.objects.filter(
                programme_year__programme__code=PROGRAMME, programme_year__year=YEAR
            )
        }
        accounts = [("eleve", student.user.email, f"élève — {student.full_name}")]
        for code in ("RSV206", "RSV207"):
            user = self._user(f"enseignant{code[-3:]}", "Enseignant·e", code)
            StaffAssignment.objects.get_or_create(user=user, ue=ues[code])
            accounts.append((user.username, user.email, f"enseignant·e de {code}"))
        registrar = self._user("scolarite", "Scolarité", "EPN12", is_staff=True)
        registrar.user_permissions.add(
            Permission.objects.get(codename="registrar", content_type__app_label="enrolment")
        )
        accounts.append((registrar.username, registrar.email, "scolarité"))
        admin = self._user("admin", "Administration", "portail", is_staff=True, superuser=True)
        accounts.append((admin.username, admin.email, "administration Django (/admin/)"))
        return accounts

    def _user(
        self,
        username: str,
        first_name: str,
        last_name: str,
        *,
        is_staff: bool = False,
        superuser: bool = False,
    ) -> User:
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={
                "email": f"{username}@demo.example.org",
                "first_name": first_name,
                "last_name": last_name,
            },
        )
        user.is_staff = is_staff or superuser
        user.is_superuser = superuser
        user.is_active = True
        user.set_password(PASSWORD)
        user.save()
        return user

    def _profiles(self) -> None:
        profiles = StudentProfile.objects.in_bulk(list(PROFILES), field_name="number")
        for number, extra in PROFILES.items():
            profile = profiles[number]
            values = {k: v for k, v in extra.items() if k != "diplomas"}
            for key, value in values.items():
                setattr(profile, key, value)
            profile.save(update_fields=list(values))
            for title, institution, year, at_cnam in extra["diplomas"]:
                PriorDiploma.objects.get_or_create(
                    student=profile,
                    title=title,
                    defaults={"institution": institution, "year": year, "at_cnam": at_cnam},
                )

    def _publish(self) -> int:
        count = 0
        for assessment in Assessment.objects.filter(
            ue__programme_year__programme__code=PROGRAMME, ue__programme_year__year=YEAR
        ).exclude(key=DRAFT_ASSESSMENT):
            count += assessment_publish(assessment=assessment, by=None)
        return count

    # ---- The past cohort, 2023-2024 ------------------------------------------------------

    def _past_cohort(self) -> str:
        """Build 2023-2024 once (skipped when it already has its juries); one summary line."""
        py = ProgrammeYear.objects.filter(programme__code=PROGRAMME, year=PAST_YEAR).first()
        if py is None or not py.juries.exists():
            try:
                # Its e-mails (certificates issued) belong to 2024: recorded as notifications,
                # not sent (nor printed by the console backend among the logins).
                with (
                    override_settings(
                        MAILERS={
                            "default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}
                        }
                    ),
                    transaction.atomic(),
                ):
                    py = self._past_build()
            except CohortImportError as exc:
                for line in exc.errors:
                    self.stderr.write(line)
                raise CommandError(
                    f"Le fichier de démonstration {PAST_YEAR} est refusé.", returncode=2
                ) from exc
            except (CertificationError, GradeWriteError) as exc:
                raise CommandError(f"Promotion {PAST_YEAR} : {exc}") from exc
        certificates = Certificate.objects.filter(programme_year=py)
        return (
            f"Promotion {PROGRAMME} {PAST_YEAR} (passée) : {py.enrolments.count()} élèves, "
            f"{py.juries.count()} délibérations (jury, seconde session, rectificatif), "
            f"{certificates.count()} certificats dont "
            f"{certificates.filter(revoked_at__isnull=False).count()} révoqués (docs/demo.md)."
        )

    def _past_build(self) -> ProgrammeYear:
        cohort_file_import(path=PAST_FILE, by=None)
        py = find_programme_year(PROGRAMME, PAST_YEAR)
        registrar = User.objects.get(username="scolarite")
        teachers = {
            code: User.objects.get(username=f"enseignant{code[-3:]}")
            for code in ("RSV206", "RSV207")
        }
        assessments = {
            a.key: a for a in Assessment.objects.filter(ue__programme_year=py).select_related("ue")
        }
        enrolments = {
            e.student.number: e
            for e in Enrolment.objects.filter(programme_year=py).select_related("student")
        }
        for assessment in assessments.values():
            assessment_publish(assessment=assessment, by=teachers[assessment.ue.code])
        jury_deliberate(
            programme_year=py, deliberated_at=FIRST_JURY, members=JURY_MEMBERS, by=registrar
        )

        # Second session: the make-ups are entered and published, then the jury sits again.
        for (number, key), value in MAKEUPS.items():
            teacher = teachers[assessments[key].ue.code]
            self._grade(assessments[key], enrolments[number], value, by=teacher)
            assessment_publish(assessment=assessments[key], by=teacher)
        jury_deliberate(
            programme_year=py,
            deliberated_at=SECOND_SESSION,
            members=JURY_MEMBERS,
            by=registrar,
            kind=Jury.Kind.SECOND_SESSION,
            reason="Seconde session : notes des rattrapages de septembre 2024.",
        )
        eligible = cohort_plan(py).eligible  # admis, fees paid; by student number
        admis = Enrolment.objects.in_bulk(eligible)
        for enrolment in (admis[pk] for pk in eligible):
            certificate_issue(enrolment=enrolment, by=registrar, issued_on=CERTIFICATES_ISSUED_ON)

        # A correction after the jury: unlocked with a reason, changed, then the rectificatif.
        number, key, value = CORRECTED
        grade = Grade.objects.get(assessment=assessments[key], enrolment=enrolments[number])
        jury_grade_unlock(grade=grade, by=registrar, reason=CORRECTION_REASON)
        self._grade(
            assessments[key],
            enrolments[number],
            value,
            by=teachers[assessments[key].ue.code],
            reason=CORRECTION_REASON,
        )
        jury_deliberate(
            programme_year=py,
            deliberated_at=RECTIFICATIF,
            members=JURY_MEMBERS,
            by=registrar,
            kind=Jury.Kind.RECTIFICATIF,
            reason="Rectificatif : erreur de report d'une note de soutenance RSV207.",
        )
        # RULES.md §7b: a holder no longer « admis » is flagged; the registrar revokes.
        flagged = (
            Certificate.objects.filter(programme_year=py, revoked_at__isnull=True)
            .exclude(enrolment__jury_decision=JuryDecision.ADMIS)
            .select_related("enrolment")
        )
        for certificate in flagged:
            decision = JuryDecision(certificate.enrolment.jury_decision).label
            certificate_revoke(
                certificate=certificate,
                by=registrar,
                reason=f"Décision modifiée par le rectificatif du 8 octobre 2024 : {decision}.",
            )

        # An error in the holder's civil status: revoke, correct the record, issue anew.
        number, birth_date = CIVIL_ERROR
        enrolment = enrolments[number]
        certificate_revoke(
            certificate=Certificate.objects.get(enrolment=enrolment, revoked_at__isnull=True),
            by=registrar,
            reason=CIVIL_ERROR_REASON,
        )
        student = enrolment.student  # the record the new certificate reads
        student.birth_date = birth_date
        student.save(update_fields=["birth_date"])
        certificate_issue(enrolment=enrolment, by=registrar)
        return py

    def _grade(
        self,
        assessment: Assessment,
        enrolment: Enrolment,
        value: str,
        *,
        by: User,
        reason: str = "",
    ) -> None:
        """One mark entered after the first jury (a make-up, a correction), as a draft."""
        grades_apply(
            changes=[
                GradeChange(
                    assessment_id=assessment.pk,
                    enrolment_id=enrolment.pk,
                    status=Grade.Status.GRADED,
                    value=Decimal(value),
                )
            ],
            by=by,
            source=GradeHistory.Source.COMMAND,
            reason=reason,
        )

    # ---- The catalogue: the booklet's texts and the fees -----------------------------------

    @transaction.atomic
    def _catalogue(self) -> str:
        """Both years' UE get the booklet's syllabus and competences, both years the fees of
        their enrolments; through the catalogue's services, which write only what differs."""
        data = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
        fees = Decimal(data["fees"])
        years = ProgrammeYear.objects.select_related("programme").filter(
            programme__code=PROGRAMME, year__in=[YEAR, PAST_YEAR]
        )
        for py in years:
            py.fees = fees
            programme_year_save(programme_year=py, by=None)
        for ue in UE.objects.filter(programme_year__in=years).select_related(
            "programme_year__programme"
        ):
            text = data["ues"].get(ue.code)
            if text is None:
                continue
            ue.syllabus = text["syllabus"]
            ue.competences = "\n".join(text["competences"])
            ue.hours = text["hours"]
            ue_save(ue=ue, by=None)
        return (
            f"Catalogue : contenus et compétences de {', '.join(sorted(data['ues']))} (livret "
            f"d'accueil), frais d'inscription {money(fees)} pour {YEAR} et {PAST_YEAR}."
        )

    @transaction.atomic
    def _past_accounts(self) -> list[tuple[str, str, str]]:
        """The 2023-2024 students sign in with the demo password; their teachers see them."""
        users = User.objects.filter(
            student__enrolments__programme_year__programme__code=PROGRAMME,
            student__enrolments__programme_year__year=PAST_YEAR,
        )
        # One hash for them all: a public demo password, and one hashing instead of nine.
        users.update(password=make_password(PASSWORD), is_active=True)
        for ue in UE.objects.filter(
            programme_year__programme__code=PROGRAMME, programme_year__year=PAST_YEAR
        ):
            teacher = User.objects.get(username=f"enseignant{ue.code[-3:]}")
            StaffAssignment.objects.get_or_create(user=teacher, ue=ue)
        students = StudentProfile.objects.in_bulk(list(PAST_LOGINS), field_name="number")
        return [
            (
                number,
                students[number].email,
                f"élève {PAST_YEAR} — {students[number].full_name} : {story}",
            )
            for number, story in PAST_LOGINS.items()
        ]
