"""The registrar sets up CS2600A 2025-2026 from the portal alone, then a new student follows
their invitation and reads the planning (issue 13, headless Chromium).

Only the starting world (2024-2025, its UE and assessments plan, a registrar, a teacher) is
built with factories; every later step goes through the registrar's pages: « Ouvrir l'année
suivante », a teacher invited and given RSV206, a weekly series with one exception, the
official list of 30 students imported from XLSX, a message to the whole promotion. Tasks run
inline (ImmediateBackend), e-mails land in ``mail.outbox``.
"""

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import Browser, Locator, Page, expect

from lib.formats import long_date
from tests.data.make_roster_sample import SAMPLE
from tests.e2e.browser import sign_in
from tests.factories import AssessmentFactory, RegistrarFactory, StaffFactory
from tests.student_data import cohort

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
TEACHER_EMAIL = "aline.rousseau@example.org"
STUDENT_EMAIL = "ines.garnier@example.org"  # the list's first row (tests/data)
STUDENT_PASSWORD = "Rentree-Cnam-2025!"
RSV206_TITLE = "Économie sociale et solidaire : théories, pratiques et innovations sociales"
SUBJECT = "Rentrée 2025-2026"
LINK = re.compile(r"https?://\S+/compte/invitation/\S+/")
ROOM_READING = "accès 31, 1er étage, salle 12"


@pytest.fixture(scope="session", autouse=True)
def _media_url_for_live_server():
    """MEDIA_URL=None (private files are never served) crashes Django's live server handler,
    which parses it as a URL; any unused path does. Must come before ``live_server`` starts."""
    with override_settings(MEDIA_URL="/_non-servi/"):
        yield


@pytest.fixture
def world() -> dict[str, Any]:
    """CS2600A 2024-2025: RSV206 and RSV207 with their assessments plan, fees of 1 200 €, a
    registrar and the teacher of RSV206."""
    c = cohort("2024-2025")
    c.year.fees = Decimal("1200")
    c.year.save(update_fields=["fees"])
    AssessmentFactory(
        ue=c.rsv206, key="CC1", title="Note de synthèse", kind="cc", date=dt.date(2025, 1, 20)
    )
    AssessmentFactory(
        ue=c.rsv206, key="CT1", title="Examen final", weight=Decimal(2), date=dt.date(2025, 5, 20)
    )
    AssessmentFactory(ue=c.rsv207, key="CT1", title="Dossier de projet", date=dt.date(2025, 6, 2))
    teacher = StaffFactory(
        username="enseignant206", first_name="Bernard", last_name="Lefort", ues=[c.rsv206]
    )
    registrar = RegistrarFactory(first_name="Nadia", last_name="Benali")
    return {"cohort": c, "teacher": teacher, "registrar": registrar}


def _menu(page: Page, name: str) -> None:
    """A link of the registrar's menu (the header's navigation)."""
    page.get_by_role("navigation").get_by_role("link", name=name, exact=True).first.click()


def _series_days() -> tuple[dt.date, dt.date, dt.date]:
    """A Tuesday at least a week ahead (the student sees it as coming), the series' last day
    four weeks later and one exception in between: 4 sessions."""
    today = timezone.localdate()
    first = today + dt.timedelta(days=7 + (1 - today.weekday()) % 7)
    return first, first + dt.timedelta(weeks=4), first + dt.timedelta(weeks=2)


def _week_heading(page: Page, day: dt.date) -> Locator:
    """The registrar's week view, at the week of ``day``."""
    monday = day - dt.timedelta(days=day.weekday())
    return page.get_by_role("heading", name=re.compile(f"^Semaine du {long_date(monday, 'j F')} "))


