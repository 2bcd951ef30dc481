"""Every page of every role, in Chromium at 1280 px and 390 px: axe-core finds no violation,
nothing overflows horizontally, and a browser set to English shows no French interface word.

The pages come from the URL configuration itself, so a new page is audited without being
listed here: each route goes to the role its path belongs to (``eleve/``, ``enseignant/``,
``scolarite/``, the rest public), its arguments come from one realistic world, and a route
the world cannot fill fails ``test_every_page_of_the_role_is_reached``. An argument that only
exists in the crawling browser's session (the official list's upload token) comes from
``Role.prepare``, run in that session before the crawl.

Each role is crawled once (one browser context, signed in through the login form) and the
four checks read that crawl: a failure names the role, then lists page → problems.
"""

import datetime as dt
import hashlib
import itertools
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import Browser, Page

from attendance.models import Attendance, Session
from attendance.services import (
    RollEntry,
    absence_justify,
    justification_request_submit,
    roll_record,
)
from certification.audiences import Audience
from certification.models import Certificate, Jury
from certification.tasks import bulk_issue_start, message_start
from enrolment import roster, staffing
from enrolment.models import UE, AuditEntry, Message, Payment, Programme, StudentProfile, User
from enrolment.services import fees_set, payment_record
from enrolment.tasks import roster_invitations_start
from grading.models import Assessment, Grade, GradeHistory
from grading.services import GradeChange, assessment_publish, grades_apply
from grading.spreadsheets import HEADERS
from tests.certification.lifecycle_world import build_world
from tests.data.make_roster_sample import roster_workbook, sample_rows
from tests.e2e.browser import sign_in
from tests.factories import AssessmentFactory, StaffFactory, StudentFactory, UserFactory
from tests.student_data import cohort, enrol, session

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

_AXE = Axe()  # axe-core, as bundled by axe-playwright-python
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
ROLES = ("anonymous", "student", "teacher", "registrar")
WIDTHS = (1280, 390)

# Where a route belongs, by its path; every other route is public.
PREFIXES = {"eleve/": "student", "enseignant/": "teacher", "scolarite/": "registrar"}
SIGNED_IN = {"home", "password_change", "password_change_done"}  # any signed-in role
# Not pages of the portal: files (PDF, calendar, exports, JSON, justification documents),
# the language switch (a POST endpoint) and Django's admin (its own third-party interface).
NOT_PAGES = re.compile(
    r"(\.pdf|\.ics|\.json|\.zip|\.<str:fmt>|/fichier/)$|^(admin/|i18n/)|^justificatifs/<int:attendance_id>/$"
)
# Staff pages outside /enseignant/ and /scolarite/: the review of a student's justification
# and the messages (a teacher writes to their UE, the registrar to any audience).
STAFF_PAGES = {
    name: {"teacher", "registrar"}
    for name in (
        "attendance:justification-review",
        "certification:messages",
        "certification:message-new",
        "certification:message",
        "certification:message-retry",
    )
}

# Pages whose content depends on the cohort's state: visited for every sample (last year's
# deliberated cohort and this year's), the others for the first sample only.
# The catalogue's year and UE pages and « Ouvrir l'année suivante » differ for a deliberated
# year (read only; its next year exists) and an open one; a teacher's page differs once they
# have signed in (their assignments) and while only invited (« Renvoyer l'invitation »).
EVERY_SAMPLE = {
    "certification:staff-ue",
    "grading:staff-grid",
    "certification:registrar-jury",
    "enrolment:registrar-catalogue-year",
    "enrolment:registrar-catalogue-year-edit",
    "enrolment:registrar-catalogue-ue-create",
    "enrolment:registrar-catalogue-ue-edit",
    "certification:registrar-year-open",
    "enrolment:registrar-staff-member",
}

