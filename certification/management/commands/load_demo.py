"""``manage.py load_demo [--reset]``: the fictitious CS2600A 2024-2025 cohort and demo accounts.

Idempotent: safe to run at every start. Prints the demo logins every time.
"""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from certification.interchange import CohortImportError, cohort_import
from enrolment.models import UE, PriorDiploma, StaffAssignment, StudentProfile, User
from grading.models import Assessment
from grading.services import assessment_publish

DEMO_FILE = Path(settings.BASE_DIR) / "demo" / "cs2600a-2024-2025.json"
PASSWORD = "Demo-Cnam-2025!"
PROGRAMME, YEAR = "CS2600A", "2024-2025"
STUDENT_NUMBER = "0900017"  # Camille Rousseau: every UE validated, eligible (docs/demo.md)
DRAFT_ASSESSMENT = "RSV207-CT-R"  # left unpublished: what a draft looks like

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
    help = "Charge la promotion fictive CS2600A 2024-2025 et les comptes de démonstration."

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
            report = cohort_import(data=DEMO_FILE.read_bytes(), by=None)
        except CohortImportError as exc:
            for line in exc.errors:
                self.stderr.write(line)
            raise CommandError("Le fichier de démonstration est refusé.", returncode=2) from exc
        for line in report.lines():
            self.stdout.write(line)
        accounts = self._accounts()
        published = self._publish()
        self.stdout.write(
            f"Notes publiées : {published} nouvelle(s) ; les notes de {DRAFT_ASSESSMENT} restent "
            "en brouillon (invisibles des élèves)."
        )
        self.stdout.write(
            "Les séances de la démonstration sont toutes passées (année 2024-2025) : le "
            "planning ne montre donc aucune séance à venir."
        )
        self.stdout.write("")
        self.stdout.write("Comptes de démonstration (identifiant ou adresse e-mail) :")
        width = max(len(u) for u, _, _ in accounts)
        self.stdout.write(f"  {'identifiant'.ljust(width)}  {'mot de passe'.ljust(16)}  rôle")
        for username, email, role in accounts:
            self.stdout.write(f"  {username.ljust(width)}  {PASSWORD.ljust(16)}  {role} ({email})")

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
