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

from attendance.models import Session
from attendance.services import session_edit
from certification.audiences import Audience
from certification.interchange import CohortImportError, cohort_file_import, find_programme_year
from certification.messaging import message_create, message_send
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
    Message,
    PriorDiploma,
    ProgrammeYear,
    StaffAssignment,
    StudentProfile,
    User,
)
from enrolment.rules import JuryDecision
from enrolment.services import notification_preferences_set
from enrolment.staffing import assignment_add, assignment_remove, teacher_invite
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
# The year's set-up (issue 13): what the registrar's new pages show on the demo.
NEXT_YEAR = "2025-2026"  # left unopened: the walkthrough opens it (docs/demo.md)
ROSTER_SAMPLE = "demo/liste-officielle-2025-2026.xlsx"
# Invited, never activated; first given RSV206 by mistake, then RSV207 (the history shows it).
INVITED = {"email": "claire.morel@lecnam.net", "first_name": "Claire", "last_name": "Morel"}
# Inès Roux, in the absence-alert band (18 %), turned the alert e-mails off.
NO_ABSENCE_ALERTS = "2400110"
# Two messages, sent when load_demo runs: (author, UE or None for the whole promotion, subject,
# body). Their e-mails go nowhere (dummy backend); the recipients are marked sent.
MESSAGES = (
    (
        "scolarite",
        None,
        "Calendrier des examens de juin",
        "Bonjour,\n\n"
        "Voici le calendrier des examens de juin :\n"
        "- samedi 7 juin 2025, 9 h – 11 h : RSV207, soutenance de projet (Conté, salle "
        "35.2.14) ;\n"
        "- samedi 21 juin 2025, 9 h – 12 h : rattrapage de RSV206, examen écrit (Conté, salle "
        "31.1.12) ;\n"
        "- samedi 28 juin 2025, 9 h – 11 h : rattrapage de RSV207, soutenance de projet "
        "(Saint-Martin, salle 21.2.32).\n\n"
        "Les rattrapages sont réservés aux élèves absent·es avec justificatif à l'épreuve "
        "d'origine ; chacun·e trouve ses convocations dans « Documents » sur le portail. Le "
        "jury se réunira le vendredi 4 juillet 2025.\n\n"
        "Bien cordialement,\n"
        "La scolarité de l'EPN12",
    ),
    (
        "enseignant206",
        "RSV206",
        "Séminaire du 7 avril : à préparer",
        "Bonjour à toutes et à tous,\n\n"
        "Pour le séminaire « Mesurer l'impact social » du lundi 7 avril (9 h – 14 h, "
        "Saint-Martin, salle 21.2.32), apportez le rapport d'activité ou d'impact d'une "
        "structure de l'ESS que vous connaissez : nous les analyserons en petits groupes.\n\n"
        "À lundi,\n"
        "L'enseignant·e de RSV206",
    ),
)
DUMMY_MAIL = {"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}

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
        for line in self._year_setup():
            self.stdout.write(line)
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
        registrar = self._user("scolarite", "Scolarité", "EPN12", is_staff=True)
        registrar.user_permissions.add(
            Permission.objects.get(codename="registrar", content_type__app_label="enrolment")
        )
        accounts = [("eleve", student.user.email, f"élève — {student.full_name}")]
        for code in ("RSV206", "RSV207"):
            user = self._user(f"enseignant{code[-3:]}", "Enseignant·e", code)
            self._assign(user, ues[code], by=registrar)
            accounts.append((user.username, user.email, f"enseignant·e de {code}"))
        accounts.append((registrar.username, registrar.email, "scolarité"))
        admin = self._user("admin", "Administration", "portail", is_staff=True, superuser=True)
        accounts.append((admin.username, admin.email, "administration Django (/admin/)"))
        return accounts

    @staticmethod
    def _assign(user: User, ue: UE, *, by: User) -> None:
        """Give ``ue`` to ``user`` through the staff service (history and journal), once."""
        if not StaffAssignment.objects.filter(user=user, ue=ue).exists():
            assignment_add(user=user, ue=ue, by=by)

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
        for ue in UE.objects.filter(programme_year=py):
            self._assign(teachers[ue.code], ue, by=registrar)
        # Before the jury: its sessions are frozen afterwards (RULES.md §7b).
        self._session_staff(py, by=registrar)
        for assessment in assessments.values():
            assessment_publish(assessment=assessment, by=teachers[assessment.ue.code])
        jury_deliberate(
            programme_year=py, deliberated_at=FIRST_JURY, members=JURY_MEMBERS, by=registrar
        )
        self._past_second_session(py, registrar, teachers, assessments, enrolments)
        self._past_rectificatif(py, registrar, teachers, assessments, enrolments)
        self._past_civil_error(registrar, enrolments)
        return py

    def _past_second_session(
        self,
        py: ProgrammeYear,
        registrar: User,
        teachers: dict[str, User],
        assessments: dict[str, Assessment],
        enrolments: dict[str, Enrolment],
    ) -> None:
        """The make-ups entered and published, the jury sits again, certificates issued."""
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

    def _past_rectificatif(
        self,
        py: ProgrammeYear,
        registrar: User,
        teachers: dict[str, User],
        assessments: dict[str, Assessment],
        enrolments: dict[str, Enrolment],
    ) -> None:
        """A correction after the jury: unlocked with a reason, changed, then the rectificatif."""
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

    def _past_civil_error(self, registrar: User, enrolments: dict[str, Enrolment]) -> None:
        """An error in the holder's civil status: revoke, correct the record, issue anew."""
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
        registrar = User.objects.get(username="scolarite")
        for ue in UE.objects.filter(
            programme_year__programme__code=PROGRAMME, programme_year__year=PAST_YEAR
        ):
            teacher = User.objects.get(username=f"enseignant{ue.code[-3:]}")
            self._assign(teacher, ue, by=registrar)
        students = StudentProfile.objects.in_bulk(list(PAST_LOGINS), field_name="number")
        return [
            (
                number,
                students[number].email,
                f"élève {PAST_YEAR} — {students[number].full_name} : {story}",
            )
            for number, story in PAST_LOGINS.items()
        ]

    # ---- The year's set-up: planning, staff, messages, preferences (issue 13) ---------------

    @staticmethod
    def _session_staff(py: ProgrammeYear, *, by: User) -> int:
        """Each session taken by its UE's demo teacher; an exam on the day of a make-up
        assessment of its UE is a make-up session (the convocations' rule: UE and day).
        Through ``session_edit``, only where something differs; returns the sessions edited."""
        teachers = {
            ue.pk: User.objects.get(username=f"enseignant{ue.code[-3:]}")
            for ue in UE.objects.filter(programme_year=py)
        }
        makeup_days = set(
            Assessment.objects.filter(ue__programme_year=py, makeup_of__isnull=False).values_list(
                "ue_id", "date"
            )
        )
        edited = 0
        for session in (
            Session.objects.filter(ue__programme_year=py)
            .select_related("ue__programme_year")
            .prefetch_related("teachers")
        ):
            teacher = teachers[session.ue_id]
            makeup = session.kind == Session.Kind.EXAMEN and (
                (session.ue_id, session.start.astimezone(PARIS).date()) in makeup_days
            )
            if session.makeup == makeup and [t.pk for t in session.teachers.all()] == [teacher.pk]:
                continue
            session_edit(
                session=session,
                title=session.title,
                kind=session.kind,
                makeup=makeup,
                teachers=[teacher],
                by=by,
            )
            edited += 1
        return edited

    def _year_setup(self) -> list[str]:
        """What the year's pages show: teachers on the sessions, make-up exams, an invited
        teacher and an assignment history, two messages sent, one student's e-mail choice."""
        py = find_programme_year(PROGRAMME, YEAR)
        registrar = User.objects.get(username="scolarite")
        with override_settings(MAILERS=DUMMY_MAIL):
            with transaction.atomic():
                self._session_staff(py, by=registrar)
                self._invited(py, by=registrar)
            sent = self._messages(py)
        student = StudentProfile.objects.select_related("user").get(number=NO_ABSENCE_ALERTS)
        user = student.user
        notification_preferences_set(
            user=user, grades=user.notify_grades, sessions=user.notify_sessions, absences=False
        )
        lines = [
            f"Planning {YEAR} : chaque séance a son enseignant·e (enseignant206, "
            "enseignant207), les examens des 21 et 28 juin 2025 sont des rattrapages.",
            f"Enseignante invitée, compte non activé : {INVITED['first_name']} "
            f"{INVITED['last_name']} ({INVITED['email']}), RSV207 {YEAR} ; son historique "
            "garde RSV206, donnée puis retirée.",
            f"Messages : {sent} envoyés ({', '.join(f'« {m[2]} »' for m in MESSAGES)}).",
            f"{student.full_name} ({student.number}) ne reçoit pas les alertes d'absence par "
            "e-mail (préférence de l'élève).",
        ]
        if not ProgrammeYear.objects.filter(programme__code=PROGRAMME, year=NEXT_YEAR).exists():
            lines.append(
                f"{PROGRAMME} {NEXT_YEAR} n'est pas ouverte : à vous de l'ouvrir (docs/demo.md, "
                f"« Préparer l'année {NEXT_YEAR} » ; liste officielle : {ROSTER_SAMPLE})."
            )
        return lines

    @staticmethod
    def _invited(py: ProgrammeYear, *, by: User) -> None:
        """Claire Morel, invited once: RSV206 by mistake, then RSV207, RSV206 taken off."""
        if User.objects.filter(email__iexact=INVITED["email"]).exists():
            return
        ues = {ue.code: ue for ue in UE.objects.filter(programme_year=py)}
        user = teacher_invite(**INVITED, by=by, ue=ues["RSV206"])
        assignment_add(user=user, ue=ues["RSV207"], by=by)
        assignment_remove(user=user, ue=ues["RSV206"], by=by)

    @staticmethod
    def _messages(py: ProgrammeYear) -> int:
        """The demo's messages, each written once and sent at once (no worker); returns how
        many the demo holds."""
        ues = {ue.code: ue for ue in UE.objects.filter(programme_year=py)}
        for username, code, subject, body in MESSAGES:
            author = User.objects.get(username=username)
            if Message.objects.filter(author=author, programme_year=py, subject=subject).exists():
                continue
            message = message_create(
                author=author,
                programme_year=py,
                audience=Audience.UE if code else Audience.PROMOTION,
                ue=ues[code] if code else None,
                subject=subject,
                body=body,
            )
            message_send(message_id=message.pk)
        return Message.objects.filter(
            programme_year=py, subject__in=[m[2] for m in MESSAGES], state=Message.State.SENT
        ).count()