# The pages each role must have reached: a broken world or sign-in cannot pass as « clean ».
EXPECTED = {
    "anonymous": {
        "help",
        "accessibility",
        "legal",
        "login",
        "password_reset",
        "password_reset_confirm",
        "certification:verify-upload",
        "certification:verify",
    },
    "student": {
        "certification:student-dashboard",
        "grading:student-grades",
        "attendance:student-planning",
        "attendance:student-attendance",
        "certification:student-certification",
        "certification:student-documents",
        "enrolment:student-enrolment",
        "enrolment:student-profile",
        "certification:student-personal-data",
        "password_change",
    },
    "teacher": {
        "certification:staff-home",
        "certification:staff-ue",
        "grading:staff-grid",
        "grading:staff-import",
        "grading:staff-assessment-history",
        "attendance:staff-sessions",
        "attendance:staff-roll",
        "attendance:justification-review",
        "certification:messages",
        "certification:message-new",
        "certification:message",
    },
    "registrar": {
        "enrolment:registrar-home",
        "enrolment:registrar-enrolments",
        "enrolment:registrar-enrol",
        "enrolment:registrar-enrolment",
        "certification:registrar-personal-data",
        "certification:registrar-juries",
        "certification:registrar-jury",
        "certification:registrar-jury-student",
        "certification:registrar-certificates",
        "certification:registrar-certificate",
        "certification:registrar-bulk-job",
        "attendance:registrar-justifications",
        "attendance:justification-review",
        "enrolment:registrar-catalogue",
        "enrolment:registrar-catalogue-programme-create",
        "enrolment:registrar-catalogue-programme-edit",
        "enrolment:registrar-catalogue-year-create",
        "enrolment:registrar-catalogue-year",
        "enrolment:registrar-catalogue-year-edit",
        "enrolment:registrar-catalogue-ue-create",
        "enrolment:registrar-catalogue-ue-edit",
        "certification:registrar-year-open",
        "attendance:registrar-planning",
        "attendance:registrar-session-new",
        "attendance:registrar-session-series",
        "attendance:registrar-session",
        "enrolment:registrar-staff",
        "enrolment:registrar-staff-invite",
        "enrolment:registrar-staff-member",
        "enrolment:registrar-journal",
        "enrolment:registrar-roster",
        "enrolment:registrar-roster-import",
        "enrolment:registrar-roster-mapping",
        "enrolment:registrar-roster-preview",
        "certification:messages",
        "certification:message-new",
        "certification:message",
    },
}

# Interface words that are French only (whole words, any case). Their English pages must not
# show them: a hit is a string outside gettext or missing from the English catalogue.
FRENCH_WORDS = (
    "à",
    "élève",
    "élèves",
    "notes",
    "séance",
    "séances",
    "évaluation",
    "évaluations",
    "inscription",
    "télécharger",
    "validée",
    "enregistrer",
    "brouillon",
    "publiée",
    "justifiée",
    "salle",
    "étage",
    "admis",
    "ajourné",
    "défaillant",
    "frais",
    "paiement",
    "relevé",
    "année",
    "aucun",
    "aucune",
)
FRENCH = re.compile(r"(?<!\w)(" + "|".join(FRENCH_WORDS) + r")(?!\w)", re.IGNORECASE)
# Names that stay French in English: the programme's legal title as the booklet prints it.
# Everything people typed (programme, UE, assessment and session titles, jury members,
# names) is taken from the world's own rows, see ``_typed_names``.
FIXED_FRENCH = ("Innovations sociales – économie sociale et solidaire",)

TITLES = {
    "RSV206": "Économie sociale et solidaire : théories, pratiques et innovations sociales",
    "RSV207": "Méthodologie de projet en économie sociale et solidaire",
}


# --- the world ---------------------------------------------------------------------------


@dataclass
class Role:
    username: str | None
    samples: dict[str, list[Any]]
    # Run in the signed-in browser before the crawl: samples that only exist in that session.
    prepare: Callable[[Page, str], dict[str, list[Any]]] | None = None