def test_registrar_sets_up_the_year_and_a_new_student_reads_the_planning(
    page: Page,
    live_server: Any,
    browser: Browser,
    browser_context_args: dict[str, Any],
    settings: Any,
    world: dict[str, Any],
) -> None:
    settings.TASKS = IMMEDIATE
    settings.PUBLIC_BASE_URL = live_server.url
    page.set_default_timeout(10_000)
    sign_in(page, live_server.url, world["registrar"].username)

    # 1. Catalogue → 2024-2025 → « Ouvrir l'année suivante » → preview → confirm.
    _menu(page, "Catalogue")
    expect(page.get_by_role("heading", name="Catalogue", level=1)).to_be_visible()
    page.get_by_role("link", name="2024-2025", exact=True).click()
    expect(page.get_by_role("heading", name="CS2600A 2024-2025")).to_be_visible()
    page.get_by_role("link", name="Ouvrir l'année suivante").click()
    expect(page.get_by_role("heading", name="Ouvrir CS2600A 2025-2026")).to_be_visible()
    settings_card = page.locator("section", has=page.get_by_role("heading", name="Réglages"))
    expect(settings_card).to_contain_text(re.compile(r"1\s200,00\s€"))
    expect(settings_card).to_contain_text("2 (12 ECTS)")
    expect(page.get_by_role("heading", name=re.compile(r"^RSV206 — "))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"^RSV207 — "))).to_be_visible()
    page.get_by_role("button", name="Ouvrir 2025-2026").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Promotion CS2600A 2025-2026 ouverte : réglages, frais, UE et plan d'évaluation repris "
        "de 2024-2025."
    )
    expect(page.get_by_role("heading", name="CS2600A 2025-2026")).to_be_visible()
    for code in ("RSV206", "RSV207"):
        expect(page.get_by_role("rowheader", name=code, exact=True)).to_be_visible()
    _menu(page, "Catalogue")
    new_year = page.get_by_role("row").filter(
        has=page.get_by_role("link", name="2025-2026", exact=True)
    )
    expect(new_year).to_contain_text("ouverte depuis 2024-2025")
    expect(new_year).to_contain_text(re.compile(r"1\s200,00\s€"))
    expect(new_year.get_by_role("cell").nth(4)).to_have_text("2")  # its two UE

    # 2. Enseignant·es → invite a teacher, then give them RSV206 2025-2026.
    _menu(page, "Scolarité")
    page.get_by_role("link", name="Enseignant·es", exact=True).click()
    expect(page.get_by_role("heading", name="Enseignants", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("1 enseignant·e")
    page.get_by_role("link", name="Inviter un·e enseignant·e").click()
    page.get_by_label("Adresse e-mail*", exact=True).fill(TEACHER_EMAIL)
    page.get_by_label("Prénom*", exact=True).fill("Aline")
    page.get_by_label("Nom*", exact=True).fill("Rousseau")
    page.get_by_role("button", name="Créer le compte et envoyer l'invitation").click()
    expect(page.get_by_role("status")).to_have_text(
        f"Compte créé ; une invitation a été envoyée à {TEACHER_EMAIL}."
    )
    expect(page.get_by_role("heading", name="ROUSSEAU Aline", level=1)).to_be_visible()
    expect(page.get_by_text("Invité·e, compte pas encore activé")).to_be_visible()
    page.get_by_label("UE à confier*", exact=True).select_option(
        label=f"2025-2026 · CS2600A · RSV206 — {RSV206_TITLE}"
    )
    page.get_by_role("button", name="Confier cette UE").click()
    expect(page.get_by_role("status")).to_have_text("UE RSV206 confiée.")
    expect(page.get_by_role("button", name="Retirer RSV206 (CS2600A 2025-2026)")).to_be_visible()
    assert [m.to for m in mail.outbox] == [[TEACHER_EMAIL]]
    assert LINK.search(mail.outbox[0].body)

    # 3. Planning → a weekly series for RSV206 2025-2026, one exception; preview, confirm.
    first, last, skipped = _series_days()
    _menu(page, "Planning")
    expect(page.get_by_role("heading", name="Planning", level=1)).to_be_visible()
    page.get_by_role("link", name="Nouvelle série hebdomadaire").click()
    expect(page.get_by_role("heading", name="Nouvelle série hebdomadaire")).to_be_visible()
    page.get_by_label("UE*", exact=True).select_option(
        label=f"RSV206 — CS2600A 2025-2026 — {RSV206_TITLE}"
    )
    page.get_by_label("Intitulé (facultatif)", exact=True).fill("Les modèles de l'ESS")
    page.get_by_label("Type*", exact=True).select_option(label="Cours")
    page.get_by_label("Première séance*", exact=True).fill(first.isoformat())
    page.get_by_label("Dernière séance au plus tard*", exact=True).fill(last.isoformat())
    page.get_by_label("Début*", exact=True).fill("18:00")
    page.get_by_label("Fin*", exact=True).fill("21:00")
    page.get_by_label("Exceptions (facultatif)", exact=True).fill(skipped.strftime("%d/%m/%Y"))
    page.get_by_label("Site*", exact=True).select_option(label="Conté")
    page.get_by_label("Salle*", exact=True).fill("31.1.12")
    page.get_by_label("Aline Rousseau (RSV206)").check()
    page.get_by_role("button", name="Voir l'aperçu").click()
    expect(page.get_by_role("heading", name="Aperçu : 4 séances")).to_be_visible()
    expect(page.get_by_text("Aucun conflit avec les séances déjà prévues.")).to_be_visible()
    expect(page.get_by_text("Sans séance (exceptions) :")).to_contain_text(long_date(skipped))
    page.get_by_role("button", name="Créer les 4 séances").click()
    expect(page.get_by_role("status")).to_have_text("4 séances créées pour RSV206.")
    expect(_week_heading(page, first)).to_be_visible()
    expect(page.get_by_text("1 séance cette semaine.")).to_be_visible()
    expect(
        page.get_by_text("Aucun conflit de salle ni d'enseignant·e cette semaine.")
    ).to_be_visible()
    card = page.locator(".planning-session")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("18:00–21:00")
    expect(card).to_contain_text("Les modèles de l'ESS")
    expect(card).to_contain_text(ROOM_READING)
    expect(card).to_contain_text("Aline Rousseau")
    page.get_by_role("link", name="Semaine suivante").click()
    expect(_week_heading(page, first + dt.timedelta(weeks=1))).to_be_visible()
    expect(page.get_by_text("1 séance cette semaine.")).to_be_visible()
    page.get_by_role("link", name="Semaine suivante").click()  # the exception's week
    expect(_week_heading(page, skipped)).to_be_visible()
    expect(page.get_by_text("Aucune séance.", exact=True)).to_have_count(7)
    expect(page.locator(".planning-session")).to_have_count(0)

    # 4. Listes officielles → the XLSX of 30 students → columns (guessed) → preview → import.
    _menu(page, "Scolarité")
    page.get_by_role("link", name="Listes officielles", exact=True).click()
    expect(
        page.get_by_role("heading", name="Importer la liste officielle des inscrits")
    ).to_be_visible()
    upload = page.locator("form").filter(
        has=page.get_by_role("button", name="Déposer et associer les colonnes")
    )
    upload.get_by_label("Promotion*", exact=True).select_option(label="CS2600A 2025-2026")
    upload.get_by_label("Liste officielle (XLSX ou CSV)*", exact=True).set_input_files(SAMPLE)
    upload.get_by_role("button", name="Déposer et associer les colonnes").click()
    expect(page.get_by_role("heading", name=f"Colonnes de « {SAMPLE.name} »")).to_be_visible()
    expect(
        page.get_by_text("Promotion CS2600A 2025-2026 : 30 lignes d'élèves dans le fichier.")
    ).to_be_visible()
    guessed = {
        "N° auditeur": "number",
        "Nom": "last_name",
        "Prénom": "first_name",
        "Date de naissance": "birth_date",
        "Courriel": "email",
        "Téléphone": "phone",
    }
    for header, key in guessed.items():
        expect(page.get_by_label(header, exact=True)).to_have_value(key)
    page.get_by_role("button", name="Voir l'aperçu").click()
    expect(page.get_by_role("heading", name=f"Aperçu de « {SAMPLE.name} »")).to_be_visible()
    counts = page.get_by_role("status")
    expect(counts).to_contain_text("30 nouveaux élèves (comptes créés)")
    expect(counts).to_contain_text("0 erreur")
    page.get_by_role("button", name="Importer les 30 inscriptions").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "Liste importée : 30 inscriptions créées, 0 déjà présente(s)."
    )
    expect(page.get_by_role("heading", name="Liste officielle — CS2600A 2025-2026")).to_be_visible()
    expect(page.locator("#roster-progress")).to_contain_text("30 / 30 invitations envoyées")
    invitations = mail.outbox[1:]
    assert len(invitations) == 30
    assert all(LINK.search(m.body) for m in invitations)
    assert len({m.to[0] for m in invitations}) == 30

    # 5. Messages → to the whole promotion: preview with the count, then send.
    _menu(page, "Messages")
    expect(page.get_by_role("heading", name="Messages aux élèves")).to_be_visible()
    page.get_by_role("link", name="Écrire un message").click()
    page.get_by_label("Promotion*", exact=True).select_option(label="CS2600A 2025-2026")
    page.get_by_role("radio", name=re.compile(r"^Toute la promotion")).check()
    page.get_by_label("Objet*", exact=True).fill(SUBJECT)
    page.get_by_label("Message*", exact=True).fill(
        "Bienvenue dans le certificat. Le premier cours de RSV206 a lieu au centre Conté, "
        "salle 31.1.12 : le planning est sur le portail."
    )
    page.get_by_role("button", name="Voir l'aperçu").click()
    expect(page.get_by_role("heading", name="Aperçu du message")).to_be_visible()
    expect(
        page.get_by_text("Toute la promotion — CS2600A 2025-2026 : 30 destinataires.")
    ).to_be_visible()
    expect(page.get_by_text(f"[CS2600A] {SUBJECT}")).to_be_visible()
    page.get_by_role("button", name="Envoyer à 30 destinataires").click()
    expect(page.get_by_role("status").first).to_have_text(
        "Message enregistré : l'envoi est en cours."
    )
    expect(page.get_by_role("heading", name=SUBJECT)).to_be_visible()
    expect(page.locator("#message-live")).to_contain_text("30 / 30 e-mails envoyés")
    sent = mail.outbox[31:]
    assert len(sent) == 30
    assert {m.subject for m in sent} == {f"[CS2600A] {SUBJECT}"}
    assert {m.to[0] for m in sent} == {m.to[0] for m in invitations}

    # 6. The journal: the year opened, the invitation, the series, the import, the message.
    _menu(page, "Scolarité")
    page.get_by_role("link", name="Journal", exact=True).click()
    expect(page.get_by_role("heading", name="Journal", level=1)).to_be_visible()
    lines = {
        "catalogue.year.open": "2025-2026",
        "staff.teacher.invite": f"Enseignant·e Aline ROUSSEAU invité·e ({TEACHER_EMAIL})",
        "staff.assignment.add": "RSV206",
        "planning.series.create": "Série de 4 séances RSV206",
        "enrolment.roster.import": f"Liste officielle « {SAMPLE.name} » importée",
        "messages.message.create": f"Message « {SUBJECT} » à 30 destinataires",
    }
    for action, summary in lines.items():
        row = page.get_by_role("row").filter(
            has=page.get_by_role("code").filter(has_text=re.compile(f"^{re.escape(action)}$"))
        )
        expect(row).to_have_count(1)
        expect(row).to_contain_text(summary)
        expect(row).to_contain_text("Nadia Benali")

    # 7. A new student follows the invitation in a browser of their own, then signs in.
    (invitation,) = [m for m in invitations if m.to == [STUDENT_EMAIL]]
    link = LINK.search(invitation.body)
    assert link is not None
    username = re.search(r"Votre identifiant : (\S+)", invitation.body)
    assert username is not None
    context = browser.new_context(**browser_context_args)
    try:
        student_page = context.new_page()
        student_page.set_default_timeout(10_000)
        student_page.goto(link.group(0))
        expect(
            student_page.get_by_role("heading", name="Choisir votre mot de passe")
        ).to_be_visible()
        student_page.get_by_label(re.compile("Nouveau mot de passe")).fill(STUDENT_PASSWORD)
        student_page.get_by_label(re.compile("Confirmation du nouveau mot de passe")).fill(
            STUDENT_PASSWORD
        )
        student_page.get_by_role("button", name="Enregistrer").click()
        expect(student_page.get_by_role("status")).to_have_text(
            "Mot de passe enregistré : vous pouvez vous connecter."
        )
        student_page.get_by_label("Nom d'utilisateur ou adresse e-mail").fill(username.group(1))
        student_page.get_by_label("Mot de passe").fill(STUDENT_PASSWORD)
        student_page.get_by_role("button", name="Se connecter").click()
        expect(student_page.get_by_role("heading", name="Bonjour Inès")).to_be_visible()
        _menu(student_page, "Planning")
        expect(student_page.get_by_role("heading", name="Mon planning")).to_be_visible()
        sessions = student_page.locator("li.session")
        expect(sessions).to_have_count(4)
        first_session = sessions.first
        expect(first_session).to_contain_text(long_date(first, "l j F"))
        expect(first_session).to_contain_text("18:00–21:00")
        expect(first_session).to_contain_text("Cours 1 sur 4")
        expect(first_session).to_contain_text(f"RSV206 — {RSV206_TITLE}")
        expect(first_session).to_contain_text("Les modèles de l'ESS")
        expect(first_session).to_contain_text(ROOM_READING)
        expect(student_page.get_by_text(long_date(skipped, "l j F"))).to_have_count(0)
    finally:
        context.close()
