"""The registrar carries a cohort through the jury lifecycle in Chromium (RULES.md §7b):
no certificate before the jury, no deliberation over drafts, bulk issuance, a correction after
the jury (unlock, grid, rectificatif), revocation and replacement, public verification."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from certification.models import Certificate
from grading.models import Grade
from grading.services import assessment_publish
from tests.certification.lifecycle_world import MEMBERS, build_world
from tests.e2e.browser import sign_in

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def deliberate(page: Page, confirmation: str) -> None:
    """Fill the « Délibérer » card (members, confirmation) and submit it."""
    page.get_by_label("Membres du jury (un par ligne)").fill(MEMBERS)
    page.get_by_label(confirmation).check()
    page.get_by_role("button", name="Enregistrer la délibération").click()


def test_registrar_carries_the_cohort_through_the_jury_lifecycle(
    page, live_server, settings, tmp_path
):
    settings.TASKS = IMMEDIATE
    settings.PUBLIC_BASE_URL = live_server.url
    page.set_default_timeout(5_000)
    world = build_world()  # every mark a draft
    # The make-up is already marked: « makeup » is admis at the first deliberation too.
    world.enter("makeup", world.makeup, "graded", "14")
    for assessment in (world.cc, world.ct, world.makeup):
        assessment_publish(assessment=assessment, by=world.registrar)
    # RSV207-CT stays a draft for the four students.
    good, makeup = world.students["good"], world.students["makeup"]
    confirm_decisions = (
        "Je confirme : les notes des 4 élèves seront verrouillées, leurs décisions enregistrées "
        "et la promotion figée (évaluations, séances tenues, UE)."
    )
    confirm_rectificatif = (
        "Je confirme : cette délibération remplace la précédente ; les décisions des 4 élèves "
        "seront recalculées et leurs notes verrouillées. 1 note en cours de correction sera "
        "publiée."
    )
    jury_url = live_server.url + reverse("certification:registrar-jury", args=[world.py.pk])
    sign_in(page, live_server.url, world.registrar.username)

    # a. Before the jury: nothing can be issued, and the page says why.
    page.goto(jury_url)
    expect(page.get_by_text("Le jury n'a pas encore délibéré")).to_be_visible()
    expect(page.get_by_role("button", name="Délivrer")).to_have_count(0)

    # b. Deliberating over drafts is refused; the drafts are listed with links to their grid.
    drafts = page.get_by_role("alert").filter(has_text="4 notes sont encore en brouillon.")
    expect(drafts).to_be_visible()
    deliberate(page, confirm_decisions)
    expect(page.get_by_text("publiez-les ou complétez-les avant de délibérer")).to_be_visible()
    expect(drafts.get_by_role("link", name=re.compile("^RSV207"))).to_have_count(4)
    expect(page.get_by_role("heading", name="Délibérations")).to_be_visible()
    assert not world.py.juries.exists()
    drafts.get_by_role("link", name=re.compile("^RSV207")).first.click()
    page.get_by_role("link", name="Publier…").click()
    page.get_by_role("button", name="Publier 4 notes").click()
    expect(page.get_by_text("4 notes publiées")).to_be_visible()
    page.goto(jury_url)
    expect(page.get_by_text("encore en brouillon")).to_have_count(0)
    deliberate(page, confirm_decisions)
    expect(
        page.get_by_role("status").filter(has_text=re.compile(r"PV n° 1\b.* enregistré"))
    ).to_be_visible()
    expect(page.get_by_role("link", name="Télécharger le PV n° 1 (PDF)")).to_be_visible()

    # c. Bulk issuance, confirmed with the count: the two « admis » get their certificate.
    # The label must name this form's own checkbox (the deliberation form has one too).
    issue_form = page.locator("form").filter(
        has=page.get_by_role("button", name="Délivrer les certificats des élèves admis")
    )
    issue_form.get_by_label(
        "Je confirme : 2 certificats seront délivrés et 2 élèves recevront un e-mail."
    ).check()
    issue_form.get_by_role("button", name="Délivrer les certificats des élèves admis").click()
    expect(page.locator("#bulk-job")).to_have_attribute("data-finished", "1")
    expect(page.get_by_role("status")).to_contain_text("2 / 2")
    expect(page.locator("#bulk-failures")).to_have_text("Aucun.")
    first_certificates = {c.enrolment_id: c for c in Certificate.objects.all()}
    assert set(first_certificates) == {good.pk, makeup.pk}

    # d. Unlock Rousseau's RSV207 mark with a reason, then correct it in the grid.
    page.goto(jury_url)
    page.get_by_role("link", name=re.compile("rousseau", re.IGNORECASE)).click()
    row = page.get_by_role("row").filter(has_text="RSV207")
    row.get_by_label("Motif du déverrouillage").fill("Erreur de report en RSV207")
    row.get_by_role("button", name="Déverrouiller").click()
    expect(page.get_by_text("Note déverrouillée")).to_be_visible()
    expect(row).to_contain_text("en correction")
    row.get_by_role("link").click()
    grade_input = page.get_by_label("Note de Élève ROUSSEAU")
    expect(grade_input).to_be_editable()
    grade_input.fill("8")
    page.get_by_role("button", name="Enregistrer les brouillons").click()
    expect(page.get_by_text("1 note enregistrée en brouillon.")).to_be_visible()
    grid_row = page.get_by_role("row").filter(has_text="Rousseau")
    expect(grid_row.get_by_role("link", name="brouillon")).to_be_visible()
    # The grid's « Publier » leaves a correction alone: it stays a draft.
    page.get_by_role("link", name="Publier…").click()
    expect(page.get_by_text("1 note en cours de correction n’est pas publiée")).to_be_visible()
    expect(page.get_by_text("Aucune note à publier.")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Publier"))).to_have_count(0)
    page.get_by_role("link", name="Retour à la grille").click()
    expect(grid_row.get_by_role("link", name="brouillon")).to_be_visible()
    corrected = world.grade("good", world.ct207)
    assert (corrected.value, corrected.published, corrected.under_correction) == (8, False, True)

    # e. The rectificatif publishes and locks the correction; Rousseau is no longer admis.
    page.goto(jury_url)
    expect(page.get_by_text("1 note est en cours de correction")).to_be_visible()
    page.get_by_label("Rectificatif (après une correction)").check()
    # The deliberation's reason (a text box), not the table's « Motif de blocage » filter.
    page.get_by_role("textbox", name="Motif").fill("Erreur de report en RSV207")
    deliberate(page, confirm_rectificatif)
    expect(
        page.get_by_role("status").filter(
            has_text=re.compile(r"PV n° 2 — rectificatif du .* enregistré")
        )
    ).to_be_visible()
    expect(page.get_by_role("link", name="Télécharger le PV n° 1 (PDF)")).to_be_visible()
    good_row = page.get_by_role("row").filter(has_text=re.compile("rousseau", re.IGNORECASE))
    expect(good_row.locator("td.decision strong")).to_have_text("ajourné")
    expect(good_row).to_contain_text("à révoquer : plus admis·e")
    expect(page.get_by_role("alert").filter(has_text="1 certificat est détenu")).to_be_visible()
    corrected.refresh_from_db()
    assert (corrected.published, corrected.locked, corrected.under_correction) == (
        True,
        True,
        False,
    )
    screenshot = tmp_path / "jury-after-rectificatif.png"
    page.screenshot(path=screenshot, full_page=True)
    assert screenshot.read_bytes().startswith(PNG_SIGNATURE)
    assert screenshot.stat().st_size > 10_000

    # f. Revoke the flagged certificate: no replacement while Rousseau is not admis.
    # Without the box ticked nothing happens, and the page says what revoking does.
    flagged = first_certificates[good.pk]
    good_row.get_by_role("link", name=flagged.number).click()
    page.get_by_label("Motif").fill("Ajournée au rectificatif")
    page.get_by_role("button", name="Révoquer").click()
    expect(page.get_by_text("Cochez la case de confirmation pour révoquer")).to_be_visible()
    flagged.refresh_from_db()
    assert flagged.revoked_at is None
    page.get_by_label(
        f"Je confirme : le certificat n° {flagged.number} ne sera plus valide ; la page de "
        "vérification l'indiquera (« révoqué ») à quiconque le consulte."
    ).check()
    page.get_by_role("button", name="Révoquer").click()
    expect(page.get_by_text("Certificat révoqué.")).to_be_visible()
    expect(page.get_by_text("Un nouveau certificat ne peut pas être délivré")).to_be_visible()
    expect(page.get_by_role("button", name="Délivrer un nouveau certificat")).to_have_count(0)

    # Revoke Lefèvre's certificate (a typo) and issue a new one in its place.
    old = first_certificates[makeup.pk]
    page.goto(live_server.url + reverse("certification:registrar-certificate", args=[old.pk]))
    page.get_by_label("Motif").fill("Erreur d'état civil")
    page.get_by_label(re.compile(rf"le certificat n° {old.number} ne sera plus valide")).check()
    page.get_by_role("button", name="Révoquer").click()
    expect(page.get_by_text("Certificat révoqué.")).to_be_visible()
    page.get_by_role("button", name="Délivrer un nouveau certificat").click()
    new = Certificate.objects.get(replaces=old)
    expect(page.get_by_role("heading", name=f"Certificat {new.number}")).to_be_visible()
    expect(page.get_by_text(f"Certificat {new.number} délivré.")).to_be_visible()
    assert new.number.endswith("-00003")

    # The old certificate's public verification page says it was revoked and replaced.
    page.get_by_role("link", name=old.number).click()
    verification_url = old.snapshot["verification_url"]
    assert verification_url.startswith(live_server.url + "/verifier/")
    page.get_by_role("link", name=verification_url).click()
    expect(page).to_have_url(verification_url)
    verdict = page.get_by_role("status")
    expect(verdict).to_contain_text("Certificat révoqué le")
    expect(verdict).to_contain_text(f"remplacé par {new.number}")
    assert Grade.objects.filter(enrolment__programme_year=world.py, locked=False).count() == 0