def _past_cohort(public_url: str) -> tuple[dict[str, Role], Any]:
    """Last year's cohort (RULES.md §7b): sessions, a roll, fees and payments, a justified
    absence, every mark published, deliberated, the certificates issued in bulk. Two sessions
    are still to come (dates are relative to today) so the student's dashboard, planning and
    exam convocation have content."""
    world = build_world()
    names = {"good": "Camille", "makeup": "Inès", "failed": "Hugo", "missed": "Noah"}
    for who, first_name in names.items():
        student = world.students[who].student
        StudentProfile.objects.filter(pk=student.pk).update(first_name=first_name)
        User.objects.filter(pk=student.user_id).update(first_name=first_name)
    for code, title in TITLES.items():
        UE.objects.filter(programme_year=world.py, code=code).update(title=title)
    teacher = StaffFactory(ues=[world.cc.ue], first_name="Dominique", last_name="Leroy")
    good = world.students["good"]
    everyone = list(world.students.values())
    rsv206, rsv207 = world.cc.ue, world.ct207.ue
    held = [
        session(rsv206, days=-70 + 7 * i, site="conte", room="31.1.12", title=f"Séminaire {i}")
        for i in range(6)
    ] + [session(rsv207, days=-60 + 7 * i, site="saint-martin", room="11.B.3") for i in range(2)]
    for i, s in enumerate(held):
        entries = [RollEntry(enrolment_id=e.pk, presence="present") for e in everyone]
        if i == 1:
            entries[0] = RollEntry(enrolment_id=good.pk, presence="absent")
        if i == 2:
            entries[0] = RollEntry(enrolment_id=good.pk, presence="late", minutes_missed=20)
        roll_record(session=s, entries=entries, by=teacher)
    absence_justify(
        session=held[3],
        enrolment=world.students["makeup"],
        reason="Certificat médical",
        document=None,
        by=teacher,
    )
    exam = session(rsv207, days=10, kind=Session.Kind.EXAMEN, site="conte", room="17.0.4")
    session(rsv206, days=3, site="conte", room="31.1.12")
    fees_set(enrolment=good, fees_due=Decimal("1200"), by=world.registrar)
    for day, amount in ((dt.date(2024, 9, 30), "600"), (dt.date(2025, 1, 15), "600")):
        payment_record(
            enrolment=good, date=day, amount=Decimal(amount), means="transfer", by=world.registrar
        )
    world.publish_all()
    world.deliberate()
    job = bulk_issue_start(programme_year=world.py, by=world.registrar)
    certificate = Certificate.objects.get(enrolment=good)
    assert certificate.snapshot["verification_url"].startswith(public_url)
    grade = world.grade("good", world.ct)
    uidb64 = urlsafe_base64_encode(force_bytes(good.student.user_id))
    roles = {
        "anonymous": Role(
            None,
            {
                "code": [certificate.verification_code],
                "uidb64": [uidb64],
                "token": [default_token_generator.make_token(good.student.user)],
            },
        ),
        "student": Role(
            good.student.user.username,
            {
                "enrolment_id": [good.pk],
                "session_id": [exam.pk],
                "attendance_id": [Attendance.objects.get(session=held[1], enrolment=good).pk],
                "payment_id": [Payment.objects.filter(enrolment=good).first().pk],
                "certificate_id": [certificate.pk],
            },
        ),
        "teacher": Role(
            teacher.username,
            {"ue_id": [rsv206.pk], "assessment_id": [world.ct.pk], "session_id": [held[1].pk]},
        ),
        "registrar": Role(
            world.registrar.username,
            {
                "enrolment_id": [good.pk],
                "programme_year_id": [world.py.pk],
                "certificate_id": [certificate.pk],
                "job_id": [job.pk],
                "grade_id": [grade.pk],
                "attendance_id": [
                    Attendance.objects.get(session=held[3], enrolment=world.students["makeup"]).pk
                ],
                "payment_id": [Payment.objects.filter(enrolment=good).first().pk],
                "session_id": [held[1].pk],
                "student_id": [good.student.pk],
            },
        ),
    }
    return roles, teacher


def _current_cohort(
    teacher: Any, registrar: User
) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """This year's cohort, under way: a published CC, a final exam half entered (drafts), a
    roll taken and one not yet; the same teacher teaches its RSV206 (given by the registrar,
    with RSV207 given and taken back: their history). Returns the teacher's and the
    registrar's samples; the year's set-up (``_year_set_up``) adds the registrar's pages."""
    c = cohort("2025-2026")  # the booklet's UE titles (TITLES)
    staffing.assignment_add(user=teacher, ue=c.rsv206, by=registrar)
    staffing.assignment_add(user=teacher, ue=c.rsv207, by=registrar)
    staffing.assignment_remove(user=teacher, ue=c.rsv207, by=registrar)
    enrolments = []
    for i, (first, last) in enumerate((("Jade", "Bernard"), ("Lucas", "Petit"), ("Zoé", "Roux"))):
        user = UserFactory(first_name=first, last_name=last)
        student = StudentFactory(user=user, number=f"25000{i + 1:02d}")
        enrolments.append(enrol(student, c, fees="1200"))
    cc = AssessmentFactory(ue=c.rsv206, key="CC1", title="Note de synthèse", kind="cc")
    ct = AssessmentFactory(
        ue=c.rsv206, key="CT1", title="Examen final", kind="ct", weight=Decimal(2)
    )
    _enter(cc, {e.pk: "14.5" for e in enrolments}, by=teacher)
    assessment_publish(assessment=cc, by=teacher)
    _enter(ct, {enrolments[0].pk: "11", enrolments[1].pk: "9.75"}, by=teacher)
    rolled = session(c.rsv206, days=-14, site="conte", room="31.1.12")
    session(c.rsv206, days=-7, site="conte", room="31.1.12")  # roll not taken yet
    session(c.rsv206, days=7, site="conte", room="31.1.12")
    roll_record(
        session=rolled,
        entries=[
            RollEntry(enrolment_id=e.pk, presence="absent" if i == 2 else "present")
            for i, e in enumerate(enrolments)
        ],
        by=teacher,
    )
    grade = Grade.objects.get(assessment=ct, enrolment=enrolments[0])
    # The absent student sends a justification: pending, on the roll and the review page.
    pending = justification_request_submit(
        attendance=Attendance.objects.get(session=rolled, enrolment=enrolments[2]),
        document=SimpleUploadedFile("justificatif.pdf", b"%PDF-1.4\n%justificatif\n"),
        comment="Certificat médical",
    )
    teacher_samples = {
        "request_id": [pending.pk],
        "ue_id": [c.rsv206.pk],
        "assessment_id": [ct.pk],
        "session_id": [rolled.pk],
        "grade_id": [grade.pk],
    }
    registrar_samples = {
        "request_id": [pending.pk],
        "programme_year_id": [c.year.pk],
        "programme_id": [c.year.programme_id],
        "ue_id": [c.rsv206.pk],  # the open year's UE first (a form), then last year's
    }
    set_up = _year_set_up(c, teacher, registrar)
    teacher_samples["message_id"] = set_up.pop("teacher_message_id")
    registrar_samples.update(set_up)
    return teacher_samples, registrar_samples


def _year_set_up(c: Any, teacher: Any, registrar: User) -> dict[str, list[Any]]:
    """What the registrar does to start the year, through the portal's services: a teacher
    invited (not signed in yet), the official list imported from an XLSX (invitations sent),
    a message to the promotion; the teacher writes to their UE."""
    invited = staffing.teacher_invite(
        email="claire.fabre@example.org",
        first_name="Claire",
        last_name="Fabre",
        by=registrar,
        ue=c.rsv207,
    )
    data = roster_workbook(sample_rows(3))
    table = roster.read_table(data)
    done = roster.roster_apply(
        programme_year=c.year,
        table=table,
        mapping=roster.guess_mapping(table.headers),
        by=registrar,
        filename="liste-officielle-2025-2026.xlsx",
        sha256=hashlib.sha256(data).hexdigest(),
    )
    roster_invitations_start(roster_import=done)
    to_all = message_start(
        author=registrar,
        programme_year=c.year,
        audience=Audience.PROMOTION,
        subject="Rentrée 2025-2026",
        body="Bonjour,\n\nLe planning de l'année est en ligne sur le portail.\n\nLa scolarité",
    )
    to_ue = message_start(
        author=teacher,
        programme_year=c.year,
        audience=Audience.UE,
        ue=c.rsv206,
        subject="RSV206 : lectures pour la première séance",
        body="Bonjour,\n\nMerci de lire le chapitre 1 du recueil avant la première séance.",
    )
    return {
        "user_id": [teacher.pk, invited.pk],
        "import_id": [done.pk],
        "message_id": [to_all.pk, to_ue.pk],
        "teacher_message_id": [to_ue.pk],  # a teacher sees the messages they wrote
    }


def _roster_upload(programme_year_id: int) -> Callable[[Page, str], dict[str, list[Any]]]:
    """The registrar drops a list in the browser and maps its columns: the mapping and the
    preview pages live under a token that only this session knows (``enrolment.views.roster``),
    so they are reached here, in the crawl's own session. Two new students and one already
    enrolled by the first import: the preview shows both kinds of row."""

    def prepare(page: Page, base: str) -> dict[str, list[Any]]:
        rows = sample_rows(5)[3:] + sample_rows(1)
        page.goto(base + reverse("enrolment:registrar-roster"))
        page.locator("select[name=programme_year]").select_option(str(programme_year_id))
        page.locator("input[name=file]").set_input_files(
            {
                "name": "liste-complementaire.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": roster_workbook(rows),
            }
        )
        with page.expect_navigation():
            page.get_by_role("button", name="Déposer et associer les colonnes").click()
        with page.expect_navigation():
            page.get_by_role("button", name="Voir l'aperçu").click()
        found = re.search(r"/depot/([^/]+)/apercu/$", page.url)
        assert found is not None, f"the list dropped did not reach its preview: {page.url}"
        return {"token": [found.group(1)]}

    return prepare


def _enter(assessment: Assessment, marks: dict[int, str], *, by: Any) -> None:
    grades_apply(
        changes=[
            GradeChange(
                assessment_id=assessment.pk, enrolment_id=pk, status="graded", value=Decimal(v)
            )
            for pk, v in marks.items()
        ],
        by=by,
        source=GradeHistory.Source.GRID,
    )


def build_roles(public_url: str) -> dict[str, Role]:
    """One world for every page; returns who signs in for each role and the route arguments."""
    roles, teacher = _past_cohort(public_url)
    registrar = roles["registrar"]
    current, for_registrar = _current_cohort(teacher, User.objects.get(username=registrar.username))
    teacher_samples = roles["teacher"].samples
    for name, values in current.items():
        teacher_samples[name] = [*values, *teacher_samples.get(name, [])]
    # Last year's promotion first (the registrar's samples already held it), then this year's;
    # the UE: this year's first (an open form), then last year's (deliberated, read only).
    for name, values in for_registrar.items():
        registrar.samples[name] = [*registrar.samples.get(name, []), *values]
    registrar.samples["ue_id"].append(roles["teacher"].samples["ue_id"][-1])
    registrar.prepare = _roster_upload(for_registrar["programme_year_id"][0])
    return roles


def _typed_names() -> list[str]:
    """What people typed and the portal shows as is, in any language (longest first)."""
    names: list[str] = [*FIXED_FRENCH]
    # The spreadsheet's column headers identify its columns in any language: quoted as is.
    names += [quoted for h in HEADERS for quoted in (f"“{h}”", f"« {h} »")]
    names += Programme.objects.values_list("title", flat=True)
    names += UE.objects.values_list("title", flat=True)
    names += Assessment.objects.exclude(title="").values_list("title", flat=True)
    names += Session.objects.exclude(title="").values_list("title", flat=True)
    for members in Jury.objects.values_list("members", flat=True):
        names += [line.strip() for line in members.splitlines() if line.strip()]
    names += Attendance.objects.exclude(justification_reason="").values_list(
        "justification_reason", flat=True
    )
    # Messages as their author wrote them (subject and body, line by line).
    for subject, body in Message.objects.values_list("subject", "body"):
        names += [subject, *(line.strip() for line in body.splitlines())]
    # Records kept as written, like a grade's reason or a PV: the audience a message was sent
    # to, and the journal's lines (the registrar's own log, in the office's language).
    names += Message.objects.values_list("audience", flat=True)
    names += AuditEntry.objects.values_list("summary", flat=True)
    return sorted({_squash(n) for n in names if n}, key=len, reverse=True)


# --- the routes --------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    path: str
    kwargs: tuple[str, ...]


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> list[Route]:
    routes = []
    for entry in resolver.url_patterns:
        pattern = str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            full_ns = f"{namespace}:{ns}" if namespace and ns else namespace or ns
            routes += _walk(entry, prefix + pattern, full_ns)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            converters = getattr(entry.pattern, "converters", {})
            routes.append(Route(name, prefix + pattern, tuple(converters)))
    return routes


def role_of(route: Route) -> set[str]:
    if route.name in STAFF_PAGES:
        return STAFF_PAGES[route.name]
    if route.name in SIGNED_IN:
        return {"student", "teacher", "registrar"}
    for prefix, role in PREFIXES.items():
        if route.path.startswith(prefix):
            return {role}
    return {"anonymous"}


def urls_of(role: str, samples: dict[str, list[Any]]) -> tuple[list[tuple[str, str]], list[str]]:
    """(route name, URL) of each page of the role, and the routes the world cannot fill."""
    urls, unfilled = [], []
    for route in _walk(get_resolver()):
        if NOT_PAGES.search(route.path) or role not in role_of(route):
            continue
        missing = [k for k in route.kwargs if k not in samples]
        if missing:
            unfilled.append(f"{route.name} ({route.path}): no sample for {', '.join(missing)}")
            continue
        every = route.name in EVERY_SAMPLE
        choices = [samples[k] if every else samples[k][:1] for k in route.kwargs]
        for values in itertools.product(*choices):
            urls.append(
                (
                    route.name,
                    reverse(route.name, kwargs=dict(zip(route.kwargs, values, strict=True))),
                )
            )
    if role == "anonymous":
        urls.append(("404", "/cette-page-n-existe-pas/"))
    # « home » redirects to the role's home page: audit that page under its own name first.
    urls.sort(key=lambda u: u[0] == "home")
    return urls, unfilled


# --- the crawl ---------------------------------------------------------------------------


@dataclass
class Crawl:
    pages: list[str] = field(default_factory=list)  # « name (path) » of each page audited
    reached: set[str] = field(default_factory=set)
    unreached: list[str] = field(default_factory=list)
    axe: dict[str, list[str]] = field(default_factory=dict)
    overflow: dict[str, list[str]] = field(default_factory=dict)
    french: dict[str, list[str]] = field(default_factory=dict)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\xa0", " ").replace("\u202f", " ")).strip()


def _axe(page: Page, width: int) -> list[str]:
    """axe-core's violations, one line per rule (``_AXE`` is injected once per page load)."""
    found = []
    for v in page.evaluate("axe.run({resultTypes: ['violations']})")["violations"]:
        targets = [" ".join(map(str, n["target"])) for n in v["nodes"]]
        shown = ", ".join(targets[:4]) + (f" (+{len(targets) - 4})" if len(targets) > 4 else "")
        line = f"{width} px: {v['id']} ({v['impact']}) × {len(targets)}: {shown}"
        if v["id"] == "color-contrast":  # the measured ratio and colours say what to change
            line += f" — {v['nodes'][0]['any'][0]['message']}"
        found.append(line)
    return found


def _overflow(page: Page, width: int) -> list[str]:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    return [f"{scroll} px wide at {width} px"] if scroll > width else []


def _to_english(page: Page) -> None:
    """Choose English in the footer's language form, as a visitor would."""
    form = page.locator(f"form[action='{reverse('set_language')}']")
    form.locator("select[name=language]").select_option("en")
    with page.expect_navigation():
        form.evaluate("f => f.requestSubmit()")
    assert page.evaluate("document.documentElement.lang") == "en"


def crawl(browser: Browser, context_args: dict[str, Any], base: str, role: str, who: Role) -> Crawl:
    result = Crawl()
    context = browser.new_context(**context_args, viewport={"width": WIDTHS[0], "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    if who.username:
        sign_in(page, base, who.username)
    samples = dict(who.samples)
    if who.prepare is not None:
        samples.update(who.prepare(page, base))
    urls, result.unreached = urls_of(role, samples)
    login = reverse("login")
    seen: dict[str, str] = {}  # final path → page label
    for name, url in urls:
        # Asked first without the page: a POST-only endpoint answers 405 with an empty body,
        # which Chromium refuses to display.
        answer = page.request.get(base + url)
        if answer.status == 405:
            continue  # its page is the one holding its form
        if name != "404" and answer.status != 200:
            result.unreached.append(f"{name} ({url}): HTTP {answer.status}")
            continue
        if not answer.headers.get("content-type", "").startswith("text/html"):
            result.unreached.append(f"{name} ({url}): not HTML, add it to NOT_PAGES")
            continue
        page.goto(base + url)
        final = page.url.removeprefix(base).split("?")[0]
        if name != "login" and final == login:
            result.unreached.append(f"{name} ({url}): sent to the sign-in page")
            continue
        result.reached.add(name)
        if final in seen:
            continue  # a redirect to a page already audited
        label = f"{name} ({final})"
        seen[final] = label
        result.pages.append(label)
        page.evaluate(_AXE.axe_script)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900 if width > 500 else 844})
            if problems := _axe(page, width):
                result.axe.setdefault(label, []).extend(problems)
            if problems := _overflow(page, width):
                result.overflow.setdefault(label, []).extend(problems)
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    if seen:
        _to_english(page)
    typed = _typed_names()
    for final, label in seen.items():
        page.goto(base + final)
        text = _squash(page.inner_text("body"))
        for name in typed:
            text = re.sub(re.escape(name), " ", text, flags=re.IGNORECASE)
        words = sorted({m.group(0) for m in FRENCH.finditer(text)}, key=str.lower)
        if words:
            result.french[label] = [f"« {w} » in …{_around(text, w)}…" for w in words]
    context.close()
    return result


def _around(text: str, word: str) -> str:
    match = re.search(r"(?<!\w)" + re.escape(word) + r"(?!\w)", text)
    assert match is not None
    return text[max(0, match.start() - 40) : match.end() + 40]


# One world and one crawl per role, made by the first test that asks and shared by the
# sixteen checks: building the world (a past cohort through its jury, certificates rendered
# and signed) and crawling are the slow part, and the checks only read what was seen. The
# roles are crawled in ROLES order, the registrar last: its preparation uploads a roster.
_CRAWLS: dict[str, Crawl] = {}


@pytest.fixture
def audit(
    role: str,
    live_server: Any,
    browser: Browser,
    browser_context_args: dict[str, Any],
    settings: Any,
) -> Crawl:
    if not _CRAWLS:
        settings.TASKS = IMMEDIATE
        settings.PUBLIC_BASE_URL = live_server.url
        roles = build_roles(live_server.url)
        for name in ROLES:
            _CRAWLS[name] = crawl(browser, browser_context_args, live_server.url, name, roles[name])
            if report := os.environ.get("EVERY_PAGE_REPORT"):
                with open(report, "a", encoding="utf-8") as out:
                    out.write(_markdown(name, _CRAWLS[name]))
    return _CRAWLS[role]


def _markdown(role: str, c: Crawl) -> str:
    """The role's figures for a closing note (opt-in: ``EVERY_PAGE_REPORT=path.md``)."""
    rules: dict[str, set[str]] = {}
    for page, lines in c.axe.items():
        for line in lines:
            rules.setdefault(line.split(": ")[1].split(" ")[0], set()).add(page)
    words: dict[str, set[str]] = {}
    for page, lines in c.french.items():
        for line in lines:
            words.setdefault(line.split(" »")[0].removeprefix("« ").lower(), set()).add(page)
    out = [
        f"## {role}: {len(c.pages)} pages; axe-core: {len(rules)} rules violated on "
        f"{len(c.axe)} pages; overflow: {len(c.overflow)} pages; French words in English: "
        f"{len(c.french)} pages",
        "",
        "Pages audited: " + ", ".join(f"`{p}`" for p in c.pages),
        "",
    ]
    out += ["Not reached:", *(f"- {u}" for u in c.unreached), ""] if c.unreached else []
    for title, found in (
        ("axe-core (rule → pages)", rules),
        ("French words (word → pages)", words),
    ):
        out += [f"{title}:" if found else f"{title}: none"]
        out += [f"- {k} → {', '.join(sorted(v))}" for k, v in sorted(found.items())] + [""]
    out += ["Overflow:" if c.overflow else "Overflow: none"]
    out += [f"- {p}: {'; '.join(v)}" for p, v in c.overflow.items()] + [""]
    for title, problems in (("axe details", c.axe), ("French words in context", c.french)):
        if problems:
            out += [f"{title}:", "", "```", _report(problems), "```", ""]
    return "\n".join(out) + "\n"


def _report(problems: dict[str, list[str]]) -> str:
    return "\n".join(
        f"{page}\n" + "\n".join(f"    {p}" for p in lines) for page, lines in problems.items()
    )


# Each assertion compares the list of failing pages (short) and explains with page → problems.


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_the_role_is_reached(audit: Crawl, role: str) -> None:
    not_audited = [*audit.unreached, *sorted(EXPECTED[role] - audit.reached)]
    assert not_audited == [], f"{role}: pages not audited\n" + "\n".join(not_audited)


@pytest.mark.parametrize("role", ROLES)
def test_axe_core_finds_no_violation_on_any_page(audit: Crawl, role: str) -> None:
    assert audit.pages
    failing = sorted(audit.axe)
    assert failing == [], f"{role}: axe-core violations\n{_report(audit.axe)}"


@pytest.mark.parametrize("role", ROLES)
def test_no_page_overflows_horizontally(audit: Crawl, role: str) -> None:
    assert audit.pages
    failing = sorted(audit.overflow)
    assert failing == [], f"{role}: horizontal overflow\n{_report(audit.overflow)}"


@pytest.mark.parametrize("role", ROLES)
def test_english_pages_show_no_french_word(audit: Crawl, role: str) -> None:
    assert audit.pages
    failing = sorted(audit.french)
    assert failing == [], f"{role}: French words in English pages\n{_report(audit.french)}"
